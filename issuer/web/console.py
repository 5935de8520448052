"""The clerk console: server-rendered pages (Jinja2, Korean and English), usable with the keyboard alone.

Post/redirect/get everywhere: every form POST answers 303 to a page, so a reload never records a second check
or makes a second offer. What a page must show once (an offer's QR and tx_code, a new password) travels in a
short-lived flash cookie sealed under the session secret, scoped to that page. A refused form is shown again
with the reason and everything the clerk typed. Times are shown in the office's zone (``Settings.timezone``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import urllib.parse
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, or_, select

from issuer import audit
from issuer import audit_view as audit_view_data
from issuer.db.models import Credential, Licence, Offer, Person, Staff
from issuer.grants import MAX_COPIES, GrantError, default_copies, eligibility, progress
from issuer.offers import DOCUMENT_KINDS, OFFER_SCHEME, REFERENCE_PATH, create_offer, record_check
from issuer.web.auth import (
    COOKIE,
    ConsoleSession,
    attempt_login,
    csrf_ok,
    end_sessions,
    is_https,
    lang_of,
    load_session,
    set_language,
)
from issuer.web.i18n import translator, type_name
from issuer.web.state import State, state

router = APIRouter(prefix="/console")
STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_FILES = {"console.css": "text/css", "offer.js": "text/javascript"}
FLASH = "mobileid_flash"
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def pages(described: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a console route: the login redirect (no session) and HTML pages by status."""
    out: dict[int | str, dict[str, Any]] = {303: redirect_doc("no console session: to /console/login")}
    out |= {status: _html(text) for status, text in (described or {}).items()}
    return out


def redirect_doc(description: str) -> dict[str, Any]:
    return {"description": description, "headers": {"Location": {"schema": {"type": "string"}}}}


def current(request: Request) -> tuple[State, ConsoleSession | None]:
    st = state(request)
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return st, None
    with st.sessions() as db:
        return st, load_session(db, cookie, st.now(), idle_seconds=st.settings.session_idle_seconds,
                                absolute_seconds=st.settings.session_absolute_seconds)


def set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    st = state(request)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict",
                        secure=is_https(request, st.settings.public_url))


def local(st: State, value: dt.datetime | None) -> str:
    """``value`` in the office's time zone, to the second (empty for None)."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(st.settings.timezone)).strftime("%Y-%m-%d %H:%M:%S")


def page(request: Request, name: str, session: ConsoleSession | None, status: int = 200, **context: Any) -> Response:
    st = state(request)
    lang = lang_of(request, session)
    response = templates.TemplateResponse(request, name, {
        "t": translator(lang), "lang": lang, "session": session, "type_name": lambda c: type_name(c, lang),
        "local": lambda v: local(st, v), **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    if session is not None and lang != session.lang:  # the language stays with the session
        with st.sessions() as db:
            set_language(db, session, lang)
    return response


def error(request: Request, session: ConsoleSession | None, status: int, key: str, detail: str = "") -> Response:
    return page(request, "error.html", session, status=status, message=key, detail=detail)


def csrf_refused(request: Request, session: ConsoleSession) -> Response:
    """The 403 for a form whose CSRF token does not match its session; audited (path only)."""
    st = state(request)
    with st.sessions() as db:
        audit.append(db, actor=f"staff:{session.staff_id}", action="console.csrf_refused",
                     target=request.url.path[:80])
        db.commit()
    return error(request, session, 403, "err_csrf")


def login_redirect() -> Response:
    return RedirectResponse("/console/login", status_code=303)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---- flash: what one page shows once, sealed under the session secret --------------------------------------

def _flash_key(st: State) -> bytes:
    return hashlib.sha256(b"mobileid console flash|" + st.session_secret).digest()


def set_flash(st: State, request: Request, response: Response, path: str, value: dict[str, Any], seconds: int) -> None:
    nonce = secrets.token_bytes(12)
    sealed = nonce + AESGCM(_flash_key(st)).encrypt(nonce, json.dumps(value).encode(), path.encode())
    response.set_cookie(FLASH, base64.urlsafe_b64encode(sealed).decode(), max_age=seconds, path=path,
                        httponly=True, samesite="strict", secure=is_https(request, st.settings.public_url))


def get_flash(st: State, request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH)
    try:
        sealed = base64.urlsafe_b64decode(raw or "")
        value = json.loads(AESGCM(_flash_key(st)).decrypt(sealed[:12], sealed[12:], request.url.path.encode()))
    except (InvalidTag, ValueError):
        return None
    return value if isinstance(value, dict) else None


# ---- sign-in ------------------------------------------------------------------------------------------------

@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return Response(status_code=404)
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "max-age=3600"})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return page(request, "login.html", None)


@router.post("/login", response_class=RedirectResponse, status_code=303, responses={
    303: redirect_doc("signed in: to /console, with the session cookie"),
    401: _html("wrong username or password, or the account is locked")})
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> Response:
    st = state(request)
    outcome = attempt_login(st.sessions, username, password, st.now(), lang=lang_of(request, None),
                            replaces=request.cookies.get(COOKIE))
    if outcome.problem is not None:
        return page(request, "login.html", None, status=401, error=outcome.problem, username=username,
                    minutes=outcome.locked_minutes)
    response = see_other("/console")
    set_session_cookie(request, response, outcome.cookie)
    return response


@router.post("/logout", response_class=RedirectResponse, status_code=303, responses={
    303: redirect_doc("to /console/login; every session of the person ends when the CSRF token matches")})
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    st, session = current(request)
    if session is not None and not csrf_ok(csrf, session):
        return csrf_refused(request, session)
    response = login_redirect()
    if session is not None:
        with st.sessions() as db:
            end_sessions(db, session.staff_id)
            audit.append(db, actor=f"staff:{session.staff_id}", action="console.logout")
            db.commit()
    response.delete_cookie(COOKIE)
    return response


# ---- search -------------------------------------------------------------------------------------------------

RESIDENT_PREFIX = re.compile(r"\d{6}(-\d{0,7})?")


def _like(term: str) -> str:
    """A LIKE prefix pattern with the wildcards in ``term`` escaped (``\\`` is the escape)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


