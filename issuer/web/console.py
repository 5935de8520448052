"""The clerk console: server-rendered pages (Jinja2, Korean and English), usable with the keyboard alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import or_, select

from issuer import audit
from issuer.credentials import CONFIGURATIONS
from issuer.db.models import AuditEntry, Credential, Licence, Person, Staff
from issuer.offers import DOCUMENT_KINDS, create_offer, record_check
from issuer.status import StatusChangeError, change_status
from issuer.web.api import audit_denied, status_change_refusal
from issuer.web.auth import (
    COOKIE,
    ConsoleSession,
    attempt_login,
    csrf_ok,
    decode_session,
    encode_session,
    lang_of,
    new_session,
)
from issuer.web.i18n import translator
from issuer.web.state import State, state

router = APIRouter(prefix="/console")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self' 'unsafe-inline'")
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _pages(described: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a console route: the login redirect (no session) and HTML pages by status."""
    out: dict[int | str, dict[str, Any]] = {303: _redirect("no console session: to /console/login")}
    out |= {status: _html(text) for status, text in (described or {}).items()}
    return out


def _redirect(description: str) -> dict[str, Any]:
    return {"description": description, "headers": {"Location": {"schema": {"type": "string"}}}}


def _current(request: Request) -> tuple[State, ConsoleSession | None]:
    st = state(request)
    return st, decode_session(st.session_secret, request.cookies.get(COOKIE), st.now(),
                              st.settings.session_idle_seconds)


