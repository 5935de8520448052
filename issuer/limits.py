"""Abuse limits that every worker shares: fixed-window request counters in the issuer's own database.

Each limited request adds one hit to two counters, its client's and everyone's, for its kind (``token``,
``nonce``, ``credential``, ``remote``, ``login``) and the current window, in ONE statement::

    INSERT INTO rate_limits (bucket, window_start, hits) VALUES (:client, :w, 1), (:everyone, :w, 1)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING bucket, hits

PostgreSQL and SQLite (>= 3.35) both run it atomically, so N uvicorn workers on M machines count together
and two racing requests never read the same count. A request over either limit is answered 429 with
``Retry-After`` (RFC 9110 §10.2.3, RFC 6585 §4) saying when the window ends. The database was chosen over
Redis because the issuer already depends on it and every worker already holds a pool to it, so ``make run``,
the tests and CI need nothing new (docs/deployment.md weighs the cost).

The client is the peer address uvicorn reports (behind a load balancer: ``--proxy-headers`` with
``--forwarded-allow-ips`` naming it), stored only as a keyed hash. Refused anonymous requests are counted
here too, per minute and kind (``count_refusal``), instead of each appending a hash-chained audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from issuer.db.models import RefusalCount
from issuer.settings import Settings

KINDS = ("token", "nonce", "credential", "remote", "login")
EVERYONE = "*"


def kind_of(method: str, path: str) -> str | None:
    """Which limit a request counts against (None: not limited)."""
    if path in ("/token", "/nonce", "/credential"):
        return path[1:]
    if path.startswith("/remote/"):
        return "remote"
    if path == "/console/login" and method == "POST":
        return "login"
    return None


@dataclass(frozen=True, slots=True)
class Limit:
    """Hits per window allowed to one client and to everyone together (0: no limit)."""

    per_client: int
    overall: int


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)
    scope: str = ""  # "client" or "overall" when refused


def limits_from(settings: Settings) -> dict[str, Limit]:
    return {kind: Limit(getattr(settings, f"rate_limit_{kind}_per_client"),
                        getattr(settings, f"rate_limit_{kind}_overall")) for kind in KINDS}


def _insert(session_or_engine: Session | Engine, table: Table) -> Any:
    name = (session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine).dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


_UPSERT = ("INSERT INTO rate_limits (bucket, window_start, hits) VALUES ({p}, {p}, 1), ({p}, {p}, 1) "
           "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING bucket, hits")
_GIVE_BACK = "UPDATE rate_limits SET hits = hits - 1 WHERE bucket = {p} AND window_start = {p}"


class Limiter:
    """``hit(kind, client, now)`` counts one request and says whether it may proceed.

    The two counters are bumped by one statement, sent on a pooled driver connection as plain SQL (the same
    text on PostgreSQL and SQLite but for the parameter marks): building it through the ORM cost four times
    the CPU (benchmarks/issuer_security.py). A request refused for its client gives its hit on everyone's
    counter back, so a client that is already refused cannot use up the overall allowance of the others."""

    def __init__(self, engine: Engine, limits: dict[str, Limit], window_seconds: int, key: bytes) -> None:
        self.engine, self.limits, self.window, self._key = engine, limits, max(1, window_seconds), key
        mark = "%s" if engine.dialect.name == "postgresql" else "?"
        self._upsert, self._give_back = _UPSERT.format(p=mark), _GIVE_BACK.format(p=mark)

    def client_bucket(self, kind: str, client: str) -> str:
        digest = hmac.new(self._key, client.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]
        return f"{kind}|{digest}"

    def hit(self, kind: str, client: str, now: dt.datetime) -> Verdict:
        limit = self.limits.get(kind)
        if limit is None or (limit.per_client <= 0 and limit.overall <= 0):
            return Verdict(True, 0)
        second = int(now.timestamp())
        start = second - second % self.window
        retry = start + self.window - second
        mine, everyone = self.client_bucket(kind, client), f"{kind}|{EVERYONE}"
        connection = self.engine.raw_connection()
        driver = connection.driver_connection
        postgres = self.engine.dialect.name == "postgresql"
        try:
            if postgres:  # each statement is atomic on its own: no BEGIN/COMMIT round trips around it
                driver.autocommit = True  # type: ignore[union-attr]
            cursor = connection.cursor()
            cursor.execute(self._upsert, (mine, start, everyone, start))
            counts = dict(cursor.fetchall())
            refused = 0 < limit.per_client < counts[mine]
            if refused:
                cursor.execute(self._give_back, (everyone, start))
            cursor.close()
            connection.commit()  # nothing to do in autocommit mode; an engine not set up so still keeps the hit
        finally:
            if postgres:
                driver.autocommit = False  # type: ignore[union-attr]
            connection.close()  # back to the pool
        if refused:
            return Verdict(False, retry, "client")
        if 0 < limit.overall < counts[everyone]:
            return Verdict(False, retry, "overall")
        return Verdict(True, 0)


def count_refusal(session: Session, kind: str, now: dt.datetime) -> None:
    """One more refused anonymous request of ``kind`` this minute, in the caller's transaction."""
    table: Table = RefusalCount.__table__  # type: ignore[assignment]
    minute = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    statement = _insert(session, table).values(minute=minute, kind=kind[:64], count=1)
    session.execute(statement.on_conflict_do_update(index_elements=["minute", "kind"],
                                                    set_={"count": table.c.count + 1}))


