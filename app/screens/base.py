"""Every screen is rebuilt when it is entered: fresh data, the current language, text size and contrast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen

from app.i18n import _
from app.theme import Theme
from app.ui import Panel, button, column, label

if TYPE_CHECKING:
    from app.main import MobileIdApp

__all__ = ["BaseScreen", "choose_language", "to_verifier_mode"]


def choose_language(app: MobileIdApp, code: str, chosen: bool) -> None:
    """A language toggle's change: switch when it is pressed down (the other toggle's release is ignored)."""
    if chosen:
        app.update_settings(language=code)


def to_verifier_mode(app: MobileIdApp) -> None:
    app.update_settings(mode="verifier")
    app.go("verify")


class BaseScreen(Screen):
    """Header with title (and back), a scrolling body column, and an optional bottom bar."""

    back_to: str | None = None
    nav: str | None = None  # "wallet" | "verifier": which bottom bar to show

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
        header = Panel(t.palette.primary, size_hint_y=None, height=t.height(64), padding=(t.height(8), 0),
                       spacing=t.height(8))
        if self.back_to:
            back = button("< " + _("Back"), t, lambda: self.app.go(self.back_to or "home"), size=18)
            back.size_hint_x, back.width = None, t.height(110)
            back.background_color, back.color = t.palette.primary, t.palette.on_primary
            header.add_widget(back)
        title = label(self.title(), t, size=22, bold=True, color=t.palette.on_primary)
        title.size_hint_y = 1
        header.add_widget(title)
        root.add_widget(header)
        scroll, body = column(t)
        self.body = body
        self.fill(body)
        root.add_widget(scroll)
        if self.nav:
            root.add_widget(self._nav_bar())
        self.add_widget(root)

    def _nav_bar(self) -> BoxLayout:
        t = self.theme
        bar = Panel(t.palette.surface, border=t.palette.border, size_hint_y=None, height=t.height(64),
                    spacing=2, padding=2)
        items = ([("home", _("Home")), ("share", _("Show")), ("add", _("Add")), ("settings", _("Settings"))]
                 if self.nav == "wallet" else
                 [("verify", _("Scan")), ("verify_request", _("Request")), ("settings", _("Settings"))])
        for target, text in items:
            kind = "primary" if self.name == target else "secondary"
            item = button(text, t, lambda target=target: self.app.go(target), kind=kind, size=17)  # type: ignore[misc]
            item.height = t.height(60)
            bar.add_widget(item)
        return bar
