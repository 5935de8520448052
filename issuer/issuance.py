"""Credential issuance under a grant (OpenID4VCI 1.0 §8): proofs, the grant's count, supersede, signing.

The route (``issuer.web.oid4vci``) parses the HTTP request; this module decides. A batch request is checked
in an order that spends nothing on a refusal: the proofs (Appendix F.1) first, then the grant (the copies
still due, and re-issues after a lost answer), and only then the c_nonce is consumed, the grant counted
and the credentials signed, all in the caller's transaction.

Retries: a wallet that asks again with a device key it already holds a live credential of this grant for
never received the first answer (the response was lost after our commit). The earlier copy is revoked
(superseded) and a new one issued in its place: the retry counts against the grant's re-issue budget
(``MAX_REISSUES_PER_COPY`` per copy), never as an extra live copy.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer import audit
from issuer.credentials import CONFIGURATIONS, Issued, NotEligibleError, issue_credential, thumbprint
from issuer.db.models import AccessToken, Credential, GrantItem, InPersonCheck, IssuanceBatch, Nonce, Offer, Person
from issuer.errors import OAuthError
from issuer.keys import IssuerKeys
from issuer.status import change_status
from specs.crypto import PublicKey
from specs.errors import MobileIdError
from specs.jose import Jws, key_from_jwk

PROOF_TYPE = "openid4vci-proof+jwt"
PROOF_ALGORITHMS = ("ES256",)  # what the metadata advertises (proof_signing_alg_values_supported); only these
MAX_BATCH = 10
PROOF_MAX_AGE = 300  # seconds a proof's iat may be off our clock
MAX_REISSUES_PER_COPY = 2
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


IssuanceRefusal = OAuthError  # a refused credential request: OpenID4VCI 1.0 §8.3.1.2 code, audit reason


@dataclass(frozen=True, slots=True)
class Batch:
    issued: tuple[Issued, ...]
    notification_id: str


@dataclass(frozen=True, slots=True)
class _Proofs:
    keys: tuple[PublicKey, ...]
    nonce: str


def _verified_proofs(proofs: list[str], *, audience: str, now: dt.datetime) -> _Proofs:
    """OpenID4VCI 1.0 Appendix F.1: typ, an advertised alg, a public jwk and no ``kid`` or ``x5c`` beside it
    (F.1: the key is named one way only), a JWS that verifies, aud, iat, and one c_nonce for the whole batch;
    each proof of a batch on its own key. The nonce is not consumed here."""
    if not 1 <= len(proofs) <= MAX_BATCH:
        raise IssuanceRefusal("invalid_proof", f"between 1 and {MAX_BATCH} jwt proofs are required")
    keys: list[PublicKey] = []
    nonces: set[str] = set()
    for proof in proofs:
        try:
            jws = Jws.parse(proof)
            jwk = jws.header.get("jwk")
            if jws.typ != PROOF_TYPE or not isinstance(jwk, dict) or "d" in jwk:
                raise IssuanceRefusal("invalid_proof", "a proof must be an openid4vci-proof+jwt with a public jwk")
            if "kid" in jws.header or "x5c" in jws.header:
                raise IssuanceRefusal("invalid_proof", "a proof names its key by jwk alone, without kid or x5c")
            if jws.header.get("alg") not in PROOF_ALGORITHMS:
                raise IssuanceRefusal("invalid_proof", f"a proof is signed with {', '.join(PROOF_ALGORITHMS)}")
            key = key_from_jwk(jwk)
            jws.verify(key)
        except MobileIdError:
            raise IssuanceRefusal("invalid_proof", "a proof does not verify") from None
        claims = jws.payload
        iat = claims.get("iat")
        if claims.get("aud") != audience or type(iat) is not int or abs(now.timestamp() - iat) > PROOF_MAX_AGE:
            raise IssuanceRefusal("invalid_proof", "a proof has the wrong audience or time")
        nonces.add(str(claims.get("nonce")))
        keys.append(key)
    if len({k.public_bytes(*_SPKI) for k in keys}) != len(keys):
        raise IssuanceRefusal("invalid_proof", "each proof of a batch needs its own key")
    if len(nonces) != 1:
        raise IssuanceRefusal("invalid_nonce", "all proofs must carry the same c_nonce")
    return _Proofs(tuple(keys), nonces.pop())


NONCE_TEXT = re.compile(r"[A-Za-z0-9_.~-]{1,64}")  # what POST /nonce hands out (token_urlsafe), with room


def _check_nonce(session: Session, nonce: str, now: dt.datetime) -> None:
    """Refuse an unknown, used or expired c_nonce before anything else is looked at (a replayed proof is
    reported as one); ``_consume_nonce`` takes it atomically later. A value that is no nonce of ours (NUL, a
    lone surrogate: no database can even be asked about it) is refused the same way."""
    if not NONCE_TEXT.fullmatch(nonce):
        raise IssuanceRefusal("invalid_nonce", "the c_nonce is unknown, used or expired")
    usable = session.scalars(select(Nonce.id).where(Nonce.value == nonce, Nonce.used.is_(False),
                                                    Nonce.expires_at > now)).first()
    if usable is None:
        raise IssuanceRefusal("invalid_nonce", "the c_nonce is unknown, used or expired")


def _consume_nonce(session: Session, nonce: str, now: dt.datetime) -> None:
    used = session.execute(update(Nonce).where(Nonce.value == nonce, Nonce.used.is_(False), Nonce.expires_at > now)
                           .values(used=True))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise IssuanceRefusal("invalid_nonce", "the c_nonce is unknown, used or expired")


def _grant_item(session: Session, access: AccessToken, configuration: str) -> GrantItem:
    item = None if access.offer_id is None else session.scalars(select(GrantItem).where(
        GrantItem.offer_id == access.offer_id, GrantItem.configuration == configuration).with_for_update()).first()
    if item is None:
        raise IssuanceRefusal("unknown_credential_configuration", "this token does not cover that credential")
    return item


def _live_under(session: Session, item: GrantItem) -> dict[str, Credential]:
    """thumbprint -> live credential already issued under ``item`` (what a retry would supersede)."""
    rows = session.scalars(select(Credential).where(Credential.grant_item_id == item.id,
                                                    Credential.status != "revoked"))
    return {row.holder_key_thumbprint: row for row in rows}


def _count(session: Session, item: GrantItem, new: int, retries: int) -> None:
    """Count ``new`` copies and ``retries`` re-issues against the grant, atomically (one conditional UPDATE,
    so two concurrent requests cannot both take the last copy)."""
    limit = item.copies * MAX_REISSUES_PER_COPY
    counted = session.execute(update(GrantItem).where(
        GrantItem.id == item.id, GrantItem.issued + new <= GrantItem.copies,
        GrantItem.reissued + retries <= limit).values(issued=GrantItem.issued + new,
                                                      reissued=GrantItem.reissued + retries)
        .execution_options(synchronize_session=False))
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(item)
        if item.issued + new > item.copies:
            raise IssuanceRefusal("credential_request_denied",
                                  f"the offer grants {item.copies} of {item.configuration}; {item.issued} already "
                                  f"issued, {new} more asked for", "beyond_grant")
        raise IssuanceRefusal("credential_request_denied", "too many repeated requests for the same copies",
                              "reissue_limit")


def issuing_office(session: Session, access: AccessToken) -> int | None:
    """The office of the in-person check behind the token's offer (a remote offer references the person's check)."""
    if access.offer_id is None:
        return None
    office: int | None = session.scalars(select(InPersonCheck.office_id).join(
        Offer, Offer.check_id == InPersonCheck.id).where(Offer.id == access.offer_id)).first()
    return office


def supersede(session: Session, person_id: int, configuration: str, keys: tuple[PublicKey, ...]) -> None:
    """One live credential per person, type and device key: revoke earlier ones bound to these keys."""
    type_id = CONFIGURATIONS[configuration][0]
    for key in keys:
        earlier = session.scalars(select(Credential).where(
            Credential.person_id == person_id, Credential.type_id == type_id,
            Credential.holder_key_thumbprint == thumbprint(key), Credential.status != "revoked")).all()
        for row in earlier:
            change_status(session, row, "revoked", actor="issuer", reason="superseded by a retry with the same key")


def issue_batch(session: Session, keys: IssuerKeys, *, access: AccessToken, configuration: str, proofs: list[str],
                public_url: str, list_size: int, now: dt.datetime) -> Batch:
    """One credential per proof, under the token's grant; raises ``IssuanceRefusal`` having changed nothing
    (except a consumed nonce when signing itself is refused: the caller rolls back or commits the refusal)."""
    if configuration not in CONFIGURATIONS or configuration not in access.configurations:
        raise IssuanceRefusal("unknown_credential_configuration", "this token does not cover that credential")
    verified = _verified_proofs(proofs, audience=public_url.rstrip("/"), now=now)
    _check_nonce(session, verified.nonce, now)
    item = _grant_item(session, access, configuration)
    live = _live_under(session, item)
    retries = sum(1 for key in verified.keys if thumbprint(key) in live)
    _count(session, item, len(verified.keys) - retries, retries)
    _consume_nonce(session, verified.nonce, now)
    person = session.get(Person, access.person_id)
    assert person is not None
    office_id = issuing_office(session, access)
    supersede(session, person.id, configuration, verified.keys)
    try:
        issued = tuple(issue_credential(session, keys, person=person, configuration=configuration, holder_key=key,
                                        public_url=public_url, list_size=list_size, now=now, office_id=office_id,
                                        grant_item_id=item.id) for key in verified.keys)
    except NotEligibleError as exc:
        raise IssuanceRefusal("credential_request_denied", str(exc), "not_eligible") from None
    notification = secrets.token_urlsafe(16)
    session.add(IssuanceBatch(offer_id=access.offer_id, access_token_id=access.id, configuration=configuration,
                              count=len(issued), notification_id=notification, issued_at=now))
    audit.append(session, actor="wallet", action="credential.batch", target=f"person:{person.id}",
                 detail={"count": len(issued), "retries": retries, "offer": access.offer_id,
                         "notification": notification})
    return Batch(issued, notification)


NOTIFICATION_EVENTS = ("credential_accepted", "credential_failure", "credential_deleted")


def record_notification(session: Session, access: AccessToken, notification_id: str, event: str,
                        now: dt.datetime) -> None:
    """OpenID4VCI 1.0 §11: the wallet's word on one credential response of this token."""
    if event not in NOTIFICATION_EVENTS:
        raise IssuanceRefusal("invalid_notification_request", "unknown event")
    batch = session.scalars(select(IssuanceBatch).where(IssuanceBatch.notification_id == notification_id,
                                                        IssuanceBatch.access_token_id == access.id)).first()
    if batch is None:
        raise IssuanceRefusal("invalid_notification_id", "no credential response of this token has that id")
    batch.event, batch.event_at = event, now
    audit.append(session, actor="wallet", action=f"notification.{event}", target=f"offer:{batch.offer_id}",
                 detail={"configuration": batch.configuration, "count": batch.count})
