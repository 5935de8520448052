"""A simulated Android Keystore, reached as the app reaches the real one: ``jnius.autoclass`` of the Java classes
``app/android_keystore.py`` uses. It stands for the platform (as ``camera_sim`` stands for the camera), never for
our code: one ``Phone`` is one device, whose keys stay inside it (``getEncoded()`` is None, like any Keystore
key), signing with ECDSA and computing HMAC-SHA-256 with them on request.

Install it for a test with ``monkeypatch.setitem(sys.modules, "jnius", phone)``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

PROVIDER = "AndroidKeyStore"


class StrongBoxUnavailableException(Exception):
    """android.security.keystore.StrongBoxUnavailableException."""


# The Java classes keep their Java method names (camelCase), as pyjnius exposes them.
class _Properties:
    PURPOSE_SIGN = 4
    KEY_ALGORITHM_EC = "EC"
    KEY_ALGORITHM_HMAC_SHA256 = "HmacSHA256"
    DIGEST_SHA256 = "SHA-256"
    AUTH_DEVICE_CREDENTIAL = 1


class _Spec:
    def __init__(self, alias: str, purposes: int) -> None:
        self.alias, self.purposes, self.strongbox = alias, purposes, False

    def setIsStrongBoxBacked(self, value: bool) -> _Spec:
        self.strongbox = value
        return self

    def setAlgorithmParameterSpec(self, spec: object) -> _Spec:
        return self

    def setDigests(self, digests: object) -> _Spec:
        return self

    def setUserAuthenticationRequired(self, value: bool) -> _Spec:
        return self

    def setUserAuthenticationParameters(self, seconds: int, kinds: int) -> _Spec:
        return self

    def build(self) -> _Spec:
        return self


class _SecretKey:
    """A handle: the secret stays in the phone's table, as Keystore key material stays in the TEE."""

    def __init__(self, phone: Phone, alias: str) -> None:
        self._phone, self.alias = phone, alias

    def getEncoded(self) -> None:
        return None  # non-exportable


class _Public:
    def __init__(self, key: ec.EllipticCurvePublicKey) -> None:
        self._key = key

    def getEncoded(self) -> bytes:
        return self._key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def getPublicKey(self) -> _Public:
        return self


class _Entry:
    def __init__(self, phone: Phone, alias: str) -> None:
        self._phone, self._alias = phone, alias

    def getPrivateKey(self) -> _SecretKey:
        return _SecretKey(self._phone, self._alias)

    def getCertificate(self) -> _Public:
        key = self._phone._keys[self._alias]
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return _Public(key.public_key())


class _Enumeration:
    def __init__(self, names: list[str]) -> None:
        self._names = names

    def hasMoreElements(self) -> bool:
        return bool(self._names)

    def nextElement(self) -> str:
        return self._names.pop(0)


class Phone:
    """One device's Keystore. ``strongbox=False``: asking for StrongBox fails as on phones without one."""

    def __init__(self, *, strongbox: bool = True) -> None:
        self.strongbox = strongbox
        self._keys: dict[str, ec.EllipticCurvePrivateKey | bytes] = {}
        self.calls: list[str] = []  # which platform operations ran (MAC, sign, ...), for the tests to read

    def autoclass(self, name: str) -> Any:
        classes: dict[str, Any] = {
            "java.security.KeyStore": _Factory(lambda provider: _KeyStore(self, provider)),
            "android.security.keystore.KeyProperties": _Properties,
            "android.security.keystore.KeyGenParameterSpec$Builder": _Spec,
            "java.security.spec.ECGenParameterSpec": lambda curve: curve,
            "javax.crypto.KeyGenerator": _Factory(lambda alg, provider: _KeyGenerator(self, alg, provider)),
            "java.security.KeyPairGenerator": _Factory(lambda alg, provider: _KeyPairGenerator(self, alg, provider)),
            "javax.crypto.Mac": _Factory(lambda alg: _Mac(self, alg)),
            "java.security.Signature": _Factory(lambda alg: _Signature(self, alg)),
        }
        return classes[name]

    def _new(self, spec: _Spec, material: ec.EllipticCurvePrivateKey | bytes) -> None:
        if spec.strongbox and not self.strongbox:
            raise StrongBoxUnavailableException()
        self._keys[spec.alias] = material

    def lose_keys(self) -> None:
        """What uninstalling the app (or restoring its data to this phone later) does to its Keystore keys."""
        self._keys.clear()


class _Factory:
    def __init__(self, make: Any) -> None:
        self.getInstance = make


class _KeyStore:
    def __init__(self, phone: Phone, provider: str) -> None:
        assert provider == PROVIDER
        self._phone = phone

    def load(self, parameter: None) -> None:
        return None

    def containsAlias(self, alias: str) -> bool:
        return alias in self._phone._keys

    def getKey(self, alias: str, password: None) -> _SecretKey | None:
        return _SecretKey(self._phone, alias) if alias in self._phone._keys else None

    def getEntry(self, alias: str, protection: None) -> _Entry | None:
        return _Entry(self._phone, alias) if alias in self._phone._keys else None

    def deleteEntry(self, alias: str) -> None:
        self._phone._keys.pop(alias, None)

    def aliases(self) -> _Enumeration:
        return _Enumeration(sorted(self._phone._keys))


class _KeyGenerator:
    def __init__(self, phone: Phone, algorithm: str, provider: str) -> None:
        assert algorithm == "HmacSHA256" and provider == PROVIDER
        self._phone, self._spec = phone, None

    def init(self, spec: _Spec) -> None:
        assert spec.purposes & _Properties.PURPOSE_SIGN
        self._spec = spec

    def generateKey(self) -> _SecretKey:
        assert self._spec is not None
        self._phone._new(self._spec, secrets.token_bytes(32))
        return _SecretKey(self._phone, self._spec.alias)


class _KeyPairGenerator(_KeyGenerator):
    def __init__(self, phone: Phone, algorithm: str, provider: str) -> None:
        assert algorithm == "EC" and provider == PROVIDER
        self._phone, self._spec = phone, None

    def initialize(self, spec: _Spec) -> None:
        self._spec = spec

    def generateKeyPair(self) -> Any:
        assert self._spec is not None
        private = ec.generate_private_key(ec.SECP256R1())
        self._phone._new(self._spec, private)
        public = _Public(private.public_key())
        return type("KeyPair", (), {"getPublic": lambda _: public})()


class _Mac:
    def __init__(self, phone: Phone, algorithm: str) -> None:
        assert algorithm == "HmacSHA256"
        self._phone, self._key = phone, None

    def init(self, key: _SecretKey) -> None:
        self._key = key

    def doFinal(self, data: bytes) -> bytes:
        assert self._key is not None
        self._phone.calls.append("mac")
        material = self._phone._keys[self._key.alias]
        assert isinstance(material, bytes)
        return hmac.new(material, bytes(data), hashlib.sha256).digest()


class _Signature:
    def __init__(self, phone: Phone, algorithm: str) -> None:
        assert algorithm == "SHA256withECDSA"
        self._phone, self._data, self._key = phone, b"", None

    def initSign(self, key: _SecretKey) -> None:
        self._key = key

    def update(self, data: bytes) -> None:
        self._data += bytes(data)

    def sign(self) -> bytes:
        assert self._key is not None
        self._phone.calls.append("sign")
        private = self._phone._keys[self._key.alias]
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        return private.sign(self._data, ec.ECDSA(hashes.SHA256()))
