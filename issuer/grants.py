"""The counter grant: what one approved offer may issue, to whom, how many copies, until when.

A clerk (or a verified remote request) approves an offer for the credential configurations the applicant is
eligible for, each with a number of copies (single-use batch copies, OpenID4VCI 1.0 §8.2). The grant is
stored as one ``GrantItem`` row per configuration; an access token obtained with the offer's pre-authorized
code can issue exactly that, never more (``issuer.issuance`` counts every copy against its item). What the
registers do not support is refused when the offer is made, with the reason, never silently replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.db.models import AccessToken, Business, GrantItem, IssuanceBatch, Licence, Offer, Person

DEFAULT_COPIES: Mapping[str, int] = {"age_attestation": 5}  # shown to strangers often: one fresh copy per use
MAX_COPIES = 10  # one batch request (the metadata's batch_size) fetches a whole item
COUNTER_ONLY = frozenset({"mdl"})  # never offered remotely: the licence needs the in-person check


class GrantError(ValueError):
    """An offer the rules refuse; ``code`` names the rule (``not_eligible``, ``copies``, ``empty`` ...)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Whether ``configuration`` can be issued to a person from the registers, and if not, why."""

    configuration: str
    reason: str | None  # None: eligible
    code: str | None = None

    @property
    def eligible(self) -> bool:
        return self.reason is None


def default_copies(configuration: str) -> int:
    return DEFAULT_COPIES.get(configuration, 1)


def eligibility(session: Session, person: Person, today: dt.date) -> tuple[Eligibility, ...]:
    """Every configuration the issuer describes, eligible or with the reason it is not (registers only)."""
    from issuer.credentials import CONFIGURATIONS

    licence = session.scalars(select(Licence).where(Licence.person_id == person.id)
                              .order_by(Licence.expiry_date.desc())).first()
    represents = session.scalars(select(func.count()).select_from(Business)
                                 .where(Business.representative_id == person.id)).one()
    out = []
    for config in CONFIGURATIONS:
        reason, code = None, None
        if config == "mdl" and licence is None:
            reason, code = "no licence in the licence register", "no_licence"
        elif config == "mdl" and licence is not None and licence.expiry_date < today:
            reason = f"the licence in the register expired on {licence.expiry_date.isoformat()}"
            code = "licence_expired"
        elif config == "age_attestation" and person.birth_date is None:
            reason, code = "no birth date in the resident register", "no_birth_date"
        elif config == "business_registration" and not represents:
            reason, code = "represents no business in the business register", "no_business"
        out.append(Eligibility(config, reason, code))
    return tuple(out)


def check_grant(session: Session, person: Person, copies: Mapping[str, int], today: dt.date, *,
                remote: bool = False) -> dict[str, int]:
    """The grant to record, or ``GrantError`` naming the first rule it breaks (nothing ticked, unknown or
    ineligible configuration, copies outside 1..MAX_COPIES, the licence asked for remotely)."""
    from issuer.credentials import CONFIGURATIONS

    if not copies:
        raise GrantError("choose at least one credential to offer", "empty")
    unknown = sorted(c for c in copies if c not in CONFIGURATIONS)
    if unknown:
        raise GrantError(f"configurations must be distinct known credential configurations "
                         f"({', '.join(sorted(CONFIGURATIONS))}); unknown: {', '.join(unknown)}", "unknown")
    if remote and COUNTER_ONLY & set(copies):
        raise GrantError("the licence is issued at a counter only", "counter_only")
    for config, count in copies.items():
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COPIES:
            raise GrantError(f"copies of {config} must be between 1 and {MAX_COPIES}", "copies")
    refused = [e for e in eligibility(session, person, today) if e.configuration in copies and not e.eligible]
    if refused:
        raise GrantError("; ".join(f"{e.configuration}: {e.reason}" for e in refused), "not_eligible")
    return dict(copies)


def record_grant(session: Session, offer: Offer, grant: Mapping[str, int]) -> None:
    for config, count in grant.items():
        session.add(GrantItem(offer_id=offer.id, configuration=config, copies=count))
    session.flush()


def grant_of(session: Session, offer_id: int) -> dict[str, int]:
    """configuration -> copies granted by the offer (in the issuer's configuration order)."""
    rows = session.scalars(select(GrantItem).where(GrantItem.offer_id == offer_id).order_by(GrantItem.id))
    return {row.configuration: row.copies for row in rows}


# ---- what the console shows: each offer's state --------------------------------------------------------------

WAITING, REDEEMED, PARTLY, FAILED, EXPIRED = "waiting", "redeemed", "partly_received", "failed", "expired"


@dataclass(frozen=True, slots=True)
class OfferProgress:
    """An offer as a clerk sees it: its state and, per configuration, copies issued of copies granted."""

    offer_id: int
    state: str  # waiting | redeemed | partly_received | failed | expired
    items: tuple[tuple[str, int, int], ...]  # (configuration, issued, granted)
    redeemed_at: dt.datetime | None
    expires_at: dt.datetime
    reason: str | None = None  # why failed: "burned" (too many wrong codes) or "wallet" (credential_failure)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def progress(session: Session, offer: Offer, now: dt.datetime) -> OfferProgress:
    items = tuple((row.configuration, row.issued, row.copies) for row in session.scalars(
        select(GrantItem).where(GrantItem.offer_id == offer.id).order_by(GrantItem.id)))
    failed = session.scalars(select(IssuanceBatch.id).where(
        IssuanceBatch.offer_id == offer.id, IssuanceBatch.event == "credential_failure").limit(1)).first()
    token_expiry = session.scalars(select(func.max(AccessToken.expires_at)).where(
        AccessToken.offer_id == offer.id)).one()
    redeemed_at = _aware(offer.redeemed_at) if offer.redeemed_at else None
    complete = all(issued >= granted for _, issued, granted in items)
    reason = None
    if offer.state == "burned":
        state, reason = FAILED, "burned"
    elif failed is not None:
        state, reason = FAILED, "wallet"
    elif offer.state == "open":
        state = EXPIRED if _aware(offer.expires_at) <= now else WAITING
    elif complete:
        state = REDEEMED
    elif token_expiry is not None and _aware(token_expiry) <= now:
        state = EXPIRED
    else:
        state = PARTLY
    return OfferProgress(offer.id, state, items, redeemed_at, _aware(offer.expires_at), reason)
