"""Untrusted text stays text: ``safe_text`` makes a string from outside printable without interpretation.

A verifier's name in a request, claim values, issuer names and error details that quote input come from
people we do not trust. Printed raw, a newline forges a line of our own (a "(signed by ..., verified)"
after a verifier name), an ESC sequence (ECMA-48 §5.4 CSI, §8.3.89 OSC) recolours, moves the cursor or
retitles the terminal, a bidirectional override (Unicode UAX #9) reorders what follows, and console markup
(``[bold green]VALID[/]``, ``[/]``) prints a fake verdict or crashes the renderer. ``safe_text`` shows each
such character as a visible escape (``\\n``, ``\\x1b``, ``\\u202e``) and, for a console that reads markup,
escapes the markup too. It is the one place that decides what is safe: the CLIs, the wallet's consent
prompt and the app's labels call it for every outside string.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["safe_text"]

# Cc (C0, DEL, C1), line/paragraph separators, bidi embeddings/overrides/isolates and the marks that
# change direction, zero-width characters that hide text, and the BOM.
_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
# What rich reads as a tag (rich.markup.RE_TAGS), or any other "[", with the backslashes before it.
_TAG: Final = re.compile(r"(\\*)(\[[a-z#/@][^[]*?]|\[)")
_TRAILING: Final = re.compile(r"(\\+)\Z")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unmark(match: re.Match[str]) -> str:
    backslashes, bracket = match.group(1), match.group(2)
    if len(bracket) > 1:  # a tag
        return backslashes * 2 + "\\" + bracket
    return backslashes + "\\[" if backslashes else "["


def safe_text(value: object, *, markup: bool = False, limit: int | None = None) -> str:
    """``value`` as one line of inert text: control, format and direction characters shown as escapes;
    with ``markup`` (a rich console), whatever rich would read as a tag escaped;
    with ``limit``, cut to that many characters (before escaping markup) with an ellipsis."""
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE.sub(_escape, text)
    # Other format characters (Cf) and unassigned/surrogate code points (Cn, Cs) can hide or reorder text too.
    if not text.isprintable():
        text = "".join(c if c.isprintable() or unicodedata.category(c) == "Zs"
                       else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in text)
    if limit is not None and len(text) > limit:
        text = text[:max(limit - 1, 0)] + "…"
    if markup:
        # Before a tag: each backslash doubled and the "[" escaped (rich reads "\\[" as a literal "[").
        # Before any other "[": one more backslash, as rich drops one from every "\\[" outside tags.
        # Trailing backslashes doubled so they cannot escape a tag that the caller's format puts after.
        text = _TAG.sub(_unmark, text)
        text = _TRAILING.sub(lambda m: m.group(1) * 2, text)
    return text
