"""History of what was shared (names of items, never values) and settings (language, large text,
high contrast, mode, lock now)."""

from __future__ import annotations

from functools import partial

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.screens.base import BaseScreen, choose_language
from app.ui import Card, button, label, toggle
from specs.errors import CatalogueError, MobileIdError

__all__ = ["HistoryScreen", "SettingsScreen"]


class HistoryScreen(BaseScreen):
    back_to = "home"

    def title(self) -> str:
        return _("What I shared")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        lang = current_language()
        try:
            entries = self.app.wallet.history()
        except MobileIdError:
            self.app.go("lock")
            return
        if not entries:
            body.add_widget(label(_("Nothing shared yet."), t, size=20))
        for entry in entries:
            card = Card(t)
            when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M")
            who = _("Whoever scanned my QR code") if entry.mode == "one-way" else entry.verifier
            card.add_widget(label(f"{when} · {who}", t, size=16, color=t.palette.muted))
            try:
                doc_type = self.app.wallet.catalogue.get(entry.type_id)
                type_name = doc_type.display_name(lang)
            except CatalogueError:
                type_name = entry.type_id
            card.add_widget(label(type_name, t, size=20, bold=True))
            names = [self.app.wallet.claim_name(entry.type_id, e, lang) for e in entry.elements]
            card.add_widget(label(", ".join(names), t, size=18))
            body.add_widget(card)


class SettingsScreen(BaseScreen):
    @property
    def nav(self) -> str:  # type: ignore[override]
        return self.app.settings.mode

    def title(self) -> str:
        return _("Settings")

    def fill(self, body: GridLayout) -> None:
        t, settings = self.theme, self.app.settings
        body.add_widget(label(_("Language / 언어"), t, bold=True))
        row = BoxLayout(size_hint_y=None, height=t.height(58), spacing=t.height(10))
        for code, name in (("ko", "한국어"), ("en", "English")):
            row.add_widget(toggle(name, t, state=settings.language == code, group="lang",
                                  on_change=partial(choose_language, self.app, code)))
        body.add_widget(row)
        body.add_widget(label(_("Reading"), t, bold=True))
        body.add_widget(toggle(_("Large text"), t, state=settings.large_text,
                               on_change=lambda down: self.app.update_settings(large_text=down)))
        body.add_widget(toggle(_("High contrast"), t, state=settings.high_contrast,
                               on_change=lambda down: self.app.update_settings(high_contrast=down)))
        body.add_widget(label(_("The wallet locks itself after {n} seconds without use.").format(
            n=settings.lock_seconds), t, size=16, color=t.palette.muted))
        if settings.mode == "wallet":
            if self.app.wallet.unlocked:
                body.add_widget(button(_("Lock now"), t, self.lock_now, kind="secondary"))
            body.add_widget(button(_("Switch to verifier mode (for businesses)"), t,
                                   lambda: self.switch("verifier"), kind="secondary"))
        else:
            body.add_widget(button(_("Switch to wallet mode"), t, lambda: self.switch("wallet"), kind="secondary"))

    def lock_now(self) -> None:
        self.app.wallet.lock()
        self.app.go("lock")

    def switch(self, mode: str) -> None:
        self.app.wallet.lock()
        self.app.update_settings(mode=mode)
        self.app.go(self.app.first_screen())
