"""IssuerSigned (ISO/IEC 18013-5 §8.3.2.1.2.2): the issuer's items and issuerAuth (§9.1.2.4).

``issuerAuth`` is a COSE_Sign1 whose payload is ``MobileSecurityObjectBytes`` (tag 24); the x5chain
with the document-signer certificate is in its unprotected header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from specs.cbor import MAP, EncodedCBOR, decode
from specs.cbor.codec import decode_each
from specs.cbor.raw import unwrap_tag24
from specs.cose import CoseSign1
from specs.errors import CertificateError, IssuerAuthError, StructureError
from specs.mdoc.items import IssuerSignedItem
from specs.mdoc.mso import MobileSecurityObject
from specs.x509.load import load_der_certificate

__all__ = ["IssuerSigned"]

_MAX_MSO = 128 * 1024


@dataclass(frozen=True, slots=True)
class IssuerSigned:
    namespaces: Mapping[str, tuple[IssuerSignedItem, ...]]
    issuer_auth: CoseSign1
    mso_bytes: EncodedCBOR
    mso: MobileSecurityObject

    @classmethod
    def from_cbor_value(cls, value: Any) -> IssuerSigned:
        if not isinstance(value, MAP) or "issuerAuth" not in value:
            raise StructureError("IssuerSigned must be a map with issuerAuth")
        spaces = value.get("nameSpaces", {})
        if not isinstance(spaces, MAP):
            raise StructureError("IssuerSigned nameSpaces must be a map")
        chunks: list[bytes] = []
        for ns, items in spaces.items():
            if not isinstance(ns, str) or not isinstance(items, list) or not items:
                raise StructureError("IssuerNameSpaces must map text to non-empty arrays")
            for item in items:
                if not isinstance(item, EncodedCBOR):
                    raise StructureError("IssuerSignedItemBytes must be tag 24")
                chunks.append(item.data)
        # Every item of the document in one strict decoding pass (each must fill its own bytes exactly).
        decoded = iter(decode_each(chunks))
        from_decoded = IssuerSignedItem.from_decoded
        namespaces = {ns: tuple([from_decoded(next(decoded), i) for i in items]) for ns, items in spaces.items()}
        issuer_auth = CoseSign1.from_cbor_value(value["issuerAuth"])
        mso_bytes = _mso_bytes(issuer_auth)
        return cls(namespaces, issuer_auth, mso_bytes, MobileSecurityObject.from_bytes(mso_bytes))

    @classmethod
    def from_cbor(cls, data: bytes) -> IssuerSigned:
        return cls.from_cbor_value(decode(data))

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.namespaces:
            out["nameSpaces"] = {ns: [i.encoded for i in items] for ns, items in self.namespaces.items()}
        out["issuerAuth"] = self.issuer_auth.to_cbor_value()
        return out

    def to_cbor(self) -> bytes:
        from specs.cbor import encode

        return encode(self.to_cbor_value())

    @property
    def doctype(self) -> str:
        return self.mso.doctype

    def certificates(self) -> tuple[x509.Certificate, ...]:
        """The x5chain of issuerAuth (document signer first), parsed."""
        chain = self.issuer_auth.x5chain
        if not chain:
            raise IssuerAuthError("issuerAuth carries no x5chain", code="mdoc.issuer_certificate_missing")
        try:
            return tuple(load_der_certificate(c) for c in chain)
        except CertificateError:
            raise IssuerAuthError("issuerAuth x5chain holds a malformed certificate",
                                  code="mdoc.issuer_certificate_invalid") from None

    def select(self, selection: Mapping[str, tuple[str, ...] | list[str]]) -> IssuerSigned:
        """Only the items named in ``selection`` (namespace -> element identifiers); same issuerAuth."""
        chosen: dict[str, tuple[IssuerSignedItem, ...]] = {}
        for ns, wanted in selection.items():
            items = tuple(i for i in self.namespaces.get(ns, ()) if i.element_identifier in wanted)
            if items:
                chosen[ns] = items
        return IssuerSigned(chosen, self.issuer_auth, self.mso_bytes, self.mso)


def _mso_bytes(issuer_auth: CoseSign1) -> EncodedCBOR:
    if issuer_auth.payload is None:
        raise StructureError("issuerAuth must carry the MSO as its payload")
    content = unwrap_tag24(issuer_auth.payload)
    if content is not None:
        return EncodedCBOR(content)
    value = decode(issuer_auth.payload, max_size=_MAX_MSO)  # the strict decoder names what is wrong
    if not isinstance(value, EncodedCBOR):
        raise StructureError("issuerAuth payload must be MobileSecurityObjectBytes (tag 24)")
    return value
