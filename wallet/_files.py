"""File primitives of the wallet's stores: atomic replace, an inter-process lock, AES-256-GCM envelopes.

Every wallet file is small JSON written whole through ``specs.io.files.atomic_write`` (temp file, ``fsync``,
``os.replace``, ``fsync`` of the folder): a crash at any point leaves either the previous file or the new
one, never a mix.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from specs.errors import StoreCorruptedError
from specs.io.files import atomic_write as write_file

__all__ = ["atomic_write", "b64d", "b64e", "file_lock", "open_sealed", "read_json", "seal"]

_NONCE_SIZE = 12  # NIST SP 800-38D §8.2: 96-bit random IVs; each write draws a fresh one.


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: object) -> bytes:
    if not isinstance(text, str):
        raise StoreCorruptedError("wallet file field is not base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise StoreCorruptedError("wallet file field is not base64") from exc


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM (NIST SP 800-38D) -> ``nonce || ciphertext || tag``; ``aad`` binds the context."""
    nonce = secrets.token_bytes(_NONCE_SIZE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Inverse of :func:`seal`; any changed byte (or wrong key / aad) raises ``InvalidTag``."""
    if len(blob) < _NONCE_SIZE + 16:
        raise InvalidTag()
    return AESGCM(key).decrypt(blob[:_NONCE_SIZE], blob[_NONCE_SIZE:], aad)


def read_json(path: Path) -> dict[str, object]:
    """Read one wallet file; truncated or non-JSON content is corruption, not a crash."""
    try:
        raw = path.read_bytes()
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreCorruptedError("wallet file is not valid JSON") from exc
    if not isinstance(value, dict):
        raise StoreCorruptedError("wallet file is not a JSON object")
    return value


def atomic_write(path: Path, document: dict[str, object]) -> None:
    """Write ``document`` as JSON to ``path`` atomically and durably (``specs.io.files.atomic_write``)."""
    write_file(path, json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8"))


@contextlib.contextmanager
def file_lock(folder: Path) -> Iterator[None]:
    """Exclusive advisory lock (``flock``) so several store instances / processes serialise
    their read-modify-write cycles on one folder."""
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
