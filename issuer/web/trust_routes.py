"""Trust distribution, served from the published files (``issuer.publish``) with ``ETag`` and ``Cache-Control``:
``GET /trust/bundle`` (the whole signed bundle), ``/trust/base`` and ``/trust/index`` (the split form that
``mobileid verifier sync`` fetches piecewise), ``/trust/changes/<from>-<to>`` (status change logs, a mobileid
extension: ``specs.trust.changes``) and ``/trust/root.pem`` (the IACA verifiers pin)."""

from __future__ import annotations

import re
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Request
from fastapi.responses import Response

from issuer.web.errors import binary
from issuer.web.published import serve_published
from issuer.web.state import state

router = APIRouter()
_LOG_NAME = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "If-None-Match named the current ETag"}}


@router.get("/trust/bundle", response_class=Response, responses={
    200: binary("application/cbor", description="the signed trust bundle (CBOR), status lists inside"),
    **_NOT_MODIFIED})
def trust_bundle(request: Request) -> Response:
    return serve_published(request, "trust/bundle", "application/cbor")


@router.get("/trust/base", response_class=Response, responses={
    200: binary("application/cbor", description="the signed trust bundle without status lists (CBOR)"),
    **_NOT_MODIFIED})
def trust_base(request: Request) -> Response:
    return serve_published(request, "trust/base", "application/cbor")


@router.get("/trust/index", response_class=Response, responses={
    200: binary("application/cbor", description="the signed index of the base and every status list (CBOR)"),
    **_NOT_MODIFIED})
def trust_index(request: Request) -> Response:
    return serve_published(request, "trust/index", "application/cbor")


@router.get("/trust/changes/{name}", response_class=Response, responses={
    200: binary("application/cbor", description="a signed status change log (CBOR; a mobileid extension)"),
    404: {"description": "no such change log (the index names those offered)"}, **_NOT_MODIFIED})
def trust_changes(request: Request, name: str) -> Response:
    if not _LOG_NAME.fullmatch(name):
        return Response(status_code=404)
    return serve_published(request, f"trust/changes/{name}", "application/cbor")


@router.get("/trust/root.pem", response_class=Response, responses={
    200: binary("application/x-pem-file", description="the IACA certificate (PEM)")})
def trust_root(request: Request) -> Response:
    """The IACA certificate: what wallets accept credentials under and verifiers pin the bundle to."""
    st = state(request)
    with st.sessions() as session:
        pem = st.keys(session).iaca.public_bytes(Encoding.PEM)
    return Response(pem, media_type="application/x-pem-file", headers={"Cache-Control": "public, max-age=86400"})
