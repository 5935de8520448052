"""The online verifier service (FastAPI): ``create_app(settings)``.

Business API (bearer token from ``api.token``):
  ``POST /transactions``  ``{"preset": ...}`` or ``{"dcql_query": {...}}`` (+ ``webhook_url``) -> the transaction
  id, the cross-device ``openid4vp://`` link (QR) and the same-device link;
  ``GET /transactions/{id}`` -> status and, once answered, the verified result (poll, or wait for the webhook).
Wallet endpoints (OpenID4VP 1.0):
  ``GET|POST /request/{id}`` -> the signed request object (§5.10, RFC 9101), ``application/oauth-authz-req+jwt``;
  ``POST /response/{id}`` -> the ``direct_post.jwt`` response (§8.3.1). Refusals are §8.5-style
  ``{"error", "error_description"}`` with status 400; a transaction takes one response.
The relying-party page (``/bank``) lives in ``verifier.web.rp``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import BackgroundTasks, FastAPI, Form, Header, HTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from specs.errors import MobileIdError, Oid4vpError
from specs.oid4vp import AuthorizationErrorResponse, AuthorizationRequestUri, DcqlQuery, oauth_error
from verifier.dcql_presets import PRESETS, preset
from verifier.oid4vp import (
    OnlineResult,
    PendingPresentation,
    ReaderIdentity,
    create_request,
    open_response,
    verify_presentations,
)
from verifier.result import VerificationIssue
from verifier.trust import VerifierTrust
from verifier.web import rp, webhook
from verifier.web.settings import VerifierSettings
from verifier.web.state import ServiceState, bootstrap

__all__ = ["create_app"]

log = logging.getLogger("mobileid.verifier")
NO_STORE = {"Cache-Control": "no-store"}


class TransactionCreate(BaseModel):
    preset: str | None = Field(default=None, description=f"One of {', '.join(PRESETS)}.")
    dcql_query: dict[str, Any] | None = Field(default=None, description="A DCQL query (OpenID4VP 1.0 §6).")
    webhook_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")


def _oauth(status: int, code: str, message: str) -> JSONResponse:
    """§8.5 / RFC 6749 §5.2 error body; the stable code goes to the log, never a value from the response."""
    log.info("response refused: %s", code)
    return JSONResponse({"error": oauth_error(code), "error_description": message, "code": code},
                        status_code=status, headers=NO_STORE)


def create_app(settings: VerifierSettings, *, reader: ReaderIdentity | None = None,
               trust: VerifierTrust | None = None, clock: Callable[[], dt.datetime] | None = None) -> FastAPI:
    st = bootstrap(settings, reader=reader, trust=trust)
    if clock is not None:
        st.clock = clock

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        st.store.engine.dispose()

    app = FastAPI(title="mobileid online verifier", version="0.1.0", lifespan=lifespan)
    app.state.mobileid = st
    _business_api(app, st)
    _wallet_endpoints(app, st)
    app.include_router(rp.router)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _authorize(st: ServiceState, authorization: str | None) -> None:
    token = (authorization or "").removeprefix("Bearer ")
    if not hmac.compare_digest(token.encode(), st.api_token.encode()):
        raise HTTPException(401, "a valid bearer token (api.token) is required",
                            headers={"WWW-Authenticate": "Bearer"})


def new_transaction(st: ServiceState, *, preset_name: str | None, dcql: DcqlQuery,
                    webhook_url: str | None = None) -> dict[str, Any]:
    """Create, sign and store one transaction; returns the links (shared by the API and the page)."""
    transaction_id = secrets.token_urlsafe(24)
    now = st.clock()
    pending, jwt = create_request(st.reader, dcql, response_uri=st.response_uri(transaction_id),
                                  request_uri=st.request_uri(transaction_id), now=now,
                                  lifetime=dt.timedelta(seconds=st.settings.transaction_seconds))
    st.store.add(id=transaction_id, now=now, expires_at=pending.expires_at, preset=preset_name,
                 pending=pending.to_json(), request_jwt=jwt, client_id=st.reader.client_id, webhook_url=webhook_url)
    link = AuthorizationRequestUri(st.reader.client_id, st.request_uri(transaction_id)).to_uri()
    return {"transaction_id": transaction_id, "request_uri": st.request_uri(transaction_id),
            "cross_device_uri": link, "same_device_uri": link, "client_id": st.reader.client_id,
            "qr_png": f"/transactions/{transaction_id}/qr.png", "expires_at": pending.expires_at.isoformat()}


def transaction_view(st: ServiceState, transaction_id: str) -> dict[str, Any]:
    row = st.store.get(transaction_id)
    if row is None:
        raise HTTPException(404, "no such transaction")
    return {"transaction_id": row.id, "status": row.status_at(st.clock()), "preset": row.preset,
            "created_at": row.created_at.isoformat(), "expires_at": row.expires_at.isoformat(),
            "answered_at": row.answered_at.isoformat() if row.answered_at else None,
            "webhook_status": row.webhook_status, "result": row.result}


def _business_api(app: FastAPI, st: ServiceState) -> None:
    @app.post("/transactions", status_code=201)
    def create(body: TransactionCreate, authorization: Annotated[str | None, Header()] = None) -> JSONResponse:
        _authorize(st, authorization)
        if (body.preset is None) == (body.dcql_query is None):
            raise HTTPException(400, "give a preset or a dcql_query")
        if body.preset is not None and body.preset not in PRESETS:
            raise HTTPException(400, f"unknown preset; the presets are {', '.join(PRESETS)}")
        try:
            dcql = preset(body.preset) if body.preset is not None else DcqlQuery.from_json(body.dcql_query)
        except MobileIdError as exc:
            raise HTTPException(400, f"{exc.message} ({exc.code})") from None
        return JSONResponse(new_transaction(st, preset_name=body.preset, dcql=dcql, webhook_url=body.webhook_url),
                            status_code=201, headers=NO_STORE)

    @app.get("/transactions/{transaction_id}")
    def read(transaction_id: str, authorization: Annotated[str | None, Header()] = None) -> JSONResponse:
        _authorize(st, authorization)
        return JSONResponse(transaction_view(st, transaction_id), headers=NO_STORE)

    @app.get("/transactions/{transaction_id}/qr.png", include_in_schema=False)
    def qr_png(transaction_id: str) -> Response:
        from specs.io.symbols import png

        row = st.store.get(transaction_id)
        if row is None:
            raise HTTPException(404, "no such transaction")
        link = AuthorizationRequestUri(row.client_id, st.request_uri(transaction_id)).to_uri()
        return Response(png(link), media_type="image/png", headers=NO_STORE)


def _wallet_endpoints(app: FastAPI, st: ServiceState) -> None:
    def request_object(transaction_id: str) -> Response:
        row = st.store.get(transaction_id)
        if row is None or row.status_at(st.clock()) != "pending":
            return _oauth(404, "oid4vp.expired", "no pending request here (unknown, answered or expired)")
        return Response(row.request_jwt, media_type="application/oauth-authz-req+jwt", headers=NO_STORE)

    app.get("/request/{transaction_id}")(request_object)
    app.post("/request/{transaction_id}")(request_object)  # §5.10 request_uri_method=post

    @app.post("/response/{transaction_id}")
    def response(transaction_id: str, background: BackgroundTasks,
                 response: Annotated[str | None, Form(max_length=1_000_000)] = None,
                 vp_token: Annotated[str | None, Form(max_length=1_000_000)] = None,
                 error: Annotated[str | None, Form(max_length=64)] = None,
                 error_description: Annotated[str | None, Form(max_length=300)] = None,
                 state: Annotated[str | None, Form(max_length=200)] = None) -> JSONResponse:
        row = st.store.get(transaction_id)
        now = st.clock()
        if row is None:
            return _oauth(404, "oid4vp.unknown", "no such transaction")
        if row.status != "pending" or row.pending is None:
            return _oauth(400, "oid4vp.replayed", "this transaction was answered already")
        pending = PendingPresentation.from_json(row.pending)
        plain = None
        if response is None:
            plain = {k: v for k, v in {"vp_token": vp_token, "error": error, "error_description": error_description,
                                       "state": state}.items() if v is not None}
        try:
            answer = open_response(pending, now=now, response=response, plain=plain)
            if isinstance(answer, AuthorizationErrorResponse):
                result = OnlineResult(False, False, (), (VerificationIssue(
                    f"oid4vp.wallet.{answer.error}", "the wallet declined or could not answer"),))
                status = "declined"
            else:
                result, status = verify_presentations(pending, answer, trust=st.trust.get(now), now=now), "answered"
        except Oid4vpError as exc:
            return _oauth(400, exc.code, exc.message)
        if not st.store.claim(transaction_id, status=status, result=result.to_json(), now=now):
            return _oauth(400, "oid4vp.replayed", "this transaction was answered already")
        if row.webhook_url:
            background.add_task(_notify, st, transaction_id, row.webhook_url)
        if status == "declined" or result.accepted:
            return JSONResponse({"redirect_uri": f"{st.settings.public_url.rstrip('/')}/bank/{transaction_id}"}
                                if status == "answered" else {}, headers=NO_STORE)
        codes = ", ".join(sorted({e.code for e in result.errors})) or "policy.not_met"
        return _oauth(400, "oid4vp.not_accepted", f"the presentation was not accepted ({codes})")


def _notify(st: ServiceState, transaction_id: str, url: str) -> None:
    view = transaction_view(st, transaction_id)
    body = json.dumps({"transaction_id": transaction_id, "status": view["status"], "result": view["result"]},
                      separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    st.store.set_webhook_status(transaction_id, webhook.deliver(url, body, st.webhook_secret, now=st.clock()))
