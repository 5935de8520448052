"""The one trust-bundle sync of offline verifiers, used by ``mobileid verifier sync`` and the app's verifier mode.

The verifier's copy is the split bundle the issuer publishes (``issuer.publish``; formats in
``specs.trust.index``): a signed index, the base (VICAL + document signers) and one Status List Token (CWT) per
list. A sync fetches the index (``If-None-Match``: a 304 ends it), then only the files whose SHA-256 differs
from the copy's, and checks everything before anything is kept, failing closed:

* the index and the base verify under the pinned root (``specs.trust.bundle``) and are fresh; the index's
  ``sequence`` is not older than the copy's (an old, validly signed index cannot roll a revocation back);
* every fetched file is exactly the size and SHA-256 the index names, and every new token verifies (signature
  by a document signer under the listed IACA, subject = its list's URI, not expired);
* the whole copy stays under ``max_bytes`` (checked from the index before any list is fetched).

When the index offers a status change log from the copy's sequence (``specs.trust.changes``, a mobileid
extension), the sync fetches that one file instead of every changed list and applies it on top of the copy's
tokens (``verifier.delta``); if the log does not verify, the sync falls back to the files, and a copy with too
many logs, or too old tokens, is brought up to date by files (compaction).

Root pinning: the first sync pins a root (the one the app ships, else the server's ``/trust/root.pem``, which
``root_sha256`` lets the operator check out of band); later syncs verify under the pinned root, and a server
offering another root is refused unless the operator re-pins (``pin_new_root``). The copy is replaced
atomically: new and unchanged (hard-linked) files go into a fresh ``copy-*`` folder and the ``current`` file
is switched to it last; on any error the old copy stays as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization

from specs.crypto import PublicKey
from specs.errors import InputError, MobileIdError, TrustError
from specs.io.files import atomic_write
from specs.io.http import capped_read, reaching
from specs.status import TokenHeader, verify_status_list_token
from specs.trust import DEFAULT_MAX_AGE, TrustBundleError, VerifiedTrustBundle, verify_trust_bundle
from specs.trust.index import INDEX_PATH, MAX_INDEX, TrustIndex, verify_trust_index
from specs.x509 import CertificateRole, ChainCache, TrustStore, validate_chain
from specs.x509.load import load_der_certificate
from verifier.copy import (
    CURRENT,
    ROOT,
    Copy,
    copy_dir,
    link_or_write,
    load_dir,
    new_stage,
    read_exact,
    switch_to,
    write,
)
from verifier.delta import DEFAULT_MAX_LOGS, sync_by_log

__all__ = ["DEFAULT_MAX_BYTES", "Copy", "HttpGetter", "SyncReport", "fingerprint", "has_copy", "load_copy", "sync"]

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # a national register is ~30 MB (benchmarks/national_scale.py)


class HttpGetter(Protocol):
    def get(self, url: str, *, headers: Any = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class SyncReport:
    folder: Path
    issued_at: dt.datetime
    next_update: dt.datetime
    iaca: int
    document_signers: int
    status_lists: int
    root_fingerprint: str
    pinned: str  # "kept" | "new" | "replaced" | "kept (server offers another root)"
    sequence: int
    fetched: int  # files downloaded by this sync (0: the copy was current)
    fetched_bytes: int
    by: str = "files"  # "files" | "change log" | "files (change log refused: <code>)"

    def to_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "issued_at": self.issued_at.isoformat(),
                "next_update": self.next_update.isoformat(), "iaca": self.iaca,
                "document_signers": self.document_signers, "status_lists": self.status_lists,
                "root_sha256": self.root_fingerprint, "root": self.pinned, "sequence": self.sequence,
                "fetched": self.fetched, "fetched_bytes": self.fetched_bytes, "by": self.by}


def fingerprint(pem: bytes) -> str:
    """SHA-256 (hex) of each certificate's DER in ``pem``, comma-separated: what ``--root-sha256`` names."""
    anchors = TrustStore.from_pem(pem).anchors
    return ",".join(hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest() for c in anchors)


def has_copy(folder: Path) -> bool:
    return (folder / CURRENT).is_file() and (folder / ROOT).is_file()


def load_copy(folder: Path, *, now: dt.datetime, max_age: dt.timedelta = DEFAULT_MAX_AGE,
              roots: TrustStore | None = None) -> Copy:
    """Verify the copy in ``folder`` under its pinned root (or ``roots``): index, base, every file's hash, and
    the change logs applied on top of its tokens (``verifier.copy``)."""
    where = copy_dir(folder)
    if where is None or not (folder / ROOT).is_file():
        raise InputError(f"{folder.name}: no synced trust copy (run mobileid verifier sync)", code="trust.no_bundle")
    return load_dir(where, roots or TrustStore.from_pem((folder / ROOT).read_bytes()), now=now, max_age=max_age)


