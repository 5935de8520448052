"""The preset DEFLATE dictionary of profile version MID1 (RFC 1950 §2.2 FDICT; ``specs/qr-presentation.md``).

A QR presentation is small, so zlib alone cannot learn the field names that make up a third of it: every
name occurs once or twice. Both sides prime DEFLATE with the same fixed bytes — the CBOR encodings of the
ISO/IEC 18013-5 structure names, our document types and common element names, and a few frequent byte
patterns — which saves about 170 bytes on an age check. The dictionary is part of the profile version:
changing one byte of it requires a new prefix (``MID2``).
"""

from __future__ import annotations

import cbor2

__all__ = ["DICTIONARY"]

_NAMES = (
    "resp", "req", "version", "1.0", "documents", "docType", "issuerSigned", "nameSpaces", "issuerAuth",
    "deviceSigned", "deviceAuth", "deviceSignature", "deviceMac", "status", "digestAlgorithm", "SHA-256",
    "valueDigests", "deviceKeyInfo", "deviceKey", "keyAuthorizations", "validityInfo", "signed", "validFrom",
    "validUntil", "expectedUpdate", "status_list", "idx", "uri", "digestID", "random", "elementIdentifier",
    "elementValue", "kr.mobileid.age.1", "org.iso.18013.5.1.mDL", "org.iso.18013.5.1", "kr.mobileid.mdl.1",
    "age_over_14", "age_over_19", "age_over_65", "family_name", "given_name", "portrait", "birth_date", "mdoc",
    "sd-jwt",
    # ISO/IEC 18013-5 Table 5 elements a licence check releases, and the Korean licence namespace's.
    "issue_date", "expiry_date", "issuing_country", "issuing_authority", "document_number", "driving_privileges",
    "vehicle_category_code", "un_distinguishing_sign", "administrative_number", "sex", "nationality",
    "resident_address", "age_in_years", "age_birth_year", "issuing_jurisdiction", "family_name_national_character",
    "given_name_national_character", "licence_classes", "conditions", "aptitude_test_due_date", "licence_serial",
    "KR", "ROK",
)
# COSE protected header {1: -7}, an EC2 P-256 COSE_Key's head and y label, URL parts, a tag-24 bstr head.
_PATTERNS = (bytes.fromhex("43a10126"), bytes.fromhex("a4010220012158"), bytes.fromhex("225820"), b"https://",
             b"http://", b"/status/", bytes.fromhex("d81858"), bytes.fromhex("c074"), b"T00:00:00Z")

DICTIONARY: bytes = b"".join(_PATTERNS) + b"".join(cbor2.dumps(name) for name in _NAMES)
