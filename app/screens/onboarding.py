"""First run: language, what the wallet is, the PIN and what happens after too many wrong PINs; the lock, the
forgotten PIN and a PIN change. The PIN's key derivation (argon2, a quarter second or more on a phone) runs
on a worker thread behind a visible "Opening..." line, once per unlock."""

from __future__ import annotations

from functools import partial

from kivy.uix.gridlayout import GridLayout

from app.i18n import _
from app.problems import Problem, problem_text
from app.screens.base import BaseScreen, language_choice, to_verifier_mode
from app.ui import Busy, Card, button, label, text_input
from specs.errors import MobileIdError

__all__ = ["ChangePinScreen", "ForgotPinScreen", "LockScreen", "PinSetupScreen", "WelcomeScreen"]

PIN_LENGTH = 6


class PinWork(BaseScreen):
    """A screen whose button starts PIN work on a worker thread: the button is disabled and a moving
    "busy" line shows until the answer comes."""

    def busy(self, words: str, work: object, done: object) -> None:
        assert self.body is not None
        self.message.text = ""
        self.progress = Busy(words, self.theme)
        self.body.add_widget(self.progress, index=0)
        self.progress.start()
        self.submit_button.disabled = True

        def finished(value: object, problem: Problem | None) -> None:
            self.progress.stop()
            if self.progress.parent is not None:
                self.progress.parent.remove_widget(self.progress)
            self.submit_button.disabled = False
            done(value, problem)  # type: ignore[operator]

        self.app.background(work, finished)  # type: ignore[arg-type]

    def stop(self) -> None:
        progress = getattr(self, "progress", None)
        if progress is not None:
            progress.stop()


class WelcomeScreen(BaseScreen):
    def title(self) -> str:
        return _("Welcome to mobileid")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        body.add_widget(label(_("Language / 언어"), t, size=20, bold=True))
        body.add_widget(language_choice(self.app))
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


class PinSetupScreen(PinWork):
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
        self.submit_button = button(_("Create my wallet"), t, self.submit)
        body.add_widget(self.submit_button)

    def submit(self) -> None:
        pin, again = self.pin.text.strip(), self.again.text.strip()
        if len(pin) != PIN_LENGTH or not pin.isdigit():
            self.message.text = _("The PIN must be {n} digits.").format(n=PIN_LENGTH)
            return
        if pin != again:
            self.message.text = _("The two PINs differ. Please try again.")
            return
        wallet = self.app.wallet
        reopen = wallet.is_initialized() and not wallet.wallet.is_erased()  # its PIN opens a working wallet

        def done(_value: object, problem: Problem | None) -> None:
            if problem is not None:
                self.message.text = _("The wallet could not be created.") + " " + problem_text(problem.code)
                return
            self.app.update_settings(onboarded=True)
            self.app.go("home")

        self.busy(_("Creating your wallet…"), partial(wallet.unlock if reopen else wallet.setup, pin), done)


class LockScreen(PinWork):
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
        self.submit_button = button(_("Open"), t, self.submit)
        body.add_widget(self.submit_button)
        body.add_widget(button(_("I forgot my PIN"), t, lambda: self.app.go("forgot_pin"), kind="secondary"))
        body.add_widget(button(_("Verifier mode"), t, partial(to_verifier_mode, self.app), kind="secondary"))

    def _attempts_text(self) -> str:
        try:
            left = self.app.wallet.remaining_attempts()
        except MobileIdError:
            return ""
        return _("{n} attempts left before the wallet erases its keys.").format(n=left)

    def submit(self) -> None:
        pin, self.pin.text = self.pin.text.strip(), ""

        def done(_value: object, problem: Problem | None) -> None:
            if problem is None:
                self.app.go("home")
            elif problem.code == "wallet.locked":
                self.rebuild()  # the erased wallet's screen: start again
            else:
                self.message.text = _("Wrong PIN.") + " " + self._attempts_text()
                self.message.color = self.theme.palette.bad

        self.busy(_("Opening your wallet…"), partial(self.app.wallet.unlock, pin), done)


class ForgotPinScreen(BaseScreen):
    """No one can recover a PIN (it is not stored anywhere): say so, and how to start again."""

    back_to = "lock"

    def title(self) -> str:
        return _("Forgot your PIN?")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        card = Card(t)
        for line in (_("Your PIN is not stored anywhere, so nobody can tell it to you or reset it, not even the "
                       "issuing office."),
                     _("If you remember it later, you can still open the wallet: wrong tries are counted, and after "
                       "{n} wrong PINs in a row the wallet erases itself.").format(n=self.app.wallet.max_attempts),
                     _("Otherwise delete the wallet and start again. Take your ID card to the counter to get your "
                       "cards again.")):
            card.add_widget(label(line, t))
        body.add_widget(card)
        body.add_widget(button(_("Delete the wallet and start again"), t, lambda: self.app.go("delete_wallet"),
                               kind="danger"))
        body.add_widget(button(_("Try my PIN again"), t, lambda: self.app.go("lock"), kind="secondary"))


class ChangePinScreen(PinWork):
    back_to = "settings"

    def title(self) -> str:
        return _("Change PIN")

    def fill(self, body: GridLayout) -> None:
        t = self.theme
        body.add_widget(label(_("Current PIN"), t, bold=True))
        self.old = text_input(t, hint="••••••", password=True, digits=True)
        body.add_widget(self.old)
        body.add_widget(label(_("New PIN"), t, bold=True))
        self.new = text_input(t, hint="••••••", password=True, digits=True)
        body.add_widget(self.new)
        body.add_widget(label(_("Enter the PIN again"), t, bold=True))
        self.again = text_input(t, hint="••••••", password=True, digits=True)
        body.add_widget(self.again)
        self.message = label("", t, color=t.palette.bad, bold=True)
        body.add_widget(self.message)
        self.submit_button = button(_("Change PIN"), t, self.submit)
        body.add_widget(self.submit_button)

    def submit(self) -> None:
        old, new, again = (w.text.strip() for w in (self.old, self.new, self.again))
        if len(new) != PIN_LENGTH or not new.isdigit():
            self.message.text = _("The PIN must be {n} digits.").format(n=PIN_LENGTH)
            return
        if new != again:
            self.message.text = _("The two PINs differ. Please try again.")
            return

        def done(_value: object, problem: Problem | None) -> None:
            if problem is None:
                self.app.go("settings", notice=_("Your PIN was changed."))
            elif problem.code == "wallet.locked":
                self.app.go("lock")
            else:
                self.message.text = problem_text(problem.code)

        self.busy(_("Changing your PIN…"), partial(self.app.wallet.change_pin, old, new), done)
