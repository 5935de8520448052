"""DeviceSigned and mdoc authentication (ISO/IEC 18013-5 §8.3.2.1.2.2, §9.1.3).

``DeviceAuthentication = ["DeviceAuthentication", SessionTranscript, DocType, DeviceNameSpacesBytes]``
is signed (deviceSignature, COSE_Sign1) or MACed (deviceMac, COSE_Mac0) with a detached payload of
``DeviceAuthenticationBytes``. Every part is put together from bytes already held (the transcript as
encoded, the DeviceNameSpacesBytes as received), so no re-encoding can change what was signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from specs.cbor import MAP, EncodedCBOR
from specs.cbor.raw import encode_plain, raw_array, tag24
from specs.cose import CoseMac0, CoseSign1
from specs.errors import StructureError
from specs.mdoc.transcript import SessionTranscript

__all__ = ["DeviceSigned", "derive_emac_key", "device_authentication_bytes"]


def device_authentication_bytes(transcript: SessionTranscript, doctype: str,
                                namespaces_bytes: EncodedCBOR) -> bytes:
    """§9.1.3.4 DeviceAuthenticationBytes = #6.24(bstr .cbor DeviceAuthentication)."""
    body = raw_array(encode_plain("DeviceAuthentication"), transcript.encoded, encode_plain(doctype),
                     tag24(namespaces_bytes.data))
    return tag24(body)


def derive_emac_key(private_key: ec.EllipticCurvePrivateKey, peer_public_key: ec.EllipticCurvePublicKey,
                    transcript: SessionTranscript) -> bytes:
    """§9.1.3.5 EMacKey: HKDF-SHA-256 over ECDH(SDeviceKey, EReaderKey), salt SHA-256 of the
    SessionTranscriptBytes, info "EMacKey", 32 bytes. Either side's private key gives the same key."""
    shared = private_key.exchange(ec.ECDH(), peer_public_key)
    salt = hashlib.sha256(transcript.transcript_bytes()).digest()
    return HKDF(hashes.SHA256(), 32, salt, b"EMacKey").derive(shared)


@dataclass(frozen=True, slots=True)
class DeviceSigned:
    namespaces_bytes: EncodedCBOR
    namespaces: Mapping[str, Mapping[str, Any]]
    device_signature: CoseSign1 | None = None
    device_mac: CoseMac0 | None = None

    @classmethod
    def from_cbor_value(cls, value: Any) -> DeviceSigned:
        if not isinstance(value, MAP):
            raise StructureError("DeviceSigned must be a map")
        ns_bytes, auth = value.get("nameSpaces"), value.get("deviceAuth")
        if not isinstance(ns_bytes, EncodedCBOR):
            raise StructureError("DeviceSigned nameSpaces must be DeviceNameSpacesBytes (tag 24)")
        if not isinstance(auth, MAP) or len(auth) != 1:
            raise StructureError("DeviceAuth must hold exactly one of deviceSignature, deviceMac")
        namespaces = ns_bytes.decode()
        if not isinstance(namespaces, MAP) or not all(
            isinstance(ns, str) and isinstance(els, MAP) and all(isinstance(e, str) for e in els)
            for ns, els in namespaces.items()
        ):
            raise StructureError("DeviceNameSpaces must map text to maps of text to values")
        if "deviceSignature" in auth:
            return cls(ns_bytes, namespaces, device_signature=CoseSign1.from_cbor_value(auth["deviceSignature"]))
        if "deviceMac" in auth:
            return cls(ns_bytes, namespaces, device_mac=CoseMac0.from_cbor_value(auth["deviceMac"]))
        raise StructureError("DeviceAuth must hold deviceSignature or deviceMac")

    def to_cbor_value(self) -> dict[str, Any]:
        if self.device_signature is not None:
            auth: dict[str, Any] = {"deviceSignature": self.device_signature.to_cbor_value()}
        elif self.device_mac is not None:
            auth = {"deviceMac": self.device_mac.to_cbor_value()}
        else:
            raise StructureError("DeviceSigned has no device authentication")
        return {"nameSpaces": self.namespaces_bytes, "deviceAuth": auth}
