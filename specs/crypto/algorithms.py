"""Signature algorithms: ES256/ES384/ES512 (RFC 9053 §2.1, RFC 7518 §3.4) and EdDSA with Ed25519
(RFC 9053 §2.2, RFC 8037).

Signatures cross our boundaries in their wire form, raw ``r || s`` for ECDSA (both COSE and JWS use
it), never DER. The algorithm of a key is pinned by its curve (``algorithm_for_key``): a verifier
never lets a message pick an algorithm its key was not made for.
"""

from __future__ import annotations

import enum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from specs.errors import InvalidKeyError, SignatureError, UnsupportedAlgorithmError

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class Algorithm(enum.Enum):
    """A signature algorithm with its COSE identifier and JOSE name."""

    ES256 = ("ES256", -7, "secp256r1", 32)
    ES384 = ("ES384", -35, "secp384r1", 48)
    ES512 = ("ES512", -36, "secp521r1", 66)
    EDDSA = ("EdDSA", -8, "ed25519", 32)

    def __init__(self, jose: str, cose: int, curve: str, size: int) -> None:
        self.jose = jose
        self.cose = cose
        self.curve = curve
        self.coordinate_size = size  # bytes of one of r, s (ECDSA) or of the key (EdDSA)

    @property
    def hash(self) -> hashes.HashAlgorithm:
        if self is Algorithm.ES384:
            return hashes.SHA384()
        if self is Algorithm.ES512:
            return hashes.SHA512()
        return hashes.SHA256()

    @classmethod
    def from_cose(cls, value: object) -> Algorithm:
        alg = _BY_COSE.get(value) if type(value) is int else None
        if alg is None:
            raise UnsupportedAlgorithmError(f"COSE algorithm {value!r} is not supported")
        return alg

    @classmethod
    def from_jose(cls, value: object) -> Algorithm:
        alg = _BY_JOSE.get(value) if isinstance(value, str) else None
        if alg is None:
            raise UnsupportedAlgorithmError(f"JOSE algorithm {value!r} is not allowed")
        return alg


# Lookups by wire identifier (iterating an Enum costs more than the rest of a header check).
_BY_COSE: dict[int, Algorithm] = {a.cose: a for a in Algorithm}
_BY_JOSE: dict[str, Algorithm] = {a.jose: a for a in Algorithm}


_CURVES: dict[str, Algorithm] = {a.curve: a for a in Algorithm if a is not Algorithm.EDDSA}
_ECDSA: dict[str, ec.ECDSA] = {a.jose: ec.ECDSA(a.hash) for a in Algorithm if a is not Algorithm.EDDSA}
# Key classes seen so far -> (family "ed25519" / "ec" / "" for unsupported, is it a private key). Whether a key
# is one of cryptography's abstract key types depends on its class alone: the slow abstract checks run once. Public
# for the C part of SD-JWT VC verification (specs/sdjwt/_vc.h), which classifies a key by this same table.
KEY_KINDS: dict[type, tuple[str, bool]] = {}


def _key_kind(key: object) -> tuple[str, bool]:
    kind = KEY_KINDS.get(key.__class__)
    if kind is None:
        if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
            kind = ("ed25519", isinstance(key, ed25519.Ed25519PrivateKey))
        elif isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
            kind = ("ec", isinstance(key, ec.EllipticCurvePrivateKey))
        else:
            kind = ("", False)
        if len(KEY_KINDS) < 64:
            KEY_KINDS[key.__class__] = kind
    return kind


def public_of(key: PublicKey | PrivateKey) -> PublicKey:
    """The public half of ``key`` (``key`` itself when it is public)."""
    return key.public_key() if _key_kind(key)[1] else key  # type: ignore[union-attr, return-value]


