"""Verifier mode: choose the question (a policy preset: over 19, over 65, identity, supplier, may drive; or
only "genuine"), scan -> the verdict (``app.screens.verdict``); a request QR for two-way checks that asks
the chosen question; trust bundle sync."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.problems import Problem, problem_text
from app.scanner import Scanner
from app.screens.base import BaseScreen
from app.screens.verdict import mode_text
from app.services import request_texts
from app.ui import Busy, Card, QrFrames, button, label, toggle
from app.verifier_service import REQUESTS
from specs.claims import claim_name
from specs.errors import MobileIdError
from specs.qr.presentation import QrRequest
from verifier.verdict import MODES

__all__ = ["RequestScreen", "VerifyScreen", "age_text"]



def age_text(age: dt.timedelta | None) -> str:
    if age is None:
        return _("No list of trusted issuers yet.")
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return _("Trusted issuers updated less than an hour ago.")
    if hours < 48:
        return _("Trusted issuers updated {n} hours ago.").format(n=hours)
    return _("Trusted issuers updated {n} days ago.").format(n=hours // 24)


class VerifyScreen(BaseScreen):
    nav = "verifier"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scanner: Scanner | None = None

    def title(self) -> str:
        return _("Check an ID")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        service = self.app.verifier
        pending = service.pending_request
        self.trust = trust = Card(t)
        self.age_label = label(age_text(service.bundle_age()), t, size=16)
        trust.add_widget(self.age_label)
        self.sync_button = button(_("Sync trusted issuers"), t, self.sync, kind="secondary", size=18)
        trust.add_widget(self.sync_button)
        body.add_widget(trust)
        body.add_widget(self._modes())
        body.add_widget(label(_("Scan the answer to your request.") if pending else
                              _("Scan the QR code on the customer's phone."), t, size=20, bold=True))
        self.scanner = Scanner(t, self.app.frame_source(), self.scanned, phone=self.app.phone)
        body.add_widget(self.scanner)
        body.add_widget(button(_("Ask for something specific (show a request QR)"), t,
                               lambda: self.app.go("verify_request"), kind="secondary"))
        self.scanner.start()

    def _modes(self) -> GridLayout:
        """The mode chooser: what the shop needs to know (a preset) or only whether the card is genuine."""
        t = self.theme
        narrow = self.app.root_window_width() < t.height(340)  # a small phone or large text: one column
        grid = GridLayout(cols=1 if narrow else 2, size_hint_y=None, spacing=t.height(8))
        grid.bind(minimum_height=grid.setter("height"))
        for mode in MODES:
            grid.add_widget(toggle(mode_text(mode), t, state=self.app.settings.check == mode, group="check",
                                   on_change=partial(self._choose, mode)))
        return grid

    def _choose(self, mode: str, down: bool) -> None:
        if down and self.app.settings.check != mode:
            self.app.update_settings(check=mode)

    def sync(self) -> None:
        """Fetch the trust bundle on a worker thread; the scanner keeps running meanwhile."""
        progress = Busy(_("Syncing trusted issuers…"), self.theme)
        self.trust.add_widget(progress)
        progress.start()
        self.sync_button.disabled = True
        label_, palette = self.age_label, self.theme.palette

        def done(_value: object, problem: Problem | None) -> None:
            progress.stop()
            self.trust.remove_widget(progress)
            self.sync_button.disabled = False
            if problem is not None:
                label_.text = _("Sync failed.") + " " + problem_text(problem.code)
                label_.color = palette.bad
                return
            label_.text = age_text(self.app.verifier.bundle_age())
            label_.color = palette.ok

        self.app.background(self.app.verifier.sync, done)

    def scanned(self, texts: tuple[str, ...]) -> None:
        self.app.go("verify_result", result=self.app.verifier.verify(texts))

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()


class RequestScreen(BaseScreen):
    """The two-way request QR, for the question chosen in the mode chooser (over 19, over 65, identity,
    supplier, may drive: each asks for what its policy needs); with only "genuine" chosen, a menu of those
    questions. A request too big for one code (a signed one with the reader's certificates) is shown as
    frames in turn, like the wallet's answer (``ShowQrScreen``)."""

    back_to = "verify"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.texts: tuple[str, ...] = ()
        self.frames: QrFrames | None = None

    @property
    def frame(self) -> int:
        return self.frames.frame if self.frames else 0

    def title(self) -> str:
        return _("Ask for something specific")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        question: str | None = self.app.nav_args.get("kind")
        request: QrRequest | None = self.app.nav_args.get("request")  # one prepared elsewhere, e.g. signed
        if request is None and question is None and not self.app.nav_args.get("choose"):
            question = self.app.verifier.check if self.app.verifier.check in REQUESTS else None
        if request is not None:
            self.app.verifier.pending_request = request  # the answer is checked against this request
        elif question is None:
            self._menu(body)
            return
        else:
            try:
                request = self.app.verifier.request(question)
            except MobileIdError as exc:
                body.add_widget(label(problem_text(exc.code), t, color=t.palette.bad, bold=True))
                return
            body.add_widget(label(mode_text(question), t, size=22, bold=True, halign="center"))
        self.texts = request_texts(request)
        body.add_widget(label(_("Let the customer scan this code with their wallet."), t, size=20, bold=True,
                              halign="center"))
        self.frames = QrFrames(self.texts, t, min(self.app.root_window_width() - t.height(32), t.height(420)))
        body.add_widget(self.frames.image)
        body.add_widget(self.frames.part)
        body.add_widget(self._asks(request))
        body.add_widget(button(_("Then scan their answer"), t, lambda: self.app.go("verify")))
        if question is not None:
            body.add_widget(button(_("Ask for something else"), t, lambda: self.app.go("verify_request", choose=True),
                                   kind="secondary"))
        self.frames.start()

    def _menu(self, body: GridLayout) -> None:
        """Every question of the mode chooser has its request; choosing one also makes it the question the
        answer is judged by (the verdict then answers what was asked)."""
        t = self.theme
        body.add_widget(label(_("What do you need to see?"), t, size=22, bold=True))
        for question in REQUESTS:
            body.add_widget(button(mode_text(question), t, partial(self._ask, question)))

    def _ask(self, question: str) -> None:
        if self.app.settings.check != question:
            self.app.update_settings(check=question)
        self.app.go("verify_request", kind=question)

    def _asks(self, request: QrRequest) -> Card:
        """What the request asks for, in the customer's words, from whom and until when."""
        t, lang, catalogue = self.theme, current_language(), self.app.wallet.catalogue
        card = Card(t)
        card.add_widget(label(_("{shop} asks for:").format(shop=request.verifier), t, size=16,
                              color=t.palette.muted))
        for identifier, names in request.items.items():
            try:
                doc_type = catalogue.find(identifier)
            except MobileIdError:
                continue
            items = ", ".join(claim_name(doc_type, n, lang) for n in names)
            card.add_widget(label(f"{doc_type.display_name(lang)}: {items}", t, size=18, bold=True))
        until = request.expires.astimezone().strftime("%H:%M")
        card.add_widget(label(_("This request is valid until {time}.").format(time=until), t, size=16))
        return card

    def stop(self) -> None:
        if self.frames is not None:
            self.frames.stop()
