"""VICAL, the Verified Issuer Certificate Authority List (ISO/IEC 18013-5:2021 Annex C.1.7).

A VICAL is a ``COSE_Sign1`` whose payload is the CBOR ``VICAL`` map below, signed by a VICAL signer
certificate (extended key usage ``1.0.18013.5.1.8``, Annex C.1.7.2) carried in ``x5chain``::

    VICAL = {"version": tstr, "vicalProvider": tstr, "date": tdate, ? "vicalIssueID": uint,
             ? "nextUpdate": tdate, "certificateInfos": [* CertificateInfo], ? "extensions": {...}}
    CertificateInfo = {"certificate": bstr, "serialNumber": biguint, "ski": bstr, "docType": [+ tstr],
             ? "certificateProfile": [+ tstr], ? "issuingAuthority": tstr, ? "issuingCountry": tstr,
             ? "notBefore": tdate, ? "notAfter": tdate, ...}

Verification (``verify_vical``) checks the signature, the signer's chain to the provider's root and its
VICAL profile, that ``nextUpdate`` has not passed, and that every listed certificate matches its own
``serialNumber``/``ski`` and is an IACA by the Annex B profile. The signed payload bytes are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from specs.cbor import decode, encode
from specs.crypto import Signer
from specs.errors import MobileIdError, StructureError, TrustError
from specs.trust.signed import open_signed, sign_payload
from specs.x509 import CertificateRole, TrustStore, check_profile
from specs.x509.load import load_der_certificate

__all__ = ["CertificateInfo", "Vical", "VicalError", "sign_vical", "verify_vical"]

_TAGS = frozenset({0, 2})  # tdate and biguint
_MAX_VICAL = 2 * 1024 * 1024


class VicalError(TrustError):
    """The VICAL is malformed, unsigned by a trusted provider, out of date, or lists a bad certificate."""

    code = "trust.vical"


def _cert(der: bytes) -> x509.Certificate:
    try:
        return load_der_certificate(der)
    except MobileIdError:
        raise VicalError("a VICAL entry holds no valid certificate", code="trust.vical_certificate") from None


def _ski(cert: x509.Certificate) -> bytes:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        raise VicalError("a VICAL certificate has no subjectKeyIdentifier", code="trust.vical_certificate") from None


def _serial(value: Any) -> int:
    if isinstance(value, cbor2.CBORTag) and value.tag == 2 and isinstance(value.value, bytes):
        return int.from_bytes(value.value, "big")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise StructureError("serialNumber must be a biguint")


def _tdate(value: Any, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise StructureError(f"{name} must be a tdate")
    return value


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """One trusted IACA certificate and the document types it may issue (Annex C.1.7.1)."""

    certificate: bytes
    serial_number: int
    ski: bytes
    doc_types: tuple[str, ...]
    issuing_authority: str | None = None
    issuing_country: str | None = None

    @classmethod
    def for_certificate(cls, cert: x509.Certificate, doc_types: tuple[str, ...], *,
                        issuing_authority: str | None = None) -> CertificateInfo:
        countries = cert.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
        return cls(cert.public_bytes(serialization.Encoding.DER), cert.serial_number, _ski(cert), doc_types,
                   issuing_authority, str(countries[0].value) if countries else None)

    def x509(self) -> x509.Certificate:
        return _cert(self.certificate)

    def to_cbor_value(self) -> dict[str, Any]:
        size = max(1, (self.serial_number.bit_length() + 7) // 8)
        out: dict[str, Any] = {"certificate": self.certificate,
                               "serialNumber": cbor2.CBORTag(2, self.serial_number.to_bytes(size, "big")),
                               "ski": self.ski, "docType": list(self.doc_types)}
        if self.issuing_authority is not None:
            out["issuingAuthority"] = self.issuing_authority
        if self.issuing_country is not None:
            out["issuingCountry"] = self.issuing_country
        return out

    @classmethod
    def from_cbor_value(cls, value: Any) -> CertificateInfo:
        if not isinstance(value, Mapping):
            raise StructureError("CertificateInfo must be a map")
        cert, ski, doc_types = value.get("certificate"), value.get("ski"), value.get("docType")
        if not isinstance(cert, bytes) or not isinstance(ski, bytes):
            raise StructureError("CertificateInfo needs certificate and ski byte strings")
        if not isinstance(doc_types, list) or not doc_types or not all(isinstance(d, str) for d in doc_types):
            raise StructureError("CertificateInfo docType must be a non-empty array of text")
        authority, country = value.get("issuingAuthority"), value.get("issuingCountry")
        for optional in (authority, country):
            if optional is not None and not isinstance(optional, str):
                raise StructureError("issuingAuthority / issuingCountry must be text")
        return cls(cert, _serial(value.get("serialNumber")), ski, tuple(doc_types), authority, country)


@dataclass(frozen=True, slots=True)
class Vical:
    """The VICAL payload (Annex C.1.7.1)."""

    provider: str
    date: dt.datetime
    certificate_infos: tuple[CertificateInfo, ...]
    issue_id: int | None = None
    next_update: dt.datetime | None = None
    version: str = "1.0"

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "vicalProvider": self.provider,
                               "date": self.date.replace(microsecond=0)}
        if self.issue_id is not None:
            out["vicalIssueID"] = self.issue_id
        if self.next_update is not None:
            out["nextUpdate"] = self.next_update.replace(microsecond=0)
        out["certificateInfos"] = [c.to_cbor_value() for c in self.certificate_infos]
        return out

    def to_cbor(self) -> bytes:
        return encode(self.to_cbor_value())

    @classmethod
    def from_cbor(cls, data: bytes) -> Vical:
        value = decode(data, allowed_tags=_TAGS, max_size=_MAX_VICAL)
        if not isinstance(value, Mapping):
            raise StructureError("VICAL must be a map")
        version, provider, infos = value.get("version"), value.get("vicalProvider"), value.get("certificateInfos")
        if not isinstance(version, str) or not isinstance(provider, str) or not isinstance(infos, list):
            raise StructureError("VICAL needs version, vicalProvider and certificateInfos")
        issue_id = value.get("vicalIssueID")
        if issue_id is not None and (not isinstance(issue_id, int) or isinstance(issue_id, bool) or issue_id < 0):
            raise StructureError("vicalIssueID must be an unsigned integer")
        nxt = value.get("nextUpdate")
        return cls(provider, _tdate(value.get("date"), "date"),
                   tuple(CertificateInfo.from_cbor_value(i) for i in infos), issue_id,
                   None if nxt is None else _tdate(nxt, "nextUpdate"), version)

    def trust_store(self, doc_type: str | None = None) -> TrustStore:
        """The IACA certificates listed (for ``doc_type`` when given) as trust anchors."""
        return TrustStore.of([i.x509() for i in self.certificate_infos if doc_type is None or doc_type in i.doc_types])


def sign_vical(vical: Vical, signer: Signer, chain: tuple[x509.Certificate, ...]) -> bytes:
    """``COSE_Sign1`` over the VICAL, with the signer's certificate chain in ``x5chain`` (Annex C.1.7)."""
    return sign_payload(vical.to_cbor(), signer, chain)


def verify_vical(data: bytes, roots: TrustStore, *, now: dt.datetime) -> Vical:
    """Verify a signed VICAL against the provider's ``roots`` at ``now``; raise ``VicalError`` otherwise."""
    vical = open_signed(data, roots, now=now, max_size=_MAX_VICAL, what="VICAL", parse=Vical.from_cbor,
                        error=VicalError, code="trust.vical_signature")
    if vical.next_update is not None and now > vical.next_update:
        raise VicalError("the VICAL is past its nextUpdate", code="trust.vical_stale")
    for info in vical.certificate_infos:
        cert = info.x509()
        if cert.serial_number != info.serial_number or _ski(cert) != info.ski:
            raise VicalError("a VICAL entry's serialNumber or ski does not match its certificate",
                             code="trust.vical_certificate")
        try:
            check_profile(cert, CertificateRole.IACA)
        except MobileIdError as exc:
            raise VicalError(f"a VICAL entry is not an IACA ({exc.code})", code="trust.vical_certificate") from None
    return vical
