"""Status lists on the issuer side: a random free index per credential; suspend, reinstate, revoke.

Revocation is final (draft-ietf-oauth-status-list §7.1 INVALID); a suspension can be lifted. The lists
are published as signed JWT and CWT tokens by ``issuer.publish``.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from issuer import audit
from issuer.db import connection, execute
from issuer.db.models import Credential, StatusListRow
from issuer.db.tables import CREDENTIALS
from specs.status import StatusList

VALUES = {"valid": 0, "revoked": 1, "suspended": 2}
# At the highest fill allowed a draw finds a taken position 9 times in 10: 256 rounds leave a row unplaced with
# probability 0.9^256 < 1e-11; over a list's life to 0.9 a credential needs 2.6 rounds on average (-ln(0.1) / 0.9).
MAX_FILL = 0.9
ROUNDS = 256


class StatusChangeError(ValueError):
    """A status change the rules forbid (revoked is final)."""


def _latest(session: Session) -> StatusListRow | None:
    # the bit array (32 KiB at the default size) is not needed to allocate; it loads on first access
    return session.scalars(select(StatusListRow).options(load_only(StatusListRow.uri, StatusListRow.bits,
                                                                   StatusListRow.size))
                           .order_by(StatusListRow.id.desc()).limit(1)).first()


def current_list(session: Session, public_url: str, size: int) -> StatusListRow:
    """The list new credentials go on; the first call ever creates list 1.

    Concurrent first requests may all try to create it: the unique ``uri`` lets one win, the others' inserts
    fail inside their own SAVEPOINT (the rest of their transaction is kept) and they read the winner's row.
    """
    row = _latest(session)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(StatusListRow(uri=f"{public_url.rstrip('/')}/status/1", bits=2, size=size,
                                      data=StatusList.empty(size, 2).data))
    except IntegrityError:
        pass  # another transaction created (and committed) it first
    row = _latest(session)
    if row is None:
        raise RuntimeError("no status list could be created")
    return row


def _index_taken(session: Session, row: StatusListRow, index: int) -> bool:
    return session.scalars(select(Credential.id).where(Credential.status_list_id == row.id,
                                                       Credential.status_index == index)).first() is not None


def allocate_index(session: Session, row: StatusListRow, credential: Credential) -> int:
    """Put ``credential`` at a random unused index of ``row`` (inserting it) and return the index.

    Random, so a credential's position says nothing about when it was issued. The unique (status_list_id,
    status_index) decides whether an index is free: a taken one (already issued, or picked by a concurrent
    request) makes the insert fail inside its SAVEPOINT, and another index is tried. No read-then-insert gap.
    """
    for _ in range(ROUNDS):
        index = secrets.randbelow(row.size)
        credential.status_list_id, credential.status_index = row.id, index
        try:
            with session.begin_nested():
                session.add(credential)
        except IntegrityError:
            if not _index_taken(session, row, index):
                raise  # some other constraint failed
            continue
        return index
    raise RuntimeError("status list is nearly full; open a new one")


@dataclass(frozen=True, slots=True)
class ListRef:
    """What allocating needs of a status list; a list's id, URI and size never change once it exists."""

    id: int
    uri: str
    size: int


_COUNT = select(func.count()).select_from(CREDENTIALS).where(CREDENTIALS.c.status_list_id == bindparam("list_id"))


def _next_uri(uri: str) -> str:
    base, _, number = uri.rpartition("/")
    return f"{base}/{int(number) + 1}"


def open_next_list(session: Session, full: ListRef, size: int) -> None:
    """Create the list after ``full`` in the caller's transaction (it is used once committed).

    Workers that find ``full`` filled at the same moment race on the unique ``uri``: one insert wins inside
    its SAVEPOINT, the others fail there and keep the rest of their transaction. A list after ``full`` that
    already exists is left as it is.
    """
    try:
        with session.begin_nested():
            session.add(StatusListRow(uri=_next_uri(full.uri), bits=2, size=size,
                                      data=StatusList.empty(size, 2).data))
    except IntegrityError:
        pass  # another worker opened it first


