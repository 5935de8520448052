"""A sync by status change log (``specs.trust.changes``, a mobileid extension): one small file instead of every
changed list, when the signed index offers a log starting at or before the copy's sequence (the latest such).

The log is fetched with the size and SHA-256 the index names, verified (signature by a VICAL signer under the
pinned root, the index's issuer, from the start the index names to the index's sequence, not expired) and
staged with the copy's tokens, its anchor and earlier logs (hard-linked), the new index and base; the staged
copy is then loaded and verified in full (``verifier.copy.load_dir``) before ``current`` is switched to it. Any failure
leaves the old copy as it was, and ``verifier.sync`` falls back to the per-file sync.

Compaction: after ``max_logs`` logs on top of the same tokens, or once those tokens are older than
``max_anchor_age``, no log is used and the per-file sync fetches every changed token again (the copy then
holds no log).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from specs.trust import TrustBundleError
from specs.trust.changes import verify_change_log
from specs.trust.index import INDEX_PATH, TrustIndex, verify_trust_index
from specs.x509 import TrustStore
from verifier.copy import (
    ANCHOR_PATH,
    Copy,
    link_or_write,
    load_dir,
    log_files,
    new_stage,
    read_exact,
    same_lists,
    switch_to,
    write,
)

__all__ = ["DEFAULT_MAX_ANCHOR_AGE", "DEFAULT_MAX_LOGS", "DeltaResult", "sync_by_log"]

DEFAULT_MAX_LOGS = 8
DEFAULT_MAX_ANCHOR_AGE = dt.timedelta(days=7)

Fetch = Callable[[str, int], bytes]  # (path under the issuer's URL, most bytes to read) -> body


@dataclass(frozen=True, slots=True)
class DeltaResult:
    copy: Copy
    fetched: int
    fetched_bytes: int


def sync_by_log(fetch: Fetch, folder: Path, old_dir: Path, old: TrustIndex, index: TrustIndex, index_bytes: bytes,
                roots: TrustStore, now: dt.datetime, *, max_logs: int = DEFAULT_MAX_LOGS,
                max_anchor_age: dt.timedelta = DEFAULT_MAX_ANCHOR_AGE) -> DeltaResult | None:
    """Bring the copy in ``old_dir`` (at ``old``) to ``index`` by its change log; None when none applies (no log
    offered from the copy's sequence, compaction due, lists added or removed). Raises when an offered log or
    the staged copy does not verify: nothing is switched then."""
    entry = index.changes_from(old.sequence)
    if entry is None or index.sequence <= old.sequence:
        return None
    anchor_bytes = (old_dir / ANCHOR_PATH).read_bytes() if (old_dir / ANCHOR_PATH).is_file() else (
        old_dir / INDEX_PATH).read_bytes()
    anchor = verify_trust_index(anchor_bytes, roots, now=now, fresh=False)
    previous_logs = log_files(old_dir)
    if len(previous_logs) >= max_logs or now - anchor.issued_at > max_anchor_age or not same_lists(anchor, index):
        return None
    path = entry.path(index.sequence)
    data = fetch(path, entry.size)
    if len(data) != entry.size or hashlib.sha256(data).digest() != entry.sha256:
        raise TrustBundleError(f"{path} is not the file the signed index names", code="trust.bundle_signature")
    verify_change_log(data, roots, now=now, issuer=index.issuer, from_sequence=entry.from_sequence,
                      to_sequence=index.sequence)
    stage = new_stage(folder)
    try:
        fetched, fetched_bytes = 2, len(index_bytes) + len(data)
        for token in anchor.status_lists:
            source = old_dir / token.path
            kept = read_exact(source, token)
            if kept is None:
                raise TrustBundleError(f"the trust copy's {token.path} is not the one its index names",
                                       code="trust.bundle_signature")
            link_or_write(source, stage / token.path, kept)
        for log in previous_logs:
            link_or_write(log, stage / log.relative_to(old_dir), log.read_bytes())
        write(stage / path, data)
        base = read_exact(old_dir / index.base.path, index.base)
        if base is None:
            base = fetch(index.base.path, index.base.size)
            fetched, fetched_bytes = fetched + 1, fetched_bytes + len(base)
        write(stage / index.base.path, base)  # checked against the index by the load below
        write(stage / ANCHOR_PATH, anchor_bytes)
        write(stage / INDEX_PATH, index_bytes)
        copy = load_dir(stage, roots, now=now)  # everything again, as a later load will
        switch_to(folder, stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return DeltaResult(copy, fetched, fetched_bytes)
