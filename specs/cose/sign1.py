"""COSE_Sign1 (RFC 9052 §4.2, §4.4), attached or detached payload.

Issuance is two-step so that an HSM or a phone keystore can sign: ``UnsignedCoseSign1`` gives the
ToBeSigned bytes (the Sig_structure), and ``complete(signature)`` makes the ``CoseSign1``.
``CoseSign1.sign`` does both through a ``Signer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cbor2

from specs.cbor import MAP, decode, encode
from specs.cose.headers import (
    HeaderLabel,
    check_buckets,
    decode_protected,
    read_x5chain,
    x5chain_value,
)
from specs.crypto import Algorithm, PublicKey, Signer, verify_signature
from specs.errors import StructureError

TAG_COSE_SIGN1 = 18


def _sig_structure(protected_bytes: bytes, external_aad: bytes, payload: bytes) -> bytes:
    # RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload]
    return cbor2.dumps(["Signature1", protected_bytes, external_aad, payload])


@dataclass(frozen=True, slots=True)
class UnsignedCoseSign1:
    """A COSE_Sign1 waiting for its signature (the first half of two-step signing)."""

    protected_bytes: bytes
    unprotected: Mapping[Any, Any]
    payload: bytes
    detached: bool = False
    external_aad: bytes = b""

    def to_be_signed(self) -> bytes:
        return _sig_structure(self.protected_bytes, self.external_aad, self.payload)

    def complete(self, signature: bytes) -> CoseSign1:
        protected = decode_protected(self.protected_bytes)
        return CoseSign1(
            protected_bytes=self.protected_bytes,
            protected=protected,
            unprotected=dict(self.unprotected),
            payload=None if self.detached else self.payload,
            signature=signature,
        )


@dataclass(frozen=True, slots=True)
class CoseSign1:
    """``COSE_Sign1 = [protected: bstr, unprotected: map, payload: bstr / nil, signature: bstr]``."""

    protected_bytes: bytes
    protected: Mapping[Any, Any] = field(compare=False)
    unprotected: Mapping[Any, Any]
    payload: bytes | None
    signature: bytes

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def prepare(
        cls,
        payload: bytes,
        *,
        algorithm: Algorithm,
        protected: Mapping[int, Any] | None = None,
        unprotected: Mapping[int, Any] | None = None,
        x5chain: tuple[bytes, ...] | list[bytes] | None = None,
        detached: bool = False,
        external_aad: bytes = b"",
    ) -> UnsignedCoseSign1:
        prot: dict[int, Any] = {HeaderLabel.ALG.value: algorithm.cose}
        prot.update(protected or {})
        unprot: dict[int, Any] = dict(unprotected or {})
        if x5chain:
            unprot[HeaderLabel.X5CHAIN.value] = x5chain_value(x5chain)
        check_buckets(prot, unprot)
        return UnsignedCoseSign1(encode(prot), unprot, payload, detached, external_aad)

    @classmethod
    def sign(
        cls,
        signer: Signer,
        payload: bytes,
        *,
        protected: Mapping[int, Any] | None = None,
        unprotected: Mapping[int, Any] | None = None,
        x5chain: tuple[bytes, ...] | list[bytes] | None = None,
        detached: bool = False,
        external_aad: bytes = b"",
    ) -> CoseSign1:
        unsigned = cls.prepare(payload, algorithm=signer.algorithm, protected=protected,
                               unprotected=unprotected, x5chain=x5chain, detached=detached,
                               external_aad=external_aad)
        return unsigned.complete(signer.sign(unsigned.to_be_signed()))

    # --- wire form ----------------------------------------------------------------------------
    @classmethod
    def from_cbor_value(cls, value: Any) -> CoseSign1:
        if isinstance(value, cbor2.CBORTag):
            if value.tag != TAG_COSE_SIGN1:
                raise StructureError(f"expected COSE_Sign1 (tag 18), got tag {value.tag}")
            value = value.value  # cbor2 decodes tag contents as immutable: tuple, frozendict
        if not isinstance(value, list | tuple) or len(value) != 4:
            raise StructureError("COSE_Sign1 must be an array of 4")
        protected_bytes, unprotected, payload, signature = value
        if not isinstance(protected_bytes, bytes):
            raise StructureError("COSE_Sign1 protected header must be a bstr")
        if not isinstance(unprotected, MAP):
            raise StructureError("COSE_Sign1 unprotected header must be a map")
        if payload is not None and not isinstance(payload, bytes):
            raise StructureError("COSE_Sign1 payload must be a bstr or nil")
        if not isinstance(signature, bytes):
            raise StructureError("COSE_Sign1 signature must be a bstr")
        protected = decode_protected(protected_bytes)
        check_buckets(protected, unprotected)
        return cls(protected_bytes, protected, dict(unprotected), payload, signature)

    @classmethod
    def from_cbor(cls, data: bytes, *, max_size: int = 256 * 1024) -> CoseSign1:
        return cls.from_cbor_value(decode(data, allowed_tags=(TAG_COSE_SIGN1,), max_size=max_size))

    def to_cbor_value(self, *, tagged: bool = False) -> Any:
        body = [self.protected_bytes, dict(self.unprotected), self.payload, self.signature]
        return cbor2.CBORTag(TAG_COSE_SIGN1, body) if tagged else body

    def to_cbor(self, *, tagged: bool = False) -> bytes:
        return encode(self.to_cbor_value(tagged=tagged))

    # --- reading ------------------------------------------------------------------------------
    @property
    def algorithm(self) -> Algorithm:
        """The signature algorithm, from the protected header only (RFC 9052 §3.1)."""
        if HeaderLabel.ALG not in self.protected:
            raise StructureError("COSE_Sign1 has no algorithm in its protected header")
        return Algorithm.from_cose(self.protected[HeaderLabel.ALG])

    @property
    def x5chain(self) -> tuple[bytes, ...]:
        return read_x5chain(self.protected, self.unprotected)

    @property
    def kid(self) -> bytes | None:
        kid = self.protected.get(HeaderLabel.KID, self.unprotected.get(HeaderLabel.KID))
        if kid is None or isinstance(kid, bytes):
            return kid
        if isinstance(kid, str):  # seen in the wild (Token Status List examples use text kids)
            return kid.encode()
        raise StructureError("COSE kid must be a bstr")

    def to_be_signed(self, *, detached_payload: bytes | None = None, external_aad: bytes = b"") -> bytes:
        if self.payload is not None and detached_payload is not None:
            raise StructureError("COSE_Sign1 has an attached payload; none may be supplied")
        payload = self.payload if self.payload is not None else detached_payload
        if payload is None:
            raise StructureError("COSE_Sign1 payload is detached and was not supplied")
        return _sig_structure(self.protected_bytes, external_aad, payload)

    def verify(
        self,
        key: PublicKey,
        *,
        detached_payload: bytes | None = None,
        external_aad: bytes = b"",
    ) -> None:
        """Verify the signature with ``key``; raises ``SignatureError`` (or a decode error)."""
        data = self.to_be_signed(detached_payload=detached_payload, external_aad=external_aad)
        verify_signature(self.algorithm, key, self.signature, data)
