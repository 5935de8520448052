"""The issuer service: ``create_app(settings)`` (FastAPI) and the first-start bootstrap."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from issuer import limits, sweep
from issuer.db import make_engine, migrate, session_factory
from issuer.db.models import Office, Person, Staff
from issuer.errors import OAuthError
from issuer.keys import KeyPolicy, ensure_keys
from issuer.security import hash_password
from issuer.seed import generate, load_csv
from issuer.settings import Settings
from issuer.status import current_list
from issuer.web import (
    api,
    console,
    console_admin,
    console_status,
    guard,
    logs,
    oid4vci,
    remote,
    status_routes,
    trust_routes,
)
from issuer.web.errors import (
    SECURITY_SCHEMES,
    UNAVAILABLE,
    ErrorResponse,
    failure,
    oauth_error_handler,
)
from issuer.web.headers import SecurityHeaders
from issuer.web.state import State
from issuer.web.wallet import WalletEndpoints

LOG = logging.getLogger("issuer")


@dataclass(frozen=True, slots=True)
class Bootstrap:
    people_loaded: int
    demo_password: str | None  # printed once by ``serve``; never stored in plain text


def _secret(settings: Settings) -> bytes:
    path = settings.data_dir / "session.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def bootstrap(settings: Settings, *, seed_people: int | None = None) -> Bootstrap:
    """Data folder, database at the newest migration, keys, registers and a demo clerk (first start only)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    people = seed_people if seed_people is not None else settings.seed_people
    with Session(engine) as session:
        ensure_keys(session, settings.data_dir, policy=KeyPolicy.from_settings(settings))
        # the list new credentials go on exists from the start, so a trust bundle exported before the first
        # issuance already carries it and a verifier can check the status of what is issued next
        current_list(session, settings.public_url, settings.status_list_size)
        loaded = 0
        if session.scalars(select(Person.id).limit(1)).first() is None and people > 0:
            folder = settings.data_dir / "registers"
            if not (folder / "persons.csv").exists():
                generate(folder, people=people)
            loaded = load_csv(session, folder)
        password = None
        if session.scalars(select(Staff.id).limit(1)).first() is None:
            office = Office(code="SEOUL-01", name="서울 종로 운전면허시험장")
            session.add(office)
            session.flush()
            password = secrets.token_urlsafe(12)
            session.add(Staff(username="clerk1", role="supervisor", office_id=office.id,
                              password_hash=hash_password(password)))
        session.commit()
    engine.dispose()
    return Bootstrap(loaded, password)


class IssuerApp(FastAPI):
    """The issuer's FastAPI application, with the wallet's five requests served on the lean path
    (``issuer.web.wallet``) behind the same security headers, rate limits and input guard as every route."""

    wallet_endpoints: WalletEndpoints | None = None
    wallet_stack: Any = None  # SecurityHeaders(RateLimit(InputGuard(wallet_endpoints)))

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if self.wallet_endpoints is not None and self.wallet_endpoints.handles(scope):
            scope["app"] = self
            await self.wallet_stack(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings, *, clock: Callable[[], dt.datetime] | None = None) -> FastAPI:
    engine = make_engine(settings.sqlalchemy_url)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # after the server configured its logging: no query strings, secrets or exception messages in it
        logs.install(words)
        async with sweep.periodically(st.sessions, settings, st.now):
            yield
        st.forget_keys()  # logs out of an HSM
        engine.dispose()  # close pooled connections when the service stops

    # no Swagger UI or ReDoc pages: they load scripts from a CDN and run inline ones (the security headers
    # forbid both); the OpenAPI document stays at /openapi.json
    app = IssuerApp(title="mobileid issuer", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    st = State(settings=settings, sessions=session_factory(engine), session_secret=_secret(settings))
    if clock is not None:
        st.clock = clock
    app.state.mobileid = st
    # The input guard, the shared rate limits outside it (a flood of junk is counted too), and outermost the
    # security headers, so that the guard's and the limiter's answers carry them as well.
    limiter = limits.Limiter(engine, limits.limits_from(settings), settings.rate_limit_window_seconds,
                             st.session_secret)
    app.add_middleware(guard.InputGuard, max_body=settings.max_body_bytes, max_depth=settings.max_json_depth,
                       errors=oid4vci.VALIDATION_ERRORS)
    app.add_middleware(limits.RateLimit, now=st.now, limiter=limiter)
    app.add_middleware(SecurityHeaders, public_url=settings.public_url)
    # the same three around the wallet's lean path (one limiter: the same leased hits and counters)
    app.wallet_endpoints = WalletEndpoints(st, lambda: words)
    app.wallet_stack = SecurityHeaders(limits.RateLimit(guard.InputGuard(  # type: ignore[arg-type]
        app.wallet_endpoints, max_body=settings.max_body_bytes, max_depth=settings.max_json_depth,
        errors=oid4vci.VALIDATION_ERRORS), now=st.now, limiter=limiter), public_url=settings.public_url)
    routers = (oid4vci.router, status_routes.router, trust_routes.router, remote.router, console.router,
               console_status.router, console_admin.router, api.router)
    for router in routers:
        app.include_router(router)
    # the fixed words of every route (``/console/applicants/{person_id}`` -> console, applicants): what the
    # access log may show of a path
    words = logs.route_words([*(getattr(r, "path", "") for router in (*routers, oid4vci.described)
                                for r in router.routes),
                              "/healthz", "/openapi.json", "/console/static"])
    console.templates.env.filters["b64"] = lambda data: base64.b64encode(data).decode()

    @app.exception_handler(RequestValidationError)
    def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's usual 422, less the input it refused (the OpenID4VCI requests never reach a route: the
        lean path answers a malformed one with its OAuth-style 400)."""
        return JSONResponse(guard.validation_detail(exc.errors()), status_code=422)

    app.add_exception_handler(OAuthError, oauth_error_handler)  # every refusal of every route and service

    @app.exception_handler(OperationalError)
    def database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        """The database is restarting or unreachable (``issuer.web.errors.UNAVAILABLE``)."""
        body, status, headers = UNAVAILABLE
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    def database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        """Any other database error (``issuer.web.errors.failure``: logged by class and SQLSTATE only)."""
        body, status, headers = failure(exc, request.method, logs.redact_path(request.url.path, words))
        return JSONResponse(body, status_code=status, headers=headers)

    def openapi() -> dict[str, Any]:
        """FastAPI's document of the mounted routes and of the wallet's operations (``oid4vci.described``), less
        the 422 on the OpenID4VCI paths (the lean path answers a malformed request with a 400), plus the
        bearer schemes that the staff API and the credential endpoints declare."""
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   routes=[*app.routes, *oid4vci.described.routes])
            app.openapi_schema = document
            for path in oid4vci.VALIDATION_ERRORS:
                for operation in document["paths"].get(path, {}).values():
                    operation.get("responses", {}).pop("422", None)
            document.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
            guard.document(document, ErrorResponse.model_json_schema())
            limits.document(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console", status_code=307)

    return app
