"""The verifier's verdict: a typed ``VerificationResult`` (never a bool).

A verifier fails closed: when anything is wrong, ``valid`` is false and ``claims`` is empty, so no
unverified attribute can be shown. ``claims_of`` turns the verified claims into the one claims model
(``specs.claims``) every face renders; each refusal carries its stable code, the plain words for it
(``specs.messages``) and the technical detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from specs.catalogue import Catalogue
from specs.claims import Claim, build_claims, json_safe
from specs.errors import MobileIdError, UnknownDocumentTypeError
from specs.messages import message

Format = Literal["mdoc", "sd-jwt"]
StatusText = Literal["valid", "revoked", "suspended", "invalid", "unchecked"]  # invalid: another status value


@dataclass(frozen=True, slots=True)
class VerificationIssue:
    """One reason a presentation was refused: a stable ``code`` and a message without personal data."""

    code: str
    message: str  # the technical detail, for developers; people read ``words``

    @classmethod
    def from_error(cls, error: MobileIdError) -> VerificationIssue:
        return cls(error.code, error.message)

    def words(self, lang: str = "en") -> str:
        """What a shop owner reads for this refusal (``specs/messages.toml``)."""
        return message(self.code, lang)

    def to_json(self, lang: str = "en") -> dict[str, str]:
        return {"code": self.code, "message": self.words(lang), "detail": self.message}


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
        if error.code in ("status.suspended", "status.revoked"):
            status = "suspended" if error.code == "status.suspended" else "revoked"
        elif error.code.startswith("status.value_"):
            status = "invalid"
        return cls(valid=False, format=fmt, doctype=doctype, vct=vct, status=status,
                   errors=(VerificationIssue.from_error(error),))

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        """The CLI's ``--json`` document: ``{"valid", "format", "doctype" | "vct", "claims",
        "holder_bound", "status", "errors": [{"code", "message", "detail"}]}``; ``message`` is the plain
        words in ``lang``, ``status`` one of valid, revoked, suspended, invalid (another status value) or
        unchecked."""
        out: dict[str, Any] = {"valid": self.valid, "format": self.format}
        if self.format == "mdoc":
            out["doctype"] = self.doctype
        else:
            out["vct"] = self.vct
        out["claims"] = json_safe(self.claims)
        out["holder_bound"] = self.holder_bound
        out["status"] = self.status
        out["errors"] = [e.to_json(lang) for e in self.errors]
        if self.type_name:
            out["type_name"] = dict(self.type_name)
        return out


def claims_of(result: VerificationResult, catalogue: Catalogue | None = None) -> tuple[Claim, ...]:
    """The verified claims as the one claims model, labelled from the catalogue (an unknown type: by
    identifier), in the order they were disclosed; empty for a refused presentation."""
    if not result.valid:
        return ()
    catalogue = catalogue or Catalogue.load_default()
    try:
        doc_type = catalogue.find(result.doctype or result.vct or "")
    except UnknownDocumentTypeError:
        doc_type = None
    values: list[tuple[str | None, str, Any]]
    if result.format == "mdoc":
        values = [(str(ns), str(k), v) for ns, items in result.claims.items() if isinstance(items, Mapping)
                  for k, v in items.items()]
    else:
        values = [(None, str(k), v) for k, v in result.claims.items()]
    return build_claims(doc_type, values)
