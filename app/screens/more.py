"""History of what was shared (names of items, never values), settings (language, large text, high contrast,
mode, lock now, change PIN, delete the wallet; the shop's name in verifier mode) and the shop's scan log."""

from __future__ import annotations

from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.screens.base import BaseScreen, language_choice
from app.screens.verdict import tone_colours, verdict_text
from app.ui import Card, button, label, text_input, toggle
from specs.errors import CatalogueError, MobileIdError

__all__ = ["HistoryScreen", "ScanLogScreen", "SettingsScreen"]

MAX_SHOP_NAME = 60


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
        notice = self.app.nav_args.get("notice")
        if notice:
            body.add_widget(label(notice, t, bold=True, color=t.palette.ok))
        body.add_widget(label(_("Language / 언어"), t, bold=True))
        body.add_widget(language_choice(self.app))
        body.add_widget(label(_("Reading"), t, bold=True))
        body.add_widget(toggle(_("Large text"), t, state=settings.large_text,
                               on_change=lambda down: self.app.update_settings(large_text=down)))
        body.add_widget(toggle(_("High contrast"), t, state=settings.high_contrast,
                               on_change=lambda down: self.app.update_settings(high_contrast=down)))
        if settings.mode == "wallet":
            self._wallet_part(body)
        else:
            self._shop_part(body)

    def _wallet_part(self, body: GridLayout) -> None:
        t, settings = self.theme, self.app.settings
        body.add_widget(label(_("The wallet locks itself after {n} seconds without use.").format(
            n=settings.lock_seconds), t, size=16, color=t.palette.muted))
        if self.app.wallet.unlocked:
            body.add_widget(button(_("Lock now"), t, self.lock_now, kind="secondary"))
            body.add_widget(button(_("Change PIN"), t, lambda: self.app.go("change_pin"), kind="secondary"))
        body.add_widget(button(_("Switch to verifier mode (for businesses)"), t,
                               lambda: self.switch("verifier"), kind="secondary"))
        body.add_widget(button(_("Delete the wallet"), t, lambda: self.app.go("delete_wallet"), kind="danger"))

    def _shop_part(self, body: GridLayout) -> None:
        t = self.theme
        body.add_widget(label(_("Your shop's name"), t, bold=True))
        body.add_widget(label(_("Customers see it on your request before they share anything."), t, size=16,
                              color=t.palette.muted))
        self.shop = text_input(t, hint=_("e.g. Hanbit Mart, Daeyeon branch"))
        self.shop.text = self.app.settings.shop_name
        body.add_widget(self.shop)
        body.add_widget(button(_("Save the name"), t, self.save_shop, kind="secondary"))
        body.add_widget(button(_("Switch to wallet mode"), t, lambda: self.switch("wallet"), kind="secondary"))

    def save_shop(self) -> None:
        name = " ".join(self.shop.text.split())[:MAX_SHOP_NAME]  # one line, bounded: it goes into every request
        self.app.update_settings(shop_name=name)

    def lock_now(self) -> None:
        self.app.wallet.lock()
        self.app.go("lock")

    def switch(self, mode: str) -> None:
        self.app.wallet.lock()
        self.app.update_settings(mode=mode)
        self.app.go(self.app.first_screen())


class ScanLogScreen(BaseScreen):
    """Verifier mode: when, which document, and the answer the verdict screen gave, in the same words and
    colour ("Under 19: do not sell" in red); no claims are kept."""

    nav = "verifier"

    def title(self) -> str:
        return _("Scan log")

    def fill(self, body: GridLayout) -> None:
        t, lang = self.theme, current_language()
        entries = self.app.verifier.log.entries()
        body.add_widget(label(_("Only the time, the kind of document and the verdict are kept here; nothing about "
                                "the person."), t, size=16, color=t.palette.muted))
        if not entries:
            body.add_widget(label(_("No scans yet."), t, size=20))
        for entry in entries[:100]:
            row = Card(t)
            when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            try:
                document = self.app.wallet.catalogue.get(entry.document).display_name(lang)
            except CatalogueError:
                document = _("Unreadable code")
            row.add_widget(label(f"{when} · {document}", t, size=16, color=t.palette.muted))
            head = entry.headline  # the verdict screen's answer, in its words and colour
            row.add_widget(label(verdict_text(head.key, **head.params), t, size=20, bold=True,
                                 color=tone_colours(t.palette, head.tone)[0]))
            body.add_widget(row)
