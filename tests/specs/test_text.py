"""specs.text.safe_text: untrusted text stays text (issue 13 item 3), one test per class of trick."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from specs.text import safe_text


def rendered(markup: str) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None, highlight=False).print(markup)
    return out.getvalue().rstrip("\n")


def test_control_characters_become_visible_escapes() -> None:
    assert safe_text("Shop\n  (signed by Police, verified)") == "Shop\\n  (signed by Police, verified)"
    assert safe_text("a\rb\tc\x00d\x7fe\x85f") == "a\\rb\\tc\\x00d\\x7fe\\x85f"
    assert "\n" not in safe_text("x\u2028y\u2029z") and safe_text("x\u2028y") == "x\\u2028y"


def test_terminal_escape_sequences_are_shown_escaped() -> None:
    csi = "\x1b[32mVALID\x1b[0m"
    osc = "\x1b]0;window title\x07"
    assert safe_text(csi) == "\\x1b[32mVALID\\x1b[0m"
    assert safe_text(osc) == "\\x1b]0;window title\\x07"
    assert "\x1b" not in safe_text("\x9b31m")  # the 8-bit CSI too
    assert safe_text("\x9b31m") == "\\x9b31m"


def test_direction_overrides_and_invisible_characters_are_shown() -> None:
    assert safe_text("abc\u202egpj.exe") == "abc\\u202egpj.exe"
    assert safe_text("a\u200bb\ufeff") == "a\\u200bb\\ufeff"
    assert safe_text("\U000e0041") == "\\U000e0041"  # a tag character (Cf)


@pytest.mark.parametrize("hostile", ["[/]", "[bold green]VALID[/]", "\\[/]", "x\\", "[link=file:///etc]y[/link]",
                                     "\\\\[red]z"])
def test_markup_prints_as_itself(hostile: str) -> None:
    assert rendered(f"[bold]{safe_text(hostile, markup=True)}[/]") == hostile
    assert rendered(f"{safe_text(hostile, markup=True)}[dim]!") == hostile + "!"


def test_korean_and_ordinary_text_is_untouched() -> None:
    for text in ("김민준", "한빛마트 대연점", "Müller & Söhne [1]", "100% (a) {b}", "\u3000전각 공백"):
        assert safe_text(text) == text


def test_limit_cuts_with_an_ellipsis() -> None:
    assert safe_text("abcdef", limit=4) == "abc…" and safe_text("abc", limit=4) == "abc"
    assert safe_text(12) == "12"


@pytest.mark.parametrize("hostile", ["\\[I] a", "x \\\\[y", "[b]x[/b] \\[I]", "\\[", "a[", "[[/]]"])
def test_backslashes_before_any_bracket_survive(hostile: str) -> None:
    assert rendered(f"[bold]{safe_text(hostile, markup=True)}[/]") == hostile
