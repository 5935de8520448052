"""Rebuilding the claims from the issuer payload and the disclosures (RFC 9901 §7.1 steps 3-5).

Every rule of §7.1 that can fail has its own code: a digest referenced twice
(``sdjwt.disclosure_duplicate_digest``), the same disclosure twice (``sdjwt.disclosure_repeated``), a
disclosure nobody references (``sdjwt.disclosure_unreferenced``), an object disclosure in an array or an
array disclosure in an object (``sdjwt.disclosure_wrong_kind``), a disclosed name that already exists
(``sdjwt.claim_overwrite``), a malformed ``_sd`` or ``...`` (``sdjwt.claim_malformed_digests``), an ``_sd_alg``
that names no supported hash (``sdjwt.claim_sd_alg``, §4.1.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.errors import DisclosureError, SdJwtClaimError
from specs.jose import b64url_encode
from specs.sdjwt.disclosure import HASHERS, Disclosure
from specs.slots import builder

__all__ = ["Path", "Processed", "index_disclosures", "process"]

Path = tuple[str | int, ...]
MAX_DEPTH = 32
_PLAIN = frozenset({str, int, float, bool, type(None)})  # JSON values with nothing inside to walk


@dataclass(frozen=True, slots=True)
class Processed:
    claims: dict[str, Any]
    paths: Mapping[str, Path]  # digest -> where its disclosure's claim landed
    parents: Mapping[str, str | None]  # digest -> digest of the disclosure it is nested in


_build = builder(Processed)


def index_disclosures(disclosures: Sequence[Disclosure], alg: str) -> dict[str, Disclosure]:
    by_digest: dict[str, Disclosure] = {}
    hasher = HASHERS.get(alg) if isinstance(alg, str) else None  # the payload's _sd_alg, as a holder reads it too
    if hasher is None:
        raise SdJwtClaimError("_sd_alg names an unsupported hash", code="sdjwt.claim_sd_alg")
    for disclosure in disclosures:
        digest = b64url_encode(hasher(disclosure.encoded.encode("ascii")).digest())  # Disclosure.digest, inlined
        if digest in by_digest:
            raise DisclosureError("the same disclosure is presented twice", code="sdjwt.disclosure_repeated")
        by_digest[digest] = disclosure
    return by_digest


class _Walker:
    def __init__(self, by_digest: Mapping[str, Disclosure]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.paths: dict[str, Path] = {}
        self.parents: dict[str, str | None] = {}

    def _claim_digest(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise SdJwtClaimError("an _sd or ... digest is not text", code="sdjwt.claim_malformed_digests")
        if digest in self.seen:
            raise DisclosureError("a digest is referenced twice", code="sdjwt.disclosure_duplicate_digest")
        self.seen.add(digest)
        return self.by_digest.get(digest)  # unknown digests are decoys or undisclosed claims

    def value(self, value: Any, path: Path, parent: str | None, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise SdJwtClaimError("claims nest too deeply", code="sdjwt.claim_too_deep")
        if isinstance(value, dict):
            return self.obj(value, path, parent, depth)
        if isinstance(value, list):
            return self.array(value, path, parent, depth)
        return value

    def obj(self, value: Mapping[str, Any], path: Path, parent: str | None, depth: int) -> dict[str, Any]:
        # A plain member is kept as it is without a call to value(), which would only check the depth limit.
        plain = depth < MAX_DEPTH
        if plain and "_sd" not in value and _PLAIN.issuperset(map(type, value.values())):
            return dict(value)  # nothing to walk (a JWK, an address): what the loop below would build
        out = {k: v if plain and not isinstance(v, (dict, list)) else self.value(v, (*path, k), parent, depth + 1)
               for k, v in value.items() if k != "_sd"}
        digests = value.get("_sd", [])
        if not isinstance(digests, list):
            raise SdJwtClaimError("_sd must be an array", code="sdjwt.claim_malformed_digests")
        seen, by_digest, paths, parents = self.seen, self.by_digest, self.paths, self.parents
        for digest in digests:  # _claim_digest, inlined: one per digest of the payload, decoys included
            if not isinstance(digest, str):
                raise SdJwtClaimError("an _sd or ... digest is not text", code="sdjwt.claim_malformed_digests")
            if digest in seen:
                raise DisclosureError("a digest is referenced twice", code="sdjwt.disclosure_duplicate_digest")
            seen.add(digest)
            disclosure = by_digest.get(digest)
            if disclosure is None:
                continue
            name = disclosure.name
            if name is None:
                raise DisclosureError("an array-element disclosure is referenced from an object",
                                      code="sdjwt.disclosure_wrong_kind")
            if name in out:
                raise SdJwtClaimError("a disclosure would overwrite an existing claim", code="sdjwt.claim_overwrite")
            paths[digest] = where = (*path, name)
            parents[digest] = parent
            claim = disclosure.value  # a plain value is kept without a call to value(), as above
            out[name] = claim if plain and not isinstance(claim, (dict, list)) else self.value(claim, where, digest,
                                                                                                depth + 1)
        return out

    def array(self, value: list[Any], path: Path, parent: str | None, depth: int) -> list[Any]:
        out: list[Any] = []
        for element in value:
            if isinstance(element, dict) and "..." in element:
                if len(element) != 1:
                    raise SdJwtClaimError("an array digest object must hold only '...'",
                                          code="sdjwt.claim_malformed_digests")
                digest = element["..."]
                disclosure = self._claim_digest(digest)
                if disclosure is None:
                    continue  # a decoy or an element not disclosed: removed (§7.1 step 3.3.2)
                if disclosure.name is not None:
                    raise DisclosureError("an object disclosure is referenced from an array",
                                          code="sdjwt.disclosure_wrong_kind")
                self.paths[digest], self.parents[digest] = (*path, len(out)), parent
                out.append(self.value(disclosure.value, (*path, len(out)), digest, depth + 1))
            else:
                out.append(self.value(element, (*path, len(out)), parent, depth + 1))
        return out


def process(payload: Mapping[str, Any], by_digest: Mapping[str, Disclosure]) -> Processed:
    walker = _Walker(by_digest)
    claims = walker.obj(payload, (), None, 0)  # obj builds a new dict; the payload is not changed
    if len(walker.paths) != len(by_digest):  # each disclosure lands once (a digest is seen once) or not at all
        raise DisclosureError("a disclosure is not referenced by the SD-JWT", code="sdjwt.disclosure_unreferenced")
    claims.pop("_sd_alg", None)
    return _build(claims, walker.paths, walker.parents)
