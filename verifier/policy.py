"""What a verifier requires beyond authenticity: which documents, which elements, which values, how fresh.

A ``Policy`` names the documents it accepts (catalogue type ids, docTypes or vcts; empty: any), the
``Requirement``s their disclosed claims must meet (an element present, present with a given value such as
``age_over_19 == True``, or a date not yet past) and the maximum age of the status it was checked against.
``Policy.evaluate`` says which requirements an authentic ``VerificationResult`` leaves unmet, each an
``Unmet`` with the code ``policy.not_met`` naming the element; ``Policy.apply`` returns the result with
``accepted``, ``policy`` and ``unmet`` filled in (``valid`` is then authentic *and* accepted).

``PRESETS`` answer the common shop questions (issue 12): ``age19`` (sale of alcohol and tobacco, Korean
Youth Protection Act art. 2: under 19 is a minor), ``age65`` (senior discount), ``identity`` (name and
portrait, to compare with the face), ``supplier`` (a business registration whose status is active) and
``licence`` (may drive: driving privileges on a licence not past its expiry date). The documents each
accepts are read from the catalogue (``specs/catalogue``): every type that defines all its elements.
``Policy.parse`` reads ``--require`` texts. The online verifier (``verifier.oid4vp``) turns each DCQL
credential query into a ``Policy`` too.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from specs.catalogue import Catalogue
from specs.errors import InputError, UnknownDocumentTypeError
from verifier.result import Unmet, VerificationResult

__all__ = ["MAX_REQUEST_ITEMS", "NOT_PAST", "PRESENT", "PRESETS", "Policy", "PolicyOutcome", "Requirement", "Unmet",
           "policy_named", "preset", "request_items"]


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


PRESENT: Final[Any] = _Marker("PRESENT")  # disclosed, whatever its value
NOT_PAST: Final[Any] = _Marker("NOT_PAST")  # a date on or after the day of verification (an expiry date)


@dataclass(frozen=True, slots=True)
class Requirement:
    element: str
    namespace: str | None = None
    equals: object = PRESENT

    def describe(self) -> str:
        name = f"{self.namespace}/{self.element}" if self.namespace else self.element
        if self.equals is PRESENT:
            return name
        if self.equals is NOT_PAST:
            return f"{name} not past"
        shown = str(self.equals).lower() if isinstance(self.equals, bool) else repr(self.equals)
        return f"{name}={shown}"

    def met_by(self, result: VerificationResult, today: dt.date) -> bool:
        return any(self._holds(value, today) for value in _values(result.claims, self.element, self.namespace))

    def refused_by(self, result: VerificationResult, today: dt.date) -> bool:
        """Shown, but not with the value required (``age_over_19: false``, an expiry date that is past): the
        holder's answer is "no", which is not the same as not answering."""
        values = _values(result.claims, self.element, self.namespace)
        return bool(values) and not any(self._holds(v, today) for v in values)

    def _holds(self, value: Any, today: dt.date) -> bool:
        if self.equals is PRESENT:
            return True
        if self.equals is NOT_PAST:
            value = getattr(value, "value", value)  # a CBOR full-date tag
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    return False
            if isinstance(value, dt.datetime):
                value = value.date()
            return isinstance(value, dt.date) and value >= today
        return type(value) is type(self.equals) and value == self.equals


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
class PolicyOutcome:
    accepted: bool
    unmet: tuple[Unmet, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    documents: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    max_status_age: dt.timedelta | None = None

    def evaluate(self, result: VerificationResult, *, now: dt.datetime | None = None) -> PolicyOutcome:
        """Unmet requirements of a result; an inauthentic one is never accepted. ``now`` (default: the
        current time) dates ``NOT_PAST`` and ``max_status_age``."""
        when = now if now is not None else dt.datetime.now(dt.UTC)
        if not result.authentic:  # nothing it shows counts: its errors say why, the requirements are moot
            return PolicyOutcome(False, (Unmet(None, "the presentation is not authentic", what="authentic"),))
        unmet: list[Unmet] = []
        if self.documents and not {result.doctype, result.vct, _type_id(result)} & set(self.documents):
            unmet.append(Unmet(None, f"the document is not one {self.name} accepts", what="document"))
        for r in self.requirements:
            if not r.met_by(result, when.date()):
                unmet.append(Unmet(r.element, f"{r.describe()} does not hold" if r.refused_by(result, when.date())
                                   else f"{r.describe()} was not shown"))
        if self.max_status_age is not None:
            if result.status != "valid" or result.status_as_of is None:
                unmet.append(Unmet(None, "the credential's status could not be checked", what="status"))
            elif when - result.status_as_of > self.max_status_age:
                unmet.append(Unmet(None, "the credential's status was checked against a list too old "
                                         "for this policy: sync the trust bundle", what="status"))
        return PolicyOutcome(not unmet, tuple(unmet))

    def apply(self, result: VerificationResult, *, now: dt.datetime | None = None) -> VerificationResult:
        """``result`` with this policy's answer: ``accepted``, ``policy`` and the ``unmet`` requirements."""
        outcome = self.evaluate(result, now=now)
        return replace(result, policy=self.name, accepted=outcome.accepted, unmet=outcome.unmet)

    def refusals(self, result: VerificationResult, *, now: dt.datetime | None = None) -> tuple[Requirement, ...]:
        """The requirements the holder's answer says "no" to (shown, with another value)."""
        today = (now if now is not None else dt.datetime.now(dt.UTC)).date()
        return tuple(r for r in self.requirements if r.refused_by(result, today))

    @classmethod
    def parse(cls, text: str, name: str | None = None) -> Policy:
        """``"age_over_19=true"``, ``"family_name,given_name"``, ``"ns/element=value"`` (comma-separated)."""
        requirements = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            target, sep, raw = part.partition("=")
            namespace, _, element = target.rpartition("/")
            if not element.strip() or len(part) > 200:
                raise InputError(f"cannot read the requirement {part[:40]!r}", code="input.usage")
            requirements.append(Requirement(element.strip(), namespace.strip() or None,
                                            _literal(raw.strip()) if sep else PRESENT))
        if not requirements:
            raise InputError("a policy needs at least one requirement", code="input.usage")
        return cls(name or ",".join(r.describe() for r in requirements), (), tuple(requirements))


def _literal(raw: str) -> object:
    if raw in ("true", "false"):
        return raw == "true"
    if raw.lstrip("-").isdigit():
        return int(raw)
    return raw


def _type_id(result: VerificationResult) -> str | None:
    try:
        return Catalogue.load_default().find(result.doctype or result.vct or "").id
    except UnknownDocumentTypeError:
        return None


def _defines(type_id: str, element: str) -> bool:
    return any(c.matches(element) for c in Catalogue.load_default().get(type_id).claims)


@functools.cache
def _holding(*elements: str) -> tuple[str, ...]:
    """The catalogue types that define every one of ``elements`` (so can answer for them)."""
    return tuple(t.id for t in Catalogue.load_default() if all(_defines(t.id, e) for e in elements))


_FRESH = dt.timedelta(days=7)  # the QR verifier's own limit on the trust bundle's age
_DAY = dt.timedelta(days=1)


def _presets() -> dict[str, Policy]:
    def make(name: str, requirements: tuple[Requirement, ...], fresh: dt.timedelta = _FRESH) -> Policy:
        return Policy(name, _holding(*(r.element for r in requirements)), requirements, fresh)

    return {
        "age19": make("age19", (Requirement("age_over_19", equals=True),)),
        "age65": make("age65", (Requirement("age_over_65", equals=True),)),
        "identity": make("identity", (Requirement("family_name"), Requirement("given_name"),
                                      Requirement("portrait"))),
        # A supplier's registration changes status (closed, suspended) more often: a day-old list at most.
        "supplier": make("supplier", (Requirement("registration_number"), Requirement("business_name"),
                                      Requirement("business_status", equals="active")), _DAY),
        "licence": make("licence", (Requirement("family_name"), Requirement("given_name"), Requirement("portrait"),
                                    Requirement("driving_privileges"), Requirement("expiry_date", equals=NOT_PAST))),
    }


PRESETS: Mapping[str, Policy] = _presets()


def preset(name: str) -> Policy:
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"no policy preset {name!r} (presets: {', '.join(PRESETS)})", code="input.usage") from None


