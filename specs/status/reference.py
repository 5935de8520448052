"""The Referenced Token's ``status`` claim (draft-ietf-oauth-status-list §6.1, §6.2, §6.3).

JSON (SD-JWT VC): ``"status": {"status_list": {"idx": 0, "uri": "https://..."}}``; CBOR (an mdoc MSO's
``status``, a CWT's claim 65535): the same map with text keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specs.cbor import MAP
from specs.errors import StatusListError

__all__ = ["StatusReference", "require_valid"]

MAX_INDEX = 1 << 32


@dataclass(frozen=True, slots=True)
class StatusReference:
    uri: str
    idx: int

    @classmethod
    def from_value(cls, value: Any) -> StatusReference:
        """Read the ``status`` map from JSON or CBOR (both have text keys)."""
        if not isinstance(value, MAP) or not isinstance(value.get("status_list"), MAP):
            raise StatusListError("status claim has no status_list map", code="status.list_reference")
        ref = value["status_list"]
        idx, uri = ref.get("idx"), ref.get("uri")
        if type(idx) is not int or not 0 <= idx < MAX_INDEX:
            raise StatusListError("status_list idx must be a non-negative integer", code="status.list_reference")
        if not isinstance(uri, str) or not uri:
            raise StatusListError("status_list uri must be a non-empty string", code="status.list_reference")
        return cls(uri=uri, idx=idx)

    def to_value(self) -> dict[str, Any]:
        return {"status_list": {"idx": self.idx, "uri": self.uri}}


def require_valid(value: int) -> None:
    """Raise ``CredentialStatusError`` unless ``value`` is VALID (0): §7.1 INVALID is revoked for good,
    SUSPENDED may come back; anything else is refused (fail closed)."""
    from specs.errors import CredentialStatusError

    if value == 0:
        return
    if value == 1:
        raise CredentialStatusError("the credential has been revoked", code="status.revoked")
    if value == 2:
        raise CredentialStatusError("the credential is suspended", code="status.suspended")
    raise CredentialStatusError(f"the credential has status {value:#04x}", code=f"status.value_{value}")
