"""The PostgreSQL engine's pool: a pooled connection that died while idle (the database restarted) is pinged and
replaced at checkout; one reused at once is not pinged, so its death fails that one use and the pool recovers."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, bindparam, create_engine, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import issuer.db
from issuer.db import connection, execute, make_engine
from issuer.db.tables import AUDIT_LOG, NONCES

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


# --- issuer.db.execute: the hot path's statements on the driver ---------------------------------------------

@pytest.fixture
def migrated() -> Iterator[Engine]:
    """A fresh schema at the newest migration on PostgreSQL."""
    from .conftest import _drop, _pg_url

    schema = f"t_{secrets.token_hex(6)}"
    url = _pg_url(schema)
    issuer.db.migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    _drop(schema)


def test_the_driver_path_answers_as_sqlalchemy_does(migrated: Engine) -> None:
    now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with Session(migrated) as session:
        execute(session, insert(NONCES), {"value": "n-1", "expires_at": now, "used": False})
        execute(session, insert(NONCES), {"value": "n-2", "expires_at": now, "used": True})
        session.commit()
    listed = select(NONCES.c.value, NONCES.c.used, NONCES.c.expires_at).where(
        NONCES.c.value.in_(bindparam("values", expanding=True))).order_by(NONCES.c.value)
    for values in (["n-1", "n-2", "n-3"], ["n-2"], []):  # an expanding list, as = ANY(array) on the driver
        with Session(migrated) as session:
            driver = execute(session, listed, {"values": values}).all()
            reference = connection(session).execute(listed, {"values": values}).all()
        assert [tuple(r) for r in driver] == [tuple(r) for r in reference]
        assert [r.value for r in driver] == sorted(v for v in values if v != "n-3")
        assert all(r.expires_at == now and isinstance(r.used, bool) for r in driver)  # typed: aware, bool
    unused = update(NONCES).where(NONCES.c.value == bindparam("v"), NONCES.c.used.is_(False)).values(used=True)
    with Session(migrated) as session:
        assert execute(session, unused, {"v": "n-1"}).rowcount == 1
        assert execute(session, unused, {"v": "n-1"}).rowcount == 0  # the same transaction sees its own write
        assert execute(session, select(NONCES.c.used).where(NONCES.c.value == "n-1"), {}).scalar() is True
        session.rollback()
    with Session(migrated) as session:  # rolled back with the session's transaction: it is the same one
        assert execute(session, select(NONCES.c.used).where(NONCES.c.value == "n-1"), {}).scalar() is False


def test_json_values_are_bound_and_read_as_sqlalchemy_does(migrated: Engine) -> None:
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    detail = {"count": 1, "names": ["mdl", "age_attestation"], "none": None}
    values = {"at": now, "actor": "t", "action": "a", "target": "", "detail": detail, "prev_hash": "0", "hash": "1"}
    with Session(migrated) as session:
        row = execute(session, insert(AUDIT_LOG).returning(AUDIT_LOG.c.detail), values).first()
        assert row.detail == detail
        assert connection(session).execute(select(AUDIT_LOG.c.detail)).scalar() == detail
        session.rollback()


def test_statements_with_python_side_defaults_go_through_sqlalchemy(migrated: Engine) -> None:
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    statement = insert(NONCES)
    with Session(migrated) as session:  # ``used`` left to its Python-side default (False)
        execute(session, statement, {"value": "d-1", "expires_at": now})
        assert execute(session, select(NONCES.c.used).where(NONCES.c.value == "d-1"), {}).scalar() is False
        session.rollback()
    assert issuer.db._DRIVER[(statement, frozenset({"value", "expires_at"}))] is None
