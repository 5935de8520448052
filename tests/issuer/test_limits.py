"""Shared rate limits (issuer/limits.py) on SQLite and PostgreSQL: the counter, every limited route answering
429 with Retry-After, two processes counting in one table, and refused anonymous requests counted per minute."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from issuer.db.models import AuditEntry, RateCounter
from issuer.limits import KINDS, MAX_BLOCK, Limit, Limiter, Verdict, block_of, kind_of
from issuer.offers import PRE_AUTH_GRANT
from issuer.web.app import create_app
from tests.issuer.conftest import ISSUER_URL, Service, enroll, person_with_licence, refusals
from wallet.oid4vci import CredentialOffer

WINDOW = 60


def _limiter(service: Service, per_client: int, overall: int) -> Limiter:
    return Limiter(service.engine, {"token": Limit(per_client, overall)}, WINDOW, b"k" * 32)


def test_kinds_of_requests() -> None:
    assert [kind_of("POST", p) for p in ("/token", "/nonce", "/credential", "/remote/offer", "/remote/challenge")] \
        == ["token", "nonce", "credential", "remote", "remote"]
    assert kind_of("POST", "/console/login") == "login"
    assert kind_of("GET", "/console/login") is None  # the form itself is not limited
    assert kind_of("GET", "/status/1") is None and kind_of("POST", "/notification") is None


def test_per_client_then_overall(service: Service) -> None:
    limiter = _limiter(service, per_client=3, overall=5)
    start = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)
    now = start + dt.timedelta(seconds=15)
    assert [limiter.hit("token", "10.0.0.1", now).allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.hit("token", "10.0.0.1", now)
    assert (refused.allowed, refused.scope, refused.retry_after) == (False, "client", 45)
    # another client still has its own allowance, until everyone together reaches the overall limit
    # (.1's refused hits do not use up everyone's allowance)
    assert limiter.hit("token", "10.0.0.2", now).allowed and limiter.hit("token", "10.0.0.2", now).allowed
    overall = limiter.hit("token", "10.0.0.3", now)
    assert (overall.allowed, overall.scope) == (False, "overall")  # 3 allowed for .1 + 2 for .2
    # the next window starts afresh
    assert limiter.hit("token", "10.0.0.1", start + dt.timedelta(seconds=WINDOW)).allowed
    # no client address is stored, only a keyed hash of it
    with service.session() as session:
        buckets = session.scalars(select(RateCounter.bucket)).all()
    assert buckets and not any("10.0.0" in b for b in buckets)


def _count(service: Service, bucket_like: str) -> int:
    with service.session() as session:
        return int(session.scalar(select(func.coalesce(func.sum(RateCounter.hits), 0))
                                  .where(RateCounter.bucket.like(bucket_like))) or 0)


def test_block_sizes() -> None:
    assert [block_of(n) for n in (1, 5, 30, 39, 40, 60, 6000, 10**9)] == [1, 1, 1, 1, 2, 3, 50, MAX_BLOCK]


def test_hits_are_leased_a_block_at_a_time(service: Service) -> None:
    """A limit of 100 leases 5 hits a statement: 7 requests ask the database twice; the 101st is refused."""
    limiter = Limiter(service.engine, {"token": Limit(100, 0)}, WINDOW, b"k" * 32)
    now = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)
    assert all(limiter.hit("token", "c", now).allowed for _ in range(7))
    assert _count(service, "token|%") == 10 and (limiter.granted, limiter.unused()) == (10, 3)
    assert limiter.local("token", "c", now) == limiter.local("token", "c", now)  # served from the lease
    assert limiter.unused() == 1 and _count(service, "token|%") == 10
    assert sum(limiter.hit("token", "c", now).allowed for _ in range(200)) == 100 - 9
    assert limiter.granted == 100 and limiter.local("token", "c", now) == limiter.hit("token", "c", now)
    asked = _count(service, "token|%")
    assert not any(limiter.hit("token", "c", now).allowed for _ in range(50))
    assert _count(service, "token|%") == asked  # an exhausted bucket is remembered: a flood costs no statement


def test_unused_leases_make_the_limit_stricter_never_looser(service: Service) -> None:
    """Two workers (limiters) on one limit of 40 (blocks of 2): the hit that one holds unused is lost to the
    other, so together they allow 39, never 41."""
    first, second = (Limiter(service.engine, {"token": Limit(40, 0)}, WINDOW, b"k" * 32) for _ in range(2))
    now = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)
    assert first.hit("token", "c", now).allowed and first.unused() == 1
    assert sum(second.hit("token", "c", now).allowed for _ in range(60)) == 38
    assert first.hit("token", "c", now).allowed and not first.hit("token", "c", now).allowed
    assert first.granted + second.granted == 40
    # the next window: the leases of the ended one are dropped, not carried over
    later = now + dt.timedelta(seconds=WINDOW)
    assert first.hit("token", "c", later).allowed and first.unused() == 1


def test_a_wallets_three_requests_are_leased_together(service: Service) -> None:
    """A new client's /token lease brings its /nonce and /credential blocks in the same statement; a kind
    outside the flow (remote) does not."""
    flow = {kind: Limit(100, 0) for kind in ("token", "nonce", "credential", "remote")}
    limiter = Limiter(service.engine, flow, WINDOW, b"k" * 32)
    now = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)
    assert limiter.local("token", "w", now) is None and limiter.local("nonce", "w", now) is None
    assert limiter.hit("token", "w", now).allowed and limiter.granted == 15
    assert limiter.local("nonce", "w", now) == limiter.local("credential", "w", now) == Verdict(True, 0)
    assert limiter.local("remote", "w", now) is None and limiter.local("nonce", "other", now) is None
    assert _count(service, "%|%") == 15 and limiter.unused() == 12  # 4 + 4 + 4 left


def test_threads_of_one_worker_use_every_hit_leased(service: Service) -> None:
    """80 requests at once in one worker (threads) on a limit of 60: racing leases over-ask, and the ones that
    find the limit reached must not strand the hits the others leased: exactly 60 are allowed."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    limiter = Limiter(service.engine, {"token": Limit(60, 0)}, WINDOW, b"k" * 32)
    now = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)
    barrier = threading.Barrier(80)

    def one(_: int) -> bool:
        barrier.wait()
        return limiter.hit("token", "c", now).allowed

    with ThreadPoolExecutor(80) as pool:
        assert sum(pool.map(one, range(80))) == 60
    assert limiter.granted == 60 and limiter.unused() == 0


