"""Device keys in the Android Keystore (hardware-backed: TEE or StrongBox), behind the wallet's
``KeyStore`` protocol (``wallet/keystore.py``). Importable on desktops: ``jnius`` is imported lazily, only
when a key is used on a phone.

P-256 keys are generated with ``KeyGenParameterSpec`` (PURPOSE_SIGN, SHA-256), optionally in StrongBox,
and never leave the Keystore: ``signer`` returns a ``Signer`` whose ``sign`` runs ``SHA256withECDSA``
inside it and converts the DER signature to the raw r||s form COSE and JOSE use. The PIN gates use in the
app (the wallet's PIN vault); ``user_auth_seconds`` can additionally require the device screen lock.

The same Keystore binds the wallet's vault to the phone (``AndroidVaultBinding``, a ``wallet.pin.DeviceBinding``):
an HMAC-SHA-256 key generated inside it (PURPOSE_SIGN, StrongBox where present) that, like every Keystore key,
cannot be exported. The key derived from the PIN by argon2id passes through it before it unwraps the master
key, so each PIN guess needs this phone's Keystore: a copy of the wallet folder is useless anywhere else, and
on the phone guesses go through the app's attempt counter. (An HMAC rather than an AES key wrapping the wrapped
master key: with AES one Keystore call would unwrap a blob that could then be attacked off the phone.)
"""

from __future__ import annotations

import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

from specs.crypto import Algorithm
from specs.errors import WalletError

__all__ = ["AndroidKeyStore", "AndroidSigner", "AndroidVaultBinding"]

PROVIDER = "AndroidKeyStore"
PREFIX = "mobileid."
_ALIAS = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")


def _jnius() -> Any:
    try:
        import jnius
    except ImportError as exc:  # desktop: there is no Android Keystore here
        raise WalletError("the Android Keystore is only available on Android", code="wallet.no_keystore") from exc
    return jnius


def raw_signature(der: bytes, size: int = 32) -> bytes:
    """DER ECDSA-Sig-Value (what ``java.security.Signature`` returns) -> r||s, each ``size`` bytes."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


class AndroidSigner:
    """A ``specs.crypto.Signer`` whose private key stays in the Android Keystore."""

    def __init__(self, store: AndroidKeyStore, alias: str) -> None:
        self._store, self._alias = store, alias
        self._public = store.public_key(alias)

    @property
    def algorithm(self) -> Algorithm:
        return Algorithm.ES256

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        jnius = _jnius()
        signature = jnius.autoclass("java.security.Signature").getInstance("SHA256withECDSA")
        signature.initSign(self._store._entry(self._alias).getPrivateKey())
        signature.update(data)
        return raw_signature(bytes(signature.sign()))


class AndroidKeyStore:
    """``KeyStore`` on Android. Aliases are namespaced (``mobileid.<alias>``) inside the app's keystore."""

    def __init__(self, *, strongbox: bool = True, user_auth_seconds: int | None = None) -> None:
        self.strongbox, self.user_auth_seconds = strongbox, user_auth_seconds
        self._ks: Any = None

    def _keystore(self) -> Any:
        if self._ks is None:
            jnius = _jnius()
            self._ks = jnius.autoclass("java.security.KeyStore").getInstance(PROVIDER)
            self._ks.load(None)
        return self._ks

    def _entry(self, alias: str) -> Any:
        _check(alias)
        entry = self._keystore().getEntry(PREFIX + alias, None)
        if entry is None:
            raise WalletError(f"no device key {alias!r}", code="wallet.no_key")
        return entry

    def create_key(self, alias: str, pin: str) -> ec.EllipticCurvePublicKey:
        _check(alias)
        if self._keystore().containsAlias(PREFIX + alias):
            raise WalletError(f"device key {alias!r} exists", code="wallet.key_exists")
        jnius = _jnius()
        properties = jnius.autoclass("android.security.keystore.KeyProperties")
        builder_class = jnius.autoclass("android.security.keystore.KeyGenParameterSpec$Builder")
        spec_curve = jnius.autoclass("java.security.spec.ECGenParameterSpec")("secp256r1")
        builder = builder_class(PREFIX + alias, properties.PURPOSE_SIGN)
        builder.setAlgorithmParameterSpec(spec_curve)
        builder.setDigests([properties.DIGEST_SHA256])
        if self.user_auth_seconds is not None:
            builder.setUserAuthenticationRequired(True)
            builder.setUserAuthenticationParameters(self.user_auth_seconds, properties.AUTH_DEVICE_CREDENTIAL)
        if self.strongbox:
            builder.setIsStrongBoxBacked(True)
        generator = jnius.autoclass("java.security.KeyPairGenerator").getInstance(properties.KEY_ALGORITHM_EC,
                                                                                 PROVIDER)
        try:
            generator.initialize(builder.build())
            pair = generator.generateKeyPair()
        except Exception:  # StrongBoxUnavailableException: fall back to the TEE
            if not self.strongbox:
                raise
            builder.setIsStrongBoxBacked(False)
            generator.initialize(builder.build())
            pair = generator.generateKeyPair()
        return _public(bytes(pair.getPublic().getEncoded()))

    def public_key(self, alias: str) -> ec.EllipticCurvePublicKey:
        certificate = self._entry(alias).getCertificate()
        return _public(bytes(certificate.getPublicKey().getEncoded()))

    def signer(self, alias: str, pin: str) -> AndroidSigner:
        return AndroidSigner(self, alias)

    def aliases(self) -> tuple[str, ...]:
        found, names = [], self._keystore().aliases()
        while names.hasMoreElements():
            name = str(names.nextElement())
            if name.startswith(PREFIX):
                found.append(name[len(PREFIX):])
        return tuple(sorted(found))

    def delete(self, alias: str) -> None:
        _check(alias)
        self._keystore().deleteEntry(PREFIX + alias)

    def vault_binding(self) -> AndroidVaultBinding:
        """The device key that binds the wallet's vault to this phone (``wallet.keystore.BindingKeyStore``)."""
        return AndroidVaultBinding(strongbox=self.strongbox)


