"""Credential issuance under a grant (OpenID4VCI 1.0 §8): the access token, proofs, the grant's count,
supersede, signing, and the wallet's notification (§11).

The routes (``issuer.web.oid4vci``) parse HTTP and render answers; this module decides, audits and owns the
transaction: one per request, committed here. A batch request is checked in an order that spends nothing on
a refusal: the proofs (Appendix F.1) first, then the c_nonce (consumed), the grant (the copies still due,
and re-issues after a lost answer, under a row lock), and only then the credentials are signed. A refusal
rolls all of it back (not the count, not the nonce use) and is audited by its error code alone in a
transaction of its own.

Retries: a wallet that asks again with a device key it already holds a live credential of this grant for
never received the first answer (the response was lost after our commit). The earlier copy is revoked
(superseded) and a new one issued in its place: the retry counts against the grant's re-issue budget
(``MAX_REISSUES_PER_COPY`` per copy), never as an extra live copy.

Each question is one statement on the Core tables (``issuer.db.tables``), not an ORM load, so a credential
request with one proof costs about ten statements (see ``benchmarks/issuance.py``).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from issuer import audit
from issuer.credentials import (
    CONFIGURATIONS,
    HOLDER_COLUMNS,
    Issued,
    NotEligibleError,
    holder_of,
    issue_credentials,
    thumbprint,
)
from issuer.db import execute
from issuer.db.models import Credential, Licence, Person
from issuer.db.tables import (
    ACCESS_TOKENS,
    BATCHES,
    CHECKS,
    CREDENTIALS,
    GRANT_ITEMS,
    LICENCES,
    NONCES,
    OFFERS,
    PERSONS,
)
from issuer.errors import OAuthError
from issuer.keys import IssuerKeys
from issuer.limits import count_refusal
from issuer.security import token_hash
from issuer.status import CurrentList, change_status
from specs.crypto import PublicKey
from specs.errors import MobileIdError
from specs.jose import Jws, key_from_jwk

PROOF_TYPE = "openid4vci-proof+jwt"
PROOF_ALGORITHMS = ("ES256",)  # what the metadata advertises (proof_signing_alg_values_supported); only these
MAX_BATCH = 10
PROOF_MAX_AGE = 300  # seconds a proof's iat may be off our clock
MAX_REISSUES_PER_COPY = 2
NONCE_TTL = dt.timedelta(minutes=5)
NOTIFICATION_EVENTS = ("credential_accepted", "credential_failure", "credential_deleted")
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# a refused credential or notification request: the OpenID4VCI 1.0 §8.3.1.2 / §11.3 code, the HTTP status
# (401 for a missing, unknown or expired access token), the audit reason
IssuanceRefusal = OAuthError


@dataclass(frozen=True, slots=True)
class Batch:
    issued: tuple[Issued, ...]
    notification_id: str


@dataclass(frozen=True, slots=True)
class Access:
    """An access token that is still valid: whose it is, what it covers, the office of its in-person check, and
    the holder's register rows (read with it: one statement fewer per credential request)."""

    id: int
    person_id: int
    configurations: tuple[str, ...]
    offer_id: int | None
    office_id: int | None
    holder: tuple[Person, Licence | None]


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


def jwt_proofs(proofs: Mapping[str, list[str]] | None, proof: Mapping[str, str] | None) -> list[str]:
    """The request's jwt proofs (OpenID4VCI 1.0 §8.2): ``proofs`` or the single ``proof``, never both."""
    if proofs is not None and (proof is not None or set(proofs) != {"jwt"}):
        raise IssuanceRefusal("invalid_credential_request", "send one of proof or proofs, with jwt proofs only")
    return list((proofs or {}).get("jwt") or ([proof["jwt"]] if proof and "jwt" in proof else []))


