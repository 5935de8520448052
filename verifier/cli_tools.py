"""Helpers of the verifier's terminal commands: QR inputs, a replay cache that outlives one process, the
request QR files and atomic writes (the human verdict is ``verifier.cli_verdict``, the trust-bundle sync
``verifier.sync``).

* ``FileReplayCache``: ``mobileid verify`` runs once per scan, so the nonces of accepted answers (one-way
  wallet nonces, answered request nonces) are kept in a small JSON file, under an exclusive lock while a
  verification runs; entries fall out once their validity window has passed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from specs.errors import InputError, MobileIdError
from specs.io.files import atomic_write
from specs.qr import is_profile_text
from verifier.qr import ReplayCache

__all__ = ["FileReplayCache", "is_qr_input", "load_request", "qr_texts"]

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
