"""The preset DEFLATE dictionaries of the QR profile's versions (RFC 1950 §2.2 FDICT; ``specs/qr-presentation.md``
§3.3, whose listing is generated from this module by :func:`describe`).

A QR presentation is small, so zlib alone cannot learn the field names that make up a third of it: every
name occurs once or twice. Both sides prime DEFLATE with the same fixed bytes — the CBOR encodings of the
ISO/IEC 18013-5 structure names, our document types and common element names, and a few frequent byte
patterns — which saves about 170 bytes on an age check.

The dictionary is part of the profile version: the frame prefix (``MID2``) names the version, the version
fixes the dictionary, and every zlib stream carries the dictionary's Adler-32 (DICTID) in its header, which
the decoder checks against the version's dictionary before inflating (``qr.frame_dictionary``). Changing one
byte of a dictionary therefore requires a new version; ``tests/specs/qr/test_dictionary.py`` pins the
SHA-256 of each so that such a change cannot slip in under an old prefix.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import cbor2

__all__ = ["CURRENT", "DICTIONARIES", "DICTIONARY", "Part", "ProfileDictionary", "describe"]

# COSE protected header {1: -7}, an EC2 P-256 COSE_Key's head and y label, URL parts, a tag-24 bstr head.
_PATTERNS = (
    (bytes.fromhex("43a10126"), "bstr holding the COSE protected header {1: -7}"),
    (bytes.fromhex("a4010220012158"), "head of an EC2 P-256 COSE_Key up to the x coordinate's bstr head"),
    (bytes.fromhex("225820"), "label -3 and a 32-byte bstr head"),
    (b"https://", None), (b"http://", None), (b"/status/", None),
    (bytes.fromhex("d81858"), "tag 24 with a 1-byte bstr length head"),
    (bytes.fromhex("c074"), "tag 0 with a 20-character tstr head"),
    (b"T00:00:00Z", None),
)
# Profile version MID1: the ISO/IEC 18013-5 structure names, our document types, the age elements.
_NAMES_MID1 = (
    "resp", "req", "version", "1.0", "documents", "docType", "issuerSigned", "nameSpaces", "issuerAuth",
    "deviceSigned", "deviceAuth", "deviceSignature", "deviceMac", "status", "digestAlgorithm", "SHA-256",
    "valueDigests", "deviceKeyInfo", "deviceKey", "keyAuthorizations", "validityInfo", "signed", "validFrom",
    "validUntil", "expectedUpdate", "status_list", "idx", "uri", "digestID", "random", "elementIdentifier",
    "elementValue", "kr.mobileid.age.1", "org.iso.18013.5.1.mDL", "org.iso.18013.5.1", "kr.mobileid.mdl.1",
    "age_over_14", "age_over_19", "age_over_65", "family_name", "given_name", "portrait", "birth_date", "mdoc",
    "sd-jwt",
)
# Added in MID2: the ISO/IEC 18013-5 Table 5 elements a licence check releases, and the Korean licence
# namespace's (a licence without its portrait then fits two version-25 codes instead of three).
_NAMES_MID2 = (
    "issue_date", "expiry_date", "issuing_country", "issuing_authority", "document_number", "driving_privileges",
    "vehicle_category_code", "un_distinguishing_sign", "administrative_number", "sex", "nationality",
    "resident_address", "age_in_years", "age_birth_year", "issuing_jurisdiction", "family_name_national_character",
    "given_name_national_character", "licence_classes", "conditions", "aptitude_test_due_date", "licence_serial",
    "KR", "ROK",
)
# Also added in MID2: the structures of a QrResponse and of its mdoc DeviceResponse in the order the reference
# encoder writes them (a text part is its CBOR text string, a bytes part is raw). One DEFLATE match then covers
# a run of structure that separate names cost several matches for: about 85 bytes less on an age check.
Part = str | bytes
_H = bytes.fromhex
_TEMPLATES_MID2: tuple[tuple[Part, ...], ...] = (
    (_H("d903ec6a"),),  # tag 1004 (full-date) with a 10-character tstr head
    (_H("82"), "resp", _H("a6"), "v", _H("01"), "m", _H("02"), "f", "mdoc", "d", _H("59")),
    (_H("a4"), "v", _H("01"), "m", _H("01"), "f", "mdoc", "d", _H("59")),
    (_H("a3"), "version", "1.0", "documents", _H("81a3"), "docType"),
    ("issuerSigned", _H("a2"), "nameSpaces", _H("a1")),
    (_H("d81858a4"), "digestID"),
    ("random", _H("50")),
    ("elementIdentifier",),
    ("elementValue",),
    ("issuerAuth", _H("8443a10126a10448")),
    (_H("5901d8185901a7"), "version", "1.0", "digestAlgorithm", "SHA-256", "valueDigests", _H("a1")),
    ("deviceKeyInfo", _H("a1"), "deviceKey", _H("a401022001215820")),
    (_H("225820"),),
    ("validityInfo", _H("a3"), "signed", _H("c074")),
    ("validFrom", _H("c074")),
    ("validUntil", _H("c074")),
    ("status", _H("a1"), "status_list", _H("a2"), "idx"),
    ("uri", _H("78")),
    (_H("5840"),),
    ("deviceSigned", _H("a2"), "nameSpaces", _H("d81841a0"), "deviceAuth", _H("a1"), "deviceSignature",
     _H("8443a10126a0f65840")),
    ("status", _H("00"), "n", _H("50"), "t", _H("1a")),
)


def _part_bytes(part: Part) -> bytes:
    return cbor2.dumps(part) if isinstance(part, str) else part


@dataclass(frozen=True, slots=True)
class ProfileDictionary:
    """One version's dictionary: the one it extends (or the byte patterns), then the CBOR text-string
    encoding of each name it adds, then its templates."""

    version: str
    base: str | None
    names: tuple[str, ...]
    templates: tuple[tuple[Part, ...], ...]
    data: bytes
    dictid: int = field(init=False)  # RFC 1950 §2.2 DICTID: the Adler-32 of ``data``, in every stream's header

    def __post_init__(self) -> None:
        # Computed once: every frame's header is checked against it before inflating.
        object.__setattr__(self, "dictid", zlib.adler32(self.data))

    @classmethod
    def build(cls, version: str, names: tuple[str, ...], *, base: ProfileDictionary | None = None,
              templates: tuple[tuple[Part, ...], ...] = ()) -> ProfileDictionary:
        head = base.data if base is not None else b"".join(p for p, _ in _PATTERNS)
        data = head + b"".join(cbor2.dumps(name) for name in names) + b"".join(
            _part_bytes(part) for template in templates for part in template)
        return cls(version, base.version if base else None, names, templates, data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


_MID1 = ProfileDictionary.build("MID1", _NAMES_MID1)
DICTIONARIES: Mapping[str, ProfileDictionary] = MappingProxyType({
    "MID1": _MID1,
    "MID2": ProfileDictionary.build("MID2", _NAMES_MID2, base=_MID1, templates=_TEMPLATES_MID2),
})
CURRENT = "MID2"  # the version encoders write; decoders accept every version in DICTIONARIES
DICTIONARY: bytes = DICTIONARIES[CURRENT].data


def _pattern_text(pattern: bytes, what: str | None) -> str:
    if what is None:
        return f"ASCII `{pattern.decode('ascii')}`"
    return f"`{pattern.hex(' ')}` ({what})"


def _wrap(items: list[str], indent: str = "   ") -> str:
    """Markdown list item body: ``items`` joined by commas, wrapped at 110 characters."""
    lines: list[str] = []
    line = ""
    for item in items:
        if line and len(indent) + len(line) + 1 + len(item) > 110:
            lines.append(line)
            line = ""
        line = f"{line} {item}" if line else item
    lines.append(line)
    return "\n".join(indent + text for text in lines)


def _names_text(names: tuple[str, ...]) -> str:
    return _wrap([f"`{name}`" + ("," if i < len(names) - 1 else ".") for i, name in enumerate(names)])


def _template_text(template: tuple[Part, ...]) -> str:
    return "`" + " ".join(f'"{p}"' if isinstance(p, str) else p.hex(" ") for p in template) + "`"


_NAME_RULE = ("its CBOR encoding as a text string (major type 3\n   head in preferred serialization followed by the "
              "UTF-8 bytes; e.g. `resp` -> `64 72 65 73 70`)")


def describe(version: str = CURRENT) -> str:
    """The Markdown listing of ``version``'s dictionary, as ``specs/qr-presentation.md`` §3.3 prints it."""
    entry = DICTIONARIES[version]
    head = (f"`{version}`: {len(entry.data)} bytes, DICTID `0x{entry.dictid:08X}`, SHA-256\n"
            f"`{entry.sha256}`; the concatenation, in this order, of\n\n")
    if entry.base is None:
        patterns = ";\n".join(f"   {_pattern_text(p, w)}" for p, w in _PATTERNS)
        first = f"1. {len(_PATTERNS)} byte patterns:\n{patterns};\n"
    else:
        base = DICTIONARIES[entry.base]
        first = f"1. the `{base.version}` dictionary ({len(base.data)} bytes, above);\n"
    out = head + first + (f"2. for each of these {len(entry.names)} names in this order, {_NAME_RULE}:\n"
                          + _names_text(entry.names) + "\n")
    if entry.templates:
        out += (f"3. these {len(entry.templates)} byte strings, in this order (`\"x\"` stands for the CBOR text "
                "string `x` as in 2., hex digits\n   for raw bytes):\n"
                + _wrap([_template_text(t) + (";" if i < len(entry.templates) - 1 else ".")
                         for i, t in enumerate(entry.templates)]) + "\n")
    return out