# The hot path's statements are built once (with bind parameters), so a request neither constructs them nor
# computes their cache keys; they run on the session's connection, in its transaction.
_ACCESS = (select(ACCESS_TOKENS.c.id, ACCESS_TOKENS.c.person_id, ACCESS_TOKENS.c.configurations,
                  ACCESS_TOKENS.c.expires_at, ACCESS_TOKENS.c.offer_id, CHECKS.c.office_id, *HOLDER_COLUMNS)
           .select_from(ACCESS_TOKENS.outerjoin(OFFERS, OFFERS.c.id == ACCESS_TOKENS.c.offer_id)
                        .outerjoin(CHECKS, CHECKS.c.id == OFFERS.c.check_id)
                        .join(PERSONS, PERSONS.c.id == ACCESS_TOKENS.c.person_id)
                        .outerjoin(LICENCES, LICENCES.c.person_id == PERSONS.c.id))
           .where(ACCESS_TOKENS.c.token_hash == bindparam("token_hash")).order_by(LICENCES.c.id).limit(1))
_USE_NONCE = (update(NONCES).where(NONCES.c.value == bindparam("nonce"), NONCES.c.used.is_(False),
                                   NONCES.c.expires_at > bindparam("now")).values(used=True))
_c, _g = CREDENTIALS.c, GRANT_ITEMS.c
_BOUND = and_(_c.person_id == bindparam("person_id"), _c.type_id == bindparam("type_id"),
              _c.holder_key_thumbprint.in_(bindparam("thumbprints", expanding=True)))
_GRANT = (select(_g.id, _g.copies, _g.issued, _g.reissued, _c.id.label("cid"), _c.grant_item_id,
                 _c.holder_key_thumbprint, _BOUND.label("bound"))
          .select_from(GRANT_ITEMS.outerjoin(CREDENTIALS, and_(_c.status != "revoked",
                                                                or_(_c.grant_item_id == _g.id, _BOUND))))
          .where(_g.offer_id == bindparam("offer_id"), _g.configuration == bindparam("configuration"))
          .with_for_update(of=GRANT_ITEMS))
_COUNT = (update(GRANT_ITEMS).where(_g.id == bindparam("item"), _g.issued + bindparam("new") <= _g.copies,
                                    _g.reissued + bindparam("retries") <= bindparam("limit"))
          .values(issued=_g.issued + bindparam("new"), reissued=_g.reissued + bindparam("retries")))
_BATCH = insert(BATCHES)
_NEW_NONCE = insert(NONCES)
_TOKEN = select(ACCESS_TOKENS.c.id).where(ACCESS_TOKENS.c.token_hash == bindparam("token_hash"),
                                          ACCESS_TOKENS.c.expires_at > bindparam("now")).scalar_subquery()
_NOTIFY = (update(BATCHES).where(BATCHES.c.notification_id == bindparam("notification"),
                                 BATCHES.c.access_token_id == _TOKEN)
           .values(event=bindparam("wallet_event"), event_at=bindparam("now"))
           .returning(BATCHES.c.offer_id, BATCHES.c.configuration, BATCHES.c.count))


def authorize(session: Session, authorization: str | None, now: dt.datetime) -> Access:
    """The ``Authorization: Bearer`` access token (RFC 6750), with the office of the in-person check behind its
    offer (a remote offer references the person's check) and the holder's person and licence rows, in one
    query; 401 ``invalid_token`` otherwise."""
    if authorization and authorization.startswith("Bearer "):
        row = execute(session, _ACCESS, {"token_hash": token_hash(authorization[7:])}).first()
        if row is not None and _aware(row.expires_at) > now:
            return Access(row.id, row.person_id, tuple(row.configurations), row.offer_id, row.office_id,
                          holder_of(row._asdict()))
    raise IssuanceRefusal("invalid_token", "a valid access token is required", status=401)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def refuse(session: Session, action: str, refusal: IssuanceRefusal, target: str = "", *,
           now: dt.datetime) -> IssuanceRefusal:
    """Record a refused wallet request and commit. One that names a person (a valid access token) is audited
    by its error code only (no tokens, proofs or claims); an anonymous one is only counted, per minute and
    kind (``issuer.limits.count_refusal``), so anonymous requests cannot grow the hash-chained log."""
    if target.startswith("person:"):
        detail = {"error": refusal.error} | ({"reason": refusal.reason} if refusal.reason else {})
        audit.append(session, actor="wallet", action=action, target=target[:80], detail=detail)
    else:
        count_refusal(session, f"{action}:{refusal.error}", now)
    session.commit()
    return refusal


