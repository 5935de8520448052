"""Which new PINs and passphrases the wallet accepts (a wallet's secret is chosen once, at set-up or a change).

An offline guesser tries the likely secrets first, so a secret from the top of every guessing list is worth
little however slow each guess is: studies of 6-digit phone PINs (Markert et al., "This PIN Can Be Easily
Guessed", IEEE S&P 2020) find repeated and sequential digits and keypad patterns among the most chosen, and
that refusing them costs users little. Two kinds of secret are accepted:

* a PIN: at least 6 digits, not one digit repeated (``000000``), not a run up or down the digits
  (``123456``, ``654321``, ``890123``), not a short group repeated (``121212``, ``123123``), and not one of
  the few keypad patterns in ``_KEYPAD`` (``147258``, ``159753``, ...);
* a passphrase (anything that is not only digits): at least ``MIN_PASSPHRASE`` characters, not one
  character repeated. A passphrase is the longer secret a holder may prefer: even 8 lower-case letters are
  some 10^11 guesses against a PIN's 10^6.

Existing secrets are never checked again: a wallet set up with a PIN these rules now refuse still opens.
"""

from __future__ import annotations

import itertools

from specs.errors import WalletError

__all__ = ["MIN_PASSPHRASE", "MIN_PIN", "check_new_secret", "is_trivial_pin"]

MIN_PIN = 6
MIN_PASSPHRASE = 8
_KEYPAD = frozenset({"147258", "258369", "369258", "852456", "456852", "159753", "357159", "753951", "951753",
                     "147852", "258147", "789456", "456789123", "112233", "111222", "102030", "123321", "321123"})


def is_trivial_pin(pin: str) -> bool:
    """A PIN (digits only) that guessing lists try first: repeated, sequential, a repeated group, a keypad walk."""
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if len(set(pin)) == 1 or steps in ({1}, {9}):  # one digit; a run up or down (wrapping 9 -> 0)
        return True
    for period in (2, 3):
        if len(pin) % period == 0 and pin == pin[:period] * (len(pin) // period):
            return True
    return pin in _KEYPAD


def check_new_secret(secret: str) -> None:
    """Refuse a new PIN or passphrase that is too short or too easy to guess (``wallet.pin_invalid`` /
    ``wallet.pin_trivial``); the message says what to choose instead, never the secret."""
    if not isinstance(secret, str) or not secret:
        raise WalletError("choose a PIN of 6 or more digits or a passphrase of 8 or more characters",
                          code="wallet.pin_invalid")
    if secret.isascii() and secret.isdigit():
        if len(secret) < MIN_PIN:
            raise WalletError(f"a PIN needs at least {MIN_PIN} digits (or choose a passphrase of {MIN_PASSPHRASE} "
                              "or more characters)", code="wallet.pin_invalid")
        if is_trivial_pin(secret):
            raise WalletError("this PIN is among the first any guesser tries (repeated or sequential digits, a "
                              "repeated group or a keypad pattern): choose another", code="wallet.pin_trivial")
        return
    if len(secret) < MIN_PASSPHRASE:
        raise WalletError(f"a passphrase needs at least {MIN_PASSPHRASE} characters (or choose a PIN of {MIN_PIN} "
                          "or more digits)", code="wallet.pin_invalid")
    if len(set(secret)) == 1:
        raise WalletError("a passphrase of one character repeated is among the first any guesser tries: choose "
                          "another", code="wallet.pin_trivial")
