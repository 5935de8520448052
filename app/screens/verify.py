"""Verifier mode: scan -> a big green or red verdict with the verified items, the portrait, reasons in
plain words and the trust bundle's age; a request QR for two-way checks; trust bundle sync."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.problems import Problem, problem_text
from app.scanner import Scanner
from app.screens.base import BaseScreen
from app.services import request_texts
from app.ui import Busy, Card, Panel, QrFrames, button, label, photo
from specs.claims import claim_name
from specs.errors import MobileIdError
from specs.qr.presentation import QrRequest
from verifier.result import VerificationResult, claims_of

__all__ = ["RequestScreen", "ResultScreen", "VerifyScreen", "age_text"]


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
        body.add_widget(label(_("Scan the answer to your request.") if pending else
                              _("Scan the QR code on the customer's phone."), t, size=20, bold=True))
        self.scanner = Scanner(t, self.app.frame_source(), self.scanned, phone=self.app.phone)
        body.add_widget(self.scanner)
        body.add_widget(button(_("Ask for something specific (show a request QR)"), t,
                               lambda: self.app.go("verify_request"), kind="secondary"))
        self.scanner.start()

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


class ResultScreen(BaseScreen):
    back_to = "verify"

    def title(self) -> str:
        return _("Result")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        result: VerificationResult | None = self.app.nav_args.get("result")
        if result is None:
            return
        lang = current_language()
        p = t.palette
        fill, on = (p.ok, p.on_ok) if result.valid else (p.bad, p.on_bad)
        verdict = Panel(fill, radius=t.height(16), size_hint_y=None, orientation="vertical", padding=t.height(12),
                        spacing=t.height(4))
        verdict.bind(minimum_height=lambda w, h: setattr(w, "height", max(h, t.height(150))))
        verdict.add_widget(label(_("VALID") if result.valid else _("NOT VALID"), t, size=44, bold=True, color=on,
                                 halign="center"))
        if result.type_name:
            verdict.add_widget(label(result.type_name.get(lang) or result.type_name.get("en", ""), t, size=20,
                                     color=on, halign="center"))
        body.add_widget(verdict)
        if result.valid:
            body.add_widget(self.attributes(result, lang))
        else:
            reasons = Card(t)
            reasons.add_widget(label(_("Why:"), t, size=16, color=t.palette.muted))
            for issue in result.errors:
                reasons.add_widget(label(problem_text(issue.code), t, size=22, bold=True))
                reasons.add_widget(label(issue.code, t, size=13, color=t.palette.muted))
            body.add_widget(reasons)
        body.add_widget(label(age_text(self.app.verifier.bundle_age()), t, size=16, color=t.palette.muted))
        body.add_widget(button(_("Scan the next one"), t, lambda: self.app.go("verify")))

    def attributes(self, result: VerificationResult, lang: str) -> BoxLayout:
        t = self.theme
        card = Card(t)
        claims = claims_of(result, self.app.wallet.catalogue)
        for claim in claims:
            if claim.identifier in ("portrait", "picture") and claim.image:
                card.add_widget(photo(claim.image, t, width=150))
        for claim in claims:
            if claim.image:
                continue
            card.add_widget(label(claim.name(lang), t, size=15, color=t.palette.muted))
            card.add_widget(label(claim.render(lang), t, size=24, bold=True))
        return card


class RequestScreen(BaseScreen):
    """The two-way request QR. A request too big for one code (a signed one with the reader's certificates)
    is shown as frames in turn, like the wallet's answer (``ShowQrScreen``)."""

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
        kind: str | None = self.app.nav_args.get("kind")
        request: QrRequest | None = self.app.nav_args.get("request")  # one prepared elsewhere, e.g. signed
        if request is not None:
            self.app.verifier.pending_request = request  # the answer is checked against this request
        elif kind is None:
            body.add_widget(label(_("What do you need to see?"), t, size=22, bold=True))
            for key, text in (("age19", _("Over 19 only")), ("name_photo", _("Name and photo")),
                              ("licence", _("Driving licence details"))):
                body.add_widget(button(text, t, lambda key=key: self.app.go("verify_request",
                                                                            kind=key)))  # type: ignore[misc]
            return
        else:
            try:
                request = self.app.verifier.request(kind)
            except MobileIdError as exc:
                body.add_widget(label(problem_text(exc.code), t, color=t.palette.bad, bold=True))
                return
        self.texts = request_texts(request)
        body.add_widget(label(_("Let the customer scan this code with their wallet."), t, size=20, bold=True,
                              halign="center"))
        self.frames = QrFrames(self.texts, t, min(self.app.root_window_width() - t.height(32), t.height(420)))
        body.add_widget(self.frames.image)
        body.add_widget(self.frames.part)
        body.add_widget(self._asks(request))
        body.add_widget(button(_("Then scan their answer"), t, lambda: self.app.go("verify")))
        self.frames.start()

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
