"""Building a DeviceResponse (ISO/IEC 18013-5 §8.3.2.1.2.2, §9.1.3): selective release + mdoc auth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from specs.cbor import EncodedCBOR
from specs.cose import CoseMac0, CoseSign1
from specs.crypto import Signer
from specs.mdoc.device_signed import DeviceSigned, derive_emac_key, device_authentication_bytes
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.response import DeviceResponse, Document
from specs.mdoc.transcript import SessionTranscript

__all__ = ["build_device_response", "build_document"]

Selection = Mapping[str, Sequence[str]]


def _device_namespaces(values: Mapping[str, Mapping[str, Any]] | None) -> tuple[EncodedCBOR, dict[str, Any]]:
    plain = {ns: dict(v) for ns, v in (values or {}).items()}
    return EncodedCBOR.wrap(plain), plain


def build_document(issuer_signed: IssuerSigned, selection: Selection, transcript: SessionTranscript, *,
                   device_signer: Signer | None = None, device_private_key: ec.EllipticCurvePrivateKey | None = None,
                   reader_public_key: ec.EllipticCurvePublicKey | None = None,
                   device_namespaces: Mapping[str, Mapping[str, Any]] | None = None) -> Document:
    """One Document with only the selected items, authenticated by a device signature (``device_signer``)
    or, when a reader ephemeral key is given, by a deviceMac (``device_private_key``)."""
    released = issuer_signed.select({ns: list(ids) for ns, ids in selection.items()})
    ns_bytes, plain = _device_namespaces(device_namespaces)
    doctype = issuer_signed.doctype
    payload = device_authentication_bytes(transcript, doctype, ns_bytes)
    if reader_public_key is not None:
        if device_private_key is None:
            raise ValueError("deviceMac needs the device private key")
        mac = CoseMac0.create(derive_emac_key(device_private_key, reader_public_key, transcript), payload)
        return Document(doctype, released, DeviceSigned(ns_bytes, plain, device_mac=mac))
    if device_signer is None:
        raise ValueError("a device signer is needed for deviceSignature")
    signature = CoseSign1.sign(device_signer, payload, detached=True)
    return Document(doctype, released, DeviceSigned(ns_bytes, plain, device_signature=signature))


def build_device_response(issuer_signed: IssuerSigned, selection: Selection, transcript: SessionTranscript,
                          device_signer: Signer) -> DeviceResponse:
    return DeviceResponse((build_document(issuer_signed, selection, transcript, device_signer=device_signer),))
