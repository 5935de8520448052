"""The audit page's data: one page of entries by id (newest first, ``before`` as the cursor), and the chain's
state from a checkpoint, so a view walks only the entries added since the last one (issue: abuse limits).

The checkpoint (``audit_checkpoints``, one row) holds the id and hash of the last entry verified. A view first
checks that this entry still carries that hash (an edit of a verified row that recomputed every later hash is
caught by ``mobileid issuer verify-audit``, which re-walks the whole chain and then moves the checkpoint), then
verifies only the entries after it and moves the checkpoint forward.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.audit import GENESIS, verify_from
from issuer.db.models import AuditCheckpoint, AuditEntry

PAGE = 50
CHECKPOINT = 1  # the one row's id


@dataclass(frozen=True, slots=True)
class ChainState:
    broken: int | None  # the first entry that does not fit, if any
    verified_to: int  # the last entry verified (0: none yet)
    walked: int  # entries walked by this check (what the checkpoint saved is all the others)


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    older: int | None  # the ``before`` cursor of the next page, None on the last one


def page(session: Session, before: int | None, size: int = PAGE) -> AuditPage:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = list(session.scalars(query))
    return AuditPage(rows[:size], rows[size - 1].id if len(rows) > size else None)


def check(session: Session, now: dt.datetime, *, full: bool = False) -> ChainState:
    """Verify the chain from the checkpoint (or from the start, ``full``) and move the checkpoint; commits."""
    point = session.get(AuditCheckpoint, CHECKPOINT)
    after, prev = (point.entry_id, point.hash) if point is not None and not full else (0, GENESIS)
    if after and session.scalar(select(AuditEntry.hash).where(AuditEntry.id == after)) != prev:
        return ChainState(after, 0, 0)  # the verified entry was changed or removed
    broken, last, last_hash = verify_from(session, after, prev)
    if broken is None and last != after:
        if point is None:
            session.add(AuditCheckpoint(id=CHECKPOINT, entry_id=last, hash=last_hash, verified_at=now))
        else:
            point.entry_id, point.hash, point.verified_at = last, last_hash, now
        session.commit()
    return ChainState(broken, last if broken is None else 0, last - after if broken is None else 0)
