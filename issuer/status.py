"""Status lists on the issuer side: a random free index per credential; suspend, reinstate, revoke.

Revocation is final (draft-ietf-oauth-status-list §7.1 INVALID); a suspension can be lifted. Tokens are
served as JWT and CWT, signed by the current document signer (``x5c``/``x5chain``), with ``exp`` and ``ttl``.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db.models import Credential, StatusListRow
from issuer.keys import IssuerKeys
from specs.status import StatusList, issue_cwt, issue_jwt

VALUES = {"valid": 0, "revoked": 1, "suspended": 2}
TOKEN_LIFETIME = dt.timedelta(hours=24)
TTL_SECONDS = 3600


class StatusChangeError(ValueError):
    """A status change the rules forbid (revoked is final)."""


def current_list(session: Session, public_url: str, size: int) -> StatusListRow:
    row = session.scalars(select(StatusListRow).order_by(StatusListRow.id.desc()).limit(1)).first()
    if row is None:
        row = StatusListRow(uri=f"{public_url.rstrip('/')}/status/1", bits=2, size=size,
                            data=StatusList.empty(size, 2).data)
        session.add(row)
        session.flush()
    return row


def allocate_index(session: Session, row: StatusListRow) -> int:
    """A random unused index, so a credential's position says nothing about when it was issued."""
    for _ in range(64):
        index = secrets.randbelow(row.size)
        taken = session.scalars(select(Credential.id).where(Credential.status_list_id == row.id,
                                                            Credential.status_index == index)).first()
        if taken is None:
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


def tokens(row: StatusListRow, keys: IssuerKeys, now: dt.datetime) -> tuple[str, bytes]:
    """The list as a JWT and a CWT Status List Token."""
    status_list = StatusList(row.bits, row.data)
    jwt = issue_jwt(keys.ds_signer, subject=row.uri, status_list=status_list, issued_at=now,
                    expires_at=now + TOKEN_LIFETIME, ttl=TTL_SECONDS, x5c=[base64.b64encode(keys.ds_der).decode()])
    cwt = issue_cwt(keys.ds_signer, subject=row.uri, status_list=status_list, issued_at=now,
                    expires_at=now + TOKEN_LIFETIME, ttl=TTL_SECONDS, x5chain=[keys.ds_der])
    return jwt, cwt
