"""Fonts, colours and sizes. Korean needs a Hangul font: NanumGothic becomes Kivy's default font.

Large text scales every font and touch target by ``LARGE_SCALE``; high contrast swaps the palette for
white on black with yellow accents (WCAG AAA contrast for body text).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["HIGH_CONTRAST", "NORMAL", "Palette", "Theme", "register_fonts"]

LARGE_SCALE = 1.35
_FONT_DIRS = (Path(__file__).parent / "fonts", Path("/usr/share/fonts/truetype/nanum"))

RGBA = tuple[float, float, float, float]


def _hex(value: str) -> RGBA:
    value = value.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, 1.0)


@dataclass(frozen=True, slots=True)
class Palette:
    background: RGBA
    surface: RGBA
    text: RGBA
    muted: RGBA
    primary: RGBA
    on_primary: RGBA
    ok: RGBA
    bad: RGBA
    warn: RGBA
    licence: RGBA
    border: RGBA


NORMAL = Palette(background=_hex("#F4F6F9"), surface=_hex("#FFFFFF"), text=_hex("#1B1F24"), muted=_hex("#4A5563"),
                 primary=_hex("#1558B0"), on_primary=_hex("#FFFFFF"), ok=_hex("#1E7B34"), bad=_hex("#B3261E"),
                 warn=_hex("#8A5A00"), licence=_hex("#DCEBFA"), border=_hex("#C4CCD6"))
HIGH_CONTRAST = Palette(background=_hex("#000000"), surface=_hex("#111111"), text=_hex("#FFFFFF"),
                        muted=_hex("#E6E6E6"), primary=_hex("#FFD400"), on_primary=_hex("#000000"),
                        ok=_hex("#00C853"), bad=_hex("#FF5252"), warn=_hex("#FFD400"), licence=_hex("#1A1A1A"),
                        border=_hex("#FFFFFF"))


@dataclass(frozen=True, slots=True)
class Theme:
    palette: Palette = NORMAL
    scale: float = 1.0

    @classmethod
    def of(cls, large_text: bool, high_contrast: bool) -> Theme:
        return cls(HIGH_CONTRAST if high_contrast else NORMAL, LARGE_SCALE if large_text else 1.0)

    def font(self, size: float) -> float:
        from kivy.metrics import sp

        return float(sp(size * self.scale))

    def height(self, size: float) -> float:
        from kivy.metrics import dp

        return float(dp(size * self.scale))


def _find(name: str) -> str | None:
    for folder in _FONT_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    return None


def register_fonts() -> bool:
    """Make NanumGothic Kivy's default font (``Roboto`` is the name Labels use by default)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    regular, bold = _find("NanumGothic.ttf"), _find("NanumGothicBold.ttf")
    if regular is None:
        return False
    LabelBase.register(DEFAULT_FONT, fn_regular=regular, fn_bold=bold or regular)
    return True
