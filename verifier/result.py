"""The verifier's verdict: a typed ``VerificationResult`` (never a bool).

Two answers, kept apart: ``authentic`` (every cryptographic and trust check passed) and ``accepted`` (the
verifier's policy, ``verifier.policy``, holds: the document is one it takes and the elements and values it
requires are there); ``valid`` is both. A verifier fails closed: when a check fails, ``authentic`` is false
and ``claims`` is empty, so no unverified attribute can be shown. An authentic presentation that misses the
policy keeps its claims (the shop sees *why* it is refused: "19세 미만") and names each unmet requirement.
``claims_of`` turns the verified claims into the one claims model (``specs.claims``) every face renders;
each refusal carries its stable code, the plain words for it (``specs.messages``) and the technical detail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
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
class Unmet:
    """One requirement of the policy that the presentation does not meet (``policy.not_met``): ``element``
    names the element (None: the document itself is not one the policy accepts, or it is not authentic)."""

    element: str | None
    message: str
    code: str = "policy.not_met"
    what: Literal["element", "document", "status", "authentic"] = "element"  # which kind of requirement

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "element": self.element, "requirement": self.what, "message": self.message}


@dataclass(frozen=True, slots=True)
class VerificationResult:
    authentic: bool
    format: Format
    doctype: str | None = None
    vct: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    holder_bound: bool = False
    status: StatusText = "unchecked"
    errors: tuple[VerificationIssue, ...] = ()
    type_name: Mapping[str, str] = field(default_factory=dict)  # {"ko", "en"} from the catalogue
    issuer: str | None = None  # the document signer's name (its certificate's CN or O), or the SD-JWT's iss
    status_as_of: dt.datetime | None = None  # the trust bundle's time for a list it carried, else the list's
    policy: str | None = None  # the name of the policy held against it (None: authenticity only)
    accepted: bool = True  # the policy holds (always true without a policy)
    unmet: tuple[Unmet, ...] = ()

    @property
    def valid(self) -> bool:
        """Authentic and accepted: what a script's ``verify && sell`` may rely on."""
        return self.authentic and self.accepted

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
        return cls(authentic=False, format=fmt, doctype=doctype, vct=vct, status=status,
                   errors=(VerificationIssue.from_error(error),))

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        """The CLI's ``--json`` document: ``{"valid", "authentic", "accepted", "policy", "format", "doctype" |
        "vct", "claims", "holder_bound", "status", "issuer", "status_as_of", "errors": [{"code", "message",
        "detail"}], "unmet": [{"code", "element", "message"}]}``; ``valid`` is ``authentic`` and ``accepted``,
        ``message`` the plain words in ``lang``, ``status`` one of valid, revoked, suspended, invalid (another
        status value) or unchecked."""
        out: dict[str, Any] = {"valid": self.valid, "authentic": self.authentic, "accepted": self.accepted,
                               "policy": self.policy, "format": self.format}
        if self.format == "mdoc":
            out["doctype"] = self.doctype
        else:
            out["vct"] = self.vct
        out["claims"] = json_safe(self.claims)
        out["holder_bound"] = self.holder_bound
        out["status"] = self.status
        out["issuer"] = self.issuer
        out["status_as_of"] = json_safe(self.status_as_of)
        out["errors"] = [e.to_json(lang) for e in self.errors]
        out["unmet"] = [u.to_json() for u in self.unmet]
        if self.type_name:
            out["type_name"] = dict(self.type_name)
        return out


def _verified_builder() -> Callable[..., VerificationResult]:
    """``authentic_result(format, doctype, vct, claims, holder_bound, status, type_name, issuer, status_as_of)``: the
    authentic result ``VerificationResult(authentic=True, ...)`` with every other field at its default, built by
    setting its slots (``specs.slots``: the same frozen object, without a lookup and call of ``object.__setattr__``
    per field; one per verification). Refused at import if the class gains a field or a ``__post_init__``."""
    names = ("authentic", "format", "doctype", "vct", "claims", "holder_bound", "status", "errors", "type_name",
             "issuer", "status_as_of", "policy", "accepted", "unmet")
    if tuple(f.name for f in fields(VerificationResult)) != names or hasattr(VerificationResult, "__post_init__"):
        raise TypeError("VerificationResult changed: update its builder")
    (authentic_, format_, doctype_, vct_, claims_, holder_bound_, status_, errors_, type_name_, issuer_, as_of_,
     policy_, accepted_, unmet_) = (getattr(VerificationResult, name).__set__ for name in names)
    new = object.__new__

    def verified(fmt: Format, doctype: str | None, vct: str | None, claims: Mapping[str, Any], holder_bound: bool,
                 status: StatusText, type_name: Mapping[str, str], issuer: str | None,
                 status_as_of: dt.datetime | None) -> VerificationResult:
        result: VerificationResult = new(VerificationResult)
        authentic_(result, True)
        format_(result, fmt)
        doctype_(result, doctype)
        vct_(result, vct)
        claims_(result, claims)
        holder_bound_(result, holder_bound)
        status_(result, status)
        errors_(result, ())
        type_name_(result, type_name)
        issuer_(result, issuer)
        as_of_(result, status_as_of)
        policy_(result, None)
        accepted_(result, True)
        unmet_(result, ())
        return result

    return verified


authentic_result = _verified_builder()


def type_names(catalogue: Catalogue, identifier: str) -> Mapping[str, str]:
    """The catalogue's name of a document type (by id, docType or vct) in Korean and English, read-only; empty
    for a type it does not list. Looked up once per catalogue and type, not on every verification."""
    key = (id(catalogue), identifier)
    hit = _TYPE_NAMES.get(key)
    if hit is not None and hit[0] is catalogue:  # the entry holds the catalogue, so its id is not reused
        return hit[1]
    try:
        doc_type = catalogue.find(identifier)
    except UnknownDocumentTypeError:
        names: Mapping[str, str] = _NO_NAMES
    else:
        names = MappingProxyType({"ko": doc_type.display_name("ko"), "en": doc_type.display_name("en")})
    if len(_TYPE_NAMES) >= 256:
        _TYPE_NAMES.clear()
    _TYPE_NAMES[key] = (catalogue, names)
    return names


_TYPE_NAMES: dict[tuple[int, str], tuple[Catalogue, Mapping[str, str]]] = {}
_NO_NAMES: Mapping[str, str] = MappingProxyType({})


def claims_of(result: VerificationResult, catalogue: Catalogue | None = None) -> tuple[Claim, ...]:
    """The verified claims as the one claims model, labelled from the catalogue (an unknown type: by
    identifier), in the order they were disclosed; empty for an inauthentic presentation (one refused only by
    a policy keeps its claims: they say why)."""
    if not result.authentic:
        return ()
    catalogue = Catalogue.load_default() if catalogue is None else catalogue
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
