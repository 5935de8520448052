"""What a verifier requires beyond authenticity: which documents, which elements, which values.

A ``Policy`` names the documents it accepts (catalogue type ids, docTypes or vcts; empty: any) and the
``Requirement``s their disclosed claims must meet (an element present, or present with a given value such
as ``age_over_19 == True``). ``Policy.evaluate`` looks at a verified ``VerificationResult`` and says which
requirements are unmet, each with the code ``policy.not_met``. The online verifier
(``verifier.oid4vp``) turns each DCQL credential query into one of these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from specs.errors import InputError
from verifier.result import VerificationResult

__all__ = ["PRESENT", "PRESETS", "Policy", "PolicyOutcome", "Requirement", "Unmet"]


class _Present:
    """The marker for "disclosed, whatever its value"."""

    def __repr__(self) -> str:
        return "PRESENT"


PRESENT: Final[Any] = _Present()


@dataclass(frozen=True, slots=True)
class Requirement:
    element: str
    namespace: str | None = None
    equals: object = PRESENT

    def describe(self) -> str:
        name = f"{self.namespace}/{self.element}" if self.namespace else self.element
        return name if self.equals is PRESENT else f"{name} = {self.equals!r}"

    def met_by(self, result: VerificationResult) -> bool:
        for value in _values(result.claims, self.element, self.namespace):
            if self.equals is PRESENT or (type(value) is type(self.equals) and value == self.equals):
                return True
        return False


def _values(claims: Mapping[str, Any], element: str, namespace: str | None) -> list[Any]:
    """The disclosed values of ``element``: in ``namespace`` (mdoc), in any namespace, or top level (SD-JWT)."""
    found = []
    if namespace is None and element in claims:
        found.append(claims[element])
    for ns, values in claims.items():
        if isinstance(values, Mapping) and (namespace is None or ns == namespace) and element in values:
            found.append(values[element])
    return found


@dataclass(frozen=True, slots=True)
class Unmet:
    requirement: Requirement | None  # None: the document itself is not one the policy accepts
    message: str
    code: str = "policy.not_met"


@dataclass(frozen=True, slots=True)
class PolicyOutcome:
    accepted: bool
    unmet: tuple[Unmet, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    documents: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    max_status_age: dt.timedelta | None = None

    def evaluate(self, result: VerificationResult) -> PolicyOutcome:
        """Unmet requirements of an authentic result; an inauthentic one is never accepted."""
        unmet: list[Unmet] = []
        if not result.valid:
            unmet.append(Unmet(None, "the presentation is not authentic"))
        elif self.documents and not {result.doctype, result.vct, _type_id(result)} & set(self.documents):
            unmet.append(Unmet(None, f"the document is not one {self.name} accepts"))
        unmet.extend(Unmet(r, f"{r.describe()} was not shown") for r in self.requirements if not r.met_by(result))
        if self.max_status_age is not None and result.status != "valid":
            unmet.append(Unmet(None, "the credential's status could not be checked"))
        return PolicyOutcome(not unmet, tuple(unmet))

    @classmethod
    def parse(cls, text: str, name: str | None = None) -> Policy:
        """``"age_over_19=true"``, ``"family_name,given_name"``, ``"ns/element=value"`` (comma-separated)."""
        requirements = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            target, sep, raw = part.partition("=")
            namespace, _, element = target.rpartition("/")
            if not element or len(part) > 200:
                raise InputError(f"cannot read the requirement {part[:40]!r}", code="input.usage")
            requirements.append(Requirement(element.strip(), namespace.strip() or None,
                                            _literal(raw.strip()) if sep else PRESENT))
        if not requirements:
            raise InputError("a policy needs at least one requirement", code="input.usage")
        return cls(name or text, (), tuple(requirements))


def _literal(raw: str) -> object:
    if raw in ("true", "false"):
        return raw == "true"
    if raw.lstrip("-").isdigit():
        return int(raw)
    return raw


def _type_id(result: VerificationResult) -> str | None:
    from specs.catalogue import Catalogue
    from specs.errors import UnknownDocumentTypeError

    try:
        return Catalogue.load_default().find(result.doctype or result.vct or "").id
    except UnknownDocumentTypeError:
        return None


_AGE_DOCUMENTS = ("age_attestation", "mdl", "resident_card")
PRESETS: Mapping[str, Policy] = {
    "age19": Policy("age19", _AGE_DOCUMENTS, (Requirement("age_over_19", equals=True),)),
    "age65": Policy("age65", _AGE_DOCUMENTS, (Requirement("age_over_65", equals=True),)),
    "identity": Policy("identity", ("mdl", "resident_card"),
                       (Requirement("family_name"), Requirement("given_name"), Requirement("birth_date"))),
    "supplier": Policy("supplier", ("business_registration",),
                       (Requirement("registration_number"), Requirement("business_name"),
                        Requirement("business_status"))),
    "licence": Policy("licence", ("mdl",),
                      (Requirement("family_name"), Requirement("given_name"), Requirement("document_number"),
                       Requirement("driving_privileges"))),
}
