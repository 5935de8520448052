"""COSE_Key (RFC 9052 §7, RFC 9053 §7.1-7.2): EC2 on P-256/P-384/P-521 and OKP Ed25519.

Points are checked to lie on their curve (cryptography refuses others); coordinates must have the
curve's exact length, and compressed points (a bool ``y``) are refused, as ISO/IEC 18013-5 §9.1.5.2
only uses uncompressed keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from specs.cbor import decode, encode
from specs.crypto import PrivateKey, PublicKey
from specs.errors import InvalidKeyError, StructureError

KTY, KID, ALG, CRV, X, Y, D = 1, 2, 3, -1, -2, -3, -4
KTY_OKP, KTY_EC2 = 1, 2

_EC_CURVES: dict[int, tuple[type[ec.EllipticCurve], int]] = {
    1: (ec.SECP256R1, 32),
    2: (ec.SECP384R1, 48),
    3: (ec.SECP521R1, 66),
}
_CURVE_IDS = {"secp256r1": 1, "secp384r1": 2, "secp521r1": 3}
CRV_ED25519 = 6


@dataclass(frozen=True, slots=True)
class CoseKey:
    """A public (optionally private) COSE_Key. Only the fields ISO/IEC 18013-5 uses are kept."""

    kty: int
    crv: int
    x: bytes
    y: bytes | None = None
    d: bytes | None = None
    kid: bytes | None = None

    @classmethod
    def from_cbor_value(cls, value: Any) -> CoseKey:
        if not isinstance(value, dict):
            raise StructureError("COSE_Key must be a map")
        kty, crv, x = value.get(KTY), value.get(CRV), value.get(X)
        y, d, kid = value.get(Y), value.get(D), value.get(KID)
        if kty not in (KTY_EC2, KTY_OKP) or type(kty) is not int:
            raise InvalidKeyError(f"COSE_Key kty {kty!r} is not supported")
        if type(crv) is not int:
            raise InvalidKeyError("COSE_Key crv must be an integer")
        if not isinstance(x, bytes) or (y is not None and not isinstance(y, bytes)):
            raise InvalidKeyError("COSE_Key coordinates must be byte strings (no point compression)")
        if d is not None and not isinstance(d, bytes):
            raise InvalidKeyError("COSE_Key d must be a byte string")
        if kid is not None and not isinstance(kid, bytes):
            raise StructureError("COSE_Key kid must be a byte string")
        key = cls(kty, crv, x, y, d, kid)
        key._check_shape()
        return key

    @classmethod
    def from_cbor(cls, data: bytes) -> CoseKey:
        return cls.from_cbor_value(decode(data, allowed_tags=(), max_size=1024, max_depth=2))

    def to_cbor_value(self) -> dict[int, Any]:
        out: dict[int, Any] = {KTY: self.kty}
        if self.kid is not None:
            out[KID] = self.kid
        out[CRV] = self.crv
        out[X] = self.x
        if self.y is not None:
            out[Y] = self.y
        if self.d is not None:
            out[D] = self.d
        return out

    def to_cbor(self) -> bytes:
        return encode(self.to_cbor_value())

    def _check_shape(self) -> None:
        if self.kty == KTY_EC2:
            if self.crv not in _EC_CURVES:
                raise InvalidKeyError(f"EC2 curve {self.crv} is not supported")
            size = _EC_CURVES[self.crv][1]
            if len(self.x) != size or self.y is None or len(self.y) != size:
                raise InvalidKeyError("EC2 key coordinates have the wrong length")
        elif self.crv != CRV_ED25519 or len(self.x) != 32 or self.y is not None:
            raise InvalidKeyError("OKP key must be Ed25519 with a 32-byte x")

    # --- conversion ------------------------------------------------------------------------------
    def public_key(self) -> PublicKey:
        try:
            if self.kty == KTY_OKP:
                return ed25519.Ed25519PublicKey.from_public_bytes(self.x)
            curve_type, _ = _EC_CURVES[self.crv]
            assert self.y is not None
            return ec.EllipticCurvePublicKey.from_encoded_point(curve_type(), b"\x04" + self.x + self.y)
        except ValueError:
            raise InvalidKeyError("COSE_Key is not a valid point on its curve") from None

    def private_key(self) -> PrivateKey:
        if self.d is None:
            raise InvalidKeyError("COSE_Key has no private part")
        if self.kty == KTY_OKP:
            return ed25519.Ed25519PrivateKey.from_private_bytes(self.d)
        curve_type, _ = _EC_CURVES[self.crv]
        priv = ec.derive_private_key(int.from_bytes(self.d, "big"), curve_type())
        if priv.public_key().public_numbers() != self.public_key().public_numbers():  # type: ignore[union-attr]
            raise InvalidKeyError("COSE_Key private part does not match its public part")
        return priv

    @classmethod
    def from_public_key(cls, key: PublicKey, *, kid: bytes | None = None) -> CoseKey:
        if isinstance(key, ed25519.Ed25519PublicKey):
            return cls(KTY_OKP, CRV_ED25519, key.public_bytes(Encoding.Raw, PublicFormat.Raw), kid=kid)
        crv = _CURVE_IDS.get(key.curve.name)
        if crv is None:
            raise InvalidKeyError(f"curve {key.curve.name} is not supported")
        size = _EC_CURVES[crv][1]
        point = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return cls(KTY_EC2, crv, point[1 : 1 + size], point[1 + size :], kid=kid)

    def public(self) -> CoseKey:
        """This key without its private part."""
        return CoseKey(self.kty, self.crv, self.x, self.y, None, self.kid)
