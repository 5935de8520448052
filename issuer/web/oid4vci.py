"""OpenID4VCI 1.0 endpoints: metadata, token (pre-authorized code + tx_code), nonce, credential, notification.

Pydantic stops at this edge; below it the issuer's services take plain typed values. In the running service
the wallet's five requests (offer by reference, token, nonce, credential, notification) are answered by the
lean path ``issuer.web.wallet`` before the framework routes them (``issuer.web.app.IssuerApp``); the
declarations here are their OpenAPI operations (and answer the same when called without it).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Form, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from issuer.credentials import CONFIGURATIONS
from issuer.errors import OAuthError
from issuer.issuance import MAX_BATCH, PROOF_ALGORITHMS, new_nonce, record_notification, refuse, request_credentials
from issuer.offers import PRE_AUTH_GRANT, REFERENCE_PATH, offer_by_reference, redeem
from issuer.web.errors import ACCESS_TOKEN, oauth_errors, security
from issuer.web.state import state
from specs.catalogue import Catalogue
from specs.jose import jwk_from_key

router = APIRouter()


# The error code for a body that does not parse or has unknown members (no 422s on the OpenID4VCI paths).
VALIDATION_ERRORS = {"/token": "invalid_request", "/nonce": "invalid_request",
                     "/credential": "invalid_credential_request", "/notification": "invalid_notification_request"}


def _refuse(session: Session, action: str, status: int, error: str, description: str,
            target: str = "", *, now: dt.datetime) -> OAuthError:
    """Record a refused wallet request (``issuance.refuse``: audited by its error code only when it names a
    person, else counted) and commit; the caller raises what this returns."""
    return refuse(session, action, OAuthError(error, description, status=status), target, now=now)


def validation_error(request: Request, exc: RequestValidationError) -> OAuthError | None:
    """The OAuth-style 400 for a malformed OpenID4VCI request (None off those paths); inputs are not echoed."""
    error = VALIDATION_ERRORS.get(request.url.path)
    if error is None:
        return None
    where = sorted({".".join(str(p) for p in e.get("loc", ())) + f": {e.get('type')}" for e in exc.errors()})
    with state(request).sessions() as session:
        return _refuse(session, "request.reject", 400, error, "; ".join(where)[:300], now=state(request).now())


def _claims(doc: Any, fmt: str) -> list[dict[str, Any]]:
    """Claim descriptions (OpenID4VCI 1.0 Appendix B.2): path and display names; patterns are left out."""
    out = []
    for claim in doc.claims:
        if claim.pattern or (fmt == "mso_mdoc" and claim.namespace is None):
            continue
        path = [claim.namespace, claim.identifier] if fmt == "mso_mdoc" else [claim.identifier]
        out.append({"path": path, "display": [{"name": claim.display.name(lang), "locale": lang}
                                              for lang in ("ko", "en")]})
    return out


@router.get("/.well-known/openid-credential-issuer")
def issuer_metadata(request: Request) -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2); each configuration's ``display`` and ``claims`` sit
    inside ``credential_metadata`` (§12.2.4), where wallets built on 1.0 read them."""
    return _issuer_metadata(state(request).settings.public_url.rstrip("/"))


