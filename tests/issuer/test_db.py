"""The PostgreSQL engine's pool: a pooled connection that died while idle (the database restarted) is pinged and
replaced at checkout; one reused at once is not pinged, so its death fails that one use and the pool recovers."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

import issuer.db
from issuer.db import make_engine

from .conftest import PG_URL


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    # These are PostgreSQL's own behaviours: without it they fail, saying how to provide it (no silent skip).
    assert PG_URL, "needs PostgreSQL: run '. scripts/postgres-env.sh' (make test and .ci/run do) first"

PID = text("SELECT pg_backend_pid()")


def _kill_pooled_connection(url: str) -> tuple[Engine, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        pid = connection.execute(PID).scalar()
    admin = create_engine(url)
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
    admin.dispose()
    assert isinstance(pid, int)
    return engine, pid


def test_an_idle_dead_connection_is_replaced_at_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PG_URL
    monkeypatch.setattr(issuer.db, "IDLE_PING_SECONDS", 0.0)
    engine, dead = _kill_pooled_connection(PG_URL)
    with engine.connect() as connection:  # pinged, found dead, replaced: no error reaches the caller
        assert connection.execute(PID).scalar() != dead
    engine.dispose()


def test_a_busy_connection_is_not_pinged(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PG_URL
    monkeypatch.setattr(issuer.db, "IDLE_PING_SECONDS", 3600.0)
    engine, dead = _kill_pooled_connection(PG_URL)
    with pytest.raises(OperationalError), engine.connect() as connection:
        connection.execute(PID)
    with engine.connect() as connection:  # the pool was discarded: a new one
        assert connection.execute(PID).scalar() != dead
    engine.dispose()
