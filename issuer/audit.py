"""The audit log: every clerk action and issuance, hash-chained (``hash = SHA-256(prev_hash || row)``).

Rows name people and credentials by database id only, never by name, number or claim value.
``verify_chain`` walks the log and returns the id of the first row that does not fit, if any.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from issuer.db.models import AuditEntry

GENESIS = "0" * 64
_TAIL = "mobileid.audit.tail"  # (transaction, hash of the entry it appended last)


def _row_hash(prev_hash: str, at: dt.datetime, actor: str, action: str, target: str,
              detail: Mapping[str, object]) -> str:
    canonical = json.dumps({"at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"), "actor": actor,
                            "action": action, "target": target, "detail": detail},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def append(session: Session, *, actor: str, action: str, target: str = "",
           detail: Mapping[str, object] | None = None, now: dt.datetime | None = None) -> AuditEntry:
    """Add one entry in the caller's transaction (it commits or rolls back with the action it records)."""
    at = now or dt.datetime.now(dt.UTC)
    transaction = session.get_transaction()
    tail = session.info.get(_TAIL)
    if tail is not None and transaction is not None and tail[0] is transaction:
        prev = tail[1]  # this transaction holds the lock and wrote the chain's last entry itself
    else:
        if session.get_bind().dialect.name == "postgresql":
            # One writer at a time extends the chain; the lock ends with the transaction.
            session.execute(text("SELECT pg_advisory_xact_lock(1801350501)"))
        last = session.scalars(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
        prev = last or GENESIS
    body = dict(detail or {})
    entry = AuditEntry(at=at, actor=actor, action=action, target=target, detail=body, prev_hash=prev,
                       hash=_row_hash(prev, at, actor, action, target, body))
    session.add(entry)
    session.flush()
    session.info[_TAIL] = (session.get_transaction(), entry.hash)
    return entry


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
