"""The audit log: every clerk action and issuance, hash-chained (``hash = SHA-256(prev_hash || row)``).

Rows name people and credentials by database id only, never by name, number or claim value.
``verify_chain`` walks the log and returns the id of the first row that does not fit, if any.

Appending is cheap and short-locked: ``append`` only records the entry with the session's transaction, and
the transaction's entries are written together when it commits (``before_commit``). The chain's head (the
newest entry's hash) is kept in the one-row ``audit_head`` table; its row lock makes writers extend the chain
one transaction at a time, each transaction's entries together and in commit order, and the lock is held only
from that moment to the commit, never while a credential is signed. On PostgreSQL that is one statement:
lock the head, chain the entries (SHA-256 in the database, on the canonical text computed here), insert
them, move the head, and return the old and new head, which are checked against the same chain computed
here. On SQLite (whose writer lock is already held since BEGIN IMMEDIATE) three local statements do it.
Entries of a transaction that rolls back are never written, exactly as before (they commit or roll back
with the action they record).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import TextClause, bindparam, event, insert, select, text, update
from sqlalchemy.orm import Session, SessionTransaction

from issuer.db import connection as current_connection
from issuer.db import execute
from issuer.db.models import AuditEntry
from issuer.db.tables import AUDIT_HEAD, AUDIT_LOG

GENESIS = "0" * 64
_PENDING = "mobileid.audit.pending"  # (root transaction, [entries appended in it])
_HEAD = select(AUDIT_HEAD.c.hash).where(AUDIT_HEAD.c.id == 1)
_MOVE = update(AUDIT_HEAD).where(AUDIT_HEAD.c.id == 1).values(hash=bindparam("new_head"))
_INSERT = insert(AUDIT_LOG)
_PG_APPEND: dict[int, TextClause] = {}  # number of entries -> the statement (built once per size)


def _canonical(at: dt.datetime, actor: str, action: str, target: str, detail: Mapping[str, object]) -> str:
    return json.dumps({"at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"), "actor": actor,
                       "action": action, "target": target, "detail": detail},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row_hash(prev_hash: str, at: dt.datetime, actor: str, action: str, target: str,
              detail: Mapping[str, object]) -> str:
    return hashlib.sha256((prev_hash + _canonical(at, actor, action, target, detail)).encode("utf-8")).hexdigest()


def _pg_append(count: int) -> TextClause:
    """One PostgreSQL statement appending ``count`` entries: s0 locks the head; s1..sN chain the hashes."""
    statement = _PG_APPEND.get(count)
    if statement is None:  # only integers go into the text; every value is a bound parameter
        hash_step = ("s{i} AS (SELECT encode(sha256(convert_to(s{p}.h || CAST(:c{i} AS TEXT), 'UTF8')), 'hex') "
                     "AS h FROM s{p})")
        entry = ("SELECT {i} AS n, CAST(:at{i} AS TIMESTAMPTZ) AS at, CAST(:actor{i} AS TEXT) AS actor, "
                 "CAST(:action{i} AS TEXT) AS action, CAST(:target{i} AS TEXT) AS target, "
                 "CAST(:detail{i} AS JSON) AS detail, s{p}.h AS prev_hash, s{i}.h AS hash FROM s{p}, s{i}")
        template = ("WITH s0 AS (SELECT hash AS h FROM audit_head WHERE id = 1 FOR UPDATE), {steps}, "
                    "added AS (INSERT INTO audit_log (at, actor, action, target, detail, prev_hash, hash) "
                    "SELECT at, actor, action, target, detail, prev_hash, hash FROM ({entries}) AS e ORDER BY n) "
                    "UPDATE audit_head SET hash = (SELECT h FROM s{last}) WHERE id = 1 "
                    "RETURNING (SELECT h FROM s0) AS old, audit_head.hash AS new")
        numbers = range(1, count + 1)
        statement = text(template.format(steps=", ".join(hash_step.format(i=i, p=i - 1) for i in numbers),
                                         entries=" UNION ALL ".join(entry.format(i=i, p=i - 1) for i in numbers),
                                         last=count))
        _PG_APPEND[count] = statement
    return statement


def append(session: Session, *, actor: str, action: str, target: str = "",
           detail: Mapping[str, object] | None = None, now: dt.datetime | None = None) -> None:
    """Add one entry to the caller's transaction (written when it commits, gone if it rolls back)."""
    at = now or dt.datetime.now(dt.UTC)
    transaction = session.get_transaction()
    if transaction is None:  # begin the transaction the entry belongs to
        session.connection()
        transaction = session.get_transaction()
    pending: tuple[SessionTransaction | None, list[dict[str, Any]]] | None = session.info.get(_PENDING)
    if pending is None or pending[0] is not transaction:  # the first entry, or the last transaction rolled back
        pending = (transaction, [])
        session.info[_PENDING] = pending
    pending[1].append({"at": at, "actor": actor, "action": action, "target": target, "detail": dict(detail or {})})


