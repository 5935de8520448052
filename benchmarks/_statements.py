"""Database work per request, counted inside the server: statements, commits and rows fetched per flow step.

Installed by ``issuance.app_factory`` only (never in production): a pure ASGI wrapper names the step of the
request in a context variable (copied into the thread that runs a sync route), and SQLAlchemy engine events
count what each step sends. ``GET /_bench/statements`` returns the totals; ``POST /_bench/statements`` resets
them (after the warm-up). Counting costs a dictionary update per statement, charged to the server's CPU.
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


def install(app: Any) -> Any:
    """Count statements on every engine of this process; return ``app`` wrapped to name each request's step."""
    event.listen(Engine, "before_cursor_execute", _before)
    event.listen(Engine, "after_cursor_execute", _after)
    event.listen(Engine, "commit", lambda conn: _count("commits"))
    event.listen(Engine, "rollback", lambda conn: _count("rollbacks"))

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == _CONTROL:
            if scope["method"] == "POST":
                _counts.clear()
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
