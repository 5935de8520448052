"""Plain words for every error code, in Korean and English: the one table the CLIs, the app and JSON use.

The stable ``code`` of a ``MobileIdError`` (``specs.errors``) is the contract with scripts and tests; its
``message`` names the technical cause for a developer. What a shop owner, a card holder or an operator
reads is ``message(code, lang)``: "이 QR 코드는 손상되었거나 일부만 읽혔습니다" rather than "base45 final
pair exceeds 8 bits". The texts live in ``specs/messages.toml`` (a data file, so translators need not read
Python); every code raised anywhere has an entry in both languages (``tests/specs/test_messages.py``).

A code made at run time (``x509.profile.<rule>``, ``status.value_<n>``, ``credential.issuance_<step>``) is
found by its longest listed prefix, cut at a ``.`` or ``_``; failing that by its family's ``<family>.invalid``
or ``<family>.error``, and last by the root's text (``mobileid.error``), so an unforeseen code still shows
words, never nothing.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "entry_for", "language_from_env", "message", "table"]

LANGUAGES = ("ko", "en")  # every entry has both; other languages are optional per entry
DEFAULT_LANGUAGE = "en"
_ROOT = "mobileid.error"


@functools.cache
def table() -> Mapping[str, Mapping[str, str]]:
    """Every listed code and its texts by language, read once from ``specs/messages.toml``."""
    raw = tomllib.loads((resources.files("specs") / "messages.toml").read_text(encoding="utf-8"))
    return _checked(raw)


def _checked(raw: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for code, texts in raw.items():
        if not isinstance(texts, Mapping) or not all(isinstance(v, str) and v for v in texts.values()):
            raise ValueError(f"messages.toml: {code}: each language maps to a non-empty text")
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise ValueError(f"messages.toml: {code}: no text in {', '.join(missing)}")
        out[code] = dict(texts)
    return out


def entry_for(code: str) -> str:
    """The listed code whose words ``code`` gets: itself, its longest listed prefix, or the root."""
    known = table()
    candidate = code
    while candidate:
        if candidate in known:
            return candidate
        cut = max(candidate.rfind("."), candidate.rfind("_"))
        candidate = candidate[:cut] if cut > 0 else ""
    family = code.split(".")[0]
    return next((c for c in (f"{family}.invalid", f"{family}.error") if c in known), _ROOT)


def _language(lang: str) -> str:
    """``ko``, ``ko-KR``, ``ko_KR.UTF-8`` -> ``ko``; empty -> the default."""
    return lang.replace("_", "-").split("-")[0].split(".")[0].lower() or DEFAULT_LANGUAGE


def message(code: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The plain words for ``code`` in ``lang`` (English where an entry has no text in that language)."""
    texts = table()[entry_for(code)]
    return texts.get(_language(lang)) or texts[DEFAULT_LANGUAGE]


def language_from_env(environ: Mapping[str, str]) -> str:
    """The CLIs' language: ``MOBILEID_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``); Korean
    when it says ``ko``, otherwise English. The environment is passed in, never read here."""
    for name in ("MOBILEID_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return "ko" if _language(environ[name]) == "ko" else "en"
    return DEFAULT_LANGUAGE