def algorithm_for_key(key: PublicKey | PrivateKey) -> Algorithm:
    """The one algorithm a key may be used with (its curve decides)."""
    kind = _key_kind(key)[0]
    if kind == "ed25519":
        return Algorithm.EDDSA
    if kind == "ec":
        name = key.curve.name  # type: ignore[union-attr]
        alg = _CURVES.get(name)
        if alg is not None:
            return alg
        raise InvalidKeyError(f"curve {name} is not supported")
    raise InvalidKeyError(f"key type {type(key).__name__} is not supported")


def generate_private_key(alg: Algorithm = Algorithm.ES256) -> PrivateKey:
    if alg is Algorithm.EDDSA:
        return ed25519.Ed25519PrivateKey.generate()
    curve = {Algorithm.ES256: ec.SECP256R1(), Algorithm.ES384: ec.SECP384R1(),
             Algorithm.ES512: ec.SECP521R1()}[alg]
    return ec.generate_private_key(curve)


def raw_to_der_signature(raw: bytes, alg: Algorithm) -> bytes:
    """``r || s`` -> DER ``Ecdsa-Sig-Value`` (RFC 3279 §2.2.3), built directly on the hot path."""
    n = alg.coordinate_size
    if len(raw) != 2 * n:
        raise SignatureError(f"{alg.jose} signature must be {2 * n} bytes, got {len(raw)}")
    if n > 48:  # P-521: long-form DER lengths; rare, let cryptography encode it
        return encode_dss_signature(int.from_bytes(raw[:n], "big"), int.from_bytes(raw[n:], "big"))
    # Each INTEGER in its fewest bytes, with a zero byte before a set top bit (X.690 §8.3: it is positive).
    r = raw[:n].lstrip(b"\x00") or b"\x00"
    s = raw[n:].lstrip(b"\x00") or b"\x00"
    if r[0] > 0x7F:
        r = b"\x00" + r
    if s[0] > 0x7F:
        s = b"\x00" + s
    return b"".join((bytes((0x30, len(r) + len(s) + 4, 0x02, len(r))), r, bytes((0x02, len(s))), s))


def der_to_raw_signature(der: bytes, alg: Algorithm) -> bytes:
    r, s = decode_dss_signature(der)
    n = alg.coordinate_size
    return r.to_bytes(n, "big") + s.to_bytes(n, "big")


def verify_signature(alg: Algorithm, key: PublicKey, signature: bytes, data: bytes, *,
                     der: bytes | None = None) -> None:
    """Verify a raw (wire-form) signature; raise ``SignatureError`` unless it is valid.

    The key must be of the algorithm's curve (no cross-curve or cross-type use). ``der``: the ECDSA signature's DER
    form when the caller already has it (a C part made it from ``signature``), saving the conversion.
    """
    kind = KEY_KINDS.get(key.__class__)
    if kind is not None and kind[0] == "ec" and not kind[1]:  # the usual case, a public EC key: the same checks
        name = key.curve.name  # type: ignore[union-attr]
        if _CURVES.get(name) is not alg:
            if name not in _CURVES:
                raise InvalidKeyError(f"curve {name} is not supported")  # as algorithm_for_key says
            raise UnsupportedAlgorithmError(f"{alg.jose} cannot be used with this key")
        if der is None or len(signature) != 2 * alg.coordinate_size:
            der = raw_to_der_signature(signature, alg)  # which refuses a signature of the wrong length
        try:
            key.verify(der, data, _ECDSA[alg.jose])  # type: ignore[call-arg]
        except InvalidSignature:
            raise SignatureError("signature does not verify") from None
        return
    if algorithm_for_key(key) is not alg:
        raise UnsupportedAlgorithmError(f"{alg.jose} cannot be used with this key")
    try:
        if alg is Algorithm.EDDSA:
            if len(signature) != 64:
                raise SignatureError("EdDSA signature must be 64 bytes")
            key.verify(signature, data)  # type: ignore[call-arg]
        else:
            # r or s of zero, or >= n, is rejected by OpenSSL; the length check stops padding tricks.
            key.verify(raw_to_der_signature(signature, alg), data, _ECDSA[alg.jose])  # type: ignore[call-arg]
    except InvalidSignature:
        raise SignatureError("signature does not verify") from None
