"""SoftwareKeyStore: real P-256 keys encrypted at rest, signing through specs.crypto.Signer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.cose.sign1 import CoseSign1
from specs.crypto import Algorithm, Signer, verify_signature
from specs.errors import LockedError, PinError, SignatureError, StoreCorruptedError, WalletError
from tests.conftest import Vectors
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.keystore import KeyStore, SoftwareKeyStore


def test_is_a_keystore(keystore: SoftwareKeyStore) -> None:
    assert isinstance(keystore, KeyStore)


def test_create_sign_verify(keystore: SoftwareKeyStore, iso_vectors: Vectors) -> None:
    public = keystore.create_key("mdl-1", PIN)
    assert isinstance(public.curve, ec.SECP256R1)
    signer = keystore.signer("mdl-1", PIN)
    assert isinstance(signer, Signer)
    assert signer.algorithm is Algorithm.ES256
    # Sign the ISO/IEC 18013-5 Annex D DeviceAuthentication bytes as a presentation would.
    data = iso_vectors.hex("device_authentication_bytes.hex")
    signature = signer.sign(data)
    assert len(signature) == 64
    verify_signature(Algorithm.ES256, keystore.public_key("mdl-1"), signature, data)
    with pytest.raises(SignatureError) as err:
        verify_signature(Algorithm.ES256, public, signature, data + b"\x00")
    assert err.value.code == "crypto.bad_signature"


def test_cose_sign1_through_the_store(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("k", PIN)
    message = CoseSign1.sign(keystore.signer("k", PIN), b"payload", detached=True)
    message.verify(keystore.public_key("k"), detached_payload=b"payload")


def test_public_key_is_stable_across_instances(keystore: SoftwareKeyStore) -> None:
    public = keystore.create_key("k", PIN)
    again = SoftwareKeyStore(keystore.folder, kdf=FAST_KDF)
    assert again.public_key("k").public_numbers() == public.public_numbers()
    assert again.signer("k", PIN).public_key().public_numbers() == public.public_numbers()


def test_aliases_and_delete(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("b", PIN)
    keystore.create_key("a", PIN)
    assert keystore.aliases() == ("a", "b")
    keystore.delete("a")
    assert keystore.aliases() == ("b",)
    with pytest.raises(WalletError) as err:
        keystore.public_key("a")
    assert err.value.code == "wallet.not_found"
    with pytest.raises(WalletError) as err:
        keystore.delete("a")
    assert err.value.code == "wallet.not_found"


def test_duplicate_alias(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("k", PIN)
    with pytest.raises(WalletError) as err:
        keystore.create_key("k", PIN)
    assert err.value.code == "wallet.alias_exists"


@pytest.mark.parametrize("alias", ["", "../x", "a/b", ".hidden", "x" * 65, "é"])
def test_bad_alias(keystore: SoftwareKeyStore, alias: str) -> None:
    with pytest.raises(WalletError) as err:
        keystore.create_key(alias, PIN)
    assert err.value.code == "wallet.alias_invalid"


def test_wrong_pin_for_signer(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("k", PIN)
    with pytest.raises(PinError) as err:
        keystore.signer("k", "000000")
    assert err.value.code == "wallet.wrong_pin"


def test_wrong_pin_for_create(keystore: SoftwareKeyStore) -> None:
    with pytest.raises(PinError) as err:
        keystore.create_key("k", "000000")
    assert err.value.code == "wallet.wrong_pin"
    assert keystore.aliases() == ()


def test_lockout_wipes_keys(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("k", PIN)
    for _ in range(2):
        with pytest.raises(PinError):
            keystore.signer("k", "000000")
    with pytest.raises(LockedError) as err:
        keystore.signer("k", "000000")
    assert err.value.code == "wallet.locked"
    with pytest.raises(LockedError) as err:
        keystore.signer("k", PIN)
    assert err.value.code == "wallet.locked"


def test_init_after_lockout_clears_an_injected_keystore(keystore: SoftwareKeyStore, tmp_path: Path) -> None:
    """A wallet whose device keys live in another KeyStore (a phone's) starts afresh without them."""
    from wallet.wallet import Wallet

    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF, max_attempts=1, keystore=keystore)
    wallet.init(PIN)
    wallet.device_keys(PIN, wallet.unlock(PIN)).create("age_attestation-1")
    with pytest.raises(LockedError):
        wallet.unlock("000000")
    assert wallet.is_erased() and keystore.aliases() == ("age_attestation-1",)
    with pytest.raises(WalletError) as err:
        wallet.init("12")  # an unusable new PIN discards nothing
    assert err.value.code == "wallet.pin_invalid" and keystore.aliases() == ("age_attestation-1",)
    assert wallet.init("730561") is True
    assert not wallet.is_erased() and keystore.aliases() == ()
    assert wallet.unlock("730561").material and wallet.credentials("730561") == ()
    with pytest.raises(WalletError) as err:
        wallet.init(PIN)  # a working wallet is never replaced
    assert err.value.code == "wallet.already_initialized"


