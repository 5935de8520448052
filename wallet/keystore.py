"""Device keys behind a ``KeyStore`` protocol, and the software store used on desktops.

A device key is the P-256 key an mdoc's MSO ``deviceKeyInfo`` (ISO/IEC 18013-5 §9.1.2.4) and an
SD-JWT VC's ``cnf`` (RFC 7800) name; the holder proves possession by signing DeviceAuthentication or a
KB-JWT. On a phone the private key lives in the platform keystore (Android Keystore, see
``app/android_keystore.py``); here it is encrypted under the PIN-protected master key
(``wallet.pin``) in ``keys/<alias>.json``, the alias and public key bound in as AES-GCM associated data
so that swapping files between aliases is detected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.crypto import Signer, SoftwareSigner
from specs.errors import StoreCorruptedError, WalletError
from wallet._files import atomic_write, b64d, b64e, file_lock, read_json
from wallet.pin import DEFAULT_KDF, KdfParams, PinVault, WalletKey

__all__ = ["KeyStore", "SoftwareKeyStore"]

_ALIAS = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")
_KEY_AAD = b"mobileid.wallet.devicekey.v1|"


@runtime_checkable
class KeyStore(Protocol):
    """Where device keys live. Private keys never leave it: callers get a ``Signer``."""

    def create_key(self, alias: str, pin: str) -> ec.EllipticCurvePublicKey: ...

    def public_key(self, alias: str) -> ec.EllipticCurvePublicKey: ...

    def signer(self, alias: str, pin: str) -> Signer: ...

    def aliases(self) -> tuple[str, ...]: ...

    def delete(self, alias: str) -> None: ...


def _check_alias(alias: str) -> None:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.startswith("."):
        raise WalletError("key alias must be 1-64 characters of A-Z a-z 0-9 _ - .", code="wallet.alias_invalid")


def _point(public: ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


class SoftwareKeyStore:
    """P-256 device keys in a folder, each private key sealed under the PIN-protected master key."""

    def __init__(self, folder: Path, *, kdf: KdfParams = DEFAULT_KDF, max_attempts: int = 5) -> None:
        self.folder = Path(folder)
        self._vault = PinVault(self.folder, kdf=kdf, max_attempts=max_attempts)
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

    # -- keys -------------------------------------------------------------------------------------
    def _path(self, alias: str) -> Path:
        _check_alias(alias)
        return self._keys / f"{alias}.json"

    def create_key(self, alias: str, pin: str) -> ec.EllipticCurvePublicKey:
        """Generate a P-256 key under ``alias``; the PIN must unlock the wallet first."""
        return self.create_key_unlocked(alias, self.unlock(pin))

    def create_key_unlocked(self, alias: str, master: WalletKey) -> ec.EllipticCurvePublicKey:
        """As :meth:`create_key` with the master key already unlocked (one PIN entry for a batch)."""
        path = self._path(alias)
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key()
        secret = private.private_numbers().private_value.to_bytes(32, "big")
        point = _point(public)
        self._keys.mkdir(parents=True, exist_ok=True, mode=0o700)
        with file_lock(self.folder):
            if path.exists():
                raise WalletError(f"key alias {alias!r} already exists", code="wallet.alias_exists")
            sealed = master.seal(secret, _KEY_AAD + alias.encode() + b"|" + point)
            atomic_write(path, {"v": 1, "alias": alias, "public": b64e(point), "private": b64e(sealed)})
        return public

    def _read(self, alias: str) -> tuple[bytes, bytes]:
        path = self._path(alias)
        if not path.exists():
            raise WalletError(f"no key named {alias!r}", code="wallet.not_found")
        doc = read_json(path)
        if doc.get("v") != 1 or doc.get("alias") != alias:
            raise StoreCorruptedError("key file does not belong to this alias")
        return b64d(doc.get("public")), b64d(doc.get("private"))

    def public_key(self, alias: str) -> ec.EllipticCurvePublicKey:
        point, _ = self._read(alias)
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError as exc:
            raise StoreCorruptedError("key file holds an invalid public point") from exc

    def signer(self, alias: str, pin: str) -> Signer:
        """A signer for ``alias`` after the PIN unlocks the wallet (ES256, raw r||s signatures)."""
        self.public_key(alias)  # unknown alias or a corrupt file fails before a PIN attempt is counted
        return self.signer_unlocked(alias, self.unlock(pin))

    def signer_unlocked(self, alias: str, master: WalletKey) -> Signer:
        """As :meth:`signer` with the master key already unlocked."""
        public = self.public_key(alias)
        point, sealed = self._read(alias)
        secret = master.open(sealed, _KEY_AAD + alias.encode() + b"|" + point)
        private = ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1())
        if _point(private.public_key()) != _point(public):
            raise StoreCorruptedError("private key does not match the stored public key")
        return SoftwareSigner(private)

    def aliases(self) -> tuple[str, ...]:
        if not self._keys.exists():
            return ()
        return tuple(sorted(p.stem for p in self._keys.glob("*.json")))

    def delete(self, alias: str) -> None:
        path = self._path(alias)
        with file_lock(self.folder):
            if not path.exists():
                raise WalletError(f"no key named {alias!r}", code="wallet.not_found")
            path.unlink()
