"""The verifier's synced trust copy on disk, and its verification on every load (``verifier.sync`` writes it).

``<folder>/current`` names the copy in use, ``<folder>/copy-*``, which mirrors the published folder::

    trust/index          the newest signed index (fresh, under the pinned root)
    trust/base           the base it names (VICAL + document signers)
    status/<n>.cwt       the Status List Tokens, as named by ``trust/anchor`` when present, else by ``trust/index``
    trust/anchor         the index the tokens match, when status change logs brought them up to date
    trust/changes/<a>-<b>  those logs (``specs.trust.changes``, a mobileid extension), a chain from the anchor's
                         sequence to the index's (each starting at or before where the one before it ended)

Each status the verifier answers is proved by a signed token plus the signed logs applied on top; all of them
verify again when the copy is loaded. Freshness comes from the newest log: its ``expiresAt`` replaces the
tokens' ``exp`` and its ``issuedAt`` is the "as of" of a patched status.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from specs.errors import InputError
from specs.io.files import atomic_write
from specs.trust import DEFAULT_MAX_AGE, TrustBundleError, VerifiedTrustBundle, verify_trust_bundle
from specs.trust.changes import CHANGES_DIR, StatusChangeLog, verify_change_log
from specs.trust.index import INDEX_PATH, IndexEntry, TrustIndex, verify_trust_index
from specs.x509 import TrustStore

__all__ = ["ANCHOR_PATH", "CURRENT", "ROOT", "Copy", "ListPatch", "StatusPatches", "copy_dir", "link_or_write",
           "load_dir", "log_files", "new_stage", "read_exact", "same_lists", "switch_to", "write"]

CURRENT, ROOT, ANCHOR_PATH = "current", "root.pem", "trust/anchor"
MAX_LOGS = 64  # logs a copy may hold on top of its tokens (the sync compacts long before: verifier.delta)


@dataclass(frozen=True, slots=True)
class ListPatch:
    """One list's statuses changed by the applied logs (index -> new status), and the list's size and bits."""

    size: int
    bits: int
    changes: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class StatusPatches:
    """What the applied change logs say on top of the tokens: lookups use this (``verifier.verify``)."""

    token_time: dt.datetime  # the anchor index's issuedAt: the tokens were current then, and are checked as of it
    as_of: dt.datetime  # the newest log's issuedAt
    expires_at: dt.datetime  # the newest log's expiresAt: every list is current until then
    lists: Mapping[str, ListPatch]  # list URI -> its changes (lists without changes are absent)
    logs: int


@dataclass(frozen=True, slots=True)
class Copy:
    """A verified copy: its index, base bundle, status list tokens (list URI -> CWT bytes) and applied logs."""

    index: TrustIndex
    bundle: VerifiedTrustBundle
    tokens: dict[str, bytes]
    patches: StatusPatches | None = None
    anchor: TrustIndex | None = None  # the index the tokens match, when logs are applied


def copy_dir(folder: Path) -> Path | None:
    try:
        name = (folder / CURRENT).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return folder / name if name.startswith("copy-") and "/" not in name and (folder / name).is_dir() else None


def read_exact(path: Path, entry: IndexEntry) -> bytes | None:
    """The file when it is exactly what the index names, else None."""
    try:
        if path.stat().st_size != entry.size:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).digest() == entry.sha256 else None


def _refused(what: str) -> TrustBundleError:
    return TrustBundleError(f"the trust copy's {what}", code="trust.bundle_signature")


def load_dir(where: Path, roots: TrustStore, *, now: dt.datetime,
             max_age: dt.timedelta = DEFAULT_MAX_AGE) -> Copy:
    """Verify the copy in ``where`` (a ``copy-*`` folder) under ``roots``: index, base, anchor, logs, hashes."""
    try:
        index = verify_trust_index((where / INDEX_PATH).read_bytes(), roots, now=now, max_age=max_age)
        anchor_bytes = (where / ANCHOR_PATH).read_bytes() if (where / ANCHOR_PATH).is_file() else None
    except OSError:
        raise InputError(f"{where.name}: the trust copy cannot be read (sync again)", code="trust.no_bundle") from None
    base = read_exact(where / index.base.path, index.base)
    if base is None:
        raise _refused("base is not the one its index names")
    bundle = verify_trust_bundle(base, roots, now=now, max_age=max_age)
    anchor = verify_trust_index(anchor_bytes, roots, now=now, fresh=False) if anchor_bytes is not None else None
    patches = _patches(where, anchor, index, roots, now) if anchor is not None else None
    tokens: dict[str, bytes] = {}
    for entry in (anchor or index).status_lists:
        data = read_exact(where / entry.path, entry)
        if data is None:
            raise _refused(f"{entry.path} is not the one its index names")
        tokens[index.uri(entry)] = data
    return Copy(index, bundle, tokens, patches, anchor)


def same_lists(anchor: TrustIndex, index: TrustIndex) -> bool:
    """Logs can bring ``anchor``'s tokens to ``index`` only when both name the same lists at the same place."""
    return (anchor.issuer, anchor.status_base) == (index.issuer, index.status_base) and [
        e.number for e in anchor.status_lists] == [e.number for e in index.status_lists]


