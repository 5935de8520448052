"""Session encryption (ISO/IEC 18013-5 §9.1.1): SessionEstablishment, SessionData, SKReader/SKDevice.

Keys: HKDF-SHA-256 over the ECDH shared secret of EDeviceKey and EReaderKey, salt = SHA-256 of the
SessionTranscriptBytes, info "SKReader" or "SKDevice", 32 bytes (§9.1.1.5). Messages: AES-256-GCM with
the IV ``identifier (8 bytes: reader 0..0, mdoc 0..01) || message counter (4 bytes, big-endian, from 1)``
and no AAD (§9.1.1.5). Each side keeps its own send and receive counters, so an IV is never reused and
a replayed or reordered message fails to decrypt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from specs.cbor import EncodedCBOR, decode, encode
from specs.errors import DecryptionError, StructureError
from specs.mdoc.transcript import SessionTranscript

__all__ = ["STATUS_CBOR_ERROR", "STATUS_DECRYPTION_ERROR", "STATUS_TERMINATION", "SessionData",
           "SessionEncryption", "SessionEstablishment", "derive_session_key"]

STATUS_DECRYPTION_ERROR, STATUS_CBOR_ERROR, STATUS_TERMINATION = 10, 11, 20
_IDENTIFIER = {"reader": bytes(8), "mdoc": bytes(7) + b"\x01"}
MAX_SESSION_MESSAGE = 1024 * 1024
Role = Literal["reader", "mdoc"]


def derive_session_key(private_key: ec.EllipticCurvePrivateKey, peer_public_key: ec.EllipticCurvePublicKey,
                       transcript: SessionTranscript, info: Literal["SKReader", "SKDevice"]) -> bytes:
    shared = private_key.exchange(ec.ECDH(), peer_public_key)
    salt = hashlib.sha256(transcript.transcript_bytes()).digest()
    return HKDF(hashes.SHA256(), 32, salt, info.encode("ascii")).derive(shared)


@dataclass(slots=True)
class SessionEncryption:
    """One side of a session: encrypts with its own key and counter, decrypts the peer's messages."""

    role: Role
    send_key: bytes
    receive_key: bytes
    _sent: int = field(default=0)
    _received: int = field(default=0)

    @classmethod
    def for_role(cls, role: Role, private_key: ec.EllipticCurvePrivateKey,
                 peer_public_key: ec.EllipticCurvePublicKey, transcript: SessionTranscript) -> SessionEncryption:
        sk_reader = derive_session_key(private_key, peer_public_key, transcript, "SKReader")
        sk_device = derive_session_key(private_key, peer_public_key, transcript, "SKDevice")
        if role == "reader":
            return cls(role, sk_reader, sk_device)
        return cls(role, sk_device, sk_reader)

    def encrypt(self, plaintext: bytes) -> bytes:
        self._sent += 1
        iv = _IDENTIFIER[self.role] + self._sent.to_bytes(4, "big")
        return AESGCM(self.send_key).encrypt(iv, plaintext, None)

    def decrypt(self, ciphertext: bytes) -> bytes:
        peer: Role = "mdoc" if self.role == "reader" else "reader"
        iv = _IDENTIFIER[peer] + (self._received + 1).to_bytes(4, "big")
        try:
            plaintext = AESGCM(self.receive_key).decrypt(iv, ciphertext, None)
        except InvalidTag:
            raise DecryptionError("session message does not decrypt (wrong key, order or tampering)") from None
        self._received += 1
        return plaintext


@dataclass(frozen=True, slots=True)
class SessionEstablishment:
    """§9.1.1.4: ``{"eReaderKey": EReaderKeyBytes, "data": bstr}`` — the reader's first message."""

    e_reader_key_bytes: EncodedCBOR
    data: bytes

    @classmethod
    def from_cbor(cls, data: bytes) -> SessionEstablishment:
        value = decode(data, max_size=MAX_SESSION_MESSAGE)
        if not isinstance(value, Mapping) or not isinstance(value.get("eReaderKey"), EncodedCBOR) or not isinstance(
                value.get("data"), bytes):
            raise StructureError("SessionEstablishment must hold eReaderKey (tag 24) and data")
        return cls(value["eReaderKey"], value["data"])

    def to_cbor(self) -> bytes:
        return encode({"eReaderKey": self.e_reader_key_bytes, "data": self.data})


@dataclass(frozen=True, slots=True)
class SessionData:
    """§9.1.1.4: ``{? "data": bstr, ? "status": uint}``."""

    data: bytes | None = None
    status: int | None = None

    @classmethod
    def from_cbor(cls, data: bytes) -> SessionData:
        value = decode(data, max_size=MAX_SESSION_MESSAGE)
        if not isinstance(value, Mapping) or not value or set(value) - {"data", "status"}:
            raise StructureError("SessionData must hold data and/or status")
        payload, status = value.get("data"), value.get("status")
        if payload is not None and not isinstance(payload, bytes):
            raise StructureError("SessionData data must be a bstr")
        if status is not None and (type(status) is not int or status < 0):
            raise StructureError("SessionData status must be an unsigned integer")
        return cls(payload, status)

    def to_cbor(self) -> bytes:
        out: dict[str, Any] = {}
        if self.data is not None:
            out["data"] = self.data
        if self.status is not None:
            out["status"] = self.status
        return encode(out)
