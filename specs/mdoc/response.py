"""Document and DeviceResponse (ISO/IEC 18013-5 §8.3.2.1.2.2).

``DeviceResponse = {"version": "1.0", ? "documents": [+Document], ? "documentErrors": [+DocumentError],
"status": uint}``. One strict decoder reads the whole message; tag-24 parts keep their received bytes,
so ``DeviceResponse.from_cbor(data).to_cbor() == data`` for a canonically encoded response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.cbor import MAP, MDOC_TAGS, decode, encode
from specs.errors import StructureError
from specs.mdoc.device_signed import DeviceSigned
from specs.mdoc.issuer_signed import IssuerSigned

__all__ = ["MAX_RESPONSE_SIZE", "STATUS_OK", "DeviceResponse", "Document"]

MAX_RESPONSE_SIZE = 512 * 1024
STATUS_OK = 0  # §8.3.2.1.2.3: 0 OK, 10 general error, 11 CBOR decoding error, 12 CBOR validation error


@dataclass(frozen=True, slots=True)
class Document:
    doctype: str
    issuer_signed: IssuerSigned
    device_signed: DeviceSigned
    errors: Mapping[str, Mapping[str, int]] | None = None

    @classmethod
    def from_cbor_value(cls, value: Any) -> Document:
        if not isinstance(value, MAP):
            raise StructureError("Document must be a map")
        doctype = value.get("docType")
        if not isinstance(doctype, str):
            raise StructureError("Document docType must be text")
        if "issuerSigned" not in value or "deviceSigned" not in value:
            raise StructureError("Document must hold issuerSigned and deviceSigned")
        errors = value.get("errors")
        if errors is not None and not isinstance(errors, MAP):
            raise StructureError("Document errors must be a map")
        return cls(doctype, IssuerSigned.from_cbor_value(value["issuerSigned"]),
                   DeviceSigned.from_cbor_value(value["deviceSigned"]), errors)

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"docType": self.doctype, "issuerSigned": self.issuer_signed.to_cbor_value(),
                               "deviceSigned": self.device_signed.to_cbor_value()}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


@dataclass(frozen=True, slots=True)
class DeviceResponse:
    documents: tuple[Document, ...] = ()
    status: int = STATUS_OK
    version: str = "1.0"
    document_errors: tuple[Mapping[str, int], ...] = field(default=())

    @classmethod
    def from_cbor(cls, data: bytes, *, max_size: int = MAX_RESPONSE_SIZE) -> DeviceResponse:
        return cls.from_cbor_value(decode(data, allowed_tags=MDOC_TAGS, max_size=max_size))

    @classmethod
    def from_cbor_value(cls, value: Any) -> DeviceResponse:
        if not isinstance(value, MAP):
            raise StructureError("DeviceResponse must be a map")
        version, status = value.get("version"), value.get("status")
        if not isinstance(version, str) or not version.startswith("1."):
            raise StructureError("DeviceResponse version must be 1.x")
        if type(status) is not int or status < 0:
            raise StructureError("DeviceResponse status must be an unsigned integer")
        docs, errors = value.get("documents", []), value.get("documentErrors", [])
        if not isinstance(docs, list) or not isinstance(errors, list):
            raise StructureError("DeviceResponse documents and documentErrors must be arrays")
        if not all(isinstance(e, MAP) for e in errors):
            raise StructureError("DeviceResponse documentErrors must be maps")
        return cls(tuple(Document.from_cbor_value(d) for d in docs), status, version, tuple(errors))

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version}
        if self.documents:
            out["documents"] = [d.to_cbor_value() for d in self.documents]
        if self.document_errors:
            out["documentErrors"] = [dict(e) for e in self.document_errors]
        out["status"] = self.status
        return out

    def to_cbor(self) -> bytes:
        return encode(self.to_cbor_value())