def test_zero_switches_a_limit_off(service: Service) -> None:
    limiter = _limiter(service, per_client=0, overall=0)
    now = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    assert all(limiter.hit("token", "c", now).allowed for _ in range(20))
    with service.session() as session:
        assert session.scalar(select(func.count()).select_from(RateCounter)) == 0


@pytest.fixture
def tight(service: Service) -> Iterator[TestClient]:
    """The service with 2 requests per client a window on every limited kind."""
    update: dict[str, Any] = {f"rate_limit_{k}_per_client": 2 for k in KINDS}
    with TestClient(create_app(service.settings.model_copy(update=update), clock=service.clock),
                    base_url=ISSUER_URL) as client:
        yield client


def _send(client: TestClient, kind: str) -> httpx.Response:
    if kind == "token":
        return client.post("/token", data={"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": "nope"})
    if kind == "nonce":
        return client.post("/nonce")
    if kind == "credential":
        return client.post("/credential", json={"credential_configuration_id": "mdl"})
    if kind == "remote":
        return client.post("/remote/challenge")
    return client.post("/console/login", data={"username": "nobody", "password": "wrong"})


@pytest.mark.parametrize("kind", KINDS)
def test_every_limited_route_answers_429(service: Service, tight: TestClient, kind: str) -> None:
    first = [_send(tight, kind).status_code for _ in range(2)]
    assert 429 not in first and all(s < 500 for s in first)
    refused = _send(tight, kind)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["cache-control"] == "no-store"
    if kind == "login":
        assert "text/html" in refused.headers["content-type"] and "Too many requests" in refused.text
    else:
        assert refused.json()["error"] == "rate_limited"
    others = [k for k in KINDS if k != kind]
    assert all(_send(tight, k).status_code != 429 for k in others)  # one kind's limit leaves the others alone
    service.clock.advance(seconds=int(refused.headers["retry-after"]))
    assert _send(tight, kind).status_code != 429


