"""A ``Signer`` over a PKCS#11 token: the document-signer key lives in an HSM and never leaves it.

The issuer's document-signer (DS) key signs every MSO and SD-JWT it issues; keeping it in an HSM means a
compromise of the issuer host yields signatures while the host is held, never the key itself. Signing uses
``CKM_ECDSA`` (PKCS#11 v2.40 §2.3.1, "ECDSA"): the SHA-256 digest is computed here with ``hashlib`` and the
token signs the digest, returning the raw ``r || s`` form that COSE and JOSE carry on the wire, so no DER
conversion is needed. Only P-256 (ES256) keys are supported.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pkcs11
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import PKCS11Error

from specs.crypto import Algorithm
from specs.errors import MobileIdError, UnsupportedAlgorithmError

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Pkcs11Lib

__all__ = ["HsmError", "Pkcs11Signer", "generate_key"]

# DER of the ``namedCurve`` OID prime256v1 / secp256r1 (1.2.840.10045.3.1.7), as carried in CKA_EC_PARAMS.
_P256_PARAMS = bytes.fromhex("06082a8648ce3d030107")
_DER_POINT_PREFIX = b"\x04\x41"  # OCTET STRING, 65 bytes: the uncompressed point 0x04 || X || Y


class HsmError(MobileIdError):
    """The HSM refused or failed: wrong PIN, unknown token or key, device error. Never carries the PIN."""

    code = "hsm.error"


def _public_key(ec_params: bytes, ec_point: bytes) -> ec.EllipticCurvePublicKey:
    """Build the public key from CKA_EC_PARAMS and CKA_EC_POINT (a DER OCTET STRING; some tokens give it raw)."""
    if ec_params != _P256_PARAMS:
        raise UnsupportedAlgorithmError("only P-256 (ES256) keys are supported on the HSM")
    point = ec_point[2:] if len(ec_point) == 67 and ec_point.startswith(_DER_POINT_PREFIX) else ec_point
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise HsmError("CKA_EC_POINT is not a valid P-256 point", code="hsm.bad_key") from exc


@dataclass
class _Login:
    """One logged-in session per (module, token): PKCS#11 login state is per application and token, and
    ``C_Logout`` on any session logs out all of them, so signers on the same token share this session."""

    key: tuple[str, str]
    lib: Pkcs11Lib
    session: pkcs11.Session
    pin_digest: bytes
    users: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)  # a session runs one operation at a time


_logins: dict[tuple[str, str], _Login] = {}
_logins_lock = threading.Lock()


def _finalize_unused(lib: Pkcs11Lib) -> None:
    """Finalize the (process-wide, shared) module once no login uses it; call with ``_logins_lock`` held."""
    if not any(login.lib is lib for login in _logins.values()):
        with contextlib.suppress(PKCS11Error):
            lib.finalize()


def _connect(module_path: str, token_label: str, pin: str) -> _Login:
    """Load the module, find the token and log in read-write, or join this process's existing login."""
    key, digest = (module_path, token_label), hashlib.sha256(pin.encode()).digest()
    with _logins_lock:
        if (login := _logins.get(key)) is not None:
            if not hmac.compare_digest(login.pin_digest, digest):
                raise HsmError("the HSM rejected the PIN", code="hsm.wrong_pin")
            login.users += 1
            return login
        try:
            lib = pkcs11.lib(module_path)
        except (PKCS11Error, OSError, RuntimeError) as exc:
            raise HsmError(f"cannot load the PKCS#11 module: {type(exc).__name__}") from exc
        try:
            session = lib.get_token(token_label=token_label).open(user_pin=pin, rw=True)
        except PKCS11Error as exc:
            _finalize_unused(lib)
            raise _session_error(exc) from exc
        _logins[key] = login = _Login(key, lib, session, digest)
        return login