def new_nonce(session: Session, now: dt.datetime) -> str:
    """A fresh c_nonce (§7): random, single use, valid for ``NONCE_TTL``; one INSERT, committed."""
    value = secrets.token_urlsafe(24)
    execute(session, _NEW_NONCE, {"value": value, "expires_at": now + NONCE_TTL, "used": False})
    session.commit()
    return value


NONCE_TEXT = re.compile(r"[A-Za-z0-9_.~-]{1,64}")  # what POST /nonce hands out (token_urlsafe), with room


def _consume_nonce(session: Session, nonce: str, now: dt.datetime) -> None:
    """Take the c_nonce (single use) in one conditional UPDATE: an unknown, used or expired one is refused,
    and of two requests with the same nonce only one takes it. A later refusal rolls the use back. A value
    that is no nonce of ours (NUL, a lone surrogate: no database can even be asked about it) is refused the
    same way before the database is asked."""
    if not NONCE_TEXT.fullmatch(nonce):
        raise IssuanceRefusal("invalid_nonce", "the c_nonce is unknown, used or expired")
    used = execute(session, _USE_NONCE, {"nonce": nonce, "now": now})
    if used.rowcount != 1:
        raise IssuanceRefusal("invalid_nonce", "the c_nonce is unknown, used or expired")


@dataclass(frozen=True, slots=True)
class _Grant:
    id: int
    configuration: str
    copies: int
    issued: int
    reissued: int
    live: frozenset[str]  # thumbprints of the live credentials issued under this grant item
    earlier: tuple[int, ...]  # live credentials of this person and type bound to the request's keys


def _grant(session: Session, access: Access, configuration: str, thumbprints: list[str]) -> _Grant:
    """The token's grant item for ``configuration``, locked until the commit (so two concurrent requests cannot
    both take the last copy), with the live credentials a retry would supersede, in one query."""
    if access.offer_id is None:
        raise IssuanceRefusal("unknown_credential_configuration", "this token does not cover that credential")
    rows = execute(session, _GRANT, {
        "offer_id": access.offer_id, "configuration": configuration, "person_id": access.person_id,
        "type_id": CONFIGURATIONS[configuration][0], "thumbprints": thumbprints}).all()
    if not rows:
        raise IssuanceRefusal("unknown_credential_configuration", "this token does not cover that credential")
    first = rows[0]
    live = frozenset(r.holder_key_thumbprint for r in rows if r.cid is not None and r.grant_item_id == first.id)
    earlier = tuple(r.cid for r in rows if r.cid is not None and r.bound)
    return _Grant(first.id, configuration, first.copies, first.issued, first.reissued, live, earlier)


def _count(session: Session, grant: _Grant, new: int, retries: int) -> None:
    """Count ``new`` copies and ``retries`` re-issues against the grant item (locked by ``_grant``); the UPDATE
    keeps its conditions, so the count can never pass the grant even without the lock."""
    limit = grant.copies * MAX_REISSUES_PER_COPY
    if grant.issued + new > grant.copies:
        raise IssuanceRefusal("credential_request_denied",
                              f"the offer grants {grant.copies} of {grant.configuration}; {grant.issued} already "
                              f"issued, {new} more asked for", "beyond_grant")
    if grant.reissued + retries > limit:
        raise IssuanceRefusal("credential_request_denied", "too many repeated requests for the same copies",
                              "reissue_limit")
    counted = execute(session, _COUNT, {"item": grant.id, "new": new, "retries": retries, "limit": limit})
    if counted.rowcount != 1:
        raise IssuanceRefusal("credential_request_denied", "the grant changed meanwhile; ask again", "beyond_grant")


def supersede(session: Session, credential_ids: tuple[int, ...]) -> None:
    """One live credential per person, type and device key: revoke the earlier ones bound to the new keys."""
    if credential_ids:
        for row in session.scalars(select(Credential).where(Credential.id.in_(credential_ids))
                                   .order_by(Credential.id)):
            change_status(session, row, "revoked", actor="issuer", reason="superseded by a retry with the same key")


