"""One card in full (tap "Details" on home), removing a card, and deleting the whole wallet (crypto-erase)."""

from __future__ import annotations

from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.screens.base import BaseScreen
from app.screens.home import as_of_text, display_name, status_text
from app.services import Card as CardInfo
from app.ui import Card, button, label, photo

__all__ = ["CardScreen", "DeleteWalletScreen", "RemoveCardScreen", "detail_lines"]

# Shown elsewhere or not for reading: the picture is drawn, names are the title, age_over_NN are many lines
# that say what the birth date says.
_NOT_LISTED = ("portrait", "picture", "signature_usual_mark", "family_name", "given_name",
               "family_name_national_character", "given_name_national_character")


def detail_lines(card: CardInfo, lang: str) -> list[tuple[str, str]]:
    """(item name, value) for everything on the card a person reads, in the card's own order, each rendered
    by the one claims model (``specs.claims.Claim.render``)."""
    shown = ((claim.name(lang), claim.render(lang)) for claim in card.items
             if claim.identifier not in _NOT_LISTED and not claim.identifier.startswith("age_over_")
             and claim.image is None and not isinstance(claim.value, bytes))
    return [(name, value) for name, value in shown if value]


class CardScreen(BaseScreen):
    back_to = "home"
    secure = True

    def title(self) -> str:
        card: CardInfo | None = self.app.nav_args.get("card")
        return card.name(current_language()) if card else _("Card")

    def fill(self, body: GridLayout) -> None:
        t, lang = self.theme, current_language()
        card: CardInfo | None = self.app.nav_args.get("card")
        if card is None:
            return
        top = Card(t, color=t.palette.licence if card.portrait else None)
        if card.portrait:
            top.add_widget(photo(card.portrait, t, width=120))
        holder = display_name(*card.holder(lang), lang)
        if holder:
            top.add_widget(label(holder, t, size=24, bold=True))
        top.add_widget(label(status_text(card.status), t, size=18, bold=True,
                             color=t.palette.ok if card.usable else t.palette.bad))
        if card.status_at is not None:
            top.add_widget(label(as_of_text(card), t, size=15, color=t.palette.muted))
        body.add_widget(top)
        items = Card(t)
        for name, value in detail_lines(card, lang):
            items.add_widget(label(name, t, size=15, color=t.palette.muted))
            items.add_widget(label(value, t, size=19))
        if card.copies > 1:
            items.add_widget(label(_("{n} single-use copies left").format(n=card.copies), t, size=15,
                                   color=t.palette.muted))
        body.add_widget(items)
        body.add_widget(button(_("Remove this card"), t, lambda: self.app.go("remove_card", card=card),
                               kind="secondary"))


class RemoveCardScreen(BaseScreen):
    back_to = "home"

    def title(self) -> str:
        return _("Remove a card")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        card: CardInfo | None = self.app.nav_args.get("card")
        if card is None:
            return
        body.add_widget(label(_("Remove {card} from this phone?").format(card=card.name(current_language())), t,
                              size=22, bold=True))
        body.add_widget(label(_("Its keys are deleted too. To have it again, ask the issuing office."), t))
        body.add_widget(button(_("Remove"), t, lambda: self.remove(card), kind="danger"))
        body.add_widget(button(_("Cancel"), t, lambda: self.app.go("home"), kind="secondary"))

    def remove(self, card: CardInfo) -> None:
        self.app.wallet.remove(card)
        self.app.go("home")


class DeleteWalletScreen(BaseScreen):
    back_to = "settings"

    def title(self) -> str:
        return _("Delete the wallet")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        warning = Card(t)
        warning.add_widget(label(_("Everything in this wallet will be erased: all cards, their keys and what you "
                                   "shared. This cannot be undone."), t, size=20, bold=True, color=t.palette.bad))
        warning.add_widget(label(_("The wallet's key is destroyed first, so nothing left on the phone can be read "
                                   "again. You then set up a new wallet and get your cards again at the counter."),
                                 t))
        body.add_widget(warning)
        body.add_widget(button(_("Delete everything"), t, self.delete, kind="danger"))
        body.add_widget(button(_("Cancel"), t, lambda: self.app.go(self.app.first_screen()), kind="secondary"))

    def delete(self) -> None:
        self.app.wallet.erase()
        self.app.update_settings(onboarded=False)
        self.app.go("welcome")
