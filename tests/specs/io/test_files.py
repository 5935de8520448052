"""``specs.io.files.atomic_write``: the old file or the new one, never a mix, nothing left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from specs.io.files import atomic_write


def test_writes_creates_folders_and_sets_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "bundle.cbor"
    atomic_write(target, b"first")
    assert target.read_bytes() == b"first" and stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write(target, b"second", mode=0o644)
    assert target.read_bytes() == b"second" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(target.parent) == ["bundle.cbor"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    atomic_write(target, b"good")
    with pytest.raises(TypeError):
        atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"good" and os.listdir(tmp_path) == ["settings.json"]


def test_a_folder_in_the_way_is_an_os_error(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path / "taken", b"x")
    assert os.listdir(tmp_path) == ["taken"]