def log_files(where: Path) -> list[Path]:
    folder = where / CHANGES_DIR
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def _patches(where: Path, anchor: TrustIndex, index: TrustIndex, roots: TrustStore,
             now: dt.datetime) -> StatusPatches:
    """Verify the chain of logs from ``anchor`` to ``index`` and fold it into one patch (fails closed)."""
    if not same_lists(anchor, index) or anchor.sequence >= index.sequence:
        raise _refused("anchor and index do not name the same lists, in order")
    files = log_files(where)
    if not files or len(files) > MAX_LOGS:
        raise _refused(f"change logs are missing or more than {MAX_LOGS}")
    logs: dict[int, StatusChangeLog] = {}
    for path in files:
        log = verify_change_log(path.read_bytes(), roots, now=now, issuer=index.issuer, check_expiry=False)
        if path.name != f"{log.from_sequence}-{log.to_sequence}" or log.to_sequence in logs:
            raise _refused(f"change log {path.name} is not the log its name says")
        logs[log.to_sequence] = log
    # each log starts at or before where the previous one ended (it carries new values: applied to any state
    # between its start and its end it gives its end) and ends later; the last ends at the index
    chain = [logs[end] for end in sorted(logs)]
    at = anchor.sequence
    for log in chain:
        if not log.from_sequence <= at < log.to_sequence:
            raise _refused(f"change log {log.from_sequence}-{log.to_sequence} does not follow sequence {at}")
        at = log.to_sequence
    if at != index.sequence:
        raise _refused("change logs do not lead from its anchor to its index")
    newest = chain[-1]
    if now >= newest.expires_at:
        raise TrustBundleError("the trust copy's status lists have expired: sync again", code="trust.bundle_stale")
    numbers = {e.number for e in index.status_lists}
    merged: dict[int, tuple[int, int, dict[int, int]]] = {}
    for log in chain:
        for lc in log.lists:
            size, bits, changes = merged.setdefault(lc.number, (lc.size, lc.bits, {}))
            if lc.number not in numbers or (size, bits) != (lc.size, lc.bits):
                raise _refused(f"change log {log.from_sequence}-{log.to_sequence} names list {lc.number} wrongly")
            changes.update(lc.changes)
    lists = {f"{index.status_base}{n}": ListPatch(size, bits, changes) for n, (size, bits, changes) in merged.items()}
    return StatusPatches(anchor.issued_at, newest.issued_at, newest.expires_at, lists, len(chain))


def new_stage(folder: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=folder, prefix="copy-"))


def switch_to(folder: Path, stage: Path) -> None:
    """Make ``stage`` the copy in use (after one ``os.sync()``), then remove the others."""
    os.sync()
    atomic_write(folder / CURRENT, stage.name.encode())  # the switch: readers see the old or the new copy
    for stale in folder.glob("copy-*"):
        if stale.is_dir() and stale != stage:
            shutil.rmtree(stale, ignore_errors=True)


def write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)  # in the staging folder, not yet named by ``current``; os.sync() before the switch


def link_or_write(old: Path, target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(old, target)  # unchanged: the same bytes, no copy
    except OSError:
        write(target, data)
