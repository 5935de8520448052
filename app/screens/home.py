"""Home: the credentials as cards. The licence is drawn as a licence card with its portrait; other
credentials show their catalogue name; a coloured badge says suspended, revoked, expired or expiring."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.screens.base import BaseScreen
from app.services import Card as CardInfo
from app.ui import Card, Panel, button, label, photo
from specs.errors import MobileIdError

__all__ = ["HomeScreen", "fmt_value", "status_text"]


def status_text(status: str) -> str:
    return {"valid": _("Valid"), "suspended": _("Suspended"), "revoked": _("Revoked"), "expired": _("Expired"),
            "expiring": _("Expires soon"), "unknown": _("Status unknown")}.get(status, status)


def fmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return _("(picture)")
    if isinstance(value, list | tuple):
        return ", ".join(fmt_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{fmt_value(v)}" for v in value.values())
    return str(value)


class HomeScreen(BaseScreen):
    nav = "wallet"

    def title(self) -> str:
        return _("My wallet")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        try:
            cards = self.app.wallet.cards()
        except MobileIdError:
            self.app.go("lock")
            return
        self.cards = cards
        if not cards:
            empty = Card(t)
            empty.add_widget(label(_("No cards yet."), t, size=22, bold=True))
            empty.add_widget(label(_("At the counter, the clerk shows a QR code and a 6-digit code. Tap "
                                     "'Add a card' to receive your cards."), t))
            body.add_widget(empty)
            body.add_widget(button(_("Add a card"), t, lambda: self.app.go("add")))
            return
        for info in cards:
            body.add_widget(self.licence_card(info) if info.portrait else self.plain_card(info))
        body.add_widget(button(_("Show a card (QR)"), t, lambda: self.app.go("share")))
        body.add_widget(button(_("Answer a business's request"), t, lambda: self.app.go("scan_request"),
                               kind="secondary"))
        body.add_widget(button(_("What I shared"), t, lambda: self.app.go("history"), kind="secondary"))

    def _badge(self, info: CardInfo) -> BoxLayout:
        t = self.theme
        color = {"valid": t.palette.ok, "expiring": t.palette.warn}.get(info.status, t.palette.bad)
        badge = Panel(color, radius=t.height(8), size_hint=(None, None), height=t.height(34),
                      width=t.height(150), padding=(t.height(6), 0))
        text = label(status_text(info.status), t, size=16, bold=True, color=t.palette.on_primary
                     if color != t.palette.warn or t.palette.on_primary != (0, 0, 0, 1) else (0, 0, 0, 1),
                     halign="center")
        text.size_hint_y = 1
        badge.add_widget(text)
        return badge

    def licence_card(self, info: CardInfo) -> Card:
        t = self.theme
        lang = current_language()
        card = Card(t, color=t.palette.licence)
        top = BoxLayout(size_hint_y=None, height=t.height(40), spacing=t.height(8))
        name = label(info.name(lang), t, size=20, bold=True)
        name.size_hint_y = 1
        top.add_widget(name)
        top.add_widget(self._badge(info))
        card.add_widget(top)
        row = BoxLayout(size_hint_y=None, spacing=t.height(12))
        row.add_widget(photo(info.portrait, t, width=96))
        fields = GridLayout(cols=1, size_hint_y=None, spacing=t.height(2))
        fields.bind(minimum_height=fields.setter("height"))
        c = info.claims
        full = (f"{c.get('family_name', '')}{c.get('given_name', '')}" if lang == "ko"
                else f"{c.get('given_name', '')} {c.get('family_name', '')}")
        fields.add_widget(label(full.strip(), t, size=24, bold=True))
        for key in ("birth_date", "document_number", "expiry_date"):
            if key in c:
                fields.add_widget(label(self.app.wallet.claim_name(info.type_key, key, lang), t, size=14,
                                        color=t.palette.muted))
                fields.add_widget(label(fmt_value(c[key]), t, size=18))
        row.add_widget(fields)
        row.bind(minimum_height=lambda *_: None)
        fields.bind(height=lambda w, h: setattr(row, "height", max(h, t.height(96 * 4 / 3))))
        card.add_widget(row)
        return card

    def plain_card(self, info: CardInfo) -> Card:
        t = self.theme
        lang = current_language()
        card = Card(t)
        top = BoxLayout(size_hint_y=None, height=t.height(40), spacing=t.height(8))
        name = label(info.name(lang), t, size=20, bold=True)
        name.size_hint_y = 1
        top.add_widget(name)
        top.add_widget(self._badge(info))
        card.add_widget(top)
        if info.copies > 1:
            card.add_widget(label(_("{n} single-use copies left").format(n=info.copies), t, size=16,
                                  color=t.palette.muted))
        if info.valid_until is not None:
            card.add_widget(label(_("Valid until {date}").format(date=info.valid_until.date().isoformat()), t,
                                  size=16, color=t.palette.muted))
        return card
