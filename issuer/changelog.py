"""The publisher's status change logs (``specs.trust.changes``, a mobileid extension; docs/publishing.md).

Each publication that changes the index also writes logs to the new sequence (``trust/changes/<from>-<to>``)
from the previous publication (the step: what changed between the CWTs it published and the new lists) and
from the earliest publication of each of the last ``keep`` periods of ``spacing`` seconds (the older logs
joined with the step). A log carries new values, not flips, so it brings any copy at a sequence between its
start and its end to its end; a verifier takes the latest start at or before its copy's sequence, and there is
one for any copy younger than ``keep`` periods, however often the issuer publishes. The index names them with
their hash and size. When no step can be made (a list appeared, disappeared or changed size, or a previous CWT
is not what was published), every log is dropped and verifiers sync by files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from issuer.keys import IssuerKeys
from specs.cbor import MAP, decode
from specs.cose.sign1 import CoseSign1
from specs.errors import MobileIdError
from specs.io.files import atomic_write
from specs.status import StatusList
from specs.trust.changes import CHANGES_DIR, MAX_CHANGE_LOG, ListChanges, StatusChangeLog, sign_change_log
from specs.trust.index import ChangesEntry

__all__ = ["DEFAULT_KEEP", "DEFAULT_SPACING", "prune_change_logs", "published_list", "write_change_logs"]

DEFAULT_KEEP, DEFAULT_SPACING = 24, 3600  # a log from each of the last 24 hours: a verifier a day behind fetches one
_CWT_STATUS_LIST = 65533


def published_list(path: Path) -> StatusList | None:
    """The status list inside a CWT this publisher wrote (its own file: not verified again), or None."""
    try:
        message = CoseSign1.from_cbor_value(decode(path.read_bytes(), allowed_tags=(18,)))
        claims = decode(message.payload or b"", allowed_tags=())
        return StatusList.from_cbor_value(claims.get(_CWT_STATUS_LIST) if isinstance(claims, MAP) else None)
    except (OSError, MobileIdError, ValueError):
        return None


def _read_log(path: Path) -> StatusChangeLog | None:
    try:
        message = CoseSign1.from_cbor(path.read_bytes(), max_size=MAX_CHANGE_LOG)
        return StatusChangeLog.from_cbor(message.payload or b"")
    except (OSError, MobileIdError, ValueError):
        return None


def write_change_logs(folder: Path, keys: IssuerKeys, state: dict[str, Any], *, issuer: str,
                      steps: Sequence[ListChanges] | None, previous: int, sequence: int, now: dt.datetime,
                      expires_at: dt.datetime, keep: int = DEFAULT_KEEP,
                      spacing: int = DEFAULT_SPACING) -> tuple[ChangesEntry, ...]:
    """Write the logs to ``sequence`` (``steps``: what changed since ``previous``, None when that is unknown);
    ``state["changes"]`` remembers where they start. Files are written without fsync: the publisher's
    ``os.sync()`` before the index covers them."""
    assert keys.vical_signer is not None and keys.vical is not None
    if steps is None or keep < 1 or previous < 1:
        state["changes"] = []
        return ()
    step = StatusChangeLog(issuer, now, previous, sequence, expires_at, tuple(sorted(steps, key=lambda c: c.number)))
    logs = [step]
    for start in _starts([s for s in state.get("changes", []) if type(s) is int], previous, keep, spacing):
        older = _read_log(folder / f"{CHANGES_DIR}/{start}-{previous}") if start != previous else None
        if older is not None and older.issuer == issuer and older.from_sequence == start:
            with contextlib.suppress(MobileIdError):
                logs.append(older.then(step))
    entries = []
    for log in sorted(logs, key=lambda g: g.from_sequence):
        data = sign_change_log(log, keys.vical_signer, (keys.vical,))
        atomic_write(folder / log.path, data, fsync=False, mode=0o644)
        entries.append(ChangesEntry(log.from_sequence, hashlib.sha256(data).digest(), len(data)))
    state["changes"] = [e.from_sequence for e in entries]
    return tuple(entries)


def _starts(starts: list[int], previous: int, keep: int, spacing: int) -> list[int]:
    """The earliest of ``starts`` and ``previous`` in each of the last ``keep`` periods (sequences are at least the
    publication's Unix time), and ``previous``."""
    earliest: dict[int, int] = {}
    for start in sorted({*starts, previous}):
        earliest.setdefault(start // max(1, spacing), start)
    return sorted({*sorted(earliest.values())[-keep:], previous})


def prune_change_logs(folder: Path, sequence: int, entries: Sequence[ChangesEntry]) -> None:
    """Remove the logs the index at ``sequence`` no longer names (after it is written)."""
    named = {e.path(sequence).rsplit("/", 1)[1] for e in entries}
    with contextlib.suppress(OSError):
        for path in (folder / CHANGES_DIR).iterdir():
            if path.name not in named and not path.name.startswith("."):
                path.unlink(missing_ok=True)
