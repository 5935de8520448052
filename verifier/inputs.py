"""Reading what a verifier is handed: binary or hex files, text presentations, times."""

from __future__ import annotations

import binascii
import datetime as dt
import re
from pathlib import Path

from specs.errors import InputError

_HEX = re.compile(rb"^[0-9a-fA-F\s]+$")


def read_binary_or_hex(path: Path, *, max_size: int = 1024 * 1024) -> bytes:
    """The bytes of ``path``: taken as hex when the file is only hex digits and white space."""
    data = _read(path, max_size)
    stripped = data.strip()
    if stripped and _HEX.match(stripped) and len(re.sub(rb"\s", b"", stripped)) % 2 == 0:
        try:
            return binascii.unhexlify(re.sub(rb"\s", b"", stripped))
        except binascii.Error:
            pass
    return data


def read_text(path: Path, *, max_size: int = 1024 * 1024) -> str:
    try:
        return _read(path, max_size).decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not UTF-8 text") from None


def _read(path: Path, max_size: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_size:
            raise InputError(f"{path.name} is larger than {max_size} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def parse_time(text: str) -> dt.datetime:
    """An RFC 3339 time (``2021-01-01T00:00:00Z``) or Unix seconds; always timezone-aware."""
    text = text.strip()
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text), dt.UTC)
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--at {text!r} is not an RFC 3339 time") from None
    if value.tzinfo is None:
        raise InputError("--at needs a time zone (for example 2021-01-01T00:00:00Z)")
    return value