class CurrentList:
    """The list new credentials go on, read from the database once per process, and the next one opened
    when it holds ``max_fill`` of its size.

    Why a fill limit: an index is drawn at random among all of a list's positions (a position says nothing about
    when a credential was issued), so a nearly full list would need many draws per credential, and a full one
    none would find. How full a list is comes from counting its credentials (one index-only count); a worker
    counts again only after it placed an eighth of the room the last count left (at least ``_floor``), so a
    list is counted about 40 times by each worker over its life, and the workers together overshoot
    ``max_fill`` by at most the credentials issued between two counts.
    """

    def __init__(self, max_fill: float = 0.9) -> None:
        if not 0 < max_fill <= MAX_FILL:
            raise ValueError(f"max_fill is a share of a list's positions, above 0 and at most {MAX_FILL}")
        self.max_fill = max_fill
        self._ref: ListRef | None = None
        self._lock = threading.Lock()
        self._unchecked = 0  # credentials this process placed on the current list since it last counted
        self._check_after: int | None = None

    def get(self, session: Session, public_url: str, size: int) -> ListRef:
        ref = self._ref
        if ref is not None:
            return ref
        committed = _latest(session)  # this transaction made no list yet: what it finds is committed
        row = committed or current_list(session, public_url, size)
        ref = ListRef(row.id, row.uri, row.size)
        if committed is not None:  # a list this transaction creates is shared only once it is committed
            with self._lock:
                self._ref = ref
        return ref

    @staticmethod
    def _floor(ref: ListRef) -> int:
        return max(1, min(64, ref.size // 64))

    def placed(self, session: Session, ref: ListRef, count: int, size: int) -> None:
        """Note that ``count`` credentials went on ``ref`` in this transaction; count the list when due, and
        when it holds ``max_fill`` open the next list (``size`` entries) and forget the cached one."""
        with self._lock:
            self._unchecked += count
            due = self._check_after if self._check_after is not None else self._floor(ref)
            if self._unchecked < due:
                return
            self._unchecked = 0
        used = connection(session).execute(_COUNT, {"list_id": ref.id}).scalar_one()
        room = int(ref.size * self.max_fill) - used
        if room > 0:
            with self._lock:
                self._check_after = max(self._floor(ref), room // 8)
            return
        open_next_list(session, ref, size)
        with self._lock:
            if self._ref == ref:
                self._ref = None  # the next request reads the newest committed list
            self._check_after = None


def _insert_or_skip(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (status_list_id, status_index) DO NOTHING RETURNING id, status_index."""
    statement: Insert
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(CREDENTIALS).on_conflict_do_nothing(index_elements=["status_list_id", "status_index"])
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(CREDENTIALS).on_conflict_do_nothing(
            index_elements=["status_list_id", "status_index"])
    else:
        raise RuntimeError(f"status indices cannot be allocated on {dialect}")
    return statement.returning(CREDENTIALS.c.id, CREDENTIALS.c.status_index)


_INSERT_OR_SKIP = {name: _insert_or_skip(name) for name in ("postgresql", "sqlite")}  # built once


def allocate_indices(session: Session, ref: ListRef, rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Insert one credential row per ``rows`` entry, each at a random unused index of ``ref``, in one statement;
    returns (credential id, index) in the order of ``rows``.

    The batch's own indices are distinct; an index taken by another credential (already issued, or inserted by
    a concurrent request) is skipped by the unique (status_list_id, status_index) and that row is tried again
    at another random index. No read-then-insert gap, no SAVEPOINT.
    """
    out: dict[int, tuple[int, int]] = {}
    todo = list(range(len(rows)))
    for _ in range(ROUNDS):
        indices: dict[int, int] = {}  # status index -> position in rows
        for position in todo:
            index = secrets.randbelow(ref.size)
            while index in indices:
                index = secrets.randbelow(ref.size)
            indices[index] = position
        values = [{**rows[p], "status_list_id": ref.id, "status_index": i} for i, p in indices.items()]
        # one row (a batch of 1, the usual request): one statement (issuer.db.execute); several: executemany
        # with RETURNING, one cached statement sent as one multi-row INSERT ("insertmanyvalues")
        current = connection(session)
        statement = _INSERT_OR_SKIP[current.dialect.name]
        result: Any = execute(session, statement, values[0]) if len(values) == 1 else current.execute(statement, values)
        inserted = result.all()
        for credential_id, index in inserted:
            out[indices[index]] = (credential_id, index)
        todo = [p for p in todo if p not in out]
        if not todo:
            return [out[p] for p in range(len(rows))]
    raise RuntimeError("status list is nearly full; open a new one")


def change_status(session: Session, credential: Credential, new_status: str, *, actor: str, reason: str) -> None:
    if new_status not in VALUES:
        raise StatusChangeError(f"unknown status {new_status}")
    if credential.status == "revoked":
        raise StatusChangeError("a revoked credential stays revoked")
    row = session.get(StatusListRow, credential.status_list_id, with_for_update=True)
    assert row is not None
    row.data = StatusList(row.bits, row.data).with_statuses({credential.status_index: VALUES[new_status]}).data
    credential.status = new_status
    audit.append(session, actor=actor, action=f"credential.{new_status}", target=f"credential:{credential.id}",
                 detail={"reason": reason[:200]})

