"""Device keys behind a ``KeyStore`` protocol, and the software store used on desktops.

A device key is the P-256 key an mdoc's MSO ``deviceKeyInfo`` (ISO/IEC 18013-5 §9.1.2.4) and an
SD-JWT VC's ``cnf`` (RFC 7800) name; the holder proves possession by signing DeviceAuthentication or a
KB-JWT. On a phone the private key lives in the platform keystore (Android Keystore, see
``app/android_keystore.py``); here it is sealed under the PIN-protected master key (``wallet.pin``).

Nothing at rest says what a key is for. A key file is ``keys/<name>.json`` where ``name`` is a keyed hash
(HMAC-SHA-256 under a key derived from the master key) of the key's alias, and the file holds one AES-GCM
envelope over the alias, the public key and the private key, bound to that name: without the PIN a copied
folder shows only how many keys there are. Aliases are opaque anyway (``Wallet`` makes random ones), but
older wallets named keys after the credential type (``disability_certificate-3f2a...``); their files,
``keys/<alias>.json`` with the alias and public key in clear, are re-sealed under hashed names the first
time the wallet is unlocked (``migrate``). Finding a file therefore needs the master key: the software
store's methods take it (``*_unlocked``), and the protocol's PIN-less methods are not available here.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.crypto import Signer, SoftwareSigner
from specs.errors import StoreCorruptedError, WalletError
from wallet._files import atomic_write, b64d, b64e, file_lock, read_json
from wallet.pin import DEFAULT_KDF, DeviceBinding, KdfParams, PinVault, WalletKey

__all__ = ["BindingKeyStore", "KeyStore", "SoftwareKeyStore"]

_ALIAS = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")
_NAME = re.compile(r"^[0-9a-f]{32}$")
_KEY_AAD = b"mobileid.wallet.devicekey.v1|"  # version 1 files (alias and public key in clear)
_SEALED_AAD = b"mobileid.wallet.devicekey.v2|"
_NAMES_INFO = b"mobileid.wallet.keynames.v1"


@runtime_checkable
class KeyStore(Protocol):
    """Where device keys live. Private keys never leave it: callers get a ``Signer``."""

    def create_key(self, alias: str, pin: str) -> ec.EllipticCurvePublicKey: ...

    def public_key(self, alias: str) -> ec.EllipticCurvePublicKey: ...

    def signer(self, alias: str, pin: str) -> Signer: ...

    def aliases(self) -> tuple[str, ...]: ...

    def delete(self, alias: str) -> None: ...


@runtime_checkable
class BindingKeyStore(KeyStore, Protocol):
    """A hardware key store that can also bind the wallet's vault to the device (``wallet.pin.DeviceBinding``)."""

    def vault_binding(self) -> DeviceBinding: ...


def _check_alias(alias: str) -> None:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.startswith("."):
        raise WalletError("key alias must be 1-64 characters of A-Z a-z 0-9 _ - .", code="wallet.alias_invalid")


