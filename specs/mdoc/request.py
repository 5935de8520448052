"""DeviceRequest, DocRequest, ItemsRequest and reader authentication (ISO/IEC 18013-5 §8.3.2.1.2.1, §9.1.4).

``ItemsRequestBytes`` are kept as received: ``readerAuth`` signs
``ReaderAuthenticationBytes = #6.24(bstr .cbor ["ReaderAuthentication", SessionTranscript, ItemsRequestBytes])``
with a detached payload. ``DocRequest.verify_reader_auth`` checks the signature with the leaf of its
x5chain and returns that certificate; the caller validates it against its reader roots
(``specs.x509.validate_chain(..., role=CertificateRole.READER)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from specs.cbor import MDOC_TAGS, EncodedCBOR, decode, encode
from specs.cbor.raw import encode_plain, raw_array, tag24
from specs.cose import CoseSign1
from specs.crypto import Signer
from specs.errors import CertificateError, CryptoError, ReaderAuthError, StructureError
from specs.mdoc.transcript import SessionTranscript
from specs.x509.load import load_der_certificate

__all__ = ["DeviceRequest", "DocRequest", "ItemsRequest", "reader_authentication_bytes"]

MAX_REQUEST = 64 * 1024


def reader_authentication_bytes(transcript: SessionTranscript, items_request_bytes: EncodedCBOR) -> bytes:
    body = raw_array(encode_plain("ReaderAuthentication"), transcript.encoded, tag24(items_request_bytes.data))
    return tag24(body)


@dataclass(frozen=True, slots=True)
class ItemsRequest:
    doctype: str
    namespaces: Mapping[str, Mapping[str, bool]]  # element -> intentToRetain
    request_info: Mapping[str, Any] | None = None

    @classmethod
    def from_cbor_value(cls, value: Any) -> ItemsRequest:
        if not isinstance(value, Mapping) or not isinstance(value.get("docType"), str):
            raise StructureError("ItemsRequest must be a map with docType")
        spaces = value.get("nameSpaces")
        if not isinstance(spaces, Mapping) or not all(
                isinstance(ns, str) and isinstance(els, Mapping)
                and all(isinstance(e, str) and isinstance(r, bool) for e, r in els.items())
                for ns, els in spaces.items()):
            raise StructureError("ItemsRequest nameSpaces must map text to {element: intentToRetain}")
        info = value.get("requestInfo")
        if info is not None and not isinstance(info, Mapping):
            raise StructureError("ItemsRequest requestInfo must be a map")
        return cls(value["docType"], {ns: dict(els) for ns, els in spaces.items()}, info)

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"docType": self.doctype,
                               "nameSpaces": {ns: dict(els) for ns, els in self.namespaces.items()}}
        if self.request_info is not None:
            out["requestInfo"] = dict(self.request_info)
        return out


@dataclass(frozen=True, slots=True)
class DocRequest:
    items_request_bytes: EncodedCBOR
    items_request: ItemsRequest
    reader_auth: CoseSign1 | None = None

    @classmethod
    def build(cls, items_request: ItemsRequest, *, transcript: SessionTranscript | None = None,
              reader_signer: Signer | None = None, reader_chain: Sequence[bytes] = ()) -> DocRequest:
        encoded = EncodedCBOR.wrap(items_request.to_cbor_value())
        auth = None
        if reader_signer is not None:
            if transcript is None:
                raise ValueError("readerAuth needs the session transcript")
            auth = CoseSign1.sign(reader_signer, reader_authentication_bytes(transcript, encoded), detached=True,
                                  x5chain=list(reader_chain))
        return cls(encoded, items_request, auth)

    @classmethod
    def from_cbor_value(cls, value: Any) -> DocRequest:
        if not isinstance(value, Mapping) or not isinstance(value.get("itemsRequest"), EncodedCBOR):
            raise StructureError("DocRequest must hold itemsRequest (tag 24)")
        auth = value.get("readerAuth")
        return cls(value["itemsRequest"], ItemsRequest.from_cbor_value(value["itemsRequest"].decode()),
                   CoseSign1.from_cbor_value(auth) if auth is not None else None)

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"itemsRequest": self.items_request_bytes}
        if self.reader_auth is not None:
            out["readerAuth"] = self.reader_auth.to_cbor_value()
        return out

    def verify_reader_auth(self, transcript: SessionTranscript) -> x509.Certificate:
        """§9.1.4: check readerAuth over this session; return the reader certificate for chain validation."""
        auth = self.reader_auth
        if auth is None:
            raise ReaderAuthError("the request carries no readerAuth", code="mdoc.reader_auth_missing")
        if auth.payload is not None:
            raise ReaderAuthError("readerAuth must have a detached payload", code="mdoc.reader_auth_invalid")
        chain = auth.x5chain
        if not chain:
            raise ReaderAuthError("readerAuth has no x5chain", code="mdoc.reader_auth_invalid")
        try:
            cert = load_der_certificate(chain[0])
        except CertificateError:
            raise ReaderAuthError("readerAuth certificate is malformed", code="mdoc.reader_auth_invalid") from None
        try:
            auth.verify(cert.public_key(),  # type: ignore[arg-type]
                        detached_payload=reader_authentication_bytes(transcript, self.items_request_bytes))
        except (CryptoError, TypeError, ValueError, UnsupportedAlgorithm):
            raise ReaderAuthError("readerAuth signature does not verify over this session",
                                  code="mdoc.reader_auth_invalid") from None
        return cert


@dataclass(frozen=True, slots=True)
class DeviceRequest:
    doc_requests: tuple[DocRequest, ...]
    version: str = "1.0"

    @classmethod
    def from_cbor(cls, data: bytes) -> DeviceRequest:
        value = decode(data, allowed_tags=MDOC_TAGS, max_size=MAX_REQUEST)
        if not isinstance(value, Mapping) or not isinstance(value.get("version"), str):
            raise StructureError("DeviceRequest must be a map with a version")
        docs = value.get("docRequests")
        if not isinstance(docs, list) or not docs:
            raise StructureError("DeviceRequest must hold at least one DocRequest")
        return cls(tuple(DocRequest.from_cbor_value(d) for d in docs), value["version"])

    def to_cbor(self) -> bytes:
        return encode({"version": self.version, "docRequests": [d.to_cbor_value() for d in self.doc_requests]})