def _write_pending(session: Session) -> None:
    """Chain and insert the transaction's entries, just before it commits."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT is released, not the transaction
    pending = session.info.pop(_PENDING, None)
    if pending is None or pending[0] is not session.get_transaction() or not pending[1]:
        return
    connection = current_connection(session)
    rows = pending[1]
    canonical = [_canonical(r["at"], r["actor"], r["action"], r["target"], r["detail"]) for r in rows]
    if connection.dialect.name == "postgresql":
        params: dict[str, object] = {}
        for i, (row, text_) in enumerate(zip(rows, canonical, strict=True), start=1):
            params |= {f"c{i}": text_, f"at{i}": row["at"], f"actor{i}": row["actor"], f"action{i}": row["action"],
                       f"target{i}": row["target"], f"detail{i}": json.dumps(row["detail"], ensure_ascii=False)}
        moved = execute(session, _pg_append(len(rows)), params).first()
        if moved is None:
            raise RuntimeError("the audit chain has no head row (migration 0007 not applied?)")
        head = moved.old
        for text_ in canonical:
            head = hashlib.sha256((head + text_).encode("utf-8")).hexdigest()
        if head != moved.new:  # the database chained differently from this code: write nothing
            raise RuntimeError("the audit chain's head does not match the entries just written")
        return
    prev = connection.execute(_HEAD).scalar()
    if prev is None:
        raise RuntimeError("the audit chain has no head row (migration 0007 not applied?)")
    for row, text_ in zip(rows, canonical, strict=True):
        row["prev_hash"] = prev
        row["hash"] = prev = hashlib.sha256((prev + text_).encode("utf-8")).hexdigest()
    connection.execute(_INSERT, rows)
    connection.execute(_MOVE, {"new_head": prev})


event.listen(Session, "before_commit", _write_pending)


def verify_chain(session: Session) -> int | None:
    """None when the whole chain verifies, else the id of the first broken entry."""
    return verify_from(session, 0, GENESIS)[0]


def verify_from(session: Session, after_id: int, prev: str) -> tuple[int | None, int, str]:
    """Walk the entries after ``after_id`` (whose hash is ``prev``): (first broken id or None, id and hash of
    the last entry that verified). Lets a checkpoint (``issuer.audit_view``) walk only what was added since."""
    last = after_id
    while True:  # in chunks by id: bounded memory, and no server-side cursor left open on an early return
        chunk = list(session.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id)
                                     .limit(1000)))
        if not chunk:
            return None, last, prev
        for entry in chunk:
            at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=dt.UTC)
            expected = _row_hash(prev, at, entry.actor, entry.action, entry.target, entry.detail)
            if entry.prev_hash != prev or entry.hash != expected:
                return entry.id, last, prev
            prev, last = entry.hash, entry.id
