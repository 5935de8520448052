"""One atomic, durable file write for every part (wallet stores, trust bundles, QR pictures, app settings).

A temp file in the same folder (so the rename stays on one file system), ``fsync`` of its data, then
``os.replace`` (atomic on POSIX: readers see the old file or the new one, never a mix), then ``fsync`` of
the folder so the rename itself survives a power cut. On any failure the temp file is removed and the
previous file is untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600, fsync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically and durably, creating missing folders. ``mode``: the
    file's permissions (private by default; a public file such as a trust bundle passes 0o644).
    ``fsync=False`` for many files in a row (thousands of published status lists) whose writer calls
    ``os.sync()`` once before the file that names them (a published index, a verifier copy's switch)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if fsync:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