def issue_batch(session: Session, keys: IssuerKeys, *, access: Access, configuration: str, proofs: list[str],
                public_url: str, lists: CurrentList, list_size: int, now: dt.datetime) -> Batch:
    """One credential per proof, under the token's grant, in the caller's transaction; raises
    ``IssuanceRefusal`` (the caller rolls back: the nonce use and the count go with it)."""
    if configuration not in CONFIGURATIONS or configuration not in access.configurations:
        raise IssuanceRefusal("unknown_credential_configuration", "this token does not cover that credential")
    verified = _verified_proofs(proofs, audience=public_url.rstrip("/"), now=now)
    _consume_nonce(session, verified.nonce, now)
    thumbprints = [thumbprint(key) for key in verified.keys]
    grant = _grant(session, access, configuration, thumbprints)
    retries = sum(1 for t in thumbprints if t in grant.live)
    _count(session, grant, len(thumbprints) - retries, retries)
    supersede(session, grant.earlier)
    try:
        person, licence = access.holder
        status_list = lists.get(session, public_url, list_size)
        issued = issue_credentials(session, keys, person=person, licence=licence, configuration=configuration,
                                   holder_keys=verified.keys, public_url=public_url,
                                   status_list=status_list, now=now,
                                   office_id=access.office_id, grant_item_id=grant.id)
        lists.placed(session, status_list, len(issued), list_size)
    except NotEligibleError as exc:
        raise IssuanceRefusal("credential_request_denied", str(exc), "not_eligible") from None
    notification = secrets.token_urlsafe(16)
    execute(session, _BATCH, {"offer_id": access.offer_id, "access_token_id": access.id,
                              "configuration": configuration, "count": len(issued),
                              "notification_id": notification, "issued_at": now})
    audit.append(session, actor="wallet", action="credential.batch", target=f"person:{person.id}",
                 detail={"count": len(issued), "retries": retries, "offer": access.offer_id,
                         "notification": notification})
    return Batch(issued, notification)


def request_credentials(session: Session, keys: IssuerKeys, *, authorization: str | None, configuration: str,
                        proofs: Mapping[str, list[str]] | None, proof: Mapping[str, str] | None, public_url: str,
                        lists: CurrentList, list_size: int, now: dt.datetime) -> Batch:
    """The credential endpoint (§8) with the request's ``proofs`` / ``proof`` members: authorize, issue and
    commit; a refusal is rolled back, audited (``credential.reject``), committed and raised."""
    try:
        access = authorize(session, authorization, now)
    except IssuanceRefusal as refusal:
        raise refuse(session, "credential.reject", refusal, now=now) from None
    try:
        batch = issue_batch(session, keys, access=access, configuration=configuration,
                            proofs=jwt_proofs(proofs, proof),
                            public_url=public_url, lists=lists, list_size=list_size, now=now)
    except IssuanceRefusal as refusal:  # nothing of the refused request is kept: not the count, not the nonce use
        session.rollback()
        raise refuse(session, "credential.reject", refusal, f"person:{access.person_id}", now=now) from None
    session.commit()
    return batch


def record_notification(session: Session, *, authorization: str | None, notification_id: str, event: str,
                        now: dt.datetime) -> None:
    """OpenID4VCI 1.0 §11: the wallet's word on one credential response of its token, recorded in one UPDATE
    (the token is looked up on its own only when that finds nothing, to tell a 401 from a 400); refusals are
    audited (``notification.reject``) and committed, then raised."""
    access: Access | None = None  # known once the token is: a refusal then names the person
    try:
        if event not in NOTIFICATION_EVENTS:
            access = authorize(session, authorization, now)
            raise IssuanceRefusal("invalid_notification_request", "unknown event")
        row = execute(session, _NOTIFY, {
            "notification": notification_id, "token_hash": token_hash(authorization[7:]), "wallet_event": event,
            "now": now}).first() if authorization and authorization.startswith("Bearer ") else None
        if row is None:
            access = authorize(session, authorization, now)
            raise IssuanceRefusal("invalid_notification_id", "no credential response of this token has that id")
    except IssuanceRefusal as refusal:
        session.rollback()
        target = f"person:{access.person_id}" if access is not None else ""
        raise refuse(session, "notification.reject", refusal, target, now=now) from None
    audit.append(session, actor="wallet", action=f"notification.{event}", target=f"offer:{row.offer_id}",
                 detail={"configuration": row.configuration, "count": row.count})
    session.commit()
