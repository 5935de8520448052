"""Home: the credentials as cards. The licence is drawn as a licence card with its portrait; other
credentials show their catalogue name; a coloured badge says suspended, revoked, expired or expiring.
A "Notices" card on top says in plain words what needs doing (expiry, suspension, the aptitude test); the
cards' status is checked with the issuer in the background when home is entered (throttled)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.screens.base import BaseScreen
from app.services import Card as CardInfo
from app.services import Notice
from app.ui import Card, Panel, button, label, photo
from specs.errors import MobileIdError

__all__ = ["HomeScreen", "display_name", "fmt_value", "notice_text", "status_text"]


def status_text(status: str) -> str:
    return {"valid": _("Valid"), "suspended": _("Suspended"), "revoked": _("Revoked"), "expired": _("Expired"),
            "expiring": _("Expires soon"), "unknown": _("Status unknown")}.get(status, status)


def notice_text(notice: Notice, card: str) -> str:
    date = notice.date.isoformat() if notice.date else ""
    return {"expired": _("{card} has expired ({date}). Get a new one at the counter."),
            "expiring": _("{card} expires on {date}. Renew it before then."),
            "suspended": _("{card} is suspended and cannot be used for now. Ask the issuing office."),
            "revoked": _("{card} has been revoked and can no longer be used."),
            "aptitude_due": _("Your driving aptitude test is due by {date}. Book it in time."),
            "aptitude_overdue": _("Your driving aptitude test was due on {date}. Take it as soon as possible."),
            }[notice.kind].format(card=card, date=date)


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


def display_name(family: str, given: str, lang: str) -> str:
    """The holder's name as people write it: Korean family name first with no space (오민은); a name in
    Latin letters family name first in Korean (Oh Mineun), given name first in English (Mineun Oh)."""
    if lang != "ko":
        return f"{given} {family}".strip()
    hangul = all("\uac00" <= ch <= "\ud7a3" for ch in family + given)
    return f"{family}{given}" if hangul else f"{family} {given}".strip()


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
        self.app.refresh_status_soon()
        notices = self.app.wallet.notices(cards)
        if notices or self.app.wallet.status_problem:
            body.add_widget(self.notices_card(notices, cards))
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

    def notices_card(self, notices: list[Notice], cards: list[CardInfo]) -> Card:
        t = self.theme
        lang = current_language()
        names = {c.type_key: c.name(lang) for c in cards}
        card = Card(t)
        card.add_widget(label(_("Notices"), t, size=20, bold=True))
        for notice in notices:
            color = t.palette.bad if notice.severity == "bad" else t.palette.warn
            row = BoxLayout(size_hint_y=None, spacing=t.height(10))
            row.add_widget(Panel(color, radius=t.height(3), size_hint_x=None, width=t.height(8)))
            words = label(notice_text(notice, names.get(notice.type_key, notice.type_key)), t, size=18, bold=True,
                          color=color)
            words.bind(height=lambda w, h, row=row: setattr(row, "height", h))
            row.add_widget(words)
            card.add_widget(row)
        if self.app.wallet.status_problem:  # offline or the list could not be checked: say so quietly
            card.add_widget(label(_("The status of your cards could not be checked just now; this is what was "
                                    "last known."), t, size=15, color=t.palette.muted))
        return card

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

    def _title_row(self, info: CardInfo, lang: str) -> BoxLayout:
        """The card's catalogue name with its status badge beside it."""
        t = self.theme
        top = BoxLayout(size_hint_y=None, height=t.height(40), spacing=t.height(8))
        name = label(info.name(lang), t, size=20, bold=True)
        name.size_hint_y = 1
        top.add_widget(name)
        top.add_widget(self._badge(info))
        return top

    def licence_card(self, info: CardInfo) -> Card:
        t = self.theme
        lang = current_language()
        card = Card(t, color=t.palette.licence)
        card.add_widget(self._title_row(info, lang))
        row = BoxLayout(size_hint_y=None, spacing=t.height(12))
        row.add_widget(photo(info.portrait, t, width=96))
        fields = GridLayout(cols=1, size_hint_y=None, spacing=t.height(2))
        fields.bind(minimum_height=fields.setter("height"))
        c = info.claims
        fields.add_widget(label(display_name(str(c.get("family_name", "")), str(c.get("given_name", "")), lang), t,
                                size=24, bold=True))
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
        card.add_widget(self._title_row(info, lang))
        if info.copies > 1:
            card.add_widget(label(_("{n} single-use copies left").format(n=info.copies), t, size=16,
                                  color=t.palette.muted))
        if info.valid_until is not None:
            card.add_widget(label(_("Valid until {date}").format(date=info.valid_until.date().isoformat()), t,
                                  size=16, color=t.palette.muted))
        return card
