"""Helpers of the verifier's terminal commands: QR inputs, a replay cache that outlives one process, the
human verdict, request QR files and the trust-bundle sync.

* ``FileReplayCache``: ``mobileid verify`` runs once per scan, so the nonces of accepted answers (one-way
  wallet nonces, answered request nonces) are kept in a small JSON file, under an exclusive lock while a
  verification runs; entries fall out once their validity window has passed.
* ``sync_bundle``: downloads ``/trust/bundle`` and ``/trust/root.pem`` and verifies the bundle before
  writing anything. A folder that already pins a root keeps it: the new bundle must verify under the
  *pinned* root unless the operator explicitly re-pins.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from specs.errors import InputError, MobileIdError, TrustError
from specs.io.files import atomic_write
from specs.qr import is_profile_text
from verifier.qr import ReplayCache

__all__ = ["FileReplayCache", "HttpGetter", "SyncReport", "is_qr_input", "load_request", "qr_texts", "sync_bundle"]

IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
_MAX_TEXT_FILE = 256 * 1024


# -- inputs --------------------------------------------------------------------------------------------
def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(16)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def is_qr_input(paths: tuple[Path, ...]) -> bool:
    """True when the inputs are QR images (PNG/JPEG) or a text file of ``MID2`` lines (any profile version)."""
    heads = [_head(p) for p in paths]
    return any(h.startswith(IMAGE_MAGIC) or is_profile_text(h) for h in heads)


def qr_texts(paths: tuple[Path, ...]) -> list[str]:
    """Every frame text in the inputs: decoded from each image, or the non-empty lines of text files."""
    from specs.io.symbols import read_texts

    texts: list[str] = []
    for path in paths:
        if _head(path).startswith(IMAGE_MAGIC):
            texts.extend(read_texts(path))
            continue
        if path.stat().st_size > _MAX_TEXT_FILE:
            raise InputError(f"{path.name} is too large for QR text")
        try:
            lines = path.read_text("utf-8").splitlines()
        except UnicodeDecodeError:
            raise InputError(f"{path.name} is not UTF-8 text") from None
        texts.extend(line.strip() for line in lines if line.strip())
    return texts


def load_request(path: Path) -> Any:
    """The ``QrRequest`` saved by ``mobileid verifier request --state`` (its CBOR)."""
    from specs.qr.presentation import QrRequest, decode_qr_message

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        request = decode_qr_message(data)
    except MobileIdError as exc:
        raise InputError(f"{path.name} is not a saved request ({exc.code})") from None
    if not isinstance(request, QrRequest):
        raise InputError(f"{path.name} is not a saved request")
    return request


# -- replay cache across runs --------------------------------------------------------------------------
class FileReplayCache(ReplayCache):
    """``ReplayCache`` persisted to a JSON file ``{nonce hex: expiry}``; use it inside ``locked()``."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        if path.exists():
            try:
                doc = json.loads(path.read_text("utf-8"))
                if not isinstance(doc, dict):
                    raise ValueError("not an object")
                for key, value in sorted(doc.items(), key=lambda kv: str(kv[1])):
                    self._seen[bytes.fromhex(key)] = dt.datetime.fromisoformat(value)
            except (OSError, ValueError, TypeError, UnicodeDecodeError):
                raise InputError(f"{path}: the replay cache is unreadable; move it away to start afresh",
                                 code="input.unreadable") from None

    def check_and_add(self, nonce: bytes, expires: dt.datetime, now: dt.datetime) -> None:
        super().check_and_add(nonce, expires, now)
        doc = {k.hex(): v.isoformat() for k, v in self._seen.items()}
        try:
            atomic_write(self.path, json.dumps(doc, indent=0).encode("utf-8"))
        except OSError as exc:
            raise InputError(f"cannot write the replay cache {self.path} ({exc.strerror})",
                             code="input.unwritable") from None

    @staticmethod
    @contextlib.contextmanager
    def locked(path: Path) -> Iterator[FileReplayCache]:
        """Load the cache under an exclusive lock (two scans of one code at once cannot both pass)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = (path.parent / f".{path.name}.lock").open("a")
        except OSError as exc:
            raise InputError(f"cannot use the replay cache {path} ({exc.strerror})", code="input.unwritable") from None
        with lock:
            try:
                import fcntl

                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - non-POSIX: no inter-process lock
                pass
            yield FileReplayCache(path)


# -- trust bundle sync -----------------------------------------------------------------------------------
class HttpGetter(Protocol):
    def get(self, url: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class SyncReport:
    folder: Path
    issued_at: dt.datetime
    next_update: dt.datetime
    iaca: int
    document_signers: int
    status_lists: int
    root_fingerprint: str
    pinned: str  # "kept" | "new" | "replaced"

    def to_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "issued_at": self.issued_at.isoformat(),
                "next_update": self.next_update.isoformat(), "iaca": self.iaca,
                "document_signers": self.document_signers, "status_lists": self.status_lists,
                "root_sha256": self.root_fingerprint, "root": self.pinned}


def _fetch(http: HttpGetter, url: str) -> bytes:
    import httpx

    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        raise TrustError(f"cannot reach {url} ({type(exc).__name__})", code="trust.sync_unreachable") from None
    if response.status_code != 200:
        raise TrustError(f"{url} answered HTTP {response.status_code}", code="trust.sync_http")
    content: bytes = response.content
    if len(content) > 4 * 1024 * 1024:
        raise TrustError(f"{url} sent too much data", code="trust.sync_http")
    return content


def _fingerprint(pem: bytes) -> str:
    import hashlib

    from specs.x509 import TrustStore

    anchors = TrustStore.from_pem(pem).anchors
    from cryptography.hazmat.primitives import serialization

    return ",".join(hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest() for c in anchors)


def sync_bundle(http: HttpGetter, url: str, folder: Path, *, pin_new_root: bool = False,
                now: dt.datetime | None = None) -> SyncReport:
    """Fetch, verify, then atomically write ``bundle.cbor`` (+ ``root.pem`` when first pinned / re-pinned)."""
    from specs.trust import verify_trust_bundle
    from specs.x509 import TrustStore

    now = now or dt.datetime.now(dt.UTC)
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise InputError("URL must start with http:// or https://", code="input.usage")
    pinned_path = folder / "root.pem"
    pinned = pinned_path.read_bytes() if pinned_path.is_file() else None
    bundle = _fetch(http, f"{base}/trust/bundle")
    served_root = _fetch(http, f"{base}/trust/root.pem")
    if not TrustStore.from_pem(served_root).anchors:
        raise TrustError("the served root.pem holds no certificate", code="trust.sync_root")
    if pinned is not None and not pin_new_root:
        if not TrustStore.from_pem(pinned).anchors:
            raise InputError(f"{pinned_path} holds no certificate; use --pin-new-root to replace it",
                             code="input.unreadable")
        root, state = pinned, "kept"
    else:
        root, state = served_root, ("new" if pinned is None else "replaced")
    try:
        verified = verify_trust_bundle(bundle, TrustStore.from_pem(root), now=now)
    except TrustError as exc:
        if state == "kept" and _fingerprint(served_root) != _fingerprint(pinned or b""):
            raise TrustError("the new bundle does not verify under the root pinned in "
                             f"{pinned_path} and the server now offers another root; check it out of band, "
                             "then re-run with --pin-new-root", code=exc.code) from None
        raise
    if state == "kept" and _fingerprint(served_root) != _fingerprint(root):
        state = "kept (server offers another root)"
    if state in ("new", "replaced"):
        atomic_write(pinned_path, root)
    atomic_write(folder / "bundle.cbor", bundle)
    return SyncReport(folder, verified.bundle.issued_at, verified.bundle.next_update, len(verified.iaca.anchors),
                      len(verified.document_signers), len(verified.bundle.status_lists), _fingerprint(root), state)
