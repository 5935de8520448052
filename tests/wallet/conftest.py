"""Wallet fixtures. ``FAST_KDF`` (argon2id t=1, m=8 MiB) keeps the suite fast: it is passed explicitly (``kdf=`` of
``PinVault``, ``Wallet``, the app; the CLI's module-level ``kdf``), never by lowering the default; the tests named
``*default_cost*`` run the real ``DEFAULT_KDF``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from specs.crypto import Signer, SoftwareSigner
from specs.errors import WalletError
from tests.issuer.conftest import Service, live_issuer, service  # noqa: F401  (the real issuer service)
from wallet.keystore import SoftwareKeyStore
from wallet.pin import KdfParams

FAST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
PIN = "482913"


class MemoryKeyStore:
    """A KeyStore that is not the software store (like the Android Keystore): keys in memory, the PIN
    checked on every use."""

    def __init__(self) -> None:
        self.keys: dict[str, SoftwareSigner] = {}
        self.pin_uses = 0

    def _check(self, pin: str) -> None:
        self.pin_uses += 1
        if pin != PIN:
            raise WalletError("wrong PIN", code="wallet.pin_wrong")

    def create_key(self, alias: str, pin: str) -> ec.EllipticCurvePublicKey:
        self._check(pin)
        if alias in self.keys:
            raise WalletError("alias exists", code="wallet.alias_exists")
        self.keys[alias] = SoftwareSigner.generate()
        return self.public_key(alias)

    def public_key(self, alias: str) -> ec.EllipticCurvePublicKey:
        key = self.keys[alias].public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key

    def signer(self, alias: str, pin: str) -> Signer:
        self._check(pin)
        return self.keys[alias]

    def aliases(self) -> tuple[str, ...]:
        return tuple(sorted(self.keys))

    def delete(self, alias: str) -> None:
        if self.keys.pop(alias, None) is None:
            raise WalletError("no such key", code="wallet.not_found")


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
