"""Trust distribution: ``GET /trust/bundle`` (signed trust bundle, CBOR) and ``GET /trust/root.pem``."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Request
from fastapi.responses import Response

from issuer.trust_bundle import build_trust_bundle
from issuer.web.errors import binary
from issuer.web.state import state

router = APIRouter()


@router.get("/trust/bundle", response_class=Response, responses={
    200: binary("application/cbor", description="the signed trust bundle (CBOR)")})
def trust_bundle(request: Request) -> Response:
    st = state(request)
    with st.sessions() as session:
        data = build_trust_bundle(session, st.keys(session), public_url=st.settings.public_url, now=st.now())
    return Response(data, media_type="application/cbor", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/trust/root.pem", response_class=Response, responses={
    200: binary("application/x-pem-file", description="the IACA certificate (PEM)")})
def trust_root(request: Request) -> Response:
    """The IACA certificate: what wallets accept credentials under and verifiers pin the bundle to."""
    st = state(request)
    with st.sessions() as session:
        pem = st.keys(session).iaca.public_bytes(Encoding.PEM)
    return Response(pem, media_type="application/x-pem-file", headers={"Cache-Control": "public, max-age=86400"})