def _session_error(exc: PKCS11Error) -> HsmError:
    if isinstance(exc, pkcs11.exceptions.NoSuchToken):
        return HsmError("no PKCS#11 token with that label", code="hsm.no_token")
    if isinstance(exc, pkcs11.exceptions.PinIncorrect | pkcs11.exceptions.PinInvalid | pkcs11.exceptions.PinLenRange):
        return HsmError("the HSM rejected the PIN", code="hsm.wrong_pin")
    if isinstance(exc, pkcs11.exceptions.PinLocked):
        return HsmError("the HSM user PIN is locked", code="hsm.pin_locked")
    return HsmError(f"cannot open a session on the token: {type(exc).__name__}")


def _release(login: _Login) -> None:
    with _logins_lock:
        login.users -= 1
        if login.users > 0:
            return
        del _logins[login.key]
        with contextlib.suppress(PKCS11Error):
            login.session.close()  # logs out, then closes
        _finalize_unused(login.lib)


class Pkcs11Signer:
    """A ``specs.crypto.Signer`` over a P-256 key pair on a PKCS#11 token; the logged-in session stays open
    for the signer's lifetime, so call ``close()`` when done."""

    __slots__ = ("_login", "_private", "_public")

    def __init__(self, login: _Login, private: Any, public: ec.EllipticCurvePublicKey) -> None:
        self._login: _Login | None = login
        self._private = private
        self._public = public

    @classmethod
    def open(cls, module_path: str, token_label: str, pin: str, key_label: str) -> Pkcs11Signer:
        """Log in to ``token_label`` and find the EC key pair labelled ``key_label``."""
        return cls._find(_connect(module_path, token_label, pin), key_label)

    @classmethod
    def _find(cls, login: _Login, key_label: str) -> Pkcs11Signer:
        """The signer over ``login``'s key pair ``key_label``; on any failure, releases ``login``."""
        try:
            with login.lock:
                get = login.session.get_key
                private = get(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC, label=key_label)
                public = get(object_class=ObjectClass.PUBLIC_KEY, key_type=KeyType.EC, label=key_label)
                params, point = public[Attribute.EC_PARAMS], public[Attribute.EC_POINT]
            return cls(login, private, _public_key(bytes(params), bytes(point)))
        except BaseException as exc:
            _release(login)
            if isinstance(exc, pkcs11.exceptions.NoSuchKey):
                raise HsmError("no EC key pair with that label on the token", code="hsm.no_key") from exc
            if isinstance(exc, pkcs11.exceptions.MultipleObjectsReturned):
                raise HsmError("several EC keys share that label on the token", code="hsm.ambiguous_key") from exc
            if isinstance(exc, PKCS11Error):
                raise HsmError(f"cannot read the key from the token: {type(exc).__name__}") from exc
            raise

    @property
    def algorithm(self) -> Algorithm:
        return Algorithm.ES256

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        """ECDSA P-256 over SHA-256(``data``); returns raw ``r || s`` (64 bytes)."""
        if (login := self._login) is None:
            raise HsmError("the HSM signer is closed", code="hsm.closed")
        digest = hashlib.sha256(data).digest()
        try:
            with login.lock:
                signature = bytes(self._private.sign(digest, mechanism=Mechanism.ECDSA))
        except PKCS11Error as exc:
            raise HsmError(f"the HSM failed to sign: {type(exc).__name__}") from exc
        if len(signature) != 64:
            raise HsmError("the HSM returned a signature of unexpected length")
        return signature

    def close(self) -> None:
        """Release the session; the last signer on a token logs out and finalizes the module. Idempotent."""
        if (login := self._login) is not None:
            self._login = None
            _release(login)


def generate_key(module_path: str, token_label: str, pin: str, key_label: str) -> Pkcs11Signer:
    """Generate a token-resident, non-extractable P-256 key pair labelled ``key_label`` (setup and tests)."""
    login = _connect(module_path, token_label, pin)
    try:
        with login.lock:
            params = login.session.create_domain_parameters(KeyType.EC, {Attribute.EC_PARAMS: _P256_PARAMS},
                                                            local=True)
            params.generate_keypair(store=True, label=key_label,
                                    private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False})
    except BaseException as exc:
        _release(login)
        if isinstance(exc, PKCS11Error):
            raise HsmError(f"the HSM failed to generate a key: {type(exc).__name__}") from exc
        raise
    return Pkcs11Signer._find(login, key_label)