def test_change_pin_keeps_keys(keystore: SoftwareKeyStore) -> None:
    public = keystore.create_key("k", PIN)
    keystore.change_pin(PIN, "135790")
    signer = keystore.signer("k", "135790")
    verify_signature(Algorithm.ES256, public, signer.sign(b"x"), b"x")
    with pytest.raises(PinError) as err:
        keystore.signer("k", PIN)
    assert err.value.code == "wallet.wrong_pin"


def test_no_plaintext_key_on_disk(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("k", PIN)
    private = keystore.signer("k", PIN)
    assert hasattr(private, "private_key")
    key = private.private_key  # type: ignore[attr-defined]
    secret = key.private_numbers().private_value.to_bytes(32, "big")
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    for path in Path(keystore.folder).rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for needle in (secret, der, secret.hex().encode(), PIN.encode()):
                assert needle not in blob
                assert needle not in blob.lower()


def _edit_key_file(keystore: SoftwareKeyStore, alias: str, field: str, value: object) -> None:
    path = Path(keystore.folder) / "keys" / f"{alias}.json"
    doc = json.loads(path.read_text())
    doc[field] = value
    path.write_text(json.dumps(doc))


def test_tampered_private_blob(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("k", PIN)
    path = Path(keystore.folder) / "keys" / "k.json"
    doc = json.loads(path.read_text())
    blob = bytearray(doc["private"].encode())
    blob[30] = ord("A") if blob[30] != ord("A") else ord("B")
    doc["private"] = blob.decode()
    path.write_text(json.dumps(doc))
    with pytest.raises(StoreCorruptedError) as err:
        keystore.signer("k", PIN)
    assert err.value.code == "wallet.store_corrupted"


def test_swapped_key_files_are_detected(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("a", PIN)
    keystore.create_key("b", PIN)
    other = json.loads((Path(keystore.folder) / "keys" / "b.json").read_text())
    _edit_key_file(keystore, "a", "private", other["private"])
    with pytest.raises(StoreCorruptedError) as err:
        keystore.signer("a", PIN)
    assert err.value.code == "wallet.store_corrupted"
    _edit_key_file(keystore, "a", "public", other["public"])  # public key swapped too: aad still has alias
    with pytest.raises(StoreCorruptedError) as err:
        keystore.signer("a", PIN)
    assert err.value.code == "wallet.store_corrupted"


def test_key_file_for_other_alias(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("a", PIN)
    _edit_key_file(keystore, "a", "alias", "b")
    with pytest.raises(StoreCorruptedError) as err:
        keystore.public_key("a")
    assert err.value.code == "wallet.store_corrupted"


def test_invalid_public_point(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("a", PIN)
    _edit_key_file(keystore, "a", "public", "BAAA")
    with pytest.raises(StoreCorruptedError) as err:
        keystore.public_key("a")
    assert err.value.code == "wallet.store_corrupted"


def test_truncated_key_file(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("a", PIN)
    path = Path(keystore.folder) / "keys" / "a.json"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(StoreCorruptedError) as err:
        keystore.signer("a", PIN)
    assert err.value.code == "wallet.store_corrupted"