PAGE_SIZE = 20


def find_people(db: Any, term: str, page: int = 0) -> tuple[list[Person], int]:
    """By Korean name (prefix), Latin name in either order, any case (prefix), or the start of a resident
    registration number (at least the six birth digits): (``PAGE_SIZE`` people of page ``page``, how many
    match in all). ``%`` and ``_`` in ``term`` are literal."""
    words = term.split()
    latin = " ".join(words).upper()
    conditions = [(Person.family_name + Person.given_name).like(_like(term.replace(" ", "")), escape="\\"),
                  Person.given_name == term,
                  func.upper(Person.family_name_latin + " " + Person.given_name_latin).like(_like(latin), escape="\\"),
                  func.upper(Person.given_name_latin + " " + Person.family_name_latin).like(_like(latin), escape="\\")]
    if RESIDENT_PREFIX.fullmatch(term):
        conditions.append(Person.resident_number.like(_like(term), escape="\\"))
    where = or_(*conditions)
    total = int(db.scalar(select(func.count()).select_from(Person).where(where)) or 0)
    people = list(db.scalars(select(Person).where(where).order_by(Person.id)
                             .offset(page * PAGE_SIZE).limit(PAGE_SIZE)))
    return people, total


@router.get("", response_class=HTMLResponse, responses=pages())
def search_form(request: Request) -> Response:
    """The search form. Searches are POSTed (``/console/search``): a name or resident number typed here never
    appears in a URL, so never in an access log, a browser history or a Referer."""
    _, session = current(request)
    if session is None:
        return login_redirect()
    return page(request, "search.html", session, q="", people=[], searched=False)