def _get(http: HttpGetter, url: str, cap: int, etag: str | None = None) -> tuple[int, bytes]:
    """(status, body) of a GET, reading at most ``cap`` bytes (``specs.io.http.capped_read``: a server sending
    more is cut off, not buffered)."""
    too_big = TrustError(f"{url} sent more than {cap} bytes", code="trust.sync_too_large")
    with reaching(url, error=TrustError, code="trust.sync_unreachable"):
        status, _, content = capped_read(http, "GET", url, cap, too_big,
                                         headers={"If-None-Match": etag} if etag else None)
    if status == 304 and etag:
        return 304, b""
    if status != 200:
        raise TrustError(f"{url} answered HTTP {status}", code="trust.sync_http")
    return 200, content


def _token_resolver(bundle: VerifiedTrustBundle, now: dt.datetime, cache: ChainCache) -> Any:
    def resolve(header: TokenHeader) -> Sequence[PublicKey]:
        certs = [load_der_certificate(c) for c in header.x5chain]
        validated = validate_chain(certs, bundle.iaca, now=now, role=CertificateRole.DOCUMENT_SIGNER, cache=cache)
        return [validated.leaf.public_key()]  # type: ignore[list-item]
    return resolve


def _choose_root(http: HttpGetter, base: str, folder: Path, pin_new_root: bool,
                 first_root: bytes | None) -> tuple[bytes, str]:
    pinned = folder / ROOT
    if pinned.is_file() and not pin_new_root:
        pem = pinned.read_bytes()
        if not TrustStore.from_pem(pem).anchors:
            raise InputError(f"{pinned} holds no certificate; use --pin-new-root to replace it",
                             code="input.unreadable")
        return pem, "kept"
    state = "new" if not pinned.is_file() else "replaced"
    pem = first_root if first_root is not None and state == "new" else _get(http, f"{base}/trust/root.pem",
                                                                            256 * 1024)[1]
    try:
        if not TrustStore.from_pem(pem).anchors:
            raise ValueError
    except (MobileIdError, ValueError):
        raise TrustError("the root offered holds no certificate", code="trust.sync_root") from None
    return pem, state


def _check_sha256(pem: bytes, expected: str | None) -> None:
    if expected is None:
        return
    wanted = expected.replace(":", "").strip().lower()
    if wanted not in fingerprint(pem).split(","):
        raise TrustError("the root does not have the SHA-256 given with --root-sha256: nothing was saved",
                         code="trust.sync_root")


def sync(http: HttpGetter, url: str, folder: Path, *, pin_new_root: bool = False, root_sha256: str | None = None,
         first_root: bytes | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
         now: dt.datetime | None = None, max_logs: int = DEFAULT_MAX_LOGS) -> SyncReport:
    """Bring the copy in ``folder`` up to date with the issuer at ``url`` (see the module docstring)."""
    now = now or dt.datetime.now(dt.UTC)
    base_url = url.rstrip("/")
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        raise InputError("URL must start with http:// or https://", code="input.usage")
    folder.mkdir(parents=True, exist_ok=True)
    root, state = _choose_root(http, base_url, folder, pin_new_root, first_root)
    _check_sha256(root, root_sha256)
    roots = TrustStore.from_pem(root)
    old_dir = copy_dir(folder) if state == "kept" else None
    old_index = old_dir / INDEX_PATH if old_dir else None
    old_bytes = old_index.read_bytes() if old_index and old_index.is_file() else None
    etag = f'"{hashlib.sha256(old_bytes).hexdigest()}"' if old_bytes else None
    code, index_bytes = _get(http, f"{base_url}/{INDEX_PATH}", MAX_INDEX, etag)
    if code == 304:  # nothing changed since this copy: check it is still whole and fresh
        copy = load_copy(folder, now=now, roots=roots)
        return _report(folder, copy.index, copy.bundle, root, state, 0, 0)
    try:
        index = verify_trust_index(index_bytes, roots, now=now)
    except TrustError as exc:
        if state == "kept":
            served = _get(http, f"{base_url}/trust/root.pem", 256 * 1024)[1]
            if fingerprint(served) != fingerprint(root):
                raise TrustError(f"the issuer's index does not verify under the root pinned in {folder / ROOT} "
                                 "and the server now offers another root; check it out of band, then re-run "
                                 "with --pin-new-root (and --root-sha256)", code=exc.code) from None
        raise
    old = _old_index(old_bytes, roots, now)
    if old is not None and index.sequence < old.sequence:
        raise TrustBundleError(f"the issuer's index (sequence {index.sequence}) is older than this copy's "
                               f"({old.sequence})", code="trust.bundle_stale")
    total = len(index_bytes) + sum(e.size for e in index.entries())
    if total > max_bytes:
        raise TrustError(f"the trust bundle would take {total} bytes, above the limit of {max_bytes}",
                         code="trust.sync_too_large")
    by = "files"
    if old_dir is not None and old is not None and max_logs > 0:
        try:
            delta = sync_by_log(lambda path, cap: _get(http, f"{base_url}/{path}", cap)[1], folder, old_dir, old,
                                index, index_bytes, roots, now, max_logs=max_logs)
        except MobileIdError as exc:  # fail closed on the log, then by files: nothing half-applied either way
            delta, by = None, f"files (change log refused: {exc.code})"
        if delta is not None:
            return _report(folder, index, delta.copy.bundle, root, state, delta.fetched, delta.fetched_bytes,
                           "change log")
    fetched, fetched_bytes, bundle = _refresh(http, base_url, folder, old_dir, index, index_bytes, roots, now)
    if state in ("new", "replaced"):
        atomic_write(folder / ROOT, root)
    return _report(folder, index, bundle, root, state, fetched, fetched_bytes, by)