def policy_named(text: str) -> Policy:
    """A ``--require`` value: a preset's name, or requirements for ``Policy.parse``. A bare word that is
    neither a preset nor an element of any catalogue type is a typo (``age91``), not a requirement."""
    if text in PRESETS:
        return PRESETS[text]
    if text.isidentifier() and not any(_defines(t.id, text) for t in Catalogue.load_default()):
        raise InputError(f"{text[:40]!r} is no policy preset ({', '.join(PRESETS)}) and no element of a known "
                         "document type", code="input.usage")
    return Policy.parse(text)


MAX_REQUEST_ITEMS = 4  # specs/qr-presentation.md §4: a two-way request names 1 to 4 documents (alternatives)


def request_items(policy: Policy, catalogue: Catalogue | None = None) -> dict[str, tuple[str, ...]]:
    """The two-way QR request that asks for what ``policy`` needs and nothing more (data minimisation): each
    document it accepts (docType for mdoc, vct for SD-JWT VC, in the policy's order of preference, at most
    ``MAX_REQUEST_ITEMS``; the wallet answers with the first it holds) -> the elements it requires. So the
    answer to a preset's request is judged by that same preset (specs/qr-presentation.md §4)."""
    catalogue = Catalogue.load_default() if catalogue is None else catalogue
    elements = tuple(dict.fromkeys(r.element for r in policy.requirements))
    items: dict[str, tuple[str, ...]] = {}
    for document in policy.documents:
        for fmt in catalogue.find(document).formats:
            items.setdefault(fmt.identifier, elements)
    if not items or not elements:
        raise InputError(f"the policy {policy.name!r} names no document or element to ask for", code="input.usage")
    return dict(list(items.items())[:MAX_REQUEST_ITEMS])
