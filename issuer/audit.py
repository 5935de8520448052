"""The audit log: every clerk action and issuance, hash-chained (``hash = SHA-256(prev_hash || row)``).

Rows name people and credentials by database id only, never by name, number or claim value.
``verify_chain`` walks the log and returns the id of the first row that does not fit, if any.

Appending is cheap and short-locked: ``append`` only records the entry with the session's transaction, and
the transaction's entries are written together when it commits (``before_commit``): one lock (PostgreSQL's
transaction advisory lock; SQLite's writer lock is already held since BEGIN IMMEDIATE), one read of the
chain's head (the newest row, by primary key), one multi-row INSERT. So the chain is extended by one writer
at a time, each transaction's entries sit together in commit order, and the lock is held only from that
moment to the commit, never while a credential is signed. Entries of a transaction that rolls back are
never written, exactly as before (they commit or roll back with the action they record).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction

from issuer.db.models import AuditEntry
from issuer.db.tables import AUDIT_LOG

GENESIS = "0" * 64
_PENDING = "mobileid.audit.pending"  # (root transaction, [entries appended in it])
_LOCK = text("SELECT pg_advisory_xact_lock(1801350501)")
_HEAD = select(AUDIT_LOG.c.hash).order_by(AUDIT_LOG.c.id.desc()).limit(1)
_INSERT = insert(AUDIT_LOG)


def _row_hash(prev_hash: str, at: dt.datetime, actor: str, action: str, target: str,
              detail: Mapping[str, object]) -> str:
    canonical = json.dumps({"at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"), "actor": actor,
                            "action": action, "target": target, "detail": detail},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def append(session: Session, *, actor: str, action: str, target: str = "",
           detail: Mapping[str, object] | None = None, now: dt.datetime | None = None) -> None:
    """Add one entry to the caller's transaction (written when it commits, gone if it rolls back)."""
    at = now or dt.datetime.now(dt.UTC)
    session.connection()  # begins the transaction the entry belongs to, if none has begun yet
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
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK)  # one writer at a time extends the chain; released by the commit
    prev = connection.execute(_HEAD).scalar() or GENESIS
    rows = pending[1]
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = _row_hash(prev, row["at"], row["actor"], row["action"], row["target"], row["detail"])
    connection.execute(_INSERT, rows)


event.listen(Session, "before_commit", _write_pending)


def verify_chain(session: Session) -> int | None:
    """None when the whole chain verifies, else the id of the first broken entry."""
    prev = GENESIS
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=dt.UTC)
        expected = _row_hash(prev, at, entry.actor, entry.action, entry.target, entry.detail)
        if entry.prev_hash != prev or entry.hash != expected:
            return entry.id
        prev = entry.hash
    return None
