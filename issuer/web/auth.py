"""Console sign-in and sessions.

Sessions live in the database (``console_sessions``): the cookie (HttpOnly, SameSite=Strict, Secure over https)
carries only a random id, the row only its SHA-256. A session ends after ``session_idle_seconds`` without a
request and ``session_absolute_seconds`` after sign-in, whatever happens; signing in makes a new id (the one
the browser brought is deleted); logout, a password reset, a role change and deactivation delete every session
of the person (``end_sessions``), so a copied cookie stops working at once.

Sign-in cannot be raced or probed: the password is checked (argon2id, ~50 ms of CPU) outside any write
transaction, so a burst of sign-ins never holds SQLite's write lock; a failure is counted with one atomic
``UPDATE ... SET failed_logins = failed_logins + 1 RETURNING``, so concurrent wrong passwords lock the account
exactly as the same number sent one after another; success is itself a conditional UPDATE that only an
unlocked account passes. Unknown usernames and wrong passwords get the same message after the same work; a
locked account is told for how long. Failed sign-ins and lockouts are audited (by staff id, never the typed
name or password).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from issuer import audit
from issuer.db.models import ConsoleSessionRow, Staff
from issuer.security import check_password, constant_time_equal, token_hash
from issuer.staff import end_sessions

__all__ = ["COOKIE", "ConsoleSession", "LoginOutcome", "attempt_login", "csrf_ok", "end_sessions", "is_https",
           "lang_of", "load_session", "open_session", "set_language"]

COOKIE = "mobileid_console"
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SEEN_EVERY = dt.timedelta(seconds=30)  # how stale ``seen_at`` may get before a request writes it again
# Verified for an unknown or inactive username, so that answer costs what a wrong password costs.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$" + "A" * 43


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    id: int  # the row in console_sessions
    staff_id: int
    csrf: str
    lang: str


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """``problem`` is None when signed in (then ``cookie`` and ``session`` are set), else the message key
    (``bad_login`` or ``locked``); ``locked_minutes`` says how long a lock still holds."""

    problem: str | None
    locked_minutes: int = 0
    cookie: str = ""
    session: ConsoleSession | None = None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _minutes(until: dt.datetime | None, now: dt.datetime) -> int:
    return max(1, math.ceil((_aware(until) - now).total_seconds() / 60)) if until else math.ceil(
        LOCKOUT.total_seconds() / 60)


# ---- sessions ---------------------------------------------------------------------------------------------

def open_session(db: Session, staff_id: int, lang: str, now: dt.datetime,
                 replaces: str | None = None) -> tuple[str, ConsoleSession]:
    """A new session (in the caller's transaction): (cookie value, session). The id the browser brought, if
    any, is deleted: a sign-in always rotates the id (no session fixation)."""
    if replaces:
        db.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == token_hash(replaces)))
    cookie = secrets.token_urlsafe(32)
    row = ConsoleSessionRow(token_hash=token_hash(cookie), staff_id=staff_id, csrf=secrets.token_urlsafe(24),
                            lang=lang, created_at=now, seen_at=now)
    db.add(row)
    db.flush()
    return cookie, ConsoleSession(row.id, staff_id, row.csrf, lang)


def load_session(db: Session, cookie: str | None, now: dt.datetime, *, idle_seconds: int,
                 absolute_seconds: int) -> ConsoleSession | None:
    """The live session behind ``cookie`` (its idle time restarted), else None (an expired one is deleted)."""
    if not cookie or len(cookie) > 100:
        return None
    row = db.scalars(select(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == token_hash(cookie))).first()
    if row is None:
        return None
    seen, created = _aware(row.seen_at), _aware(row.created_at)
    if (now - seen).total_seconds() > idle_seconds or (now - created).total_seconds() > absolute_seconds:
        db.delete(row)
        db.commit()
        return None
    if now - seen >= SEEN_EVERY:
        row.seen_at = now
        db.commit()
    return ConsoleSession(row.id, row.staff_id, row.csrf, row.lang)


def set_language(db: Session, session: ConsoleSession, lang: str) -> None:
    db.execute(update(ConsoleSessionRow).where(ConsoleSessionRow.id == session.id).values(lang=lang))
    db.commit()


# ---- sign-in ----------------------------------------------------------------------------------------------

def _failed(db: Session, staff_id: int | None, reason: str, now: dt.datetime) -> None:
    audit.append(db, actor="console", action="console.login_failed",
                 target=f"staff:{staff_id}" if staff_id else "", detail={"reason": reason}, now=now)


def attempt_login(sessions: sessionmaker[Session], username: str, password: str, now: dt.datetime, *,
                  lang: str, replaces: str | None = None) -> LoginOutcome:
    """Sign ``username`` in: read the account, verify the password with no transaction open, then record
    the outcome atomically (see the module docstring)."""
    with sessions() as db:
        row = db.execute(select(Staff.id, Staff.password_hash, Staff.active, Staff.locked_until)
                         .where(Staff.username == username[:64])).first()
        if row is not None and row.locked_until is not None and _aware(row.locked_until) <= now:
            # a lock that has run out: counting starts again (only if nobody has locked it anew meanwhile)
            db.execute(update(Staff).where(Staff.id == row.id, Staff.locked_until == row.locked_until)
                       .values(failed_logins=0, locked_until=None))
            db.commit()
        elif row is not None and row.active and row.locked_until is not None:
            _failed(db, row.id, "locked", now)
            db.commit()
            return LoginOutcome("locked", _minutes(row.locked_until, now))
    known = row is not None and bool(row.active)
    right = check_password(row.password_hash if known and row is not None else _DUMMY_HASH, password)
    with sessions() as db:
        if row is None or not known:
            _failed(db, row.id if row is not None else None, "unknown" if row is None else "inactive", now)
            db.commit()
            return LoginOutcome("bad_login")
        if not right:
            counted = db.execute(update(Staff).where(Staff.id == row.id)
                                 .values(failed_logins=Staff.failed_logins + 1)
                                 .returning(Staff.failed_logins, Staff.locked_until)).one()
            _failed(db, row.id, "password", now)
            until = counted.locked_until
            if counted.failed_logins == MAX_FAILURES:
                until = now + LOCKOUT
                db.execute(update(Staff).where(Staff.id == row.id).values(locked_until=until))
                audit.append(db, actor="console", action="console.lockout", target=f"staff:{row.id}",
                             detail={"minutes": _minutes(until, now)}, now=now)
            db.commit()
            if counted.failed_logins >= MAX_FAILURES:
                return LoginOutcome("locked", _minutes(until, now))
            return LoginOutcome("bad_login")
        won = db.execute(update(Staff).where(Staff.id == row.id, Staff.active.is_(True),
                                             Staff.failed_logins < MAX_FAILURES, Staff.locked_until.is_(None))
                         .values(failed_logins=0))
        if won.rowcount != 1:  # type: ignore[attr-defined]  # locked (or deactivated) meanwhile
            until = db.scalars(select(Staff.locked_until).where(Staff.id == row.id)).first()
            _failed(db, row.id, "locked", now)
            db.commit()
            return LoginOutcome("locked", _minutes(until, now))
        cookie, session = open_session(db, row.id, lang, now, replaces)
        audit.append(db, actor=f"staff:{row.id}", action="console.login", now=now)
        db.commit()
    return LoginOutcome(None, cookie=cookie, session=session)


def csrf_ok(request_token: str | None, session: ConsoleSession) -> bool:
    return bool(request_token) and constant_time_equal(request_token or "", session.csrf)


def lang_of(request: Request, session: ConsoleSession | None) -> str:
    asked = request.query_params.get("lang")
    if asked in ("ko", "en"):
        return asked
    return session.lang if session else "ko"


def is_https(request: Request, public_url: str) -> bool:
    """Served over https: the public URL says so, or this request came in over it."""
    return public_url.startswith("https://") or request.url.scheme == "https"
