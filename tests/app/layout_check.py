"""What "laid out right" means on a phone, checked on the widgets Kivy actually drew:

* no widget overlaps a sibling, and none sticks out of its parent (a ScrollView's content may be taller than
  the ScrollView: that is what scrolling is) nor out of the window's width;
* no text is bigger than its box: Kivy's texture of each label and button fits inside the widget;
* no word is split inside: every word, drawn alone at the label's font, fits the width the label wraps to,
  so Kivy never has to break it (Chinese may break between any two Han characters, as Chinese does);
* every text colour meets WCAG 2.2 AA against what it is drawn on: 4.5:1, or 3:1 from 24 dp (18.7 dp bold).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from app.theme import RGBA

__all__ = ["contrast", "problems"]

TOLERANCE = 1.0  # pixels: Kivy rounds positions
# A token is a run of non-space characters, except that each Han character (and CJK punctuation) stands alone.
_TOKEN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]|[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def _visible(widget: Widget) -> bool:
    return widget.opacity > 0 and widget.width > 0 and widget.height > 0


def _box(widget: Widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def _walk(widget: Widget) -> Iterator[Widget]:
    yield widget
    for child in widget.children:
        if _visible(child):
            yield from _walk(child)


def _name(widget: Widget) -> str:
    text = getattr(widget, "text", "")
    return f"{type(widget).__name__}({text[:40]!r})" if text else type(widget).__name__


@cache
def _width(text: str, font_size: float, bold: bool, font_name: str) -> float:
    return float(CoreLabel(font_size=font_size, bold=bold, font_name=font_name).get_extents(text)[0])


def _luminance(color: RGBA) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGBA, b: RGBA) -> float:
    """WCAG 2.2 contrast ratio (relative luminance, 1.4.3)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _ground(widget: Widget) -> RGBA:
    """The colour a text widget is drawn over: its own fill (buttons), else the nearest filled panel."""
    if isinstance(widget, Button):
        return tuple(widget.background_color)  # type: ignore[return-value]
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        fill = getattr(parent, "fill", None)  # a Panel's colour (a screen's fill() is a method)
        if isinstance(fill, tuple):
            return fill  # type: ignore[return-value]
        parent = parent.parent
    return tuple(Window.clearcolor)  # type: ignore[return-value]


def _text_problems(widget: Label) -> list[str]:
    found = []
    tw, th = widget.texture_size
    if tw > widget.width + TOLERANCE or th > widget.height + TOLERANCE:
        found.append(f"{_name(widget)}: text {tw:.0f}x{th:.0f} exceeds its box {widget.width:.0f}x{widget.height:.0f}")
    room = widget.text_size[0] if widget.text_size and widget.text_size[0] else widget.width
    for token in set(_TOKEN.findall(widget.text)):
        width = _width(token, widget.font_size, widget.bold, widget.font_name)
        if width > room + TOLERANCE:
            found.append(f"{_name(widget)}: the word {token!r} ({width:.0f} px) is split in a {room:.0f} px line")
    large = widget.font_size >= dp(24) or (widget.bold and widget.font_size >= dp(18.7))
    ratio, need = contrast(tuple(widget.color), _ground(widget)), 3.0 if large else 4.5  # type: ignore[arg-type]
    if ratio < need:
        found.append(f"{_name(widget)}: contrast {ratio:.2f}:1 < {need}:1")
    return found


def problems(root: Widget) -> list[str]:
    """Every layout, text and contrast problem on the screen under ``root`` (empty when all is well)."""
    found: list[str] = []
    for widget in _walk(root):
        box = _box(widget)
        if widget is not root and not isinstance(widget.parent, ScrollView):
            if box[0] < -TOLERANCE or box[2] > Window.width + TOLERANCE:
                found.append(f"{_name(widget)}: outside the window's width {box}")
            parent = _box(widget.parent)
            if (box[0] < parent[0] - TOLERANCE or box[1] < parent[1] - TOLERANCE or box[2] > parent[2] + TOLERANCE
                    or box[3] > parent[3] + TOLERANCE):
                found.append(f"{_name(widget)}: sticks out of {_name(widget.parent)} {box} vs {parent}")
        if isinstance(widget, Label) and widget.text:
            found += _text_problems(widget)
        if isinstance(widget, TextInput):
            for color in (widget.foreground_color, widget.hint_text_color):
                if contrast(tuple(color), tuple(widget.background_color)) < 4.5:  # type: ignore[arg-type]
                    found.append(f"{_name(widget)}: input text contrast below 4.5:1")
        siblings = [c for c in widget.children if _visible(c)] if not isinstance(widget, ScrollView) else []
        boxes = [(_box(c), c) for c in siblings]
        for i, (a, wa) in enumerate(boxes):
            for b, wb in boxes[i + 1:]:
                if (min(a[2], b[2]) - max(a[0], b[0]) > TOLERANCE and min(a[3], b[3]) - max(a[1], b[1]) > TOLERANCE):
                    found.append(f"{_name(wa)} overlaps {_name(wb)} in {_name(widget)}")
    return found
