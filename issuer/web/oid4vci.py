"""OpenID4VCI 1.0 endpoints: metadata, token (pre-authorized code + tx_code), nonce, credential, notification.

Pydantic stops at this edge; below it the issuer's services take plain typed values.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer import audit
from issuer.credentials import CONFIGURATIONS, NotEligibleError, issue_credential
from issuer.db.models import AccessToken, Credential, InPersonCheck, Nonce, Offer, Person
from issuer.offers import PRE_AUTH_GRANT, OfferError, redeem
from issuer.security import token_hash
from issuer.web.errors import ACCESS_TOKEN, oauth_errors, security
from issuer.web.state import State, state
from specs.catalogue import Catalogue
from specs.crypto import PublicKey
from specs.errors import MobileIdError
from specs.jose import Jws, key_from_jwk

router = APIRouter()
PROOF_TYPE = "openid4vci-proof+jwt"
MAX_BATCH = 10
NONCE_TTL = dt.timedelta(minutes=5)


# The error code for a body that does not parse or has unknown members (no 422s on the OpenID4VCI paths).
VALIDATION_ERRORS = {"/token": "invalid_request", "/nonce": "invalid_request",
                     "/credential": "invalid_credential_request", "/notification": "invalid_notification_request"}


def _error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{error}"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _refuse(session: Session, action: str, status: int, error: str, description: str,
            target: str = "") -> JSONResponse:
    """Audit a refused wallet request by its error code only (no tokens, proofs or claims) and commit."""
    audit.append(session, actor="wallet", action=action, target=target[:80], detail={"error": error})
    session.commit()
    return _error(status, error, description)


def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse | None:
    """The OAuth-style 400 for a malformed OpenID4VCI request (None off those paths); inputs are not echoed."""
    error = VALIDATION_ERRORS.get(request.url.path)
    if error is None:
        return None
    where = sorted({".".join(str(p) for p in e.get("loc", ())) + f": {e.get('type')}" for e in exc.errors()})
    with state(request).sessions() as session:
        return _refuse(session, "request.reject", 400, error, "; ".join(where)[:300], request.url.path)


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


@router.post("/token", responses=oauth_errors({
    400: "invalid_request (also a malformed form), unsupported_grant_type, invalid_grant"}))
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
        # remember the offer (token -> offer -> in-person check -> office, recorded on each credential)
        row.offer_id = session.scalars(select(Offer.id).where(
            Offer.code_hash == token_hash(pre_authorized_code))).first()
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
    model_config = ConfigDict(extra="forbid")  # claims come from the registers, never from the wallet

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


def _issuing_office(session: Session, access: AccessToken) -> int | None:
    """The office of the in-person check behind the token's offer (a remote offer references the person's check)."""
    if access.offer_id is None:
        return None
    office: int | None = session.scalars(select(InPersonCheck.office_id).join(
        Offer, Offer.check_id == InPersonCheck.id).where(Offer.id == access.offer_id)).first()
    return office


class _Refusal(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def _proof_keys(st: State, session: Any, proofs: list[str], now: dt.datetime) -> list[PublicKey]:
    """OpenID4VCI 1.0 Appendix F.1: typ, alg, jwk, aud, iat, and one fresh c_nonce for the whole batch."""
    keys: list[PublicKey] = []
    nonces: set[str] = set()
    for proof in proofs:
        try:
            jws = Jws.parse(proof)
            jwk = jws.header.get("jwk")
            if jws.typ != PROOF_TYPE or not isinstance(jwk, dict) or "d" in jwk:
                raise _Refusal("invalid_proof", "a proof must be an openid4vci-proof+jwt with a public jwk")
            key = key_from_jwk(jwk)
            jws.verify(key)
        except MobileIdError:
            raise _Refusal("invalid_proof", "a proof does not verify") from None
        claims = jws.payload
        iat = claims.get("iat")
        if claims.get("aud") != st.settings.public_url.rstrip("/") or type(iat) is not int or abs(
                now.timestamp() - iat) > 300:
            raise _Refusal("invalid_proof", "a proof has the wrong audience or time")
        nonces.add(str(claims.get("nonce")))
        keys.append(key)
    if len({k.public_bytes(*_SPKI) for k in keys}) != len(keys):
        raise _Refusal("invalid_proof", "each proof of a batch needs its own key")
    if len(nonces) != 1:
        raise _Refusal("invalid_nonce", "all proofs must carry the same c_nonce")
    used = session.execute(update(Nonce).where(Nonce.value == nonces.pop(), Nonce.used.is_(False),
                                               Nonce.expires_at > now).values(used=True))
    if used.rowcount != 1:
        raise _Refusal("invalid_nonce", "the c_nonce is unknown, used or expired")
    return keys


def _spki() -> tuple[Any, Any]:
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo


_SPKI = _spki()


@router.post("/credential", openapi_extra=security(ACCESS_TOKEN), responses=oauth_errors({
    400: "invalid_credential_request (also a malformed body), unknown_credential_configuration, invalid_proof, "
         "invalid_nonce",
    401: "invalid_token: the access token is missing, unknown or expired"}))
def credential(request: Request, body: CredentialRequest,
               authorization: Annotated[str | None, Header()] = None) -> Response:
    st = state(request)
    now = st.now()
    with st.sessions() as session:
        access = _access(session, authorization, now)
        if access is None:
            return _refuse(session, "credential.reject", 401, "invalid_token", "a valid access token is required")
        target = f"person:{access.person_id}"
        config = body.credential_configuration_id
        if config not in CONFIGURATIONS or config not in access.configurations:
            return _refuse(session, "credential.reject", 400, "unknown_credential_configuration",
                           "this token does not cover that credential", target)
        if body.proofs is not None and (body.proof is not None or set(body.proofs) != {"jwt"}):
            return _refuse(session, "credential.reject", 400, "invalid_credential_request",
                           "send one of proof or proofs, with jwt proofs only", target)
        proofs = (body.proofs or {}).get("jwt") or ([body.proof["jwt"]] if body.proof and "jwt" in body.proof else [])
        if not proofs or len(proofs) > MAX_BATCH:
            return _refuse(session, "credential.reject", 400, "invalid_proof",
                           f"between 1 and {MAX_BATCH} jwt proofs are required", target)
        try:
            keys = _proof_keys(st, session, proofs, now)
        except _Refusal as exc:  # a consumed nonce stays consumed: _refuse commits it
            return _refuse(session, "credential.reject", 400, exc.error, exc.description, target)
        person = session.get(Person, access.person_id)
        assert person is not None
        keys_now = st.keys(session)
        office_id = _issuing_office(session, access)
        _supersede(session, person.id, config, keys)
        try:
            issued = [issue_credential(session, keys_now, person=person, configuration=config, holder_key=k,
                                       public_url=st.settings.public_url, list_size=st.settings.status_list_size,
                                       now=now, office_id=office_id) for k in keys]
        except NotEligibleError as exc:
            session.rollback()
            return _refuse(session, "credential.reject", 400, "invalid_credential_request", str(exc), target)
        notification = secrets.token_urlsafe(16)
        audit.append(session, actor="wallet", action="credential.batch", target=f"person:{person.id}",
                     detail={"count": len(issued), "notification": notification})
        session.commit()
    out = [{"credential": base64.urlsafe_b64encode(i.encoded).rstrip(b"=").decode() if isinstance(i.encoded, bytes)
            else i.encoded} for i in issued]
    return JSONResponse({"credentials": out, "notification_id": notification}, headers={"Cache-Control": "no-store"})


def _supersede(session: Any, person_id: int, config: str, keys: list[PublicKey]) -> None:
    """One live credential per person, type and device key. A wallet that asks again with the same key
    never received the first answer (a lost response after our commit): revoke that one, then issue."""
    from issuer.credentials import thumbprint
    from issuer.status import change_status

    type_id = CONFIGURATIONS[config][0]
    for key in keys:
        earlier = session.scalars(select(Credential).where(
            Credential.person_id == person_id, Credential.type_id == type_id,
            Credential.holder_key_thumbprint == thumbprint(key), Credential.status != "revoked")).all()
        for row in earlier:
            change_status(session, row, "revoked", actor="issuer", reason="superseded by a retry with the same key")


class Notification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notification_id: str
    event: str
    event_description: str | None = None


@router.post("/notification", status_code=204, openapi_extra=security(ACCESS_TOKEN), responses=oauth_errors({
    400: "invalid_notification_request (also a malformed body or an unknown event)",
    401: "invalid_token: the access token is missing, unknown or expired"}))
def notification(request: Request, body: Notification,
                 authorization: Annotated[str | None, Header()] = None) -> Response:
    st = state(request)
    with st.sessions() as session:
        if _access(session, authorization, st.now()) is None:
            return _refuse(session, "notification.reject", 401, "invalid_token", "a valid access token is required")
        if body.event not in ("credential_accepted", "credential_failure", "credential_deleted"):
            return _refuse(session, "notification.reject", 400, "invalid_notification_request", "unknown event")
        audit.append(session, actor="wallet", action=f"notification.{body.event}", target=body.notification_id[:60])
        session.commit()
    return Response(status_code=204)