# ---- the ASGI middleware ---------------------------------------------------------------------------------

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
TOO_MANY = {"ko": "요청이 너무 많습니다. 잠시 후 다시 시도하십시오.", "en": "Too many requests; try again later."}


async def _answer(send: Send, status: int, body: bytes, content_type: bytes, headers: dict[str, str]) -> None:
    raw = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
           (b"cache-control", b"no-store"), *((k.encode(), v.encode()) for k, v in headers.items())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def refuse(send: Send, kind: str, verdict: Verdict) -> None:
    """429 with Retry-After: JSON on the protocol paths, a short page on the console's login."""
    headers = {"retry-after": str(max(1, verdict.retry_after))}
    if kind == "login":
        page = (f"<!doctype html><html lang=ko><meta charset=utf-8><title>429</title>"
                f"<p>{TOO_MANY['ko']}</p><p lang=en>{TOO_MANY['en']}</p></html>").encode()
        await _answer(send, 429, page, b"text/html; charset=utf-8", headers)
        return
    import json

    body = json.dumps({"error": "rate_limited", "error_description": f"too many {kind} requests "
                       f"({'from this client' if verdict.scope == 'client' else 'in all'}); retry after "
                       f"{headers['retry-after']} s"}).encode()
    await _answer(send, 429, body, b"application/json", headers)


class RateLimit:
    """Counts every limited request before anything else reads it (a flood of junk is limited too)."""

    def __init__(self, app: Any, limiter: Limiter, now: Callable[[], dt.datetime]) -> None:
        self.app, self.limiter, self.now = app, limiter, now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = kind_of(scope.get("method", ""), scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        try:
            verdict = await anyio.to_thread.run_sync(self.limiter.hit, kind, str(client), self.now())
        except OperationalError:  # the database is unavailable: as the routes answer then (docs/reliability.md)
            await _answer(send, 503, b'{"error":"temporarily_unavailable","error_description":"the service\'s '
                          b'database is unavailable; try again shortly"}', b"application/json", {"retry-after": "2"})
            return
        if not verdict.allowed:
            await refuse(send, kind, verdict)
            return
        await self.app(scope, receive, send)


def document(openapi: dict[str, Any]) -> None:
    """Declare the 429 on every limited operation of ``openapi`` (in place)."""
    answer = {"description": "rate limited: too many requests from this client or in all; retry after the "
                             "window ends", "headers": {"Retry-After": {"description": "seconds until the window ends",
                                                                         "schema": {"type": "integer"}}}}
    for path, item in openapi.get("paths", {}).items():
        for method, operation in item.items():
            kind = kind_of(method.upper(), path)
            if kind is not None:
                content = "text/html" if kind == "login" else "application/json"
                operation.setdefault("responses", {})["429"] = answer | {
                    "content": {content: {"schema": {"type": "string"} if kind == "login" else
                                          {"$ref": "#/components/schemas/ErrorResponse"}}}}
