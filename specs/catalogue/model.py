"""Document types as data (one JSON file per type): what the issuer signs, the wallet shows, the verifier asks.

A claim's ``type`` is one of: ``string``, ``bool``, ``uint``, ``int``, ``date`` (full-date), ``datetime``,
``bytes``, ``jpeg`` (bytes starting with a JPEG marker), ``object`` (a map), ``enum`` (one of ``values``),
or ``array<T>`` of any of these. ``check_value`` enforces it so the issuer never signs a mistyped claim.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.errors import CatalogueError

__all__ = ["SCALAR_TYPES", "ClaimDefinition", "Display", "DocumentType", "Format"]

SCALAR_TYPES = frozenset({"string", "bool", "uint", "int", "date", "datetime", "bytes", "jpeg", "object", "enum"})
LANGUAGES = ("ko", "en")
_ARRAY = re.compile(r"^array<(.+)>$")


@dataclass(frozen=True, slots=True)
class Display:
    """Names in Korean and English (more languages may be added per file)."""

    names: Mapping[str, str]
    descriptions: Mapping[str, str] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True, slots=True)
class Format:
    kind: str  # "mso_mdoc" | "dc+sd-jwt"
    identifier: str  # doctype or vct


@dataclass(frozen=True, slots=True)
class ClaimDefinition:
    identifier: str
    type: str
    display: Display
    namespace: str | None = None  # mdoc namespace; None for SD-JWT-only claims
    mandatory: bool = False
    selectively_disclosable: bool = True
    privacy: str = "normal"  # "normal" | "identifying" | "sensitive"
    values: tuple[str, ...] = ()  # for enum
    pattern: bool = False  # identifier is a pattern such as age_over_NN

    def matches(self, identifier: str) -> bool:
        if not self.pattern:
            return identifier == self.identifier
        regex = "^" + re.escape(self.identifier).replace("NN", r"\d{2}").replace("xx", r"[a-z0-9_]{1,20}") + "$"
        return re.match(regex, identifier) is not None

    def check_value(self, value: Any) -> None:
        """Raise ``CatalogueError`` (``catalogue.claim_type``) unless ``value`` has this claim's type."""
        if not _fits(self.type, value, self.values):
            raise CatalogueError(f"claim {self.identifier} must be of type {self.type}", code="catalogue.claim_type")


def _fits(kind: str, value: Any, values: tuple[str, ...]) -> bool:
    array = _ARRAY.match(kind)
    if array:
        return isinstance(value, list | tuple) and all(_fits(array.group(1), v, values) for v in value)
    checks = {
        "string": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "uint": lambda v: type(v) is int and v >= 0,
        "int": lambda v: type(v) is int,
        "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
        "datetime": lambda v: isinstance(v, dt.datetime) and v.tzinfo is not None,
        "bytes": lambda v: isinstance(v, bytes),
        "jpeg": lambda v: isinstance(v, bytes) and v[:3] == b"\xff\xd8\xff",
        "object": lambda v: isinstance(v, Mapping),
        "enum": lambda v: isinstance(v, str) and v in values,
    }
    return bool(checks[kind](value))


@dataclass(frozen=True, slots=True)
class DocumentType:
    id: str
    display: Display
    authority: Display
    validity_days: int
    formats: tuple[Format, ...]
    claims: tuple[ClaimDefinition, ...]
    presets: Mapping[str, tuple[tuple[str | None, str], ...]]  # name -> ((namespace, identifier), ...)
    source: str = ""

    def display_name(self, lang: str) -> str:
        return self.display.name(lang)

    @property
    def doctype(self) -> str | None:
        return next((f.identifier for f in self.formats if f.kind == "mso_mdoc"), None)

    @property
    def vct(self) -> str | None:
        return next((f.identifier for f in self.formats if f.kind == "dc+sd-jwt"), None)

    def claim(self, namespace: str | None, identifier: str) -> ClaimDefinition:
        for claim in self.claims:
            if (namespace is None or claim.namespace == namespace) and claim.matches(identifier):
                return claim
        raise CatalogueError(f"{self.id} has no claim {identifier}", code="catalogue.unknown_claim")

    def selectively_disclosable(self, namespace: str | None, identifier: str) -> bool:
        return self.claim(namespace, identifier).selectively_disclosable

    def check_claims(self, claims: Mapping[str, Mapping[str, Any]] | Mapping[str, Any], *, mdoc: bool) -> None:
        """Every claim known and well typed, every mandatory claim present (issuer side)."""
        flat = ([(ns, k, v) for ns, m in claims.items() for k, v in m.items()] if mdoc
                else [(None, k, v) for k, v in claims.items()])
        for ns, key, value in flat:
            self.claim(ns, key).check_value(value)
        present = {(ns if mdoc else None, k) for ns, k, _ in flat}
        for claim in self.claims:
            if claim.mandatory and not claim.pattern and (claim.namespace if mdoc else None, claim.identifier) \
                    not in present:
                raise CatalogueError(f"{self.id} needs claim {claim.identifier}", code="catalogue.claim_missing")
