"""Sharing: presets or a custom choice -> consent (who asks, exactly what) -> the QR with a countdown.

A two-way request comes from scanning the business's QR code; the consent screen then names the business
as its request states it and lists exactly the asked items.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.uix.gridlayout import GridLayout

from app.i18n import _, current_language
from app.problems import Problem, problem_text
from app.scanner import Scanner
from app.screens.base import BaseScreen
from app.services import ReaderCheck, SharePreview, read_request
from app.ui import Busy, Card, QrFrames, button, label, toggle
from specs.errors import CatalogueError, MobileIdError
from specs.qr.presentation import ONE_WAY_WINDOW, QrRequest

__all__ = ["ConsentScreen", "CustomScreen", "ScanRequestScreen", "ShareScreen", "ShowQrScreen",
           "refill_error"]



def preset_label(preset: str) -> str:
    return {"age19": _("I am 19 or older"), "age14": _("I am 14 or older"), "age65": _("I am 65 or older"),
            "name_photo": _("My name and photo"), "full_licence": _("My whole licence"),
            "full_licence_portrait": _("My whole licence with photo"), "supplier_check": _("My business details"),
            "discount_check": _("Eligible for discounts"), "address": _("My name and address")}.get(preset, preset)


class ShareScreen(BaseScreen):
    nav = "wallet"

    def title(self) -> str:
        return _("Show a card")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        try:
            presets = self.app.wallet.presets()
            cards = self.app.wallet.cards()
        except MobileIdError:
            self.app.go("lock")
            return
        if not cards:
            body.add_widget(label(_("No cards yet."), t, size=22, bold=True))
            return
        body.add_widget(label(_("What do you want to show?"), t, size=22, bold=True))
        for preset, _names in presets:
            body.add_widget(button(preset_label(preset), t,
                                   lambda preset=preset: self.app.go("consent", preset=preset)))  # type: ignore[misc]
        body.add_widget(label(_("Or choose items yourself:"), t, bold=True))
        for info in (c for c in cards if c.usable):
            body.add_widget(button(info.name(current_language()), t,
                                   lambda key=info.type_key: self.app.go("custom", type_key=key),  # type: ignore[misc]
                                   kind="secondary"))
        body.add_widget(button(_("Answer a business's request (scan its QR)"), t,
                               lambda: self.app.go("scan_request"), kind="secondary"))


class CustomScreen(BaseScreen):
    back_to = "share"

    def title(self) -> str:
        return _("Choose what to show")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        type_key: str = self.app.nav_args.get("type_key", "")
        self.type_key = type_key
        self.chosen: dict[str, bool] = {}
        try:
            doc_type = self.app.wallet.catalogue.get(type_key)
        except CatalogueError:
            return
        body.add_widget(label(doc_type.display_name(current_language()), t, size=22, bold=True))
        try:
            held = self.app.wallet.elements(type_key)  # only what this card holds: nothing ends in "nothing to share"
        except MobileIdError:
            self.app.go("lock")
            return
        for element in held:
            self.chosen[element] = False
            body.add_widget(toggle(self.app.wallet.claim_name(type_key, element, current_language()), t, state=False,
                                   on_change=lambda down, key=element: self.chosen.__setitem__(
                                       key, down)))  # type: ignore[misc]
        self.message = label("", t, color=t.palette.bad)
        body.add_widget(self.message)
        body.add_widget(button(_("Continue"), t, self.submit))

    def submit(self) -> None:
        elements = tuple(k for k, v in self.chosen.items() if v)
        if not elements:
            self.message.text = _("Choose at least one item.")
            return
        self.app.go("consent", type_key=self.type_key, elements=elements)


class ConsentScreen(BaseScreen):
    back_to = "share"

    def title(self) -> str:
        return _("Check before you share")

    def _what(self) -> tuple[str, list[str], SharePreview]:
        """(type name, item names, preview) of what will be shared."""
        args, wallet, lang = self.app.nav_args, self.app.wallet, current_language()
        preview = wallet.preview(preset=args.get("preset"), type_key=args.get("type_key"),
                                 elements=args.get("elements", ()), request=args.get("request"))
        try:
            type_name = wallet.catalogue.get(preview.type_key).display_name(lang)
        except CatalogueError:
            type_name = preview.type_key
        return type_name, [wallet.claim_name(preview.type_key, n, lang) for n in preview.items], preview

    def _reader_line(self, reader: ReaderCheck) -> Any:
        t = self.theme
        if reader.checked_name:
            return label(_("Signed by {name}: checked.").format(name=reader.checked_name), t, size=16, bold=True,
                         color=t.palette.ok)
        if reader.signed:  # a signature nobody on this phone can check proves nothing about who asks
            return label(_("Signed, but this phone cannot check who signed it: check the business's name on "
                           "site."), t, size=16, color=t.palette.warn)
        return label(_("This business did not sign its request: check its name on site."), t, size=16,
                     color=t.palette.muted)

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        request: QrRequest | None = self.app.nav_args.get("request")
        try:
            type_name, items, preview = self._what()
        except MobileIdError:
            self.app.go("lock")
            return
        who = Card(t)
        who.add_widget(label(_("Who asks"), t, size=16, color=t.palette.muted))
        who.add_widget(label(request.verifier if request else _("Whoever scans your QR code"), t, size=22,
                             bold=True))
        reader: ReaderCheck | None = self.app.nav_args.get("reader")
        if request is not None:
            who.add_widget(self._reader_line(reader or ReaderCheck(signed=request.reader_auth is not None)))
        body.add_widget(who)
        what = Card(t)
        what.add_widget(label(_("What they will see, from your {card}:").format(card=type_name), t, size=16,
                              color=t.palette.muted))
        for item in items:
            what.add_widget(label("• " + item, t, size=22, bold=True))
        what.add_widget(label(_("Nothing else is shared."), t, size=16, color=t.palette.muted))
        body.add_widget(what)
        for warning in self._warnings(preview):
            body.add_widget(warning)
        self.message = label("", t, color=t.palette.bad, bold=True)
        body.add_widget(self.message)
        body.add_widget(button(_("Share"), t, self.share, kind="ok"))
        body.add_widget(button(_("Cancel"), t, lambda: self.app.go("home"), kind="secondary"))

    def _warnings(self, preview: SharePreview) -> list[Card]:
        """Said before agreeing: a "no" answer, and a last copy that may be recognised when shown again."""
        t, lang, cards = self.theme, current_language(), []
        if preview.answers_no:
            names = ", ".join(self.app.wallet.claim_name(preview.type_key, n, lang) for n in preview.answers_no)
            card = Card(t)
            card.add_widget(label(_("The answer will be \"No\" for: {items}.").format(items=names), t, size=18,
                                  bold=True, color=t.palette.bad))
            card.add_widget(label(_("Your card says you do not meet this. The business will see \"No\"."), t,
                                  size=16))
            cards.append(card)
        if preview.last_copy:
            card = Card(t)
            card.add_widget(label(_("This is your last single-use copy."), t, size=18, bold=True,
                                  color=t.palette.warn))
            card.add_widget(label(_("If it is shown again, businesses could tell it is the same card and link your "
                                    "visits. Get more copies first if you can."), t, size=16))
            cards.append(card)
        return cards

    def share(self) -> None:
        args = self.app.nav_args
        try:
            shown = self.app.wallet.present(preset=args.get("preset"), type_key=args.get("type_key"),
                                            elements=args.get("elements", ()), request=args.get("request"))
        except MobileIdError as exc:
            self.message.text = _("This cannot be shared.") + " " + problem_text(exc.code)
            return
        self.app.go("show_qr", presentation=shown, two_way=args.get("request") is not None, again=dict(args))


class ShowQrScreen(BaseScreen):
    back_to = "home"
    secure = True  # no screenshot of a live code
    bright = True  # screen on, full brightness while the code is shown

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._events: list[Any] = []
        self.frames: QrFrames | None = None
        self.live: Busy | None = None

    @property
    def frame(self) -> int:
        return self.frames.frame if self.frames else 0

    def title(self) -> str:
        return _("Show this code")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        shown = self.app.nav_args.get("presentation")
        if shown is None:
            return
        self.texts: tuple[str, ...] = shown.texts
        self.started = self.app.clock()
        body.add_widget(label(_("Hold the phone still in front of the scanner."), t, size=18, bold=True,
                              halign="center"))
        self.frames = QrFrames(self.texts, t, min(self.app.root_window_width() - t.height(32), t.height(440)))
        self.qr = self.frames.image
        body.add_widget(self.qr)
        body.add_widget(self.frames.part)
        # A mark that moves and a clock that ticks: a screenshot of this screen stands still.
        self.live = Busy("", t)
        body.add_widget(self.live)
        self.live.start()
        self.countdown = label("", t, size=24, bold=True, halign="center")
        body.add_widget(self.countdown)
        self.again = button(_("Make a new code"), t, self.make_again)  # shown once the code has expired
        lang = current_language()
        what = Card(t)
        what.add_widget(label(_("This code shows:"), t, size=16, color=t.palette.muted))
        what.add_widget(label(", ".join(self.app.wallet.claim_name(shown.type_id, e, lang) for e in shown.elements),
                              t, size=18, bold=True))
        body.add_widget(what)
        if shown.needs_refill:
            body.add_widget(label(_("Few single-use copies left: get more at the counter or online."), t, size=16,
                                  color=t.palette.warn))
            if self.app.wallet.http is not None:
                self.refill_button = button(_("Get more copies"), t, self.refill, kind="secondary")
                body.add_widget(self.refill_button)
                self.refill_result = label("", t, size=16, bold=True)
                body.add_widget(self.refill_result)
        body.add_widget(button(_("Done"), t, lambda: self.app.go("home")))
        self.tick()
        self._events = [Clock.schedule_interval(self.tick, 0.25)]
        self.frames.start()

    def make_again(self) -> None:
        """A fresh code with the same choice (a new single-use copy, a new time): back through consent."""
        again = self.app.nav_args.get("again") or {}
        if again.get("request") is not None:
            self.app.go("scan_request")  # a business's request has its own expiry: scan a fresh one
        else:
            self.app.go("consent", **again)

    def refill(self) -> None:
        """Fetch fresh copies from the issuer on a worker thread; the code on screen stays valid meanwhile."""
        type_key = self.app.nav_args["presentation"].type_id
        # The answer goes to these widgets, even if the screen was rebuilt for another code meanwhile.
        pressed, result = self.refill_button, self.refill_result
        pressed.disabled = True
        result.color, result.text = self.theme.palette.muted, _("Getting more copies…")

        def done(copies: int | None, problem: Problem | None) -> None:
            pressed.disabled = False
            if problem is not None or copies is None:
                result.color, result.text = self.theme.palette.bad, refill_error(problem.code if problem else "")
                return
            result.color = self.theme.palette.ok
            result.text = _("Done: you now have {n} single-use copies.").format(n=copies)
            if pressed.parent is not None:  # enough copies again: nothing more to fetch here
                pressed.parent.remove_widget(pressed)

        self.app.background(lambda: self.app.wallet.refill(type_key), done)

    def remaining(self) -> int:
        if self.app.nav_args.get("two_way"):
            return -1  # a two-way answer is bound to the request, which carries its own expiry
        return max(0, int(ONE_WAY_WINDOW.total_seconds() - (self.app.clock() - self.started).total_seconds()))

    def tick(self, *args: Any) -> None:
        left = self.remaining()
        if self.live is not None:
            self.live.words.text = _("Live") + " · " + self.app.clock().astimezone().strftime("%H:%M:%S")
        if left < 0:
            self.countdown.text = ""
        elif left > 0:
            self.countdown.text = _("Valid for {s} seconds").format(s=left)
        else:
            self.countdown.text = _("This code has expired.")
            self.countdown.color = self.theme.palette.bad
            self.qr.opacity = 0
            if self.again.parent is None and self.body is not None:
                self.body.add_widget(self.again, index=self.body.children.index(self.countdown))
            self.stop()

    def stop(self) -> None:
        for event in self._events:
            event.cancel()
        self._events = []
        if self.frames is not None:
            self.frames.stop()
        if self.live is not None:
            self.live.stop()


def refill_error(code: str) -> str:
    return _("Could not get more copies.") + " " + problem_text(code)


class ScanRequestScreen(BaseScreen):
    back_to = "home"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scanner: Scanner | None = None

    def title(self) -> str:
        return _("Scan the business's QR")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        body.add_widget(label(_("Point the camera at the QR code the business shows you. You will see who "
                                "asks and what before anything is shared."), t))
        self.scanner = Scanner(t, self.app.frame_source(), self.scanned, phone=self.app.phone)
        body.add_widget(self.scanner)
        self.message = label("", t, color=t.palette.bad, bold=True)
        body.add_widget(self.message)
        self.scanner.start()

    def scanned(self, texts: tuple[str, ...]) -> None:
        try:
            request = read_request(texts)
            request.check_fresh(self.app.clock())
        except MobileIdError as exc:
            self.message.text = problem_text(exc.code)
            return
        try:
            reader = self.app.wallet.check_reader(request)
        except MobileIdError:
            self.message.text = _("The business's signature does not check out: do not share.")
            return
        try:
            self.app.wallet.answer_for(request)
        except MobileIdError:
            self.message.text = _("You have none of the IDs this business asks for.")
            return
        self.app.go("consent", request=request, reader=reader)

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