@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_remote_offer_shares_the_remote_limit(service: Service, tight: TestClient) -> None:
    assert tight.post("/remote/challenge").status_code == 200
    assert tight.post("/remote/offer", json={}).status_code == 400
    assert tight.post("/remote/offer", json={}).status_code == 429


HITS = 40
CHILD = textwrap.dedent("""
    import datetime as dt, json, sys
    from issuer.db import make_engine
    from issuer.limits import Limit, Limiter
    engine = make_engine(sys.argv[1])
    limiter = Limiter(engine, {"token": Limit(int(sys.argv[2]), 0)}, 3600, b"k" * 32)
    now = dt.datetime.fromisoformat(sys.argv[3])
    allowed = [limiter.hit("token", "10.9.9.9", now).allowed for _ in range(int(sys.argv[4]))]
    print(json.dumps([sum(allowed), len(allowed) - sum(allowed), limiter.granted, limiter.unused()]))
""")


@pytest.mark.parametrize("limit", [25, 60])
def test_two_processes_share_one_counter(service: Service, limit: int) -> None:
    """Two worker processes hit the same client's counter at once. Together they never allow more than the
    limit, and every hit is accounted for: allowed + refused = sent, and every allowed hit came out of a block
    the database granted (granted = allowed + leased and unused). With blocks of 1 (limit 25) the limit is
    exact; with blocks of 3 (limit 60) it is stricter by at most the hits the two hold unused."""
    block = block_of(limit)
    now = service.clock.now.isoformat()
    url = service.settings.sqlalchemy_url
    children = [subprocess.Popen([sys.executable, "-c", CHILD, url, str(limit), now, str(HITS)],
                                 stdout=subprocess.PIPE, text=True) for _ in range(2)]
    results = [json.loads(child.communicate(timeout=120)[0]) for child in children]
    assert all(child.returncode == 0 for child in children)
    allowed, refused, granted, unused = (sum(r[i] for r in results) for i in range(4))
    assert allowed + refused == 2 * HITS and granted == allowed + unused, results
    assert granted <= limit and limit - 2 * (block - 1) <= allowed <= limit, results
    if block == 1:
        assert allowed == limit
    engine = create_engine(url)
    with engine.connect() as connection:
        asked = connection.scalar(select(func.sum(RateCounter.hits)).where(RateCounter.bucket.like("token|%"),
                                                                           ~RateCounter.bucket.like("%|*")))
    engine.dispose()
    assert asked is not None and granted <= asked < limit + 3 * block  # the counter holds every block asked for


def test_anonymous_refusals_are_counted_not_chained(service: Service) -> None:
    """A flood of requests without a valid access token adds no audit entries, only per-minute counts."""
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    with service.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    for _ in range(30):
        assert service.client.post("/credential", json={"credential_configuration_id": "mdl"}).status_code == 401
        assert service.client.post("/notification", json={"notification_id": "x", "event": "credential_accepted"}
                                   ).status_code == 401
        assert service.client.post("/credential", json=[1]).status_code == 400
    with service.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert refusals(service, "credential.reject:invalid_token") == 30
    assert refusals(service, "notification.reject:invalid_token") == 30
    assert refusals(service, "request.reject:invalid_credential_request") == 30
    code = CredentialOffer.parse(uri).pre_authorized_code  # the flood did not disturb a real holder
    token = service.client.post("/token", data={"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": code,
                                                "tx_code": tx_code})
    assert token.status_code == 200, token.text
