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


class Pki:
    """A fresh IACA -> document signer and reader root -> reader, made with our own certificate code."""

    def __init__(self) -> None:
        import datetime as dt

        from specs.crypto import SoftwareSigner
        from specs.x509 import create_document_signer, create_iaca, create_reader, create_reader_root

        self.not_before = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        self.now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
        self.iaca_signer = SoftwareSigner.generate()
        self.iaca = create_iaca(self.iaca_signer, country="KR", common_name="mobileid test IACA",
                                organization="Test Licensing Office", not_before=self.not_before,
                                not_after=self.not_before + dt.timedelta(days=3650))
        self.ds_signer = SoftwareSigner.generate()
        self.ds = create_document_signer(self.iaca_signer, self.iaca, self.ds_signer.public_key(),
                                         common_name="mobileid test DS", not_before=self.not_before,
                                         not_after=self.not_before + dt.timedelta(days=400))
        self.reader_root_signer = SoftwareSigner.generate()
        self.reader_root = create_reader_root(self.reader_root_signer, common_name="test reader root",
                                              not_before=self.not_before,
                                              not_after=self.not_before + dt.timedelta(days=3650))
        self.reader_signer = SoftwareSigner.generate()
        self.reader = create_reader(self.reader_root_signer, self.reader_root, self.reader_signer.public_key(),
                                    common_name="test reader", not_before=self.not_before,
                                    not_after=self.not_before + dt.timedelta(days=700))


@pytest.fixture(scope="session")
def pki() -> Pki:
    return Pki()
