"""``Wallet.open``: one argon2 derivation per unlock serves every later call; ``Wallet.erase`` crypto-erases."""

from __future__ import annotations

from pathlib import Path

import pytest

import wallet.pin
from specs.errors import LockedError, WalletError
from tests.issuer.conftest import Service
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.present import Presenter
from wallet.status import refresh_statuses
from wallet.wallet import Unlocked, Wallet


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts argon2id derivations (the real function still runs)."""
    calls: list[int] = []
    real = wallet.pin.hash_secret_raw

    def counted(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(wallet.pin, "hash_secret_raw", counted)
    return calls


def test_one_derivation_serves_list_present_and_status(phone: Path, service: Service,
                                                       derivations: list[int]) -> None:
    wallet = Wallet(phone, kdf=FAST_KDF)
    opened = wallet.open(PIN)
    assert len(derivations) == 1 and "482913" not in repr(opened)
    assert wallet.credentials(opened)
    shown = Presenter(wallet, clock=lambda: service.clock.now).present(opened, preset="age19")
    assert shown.texts
    refresh_statuses(wallet, opened, http=service.client, now=service.clock.now)
    assert len(derivations) == 1  # no further derivation while the wallet stays open
    wallet.credentials(PIN)
    assert len(derivations) == 2  # a plain PIN still derives (and counts) as before


def test_a_wrong_pin_never_becomes_an_unlocked_wallet(phone: Path) -> None:
    wallet = Wallet(phone, kdf=FAST_KDF)
    with pytest.raises(WalletError) as err:
        wallet.open("000000")
    assert err.value.code == "wallet.wrong_pin"
    assert wallet.remaining_attempts() == 4


def test_erase_destroys_the_key_first_then_the_files(phone: Path) -> None:
    wallet = Wallet(phone, kdf=FAST_KDF)
    opened = wallet.open(PIN)
    wallet.erase()
    assert not (phone / "credentials").exists() and not (phone / "trust.pem").exists()
    assert not wallet.is_initialized()
    with pytest.raises(WalletError):
        wallet.unlock(PIN)
    assert isinstance(opened, Unlocked)
    wallet.init(PIN)  # a new, empty wallet
    assert wallet.credentials(PIN) == ()


def test_erase_of_a_key_is_final_even_if_files_stay(tmp_path: Path) -> None:
    vault = wallet.pin.PinVault(tmp_path, kdf=FAST_KDF)
    vault.initialize(PIN)
    vault.erase()
    assert vault.is_erased()
    with pytest.raises(LockedError):
        vault.unlock(PIN)
