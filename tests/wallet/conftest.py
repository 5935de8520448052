"""Wallet fixtures: argon2id lowered (t=1, m=8 MiB) so the suite stays fast; production uses DEFAULT_KDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.issuer.conftest import Service, service  # noqa: F401  (the real issuer service, for receiving tests)
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
def wallet_cli_env(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """``mobileid wallet`` as a person runs it, against the test issuer: fast KDF, the issuer's client, no
    PIN or folder from the environment, the default terminal width."""
    import contextlib

    import wallet.cli as wallet_cli

    monkeypatch.setattr(wallet_cli, "kdf", FAST_KDF)
    monkeypatch.setattr(wallet_cli, "http_factory", lambda: contextlib.nullcontext(service.client))
    for name in ("MOBILEID_WALLET_PIN", "MOBILEID_WALLET_DIR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
