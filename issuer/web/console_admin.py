"""Staff administration in the console, for admins (``issuer.staff`` does the work, as for the CLI): list,
create, deactivate, reactivate, reset a password, unlock, offices. Post/redirect/get; a new password is shown
once on the page the change leads to (flash), never stored or logged; a refused form keeps what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from issuer.db.models import Staff
from issuer.staff import (
    ROLES,
    StaffError,
    create_office,
    create_staff,
    list_staff,
    offices,
    reset_password,
    set_active,
    set_role,
    unlock,
)
from issuer.web.api import audit_denied
from issuer.web.auth import ConsoleSession, csrf_ok
from issuer.web.console import (
    csrf_refused,
    current,
    error,
    get_flash,
    login_redirect,
    page,
    pages,
    redirect_doc,
    see_other,
    set_flash,
)
from issuer.web.state import State

router = APIRouter(prefix="/console")
OPERATIONS = {"deactivate", "reactivate", "reset", "unlock", "role"}


def _admin(request: Request, st: State, db: Any, session: ConsoleSession, operation: str) -> Staff | Response:
    staff: Staff | None = db.get(Staff, session.staff_id)
    if staff is None or staff.role != "admin" or not staff.active:
        audit_denied(db, staff, operation=operation, reason="role", via="console")
        return error(request, session, 403, "err_forbidden")
    return staff


def _staff_page(request: Request, session: ConsoleSession, st: State, db: Any, status: int = 200,
                **context: Any) -> Response:
    return page(request, "staff.html", session, status=status, staff=list_staff(db, st.now()), offices=offices(db),
                roles=ROLES, shown=get_flash(st, request), **context)


@router.get("/staff", response_class=HTMLResponse, responses=pages({403: "admins only"}))
def staff_list(request: Request) -> Response:
    st, session = current(request)
    if session is None:
        return login_redirect()
    with st.sessions() as db:
        admin = _admin(request, st, db, session, "staff.list")
        if isinstance(admin, Response):
            return admin
        response = _staff_page(request, session, st, db, form=None, problem=None)
    response.delete_cookie("mobileid_flash", path="/console/staff")  # a new password is shown once
    return response


async def _form(request: Request, session: ConsoleSession) -> dict[str, str] | None:
    form = await request.form()
    if not csrf_ok(str(form.get("csrf", "")), session):
        return None
    return {k: str(v)[:200] for k, v in form.items()}


async def _admin_post(request: Request, operation: str, run: Callable[[Any, Staff, dict[str, str]], Any],
                      form_key: str = "form") -> Response:
    """One admin form: CSRF, the admin check, ``run(db, admin, form)`` (a dict it returns is shown once on
    the staff page), commit and 303; a ``StaffError`` shows the staff page again with the reason and input."""
    st, session = current(request)
    if session is None:
        return login_redirect()
    form = await _form(request, session)
    if form is None:
        return csrf_refused(request, session)
    with st.sessions() as db:
        admin = _admin(request, st, db, session, operation)
        if isinstance(admin, Response):
            return admin
        try:
            shown = run(db, admin, form)
        except StaffError as exc:
            db.rollback()
            return _staff_page(request, session, st, db, status=400, problem=f"err_{exc.code}",
                               **{"form": None, "office_form": None, form_key: form})
        db.commit()
    response = see_other("/console/staff")
    if isinstance(shown, dict):
        set_flash(st, request, response, "/console/staff", shown, 300)
    return response


@router.post("/staff", response_class=RedirectResponse, status_code=303,
             responses=pages({400: "refused: the form again with the reason", 403: "admins only, or CSRF"})
             | {303: redirect_doc("created: to /console/staff, the password shown once")})
async def staff_create(request: Request) -> Response:
    def run(db: Any, admin: Staff, form: dict[str, str]) -> dict[str, str]:
        username = form.get("username", "").strip()
        password = create_staff(db, actor=f"staff:{admin.id}", username=username, role=form.get("role", ""),
                                office_code=form.get("office", ""))
        return {"username": username, "password": password}

    return await _admin_post(request, "staff.create", run)


@router.post("/staff/{staff_id}/{operation}", response_class=RedirectResponse, status_code=303,
             responses=pages({400: "refused", 403: "admins only, or CSRF", 404: "no such member or operation"})
             | {303: redirect_doc("done: to /console/staff")})
async def staff_change(request: Request, staff_id: int, operation: str) -> Response:
    if operation not in OPERATIONS:
        _, session = current(request)
        return error(request, session, 404, "err_not_found") if session else login_redirect()

    def run(db: Any, admin: Staff, form: dict[str, str]) -> dict[str, str] | None:
        actor = f"staff:{admin.id}"
        if operation == "reset":
            target = db.get(Staff, staff_id)
            password = reset_password(db, actor=actor, staff_id=staff_id)
            return {"username": target.username if target else "", "password": password}
        if operation == "unlock":
            unlock(db, actor=actor, staff_id=staff_id)
        elif operation == "role":
            set_role(db, actor=actor, staff_id=staff_id, role=form.get("role", ""))
        else:
            set_active(db, actor=actor, staff_id=staff_id, active=operation == "reactivate")
        return None

    return await _admin_post(request, f"staff.{operation}", run)


@router.post("/offices", response_class=RedirectResponse, status_code=303,
             responses=pages({400: "refused: the form again with the reason", 403: "admins only, or CSRF"})
             | {303: redirect_doc("created: to /console/staff")})
async def office_create(request: Request) -> Response:
    def run(db: Any, admin: Staff, form: dict[str, str]) -> None:
        create_office(db, actor=f"staff:{admin.id}", code=form.get("code", "").strip(), name=form.get("name", ""))

    return await _admin_post(request, "office.create", run, form_key="office_form")
