"""SoftwareKeyStore: real P-256 keys sealed at rest under hashed names, signing through specs.crypto.Signer."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.cose.sign1 import CoseSign1
from specs.crypto import Algorithm, Signer, verify_signature
from specs.errors import LockedError, PinError, SignatureError, StoreCorruptedError, WalletError
from tests.conftest import Vectors
from tests.wallet.conftest import FAST_KDF, PIN, MemoryKeyStore
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
    verify_signature(Algorithm.ES256, keystore.public_key("mdl-1", keystore.unlock(PIN)), signature, data)
    with pytest.raises(SignatureError) as err:
        verify_signature(Algorithm.ES256, public, signature, data + b"\x00")
    assert err.value.code == "crypto.bad_signature"


def test_cose_sign1_through_the_store(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("k", PIN)
    message = CoseSign1.sign(keystore.signer("k", PIN), b"payload", detached=True)
    message.verify(keystore.public_key("k", keystore.unlock(PIN)), detached_payload=b"payload")


def test_public_key_is_stable_across_instances(keystore: SoftwareKeyStore) -> None:
    public = keystore.create_key("k", PIN)
    again = SoftwareKeyStore(keystore.folder, kdf=FAST_KDF)
    assert again.public_key("k", again.unlock(PIN)).public_numbers() == public.public_numbers()
    assert again.signer("k", PIN).public_key().public_numbers() == public.public_numbers()


def test_aliases_and_delete(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("b", PIN)
    keystore.create_key("a", PIN)
    master = keystore.unlock(PIN)
    assert keystore.aliases(master) == ("a", "b")
    keystore.delete("a", master)
    assert keystore.aliases(master) == ("b",)
    with pytest.raises(WalletError) as err:
        keystore.public_key("a", master)
    assert err.value.code == "wallet.not_found"
    with pytest.raises(WalletError) as err:
        keystore.delete("a", master)
    assert err.value.code == "wallet.not_found"


@pytest.mark.parametrize("call", ["public_key", "aliases", "delete"])
def test_nothing_is_found_without_the_master_key(keystore: SoftwareKeyStore, call: str) -> None:
    """The file names are keyed hashes: without the PIN nothing can be looked up, listed or deleted."""
    keystore.create_key("k", PIN)
    with pytest.raises(WalletError) as err:
        getattr(keystore, call)(*(("k",) if call != "aliases" else ()))
    assert err.value.code == "wallet.keys_locked"


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
    assert not (Path(keystore.folder) / "keys").exists()


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


def test_init_after_lockout_clears_an_injected_keystore(tmp_path: Path) -> None:
    """A wallet whose device keys live in another KeyStore (a phone's) starts afresh without them."""
    from wallet.wallet import Wallet

    keystore = MemoryKeyStore()
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


def _key_file(keystore: SoftwareKeyStore, alias: str) -> Path:
    return keystore._path(alias, keystore.unlock(PIN))


def test_no_alias_type_or_public_key_readable_without_the_pin(keystore: SoftwareKeyStore) -> None:
    """Nothing in the folder says what a key is for (a disability certificate's) or links it to a presentation
    (its public key is in every MSO): names are keyed hashes, contents one sealed envelope."""
    public = keystore.create_key("disability_certificate-3f2a", PIN)
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    files = [p for p in Path(keystore.folder).rglob("*") if p.is_file()]
    for path in files:
        blob = path.read_bytes()
        assert b"disability" not in blob and "disability" not in str(path)
        for needle in (point, point.hex().encode(), base64.b64encode(point)):
            assert needle not in blob
    (key_file,) = Path(keystore.folder, "keys").iterdir()
    assert re.fullmatch(r"[0-9a-f]{32}\.json", key_file.name) and set(json.loads(key_file.read_text())) == {"v", "key"}


def test_key_file_names_differ_between_wallets(tmp_path: Path) -> None:
    """The hash is keyed by the wallet's own master key: one alias gets another name in another wallet."""
    names = []
    for folder in ("one", "two"):
        store = SoftwareKeyStore(tmp_path / folder, kdf=FAST_KDF)
        store.initialize(PIN)
        store.create_key("age_attestation-1", PIN)
        names += [p.name for p in (tmp_path / folder / "keys").iterdir()]
    assert len(set(names)) == 2


def _write_version_1(keystore: SoftwareKeyStore, alias: str) -> ec.EllipticCurvePublicKey:
    """A key file as wallets wrote them before: ``keys/<alias>.json``, alias and public key in clear."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    secret = private.private_numbers().private_value.to_bytes(32, "big")
    sealed = keystore.unlock(PIN).seal(secret, b"mobileid.wallet.devicekey.v1|" + alias.encode() + b"|" + point)
    folder = Path(keystore.folder) / "keys"
    folder.mkdir(exist_ok=True)
    (folder / f"{alias}.json").write_text(json.dumps({"v": 1, "alias": alias, "public": base64.b64encode(point)
                                                      .decode(), "private": base64.b64encode(sealed).decode()}))
    return private.public_key()


def test_older_key_files_are_resealed_under_hashed_names(keystore: SoftwareKeyStore) -> None:
    from wallet.wallet import Wallet

    public = _write_version_1(keystore, "income_certificate-0a1b")
    _write_version_1(keystore, "mdl-77")
    wallet = Wallet(Path(keystore.folder), kdf=FAST_KDF)
    master = wallet.unlock(PIN)  # the first unlock converts every older file
    names = [p.name for p in (Path(keystore.folder) / "keys").iterdir()]
    assert len(names) == 2 and not any("income" in n or "mdl" in n for n in names)
    signer = wallet.device_keys(PIN, master).signer("income_certificate-0a1b")
    verify_signature(Algorithm.ES256, public, signer.sign(b"x"), b"x")
    assert keystore.aliases(master) == ("income_certificate-0a1b", "mdl-77")


def test_a_conversion_cut_short_is_finished_later(keystore: SoftwareKeyStore) -> None:
    """Killed between writing the new file and removing the old one: both exist; the next run removes the old."""
    public = _write_version_1(keystore, "mdl-1")
    old = (Path(keystore.folder) / "keys" / "mdl-1.json").read_bytes()
    master = keystore.unlock(PIN)
    assert keystore.migrate(master) == 1
    (Path(keystore.folder) / "keys" / "mdl-1.json").write_bytes(old)
    assert keystore.migrate(master) == 1 and len(list((Path(keystore.folder) / "keys").iterdir())) == 1
    assert keystore.public_key("mdl-1", master).public_numbers() == public.public_numbers()


def test_tampered_key_blob(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("k", PIN)
    path = _key_file(keystore, "k")
    doc = json.loads(path.read_text())
    blob = bytearray(doc["key"].encode())
    blob[30] = ord("A") if blob[30] != ord("A") else ord("B")
    doc["key"] = blob.decode()
    path.write_text(json.dumps(doc))
    with pytest.raises(StoreCorruptedError) as err:
        keystore.signer("k", PIN)
    assert err.value.code == "wallet.store_corrupted"


def test_swapped_key_files_are_detected(keystore: SoftwareKeyStore) -> None:
    """The envelope is bound to its file name: b's file under a's name does not open as a's key."""
    keystore.create_key("a", PIN)
    keystore.create_key("b", PIN)
    _key_file(keystore, "a").write_bytes(_key_file(keystore, "b").read_bytes())
    with pytest.raises(StoreCorruptedError) as err:
        keystore.signer("a", PIN)
    assert err.value.code == "wallet.store_corrupted"


def test_invalid_public_point(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("b", PIN)
    master = keystore.unlock(PIN)
    keystore._write(keystore._path("a", master), master, "a", b"\x04" + b"\x00" * 64, b"\x01" * 32)
    with pytest.raises(StoreCorruptedError) as err:
        keystore.public_key("a", master)
    assert err.value.code == "wallet.store_corrupted"


def test_truncated_key_file(keystore: SoftwareKeyStore) -> None:
    keystore.create_key("a", PIN)
    path = _key_file(keystore, "a")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(StoreCorruptedError) as err:
        keystore.signer("a", PIN)
    assert err.value.code == "wallet.store_corrupted"