def _page(request: Request, name: str, session: ConsoleSession | None, status: int = 200, **context: Any) -> Response:
    st = state(request)
    lang = lang_of(request, session)
    response = templates.TemplateResponse(request, name, {"t": translator(lang), "lang": lang, "session": session,
                                                          **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    if session is not None:  # sliding idle timeout, language kept in the session
        renewed = ConsoleSession(session.staff_id, session.csrf, lang)
        response.set_cookie(COOKIE, encode_session(st.session_secret, renewed, st.now()), httponly=True,
                            samesite="strict", secure=st.settings.public_url.startswith("https"))
    return response


def _login_redirect() -> Response:
    return RedirectResponse("/console/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _page(request, "login.html", None)


@router.post("/login", response_class=RedirectResponse, status_code=303, responses={
    303: _redirect("signed in: to /console, with the session cookie"),
    401: _html("wrong username or password, or the account is locked")})
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> Response:
    st = state(request)
    with st.sessions() as db:
        staff = db.scalars(select(Staff).where(Staff.username == username)).first()
        problem = attempt_login(db, staff, password, st.now())
        if problem is not None or staff is None:
            return _page(request, "login.html", None, status=401, error=problem)
        audit.append(db, actor=f"staff:{staff.id}", action="console.login")
        db.commit()
        session = new_session(staff, lang_of(request, None))
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(COOKIE, encode_session(st.session_secret, session, st.now()), httponly=True,
                        samesite="strict", secure=st.settings.public_url.startswith("https"))
    return response


@router.post("/logout", response_class=RedirectResponse, status_code=303, responses={
    303: _redirect("to /console/login (the session cookie is cleared when the CSRF token matches)")})
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    _, session = _current(request)
    response = _login_redirect()
    if session is not None and csrf_ok(csrf, session):
        response.delete_cookie(COOKIE)
    return response


@router.get("", response_class=HTMLResponse, responses=_pages())
def search(request: Request, q: str = "") -> Response:
    st, session = _current(request)
    if session is None:
        return _login_redirect()
    people: list[Person] = []
    if q.strip():
        term = q.strip()
        with st.sessions() as db:
            people = list(db.scalars(select(Person).where(or_(
                Person.resident_number == term, (Person.family_name + Person.given_name).like(f"{term}%"),
                Person.given_name == term)).limit(50)))
    return _page(request, "search.html", session, q=q, people=people, searched=bool(q.strip()))


@router.get("/applicants/{person_id}", response_class=HTMLResponse,
            responses=_pages({404: "no such applicant"}))
def applicant(request: Request, person_id: int) -> Response:
    st, session = _current(request)
    if session is None:
        return _login_redirect()
    with st.sessions() as db:
        person = db.get(Person, person_id)
        if person is None:
            return _page(request, "error.html", session, status=404)
        licence = db.scalars(select(Licence).where(Licence.person_id == person_id)).first()
        credentials = list(db.scalars(select(Credential).where(Credential.person_id == person_id)
                                      .order_by(Credential.id.desc()).limit(50)))
        staff = db.get(Staff, session.staff_id)
    return _page(request, "applicant.html", session, person=person, licence=licence, credentials=credentials,
                 kinds=DOCUMENT_KINDS, configurations=list(CONFIGURATIONS), role=staff.role if staff else "clerk")


@router.post("/applicants/{person_id}/check", response_class=HTMLResponse, responses=_pages({
    400: "the check is refused", 403: "the CSRF token does not match", 404: "no such applicant or staff member"}))
def check(request: Request, person_id: int, csrf: Annotated[str, Form()], document_kind: Annotated[str, Form()],
          document_number: Annotated[str, Form()], photo_match: Annotated[str | None, Form()] = None,
          notes: Annotated[str, Form()] = "", configuration: Annotated[list[str] | None, Form()] = None) -> Response:
    st, session = _current(request)
    if session is None:
        return _login_redirect()
    if not csrf_ok(csrf, session):
        return _page(request, "error.html", session, status=403)
    chosen = list(configuration or [])  # nothing ticked is refused with the reason, never a default
    now = st.now()
    with st.sessions() as db:
        staff, person = db.get(Staff, session.staff_id), db.get(Person, person_id)
        if staff is None or person is None or not staff.active:
            return _page(request, "error.html", session, status=404)
        try:
            record = record_check(db, staff=staff, person=person, document_kind=document_kind,
                                  document_number=document_number, photo_match=photo_match == "yes", notes=notes,
                                  now=now)
            offer = create_offer(db, check=record, staff=staff, configurations=chosen,
                                 issuer_url=st.settings.public_url.rstrip("/"),
                                 ttl_seconds=st.settings.offer_ttl_seconds, now=now)
        except ValueError as exc:
            db.rollback()
            return _page(request, "error.html", session, status=400, detail=str(exc))
        db.commit()
    qr = segno.make(offer.offer_uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return _page(request, "offer.html", session, qr=qr, offer=offer, seconds=st.settings.offer_ttl_seconds,
                 person_id=person_id)


@router.post("/credentials/{credential_id}/status", response_class=RedirectResponse, status_code=303,
             responses=_pages({403: "the CSRF token does not match, or the status change is not permitted",
                              404: "no such credential", 409: "the status change is not allowed"})
             | {303: _redirect("changed, to the applicant's page; or no session, to /console/login")})
def set_status(request: Request, credential_id: int, csrf: Annotated[str, Form()], status: Annotated[str, Form()],
               reason: Annotated[str, Form()] = "") -> Response:
    st, session = _current(request)
    if session is None:
        return _login_redirect()
    if not csrf_ok(csrf, session):
        return _page(request, "error.html", session, status=403)
    with st.sessions() as db:
        staff, credential = db.get(Staff, session.staff_id), db.get(Credential, credential_id)
        if staff is None or credential is None:
            return _page(request, "error.html", session, status=404)
        refusal = status_change_refusal(staff, credential)
        if refusal is not None:  # audited, committed on its own; the credential is left as it was
            audit_denied(db, staff, operation="credential.status", reason=refusal[0], via="console",
                         target=f"credential:{credential_id}")
            return _page(request, "error.html", session, status=403, detail=refusal[1])
        try:
            change_status(db, credential, status, actor=f"staff:{staff.id}", reason=reason)
        except StatusChangeError as exc:
            return _page(request, "error.html", session, status=409, detail=str(exc))
        db.commit()
        person_id = credential.person_id
    return RedirectResponse(f"/console/applicants/{person_id}", status_code=303)


@router.get("/audit", response_class=HTMLResponse,
            responses=_pages({403: "only a supervisor or an admin sees the audit log"}))
def audit_view(request: Request) -> Response:
    st, session = _current(request)
    if session is None:
        return _login_redirect()
    with st.sessions() as db:
        staff = db.get(Staff, session.staff_id)
        if staff is None or staff.role not in ("supervisor", "admin"):
            return _page(request, "error.html", session, status=403)
        entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)))
        broken = audit.verify_chain(db)
    return _page(request, "audit.html", session, entries=entries, broken=broken, now=dt.datetime.now(dt.UTC))

