"""Fonts, colours and sizes.

One font draws all four languages (Korean, English, Simplified Chinese, Vietnamese) and a Hangul name inside
any of them: Kivy labels have no font fallback, so the face must cover everything. The app ships a subset of
Noto Sans CJK SC (SIL OFL 1.1) in ``app/fonts/`` (made by ``scripts/app_fonts.py``, see app/README.md); a
desktop without it uses the system's Noto Sans CJK, then NanumGothic (Hangul and Latin only).

Large text scales every font and touch target by ``LARGE_SCALE``; high contrast swaps the palette for
white on black with yellow accents. Every text colour has a partner background (``PAIRS``): the contrast
test holds each pair of both palettes to WCAG 2.2 AA (4.5:1, 3:1 from 24 dp).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["FONT_DIR", "FONT_FILES", "HIGH_CONTRAST", "NORMAL", "PAIRS", "Palette", "Theme", "font_files",
           "register_fonts"]

LARGE_SCALE = 1.35
FONT_DIR = Path(__file__).parent / "fonts"
FONT_FILES = ("MobileIdSans-Regular.otf", "MobileIdSans-Bold.otf")  # the shipped subset (regular, bold)
_SYSTEM_FONTS = (("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
                 ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
                  "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"))

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
    on_ok: RGBA  # text on an ok (green) fill: white on the dark green, black on the bright one
    on_bad: RGBA
    on_warn: RGBA


NORMAL = Palette(background=_hex("#F4F6F9"), surface=_hex("#FFFFFF"), text=_hex("#1B1F24"), muted=_hex("#4A5563"),
                 primary=_hex("#1558B0"), on_primary=_hex("#FFFFFF"), ok=_hex("#18702F"), bad=_hex("#B3261E"),
                 warn=_hex("#8A5A00"), licence=_hex("#DCEBFA"), border=_hex("#C4CCD6"), on_ok=_hex("#FFFFFF"),
                 on_bad=_hex("#FFFFFF"), on_warn=_hex("#FFFFFF"))
HIGH_CONTRAST = Palette(background=_hex("#000000"), surface=_hex("#111111"), text=_hex("#FFFFFF"),
                        muted=_hex("#E6E6E6"), primary=_hex("#FFD400"), on_primary=_hex("#000000"),
                        ok=_hex("#00C853"), bad=_hex("#FF5252"), warn=_hex("#FFD400"), licence=_hex("#1A1A1A"),
                        border=_hex("#FFFFFF"), on_ok=_hex("#000000"), on_bad=_hex("#000000"),
                        on_warn=_hex("#000000"))

# (text colour, background colour) as the screens put them together; the contrast test checks each pair of
# both palettes, and the layout test checks that every label drawn uses one of them.
PAIRS = (*((text, ground) for ground in ("background", "surface", "licence")
            for text in ("text", "muted", "primary", "ok", "bad", "warn")),
         ("on_primary", "primary"), ("on_ok", "ok"), ("on_bad", "bad"), ("on_warn", "warn"))


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


def font_files() -> tuple[str, str] | None:
    """(regular, bold) font files: the shipped subset, else a system font (desktops), else None."""
    shipped = tuple(FONT_DIR / name for name in FONT_FILES)
    candidates = ((str(shipped[0]), str(shipped[1])), *_SYSTEM_FONTS)
    for regular, bold in candidates:
        if Path(regular).is_file():
            return regular, bold if Path(bold).is_file() else regular
    return None


def register_fonts() -> bool:
    """Make the app's font Kivy's default font (``Roboto`` is the name Labels use by default)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    found = font_files()
    if found is None:
        return False
    LabelBase.register(DEFAULT_FONT, fn_regular=found[0], fn_bold=found[1])
    return True
