"""Console sessions: an HMAC-signed cookie (HttpOnly, SameSite=Strict) with an idle timeout, a CSRF token
bound to the session, and a login rate limit (5 failures lock the account for 15 minutes)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from issuer.db.models import Staff
from issuer.security import check_password, constant_time_equal

COOKIE = "mobileid_console"
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    staff_id: int
    csrf: str
    lang: str


def _sign(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def encode_session(secret: bytes, session: ConsoleSession, now: dt.datetime) -> str:
    body = base64.urlsafe_b64encode(json.dumps({"s": session.staff_id, "c": session.csrf, "l": session.lang,
                                                "t": int(now.timestamp())}).encode())
    return body.decode() + "." + _sign(secret, body)


def decode_session(secret: bytes, value: str | None, now: dt.datetime, idle_seconds: int) -> ConsoleSession | None:
    if not value or "." not in value:
        return None
    body, signature = value.rsplit(".", 1)
    if not constant_time_equal(signature, _sign(secret, body.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        return None
    if now.timestamp() - data["t"] > idle_seconds:
        return None
    return ConsoleSession(int(data["s"]), str(data["c"]), str(data["l"]))


def new_session(staff: Staff, lang: str) -> ConsoleSession:
    return ConsoleSession(staff.id, secrets.token_urlsafe(24), lang)


def attempt_login(db: Session, staff: Staff | None, password: str, now: dt.datetime) -> str | None:
    """None on success, else the message key to show; failures count towards a temporary lock."""
    if staff is None or not staff.active:
        check_password("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$" + "A" * 43, password)  # same cost either way
        return "bad_login"
    locked = staff.locked_until
    if locked is not None and (locked if locked.tzinfo else locked.replace(tzinfo=dt.UTC)) > now:
        return "locked"
    if not check_password(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= MAX_FAILURES:
            staff.locked_until, staff.failed_logins = now + LOCKOUT, 0
        db.commit()
        return "bad_login"
    staff.failed_logins, staff.locked_until = 0, None
    return None


def csrf_ok(request_token: str | None, session: ConsoleSession) -> bool:
    return bool(request_token) and constant_time_equal(request_token or "", session.csrf)


def lang_of(request: Request, session: ConsoleSession | None) -> str:
    asked = request.query_params.get("lang")
    if asked in ("ko", "en"):
        return asked
    return session.lang if session else "ko"
