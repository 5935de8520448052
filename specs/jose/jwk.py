"""JWK (RFC 7517/7518 §6.2, RFC 8037) for EC P-256/384/521 and Ed25519 public keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from specs.crypto import PublicKey
from specs.errors import InvalidKeyError
from specs.jose.jws import b64url_decode, b64url_encode

__all__ = ["jwk_from_key", "jwk_thumbprint", "key_from_jwk"]

# JWK crv -> (curve, coordinate size), RFC 7518 §6.2.1.1; public for the C part of SD-JWT VC verification
# (specs/sdjwt/_vc.h), which imports a cnf key by the same table.
JWK_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32), "P-384": (ec.SECP384R1(), 48), "P-521": (ec.SECP521R1(), 66)}
_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def key_from_jwk(jwk: Any) -> PublicKey:
    """The public key of ``jwk``; a private part (``d``) is ignored, points must be on the curve."""
    if jwk.__class__ is not dict and not isinstance(jwk, Mapping):  # a dict, as JSON gives it, without the ABC check
        raise InvalidKeyError("JWK must be a JSON object")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if not isinstance(kty, str) or not isinstance(crv, str):
        raise InvalidKeyError("JWK kty and crv must be text")
    try:
        if kty == "EC" and crv in JWK_CURVES:
            curve, size = JWK_CURVES[crv]
            x, y = b64url_decode(jwk.get("x", ""), "JWK x"), b64url_decode(jwk.get("y", ""), "JWK y")
            if len(x) != size or len(y) != size:
                raise InvalidKeyError("JWK coordinates have the wrong length")
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + x + y)
        if kty == "OKP" and crv == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk.get("x", ""), "JWK x"))
    except ValueError:
        raise InvalidKeyError("JWK point is not on its curve") from None
    raise InvalidKeyError("JWK must be EC P-256/384/521 or OKP Ed25519")


def jwk_from_key(key: PublicKey) -> dict[str, str]:
    if isinstance(key, ed25519.Ed25519PublicKey):
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw))}
    numbers = key.public_numbers()
    size = JWK_CURVES[_NAMES[key.curve.name]][1]
    return {"kty": "EC", "crv": _NAMES[key.curve.name], "x": b64url_encode(numbers.x.to_bytes(size, "big")),
            "y": b64url_encode(numbers.y.to_bytes(size, "big"))}


_THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> bytes:
    """RFC 7638 §3: SHA-256 over the required members of the key in lexicographic order, no whitespace.
    Only the required members count (``kid``, ``use``, ``alg`` do not), so any JWK of the same key
    gives the same thumbprint."""
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty", "")) if isinstance(jwk, Mapping) else None
    if members is None or not all(isinstance(jwk.get(m), str) for m in members):
        raise InvalidKeyError("JWK thumbprint needs an EC or OKP key with its required members")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).digest()