@functools.cache
def _issuer_metadata(base: str) -> dict[str, Any]:
    """Built once per process and public URL (it changes only with the code)."""
    catalogue = Catalogue.load_default()
    configs: dict[str, Any] = {}
    for config_id, (type_id, fmt) in CONFIGURATIONS.items():
        doc = catalogue.get(type_id)
        entry: dict[str, Any] = {"format": fmt, "scope": config_id,
                                 "proof_types_supported": {"jwt": {
                                     "proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}},
                                 "credential_metadata": {
                                     "display": [{"name": doc.display_name(lang), "locale": lang}
                                                 for lang in ("ko", "en")],
                                     "claims": _claims(doc, fmt)}}
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


@router.get("/.well-known/jwt-vc-issuer")
def jwt_vc_issuer(request: Request) -> dict[str, Any]:
    """JWT VC Issuer Metadata (SD-JWT VC §5): ``issuer`` equals every SD-JWT VC's ``iss``; the keys are the
    document signers still valid, each with its certificate chain (``x5c``)."""
    st = state(request)
    with st.sessions() as session:
        keys = st.keys(session)
    now = st.now()
    keyset = []
    for cert in (keys.ds, *keys.previous_ds):
        if cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            der = cert.public_bytes(serialization.Encoding.DER)
            keyset.append({**jwk_from_key(cert.public_key()), "kid": hashlib.sha256(der).hexdigest()[:16],  # type: ignore[arg-type]
                           "use": "sig", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]})
    return {"issuer": st.settings.public_url.rstrip("/"), "jwks": {"keys": keyset}}


@router.get(REFERENCE_PATH + "{reference}", responses=oauth_errors({404: "not_found: unknown, used or expired"}))
def credential_offer(request: Request, reference: str) -> Response:
    """The Credential Offer behind a ``credential_offer_uri`` (OpenID4VCI 1.0 §4.1.3), while it is open."""
    st = state(request)
    with st.single_statement() as session:
        body = offer_by_reference(session, reference[:200], st.now(), st.settings.public_url.rstrip("/"))
    if body is None:
        raise OAuthError("not_found", "this credential offer is unknown, used or expired", status=404)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


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
        raise OAuthError("unsupported_grant_type", "only the pre-authorized code grant is offered")
    if not pre_authorized_code:
        raise OAuthError("invalid_request", "pre-authorized_code is required")
    st = state(request)
    now = st.now()
    with st.sessions() as session:
        redeemed = redeem(session, code=pre_authorized_code, tx_code=tx_code,
                          max_attempts=st.settings.tx_code_attempts, now=now, pepper=st.pepper)
    # ``mobileid_grant`` (an additional token response parameter, RFC 6749 §5.1): how many copies of each
    # configuration this token obtains, so a wallet asks for exactly the grant
    return JSONResponse({"access_token": redeemed.access_token, "token_type": "Bearer",
                         "expires_in": redeemed.expires_in,
                         "mobileid_grant": [{"credential_configuration_id": c, "copies": n}
                                            for c, n in redeemed.grant.items()]},
                        headers={"Cache-Control": "no-store"})


@router.post("/nonce")
def nonce(request: Request) -> Response:
    st = state(request)
    with st.single_statement() as session:
        value = new_nonce(session, st.now())
    return JSONResponse({"c_nonce": value}, headers={"Cache-Control": "no-store"})


class CredentialRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # claims come from the registers, never from the wallet

    credential_configuration_id: str | None = None
    proofs: dict[str, list[str]] | None = None
    proof: dict[str, str] | None = None


@router.post("/credential", openapi_extra=security(ACCESS_TOKEN), responses=oauth_errors({
    400: "invalid_credential_request (also a malformed body), unknown_credential_configuration, invalid_proof, "
         "invalid_nonce, credential_request_denied (beyond the offer's grant)",
    401: "invalid_token: the access token is missing, unknown or expired"}))
def credential(request: Request, body: CredentialRequest,
               authorization: Annotated[str | None, Header()] = None) -> Response:
    st = state(request)
    with st.sessions() as session:
        # a refusal is audited and committed by the service, and raised as the OAuthError the app renders
        batch = request_credentials(session, st.keys(session), authorization=authorization,
                                    configuration=body.credential_configuration_id or "", proofs=body.proofs,
                                    proof=body.proof, public_url=st.settings.public_url, lists=st.lists,
                                    list_size=st.settings.status_list_size, now=st.now())
    out = [{"credential": base64.urlsafe_b64encode(i.encoded).rstrip(b"=").decode() if isinstance(i.encoded, bytes)
            else i.encoded} for i in batch.issued]
    return JSONResponse({"credentials": out, "notification_id": batch.notification_id},
                        headers={"Cache-Control": "no-store"})


class Notification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notification_id: str
    event: str
    event_description: str | None = None


@router.post("/notification", status_code=204, openapi_extra=security(ACCESS_TOKEN), responses=oauth_errors({
    400: "invalid_notification_request (also a malformed body or an unknown event), invalid_notification_id",
    401: "invalid_token: the access token is missing, unknown or expired"}))
def notification(request: Request, body: Notification,
                 authorization: Annotated[str | None, Header()] = None) -> Response:
    st = state(request)
    with st.sessions() as session:
        record_notification(session, authorization=authorization, notification_id=body.notification_id[:64],
                            event=body.event, now=st.now())  # a refusal: audited, committed, raised
    return Response(status_code=204)
