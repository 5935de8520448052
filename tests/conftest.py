"""Shared fixtures: the public vectors copied into tests/vectors (see its README for provenance)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).parent / "vectors"


class Vectors:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def hex(self, name: str) -> bytes:
        return bytes.fromhex((self.folder / name).read_text().strip())

    def text(self, name: str) -> str:
        return (self.folder / name).read_text().strip()

    def bytes(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()

    def json(self, name: str) -> Any:
        return json.loads((self.folder / name).read_text())


@pytest.fixture(scope="session")
def iso_vectors() -> Vectors:
    return Vectors(VECTORS / "iso18013-5")


@pytest.fixture(scope="session")
def sdjwt_vectors() -> Vectors:
    return Vectors(VECTORS / "sd-jwt")


@pytest.fixture(scope="session")
def status_vectors() -> Vectors:
    return Vectors(VECTORS / "status-list")