@router.post("/search", response_class=HTMLResponse, responses=pages({403: "the CSRF token does not match"}))
async def search(request: Request) -> Response:
    """The matches for the posted term, ``PAGE_SIZE`` at a time (``page`` from 0), with how many there are."""
    st, session = current(request)
    if session is None:
        return login_redirect()
    form = await request.form()
    if not csrf_ok(str(form.get("csrf", "")), session):
        return csrf_refused(request, session)
    term = str(form.get("q", "")).strip()[:100]
    asked = str(form.get("page", "0"))
    number = int(asked) if asked.isdigit() and len(asked) < 6 else 0
    people: list[Person] = []
    total = 0
    if term:
        with st.sessions() as db:
            people, total = find_people(db, term, number)
    pages_count = max(1, -(-total // PAGE_SIZE))
    return page(request, "search.html", session, q=term, people=people, searched=bool(term), total=total,
                page_number=number, pages_count=pages_count, first=number * PAGE_SIZE + 1 if people else 0,
                last=number * PAGE_SIZE + len(people))


# ---- applicant, check and offer ----------------------------------------------------------------------------

def _applicant_context(st: State, db: Any, person: Person, staff: Staff) -> dict[str, Any]:
    licence = db.scalars(select(Licence).where(Licence.person_id == person.id)).first()
    credentials = list(db.scalars(select(Credential).where(Credential.person_id == person.id)
                                  .order_by(Credential.id.desc()).limit(50)))
    offers = [progress(db, o, st.now()) for o in db.scalars(select(Offer).where(Offer.person_id == person.id)
                                                             .order_by(Offer.id.desc()).limit(10))]
    return {"person": person, "licence": licence, "credentials": credentials, "offers": offers,
            "kinds": DOCUMENT_KINDS, "eligibility": eligibility(db, person, st.now().date()),
            "default_copies": default_copies, "max_copies": MAX_COPIES, "role": staff.role}


@router.get("/applicants/{person_id}", response_class=HTMLResponse, responses=pages({404: "no such applicant"}))
def applicant(request: Request, person_id: int) -> Response:
    st, session = current(request)
    if session is None:
        return login_redirect()
    with st.sessions() as db:
        person, staff = db.get(Person, person_id), db.get(Staff, session.staff_id)
        if person is None or staff is None:
            return error(request, session, 404, "err_not_found")
        context = _applicant_context(st, db, person, staff)
    return page(request, "applicant.html", session, form=None, problem=None, **context)


def _copies(form: Any, chosen: list[str]) -> dict[str, int]:
    out = {}
    for config in chosen:
        value = str(form.get(f"copies_{config}", "") or default_copies(config)).strip()
        # 0 is refused with the reason; only ASCII digits (int() refuses "¹²³", which isdigit() accepts)
        out[config] = int(value) if value.isascii() and value.isdigit() and len(value) < 4 else 0
    return out


@router.post("/applicants/{person_id}/check", response_class=RedirectResponse, status_code=303,
             responses=pages({400: "the check is refused: the form again, with the reason and what was typed",
                              403: "the CSRF token does not match", 404: "no such applicant or staff member"})
             | {303: redirect_doc("recorded: to the offer's page (or no session: to /console/login)")})
async def check(request: Request, person_id: int) -> Response:
    st, session = current(request)
    if session is None:
        return login_redirect()
    form = await request.form()
    if not csrf_ok(str(form.get("csrf", "")), session):
        return csrf_refused(request, session)
    chosen = [str(c) for c in form.getlist("configuration")]  # nothing ticked is refused, never a default
    kind, number = str(form.get("document_kind", "")), str(form.get("document_number", ""))[:40]
    photo, notes, copies = form.get("photo_match") == "yes", str(form.get("notes", ""))[:1000], _copies(form, chosen)
    typed = {"document_kind": kind, "document_number": number, "photo_match": photo, "notes": notes,
             "chosen": chosen, "copies": copies}
    now = st.now()
    with st.sessions() as db:
        staff, person = db.get(Staff, session.staff_id), db.get(Person, person_id)
        if staff is None or person is None or not staff.active:
            return error(request, session, 404, "err_not_found")
        try:
            record = record_check(db, staff=staff, person=person, document_kind=kind, document_number=number,
                                  photo_match=photo, notes=notes, now=now)
            offer = create_offer(db, check=record, staff=staff, configurations=chosen, copies=copies,
                                 issuer_url=st.settings.public_url.rstrip("/"),
                                 ttl_seconds=st.settings.offer_ttl_seconds, now=now, pepper=st.pepper)
        except ValueError as exc:
            db.rollback()
            code = exc.code if isinstance(exc, GrantError) else _check_code(str(exc))
            context = _applicant_context(st, db, person, staff)
            return page(request, "applicant.html", session, status=400, form=typed,
                        problem={"key": f"err_{code}", "detail": str(exc) if code == "not_eligible" else ""},
                        **context)
        db.commit()
    path = f"/console/offers/{offer.offer_id}"
    response = see_other(path)
    set_flash(st, request, response, path, {"reference": offer.reference, "tx_code": offer.tx_code},
              st.settings.offer_ttl_seconds)
    return response


def _check_code(message: str) -> str:
    for code, words in (("document_kind", "document kind"), ("document_number", "document number"),
                        ("photo_match", "photo match")):
        if words in message:
            return code
    return "unknown"


@router.get("/offers/{offer_id}", response_class=HTMLResponse, responses=pages({404: "no such offer"}))
def offer_page(request: Request, offer_id: int) -> Response:
    """The offer: who it is for, what it grants, when (local time), its state; the QR and tx_code while it
    waits, on the screen it was made on (flash). Reloading shows the same offer; nothing new is made."""
    st, session = current(request)
    if session is None:
        return login_redirect()
    with st.sessions() as db:
        offer = db.get(Offer, offer_id)
        if offer is None:
            return error(request, session, 404, "err_not_found")
        person = db.get(Person, offer.person_id)
        shown = progress(db, offer, st.now())
    flash = get_flash(st, request) if shown.state == "waiting" else None
    qr = uri = None
    if flash is not None:
        uri = OFFER_SCHEME + "credential_offer_uri=" + urllib.parse.quote(
            f"{st.settings.public_url.rstrip('/')}{REFERENCE_PATH}{flash['reference']}", safe="")
        qr = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return page(request, "offer.html", session, offer=offer, person=person, progress=shown, qr=qr, offer_uri=uri,
                tx_code=flash["tx_code"] if flash else None, refresh=shown.state in ("waiting", "partly_received"))


@router.get("/audit", response_class=HTMLResponse,
            responses=pages({403: "only a supervisor or an admin sees the audit log"}))
def audit_view(request: Request, before: int | None = None) -> Response:
    """One page of the log (newest first; ``before``: the page of older entries); the chain is verified from
    its checkpoint, so a view walks only the entries added since (``issuer.audit_view``)."""
    st, session = current(request)
    if session is None:
        return login_redirect()
    with st.sessions() as db:
        staff = db.get(Staff, session.staff_id)
        if staff is None or staff.role not in ("supervisor", "admin"):
            return error(request, session, 403, "err_forbidden")
        shown = audit_view_data.page(db, before)
        chain = audit_view_data.check(db, st.now())
    return page(request, "audit.html", session, entries=shown.entries, older=shown.older, broken=chain.broken)


