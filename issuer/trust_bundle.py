"""The issuer's published files from its database: every status list row, then ``issuer.publish``.

The trust bundle lists our IACA in a VICAL (ISO/IEC 18013-5 Annex C.1.7), every document-signer certificate
still within its validity (so credentials signed before a key rotation keep verifying), and the current status
list tokens, all signed by the VICAL signer. A verifier pins the IACA (``/trust/root.pem``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.db.models import StatusListRow
from issuer.keys import IssuerKeys
from issuer.publish import ListSource, PublishReport, publish, publish_dir
from specs.status import StatusList

__all__ = ["publish_from_db"]


def _sources(session: Session) -> Iterator[ListSource]:
    # one row at a time (yield_per): a national register's lists never sit in memory together
    for row in session.scalars(select(StatusListRow).order_by(StatusListRow.id).execution_options(yield_per=64)):
        yield ListSource(row.uri, StatusList(row.bits, row.data))


def publish_from_db(session: Session, keys: IssuerKeys, *, data_dir: Path, public_url: str,
                    now: dt.datetime) -> PublishReport:
    """Bring ``<data_dir>/publish`` up to date; signs only what changed since the last publication."""
    return publish(publish_dir(data_dir), keys, public_url=public_url, lists=_sources(session), now=now)

