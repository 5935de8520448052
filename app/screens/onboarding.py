"""First run: language, what the wallet is, the PIN and what happens after too many wrong PINs; the lock."""

from __future__ import annotations

from functools import partial

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from app.i18n import _
from app.screens.base import BaseScreen, choose_language, to_verifier_mode
from app.ui import Card, button, label, text_input, toggle
from specs.errors import MobileIdError

__all__ = ["LockScreen", "PinSetupScreen", "WelcomeScreen"]

PIN_LENGTH = 6


class WelcomeScreen(BaseScreen):
    def title(self) -> str:
        return _("Welcome to mobileid")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        body.add_widget(label(_("Language / 언어"), t, size=20, bold=True))
        row = BoxLayout(size_hint_y=None, height=t.height(58), spacing=t.height(10))
        for code, name in (("ko", "한국어"), ("en", "English")):
            row.add_widget(toggle(name, t, state=self.app.settings.language == code, group="lang",
                                  on_change=partial(choose_language, self.app, code)))
        body.add_widget(row)
        card = Card(t)
        card.add_widget(label(_("Your ID cards on your phone"), t, size=22, bold=True))
        for line in (_("Keep your mobile driving licence and e-certificates here."),
                     _("Show only what is needed: for example, that you are over 19, without your name."),
                     _("Your cards stay on this phone. Nothing is shared unless you agree.")):
            card.add_widget(label("• " + line, t, size=18))
        body.add_widget(card)
        body.add_widget(button(_("Start"), t, lambda: self.app.go("pin_setup")))
        body.add_widget(button(_("I check IDs for my business"), t,
                               partial(to_verifier_mode, self.app), kind="secondary"))


class PinSetupScreen(BaseScreen):
    back_to = "welcome"

    def title(self) -> str:
        return _("Choose a PIN")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        attempts = self.app.wallet.max_attempts
        card = Card(t)
        card.add_widget(label(_("Choose a {n}-digit PIN. You enter it to open the wallet and before every "
                                "share.").format(n=PIN_LENGTH), t))
        card.add_widget(label(_("After {n} wrong PINs in a row the wallet erases its keys to protect you. "
                                "Your cards are then gone and you get them again at the counter.").format(
            n=attempts), t, color=t.palette.bad, bold=True))
        body.add_widget(card)
        body.add_widget(label(_("New PIN"), t, bold=True))
        self.pin = text_input(t, hint="••••••", password=True, digits=True)
        body.add_widget(self.pin)
        body.add_widget(label(_("Enter the PIN again"), t, bold=True))
        self.again = text_input(t, hint="••••••", password=True, digits=True)
        body.add_widget(self.again)
        self.message = label("", t, color=t.palette.bad, bold=True)
        body.add_widget(self.message)
        body.add_widget(button(_("Create my wallet"), t, self.submit))

    def submit(self) -> None:
        pin, again = self.pin.text.strip(), self.again.text.strip()
        if len(pin) != PIN_LENGTH or not pin.isdigit():
            self.message.text = _("The PIN must be {n} digits.").format(n=PIN_LENGTH)
            return
        if pin != again:
            self.message.text = _("The two PINs differ. Please try again.")
            return
        try:
            if self.app.wallet.is_initialized() and not self.app.wallet.wallet.is_erased():
                self.app.wallet.unlock(pin)  # onboarding again over a working wallet: its PIN opens it
            else:
                self.app.wallet.setup(pin)
        except MobileIdError as exc:
            self.message.text = _("The wallet could not be created.") + f" ({exc.code})"
            return
        self.app.update_settings(onboarded=True)
        self.app.go("home")


class LockScreen(BaseScreen):
    def title(self) -> str:
        return _("Wallet locked")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        if self.app.nav_args.get("reason") == "idle":
            body.add_widget(label(_("The wallet locked itself because it was not used for a while."), t,
                                  color=t.palette.muted))
        if self.app.wallet.wallet.is_erased():
            body.add_widget(label(_("Too many wrong PINs: the keys were erased. Get your cards again at "
                                    "the counter."), t, size=20, bold=True, color=t.palette.bad))
            body.add_widget(button(_("Start again with an empty wallet"), t, lambda: self.app.go("pin_setup")))
            body.add_widget(button(_("Verifier mode"), t, partial(to_verifier_mode, self.app), kind="secondary"))
            return
        body.add_widget(label(_("Enter your PIN"), t, size=22, bold=True))
        self.pin = text_input(t, hint="••••••", password=True, digits=True)
        body.add_widget(self.pin)
        self.message = label(self._attempts_text(), t, color=t.palette.muted)
        body.add_widget(self.message)
        body.add_widget(button(_("Open"), t, self.submit))
        body.add_widget(button(_("Verifier mode"), t, partial(to_verifier_mode, self.app), kind="secondary"))

    def _attempts_text(self) -> str:
        try:
            left = self.app.wallet.remaining_attempts()
        except MobileIdError:
            return ""
        return _("{n} attempts left before the wallet erases its keys.").format(n=left)

    def submit(self) -> None:
        try:
            self.app.wallet.unlock(self.pin.text.strip())
        except MobileIdError as exc:
            self.pin.text = ""
            if exc.code == "wallet.locked":
                self.rebuild()  # the erased wallet's screen: start again
                return
            else:
                self.message.text = _("Wrong PIN.") + " " + self._attempts_text()
            self.message.color = self.theme.palette.bad
            return
        self.app.go("home")
