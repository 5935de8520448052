"""The verifier's verdict: a typed ``VerificationResult`` (never a bool).

A verifier fails closed: when anything is wrong, ``valid`` is false and ``claims`` is empty, so no
unverified attribute can be shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from specs.claims import json_safe
from specs.errors import MobileIdError

Format = Literal["mdoc", "sd-jwt"]
StatusText = Literal["valid", "invalid", "suspended", "unchecked"]


@dataclass(frozen=True, slots=True)
class VerificationIssue:
    """One reason a presentation was refused: a stable ``code`` and a message without personal data."""

    code: str
    message: str

    @classmethod
    def from_error(cls, error: MobileIdError) -> VerificationIssue:
        return cls(error.code, error.message)


@dataclass(frozen=True, slots=True)
class VerificationResult:
    valid: bool
    format: Format
    doctype: str | None = None
    vct: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    holder_bound: bool = False
    status: StatusText = "unchecked"
    errors: tuple[VerificationIssue, ...] = ()
    display_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # claim -> {"ko", "en"}
    type_name: Mapping[str, str] = field(default_factory=dict)  # {"ko", "en"} from the catalogue

    @property
    def portrait(self) -> bytes | None:
        """The verified portrait (mdoc ``portrait`` or an SD-JWT ``picture``), if one was disclosed."""
        for value in (*self.claims.values(), self.claims):
            if isinstance(value, Mapping):
                for name in ("portrait", "picture"):
                    if isinstance(value.get(name), bytes):
                        return value[name]  # type: ignore[no-any-return]
        return None

    @classmethod
    def failure(cls, fmt: Format, error: MobileIdError, *, doctype: str | None = None,
                vct: str | None = None) -> VerificationResult:
        status: StatusText = "unchecked"
        if error.code == "status.suspended":
            status = "suspended"
        elif error.code == "status.revoked" or error.code.startswith("status.value_"):
            status = "invalid"
        return cls(valid=False, format=fmt, doctype=doctype, vct=vct, status=status,
                   errors=(VerificationIssue.from_error(error),))

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` document: ``{"valid", "format", "doctype" | "vct", "claims",
        "holder_bound", "status", "errors": [{"code", "message"}]}``."""
        out: dict[str, Any] = {"valid": self.valid, "format": self.format}
        if self.format == "mdoc":
            out["doctype"] = self.doctype
        else:
            out["vct"] = self.vct
        out["claims"] = json_safe(self.claims)
        out["holder_bound"] = self.holder_bound
        out["status"] = self.status
        out["errors"] = [{"code": e.code, "message": e.message} for e in self.errors]
        if self.type_name:
            out["type_name"] = dict(self.type_name)
        return out
