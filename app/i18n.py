"""gettext for the app: English source strings; Korean, Simplified Chinese and Vietnamese catalogues in
``app/locale/<lang>/LC_MESSAGES`` (Chinese and Vietnamese for the largest foreign-resident groups).

``_`` looks the string up in the active language at call time, so screens rebuilt after a language
change show the new language. ``LANGUAGES`` lists what the onboarding and settings offer.
"""

from __future__ import annotations

import gettext
from pathlib import Path

__all__ = ["DOMAIN", "LANGUAGES", "LANGUAGE_NAMES", "LOCALE_DIR", "N_", "_", "current_language", "set_language"]

DOMAIN = "mobileid"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES = {"ko": "한국어", "en": "English", "zh": "简体中文", "vi": "Tiếng Việt"}  # each in its own words
LANGUAGES = tuple(LANGUAGE_NAMES)

_state: dict[str, object] = {"lang": "ko", "tr": gettext.NullTranslations()}


def set_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    _state["lang"] = lang
    _state["tr"] = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def current_language() -> str:
    return str(_state["lang"])


def _(message: str) -> str:
    translations = _state["tr"]
    assert isinstance(translations, gettext.NullTranslations)
    return translations.gettext(message)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translated where it is shown)."""
    return message
