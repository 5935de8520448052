"""The SD-JWT compact form (RFC 9901 §4): ``<JWT>~<Disclosure 1>~...~<Disclosure N>~[<KB-JWT>]``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from specs.errors import JoseDecodeError
from specs.sdjwt.disclosure import Disclosure
from specs.slots import builder

__all__ = ["MAX_SD_JWT_SIZE", "SdJwt", "split_sd_jwt"]

MAX_SD_JWT_SIZE = 256 * 1024
MAX_DISCLOSURES = 1024


def split_sd_jwt(text: str) -> list[str]:
    """The ``~``-separated components of an SD-JWT (§4), checked for size, count and emptiness: the issuer JWT,
    each disclosure as it arrived, and the KB-JWT or ``""``."""
    if not isinstance(text, str) or len(text) > MAX_SD_JWT_SIZE:
        raise JoseDecodeError("SD-JWT is not text or is too large")
    parts = text.strip().split("~")
    if len(parts) < 2:
        raise JoseDecodeError("an SD-JWT has at least one '~' (RFC 9901 §4)")
    if len(parts) - 2 > MAX_DISCLOSURES:
        raise JoseDecodeError("SD-JWT carries too many disclosures")
    if not all(parts[1:-1]) or not parts[0]:
        raise JoseDecodeError("SD-JWT has an empty component")
    return parts


@dataclass(frozen=True, slots=True)
class SdJwt:
    issuer_jwt: str
    disclosures: tuple[Disclosure, ...]
    kb_jwt: str | None = None

    @classmethod
    def parse(cls, text: str) -> SdJwt:
        parts = split_sd_jwt(text)
        kb = parts[-1] or None
        disclosures = tuple([Disclosure.parse(p) for p in parts[1:-1]])
        return _build(parts[0], disclosures, kb) if cls is SdJwt else cls(parts[0], disclosures, kb)

    def without_kb(self) -> str:
        """``<JWT>~<D1>~...~<DN>~``: what the KB-JWT's sd_hash covers (§4.3.1)."""
        return "~".join([self.issuer_jwt, *[d.encoded for d in self.disclosures], ""])

    def serialize(self) -> str:
        return self.without_kb() + (self.kb_jwt or "")

    def with_disclosures(self, disclosures: Iterable[Disclosure]) -> SdJwt:
        return SdJwt(self.issuer_jwt, tuple(disclosures), None)

    def with_kb(self, kb_jwt: str) -> SdJwt:
        return SdJwt(self.issuer_jwt, self.disclosures, kb_jwt)


_build = builder(SdJwt)
