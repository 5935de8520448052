"""Add a card: scan the clerk's offer QR (camera) or paste the link, type the 6-digit code, see what arrived."""

from __future__ import annotations

from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.scanner import Scanner
from app.screens.base import BaseScreen
from app.screens.home import status_text
from app.services import Card as CardInfo
from app.services import read_offer
from app.ui import Card, button, label, text_input
from specs.errors import MobileIdError

__all__ = ["AddScreen", "ReceivedScreen"]


class AddScreen(BaseScreen):
    nav = "wallet"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.scanner: Scanner | None = None

    def title(self) -> str:
        return _("Add a card")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        body.add_widget(label(_("1. Scan the QR code on the clerk's screen, or paste the link."), t, bold=True))
        self.scanner = Scanner(t, self.app.frame_source(), self.scanned)
        self.scan_button = button(_("Scan with the camera"), t, self.start_scan)
        body.add_widget(self.scan_button)
        self.link = text_input(t, hint=_("openid-credential-offer://…"), multiline=True)
        body.add_widget(self.link)
        body.add_widget(label(_("2. Type the 6-digit code the clerk tells you."), t, bold=True))
        self.code = text_input(t, hint="123456", digits=True)
        body.add_widget(self.code)
        self.message = label("", t, color=t.palette.bad, bold=True)
        body.add_widget(self.message)
        body.add_widget(button(_("Receive my cards"), t, self.submit))

    def start_scan(self) -> None:
        assert self.body is not None and self.scanner is not None
        if self.scanner.parent is None:
            index = self.body.children.index(self.scan_button)
            self.body.add_widget(self.scanner, index=index)
            self.scanner.start()

    def scanned(self, texts: tuple[str, ...]) -> None:
        offer = read_offer(texts)
        if self.scanner is not None and self.scanner.parent is not None:
            self.scanner.parent.remove_widget(self.scanner)
        if offer is None:
            self.message.text = _("This QR code is not a card offer.")
            return
        self.link.text = offer
        self.message.text = ""
        self.message.color = self.theme.palette.ok
        self.message.text = _("Offer read. Now type the code.")

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()

    def submit(self) -> None:
        offer = self.link.text.strip()
        self.message.color = self.theme.palette.bad
        if not offer.startswith("openid-credential-offer://"):
            self.message.text = _("Scan the clerk's QR code or paste the link first.")
            return
        try:
            cards = self.app.wallet.receive(offer, self.code.text.strip())
        except MobileIdError as exc:
            self.message.text = receive_error(exc.code)
            return
        self.app.go("received", cards=cards)


def receive_error(code: str) -> str:
    if code == "input.tx_code":
        return _("The code must be the 6 digits shown on the clerk's screen.")
    if code == "credential.issuance_token":
        return _("The code is wrong, or this offer was already used or has expired. Ask the clerk.")
    if code.startswith("wallet.") and "pin" in code:
        return _("Enter your PIN first.")
    return _("The cards could not be received. Ask the clerk.") + f" ({code})"


class ReceivedScreen(BaseScreen):
    nav = "wallet"

    def title(self) -> str:
        return _("New cards")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        cards: list[CardInfo] = self.app.nav_args.get("cards", [])
        body.add_widget(label(_("These cards arrived and were checked:"), t, size=20, bold=True))
        for info in cards:
            card = Card(t)
            card.add_widget(label(info.name(current_language()), t, size=20, bold=True))
            card.add_widget(label(status_text(info.status), t, color=t.palette.ok if info.status == "valid"
                                  else t.palette.bad))
            if info.copies > 1:
                card.add_widget(label(_("{n} single-use copies").format(n=info.copies), t, color=t.palette.muted))
            body.add_widget(card)
        body.add_widget(button(_("Go to my wallet"), t, lambda: self.app.go("home")))
