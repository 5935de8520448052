"""One claims model for every face: a ``Claim`` with its catalogue label, its value and how it reads.

A verified presentation (``verifier.result.claims_of``) and a stored credential (``wallet.claims``) are each
turned into ``tuple[Claim, ...]`` once; ``mobileid verify``, ``wallet show`` and the app's cards, consent and
verdict screens render those claims and nothing else. Labels come from the document catalogue
(``specs/catalogue/types``, Korean and English at least); ``render`` writes a value the way a person reads
it (dates as dates, booleans as 예/아니요 or Yes/No, licence classes with their end dates, ISO/IEC 5218 sex as a
word); a picture (``portrait``, ``picture``: catalogue type ``jpeg``) stays bytes in ``image`` for the face to
draw, never a "<jpeg 1092 bytes>" string.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.catalogue.model import DocumentType
from specs.errors import CatalogueError

__all__ = ["Claim", "build_claims", "claim_label", "claim_name", "find_claim", "json_safe", "plain_value"]

_JPEG = b"\xff\xd8\xff"
# The few words ``render`` writes itself; a language missing here reads English.
_WORDS: Mapping[str, Mapping[str, str]] = {
    "yes": {"ko": "예", "en": "Yes", "zh": "是", "vi": "Có"},
    "no": {"ko": "아니요", "en": "No", "zh": "否", "vi": "Không"},
    "male": {"ko": "남", "en": "Male", "zh": "男", "vi": "Nam"},
    "female": {"ko": "여", "en": "Female", "zh": "女", "vi": "Nữ"},
    "until": {"ko": "{date}까지", "en": "until {date}", "zh": "至{date}", "vi": "đến {date}"},
    "picture": {"ko": "사진 ({n}바이트)", "en": "picture ({n} bytes)", "zh": "照片（{n}字节）",
                "vi": "ảnh ({n} byte)"},
    "bytes": {"ko": "데이터 ({n}바이트)", "en": "data ({n} bytes)", "zh": "数据（{n}字节）",
              "vi": "dữ liệu ({n} byte)"},
}


def _word(key: str, lang: str) -> str:
    return _WORDS[key].get(lang) or _WORDS[key]["en"]


@dataclass(frozen=True, slots=True)
class Claim:
    """One disclosed or stored claim: ``identifier`` (mdoc element identifier or SD-JWT claim name), the
    mdoc ``namespace`` (None for SD-JWT), the ``value`` as Python data (``date``, ``datetime``, ``bytes``,
    ``bool``, ``int``, ``str``, lists and maps of these), its catalogue ``kind`` and ``label`` by language."""

    identifier: str
    value: Any
    label: Mapping[str, str] = field(default_factory=dict)
    kind: str = "string"
    namespace: str | None = None
    privacy: str = "normal"  # "normal" | "identifying" | "sensitive" (catalogue)

    def name(self, lang: str) -> str:
        """The label in ``lang``, English if the catalogue has none, the identifier if the type is unknown."""
        return self.label.get(lang) or self.label.get("en") or self.identifier

    @property
    def image(self) -> bytes | None:
        """The picture (JPEG bytes) a face draws, when this claim is one (``portrait``, ``picture``)."""
        if isinstance(self.value, bytes) and (self.kind == "jpeg" or self.value[:3] == _JPEG):
            return self.value
        return None

    def render(self, lang: str = "en") -> str:
        """The value as one line of text in ``lang`` (``ko`` or ``en``; others read English words)."""
        if self.identifier == "sex" and self.value in (1, 2):  # ISO/IEC 5218, as ISO/IEC 18013-5 codes it
            return _word("male" if self.value == 1 else "female", lang)
        return _render(self.value, lang)

    def json_value(self) -> Any:
        """The value as JSON: bytes as base64url (pictures), dates as ISO 8601."""
        return json_safe(self.value)


def _render(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return _word("yes" if value else "no", lang)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return _word("picture" if value[:3] == _JPEG else "bytes", lang).format(n=len(value))
    if isinstance(value, Mapping):
        if value.get("vehicle_category_code"):  # ISO/IEC 18013-5 driving_privileges: the class, its end
            until = value.get("expiry_date")
            code = str(value["vehicle_category_code"])
            return f"{code} ({_word('until', lang).format(date=_render(until, lang))})" if until else code
        return ", ".join(f"{k}: {_render(v, lang)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_render(v, lang) for v in value)
    return str(value)


def json_safe(value: Any) -> Any:
    """Claims as JSON: bytes as base64url (pictures), dates as ISO 8601, maps and lists throughout."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def plain_value(value: Any, kind: str | None = None) -> Any:
    """A decoded value as Python data: CBOR tags (tdate, full-date) unwrapped, an ISO full-date string of a
    ``date`` claim (SD-JWT carries dates as text; inside maps, where no kind is known, any full-date string)
    made a ``date``, maps and lists throughout."""
    inner = getattr(value, "value", None)  # a CBOR tag object
    if inner is not None and not isinstance(value, bytes | str | int | float | dict | list | tuple):
        return plain_value(inner, kind)
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        inner_kind = kind[6:-1] if kind and kind.startswith("array<") else None
        return [plain_value(v, inner_kind) for v in value]
    if isinstance(value, str) and (kind == "date" or (kind is None and len(value) == 10 and value[4:5] == "-")):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def claim_label(doc_type: DocumentType | None, identifier: str, namespace: str | None = None) -> Mapping[str, str]:
    """The catalogue's names of ``identifier`` by language (a pattern's ``NN`` filled in: "19세 이상"), or
    the identifier itself when the type or the claim is not in the catalogue."""
    if doc_type is not None:
        try:
            definition = doc_type.claim(namespace, identifier)
        except CatalogueError:
            pass
        else:
            if not definition.pattern:
                return dict(definition.display.names)
            digits = "".join(ch for ch in identifier if ch.isdigit())
            return {lang: text.replace("NN", digits) for lang, text in definition.display.names.items()}
    return {"ko": identifier, "en": identifier}


def claim_name(doc_type: DocumentType | None, identifier: str, lang: str, namespace: str | None = None) -> str:
    """``claim_label`` in one language (English where the catalogue has none): for a request or a consent
    screen, which name an element before any value is at hand."""
    names = claim_label(doc_type, identifier, namespace)
    return names.get(lang) or names["en"]


def build_claims(doc_type: DocumentType | None, values: Iterable[tuple[str | None, str, Any]]) -> tuple[Claim, ...]:
    """Claims from ``(namespace, identifier, decoded value)`` triples in the credential's own order, labelled
    and typed by ``doc_type`` (None: an unknown type, labelled by identifier)."""
    out = []
    for namespace, identifier, raw in values:
        kind, privacy = "string", "normal"
        if doc_type is not None:
            try:
                definition = doc_type.claim(namespace, identifier)
                kind, privacy = definition.type, definition.privacy
            except CatalogueError:
                pass
        out.append(Claim(identifier, plain_value(raw, kind), claim_label(doc_type, identifier, namespace), kind,
                         namespace, privacy))
    return tuple(out)


def find_claim(claims: Iterable[Claim], identifier: str) -> Claim | None:
    """The first claim named ``identifier`` (any namespace)."""
    return next((c for c in claims if c.identifier == identifier), None)
