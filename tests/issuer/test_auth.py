"""Console sign-in and sessions (issuer.web.auth): sessions stored server-side that really end, sign-in that
cannot be raced or probed, failed sign-ins, lockouts and CSRF refusals in the audit log."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import issuer.security
from issuer.db.models import AuditEntry, ConsoleSessionRow, Staff
from issuer.security import token_hash
from issuer.web.auth import COOKIE, MAX_FAILURES

from .conftest import Service
from .test_api import add_staff

BAD_LOGIN = "아이디 또는 비밀번호가 올바르지 않습니다."


def _alert(page: httpx.Response) -> str:
    match = re.search(r'role="alert">([^<]*)<', page.text)
    assert match, page.text
    return match.group(1)


def _login(client: Any, username: str, password: str) -> httpx.Response:
    return client.post("/console/login", data={"username": username, "password": password},  # type: ignore[no-any-return]
                       follow_redirects=False)


def _use(service: Service, cookie: str) -> None:
    """Send ``cookie`` as the console cookie, and no other (as a copied cookie in another browser)."""
    service.client.cookies.clear()
    service.client.cookies.set(COOKIE, cookie)


def _actions(service: Service, action: str) -> list[AuditEntry]:
    with service.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_lockout_after_five_failures_says_for_how_long(service: Service) -> None:
    for attempt in range(1, MAX_FAILURES + 1):
        page = _login(service.client, "clerk1", "nope")
        assert page.status_code == 401
        assert (_alert(page) == BAD_LOGIN) == (attempt < MAX_FAILURES)
    locked = _login(service.client, "clerk1", service.clerk_password)
    assert locked.status_code == 401 and "15분 후" in _alert(locked) and "잠겼습니다" in _alert(locked)
    service.clock.advance(minutes=10)
    assert "5분 후" in _alert(_login(service.client, "clerk1", service.clerk_password))
    service.clock.advance(minutes=6)
    service.login()
    assert len(_actions(service, "console.lockout")) == 1


def test_unknown_user_and_wrong_password_get_the_same_answer(service: Service) -> None:
    unknown = _login(service.client, "nobody-here", "whatever")
    wrong = _login(service.client, "clerk1", "whatever")
    assert unknown.status_code == wrong.status_code == 401
    assert _alert(unknown) == _alert(wrong) == BAD_LOGIN
    failed = _actions(service, "console.login_failed")
    assert [(f.target, f.detail) for f in failed] == [("", {"reason": "unknown"}),
                                                      ("staff:1", {"reason": "password"})]
    assert not any("nobody-here" in str(f.detail) + f.target for f in failed)  # what was typed is not kept


def _race_wrong_passwords(url: str, username: str, clients: int) -> list[int]:
    barrier = threading.Barrier(clients)

    def attempt(_: int) -> int:
        with httpx.Client(base_url=url, timeout=60) as client:
            barrier.wait()
            return _login(client, username, "wrong-password").status_code

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(attempt, range(clients)))


@pytest.mark.slow
def test_concurrent_wrong_passwords_lock_as_sequential_ones(service: Service, live_url: str) -> None:
    """10 wrong passwords at the same instant lock the account exactly as 10 one after another do: the
    right password is refused afterwards (a read-modify-write counter lost most of them)."""
    add_staff(service, "seq", "clerk", "SEOUL-01")
    with httpx.Client(base_url=live_url, timeout=60) as client:
        sequential = [_login(client, "seq", "wrong-password").status_code for _ in range(10)]
    assert _race_wrong_passwords(live_url, "clerk1", 10) == sequential == [401] * 10
    with service.session() as session:
        rows = {s.username: s for s in session.scalars(select(Staff).where(Staff.username.in_(["seq", "clerk1"])))}
    assert rows["seq"].locked_until is not None and rows["clerk1"].locked_until is not None
    with httpx.Client(base_url=live_url, timeout=60) as client:
        for username, password in (("clerk1", service.clerk_password), ("seq", "pw-x")):
            refused = _login(client, username, password)
            assert refused.status_code == 401 and "잠겼습니다" in _alert(refused), username
    assert len(_actions(service, "console.lockout")) == 2


def test_argon2_runs_with_no_database_transaction_open(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """The password hash is checked while the service holds no connection (so no SQLite write lock)."""
    engine = service.client.app.state.mobileid.sessions.kw["bind"]  # type: ignore[attr-defined]
    hasher = issuer.security._HASHER
    held: list[int] = []

    class Watching(type(hasher)):  # type: ignore[misc]
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            held.append(engine.pool.checkedout())
            return bool(super().verify(hash, password))

    monkeypatch.setattr(issuer.security, "_HASHER", Watching())
    _login(service.client, "clerk1", "wrong")
    _login(service.client, "nobody", "wrong")
    service.login()
    assert held == [0, 0, 0]


def test_copied_cookie_replayed_after_logout_gets_the_login_page(service: Service) -> None:
    csrf = service.login()
    copied = service.client.cookies[COOKIE]
    assert service.client.get("/console").status_code == 200
    with service.session() as session:  # the database holds only the id's hash
        rows = list(session.scalars(select(ConsoleSessionRow)))
    assert [r.token_hash for r in rows] == [token_hash(copied)] and copied not in str(vars(rows[0]))
    out = service.client.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    _use(service, copied)
    replay = service.client.get("/console", follow_redirects=True)
    assert replay.url.path == "/console/login" and 'id="password"' in replay.text
    with service.session() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleSessionRow)) == 0


def test_sign_in_rotates_the_session_id(service: Service) -> None:
    service.login()
    first = service.client.cookies[COOKIE]
    service.login()
    second = service.client.cookies[COOKIE]
    assert first != second
    _use(service, first)  # the id the browser brought to the sign-in was deleted
    assert service.client.get("/console", follow_redirects=False).status_code == 303


def test_idle_and_absolute_timeouts(service: Service) -> None:
    idle, absolute = service.settings.session_idle_seconds, service.settings.session_absolute_seconds
    service.login()
    service.clock.advance(seconds=idle + 1)
    assert service.client.get("/console", follow_redirects=False).status_code == 303
    service.login()
    for _ in range(absolute // (idle // 2) + 1):  # always active, never idle: still ends
        service.clock.advance(seconds=idle // 2)
        if service.client.get("/console", follow_redirects=False).status_code == 303:
            break
    else:
        raise AssertionError("the session outlived its absolute timeout")


@pytest.mark.parametrize("change", ["deactivate", "reset", "role"])
def test_staff_changes_end_every_session_of_that_person(service: Service, change: str) -> None:
    add_staff(service, "boss", "admin", "SEOUL-01")
    service.login("clerk2", "pw-2")
    clerk_cookie = service.client.cookies[COOKIE]
    service.login("clerk2", "pw-2")  # a second browser of clerk2: it must end too
    second_cookie = service.client.cookies[COOKIE]
    csrf = service.login("boss", "pw-x")
    with service.session() as session:
        clerk2 = session.scalars(select(Staff.id).where(Staff.username == "clerk2")).one()
    done = service.client.post(f"/console/staff/{clerk2}/{change}", data={"csrf": csrf, "role": "supervisor"},
                               follow_redirects=False)
    assert done.status_code == 303
    for cookie in (clerk_cookie, second_cookie):
        _use(service, cookie)
        assert service.client.get("/console", follow_redirects=False).headers.get("location") == "/console/login"
    with service.session() as session:
        left = session.scalars(select(ConsoleSessionRow.staff_id)).all()
    assert clerk2 not in left and left  # the admin's own session stays


def test_logout_ends_the_other_sessions_of_that_person_too(service: Service) -> None:
    service.login()
    elsewhere = service.client.cookies[COOKIE]
    csrf = service.login()
    service.client.post("/console/logout", data={"csrf": csrf})
    _use(service, elsewhere)
    assert service.client.get("/console", follow_redirects=False).status_code == 303


def test_csrf_refusals_are_audited(service: Service) -> None:
    service.login()
    refused = service.client.post("/console/logout", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert service.client.get("/console").status_code == 200  # a forged logout ends nothing
    refused = service.client.post("/console/search", data={"csrf": "forged", "q": "김"})
    assert refused.status_code == 403
    assert [(a.actor, a.target) for a in _actions(service, "console.csrf_refused")] == [
        ("staff:1", "/console/logout"), ("staff:1", "/console/search")]