def _report(folder: Path, index: TrustIndex, bundle: VerifiedTrustBundle, root: bytes, state: str, fetched: int,
            fetched_bytes: int, by: str = "files") -> SyncReport:
    return SyncReport(folder, index.issued_at, index.next_update, len(bundle.iaca.anchors),
                      len(bundle.document_signers), len(index.status_lists), fingerprint(root), state,
                      index.sequence, fetched, fetched_bytes, by)


def _old_index(data: bytes | None, roots: TrustStore, now: dt.datetime) -> TrustIndex | None:
    if data is None:
        return None
    try:
        return verify_trust_index(data, roots, now=now, fresh=False)  # an expired copy still has a sequence
    except MobileIdError:
        return None  # a damaged or expired copy: nothing to compare against


def _refresh(http: HttpGetter, base_url: str, folder: Path, old_dir: Path | None, index: TrustIndex,
             index_bytes: bytes, roots: TrustStore, now: dt.datetime) -> tuple[int, int, VerifiedTrustBundle]:
    """Stage the new copy (fetch what changed, link what did not), verify it, then switch ``current`` to it."""
    stage = new_stage(folder)
    try:
        fetched = fetched_bytes = 0
        bundle: VerifiedTrustBundle | None = None
        cache = ChainCache()  # one path check per document signer, not per list
        for entry in index.entries():  # the base first: tokens verify under its IACA
            target = stage / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            old = old_dir / entry.path if old_dir else None
            data = read_exact(old, entry) if old is not None else None
            if data is not None and old is not None:
                link_or_write(old, target, data)
            else:
                data = _get(http, f"{base_url}/{entry.path}", entry.size)[1]
                if len(data) != entry.size or hashlib.sha256(data).digest() != entry.sha256:
                    raise TrustBundleError(f"{entry.path} is not the file the signed index names",
                                           code="trust.bundle_signature")
                fetched, fetched_bytes = fetched + 1, fetched_bytes + len(data)
                if bundle is not None:
                    _verify_token(data, index.uri(entry), bundle, now, cache)
                write(target, data)
            if entry.number == 0:
                bundle = verify_trust_bundle(data, roots, now=now)
        if bundle is None:
            raise TrustBundleError("the trust index names no base", code="trust.bundle_signature")
        write(stage / INDEX_PATH, index_bytes)
        switch_to(folder, stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return fetched + 1, fetched_bytes + len(index_bytes), bundle


def _verify_token(data: bytes, uri: str, bundle: VerifiedTrustBundle, now: dt.datetime, cache: ChainCache) -> None:
    try:
        verify_status_list_token(data, _token_resolver(bundle, now, cache), now=now, expected_subject=uri)
    except (MobileIdError, ValueError) as exc:
        code = exc.code if isinstance(exc, MobileIdError) else "x509.decode"
        raise TrustBundleError(f"the status list {uri} does not verify ({code})",
                               code="trust.bundle_signature") from None
