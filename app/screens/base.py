"""Every screen is rebuilt when it is entered: fresh data, the current language, text size and contrast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.graphics import Color, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen

from app.i18n import _
from app.theme import Theme
from app.ui import Panel, button, column, label, text_width, toggle, widest_word

if TYPE_CHECKING:
    from app.main import MobileIdApp

__all__ = ["BaseScreen", "choose_language", "language_choice", "to_verifier_mode"]


def choose_language(app: MobileIdApp, code: str, chosen: bool) -> None:
    """A language toggle's change: switch when it is pressed down (the other toggle's release is ignored)."""
    if chosen:
        app.update_settings(language=code)


def language_choice(app: MobileIdApp) -> GridLayout:
    """The four languages as toggles, two to a row (each name in its own language)."""
    from functools import partial

    from app.i18n import LANGUAGE_NAMES

    t = app.theme
    grid = GridLayout(cols=2, size_hint_y=None, spacing=t.height(8))
    grid.bind(minimum_height=grid.setter("height"))
    for code, name in LANGUAGE_NAMES.items():
        grid.add_widget(toggle(name, t, state=app.settings.language == code, group="lang",
                               on_change=partial(choose_language, app, code)))
    return grid


def to_verifier_mode(app: MobileIdApp) -> None:
    app.update_settings(mode="verifier")
    app.go("verify")


class BaseScreen(Screen):
    """Header with title (and back), a scrolling body column, and an optional bottom bar."""

    back_to: str | None = None
    nav: str | None = None  # "wallet" | "verifier": which bottom bar to show
    secure = False  # Android FLAG_SECURE while shown: no screenshots or screen recording (cards, QR codes)
    bright = False  # keep the screen on at full brightness while shown (a QR code to be scanned)

    def __init__(self, app: MobileIdApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app
        self.body: GridLayout | None = None

    @property
    def theme(self) -> Theme:
        return self.app.theme

    def title(self) -> str:
        return ""

    def fill(self, body: GridLayout) -> None:
        """Add this screen's widgets to ``body``."""

    def on_pre_enter(self, *args: Any) -> None:
        self.rebuild()

    def on_leave(self, *args: Any) -> None:
        self.stop()

    def stop(self) -> None:
        """Cancel timers and cameras this screen started."""

    def rebuild(self) -> None:
        self.stop()
        self.clear_widgets()
        t = self.theme
        root = Panel(t.palette.background, orientation="vertical")
        root.add_widget(self._header())
        scroll, body = column(t)
        self.body = body
        self.fill(body)
        root.add_widget(scroll)
        if self.nav:
            root.add_widget(self._nav_bar())
        self.add_widget(root)

    def on_enter(self, *args: Any) -> None:
        self.app.phone.screen_wishes(secure=self.secure, bright=self.bright)

    def _header(self) -> BoxLayout:
        """The title bar grows with its title (large text, a long title in a narrow window wraps)."""
        t = self.theme
        header = Panel(t.palette.primary, size_hint_y=None, padding=(t.height(8), t.height(4)), spacing=t.height(8))
        minimum = t.height(56)
        header.bind(minimum_height=lambda w, h: setattr(w, "height", max(minimum, h)))
        header.height = minimum
        if self.back_to:
            back = button("< " + _("Back"), t, lambda: self.app.go(self.back_to or "home"), size=18)
            back.size_hint_x, back.pos_hint = None, {"center_y": 0.5}
            back.width = text_width(back.text, t, 18, bold=True) + t.height(24)
            back.background_color, back.color = t.palette.primary, t.palette.on_primary
            header.add_widget(back)
        title = label(self.title(), t, size=22, bold=True, color=t.palette.on_primary)
        title.pos_hint = {"center_y": 0.5}
        header.add_widget(title)
        return header

    def _nav_bar(self) -> GridLayout:
        """Four (or three) tabs in one row when every label fits its tab, else in two rows: a tab label
        is never split inside a word (large text at 320 dp)."""
        t = self.theme
        items = ([("home", _("Home")), ("share", _("Show")), ("add", _("Add")), ("settings", _("Settings"))]
                 if self.nav == "wallet" else
                 [("verify", _("Scan")), ("verify_request", _("Request")), ("scan_log", _("Log")),
                  ("settings", _("Settings"))])
        size = 16
        widest = max(widest_word(text, t, size, bold=True) for _, text in items) + t.height(16)
        cols = len(items) if widest * len(items) <= self.app.root_window_width() else 2
        bar = GridLayout(cols=cols, size_hint_y=None, spacing=2, padding=2)
        with bar.canvas.before:
            Color(*t.palette.border)
            ground = Rectangle()
        bar.bind(pos=lambda w, _: setattr(ground, "pos", w.pos), size=lambda w, _: setattr(ground, "size", w.size),
                 minimum_height=bar.setter("height"))
        for target, text in items:
            kind = "primary" if self.name == target else "secondary"
            item = button(text, t, lambda target=target: self.app.go(target), kind=kind, size=size,  # type: ignore[misc]
                          minimum=48)
            bar.add_widget(item)
        return bar
