"""Disclosures (RFC 9901 §4.2): ``[salt, claim name, value]`` or ``[salt, value]`` for array elements.

A disclosure is kept as the base64url string it arrived as; its digest is taken over the ASCII bytes of
that string (§4.2.3), never over a re-serialization of the JSON.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from specs.errors import DisclosureError, JoseDecodeError
from specs.jose import b64url_encode, b64url_json
from specs.slots import builder

__all__ = ["HASHERS", "HASH_ALGORITHMS", "RESERVED_NAMES", "Disclosure", "decoy_digest", "digest_of"]

#: ``_sd_alg`` values (IANA Named Information Hash Algorithm names) -> hashlib names.
HASH_ALGORITHMS = {"sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512"}
#: ... and their hashlib constructors (``hashlib.new`` by name is several times slower).
HASHERS = {"sha-256": hashlib.sha256, "sha-384": hashlib.sha384, "sha-512": hashlib.sha512}
RESERVED_NAMES = frozenset({"_sd", "..."})
SALT_BYTES = 16  # §9.3: 128 bits of entropy


def digest_of(encoded: str, alg: str = "sha-256") -> str:
    return b64url_encode(HASHERS[alg](encoded.encode("ascii")).digest())


def decoy_digest(rng: Callable[[int], bytes] = secrets.token_bytes, alg: str = "sha-256") -> str:
    """§4.2.5: a digest over random bytes, indistinguishable from a real one."""
    return b64url_encode(HASHERS[alg](rng(32)).digest())


@dataclass(frozen=True, slots=True)
class Disclosure:
    salt: str
    name: str | None  # None for an array element
    value: Any
    encoded: str

    @classmethod
    def create(cls, name: str | None, value: Any, rng: Callable[[int], bytes] = secrets.token_bytes) -> Disclosure:
        if name in RESERVED_NAMES:
            raise DisclosureError(f"claim name {name!r} is reserved", code="sdjwt.claim_reserved_name")
        salt = b64url_encode(rng(SALT_BYTES))
        array = [salt, value] if name is None else [salt, name, value]
        text = json.dumps(array, ensure_ascii=False, separators=(",", ":"))
        return cls(salt, name, value, b64url_encode(text.encode("utf-8")))

    @classmethod
    def parse(cls, encoded: str) -> Disclosure:
        try:
            array = b64url_json(encoded, "disclosure")
        except JoseDecodeError:
            raise DisclosureError("a disclosure is not base64url JSON", code="sdjwt.disclosure_malformed") from None
        if not isinstance(array, list) or len(array) not in (2, 3) or not isinstance(array[0], str):
            raise DisclosureError("a disclosure must be [salt, (name,) value]", code="sdjwt.disclosure_malformed")
        if len(array) == 2:
            return cls(array[0], None, array[1], encoded)
        name = array[1]
        if not isinstance(name, str):
            raise DisclosureError("a disclosure's claim name must be text", code="sdjwt.disclosure_malformed")
        if name in RESERVED_NAMES:
            raise DisclosureError("a disclosure uses a reserved claim name", code="sdjwt.claim_reserved_name")
        if cls is not Disclosure:
            return cls(array[0], name, array[2], encoded)
        return _build(array[0], name, array[2], encoded)

    def digest(self, alg: str = "sha-256") -> str:
        return digest_of(self.encoded, alg)


_build = builder(Disclosure)  # one per presented claim
