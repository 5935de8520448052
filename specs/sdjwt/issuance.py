"""SD-JWT issuance (RFC 9901 §4.1-§4.2): mark claims selectively disclosable with ``SD(...)``.

``{"given_name": SD("Minjun"), "address": SD({"city": SD("Seoul")}), "nationalities": [SD("KR")]}``:
each ``SD`` value becomes a disclosure with a fresh 128-bit salt; its digest goes into the parent's
``_sd`` (objects) or a ``{"...": digest}`` element (arrays). Decoy digests are added and every ``_sd``
array is sorted so neither order nor count reveals which claims exist (§4.2.5). The input is not mutated.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from specs.crypto import Signer
from specs.jose import sign_compact
from specs.sdjwt.disclosure import Disclosure, decoy_digest
from specs.sdjwt.sd_jwt import SdJwt

__all__ = ["SD", "issue_sd_jwt"]

Rng = Callable[[int], bytes]


@dataclass(frozen=True, slots=True)
class SD:
    """Marks a claim value (or array element) as selectively disclosable."""

    value: Any


class _Builder:
    def __init__(self, rng: Rng, decoys: int) -> None:
        self.rng, self.decoys = rng, decoys
        self.disclosures: list[Disclosure] = []

    def _decoys(self) -> list[str]:
        count = self.rng(1)[0] % (self.decoys + 1) if self.decoys else 0
        return [decoy_digest(self.rng) for _ in range(count)]

    def value(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return self.obj(value)
        if isinstance(value, list | tuple):
            return self.array(value)
        if isinstance(value, SD):
            raise TypeError("SD(...) may only wrap an object member or an array element")
        return value

    def obj(self, value: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        digests: list[str] = []
        for name, item in value.items():
            if isinstance(item, SD):
                disclosure = Disclosure.create(name, self.value(item.value), self.rng)
                self.disclosures.append(disclosure)
                digests.append(disclosure.digest())
            else:
                out[name] = self.value(item)
        if digests:
            out["_sd"] = sorted(digests + self._decoys())
        return out

    def array(self, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        out: list[Any] = []
        for item in value:
            if isinstance(item, SD):
                disclosure = Disclosure.create(None, self.value(item.value), self.rng)
                self.disclosures.append(disclosure)
                out.append({"...": disclosure.digest()})
            else:
                out.append(self.value(item))
        return out


def issue_sd_jwt(signer: Signer, claims: Mapping[str, Any], *, header: Mapping[str, Any] | None = None,
                 decoys: int = 0, rng: Rng = secrets.token_bytes) -> SdJwt:
    """Sign ``claims`` (with ``SD`` markers) as an SD-JWT; ``decoys`` caps decoy digests per ``_sd``."""
    builder = _Builder(rng, decoys)
    payload = builder.obj(claims)
    payload["_sd_alg"] = "sha-256"
    jwt = sign_compact(signer, dict(header or {}), payload)
    return SdJwt(jwt, tuple(builder.disclosures))
