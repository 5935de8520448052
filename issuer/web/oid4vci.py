"""OpenID4VCI 1.0 endpoints: metadata, token (pre-authorized code + tx_code), nonce, credential, notification.

``router`` serves the metadata. The wallet's five requests (offer by reference, token, nonce, credential,
notification) are served by the lean path ``issuer.web.wallet``, which ``issuer.web.app.IssuerApp`` hands them to
before any route is looked up; ``described`` declares them for the OpenAPI document only (its models are the
request bodies the lean path parses as strictly). It is never mounted: one code path serves each request.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from issuer.credentials import CONFIGURATIONS
from issuer.issuance import MAX_BATCH, PROOF_ALGORITHMS
from issuer.offers import PRE_AUTH_GRANT, REFERENCE_PATH
from issuer.web.errors import ACCESS_TOKEN, oauth_errors, security
from issuer.web.state import state
from specs.catalogue import Catalogue
from specs.jose import jwk_from_key

router = APIRouter()
described = APIRouter()  # the wallet's operations, for the OpenAPI document (module docstring)


# The error code for a body that does not parse or has unknown members (no 422s on the OpenID4VCI paths):
# the input guard's and the lean path's.
VALIDATION_ERRORS = {"/token": "invalid_request", "/nonce": "invalid_request",
                     "/credential": "invalid_credential_request", "/notification": "invalid_notification_request"}


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


@described.get(REFERENCE_PATH + "{reference}", responses=oauth_errors({404: "not_found: unknown, used or expired"}))
def credential_offer(request: Request, reference: str) -> Response:
    """The Credential Offer behind a ``credential_offer_uri`` (OpenID4VCI 1.0 §4.1.3), while it is open.

    Served by ``issuer.web.wallet.WalletEndpoints.offer``."""
    raise AssertionError("issuer.web.wallet serves this operation; this declaration only documents it")


@router.get("/.well-known/oauth-authorization-server")
def as_metadata(request: Request) -> dict[str, Any]:
    base = state(request).settings.public_url.rstrip("/")
    return {"issuer": base, "token_endpoint": f"{base}/token", "grant_types_supported": [PRE_AUTH_GRANT],
            "pre-authorized_grant_anonymous_access_supported": True, "response_types_supported": []}


@described.post("/token", responses=oauth_errors({
    400: "invalid_request (also a malformed form), unsupported_grant_type, invalid_grant"}))
def token(request: Request, grant_type: Annotated[str, Form()],
          pre_authorized_code: Annotated[str | None, Form(alias="pre-authorized_code")] = None,
          tx_code: Annotated[str | None, Form()] = None) -> Response:
    """Token Request with the pre-authorized code and tx_code (OpenID4VCI 1.0 §6).

    Served by ``issuer.web.wallet.WalletEndpoints.token``."""
    raise AssertionError("issuer.web.wallet serves this operation; this declaration only documents it")


@described.post("/nonce")
def nonce(request: Request) -> Response:
    """Nonce Request (OpenID4VCI 1.0 §7).

    Served by ``issuer.web.wallet.WalletEndpoints.nonce``."""
    raise AssertionError("issuer.web.wallet serves this operation; this declaration only documents it")


class CredentialRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # claims come from the registers, never from the wallet

    credential_configuration_id: str | None = None
    proofs: dict[str, list[str]] | None = None
    proof: dict[str, str] | None = None


@described.post("/credential", openapi_extra=security(ACCESS_TOKEN), responses=oauth_errors({
    400: "invalid_credential_request (also a malformed body), unknown_credential_configuration, invalid_proof, "
         "invalid_nonce, credential_request_denied (beyond the offer's grant)",
    401: "invalid_token: the access token is missing, unknown or expired"}))
def credential(request: Request, body: CredentialRequest,
               authorization: Annotated[str | None, Header()] = None) -> Response:
    """Credential Request (OpenID4VCI 1.0 §8), a batch of proofs.

    Served by ``issuer.web.wallet.WalletEndpoints.credential``."""
    raise AssertionError("issuer.web.wallet serves this operation; this declaration only documents it")


class Notification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notification_id: str
    event: str
    event_description: str | None = None


@described.post("/notification", status_code=204, openapi_extra=security(ACCESS_TOKEN), responses=oauth_errors({
    400: "invalid_notification_request (also a malformed body or an unknown event), invalid_notification_id",
    401: "invalid_token: the access token is missing, unknown or expired"}))
def notification(request: Request, body: Notification,
                 authorization: Annotated[str | None, Header()] = None) -> Response:
    """Notification Request (OpenID4VCI 1.0 §11).

    Served by ``issuer.web.wallet.WalletEndpoints.notification``."""
    raise AssertionError("issuer.web.wallet serves this operation; this declaration only documents it")
