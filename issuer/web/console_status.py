"""Status changes from the console: a confirmation page first (what changes, to what, a reason), then the
change; the reason is required on the server, and one confirmation can act on all of a person's credentials.
Only a supervisor (credentials of their office) or an admin may; every change and refusal is audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from issuer.db.models import Credential, Person, Staff
from issuer.status import VALUES, StatusChangeError, change_status
from issuer.web.api import audit_denied, status_change_refusal
from issuer.web.auth import ConsoleSession, csrf_ok
from issuer.web.console import csrf_refused, current, error, login_redirect, page, pages, redirect_doc, see_other

router = APIRouter(prefix="/console")
MAX_REASON = 200


def _changeable(db: Any, staff: Staff, rows: list[Credential], to: str) -> list[Credential]:
    """The credentials ``staff`` may move to ``to`` (not revoked, not already there, within their office)."""
    return [c for c in rows if c.status != "revoked" and c.status != to and status_change_refusal(staff, c) is None]


def _confirm(request: Request, session: ConsoleSession, *, person: Person, rows: list[Credential], to: str,
             action: str, status: int = 200, reason: str = "", problem: str | None = None,
             chosen: set[int] | None = None) -> Response:
    return page(request, "confirm.html", session, status=status, person=person, credentials=rows, to=to,
                action=action, reason=reason, problem=problem,
                chosen=chosen if chosen is not None else {c.id for c in rows})


def _load(request: Request, session: ConsoleSession, db: Any, person_id: int, credential_id: int | None,
          to: str) -> tuple[Staff, Person, list[Credential]] | Response:
    """(staff, person, the credentials the confirmation may change) or the refusal page (403s audited)."""
    staff = db.get(Staff, session.staff_id)
    person = db.get(Person, person_id)
    if staff is None or person is None or to not in VALUES:
        return error(request, session, 404, "err_not_found")
    target = f"credential:{credential_id}" if credential_id is not None else f"person:{person_id}"
    query = select(Credential).where(Credential.person_id == person_id).order_by(Credential.id)
    if credential_id is not None:
        query = query.where(Credential.id == credential_id)
    rows = list(db.scalars(query))
    refusal = (("inactive", "") if not staff.active else ("role", "") if staff.role not in ("supervisor", "admin")
               else None)
    if refusal is None and credential_id is not None and rows:
        refusal = status_change_refusal(staff, rows[0])
    if refusal is not None:  # audited and committed on its own; nothing changes
        audit_denied(db, staff, operation="credential.status", reason=refusal[0], via="console", target=target)
        return error(request, session, 403, "err_office_scope" if refusal[0] == "office" else "err_forbidden")
    if credential_id is not None and rows and rows[0].status == "revoked":
        return error(request, session, 409, "err_status")
    return staff, person, _changeable(db, staff, rows, to)


def _form_page(request: Request, person_id: int, credential_id: int | None, to: str) -> Response:
    st, session = current(request)
    if session is None:
        return login_redirect()
    with st.sessions() as db:
        loaded = _load(request, session, db, person_id, credential_id, to)
        if isinstance(loaded, Response):
            return loaded
        _, person, rows = loaded
    action = (f"/console/credentials/{credential_id}/status" if credential_id is not None
              else f"/console/applicants/{person_id}/status")
    return _confirm(request, session, person=person, rows=rows, to=to, action=action)


@router.get("/applicants/{person_id}/status", response_class=HTMLResponse,
            responses=pages({403: "not a supervisor or admin", 404: "no such applicant or status"}))
def confirm_all(request: Request, person_id: int, to: str = "suspended") -> Response:
    """Confirm a change of every credential of the person that the member of staff may change."""
    return _form_page(request, person_id, None, to)


@router.get("/credentials/{credential_id}/status", response_class=HTMLResponse,
            responses=pages({403: "not a supervisor or admin", 404: "no such credential or status"}))
def confirm_one(request: Request, credential_id: int, to: str = "suspended") -> Response:
    st, session = current(request)
    if session is None:
        return login_redirect()
    with st.sessions() as db:
        credential = db.get(Credential, credential_id)
    if credential is None:
        return error(request, session, 404, "err_not_found")
    return _form_page(request, credential.person_id, credential_id, to)


async def _apply(request: Request, person_id: int | None, credential_id: int | None) -> Response:
    st, session = current(request)
    if session is None:
        return login_redirect()
    form = await request.form()
    if not csrf_ok(str(form.get("csrf", "")), session):
        return csrf_refused(request, session)
    to, reason = str(form.get("to") or form.get("status") or ""), str(form.get("reason", "")).strip()[:MAX_REASON]
    chosen = {int(str(v)) for v in form.getlist("credential") if str(v).isascii() and str(v).isdigit()}
    if credential_id is not None and not form.getlist("credential"):
        chosen = {credential_id}  # a one-credential form names it in its address
    with st.sessions() as db:
        if person_id is None:
            credential = db.get(Credential, credential_id)
            if credential is None:
                return error(request, session, 404, "err_not_found")
            person_id = credential.person_id
        loaded = _load(request, session, db, person_id, credential_id, to)
        if isinstance(loaded, Response):
            return loaded
        staff, person, rows = loaded
        action = str(request.url.path)
        problem = "reason_required" if not reason else "select_one" if not chosen & {c.id for c in rows} else None
        if problem is not None:  # shown again with what was typed and ticked; nothing changed
            return _confirm(request, session, person=person, rows=rows, to=to, action=action, status=400,
                            reason=reason, problem=problem, chosen=chosen)
        for row in rows:
            if row.id in chosen:
                try:
                    change_status(db, row, to, actor=f"staff:{staff.id}", reason=reason)
                except StatusChangeError:
                    db.rollback()
                    return error(request, session, 409, "err_status")
        db.commit()
    return see_other(f"/console/applicants/{person_id}?changed={to}")


@router.post("/applicants/{person_id}/status", response_class=RedirectResponse, status_code=303,
             responses=pages({400: "no reason or no credential chosen: the confirmation again",
                              403: "CSRF, or not permitted", 404: "no such applicant", 409: "not allowed"})
             | {303: redirect_doc("changed: to the applicant's page")})
async def apply_all(request: Request, person_id: int) -> Response:
    return await _apply(request, person_id, None)


@router.post("/credentials/{credential_id}/status", response_class=RedirectResponse, status_code=303,
             responses=pages({400: "no reason: the confirmation again", 403: "CSRF, or not permitted",
                              404: "no such credential", 409: "the status change is not allowed"})
             | {303: redirect_doc("changed: to the applicant's page")})
async def apply_one(request: Request, credential_id: int) -> Response:
    return await _apply(request, None, credential_id)
