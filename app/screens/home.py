"""Home: the credentials as cards. The licence is drawn as a licence card with its portrait; other
credentials show their catalogue name; a coloured badge says valid, suspended, revoked, expired or expiring, with
the time that status was last learned from the issuer ("as of").
A "Notices" card on top says in plain words what needs doing (expiry, suspension, the aptitude test); the
cards' status is checked with the issuer in the background when home is entered (throttled)."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from app.i18n import _, current_language
from app.screens.base import BaseScreen
from app.services import Card as CardInfo
from app.services import Notice
from app.ui import Card, Panel, button, label, photo, text_width, widest_word
from specs.claims import find_claim
from specs.errors import MobileIdError

__all__ = ["HomeScreen", "as_of_text", "display_name", "notice_text", "status_text"]


def status_text(status: str) -> str:
    return {"valid": _("Valid"), "suspended": _("Suspended"), "revoked": _("Revoked"), "expired": _("Expired"),
            "expiring": _("Expires soon"), "unknown": _("Status unknown")}.get(status, status)


def as_of_text(info: CardInfo) -> str:
    """When the card's status was last learned (its last check with the issuer, else its receipt), in the
    phone's time: the badge says what was known then, not what holds now (the phone may be offline)."""
    if info.status_at is None:
        return ""
    when = info.status_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return _("Status as of {time}").format(time=when)


def notice_text(notice: Notice, card: str) -> str:
    date = notice.date.isoformat() if notice.date else ""
    return {"expired": _("{card} has expired ({date}). Get a new one at the counter."),
            "expiring": _("{card} expires on {date}. Renew it before then."),
            "suspended": _("{card} is suspended and cannot be used for now. Ask the issuing office."),
            "revoked": _("{card} has been revoked and can no longer be used."),
            "aptitude_due": _("Your driving aptitude test is due by {date}. Book it in time."),
            "aptitude_overdue": _("Your driving aptitude test was due on {date}. Take it as soon as possible."),
            }[notice.kind].format(card=card, date=date)


def display_name(family: str, given: str, lang: str) -> str:
    """The holder's name as people write it: Korean family name first with no space (오민은); a name in
    Latin letters family name first in Korean (Oh Mineun), given name first in English (Mineun Oh)."""
    if lang != "ko":
        return f"{given} {family}".strip()
    hangul = all("\uac00" <= ch <= "\ud7a3" for ch in family + given)
    return f"{family}{given}" if hangul else f"{family} {given}".strip()


class HomeScreen(BaseScreen):
    nav = "wallet"
    secure = True  # the cards with name and photo: no screenshots

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
        # A failed status check means nothing before a card is held (nor, then, an issuer trusted).
        if notices or (cards and self.app.wallet.status_problem):
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
        """The status in words on a coloured tag as wide as its text."""
        t = self.theme
        p = t.palette
        color, on = {"valid": (p.ok, p.on_ok), "expiring": (p.warn, p.on_warn)}.get(info.status, (p.bad, p.on_bad))
        words = status_text(info.status)
        badge = Panel(color, radius=t.height(8), size_hint=(None, None), padding=(t.height(8), t.height(4)))
        badge.width = text_width(words, t, 16, bold=True) + t.height(20)
        text = label(words, t, size=16, bold=True, color=on, halign="center")
        badge.add_widget(text)
        text.bind(height=lambda w, h: setattr(badge, "height", h + t.height(8)))
        return badge

    def _title_row(self, info: CardInfo, lang: str, inner: float) -> BoxLayout:
        """The card's name with its status badge beside it when both fit the card's width without splitting
        a word of the name, else the badge under the name."""
        t = self.theme
        name, badge = label(info.name(lang), t, size=20, bold=True), self._badge(info)
        # Beside the badge only when the name stays on one line there; else the badge goes under the name.
        beside = text_width(name.text, t, 20, bold=True) + badge.width + t.height(8) <= inner
        box = BoxLayout(orientation="horizontal" if beside else "vertical", size_hint_y=None, spacing=t.height(8))
        box.add_widget(name)
        box.add_widget(badge)
        if beside:
            badge.pos_hint = {"top": 1}
        box.bind(minimum_height=box.setter("height"))
        if info.status_at is None:
            return box
        column = BoxLayout(orientation="vertical", size_hint_y=None, spacing=t.height(2))
        column.add_widget(box)
        column.add_widget(label(as_of_text(info), t, size=14, color=t.palette.muted))
        column.bind(minimum_height=column.setter("height"))
        return column

    def _inner(self) -> float:
        """The width inside a card on this window (column and card padding off)."""
        return self.app.root_window_width() - self.theme.height(16) * 2 - self.theme.height(14) * 2

    def licence_card(self, info: CardInfo) -> Card:
        """The licence as a licence: portrait and main fields beside it when there is room for the licence
        number on one line, else the portrait above them (a narrow phone with large text)."""
        t = self.theme
        lang = current_language()
        card = Card(t, color=t.palette.licence)
        inner = self._inner()
        card.add_widget(self._title_row(info, lang, inner))
        lines = [(claim.name(lang), claim.render(lang)) for key in ("birth_date", "document_number", "expiry_date")
                 if (claim := find_claim(info.items, key)) is not None]
        holder = display_name(*info.holder(lang), lang)
        picture = photo(info.portrait, t, width=96)
        need = max([widest_word(holder, t, 24, bold=True)] + [text_width(v, t, 18) for _, v in lines])
        beside = picture.width + t.height(12) + need <= inner
        row = BoxLayout(orientation="horizontal" if beside else "vertical", size_hint_y=None, spacing=t.height(12))
        row.add_widget(picture)
        fields = GridLayout(cols=1, size_hint_y=None, spacing=t.height(2))
        fields.bind(minimum_height=fields.setter("height"))
        fields.add_widget(label(holder, t, size=24, bold=True))
        for name, value in lines:
            fields.add_widget(label(name, t, size=14, color=t.palette.muted))
            fields.add_widget(label(value, t, size=18))
        row.add_widget(fields)
        if beside:
            fields.bind(height=lambda w, h: setattr(row, "height", max(h, picture.height)))
        else:
            fields.bind(height=lambda w, h: setattr(row, "height", picture.height + t.height(12) + h))
        card.add_widget(row)
        card.add_widget(self._details_button(info))
        return card

    def _details_button(self, info: CardInfo) -> Widget:
        return button(_("Details"), self.theme, lambda: self.app.go("card", type_key=info.type_key, card=info),
                      kind="secondary", size=18)

    def plain_card(self, info: CardInfo) -> Card:
        t = self.theme
        lang = current_language()
        card = Card(t)
        card.add_widget(self._title_row(info, lang, self._inner()))
        if info.copies > 1:
            card.add_widget(label(_("{n} single-use copies left").format(n=info.copies), t, size=16,
                                  color=t.palette.muted))
        if info.valid_until is not None:
            card.add_widget(label(_("Valid until {date}").format(date=info.valid_until.date().isoformat()), t,
                                  size=16, color=t.palette.muted))
        card.add_widget(self._details_button(info))
        return card
