"""Wallet fixtures: argon2id lowered (t=1, m=8 MiB) so the suite stays fast; production uses DEFAULT_KDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.issuer.conftest import Service, live_issuer, service  # noqa: F401  (the real issuer service)
from wallet.keystore import SoftwareKeyStore
from wallet.pin import KdfParams

FAST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
PIN = "482913"


@pytest.fixture
def keystore(tmp_path: Path) -> SoftwareKeyStore:
    store = SoftwareKeyStore(tmp_path / "wallet", kdf=FAST_KDF, max_attempts=3)
    store.initialize(PIN)
    return store


@pytest.fixture
def wallet_cli_env(service: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: F811
    """``mobileid wallet`` as a person runs it, against the test issuer: fast KDF, the issuer's client, no
    PIN or folder from the environment, the default terminal width, a verifier replay cache of its own."""
    import contextlib

    import wallet.cli as wallet_cli

    monkeypatch.setattr(wallet_cli, "kdf", FAST_KDF)
    monkeypatch.setattr(wallet_cli, "http_factory", lambda: contextlib.nullcontext(service.client))
    for name in ("MOBILEID_WALLET_PIN", "MOBILEID_WALLET_DIR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOBILEID_VERIFIER_REPLAY_CACHE", str(tmp_path / "seen.json"))


@pytest.fixture
def phone(service: Service, tmp_path: Path) -> Path:  # noqa: F811
    """A wallet folder holding a licence and 3 single-use age attestations from the test issuer."""
    from tests.issuer.conftest import enroll, person_with_licence
    from wallet.wallet import Wallet

    folder = tmp_path / "phone"
    wallet = Wallet(folder, kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now, batch={"age_attestation": 3})
    return folder
