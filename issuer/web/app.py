"""The issuer service: ``create_app(settings)`` (FastAPI) and the first-start bootstrap."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import os
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from issuer import limits, sweep
from issuer.db import make_engine, migrate, session_factory
from issuer.db.models import Office, Person, Staff
from issuer.keys import KeyPolicy, ensure_keys
from issuer.security import hash_password
from issuer.seed import generate, load_csv
from issuer.settings import Settings
from issuer.web import api, console, console_admin, console_status, guard, oid4vci, remote, status_routes, trust_routes
from issuer.web.errors import SECURITY_SCHEMES, ErrorResponse
from issuer.web.state import State


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


def create_app(settings: Settings, *, clock: Callable[[], dt.datetime] | None = None) -> FastAPI:
    engine = make_engine(settings.sqlalchemy_url)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with sweep.periodically(st.sessions, settings, st.now):
            yield
        st.forget_keys()  # logs out of an HSM
        engine.dispose()  # close pooled connections when the service stops

    app = FastAPI(title="mobileid issuer", version="0.1.0", lifespan=lifespan)
    st = State(settings=settings, sessions=session_factory(engine), session_secret=_secret(settings))
    if clock is not None:
        st.clock = clock
    app.state.mobileid = st
    # The input guard, then (outermost, so a flood of junk is counted too) the shared rate limits.
    app.add_middleware(guard.InputGuard, max_body=settings.max_body_bytes, max_depth=settings.max_json_depth,
                       errors=oid4vci.VALIDATION_ERRORS)
    app.add_middleware(limits.RateLimit, now=st.now, limiter=limits.Limiter(
        engine, limits.limits_from(settings), settings.rate_limit_window_seconds, st.session_secret))
    app.include_router(oid4vci.router)
    app.include_router(status_routes.router)
    app.include_router(trust_routes.router)
    app.include_router(remote.router)
    app.include_router(console.router)
    app.include_router(console_status.router)
    app.include_router(console_admin.router)
    app.include_router(api.router)
    console.templates.env.filters["b64"] = lambda data: base64.b64encode(data).decode()

    @app.exception_handler(RequestValidationError)
    def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        """OAuth-style 400s on the OpenID4VCI paths; FastAPI's usual 422 elsewhere."""
        answer = oid4vci.validation_error(request, exc)
        return answer if answer is not None else JSONResponse(guard.validation_detail(exc.errors()), status_code=422)

    @app.exception_handler(OperationalError)
    def database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        """The database is restarting or unreachable: say so (RFC 6749 §4.1.2.1 ``temporarily_unavailable``)
        with Retry-After, rather than a bare 500 a wallet cannot tell from a bug (docs/reliability.md)."""
        return JSONResponse({"error": "temporarily_unavailable",
                             "error_description": "the service's database is unavailable; try again shortly"},
                            status_code=503, headers={"Retry-After": "2", "Cache-Control": "no-store"})

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document, less the 422 that ``validation`` turns into a 400 on the OpenID4VCI paths,
        plus the bearer schemes that the staff API and the credential endpoints declare."""
        if app.openapi_schema is None:
            document = generate()
            for path in oid4vci.VALIDATION_ERRORS:
                for operation in document["paths"].get(path, {}).values():
                    operation.get("responses", {}).pop("422", None)
            document.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
            guard.document(document, ErrorResponse.model_json_schema())
            limits.document(document)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console", status_code=307)

    return app
