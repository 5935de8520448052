"""In-person checks and OpenID4VCI credential offers (pre-authorized code + tx_code).

A clerk records what was checked; that creates an offer whose pre-authorized code is single use and
valid 10 minutes, protected by a 6-digit tx_code shown only on the clerk's screen. Five wrong tx_codes burn
the offer. Codes are stored hashed; the plain values exist only in the clerk's response. The offer is a
grant (``issuer.grants``): exactly the configurations and copies approved, for that person.

Each offer can be passed by value (``credential_offer``) or by reference (``credential_offer_uri``,
OpenID4VCI 1.0 §4.1.3): the reference is 256 random bits; the database keeps its SHA-256 and the
pre-authorized code sealed (AES-GCM) under a key derived from it, so only the holder of the URI can have the
offer served, and only while it is open.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import execute
from issuer.db.models import InPersonCheck, Offer, Person, Staff
from issuer.db.tables import ACCESS_TOKENS, GRANT_ITEMS, OFFERS
from issuer.errors import OAuthError
from issuer.grants import check_grant, default_copies, record_grant
from issuer.security import (
    check_short_code,
    hash_short_code,
    new_token,
    new_tx_code,
    token_hash,
)

PRE_AUTH_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://?"
REFERENCE_PATH = "/credential-offer/"
DOCUMENT_KINDS = ("id_card", "passport", "driver_licence", "alien_registration_card")
ACCESS_TOKEN_TTL = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class CreatedOffer:
    offer_id: int
    offer_uri: str  # by value: openid-credential-offer://?credential_offer=...
    tx_code: str
    expires_at: dt.datetime
    reference_uri: str = ""  # by reference: openid-credential-offer://?credential_offer_uri=...
    grant: Mapping[str, int] | None = None  # configuration -> copies
    reference: str = ""  # the random part of the reference URI (a secret, like the code)


def offer_body(issuer_url: str, configurations: list[str], code: str, description: str) -> dict[str, object]:
    """The Credential Offer object (OpenID4VCI 1.0 §4.1.1) with the pre-authorized code grant and a tx_code."""
    return {"credential_issuer": issuer_url, "credential_configuration_ids": configurations,
            "grants": {PRE_AUTH_GRANT: {"pre-authorized_code": code,
                                        "tx_code": {"input_mode": "numeric", "length": 6,
                                                    "description": description}}}}


def _reference_key(reference: str) -> bytes:
    return hashlib.sha256(b"mobileid offer reference|" + reference.encode("utf-8", "surrogatepass")).digest()


def _seal_code(reference: str, code: str) -> str:
    nonce = secrets.token_bytes(12)
    return base64.b64encode(nonce + AESGCM(_reference_key(reference)).encrypt(nonce, code.encode(), b"")).decode()


def referenced_code(offer: Offer, reference: str) -> str | None:
    """The pre-authorized code of an offer found by its reference (None when the box does not open)."""
    return _open_box(offer.reference_box, reference)


def _open_box(sealed: str | None, reference: str) -> str | None:
    try:
        box = base64.b64decode(sealed or "")
        return AESGCM(_reference_key(reference)).decrypt(box[:12], box[12:], b"").decode()
    except (InvalidTag, ValueError):
        return None


def _publish(session: Session, offer: Offer, *, issuer_url: str, configurations: list[str], code: str,
             tx_code: str, description: str, grant: Mapping[str, int]) -> CreatedOffer:
    """Both forms of the offer's URI; stores the reference's hash and the sealed code."""
    reference = new_token()
    offer.reference_hash, offer.reference_box = token_hash(reference), _seal_code(reference, code)
    body = offer_body(issuer_url, configurations, code, description)
    by_value = OFFER_SCHEME + "credential_offer=" + urllib.parse.quote(json.dumps(body, separators=(",", ":")))
    by_reference = OFFER_SCHEME + "credential_offer_uri=" + urllib.parse.quote(
        f"{issuer_url}{REFERENCE_PATH}{reference}", safe="")
    return CreatedOffer(offer.id, by_value, tx_code, offer.expires_at, by_reference, dict(grant), reference)


def requested_copies(configurations: list[str], copies: Mapping[str, int] | None) -> dict[str, int]:
    """configuration -> copies for an offer of ``configurations`` (each configuration's default unless given)."""
    asked = dict(copies or {})
    if len(set(configurations)) != len(configurations) or set(asked) - set(configurations):
        from issuer.grants import GrantError

        raise GrantError("configurations must be distinct known credential configurations, and copies may name "
                         "only offered ones", "unknown")
    return {c: asked.get(c, default_copies(c)) for c in configurations}


def record_check(session: Session, *, staff: Staff, person: Person, document_kind: str, document_number: str,
                 photo_match: bool, notes: str, now: dt.datetime) -> InPersonCheck:
    if document_kind not in DOCUMENT_KINDS:
        raise ValueError("unknown identity document kind")
    if not document_number.strip() or len(document_number) > 40:
        raise ValueError("the document number is required (at most 40 characters)")
    check = InPersonCheck(person_id=person.id, staff_id=staff.id, office_id=staff.office_id,
                          document_kind=document_kind, document_number=document_number.strip(),
                          photo_match=photo_match, notes=notes[:1000], checked_at=now)
    session.add(check)
    session.flush()
    audit.append(session, actor=f"staff:{staff.id}", action="check.record", target=f"person:{person.id}",
                 detail={"check": check.id, "document_kind": document_kind, "photo_match": photo_match})
    return check


def create_offer(session: Session, *, check: InPersonCheck, staff: Staff, configurations: list[str],
                 issuer_url: str, ttl_seconds: int, now: dt.datetime, pepper: bytes,
                 copies: Mapping[str, int] | None = None) -> CreatedOffer:
    """The clerk's approval as a grant: ``configurations`` with ``copies`` each (defaults per configuration);
    the tx_code is stored as its HMAC under ``pepper`` (``issuer.keys.tx_code_pepper`` of the data folder).

    Raises ``GrantError`` (a ``ValueError``) with the reason when the applicant is not eligible."""
    if not check.photo_match:
        raise ValueError("no offer without a photo match")
    person = session.get(Person, check.person_id)
    assert person is not None
    grant = check_grant(session, person, requested_copies(configurations, copies), now.date())
    configurations = list(grant)
    code, tx_code = new_token(), new_tx_code()
    offer = Offer(check_id=check.id, person_id=check.person_id, code_hash=token_hash(code),
                  tx_code_hash=hash_short_code(tx_code, pepper), configurations=configurations,
                  expires_at=now + dt.timedelta(seconds=ttl_seconds), created_at=now)
    session.add(offer)
    session.flush()
    record_grant(session, offer, grant)
    audit.append(session, actor=f"staff:{staff.id}", action="offer.create", target=f"person:{check.person_id}",
                 detail={"offer": offer.id, "configurations": configurations, "copies": grant})
    return _publish(session, offer, issuer_url=issuer_url, configurations=configurations, code=code,
                    tx_code=tx_code, description="The 6 digits on the clerk's screen", grant=grant)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _reject(session: Session, offer_id: int | None, reason: str, error: OAuthError) -> OAuthError:
    """Audit a refused redemption (offer id and reason only, never a code) and keep it with the attempt count."""
    audit.append(session, actor="wallet", action="token.reject", target=f"offer:{offer_id}" if offer_id else "",
                 detail={"error": error.error, "reason": reason})
    session.commit()
    return error


@dataclass(frozen=True, slots=True)
class Redeemed:
    """A successful token request: the access token (returned once, stored as a hash), and its offer's grant."""

    access_token: str
    expires_in: int  # seconds
    grant: dict[str, int]  # configuration -> copies, in the offer's order


_REDEEM = (select(OFFERS.c.id, OFFERS.c.state, OFFERS.c.expires_at, OFFERS.c.tx_code_hash, OFFERS.c.failed_attempts,
                  OFFERS.c.person_id, OFFERS.c.configurations, GRANT_ITEMS.c.configuration.label("granted"),
                  GRANT_ITEMS.c.copies)
           .select_from(OFFERS.outerjoin(GRANT_ITEMS, GRANT_ITEMS.c.offer_id == OFFERS.c.id))
           .where(OFFERS.c.code_hash == bindparam("code_hash")).order_by(GRANT_ITEMS.c.id).with_for_update(of=OFFERS))
_WIN = (update(OFFERS).where(OFFERS.c.id == bindparam("offer_id"), OFFERS.c.state == "open")
        .values(state="redeemed", redeemed_at=bindparam("now")))
_NEW_TOKEN = insert(ACCESS_TOKENS)
_BY_REFERENCE = (select(OFFERS.c.state, OFFERS.c.expires_at, OFFERS.c.reference_box, OFFERS.c.remote,
                        OFFERS.c.configurations).where(OFFERS.c.reference_hash == bindparam("reference_hash")))


def redeem(session: Session, *, code: str, tx_code: str | None, max_attempts: int, now: dt.datetime,
           pepper: bytes) -> Redeemed:
    """OpenID4VCI §6.1 token request with a pre-authorized code, in one transaction committed here; the
    tx_code is checked as its HMAC under ``pepper`` (``issuer.keys.tx_code_pepper`` of the data folder).

    The offer is read with its grant and locked in one query; every refusal is audited and committed before
    the ``OAuthError`` is raised (a wrong tx_code counts, and burns the offer at ``max_attempts``).
    """
    rows = execute(session, _REDEEM, {"code_hash": token_hash(code)}).all()
    offer = rows[0] if rows else None
    if offer is None or offer.state != "open" or _aware(offer.expires_at) <= now:
        reason = "unknown" if offer is None else offer.state if offer.state != "open" else "expired"
        raise _reject(session, offer.id if offer else None, reason, OAuthError(
            "invalid_grant", "the pre-authorized code is unknown, used, burned or expired"))
    if not tx_code:  # §6.3: a missing tx_code is invalid_request, and is no guess
        raise _reject(session, offer.id, "tx_code_missing", OAuthError("invalid_request", "tx_code is required"))
    if not check_short_code(offer.tx_code_hash, tx_code, pepper):
        attempts = offer.failed_attempts + 1
        burned = attempts >= max_attempts
        session.execute(update(OFFERS).where(OFFERS.c.id == offer.id)
                        .values(failed_attempts=attempts, state="burned" if burned else offer.state))
        if burned:
            audit.append(session, actor="wallet", action="offer.burn", target=f"offer:{offer.id}")
        # the attempt counts even though the request fails; the holder is told how many tries are left
        left = max(0, max_attempts - attempts)
        raise _reject(session, offer.id, "tx_code_wrong", OAuthError(
            "invalid_grant", f"the transaction code is wrong; {left} attempt{'' if left == 1 else 's'} left"))
    # A conditional update, so two concurrent redemptions cannot both win (portable across databases).
    won = execute(session, _WIN, {"offer_id": offer.id, "now": now})
    if won.rowcount != 1:
        session.rollback()
        raise _reject(session, offer.id, "lost_race",
                      OAuthError("invalid_grant", "the pre-authorized code was already used"))
    token = new_token()
    execute(session, _NEW_TOKEN, {"token_hash": token_hash(token), "person_id": offer.person_id,
                                  "configurations": offer.configurations,
                                  "expires_at": now + ACCESS_TOKEN_TTL, "offer_id": offer.id})
    audit.append(session, actor="wallet", action="offer.redeem", target=f"offer:{offer.id}")
    session.commit()
    grant = {row.granted: row.copies for row in rows if row.granted is not None}
    return Redeemed(token, int(ACCESS_TOKEN_TTL.total_seconds()), grant)


def offer_by_reference(session: Session, reference: str, now: dt.datetime, issuer_url: str,
                       ) -> dict[str, object] | None:
    """The Credential Offer object behind a ``credential_offer_uri`` while the offer is open, else None."""
    offer = execute(session, _BY_REFERENCE, {"reference_hash": token_hash(reference)}).first()
    if offer is None or offer.state != "open" or _aware(offer.expires_at) <= now:
        return None
    code = _open_box(offer.reference_box, reference)
    if code is None:
        return None
    description = ("Sent to the wallet with the remote offer" if offer.remote
                   else "The 6 digits on the clerk's screen")
    return offer_body(issuer_url, list(offer.configurations), code, description)



def create_remote_offer(session: Session, *, person: Person, licence_credential_id: int, configurations: list[str],
                        issuer_url: str, ttl_seconds: int, now: dt.datetime, pepper: bytes,
                        copies: Mapping[str, int] | None = None) -> CreatedOffer:
    """An offer for a holder who authenticated remotely with the mDL issued after an in-person check.

    No clerk is involved: the offer rests on the person's latest photo-matched in-person check (the first
    visit), which it references. It is the same kind of grant as a counter offer, bounded the same way
    (eligible configurations only, at most ``MAX_COPIES`` each); the licence itself is counter-only and
    refused (age attestations may be refilled remotely: derived from the registers, bound to the licence just
    proved). The tx_code is returned to the authenticated caller only (``redeem`` requires one).
    """
    grant = check_grant(session, person, requested_copies(configurations, copies), now.date(), remote=True)
    configurations = list(grant)
    check = session.scalars(select(InPersonCheck).where(InPersonCheck.person_id == person.id,
                                                        InPersonCheck.photo_match.is_(True))
                            .order_by(InPersonCheck.checked_at.desc(), InPersonCheck.id.desc()).limit(1)).first()
    if check is None:
        raise ValueError("no in-person check on record for this person")
    code, tx_code = new_token(), new_tx_code()
    offer = Offer(check_id=check.id, person_id=person.id, code_hash=token_hash(code),
                  tx_code_hash=hash_short_code(tx_code, pepper), configurations=configurations,
                  expires_at=now + dt.timedelta(seconds=ttl_seconds), created_at=now, remote=True)
    session.add(offer)
    session.flush()
    record_grant(session, offer, grant)
    audit.append(session, actor="wallet", action="offer.remote", target=f"person:{person.id}",
                 detail={"offer": offer.id, "check": check.id, "credential": licence_credential_id,
                         "configurations": configurations, "copies": grant})
    return _publish(session, offer, issuer_url=issuer_url, configurations=configurations, code=code,
                    tx_code=tx_code, description="Sent to the wallet with the remote offer", grant=grant)
