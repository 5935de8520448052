"""DeviceEngagement and its QR form (ISO/IEC 18013-5 §8.2.1.1, §8.2.2.3).

``DeviceEngagement = {0: version, 1: Security, ? 2: DeviceRetrievalMethods, ? 3: ServerRetrievalMethods,
? 4: ProtocolInfo, * int => any}`` with ``Security = [cipher suite 1, EDeviceKeyBytes]``. Retrieval methods
and unknown keys are kept as received so the structure re-encodes byte for byte (it is hashed into the
SessionTranscript). The QR code carries ``mdoc:`` + base64url (no padding) of the encoded structure.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.cbor import EncodedCBOR, decode, encode
from specs.cose import CoseKey
from specs.errors import StructureError

__all__ = ["CIPHER_SUITE_1", "URI_SCHEME", "DeviceEngagement"]

CIPHER_SUITE_1 = 1
URI_SCHEME = "mdoc:"
MAX_ENGAGEMENT = 4096


@dataclass(frozen=True, slots=True)
class DeviceEngagement:
    version: str
    e_device_key_bytes: EncodedCBOR
    retrieval_methods: tuple[Any, ...] | None = None
    extra: Mapping[int, Any] = field(default_factory=dict)  # 3, 4, 5 and future keys, kept as received

    @classmethod
    def build(cls, e_device_key: CoseKey, *, retrieval_methods: tuple[Any, ...] | None = None) -> DeviceEngagement:
        return cls("1.0", EncodedCBOR(e_device_key.public().to_cbor()), retrieval_methods)

    @classmethod
    def from_cbor(cls, data: bytes) -> DeviceEngagement:
        value = decode(data, max_size=MAX_ENGAGEMENT)
        if not isinstance(value, Mapping) or not isinstance(value.get(0), str):
            raise StructureError("DeviceEngagement must be a map with a version")
        security = value.get(1)
        if (not isinstance(security, list) or len(security) != 2 or security[0] != CIPHER_SUITE_1
                or not isinstance(security[1], EncodedCBOR)):
            raise StructureError("DeviceEngagement Security must be [1, EDeviceKeyBytes]")
        methods = value.get(2)
        if methods is not None and not isinstance(methods, list):
            raise StructureError("DeviceRetrievalMethods must be an array")
        extra = {k: v for k, v in value.items() if k not in (0, 1, 2)}
        if not all(type(k) is int for k in extra):
            raise StructureError("DeviceEngagement keys must be integers")
        engagement = cls(value[0], security[1], tuple(methods) if methods is not None else None, extra)
        _ = engagement.e_device_key  # parse now: a bad key is a bad engagement
        return engagement

    def to_cbor(self) -> bytes:
        out: dict[int, Any] = {0: self.version, 1: [CIPHER_SUITE_1, self.e_device_key_bytes]}
        if self.retrieval_methods is not None:
            out[2] = list(self.retrieval_methods)
        out.update(self.extra)
        return encode(out)

    @property
    def e_device_key(self) -> CoseKey:
        return CoseKey.from_cbor(self.e_device_key_bytes.data)

    def to_uri(self) -> str:
        return URI_SCHEME + base64.urlsafe_b64encode(self.to_cbor()).rstrip(b"=").decode("ascii")

    @classmethod
    def from_uri(cls, uri: str) -> DeviceEngagement:
        if not isinstance(uri, str) or not uri.startswith(URI_SCHEME):
            raise StructureError("a device engagement URI starts with mdoc:")
        text = uri[len(URI_SCHEME):]
        if len(text) > MAX_ENGAGEMENT * 2 or "=" in text or any(c in text for c in "+/"):
            raise StructureError("the device engagement URI is not base64url without padding")
        try:
            data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise StructureError("the device engagement URI is not base64url") from None
        return cls.from_cbor(data)
