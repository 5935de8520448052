"""Compact JWE with ECDH-ES key agreement (RFC 7516, RFC 7518 §4.6) and AES-GCM (RFC 7518 §5.3).

This is the encryption OpenID4VP 1.0 §8.3 asks for (HAIP: ``ECDH-ES`` on P-256 with ``A128GCM`` or
``A256GCM``): the content key is derived directly from ECDH between an ephemeral key (``epk``) and the
recipient's key with the Concat KDF of NIST SP 800-56A (RFC 7518 §4.6.2), whose other info binds the
``enc`` name and the ``apu``/``apv`` header values. The encrypted-key part is therefore empty. The
protected header is the AEAD's additional data (RFC 7516 §5.1 step 14), so no header member can be
changed without the tag failing.
"""

from __future__ import annotations

import json
import secrets
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from specs.errors import DecryptionError, InvalidKeyError, JoseDecodeError
from specs.jose.jwk import jwk_from_key, key_from_jwk
from specs.jose.jws import b64url_decode, b64url_encode, parse_json

__all__ = ["ECDH_ES", "ENC_KEY_BITS", "MAX_JWE_SIZE", "JweHeader", "decrypt_compact", "encrypt_compact"]

ECDH_ES = "ECDH-ES"
ENC_KEY_BITS = {"A128GCM": 128, "A256GCM": 256}
MAX_JWE_SIZE = 1024 * 1024
_IV_BYTES, _TAG_BYTES = 12, 16


@dataclass(frozen=True, slots=True)
class JweHeader:
    """The protected header of an ECDH-ES JWE (RFC 7516 §4.1, RFC 7518 §4.6.1)."""

    enc: str
    epk: ec.EllipticCurvePublicKey
    kid: str | None = None
    apu: bytes | None = None
    apv: bytes | None = None
    extra: Mapping[str, Any] | None = None  # other members (e.g. typ), kept for the caller

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"alg": ECDH_ES, "enc": self.enc, "epk": jwk_from_key(self.epk)}
        if self.kid is not None:
            out["kid"] = self.kid
        if self.apu is not None:
            out["apu"] = b64url_encode(self.apu)
        if self.apv is not None:
            out["apv"] = b64url_encode(self.apv)
        return {**(self.extra or {}), **out}

    @classmethod
    def from_json(cls, value: Any) -> JweHeader:
        if not isinstance(value, dict):
            raise JoseDecodeError("JWE header must be a JSON object")
        if value.get("alg") != ECDH_ES:
            raise JoseDecodeError("JWE alg must be ECDH-ES", code="jose.jwe_alg")
        enc = value.get("enc")
        if enc not in ENC_KEY_BITS:
            raise JoseDecodeError("JWE enc must be A128GCM or A256GCM", code="jose.jwe_enc")
        if "zip" in value or "crit" in value:
            raise JoseDecodeError("JWE zip and crit are not accepted", code="jose.jwe_header")
        try:
            epk = key_from_jwk(value.get("epk"))
        except InvalidKeyError as exc:
            raise JoseDecodeError(f"JWE epk is unusable ({exc.message})", code="jose.jwe_epk") from None
        if not isinstance(epk, ec.EllipticCurvePublicKey):
            raise JoseDecodeError("JWE epk must be an EC key", code="jose.jwe_epk")
        kid = value.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise JoseDecodeError("JWE kid must be text", code="jose.jwe_header")
        apu, apv = (_party(value, name) for name in ("apu", "apv"))
        extra = {k: v for k, v in value.items() if k not in ("alg", "enc", "epk", "kid", "apu", "apv")}
        return cls(enc, epk, kid, apu, apv, extra)


def _party(header: Mapping[str, Any], name: str) -> bytes | None:
    value = header.get(name)
    return None if value is None else b64url_decode(value, f"JWE {name}")


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def derive_content_key(private_key: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey,
                       header: JweHeader) -> bytes:
    """RFC 7518 §4.6.2: Concat KDF over Z = ECDH(private, peer); AlgorithmID is the ``enc`` value for
    direct key agreement; PartyUInfo/PartyVInfo are the decoded ``apu``/``apv`` (empty when absent)."""
    if private_key.curve.name != peer.curve.name:
        raise DecryptionError("JWE epk is on another curve than the recipient key", code="jose.jwe_epk")
    shared = private_key.exchange(ec.ECDH(), peer)
    bits = ENC_KEY_BITS[header.enc]
    other = (_length_prefixed(header.enc.encode("ascii")) + _length_prefixed(header.apu or b"")
             + _length_prefixed(header.apv or b"") + struct.pack(">I", bits))
    return ConcatKDFHash(hashes.SHA256(), bits // 8, other).derive(shared)


def encrypt_compact(payload: Mapping[str, Any] | bytes, recipient: ec.EllipticCurvePublicKey, *, enc: str,
                    kid: str | None = None, apu: bytes | None = None, apv: bytes | None = None,
                    rng: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """Encrypt ``payload`` (JSON object or bytes) to ``recipient`` with a fresh ephemeral key."""
    if enc not in ENC_KEY_BITS:
        raise JoseDecodeError("JWE enc must be A128GCM or A256GCM", code="jose.jwe_enc")
    ephemeral = ec.generate_private_key(recipient.curve)
    header = JweHeader(enc, ephemeral.public_key(), kid, apu, apv)
    key = derive_content_key(ephemeral, recipient, header)
    protected = b64url_encode(json.dumps(header.to_json(), separators=(",", ":")).encode("utf-8"))
    body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode("utf-8")
    iv = rng(_IV_BYTES)
    sealed = AESGCM(key).encrypt(iv, body, protected.encode("ascii"))
    ciphertext, tag = sealed[:-_TAG_BYTES], sealed[-_TAG_BYTES:]
    return ".".join((protected, "", b64url_encode(iv), b64url_encode(ciphertext), b64url_encode(tag)))


def decrypt_compact(compact: str, private_key: ec.EllipticCurvePrivateKey, *,
                    max_size: int = MAX_JWE_SIZE) -> tuple[JweHeader, bytes]:
    """The header and plaintext of a compact ECDH-ES JWE; any change to any part fails the GCM tag."""
    if not isinstance(compact, str) or len(compact) > max_size:
        raise JoseDecodeError("JWE is not a string or is too large", code="jose.jwe_malformed")
    parts = compact.split(".")
    if len(parts) != 5:
        raise JoseDecodeError("compact JWE must have five parts", code="jose.jwe_malformed")
    protected, encrypted_key, iv_text, ciphertext_text, tag_text = parts
    if encrypted_key:
        raise JoseDecodeError("ECDH-ES (direct) carries no encrypted key", code="jose.jwe_malformed")
    header = JweHeader.from_json(parse_json(b64url_decode(protected, "JWE header"), "JWE header"))
    iv, tag = b64url_decode(iv_text, "JWE iv"), b64url_decode(tag_text, "JWE tag")
    if len(iv) != _IV_BYTES or len(tag) != _TAG_BYTES:
        raise JoseDecodeError("JWE iv or tag has the wrong length", code="jose.jwe_malformed")
    key = derive_content_key(private_key, header.epk, header)
    try:
        plaintext = AESGCM(key).decrypt(iv, b64url_decode(ciphertext_text, "JWE ciphertext") + tag,
                                        protected.encode("ascii"))
    except InvalidTag:
        raise DecryptionError("the JWE does not decrypt with this key (or was altered)") from None
    return header, plaintext
