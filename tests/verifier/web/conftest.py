"""The online verifier service under test, beside the real issuer: same clock, its trust bundle, and a
database of its own on the issuer's backend (SQLite, or a fresh PostgreSQL schema)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from specs.x509 import TrustStore
from tests.issuer.conftest import Service, _drop, _pg_url, service  # noqa: F401
from tests.verifier.online import RP_HOST, Online, online_story, reader_identity, service_trust
from verifier.oid4vp import ReaderIdentity
from verifier.web.app import create_app
from verifier.web.settings import VerifierSettings

RP_URL = f"https://{RP_HOST}"


@dataclass
class Rp:
    online: Online
    client: TestClient
    settings: VerifierSettings

    @property
    def token(self) -> str:
        return (self.settings.data_dir / "api.token").read_text().strip()

    def create(self, **body: object) -> dict[str, str]:
        answer = self.client.post("/transactions", json=body, headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def read(self, transaction_id: str) -> dict[str, object]:
        answer = self.client.get(f"/transactions/{transaction_id}", headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]


def verifier_settings(service: Service, folder: Path, public_url: str) -> tuple[VerifierSettings, str | None]:  # noqa: F811
    """Settings for a verifier whose database sits on the same kind of database as the issuer under test."""
    schema = None
    url = None
    if service.settings.database_url is not None:
        schema = f"v_{secrets.token_hex(6)}"
        url = _pg_url(schema)
    return VerifierSettings(data_dir=folder, database_url=url, public_url=public_url), schema


def make_rp(service: Service, tmp_path: Path, *,  # noqa: F811
            reader: tuple[ReaderIdentity, TrustStore] | None = None) -> Iterator[Rp]:
    online = online_story(service, tmp_path / "phone")
    if reader is not None:
        online.reader, online.reader_roots = reader
    settings, schema = verifier_settings(service, tmp_path / "verifier", RP_URL)
    app = create_app(settings, reader=online.reader, trust=service_trust(service), clock=service.clock)
    with TestClient(app, base_url=RP_URL) as client:
        yield Rp(online, client, settings)
    if schema is not None:
        _drop(schema)


@pytest.fixture
def rp(service: Service, tmp_path: Path) -> Iterator[Rp]:  # noqa: F811
    yield from make_rp(service, tmp_path)


@pytest.fixture
def rp_dns(service: Service, tmp_path: Path) -> Iterator[Rp]:  # noqa: F811
    yield from make_rp(service, tmp_path, reader=reader_identity(service.clock.now, dns_name=RP_HOST))