def _point(public: ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _public(point: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise StoreCorruptedError("key file holds an invalid public point") from exc


class SoftwareKeyStore:
    """P-256 device keys in a folder, each sealed under the PIN-protected master key, under hashed names."""

    def __init__(self, folder: Path, *, kdf: KdfParams = DEFAULT_KDF, max_attempts: int = 5,
                 binding: DeviceBinding | None = None) -> None:
        self.folder = Path(folder)
        self._vault = PinVault(self.folder, kdf=kdf, max_attempts=max_attempts, binding=binding)
        self._keys = self.folder / "keys"

    # -- PIN --------------------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return self._vault.is_initialized()

    def initialize(self, pin: str) -> WalletKey:
        return self._vault.initialize(pin)

    def unlock(self, pin: str) -> WalletKey:
        """The master key (one counted PIN attempt); also opens the credential store."""
        return self._vault.unlock(pin)

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        self._vault.change_pin(old_pin, new_pin)

    def remaining_attempts(self) -> int:
        return self._vault.remaining_attempts()

    # -- files ------------------------------------------------------------------------------------
    def _path(self, alias: str, master: WalletKey) -> Path:
        _check_alias(alias)
        names = hmac.new(master.material, _NAMES_INFO, hashlib.sha256).digest()  # a key for names only
        return self._keys / f"{hmac.new(names, alias.encode(), hashlib.sha256).hexdigest()[:32]}.json"

    def _write(self, path: Path, master: WalletKey, alias: str, point: bytes, secret: bytes) -> None:
        plain = json.dumps({"alias": alias, "public": b64e(point), "private": b64e(secret)}).encode()
        atomic_write(path, {"v": 2, "key": b64e(master.seal(plain, _SEALED_AAD + path.stem.encode()))})

    def _read(self, alias: str, master: WalletKey) -> tuple[bytes, bytes]:
        """(public point, private scalar) of ``alias``; a version 1 file is re-sealed on the way."""
        path = self._path(alias, master)
        if not path.exists():
            with file_lock(self.folder):
                self._migrate_one(self._keys / f"{alias}.json", master)
            if not path.exists():
                raise WalletError(f"no key named {alias!r}", code="wallet.not_found")
        doc = read_json(path)
        if doc.get("v") != 2:
            raise StoreCorruptedError("key file has an unknown version")
        try:
            plain = json.loads(master.open(b64d(doc.get("key")), _SEALED_AAD + path.stem.encode()))
            if plain["alias"] != alias:
                raise ValueError("alias")
            return b64d(plain["public"]), b64d(plain["private"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreCorruptedError("key file does not belong to this alias") from exc

    def _migrate_one(self, legacy: Path, master: WalletKey) -> None:
        """A version 1 file (``keys/<alias>.json``, alias and public key in clear) re-sealed under its hashed
        name; the old file goes only once the new one is written (a crash leaves both; the next run ends it)."""
        if not legacy.is_file() or _NAME.match(legacy.stem):
            return  # (callers hold the folder lock, so no other process is half-way through this file)
        doc = read_json(legacy)
        alias, point, sealed = doc.get("alias"), b64d(doc.get("public")), b64d(doc.get("private"))
        if doc.get("v") != 1 or not isinstance(alias, str) or alias != legacy.stem:
            raise StoreCorruptedError("key file does not belong to this alias")
        target = self._path(alias, master)
        if not target.exists():
            secret = master.open(sealed, _KEY_AAD + alias.encode() + b"|" + point)
            self._write(target, master, alias, point, secret)
        legacy.unlink()

    def migrate(self, master: WalletKey) -> int:
        """Re-seal every version 1 key file under its hashed name (called on unlock); returns how many."""
        if not self._keys.is_dir():
            return 0
        legacy = [p for p in self._keys.glob("*.json") if not _NAME.match(p.stem)]
        with file_lock(self.folder):
            for path in legacy:
                self._migrate_one(path, master)
        return len(legacy)

    # -- keys -------------------------------------------------------------------------------------
    def create_key(self, alias: str, pin: str) -> ec.EllipticCurvePublicKey:
        """Generate a P-256 key under ``alias``; the PIN must unlock the wallet first."""
        return self.create_key_unlocked(alias, self.unlock(pin))

    def create_key_unlocked(self, alias: str, master: WalletKey) -> ec.EllipticCurvePublicKey:
        """As :meth:`create_key` with the master key already unlocked (one PIN entry for a batch)."""
        path = self._path(alias, master)
        private = ec.generate_private_key(ec.SECP256R1())
        secret = private.private_numbers().private_value.to_bytes(32, "big")
        self._keys.mkdir(parents=True, exist_ok=True, mode=0o700)
        with file_lock(self.folder):
            if path.exists() or (self._keys / f"{alias}.json").exists():
                raise WalletError(f"key alias {alias!r} already exists", code="wallet.alias_exists")
            self._write(path, master, alias, _point(private.public_key()), secret)
        return private.public_key()

    def public_key(self, alias: str, master: WalletKey | None = None) -> ec.EllipticCurvePublicKey:
        """The public key of ``alias``: sealed like the rest, so the master key is needed."""
        if master is None:
            raise WalletError("the software key store opens only with the wallet's PIN", code="wallet.keys_locked")
        return _public(self._read(alias, master)[0])

    def signer(self, alias: str, pin: str) -> Signer:
        """A signer for ``alias`` after the PIN unlocks the wallet (ES256, raw r||s signatures)."""
        return self.signer_unlocked(alias, self.unlock(pin))

    def signer_unlocked(self, alias: str, master: WalletKey) -> Signer:
        """As :meth:`signer` with the master key already unlocked."""
        point, secret = self._read(alias, master)
        public = _public(point)
        try:
            private = ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1())
        except ValueError as exc:
            raise StoreCorruptedError("key file holds an invalid private key") from exc
        if _point(private.public_key()) != _point(public):
            raise StoreCorruptedError("private key does not match the stored public key")
        return SoftwareSigner(private)

    def aliases(self, master: WalletKey | None = None) -> tuple[str, ...]:
        """Every alias (reading them needs the master key: the file names are hashes)."""
        if master is None:
            raise WalletError("the software key store opens only with the wallet's PIN", code="wallet.keys_locked")
        self.migrate(master)
        found = []
        for path in sorted(self._keys.glob("*.json")) if self._keys.is_dir() else ():
            with contextlib.suppress(StoreCorruptedError, json.JSONDecodeError, KeyError, TypeError):
                doc = read_json(path)
                found.append(json.loads(master.open(b64d(doc.get("key")), _SEALED_AAD + path.stem.encode()))["alias"])
        return tuple(sorted(found))

    def delete(self, alias: str, master: WalletKey | None = None) -> None:
        if master is None:
            raise WalletError("the software key store opens only with the wallet's PIN", code="wallet.keys_locked")
        path = self._path(alias, master)
        with file_lock(self.folder):
            self._migrate_one(self._keys / f"{alias}.json", master)
            if not path.exists():
                raise WalletError(f"no key named {alias!r}", code="wallet.not_found")
            path.unlink()
