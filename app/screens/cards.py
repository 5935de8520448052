"""One card in full (tap "Details" on home), removing a card, and deleting the whole wallet (crypto-erase)."""

from __future__ import annotations

from typing import Any

from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.screens.base import BaseScreen
from app.screens.home import display_name, fmt_value, status_text
from app.services import Card as CardInfo
from app.ui import Card, button, label, photo

__all__ = ["CardScreen", "DeleteWalletScreen", "RemoveCardScreen", "detail_lines"]

# Shown elsewhere or not for reading: the picture is drawn, names are the title, age_over_NN are many lines
# that say what the birth date says.
_NOT_LISTED = ("portrait", "picture", "signature_usual_mark", "family_name", "given_name",
               "family_name_national_character", "given_name_national_character")


def _privileges(value: Any) -> str:
    """Licence classes (ISO/IEC 18013-5 driving_privileges): the class codes, with their end dates if any."""
    if not isinstance(value, list | tuple):
        return fmt_value(value)
    parts = []
    for item in value:
        if isinstance(item, dict) and item.get("vehicle_category_code"):
            until = item.get("expiry_date")
            parts.append(str(item["vehicle_category_code"]) + (f" ({fmt_value(until)})" if until else ""))
    return ", ".join(parts) or fmt_value(value)


def detail_lines(card: CardInfo, name_of: Any) -> list[tuple[str, str]]:
    """(item name, value) for everything on the card a person reads, in the card's own order."""
    lines = []
    for key, value in card.claims.items():
        if key in _NOT_LISTED or key.startswith("age_over_") or isinstance(value, bytes):
            continue
        if key == "driving_privileges":
            shown = _privileges(value)
        elif key == "sex" and value in (1, 2):  # ISO/IEC 5218, as ISO/IEC 18013-5 codes it
            shown = _("Male") if value == 1 else _("Female")
        else:
            shown = fmt_value(value)
        if shown:
            lines.append((name_of(key), shown))
    return lines


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
        body.add_widget(top)
        items = Card(t)
        for name, value in detail_lines(card, lambda key: self.app.wallet.claim_name(card.type_key, key, lang)):
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
