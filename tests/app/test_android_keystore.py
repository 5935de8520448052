"""The app's Android Keystore code (app/android_keystore.py) on a simulated phone (tests/app/android_platform.py:
the platform is simulated, our code runs as it is): device keys that never leave the Keystore, and the vault
bound to the phone, so that a copied wallet folder cannot be opened, or its PIN guessed, anywhere else."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from app.android_keystore import AndroidKeyStore, AndroidVaultBinding
from specs.errors import WalletError
from tests.app.android_platform import Phone
from tests.issuer.conftest import Service, enroll, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN
from verifier.qr import Verifier
from verifier.trust import VerifierTrust
from wallet._files import open_sealed
from wallet.pin import PinState
from wallet.present import Presenter
from wallet.wallet import Wallet


def _use(monkeypatch: pytest.MonkeyPatch, phone: Phone | None) -> None:
    """Hold the wallet on ``phone`` (None: a desktop, where ``import jnius`` fails)."""
    monkeypatch.setitem(sys.modules, "jnius", phone)  # a None entry makes the import fail, as on a desktop


def _phone_wallet(folder: Path) -> Wallet:
    return Wallet(folder, kdf=FAST_KDF, keystore=AndroidKeyStore())


@pytest.fixture
def phone(monkeypatch: pytest.MonkeyPatch) -> Phone:
    device = Phone()
    _use(monkeypatch, device)
    return device


def test_a_copied_wallet_is_useless_elsewhere(phone: Phone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wallet = _phone_wallet(tmp_path / "phone")
    wallet.init(PIN)
    doc = json.loads((tmp_path / "phone" / "pin.json").read_text())
    assert doc["binding"]["kind"] == AndroidVaultBinding.kind
    master = wallet.unlock(PIN)
    assert "mac" in phone.calls  # the PIN's key went through the Keystore

    shutil.copytree(tmp_path / "phone", tmp_path / "copy")
    _use(monkeypatch, Phone())  # another phone
    with pytest.raises(WalletError) as err:
        _phone_wallet(tmp_path / "copy").unlock(PIN)
    assert err.value.code == "wallet.device_bound"
    _use(monkeypatch, None)  # a desktop
    copy = Wallet(tmp_path / "copy", kdf=FAST_KDF)
    with pytest.raises(WalletError) as err:
        copy.unlock(PIN)
    assert err.value.code == "wallet.device_bound" and copy.remaining_attempts() == 5  # nothing counted

    # An offline guesser with the right PIN and the stored argon2id parameters still cannot open it.
    state = PinState.from_json(json.loads((tmp_path / "copy" / "pin.json").read_text()))
    assert state.wrapped_master is not None
    with pytest.raises(InvalidTag):
        open_sealed(state.kdf.derive(PIN, state.salt), state.wrapped_master, state.aad())

    _use(monkeypatch, phone)  # back on its own phone it opens
    assert _phone_wallet(tmp_path / "copy").unlock(PIN) == master


def test_a_wrong_pin_on_the_phone_still_counts(phone: Phone, tmp_path: Path) -> None:
    wallet = _phone_wallet(tmp_path / "phone")
    wallet.init(PIN)
    with pytest.raises(WalletError) as err:
        wallet.unlock("930571")
    assert err.value.code == "wallet.wrong_pin" and wallet.remaining_attempts() == 4


def test_a_wallet_made_before_binding_is_bound_at_its_first_unlock(phone: Phone, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, None)
    master = Wallet(tmp_path / "phone", kdf=FAST_KDF).vault.initialize(PIN)  # an older, unbound wallet
    assert "binding" not in json.loads((tmp_path / "phone" / "pin.json").read_text())
    _use(monkeypatch, phone)
    assert _phone_wallet(tmp_path / "phone").unlock(PIN) == master
    assert json.loads((tmp_path / "phone" / "pin.json").read_text())["binding"]["kind"] == AndroidVaultBinding.kind
    assert _phone_wallet(tmp_path / "phone").unlock(PIN) == master


def test_phone_without_strongbox_uses_the_tee(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _use(monkeypatch, Phone(strongbox=False))
    wallet = _phone_wallet(tmp_path / "phone")
    wallet.init(PIN)
    assert wallet.unlock(PIN).material


def test_keystore_key_gone_is_said_and_not_counted(phone: Phone, tmp_path: Path) -> None:
    """App data restored onto the phone after a reinstall (Keystore keys are removed with the app)."""
    wallet = _phone_wallet(tmp_path / "phone")
    wallet.init(PIN)
    phone.lose_keys()
    for _ in range(6):
        with pytest.raises(WalletError) as err:
            wallet.unlock(PIN)
        assert err.value.code == "wallet.device_bound"
    assert wallet.remaining_attempts() == 5


def test_key_id_reveals_no_key_material(phone: Phone) -> None:
    binding = AndroidVaultBinding()
    with pytest.raises(WalletError) as err:
        binding.key_id()  # never made on a mere lookup
    assert err.value.code == "wallet.device_bound"
    key_id = binding.key_id(create=True)
    assert len(key_id) == 16 and binding.key_id() == key_id  # stable: it names this phone's key
    assert binding.bind(b"a" * 32) != binding.bind(b"b" * 32) and len(binding.bind(b"a" * 32)) == 32


@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_receive_and_present_with_everything_in_the_keystore(phone: Phone, service: Service,
                                                             tmp_path: Path) -> None:
    """The phone path end to end: device keys made and used inside the Keystore (no key file in the folder),
    the vault bound to the phone, the answer verified offline."""
    wallet = _phone_wallet(tmp_path / "phone")
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now, batch={"age_attestation": 2})
    assert not (tmp_path / "phone" / "keys").exists()
    shown = Presenter(wallet, clock=lambda: service.clock.now).present(PIN, preset="age19")
    assert "sign" in phone.calls
    from specs.x509 import TrustStore

    trust = VerifierTrust.from_bundle(service.client.get("/trust/bundle").content,
                                      TrustStore.from_pem(service.client.get("/trust/root.pem").content),
                                      now=service.clock.now)
    result = Verifier(trust, clock=lambda: service.clock.now).verify_qr(shown.texts[0])
    assert result.valid and result.holder_bound, result.errors
