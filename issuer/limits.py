"""Abuse limits that every worker shares: fixed-window request counters in the issuer's own database.

Each limited request takes one hit from two allowances, its client's and everyone's, for its kind
(``token``, ``nonce``, ``credential``, ``remote``, ``login``) and the current window. The counters are rows
of ``rate_limits`` in the shared database, but a worker leases them a block at a time (``block_of``: a
twentieth of the limit, at least 1, at most ``MAX_BLOCK``), both buckets in ONE statement::

    INSERT INTO rate_limits (bucket, window_start, hits) VALUES (:client, :w, :block), (:everyone, :w, :block)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + excluded.hits RETURNING bucket, hits

and serves the block from memory. The limit is never exceeded across workers; it can only be slightly
stricter, by the hits leased and unused when the window ends (at most workers x (block - 1) per bucket;
limits under 40 have blocks of 1 and are exact). A wallet sends ``/token``, ``/nonce`` and ``/credential``
from one address, so a new client's buckets of those three are leased in the same statement (``FLOW``).
The counter holds the hits asked for (granted or not), which is why the grant is computed from the count
it returns.

PostgreSQL and SQLite (>= 3.35) both run the upsert atomically, so N uvicorn workers on M machines count
together and two racing leases never see the same count. A request over either limit is answered 429 with
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
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from issuer.db.models import RefusalCount
from issuer.settings import Settings

KINDS = ("token", "nonce", "credential", "remote", "login")
EVERYONE = "*"
FLOW = ("token", "nonce", "credential")  # one wallet's issuance: their client buckets are leased together


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


_LEASE = ("INSERT INTO rate_limits (bucket, window_start, hits) VALUES {rows} ON CONFLICT (bucket, window_start) "
          "DO UPDATE SET hits = rate_limits.hits + excluded.hits RETURNING bucket, hits")
MAX_BLOCK = 50  # hits one worker may hold unused per counter: bounds how much stricter the limit can be


def block_of(limit: int) -> int:
    """Hits a worker leases at once for a limit: a twentieth, so small limits (login) stay exact with 1."""
    return max(1, min(MAX_BLOCK, limit // 20))


class Limiter:
    """``hit(kind, client, now)`` takes one hit from its client's and from everyone's allowance for the window.

    The counters live in the shared database, but a worker does not write one per request: it LEASES a block
    of hits per bucket and window (``block_of(limit)``, one upsert for the client's and everyone's bucket
    together), serves them from memory and leases again when the block is used up. The upsert always adds
    the block asked for and returns the new count, so the hits granted are ``min(block, limit - (count -
    block))`` (none once the count has reached the limit): whatever the interleaving of workers, the hits
    granted in a window never exceed the limit. The limit can only be slightly stricter: hits leased and
    not used before the window ends are lost, at most ``workers x (block - 1)`` per bucket (blocks of 1,
    i.e. limits under 40, are exact). A bucket found exhausted is remembered until the window ends, so a
    flooding client costs no statement either.

    A client over its own limit is refused before everyone's allowance is touched, so it cannot use up the
    others' allowance. Plain SQL on a pooled driver connection: the ORM cost four times the CPU."""

    def __init__(self, engine: Engine, limits: dict[str, Limit], window_seconds: int, key: bytes) -> None:
        self.engine, self.limits, self.window, self._key = engine, limits, max(1, window_seconds), key
        self._mark = "%s" if engine.dialect.name == "postgresql" else "?"
        self._lock = threading.Lock()
        self._start = -1  # the window the leases below belong to
        self._leased: dict[str, int] = {}  # bucket -> hits leased and not yet used
        self._exhausted: set[str] = set()  # buckets whose limit is reached for this window
        self.granted = 0  # hits granted by the database to this worker (tests, benchmarks)

    def client_bucket(self, kind: str, client: str) -> str:
        digest = hmac.new(self._key, client.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]
        return f"{kind}|{digest}"

    def unused(self) -> int:
        """Hits leased by this worker and not (yet) used in the current window."""
        with self._lock:
            return sum(self._leased.values())

    def _wanted(self, kind: str, client: str, now: dt.datetime) -> tuple[Limit, int, list[tuple[str, int]]] | None:
        limit = self.limits.get(kind)
        if limit is None or (limit.per_client <= 0 and limit.overall <= 0):
            return None
        second = int(now.timestamp())
        wanted = [(self.client_bucket(kind, client), limit.per_client), (f"{kind}|{EVERYONE}", limit.overall)]
        return limit, second, [(bucket, n) for bucket, n in wanted if n > 0]

    def _local(self, start: int, retry: int, wanted: list[tuple[str, int]]) -> Verdict | list[tuple[str, int]]:
        """Under the lock: a verdict from memory, or the buckets (with their limits) that need a lease."""
        if start != self._start:
            self._start, self._leased, self._exhausted = start, {}, set()
        missing = []
        for bucket, limit in wanted:  # the client's bucket first: a refused client never touches everyone's
            if self._leased.get(bucket, 0) > 0:
                continue  # hits leased earlier stay usable after a later lease found the limit reached
            if bucket in self._exhausted:
                return Verdict(False, retry, "overall" if bucket.endswith(EVERYONE) else "client")
            missing.append((bucket, limit))
        if missing:
            return missing
        for bucket, _ in wanted:
            left = self._leased[bucket] - 1
            if left:
                self._leased[bucket] = left
            else:
                del self._leased[bucket]
        return Verdict(True, 0)

    def local(self, kind: str, client: str, now: dt.datetime) -> Verdict | None:
        """The verdict from this worker's leases alone, or None when the database must be asked (``hit``)."""
        wanted = self._wanted(kind, client, now)
        if wanted is None:
            return Verdict(True, 0)
        _, second, buckets = wanted
        start = second - second % self.window
        with self._lock:
            verdict = self._local(start, start + self.window - second, buckets)
        return verdict if isinstance(verdict, Verdict) else None

    def hit(self, kind: str, client: str, now: dt.datetime) -> Verdict:
        wanted = self._wanted(kind, client, now)
        if wanted is None:
            return Verdict(True, 0)
        _, second, buckets = wanted
        start = second - second % self.window
        retry = start + self.window - second
        while True:  # each pass leases at least one hit or finds a bucket exhausted, so this ends
            with self._lock:
                verdict = self._local(start, retry, buckets)
            if isinstance(verdict, Verdict):
                return verdict
            asked = verdict + self._companions(kind, client, verdict)
            granted = self._lease(start, [(bucket, limit, block_of(limit)) for bucket, limit in asked])
            with self._lock:
                if start != self._start:  # another request moved the window meanwhile: the hits granted
                    self.granted += sum(granted.values())  # count for this request's window; use one, lose the rest
                    refused = [bucket for bucket, _ in buckets if granted.get(bucket) == 0]
                    return Verdict(False, retry, "overall" if refused[0].endswith(EVERYONE) else "client") \
                        if refused else Verdict(True, 0)
                for bucket, hits in granted.items():
                    self.granted += hits
                    if hits:
                        self._leased[bucket] = self._leased.get(bucket, 0) + hits
                    else:
                        self._exhausted.add(bucket)

    def _companions(self, kind: str, client: str, missing: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """A wallet sends /token, /nonce and /credential together from one address: when its client bucket of
        one of them is leased, those of the other two come in the same statement (unless held or exhausted),
        so one statement serves a whole issuance from a new client instead of three."""
        mine = self.client_bucket(kind, client)
        if kind not in FLOW or all(bucket != mine for bucket, _ in missing):
            return []
        companions = []
        with self._lock:
            for other in FLOW:
                limit = self.limits.get(other)
                bucket = self.client_bucket(other, client)
                if other != kind and limit is not None and limit.per_client > 0 and not self._leased.get(bucket) \
                        and bucket not in self._exhausted:
                    companions.append((bucket, limit.per_client))
        return companions

    def _lease(self, start: int, asked: list[tuple[str, int, int]]) -> dict[str, int]:
        """One upsert adding each block asked for; returns the hits granted per bucket (0: limit reached)."""
        rows = ", ".join(f"({self._mark}, {self._mark}, {self._mark})" for _ in asked)
        connection = self.engine.raw_connection()
        driver = connection.driver_connection
        postgres = self.engine.dialect.name == "postgresql"
        try:
            if postgres:  # one statement is atomic on its own: no BEGIN/COMMIT round trips around it
                driver.autocommit = True  # type: ignore[union-attr]
            cursor = connection.cursor()
            cursor.execute(_LEASE.format(rows=rows), [v for bucket, _, block in asked for v in (bucket, start, block)])
            counts = dict(cursor.fetchall())
            cursor.close()
            connection.commit()  # nothing to do in autocommit mode; an engine not set up so still keeps the lease
        finally:
            if postgres:
                driver.autocommit = False  # type: ignore[union-attr]
            connection.close()  # back to the pool
        return {bucket: max(0, min(block, limit - (counts[bucket] - block))) for bucket, limit, block in asked}


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
            now = self.now()
            # from this worker's leased hits, else one upsert leasing more, on the event loop: a single short
            # statement that waits on no other request of this process costs less than a hop to a thread
            verdict = self.limiter.local(kind, str(client), now) or self.limiter.hit(kind, str(client), now)
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
