"""The one registry of document types: the issuer, wallet and verifier all read types through it.

Types are JSON files (``specs/catalogue/types/*.json``, format in ``specs/catalogue/README.md`` and
``type.schema.json``); adding a type is adding a file. Every file is validated on load by hand-written
strict checks (no jsonschema dependency), each failure a ``CatalogueError`` naming the file and field.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from specs.catalogue.model import LANGUAGES, SCALAR_TYPES, ClaimDefinition, Display, DocumentType, Format
from specs.errors import CatalogueError, UnknownDocumentTypeError

__all__ = ["Catalogue"]

_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_FORMATS = {"mso_mdoc": "doctype", "dc+sd-jwt": "vct"}
_CLAIM_KEYS = {"id", "type", "display", "namespace", "mandatory", "sd", "privacy", "values", "pattern"}
_TYPE_KEYS = {"$schema", "id", "display", "authority", "validity_days", "formats", "claims", "presets"}


def _bad(source: str, where: str, what: str) -> CatalogueError:
    return CatalogueError(f"{source}: {where}: {what}", code="catalogue.invalid_type_file")


def _display(source: str, where: str, value: Any) -> Display:
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), Mapping):
        raise _bad(source, where, "needs a name map")
    names, descriptions = value["name"], value.get("description", {})
    for lang_map in (names, descriptions):
        if not isinstance(lang_map, Mapping) or not all(
                isinstance(k, str) and re.match(r"^[a-z]{2}$", k) and isinstance(v, str) and v
                for k, v in lang_map.items()):
            raise _bad(source, where, "display texts must map two-letter languages to text")
    missing = [lang for lang in LANGUAGES if lang not in names]
    if missing:
        raise _bad(source, where, f"display name missing in {', '.join(missing)}")
    return Display(dict(names), dict(descriptions))


def _kind(source: str, where: str, kind: Any) -> str:
    inner = kind
    while isinstance(inner, str) and inner.startswith("array<") and inner.endswith(">"):
        inner = inner[6:-1]
    if not isinstance(inner, str) or inner not in SCALAR_TYPES:
        raise _bad(source, where, f"unknown claim type {kind!r}")
    return str(kind)


def _claim(source: str, index: int, value: Any) -> ClaimDefinition:
    where = f"claims[{index}]"
    if not isinstance(value, Mapping):
        raise _bad(source, where, "must be an object")
    if set(value) - _CLAIM_KEYS:
        raise _bad(source, where, f"unknown field(s) {sorted(set(value) - _CLAIM_KEYS)}")
    identifier = value.get("id")
    if not isinstance(identifier, str) or not identifier:
        raise _bad(source, where, "id must be text")
    kind = _kind(source, where, value.get("type"))
    values = value.get("values", [])
    if ("enum" in kind) != bool(values) or not all(isinstance(v, str) for v in values):
        raise _bad(source, where, "enum claims (and only they) list their values")
    flags = {k: value.get(k, d) for k, d in (("mandatory", False), ("sd", True), ("pattern", False))}
    if not all(isinstance(v, bool) for v in flags.values()):
        raise _bad(source, where, "mandatory, sd and pattern must be booleans")
    privacy = value.get("privacy", "normal")
    if privacy not in ("normal", "identifying", "sensitive"):
        raise _bad(source, where, "privacy must be normal, identifying or sensitive")
    namespace = value.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise _bad(source, where, "namespace must be text")
    return ClaimDefinition(identifier, kind, _display(source, where, value.get("display")), namespace,
                           flags["mandatory"], flags["sd"], privacy, tuple(values), flags["pattern"])


def parse_type(source: str, value: Any) -> DocumentType:
    if not isinstance(value, Mapping):
        raise _bad(source, "top level", "must be an object")
    unknown = set(value) - _TYPE_KEYS
    if unknown:
        raise _bad(source, "top level", f"unknown field(s) {sorted(unknown)}")
    type_id = value.get("id")
    if not isinstance(type_id, str) or not _ID.match(type_id):
        raise _bad(source, "id", "must be lower-case letters, digits and _")
    days = value.get("validity_days")
    if type(days) is not int or days <= 0:
        raise _bad(source, "validity_days", "must be a positive integer")
    formats = value.get("formats")
    if not isinstance(formats, Mapping) or not formats or set(formats) - set(_FORMATS):
        raise _bad(source, "formats", "must name mso_mdoc and/or dc+sd-jwt")
    parsed_formats: list[Format] = []
    for kind, spec in formats.items():
        ident = spec.get(_FORMATS[kind]) if isinstance(spec, Mapping) else None
        if not isinstance(ident, str) or not ident:
            raise _bad(source, f"formats.{kind}", f"needs {_FORMATS[kind]}")
        parsed_formats.append(Format(kind, ident))
    raw_claims = value.get("claims")
    if not isinstance(raw_claims, list) or not raw_claims:
        raise _bad(source, "claims", "must be a non-empty array")
    claims = tuple(_claim(source, i, c) for i, c in enumerate(raw_claims))
    keys = [(c.namespace, c.identifier) for c in claims]
    if len(set(keys)) != len(keys):
        raise _bad(source, "claims", "a claim is defined twice")
    if "mso_mdoc" in formats and any(c.namespace is None for c in claims):
        raise _bad(source, "claims", "an mdoc type names the namespace of every claim")
    presets = _presets(source, value.get("presets", {}), claims)
    return DocumentType(type_id, _display(source, "display", value.get("display")),
                        _display(source, "authority", value.get("authority")), days, tuple(parsed_formats), claims,
                        presets, source)


Presets = dict[str, tuple[tuple[str | None, str], ...]]


def _presets(source: str, value: Any, claims: tuple[ClaimDefinition, ...]) -> Presets:
    if not isinstance(value, Mapping):
        raise _bad(source, "presets", "must be an object")
    out: Presets = {}
    for name, members in value.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise _bad(source, f"presets.{name}", "must list claim identifiers")
        resolved: list[tuple[str | None, str]] = []
        for member in members:
            claim = next((c for c in claims if c.matches(member)), None)
            if claim is None:
                raise _bad(source, f"presets.{name}", f"names unknown claim {member}")
            resolved.append((claim.namespace, member))
        out[name] = tuple(resolved)
    return out


class Catalogue:
    """All document types, by id, doctype and vct."""

    def __init__(self, types: Iterable[DocumentType]) -> None:
        self._by_id: dict[str, DocumentType] = {}
        self._by_identifier: dict[str, DocumentType] = {}
        for doc_type in types:
            if doc_type.id in self._by_id:
                raise _bad(doc_type.source, "id", f"type id {doc_type.id} is used by another file")
            self._by_id[doc_type.id] = doc_type
            for fmt in doc_type.formats:
                if fmt.identifier in self._by_identifier:
                    raise _bad(doc_type.source, "formats", f"{fmt.identifier} is used by another type")
                self._by_identifier[fmt.identifier] = doc_type
        for identifier, doc_type in self._by_identifier.items():  # ``find`` takes either: they must not meet
            if identifier in self._by_id and self._by_id[identifier] is not doc_type:
                raise _bad(doc_type.source, "formats", f"{identifier} is another type's id")

    @classmethod
    @functools.cache
    def load_default(cls) -> Catalogue:
        folder = resources.files("specs.catalogue") / "types"
        files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
        return cls(parse_type(f.name, _json(f.name, f.read_bytes())) for f in files)

    @classmethod
    def from_folder(cls, path: Path) -> Catalogue:
        return cls(parse_type(p.name, _json(p.name, p.read_bytes())) for p in sorted(path.glob("*.json")))

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, type_id: str) -> DocumentType:
        try:
            return self._by_id[type_id]
        except KeyError:
            raise UnknownDocumentTypeError(f"no document type {type_id!r}") from None

    def by_doctype(self, doctype: str) -> DocumentType:
        found = self._by_identifier.get(doctype)
        if found is None or found.doctype != doctype:
            raise UnknownDocumentTypeError(f"no document type with doctype {doctype!r}")
        return found

    def find(self, id_or_doctype_or_vct: str) -> DocumentType:
        """The type named by its catalogue id (``mdl``), its mdoc docType or its SD-JWT VC vct: the one lookup
        for a name that came from a stored credential, a request or a command line."""
        found = self._by_id.get(id_or_doctype_or_vct) or self._by_identifier.get(id_or_doctype_or_vct)
        if found is None:
            raise UnknownDocumentTypeError(f"no document type {id_or_doctype_or_vct!r}")
        return found

    def by_vct(self, vct: str) -> DocumentType:
        found = self._by_identifier.get(vct)
        if found is None or found.vct != vct:
            raise UnknownDocumentTypeError(f"no document type with vct {vct!r}")
        return found


def _json(source: str, data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise _bad(source, "file", "is not valid JSON") from None
