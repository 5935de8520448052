"""COSE_Mac0 (RFC 9052 §6.2, §6.3) with HMAC 256/256 (RFC 9053 §3.1), as ISO/IEC 18013-5 §9.1.3.5
uses it for deviceMac (detached payload)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cbor2

from specs.cbor import MAP, decode, encode
from specs.cose.headers import HeaderLabel, check_buckets, decode_protected
from specs.errors import MacError, StructureError, UnsupportedAlgorithmError

ALG_HMAC_256_256 = 5
TAG_COSE_MAC0 = 17


def _mac_structure(protected_bytes: bytes, external_aad: bytes, payload: bytes) -> bytes:
    # RFC 9052 §6.3: MAC_structure = ["MAC0", body_protected, external_aad, payload]
    return cbor2.dumps(["MAC0", protected_bytes, external_aad, payload])


@dataclass(frozen=True, slots=True)
class CoseMac0:
    """``COSE_Mac0 = [protected: bstr, unprotected: map, payload: bstr / nil, tag: bstr]``."""

    protected_bytes: bytes
    protected: Mapping[Any, Any] = field(compare=False)
    unprotected: Mapping[Any, Any]
    payload: bytes | None
    tag: bytes

    @classmethod
    def create(cls, key: bytes, payload: bytes, *, detached: bool = True,
               external_aad: bytes = b"") -> CoseMac0:
        protected = {HeaderLabel.ALG.value: ALG_HMAC_256_256}
        protected_bytes = encode(protected)
        tag = hmac.new(key, _mac_structure(protected_bytes, external_aad, payload), hashlib.sha256).digest()
        return cls(protected_bytes, protected, {}, None if detached else payload, tag)

    @classmethod
    def from_cbor_value(cls, value: Any) -> CoseMac0:
        if isinstance(value, cbor2.CBORTag):
            if value.tag != TAG_COSE_MAC0:
                raise StructureError(f"expected COSE_Mac0 (tag 17), got tag {value.tag}")
            value = value.value  # cbor2 decodes tag contents as immutable: tuple, frozendict
        if not isinstance(value, list | tuple) or len(value) != 4:
            raise StructureError("COSE_Mac0 must be an array of 4")
        protected_bytes, unprotected, payload, tag = value
        if not isinstance(protected_bytes, bytes) or not isinstance(unprotected, MAP):
            raise StructureError("COSE_Mac0 headers are malformed")
        if payload is not None and not isinstance(payload, bytes):
            raise StructureError("COSE_Mac0 payload must be a bstr or nil")
        if not isinstance(tag, bytes):
            raise StructureError("COSE_Mac0 tag must be a bstr")
        protected = decode_protected(protected_bytes)
        check_buckets(protected, unprotected)
        return cls(protected_bytes, protected, dict(unprotected), payload, tag)

    @classmethod
    def from_cbor(cls, data: bytes) -> CoseMac0:
        return cls.from_cbor_value(decode(data, allowed_tags=(TAG_COSE_MAC0,)))

    def to_cbor_value(self) -> list[Any]:
        return [self.protected_bytes, dict(self.unprotected), self.payload, self.tag]

    def to_cbor(self) -> bytes:
        return encode(self.to_cbor_value())

    def verify(self, key: bytes, *, detached_payload: bytes | None = None,
               external_aad: bytes = b"") -> None:
        """Check the tag in constant time; raises ``MacError``."""
        if self.protected.get(HeaderLabel.ALG) != ALG_HMAC_256_256:
            raise UnsupportedAlgorithmError("COSE_Mac0 algorithm must be HMAC 256/256 (5)")
        if self.payload is not None and detached_payload is not None:
            raise StructureError("COSE_Mac0 has an attached payload; none may be supplied")
        payload = self.payload if self.payload is not None else detached_payload
        if payload is None:
            raise StructureError("COSE_Mac0 payload is detached and was not supplied")
        expected = hmac.new(key, _mac_structure(self.protected_bytes, external_aad, payload),
                            hashlib.sha256).digest()
        if not hmac.compare_digest(expected, self.tag):
            raise MacError("COSE_Mac0 tag does not verify")