class AndroidVaultBinding:
    """``wallet.pin.DeviceBinding`` on Android: HMAC-SHA-256 under a non-exportable Keystore key."""

    kind = "android-keystore-hmac"
    ALIAS = "mobileid-vault.v1"  # outside the device keys' "mobileid." names: never listed or deleted with them
    _KEY_ID = b"mobileid.wallet.binding.key-id.v1"

    def __init__(self, *, strongbox: bool = True) -> None:
        self.strongbox = strongbox

    def _key(self, *, create: bool) -> Any:
        jnius = _jnius()
        keystore = jnius.autoclass("java.security.KeyStore").getInstance(PROVIDER)
        keystore.load(None)
        if keystore.containsAlias(self.ALIAS):
            return keystore.getKey(self.ALIAS, None)
        if not create:
            raise WalletError("this phone does not hold the key this wallet is bound to", code="wallet.device_bound")
        properties = jnius.autoclass("android.security.keystore.KeyProperties")
        builder = jnius.autoclass("android.security.keystore.KeyGenParameterSpec$Builder")(
            self.ALIAS, properties.PURPOSE_SIGN)
        generator = jnius.autoclass("javax.crypto.KeyGenerator").getInstance(properties.KEY_ALGORITHM_HMAC_SHA256,
                                                                            PROVIDER)
        if self.strongbox:
            builder.setIsStrongBoxBacked(True)
        try:
            generator.init(builder.build())
            return generator.generateKey()
        except Exception:  # StrongBoxUnavailableException: the TEE then
            if not self.strongbox:
                raise
            builder.setIsStrongBoxBacked(False)
            generator.init(builder.build())
            return generator.generateKey()

    def _mac(self, key: Any, data: bytes) -> bytes:
        mac = _jnius().autoclass("javax.crypto.Mac").getInstance("HmacSHA256")
        mac.init(key)
        out = bytes(mac.doFinal(data))
        if len(out) != 32:
            raise WalletError("the Keystore returned an HMAC of the wrong size", code="wallet.key_invalid")
        return out

    def key_id(self, *, create: bool = False) -> bytes:
        """Names the device key (an HMAC of a constant: it reveals neither the key nor anything of the PIN)."""
        return self._mac(self._key(create=create), self._KEY_ID)[:16]

    def bind(self, secret: bytes) -> bytes:
        return self._mac(self._key(create=False), secret)


def _check(alias: str) -> None:
    if not _ALIAS.match(alias):
        raise WalletError("key alias must be 1-64 characters of A-Z a-z 0-9 _ - .", code="wallet.alias_invalid")


def _public(der: bytes) -> ec.EllipticCurvePublicKey:
    key = load_der_public_key(der)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise WalletError("the Keystore returned a non-EC key", code="wallet.key_invalid")
    return key
