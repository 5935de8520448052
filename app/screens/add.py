"""Add a card: scan the clerk's offer QR (camera) or paste the link, type the 6-digit code, see what arrived."""

from __future__ import annotations

from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.problems import Problem, problem_text
from app.scanner import Scanner
from app.screens.base import BaseScreen
from app.screens.home import status_text
from app.services import Card as CardInfo
from app.services import read_offer
from app.ui import Busy, Card, button, label, text_input
from specs.text import safe_text

__all__ = ["AddScreen", "ReceivedScreen"]


class AddScreen(BaseScreen):
    nav = "wallet"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.scanner: Scanner | None = None
        self.progress: Busy | None = None
        self.offer = ""  # the scanned offer link: kept, never shown (it is percent-encoded JSON)

    def title(self) -> str:
        return _("Add a card")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        self.offer = ""
        body.add_widget(label(_("1. Scan the QR code on the clerk's screen, or paste the link."), t, bold=True))
        self.scanner = Scanner(t, self.app.frame_source(), self.scanned, phone=self.app.phone)
        self.scan_button = button(_("Scan with the camera"), t, self.start_scan)
        body.add_widget(self.scan_button)
        self.link = text_input(t, hint=_("Paste the link here"), multiline=True)
        body.add_widget(self.link)
        self.offer_line = label("", t, color=t.palette.ok, bold=True)
        body.add_widget(self.offer_line)
        body.add_widget(label(_("2. Type the 6-digit code the clerk tells you."), t, bold=True))
        self.code = text_input(t, hint="123456", digits=True)
        body.add_widget(self.code)
        self.message = label("", t, color=t.palette.bad, bold=True)
        body.add_widget(self.message)
        self.submit_button = button(_("Receive my cards"), t, self.submit)
        body.add_widget(self.submit_button)

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
        self.offer, self.link.text, self.message.text = offer, "", ""
        self.offer_line.text = _("Offer read from {issuer}. Now type the code.").format(
            issuer=safe_text(offer_issuer(offer), limit=120))  # the issuer's address came in the QR: outside text

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
        if self.progress is not None:
            self.progress.stop()

    def submit(self) -> None:
        offer = self.offer or self.link.text.strip()
        self.message.color = self.theme.palette.bad
        if not offer.startswith("openid-credential-offer://"):
            self.message.text = _("Scan the clerk's QR code or paste the link first.")
            return
        assert self.body is not None
        self.message.text = ""
        self.progress = progress = Busy(_("Receiving your cards… This can take a minute on a slow network."),
                                        self.theme)
        self.body.add_widget(progress, index=self.body.children.index(self.submit_button))
        progress.start()
        self.submit_button.disabled = True
        code = self.code.text.strip()

        def done(cards: list[CardInfo] | None, problem: Problem | None) -> None:
            progress.stop()
            if progress.parent is not None:
                progress.parent.remove_widget(progress)
            self.submit_button.disabled = False
            if problem is not None or cards is None:
                problem = problem or Problem("")
                self.message.text = problem_text(problem.code, tries=problem.tries)
                return
            self.app.go("received", cards=cards)

        self.app.background(lambda: self.app.wallet.receive(offer, code), done)


def offer_issuer(offer: str) -> str:
    """The issuer's host named in an offer, for the holder to recognise (the link itself is never shown)."""
    from urllib.parse import urlsplit

    from specs.errors import MobileIdError as _Error
    from wallet.oid4vci import CredentialOffer

    try:
        host = urlsplit(CredentialOffer.parse(offer).issuer).hostname or ""
    except (_Error, ValueError):
        return _("the issuer")
    return "".join(ch for ch in host if ch.isalnum() or ch in ".-")[:64] or _("the issuer")


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
