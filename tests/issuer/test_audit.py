"""The audit chain on SQLite and PostgreSQL: entries are written with the transaction that commits them (never
with one that rolls back), concurrent writers extend one unbroken chain whose head row follows the newest
entry, a changed entry is found, and a database without the head row refuses to write rather than skip."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import make_engine
from issuer.db.models import AuditEntry, AuditHead

from .conftest import Service

WRITERS = 8
ROUNDS = 5


def _entries(service: Service) -> list[AuditEntry]:
    with service.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _head(service: Service) -> str:
    with service.session() as session:
        head: str = session.scalars(select(AuditHead.hash).where(AuditHead.id == 1)).one()
        return head


def test_entries_commit_and_roll_back_with_their_transaction(service: Service) -> None:
    before = len(_entries(service))
    with service.session() as session:
        audit.append(session, actor="test", action="test.kept", target="x:1", detail={"n": 1})
        audit.append(session, actor="test", action="test.kept", target="x:2", detail={"n": 2, "ko": "가"})
        session.commit()
        audit.append(session, actor="test", action="test.dropped")
        session.rollback()
        audit.append(session, actor="test", action="test.after", detail={"n": 3})
        session.commit()
        audit.append(session, actor="test", action="test.unfinished")  # closed without a commit
    entries = _entries(service)[before:]
    assert [(e.action, e.detail) for e in entries] == [
        ("test.kept", {"n": 1}), ("test.kept", {"n": 2, "ko": "가"}), ("test.after", {"n": 3})]
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert _head(service) == entries[-1].hash
    with service.session() as session:
        assert audit.verify_chain(session) is None


def test_concurrent_writers_extend_one_chain(service: Service) -> None:
    barrier = threading.Barrier(WRITERS)
    engine = make_engine(service.settings.sqlalchemy_url)  # as the service's: SQLite writers wait their turn

    def write(writer: int) -> None:
        barrier.wait()
        for n in range(ROUNDS):
            with Session(engine) as session:
                for part in range(writer % 3 + 1):  # transactions of 1 to 3 entries
                    audit.append(session, actor=f"writer:{writer}", action="test.write", detail={"n": n, "p": part})
                session.commit()

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(write, range(WRITERS)))
    engine.dispose()
    written = [e for e in _entries(service) if e.action == "test.write"]
    assert len(written) == ROUNDS * sum(w % 3 + 1 for w in range(WRITERS))
    with service.session() as session:
        assert audit.verify_chain(session) is None
    assert _head(service) == _entries(service)[-1].hash


def test_a_changed_entry_breaks_the_chain(service: Service) -> None:
    with service.session() as session:
        for n in range(3):
            audit.append(session, actor="test", action="test.chain", detail={"n": n})
        session.commit()
    middle = [e for e in _entries(service) if e.action == "test.chain"][1]
    with service.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == middle.id).values(detail={"n": 99}))
        session.commit()
        assert audit.verify_chain(session) == middle.id


def test_no_head_row_means_no_write(service: Service) -> None:
    before = len(_entries(service))
    with service.session() as session:
        session.execute(delete(AuditHead))
        session.commit()
        audit.append(session, actor="test", action="test.headless")
        with pytest.raises(RuntimeError, match="no head row"):
            session.commit()
    assert len(_entries(service)) == before
