"""Database work per request, counted inside the server: statements, commits and rows fetched per flow step.

Installed by ``issuance.app_factory`` only (never in production): a pure ASGI wrapper names the step of the
request in a context variable (copied into the thread that runs a sync route), and SQLAlchemy engine events
count what each step sends (with the statements ``issuer.db.execute`` hands to psycopg directly, through a
counting cursor). ``POST /_bench/statements`` resets the totals and starts counting, ``GET`` returns
them, ``DELETE`` stops counting. The benchmark counts during its warm-up only: with any engine event listened
to, SQLAlchemy runs its event dispatch on every statement (several per cent of the server's CPU), which an
issuer in production does not pay.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from typing import Any

from sqlalchemy import Engine, event

STEPS = {"/token": "token", "/nonce": "nonce", "/credential": "credential", "/notification": "notification"}
_step: contextvars.ContextVar[str | None] = contextvars.ContextVar("bench_step", default=None)
_counts: dict[str, Counter[str]] = {}
_CONTROL = "/_bench/statements"


def _step_of(path: str) -> str | None:
    if path.startswith("/credential-offer/"):
        return "offer"
    return STEPS.get(path)


def _count(key: str, n: int = 1) -> None:
    step = _step.get()
    if step is not None:
        _counts.setdefault(step, Counter())[key] += n


def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        verb = "savepoint"
    _count("statements")
    _count(verb.lower())


def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if statement.lstrip()[:6].upper() == "SELECT" or " RETURNING " in statement.upper():
        rows = getattr(cursor, "rowcount", -1)
        if isinstance(rows, int) and rows >= 0:
            _count("rows_fetched", rows)


def _commit(conn: Any) -> None:
    _count("commits")


def _rollback(conn: Any) -> None:
    _count("rollbacks")


_LISTENERS = (("before_cursor_execute", _before), ("after_cursor_execute", _after), ("commit", _commit),
              ("rollback", _rollback))


class _Counting:
    """A psycopg cursor of ``issuer.db.execute`` (the driver path, which SQLAlchemy's events do not see) that
    counts what it sends as the listeners above count the rest."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Any = None, **kw: Any) -> Any:
        _before(None, None, sql, params, None, False)
        answer = self._cursor.execute(sql, params, **kw)
        _after(None, self._cursor, sql, params, None, False)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


_DRIVER_CURSOR: list[Any] = []  # issuer.db._cursor while counting


def _listen(on: bool) -> None:
    """Count statements on every engine of this process and on the driver path (on), or stop (off)."""
    import issuer.db

    for name, fn in _LISTENERS:
        if on and not event.contains(Engine, name, fn):
            event.listen(Engine, name, fn)
        elif not on and event.contains(Engine, name, fn):
            event.remove(Engine, name, fn)
    if on and not _DRIVER_CURSOR:
        _DRIVER_CURSOR.append(issuer.db._cursor)
        issuer.db._cursor = lambda current: _Counting(_DRIVER_CURSOR[0](current))  # type: ignore[assignment]
    elif not on and _DRIVER_CURSOR:
        issuer.db._cursor = _DRIVER_CURSOR.pop()  # type: ignore[assignment]


def install(app: Any) -> Any:
    """``app`` wrapped to name each request's step, with the control route; counting starts on POST."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == _CONTROL:
            if scope["method"] == "POST":
                _counts.clear()
                _listen(True)
            elif scope["method"] == "DELETE":
                _listen(False)
            import json

            body = json.dumps({k: dict(v) for k, v in _counts.items()}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        token = _step.set(_step_of(scope["path"]) if scope["type"] == "http" else None)
        _count("requests")
        try:
            await app(scope, receive, send)
        finally:
            _step.reset(token)

    return wrapped
