"""Validity times of one credential copy, varied per copy so that copies of a batch cannot be linked by them.

The copies of a single-use batch (OpenID4VCI 1.0 §8.2) are made in one request, so with the signing time
as it is they would share ``signed``, ``validFrom`` and ``validUntil`` (ISO/IEC 18013-5 §9.1.2.4) or ``iat``
and ``exp`` (SD-JWT VC) to the second, and a verifier seeing two presentations with those equal could tell
that one person showed both, although every other byte differs. Each copy therefore gets its own random
offset, a whole number of seconds drawn uniformly from ``[0, WINDOW]``, and all of its times move back by
it: ``signed = validFrom = now - offset`` and ``validUntil = until - offset`` (the validity period keeps its
length). The times stay consistent (§9.1.2.4: ``signed <= validFrom < validUntil``), a copy is valid at once
(``validFrom <= now``), and ``signed`` never falls before the document signer's certificate (a verifier
checks it against that certificate's validity), so right after a key rotation the window is shorter.
The cost is that ``signed`` is not the signing instant but a time up to ``WINDOW`` before it, and a copy
expires up to ``WINDOW`` earlier than the batch's nominal end; the database keeps the real times.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

__all__ = ["WINDOW", "copy_validity"]

WINDOW = dt.timedelta(hours=24)


def copy_validity(now: dt.datetime, until: dt.datetime, *, earliest: dt.datetime,
                  randbelow: Callable[[int], int] = secrets.randbelow) -> tuple[dt.datetime, dt.datetime]:
    """(``signed`` = ``validFrom``, ``validUntil``) for one copy issued at ``now`` for the period ending
    ``until``, never starting before ``earliest`` (the DS certificate's notBefore). Whole seconds (tdate)."""
    now, until = now.replace(microsecond=0), until.replace(microsecond=0)
    span = int(min(WINDOW, now - earliest).total_seconds())  # whole seconds, so now - span >= earliest
    back = dt.timedelta(seconds=randbelow(span + 1) if span > 0 else 0)
    return now - back, until - back
