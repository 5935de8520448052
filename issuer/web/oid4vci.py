"""OpenID4VCI 1.0 endpoints: metadata, token (pre-authorized code + tx_code), nonce, credential, notification.

Pydantic stops at this edge; below it the issuer's services take plain typed values.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select, update

from issuer import audit
from issuer.credentials import CONFIGURATIONS, NotEligibleError, issue_credential
from issuer.db.models import AccessToken, Nonce, Person
from issuer.offers import PRE_AUTH_GRANT, OfferError, redeem
from issuer.security import token_hash
from issuer.web.state import State, state
from specs.catalogue import Catalogue
from specs.crypto import PublicKey
from specs.errors import MobileIdError
from specs.jose import Jws, key_from_jwk

router = APIRouter()
PROOF_TYPE = "openid4vci-proof+jwt"
MAX_BATCH = 10
NONCE_TTL = dt.timedelta(minutes=5)


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store"})


@router.get("/.well-known/openid-credential-issuer")
def issuer_metadata(request: Request) -> dict[str, Any]:
    st = state(request)
    base = st.settings.public_url.rstrip("/")
    catalogue = Catalogue.load_default()
    configs: dict[str, Any] = {}
    for config_id, (type_id, fmt) in CONFIGURATIONS.items():
        doc = catalogue.get(type_id)
        entry: dict[str, Any] = {"format": fmt, "scope": config_id,
                                 "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
                                 "display": [{"name": doc.display_name(lang), "locale": lang} for lang in ("ko", "en")]}
        if fmt == "mso_mdoc":
            entry |= {"doctype": doc.doctype, "cryptographic_binding_methods_supported": ["cose_key"],
                      "credential_signing_alg_values_supported": [-7]}
        else:
            entry |= {"vct": doc.vct, "cryptographic_binding_methods_supported": ["jwk"],
                      "credential_signing_alg_values_supported": ["ES256"]}
        configs[config_id] = entry
    return {"credential_issuer": base, "credential_endpoint": f"{base}/credential",
            "nonce_endpoint": f"{base}/nonce",
            "notification_endpoint": f"{base}/notification", "batch_credential_issuance": {"batch_size": MAX_BATCH},
            "display": [{"name": "모바일 신분증 발급기관", "locale": "ko"},
                        {"name": "mobileid issuer", "locale": "en"}],
            "credential_configurations_supported": configs}


@router.get("/.well-known/oauth-authorization-server")
def as_metadata(request: Request) -> dict[str, Any]:
    base = state(request).settings.public_url.rstrip("/")
    return {"issuer": base, "token_endpoint": f"{base}/token", "grant_types_supported": [PRE_AUTH_GRANT],
            "pre-authorized_grant_anonymous_access_supported": True, "response_types_supported": []}


@router.post("/token")
def token(request: Request, grant_type: Annotated[str, Form()],
          pre_authorized_code: Annotated[str | None, Form(alias="pre-authorized_code")] = None,
          tx_code: Annotated[str | None, Form()] = None) -> Response:
    if grant_type != PRE_AUTH_GRANT:
        return _error(400, "unsupported_grant_type", "only the pre-authorized code grant is offered")
    if not pre_authorized_code:
        return _error(400, "invalid_request", "pre-authorized_code is required")
    st = state(request)
    now = st.now()
    with st.sessions() as session:
        try:
            access, row = redeem(session, code=pre_authorized_code, tx_code=tx_code,
                                 max_attempts=st.settings.tx_code_attempts, now=now)
        except OfferError as exc:
            return _error(400, exc.error, exc.description)
        session.commit()
        expires = int((row.expires_at - now).total_seconds()) if row.expires_at.tzinfo else 600
    return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": expires},
                        headers={"Cache-Control": "no-store"})


@router.post("/nonce")
def nonce(request: Request) -> Response:
    st = state(request)
    value = secrets.token_urlsafe(24)
    with st.sessions() as session:
        session.add(Nonce(value=value, expires_at=st.now() + NONCE_TTL))
        session.commit()
    return JSONResponse({"c_nonce": value}, headers={"Cache-Control": "no-store"})


class CredentialRequest(BaseModel):
    credential_configuration_id: str | None = None
    proofs: dict[str, list[str]] | None = None
    proof: dict[str, str] | None = None


def _access(session: Any, authorization: str | None, now: dt.datetime) -> AccessToken | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    row = session.scalars(select(AccessToken).where(AccessToken.token_hash == token_hash(authorization[7:]))).first()
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    return row if expires > now else None


def _proof_keys(st: State, session: Any, proofs: list[str], now: dt.datetime) -> list[PublicKey] | JSONResponse:
    """OpenID4VCI 1.0 Appendix F.1: typ, alg, jwk, aud, iat, and one fresh c_nonce for the whole batch."""
    keys: list[PublicKey] = []
    nonces: set[str] = set()
    for proof in proofs:
        try:
            jws = Jws.parse(proof)
            if jws.typ != PROOF_TYPE or "jwk" not in jws.header or "d" in jws.header["jwk"]:
                return _error(400, "invalid_proof", "a proof must be an openid4vci-proof+jwt with a public jwk")
            key = key_from_jwk(jws.header["jwk"])
            jws.verify(key)
        except MobileIdError:
            return _error(400, "invalid_proof", "a proof does not verify")
        claims = jws.payload
        iat = claims.get("iat")
        if claims.get("aud") != st.settings.public_url.rstrip("/") or type(iat) is not int or abs(
                now.timestamp() - iat) > 300:
            return _error(400, "invalid_proof", "a proof has the wrong audience or time")
        nonces.add(str(claims.get("nonce")))
        keys.append(key)
    if len(nonces) != 1:
        return _error(400, "invalid_nonce", "all proofs must carry the same c_nonce")
    used = session.execute(update(Nonce).where(Nonce.value == nonces.pop(), Nonce.used.is_(False),
                                               Nonce.expires_at > now).values(used=True))
    if used.rowcount != 1:
        return _error(400, "invalid_nonce", "the c_nonce is unknown, used or expired")
    if len({k.public_bytes(*_SPKI) for k in keys}) != len(keys):
        return _error(400, "invalid_proof", "each proof of a batch needs its own key")
    return keys


def _spki() -> tuple[Any, Any]:
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo


_SPKI = _spki()


@router.post("/credential")
def credential(request: Request, body: CredentialRequest,
               authorization: Annotated[str | None, Header()] = None) -> Response:
    st = state(request)
    now = st.now()
    with st.sessions() as session:
        access = _access(session, authorization, now)
        if access is None:
            return _error(401, "invalid_token", "a valid access token is required")
        config = body.credential_configuration_id
        if config not in CONFIGURATIONS or config not in access.configurations:
            return _error(400, "unknown_credential_configuration", "this token does not cover that credential")
        proofs = (body.proofs or {}).get("jwt") or ([body.proof["jwt"]] if body.proof and "jwt" in body.proof else [])
        if not proofs or len(proofs) > MAX_BATCH:
            return _error(400, "invalid_proof", f"between 1 and {MAX_BATCH} jwt proofs are required")
        keys = _proof_keys(st, session, proofs, now)
        if isinstance(keys, JSONResponse):
            session.commit()  # a consumed nonce stays consumed
            return keys
        person = session.get(Person, access.person_id)
        assert person is not None
        keys_now = st.keys(session)
        try:
            issued = [issue_credential(session, keys_now, person=person, configuration=config, holder_key=k,
                                       public_url=st.settings.public_url, list_size=st.settings.status_list_size,
                                       now=now) for k in keys]
        except NotEligibleError as exc:
            session.rollback()
            return _error(400, "invalid_credential_request", str(exc))
        notification = secrets.token_urlsafe(16)
        audit.append(session, actor="wallet", action="credential.batch", target=f"person:{person.id}",
                     detail={"count": len(issued), "notification": notification})
        session.commit()
    out = [{"credential": base64.urlsafe_b64encode(i.encoded).rstrip(b"=").decode() if isinstance(i.encoded, bytes)
            else i.encoded} for i in issued]
    return JSONResponse({"credentials": out, "notification_id": notification}, headers={"Cache-Control": "no-store"})


class Notification(BaseModel):
    notification_id: str
    event: str
    event_description: str | None = None


@router.post("/notification", status_code=204)
def notification(request: Request, body: Notification,
                 authorization: Annotated[str | None, Header()] = None) -> Response:
    st = state(request)
    with st.sessions() as session:
        if _access(session, authorization, st.now()) is None:
            return _error(401, "invalid_token", "a valid access token is required")
        if body.event not in ("credential_accepted", "credential_failure", "credential_deleted"):
            return _error(400, "invalid_notification_request", "unknown event")
        audit.append(session, actor="wallet", action=f"notification.{body.event}", target=body.notification_id[:60])
        session.commit()
    return Response(status_code=204)
