"""Status lists on the issuer side: a random free index per credential; suspend, reinstate, revoke.

Revocation is final (draft-ietf-oauth-status-list §7.1 INVALID); a suspension can be lifted. The lists
are published as signed JWT and CWT tokens by ``issuer.publish``.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from issuer import audit
from issuer.db.models import Credential, StatusListRow
from specs.status import StatusList

VALUES = {"valid": 0, "revoked": 1, "suspended": 2}


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
    for _ in range(64):
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

