"""Staff administration (admins only, from the console and the CLI): list, create, deactivate, reactivate,
reset a password, unlock, and offices. Every change is audited by ids and codes (never a password); a new or
reset password is generated here and shown once to the admin who asked."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db.models import ConsoleSessionRow, Office, Staff
from issuer.security import hash_password

ROLES = ("clerk", "supervisor", "admin")
USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")
OFFICE_CODE = re.compile(r"[A-Z][A-Z0-9-]{1,31}")


class StaffError(ValueError):
    """A refused staff change; ``code`` names the rule (``username``, ``taken``, ``role``, ``office``, ...)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class StaffRow:
    id: int
    username: str
    role: str
    office: str
    active: bool
    locked: bool
    has_api_token: bool


def _locked(staff: Staff, now: dt.datetime) -> bool:
    until = staff.locked_until
    return until is not None and (until if until.tzinfo else until.replace(tzinfo=dt.UTC)) > now


def list_staff(session: Session, now: dt.datetime) -> list[StaffRow]:
    rows = session.execute(select(Staff, Office.code).join(Office, Office.id == Staff.office_id)
                           .order_by(Staff.username)).all()
    return [StaffRow(s.id, s.username, s.role, code, s.active, _locked(s, now), s.api_token_hash is not None)
            for s, code in rows]


def _office(session: Session, code: str) -> Office:
    office = session.scalars(select(Office).where(Office.code == code)).first()
    if office is None:
        codes = ", ".join(session.scalars(select(Office.code).order_by(Office.code)))
        raise StaffError(f"no office {code}; the offices are {codes}", "office")
    return office


def create_staff(session: Session, *, actor: str, username: str, role: str, office_code: str) -> str:
    """Add a member of staff; returns the generated password (shown once)."""
    if not USERNAME.fullmatch(username):
        raise StaffError("a username is 2-64 lower-case letters, digits, '.', '_' or '-', starting with a letter",
                         "username")
    if role not in ROLES:
        raise StaffError("role must be clerk, supervisor or admin", "role")
    office = _office(session, office_code)
    if session.scalars(select(Staff.id).where(Staff.username == username)).first() is not None:
        raise StaffError(f"a member of staff is already called {username}", "taken")
    password = secrets.token_urlsafe(12)
    staff = Staff(username=username, role=role, office_id=office.id, password_hash=hash_password(password))
    session.add(staff)
    session.flush()
    audit.append(session, actor=actor, action="staff.create", target=f"staff:{staff.id}",
                 detail={"role": role, "office": office.id})
    return password


def _member(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError("no such member of staff", "not_found")
    return staff


def end_sessions(session: Session, staff_id: int) -> int:
    """End every console session of ``staff_id`` at once (in the caller's transaction); how many there were."""
    ended = session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.staff_id == staff_id))
    return int(ended.rowcount)  # type: ignore[attr-defined]


def set_active(session: Session, *, actor: str, staff_id: int, active: bool) -> Staff:
    """Deactivate (no sign-in, no API token works, every console session ends) or reactivate; nobody
    deactivates themselves."""
    staff = _member(session, staff_id)
    if actor == f"staff:{staff_id}" and not active:
        raise StaffError("you cannot deactivate yourself", "self")
    staff.active = active
    if not active:
        end_sessions(session, staff.id)
    audit.append(session, actor=actor, action="staff.activate" if active else "staff.deactivate",
                 target=f"staff:{staff.id}")
    return staff


def reset_password(session: Session, *, actor: str, staff_id: int) -> str:
    """A new generated password (shown once); also lifts a lock and ends every console session."""
    staff = _member(session, staff_id)
    password = secrets.token_urlsafe(12)
    staff.password_hash, staff.failed_logins, staff.locked_until = hash_password(password), 0, None
    end_sessions(session, staff.id)
    audit.append(session, actor=actor, action="staff.reset_password", target=f"staff:{staff.id}")
    return password


def set_role(session: Session, *, actor: str, staff_id: int, role: str) -> Staff:
    """Another role (clerk, supervisor, admin); every console session of the person ends, so no page opened
    under the old role stays usable. Nobody changes their own role."""
    if role not in ROLES:
        raise StaffError("role must be clerk, supervisor or admin", "role")
    staff = _member(session, staff_id)
    if actor == f"staff:{staff_id}":
        raise StaffError("you cannot change your own role", "self_role")
    if staff.role != role:
        staff.role = role
        end_sessions(session, staff.id)
        audit.append(session, actor=actor, action="staff.role", target=f"staff:{staff.id}", detail={"role": role})
    return staff


def unlock(session: Session, *, actor: str, staff_id: int) -> Staff:
    staff = _member(session, staff_id)
    staff.failed_logins, staff.locked_until = 0, None
    audit.append(session, actor=actor, action="staff.unlock", target=f"staff:{staff.id}")
    return staff


def create_office(session: Session, *, actor: str, code: str, name: str) -> Office:
    if not OFFICE_CODE.fullmatch(code):
        raise StaffError("an office code is 2-32 capital letters, digits or '-', e.g. SEOUL-02", "office_code")
    if not name.strip() or len(name) > 200:
        raise StaffError("an office needs a name (at most 200 characters)", "office_name")
    if session.scalars(select(Office.id).where(Office.code == code)).first() is not None:
        raise StaffError(f"there is already an office {code}", "office_taken")
    office = Office(code=code, name=name.strip())
    session.add(office)
    session.flush()
    audit.append(session, actor=actor, action="office.create", target=f"office:{office.id}")
    return office


def offices(session: Session) -> list[Office]:
    return list(session.scalars(select(Office).order_by(Office.code)))
