"""Small widget helpers shared by the screens: auto-height labels, big buttons, cards, QR and photo images.

Everything is sized from the ``Theme`` (large text scales fonts and touch targets) and coloured from its
palette (high contrast). Buttons are at least 56 dp tall: easy to hit for older hands.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from kivy.core.image import Image as CoreImage
from kivy.graphics import Color, Line, Rectangle, RoundedRectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput
from kivy.uix.togglebutton import ToggleButton
from kivy.uix.widget import Widget

from app.i18n import _
from app.theme import RGBA, Theme
from specs.io import symbols
from specs.text import safe_text

__all__ = ["FRAME_SECONDS", "Busy", "Card", "Panel", "QrFrames", "button", "column", "label", "photo",
           "spacer", "text_input", "text_width", "toggle"]

FRAME_SECONDS = 0.8  # how long each frame of a multi-frame code stays on screen


class Panel(BoxLayout):
    """A BoxLayout with a filled (optionally rounded and outlined) background."""

    def __init__(self, color: RGBA, *, radius: float = 0, border: RGBA | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fill = color  # what text on this panel is drawn over (the contrast and layout tests read it)
        with self.canvas.before:
            Color(*color)
            self._bg = RoundedRectangle(radius=[radius]) if radius else Rectangle()
            if border is not None:
                Color(*border)
                self._line: Line | None = Line(width=1.2)
            else:
                self._line = None
        self._radius = radius
        self.bind(pos=self._redraw, size=self._redraw)

    def _redraw(self, *_: Any) -> None:
        self._bg.pos, self._bg.size = self.pos, self.size
        if self._line is not None:
            self._line.rounded_rectangle = (*self.pos, *self.size, max(self._radius, 1))


class Card(Panel):
    """A vertical card whose height follows its content."""

    def __init__(self, theme: Theme, *, color: RGBA | None = None, **kwargs: Any) -> None:
        pad = theme.height(14)
        super().__init__(color or theme.palette.surface, radius=theme.height(12), border=theme.palette.border,
                         orientation="vertical", size_hint_y=None, padding=pad, spacing=theme.height(6), **kwargs)
        self.bind(minimum_height=self.setter("height"))


def label(text: str, theme: Theme, *, size: float = 18, bold: bool = False, color: RGBA | None = None,
          halign: str = "left", **kwargs: Any) -> Label:
    """A wrapping label whose height follows its text. The text is shown as inert text: markup is off and
    control, direction and escape characters are made visible (``specs.text.safe_text``), so a verifier's
    name or a claim value from outside cannot add a line of its own."""
    widget = Label(text=safe_text(text), font_size=theme.font(size), bold=bold, color=color or theme.palette.text,
                   halign=halign, valign="middle", size_hint_y=None, markup=False, **kwargs)
    widget.bind(width=lambda w, width: setattr(w, "text_size", (width, None)),
                texture_size=lambda w, ts: setattr(w, "height", ts[1] if w.text else 0))
    if not text:
        widget.height = 0  # an empty message line takes no room until it has something to say
    return widget


def button(text: str, theme: Theme, on_press: Callable[[], object] | None = None, *, kind: str = "primary",
           size: float = 20, minimum: float = 58, **kwargs: Any) -> Button:
    p = theme.palette
    background, color = {"primary": (p.primary, p.on_primary), "danger": (p.bad, p.on_primary),
                         "ok": (p.ok, p.on_primary)}.get(kind, (p.surface, p.text))
    widget = Button(text=text, font_size=theme.font(size), bold=kind != "secondary", background_normal="",
                    background_down="", background_color=background, color=color, size_hint_y=None,
                    height=theme.height(minimum), halign="center", valign="middle", **kwargs)
    _grow(widget, theme, theme.height(minimum))
    if kind == "secondary":
        _outline(widget, p.border)
    if on_press is not None:
        widget.bind(on_release=lambda *_: on_press())
    return widget


def toggle(text: str, theme: Theme, *, state: bool, on_change: Callable[[bool], object] | None = None,
           group: str | None = None) -> ToggleButton:
    p = theme.palette
    widget = ToggleButton(text=text, font_size=theme.font(18), background_normal="", background_down="",
                          size_hint_y=None, height=theme.height(54), group=group, allow_no_selection=group is None,
                          state="down" if state else "normal", halign="center", valign="middle")

    def paint(*args: Any) -> None:
        """The state is said in words and a tick, not only by colour: "✓ Large text: On"."""
        down = widget.state == "down"
        widget.background_color = p.primary if down else p.surface
        widget.color = p.on_primary if down else p.text
        state = _("On") if down else _("Off")
        said = f"{text}: {state}" if group is None else text
        widget.text = ("✓ " if down else "") + said

    widget.bind(state=lambda *args: paint())
    _grow(widget, theme, theme.height(54))
    _outline(widget, p.border)
    paint()
    if on_change is not None:
        widget.bind(state=lambda w, st: on_change(st == "down"))
    return widget


def text_input(theme: Theme, *, hint: str = "", password: bool = False, digits: bool = False,
               multiline: bool = False) -> TextInput:
    p = theme.palette
    widget = TextInput(hint_text=hint, password=password, multiline=multiline, font_size=theme.font(22),
                       size_hint_y=None, height=theme.height(120 if multiline else 60), write_tab=False,
                       background_normal="", background_active="", background_color=p.surface, foreground_color=p.text,
                       hint_text_color=p.muted, cursor_color=p.primary, padding=[theme.height(12)] * 4)
    if digits:
        widget.input_filter = "int"
        widget.input_type = "number"
    return widget


def _outline(widget: Widget, color: RGBA) -> None:
    """A thin frame, so that a light button reads as a button and not as a line of text."""
    with widget.canvas.after:
        Color(*color)
        line = Line(width=1.2)
    widget.bind(pos=lambda w, _: setattr(line, "rectangle", (*w.pos, *w.size)),
                size=lambda w, _: setattr(line, "rectangle", (*w.pos, *w.size)))


def _grow(widget: Label, theme: Theme, minimum: float) -> None:
    """A button or toggle wraps its text to its width and grows to hold it (large text, long words in a
    narrow column), never below ``minimum`` (a touch target)."""
    pad = theme.height(12)
    widget.bind(width=lambda w, width: setattr(w, "text_size", (max(width - pad, 1), None)),
                texture_size=lambda w, ts: setattr(w, "height", max(minimum, ts[1] + pad)))


def text_width(text: str, theme: Theme, size: float, *, bold: bool = False) -> float:
    """How wide ``text`` is drawn on one line at ``size`` (for choosing a layout that fits the width)."""
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(font_size=theme.font(size), bold=bold)
    return float(max((core.get_extents(line)[0] for line in text.split("\n")), default=0))


def widest_word(text: str, theme: Theme, size: float, *, bold: bool = False) -> float:
    """The widest word of ``text``: a column narrower than this would split it."""
    return max((text_width(word, theme, size, bold=bold) for word in text.split()), default=0.0)


class Busy(BoxLayout):
    """A visible "working on it" line for work on a worker thread: a moving bar and what is being done."""

    def __init__(self, text: str, theme: Theme, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", size_hint_y=None, spacing=theme.height(6), **kwargs)
        self.words = label(text, theme, size=18, bold=True, halign="center")
        self.track = Panel(theme.palette.border, size_hint_y=None, height=theme.height(8))
        with self.track.canvas.after:
            Color(*theme.palette.primary)
            self._bar = Rectangle()
        self.add_widget(self.words)
        self.add_widget(self.track)
        self.bind(minimum_height=self.setter("height"))
        self.step = 0
        self._event: Any = None
        self.track.bind(pos=self._place, size=self._place)

    def start(self) -> None:
        from kivy.clock import Clock

        if self._event is None:
            self._event = Clock.schedule_interval(self._move, 1 / 20)

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _move(self, *args: Any) -> None:
        self.step = (self.step + 1) % 40
        self._place()

    def _place(self, *args: Any) -> None:
        """The bar a quarter of the track wide, swinging from end to end, always inside the track."""
        track, width = self.track, self.track.width / 4
        self._bar.pos = (track.x + (track.width - width) * abs(20 - self.step) / 20, track.y)
        self._bar.size = (width, track.height)


def column(theme: Theme, *, spacing: float = 12, padding: float = 16) -> tuple[ScrollView, GridLayout]:
    """A scrolling vertical column; add widgets with explicit heights to the GridLayout."""
    scroll = ScrollView(do_scroll_x=False, bar_width=theme.height(6))
    grid = GridLayout(cols=1, size_hint_y=None, spacing=theme.height(spacing), padding=theme.height(padding))
    grid.bind(minimum_height=grid.setter("height"))
    scroll.add_widget(grid)
    return scroll, grid


def spacer(height: float) -> Widget:
    return Widget(size_hint_y=None, height=height)


class QrFrames:
    """A message's QR codes in one image, shown in turn when there are several (profile §5), with the
    "Part i of n" line under it. Owners add ``image`` and ``part`` to their layout, ``start`` the cycling
    and ``stop`` it when their screen is left."""

    def __init__(self, texts: tuple[str, ...], theme: Theme, size: float) -> None:
        self.texts, self.frame = texts, 0
        self.image = Image(texture=symbols.texture(texts[0]), size_hint=(1, None), height=size, fit_mode="contain")
        self.part = label("", theme, size=18, halign="center")
        self._event: Any = None
        self._show_part()

    def start(self) -> None:
        from kivy.clock import Clock

        if len(self.texts) > 1 and self._event is None:
            self._event = Clock.schedule_interval(self.next_frame, FRAME_SECONDS)

    def next_frame(self, *args: Any) -> None:
        self.frame = (self.frame + 1) % len(self.texts)
        self.image.texture = symbols.texture(self.texts[self.frame])
        self._show_part()

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _show_part(self) -> None:
        if len(self.texts) > 1:
            self.part.text = _("Part {i} of {n} (changes by itself)").format(i=self.frame + 1, n=len(self.texts))


def photo(jpeg: bytes | None, theme: Theme, *, width: float = 110) -> Widget:
    """A portrait from JPEG bytes (or an empty placeholder)."""
    if not jpeg:
        return Panel(theme.palette.border, size_hint=(None, None), size=(theme.height(width),
                                                                          theme.height(width * 4 / 3)))
    texture = CoreImage(io.BytesIO(jpeg), ext="jpg").texture
    return Image(texture=texture, size_hint=(None, None), size=(theme.height(width), theme.height(width * 4 / 3)),
                 fit_mode="contain")
