"""IssuerSignedItem (ISO/IEC 18013-5 §8.3.2.1.2.2) and its digest (§9.1.2.5).

``IssuerSignedItemBytes = #6.24(bstr .cbor IssuerSignedItem)``; the MSO digest is taken over the
encoding of that tag-24 item exactly as received, never over a re-encoding.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from specs.cbor import MAP, EncodedCBOR
from specs.cbor.raw import tag24
from specs.errors import StructureError
from specs.slots import builder

__all__ = ["DIGEST_ALGORITHMS", "HASHERS", "MIN_RANDOM_LENGTH", "IssuerSignedItem"]

#: MSO digestAlgorithm names (§9.1.2.5) -> hashlib names.
DIGEST_ALGORITHMS = {"SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
MIN_RANDOM_LENGTH = 16  # §9.1.2.5: "random" at least 16 bytes
HASHERS = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}


@dataclass(frozen=True, slots=True)
class IssuerSignedItem:
    digest_id: int
    random: bytes
    element_identifier: str
    element_value: Any
    encoded: EncodedCBOR  # IssuerSignedItemBytes as received (or as built once, at issuance)

    @classmethod
    def create(cls, digest_id: int, random: bytes, element_identifier: str,
               element_value: Any) -> IssuerSignedItem:
        if len(random) < MIN_RANDOM_LENGTH:
            raise ValueError("IssuerSignedItem random must be at least 16 bytes")
        encoded = EncodedCBOR.wrap({"digestID": digest_id, "random": random,
                                    "elementIdentifier": element_identifier, "elementValue": element_value})
        return cls(digest_id, random, element_identifier, element_value, encoded)

    @classmethod
    def from_cbor_value(cls, value: Any) -> IssuerSignedItem:
        if not isinstance(value, EncodedCBOR):
            raise StructureError("IssuerSignedItemBytes must be tag 24")
        return cls.from_decoded(value.decode(), value)

    @classmethod
    def from_decoded(cls, item: Any, value: EncodedCBOR) -> IssuerSignedItem:
        """Build from the decoded content of ``value`` (callers may decode many items in one pass)."""
        if not isinstance(item, MAP):
            raise StructureError("IssuerSignedItem must be a map")
        get = item.get
        digest_id, random, identifier = get("digestID"), get("random"), get("elementIdentifier")
        if digest_id.__class__ is not int or digest_id < 0:
            raise StructureError("IssuerSignedItem digestID must be an unsigned integer")
        if not isinstance(random, bytes) or len(random) < MIN_RANDOM_LENGTH:
            raise StructureError("IssuerSignedItem random must be a bstr of at least 16 bytes")
        if not isinstance(identifier, str) or "elementValue" not in item or len(item) != 4:
            raise StructureError("IssuerSignedItem must hold exactly digestID, random, "
                                 "elementIdentifier and elementValue")
        if cls is not IssuerSignedItem:
            return cls(digest_id, random, identifier, item["elementValue"], value)
        return _build(digest_id, random, identifier, item["elementValue"], value)

    def to_cbor_value(self) -> EncodedCBOR:
        return self.encoded

    def digest(self, algorithm: str = "SHA-256") -> bytes:
        """§9.1.2.5: the digest of IssuerSignedItemBytes (the tag-24 item, as received)."""
        return HASHERS[algorithm](tag24(self.encoded.data)).digest()


_build = builder(IssuerSignedItem)  # a verifier builds one per presented element
