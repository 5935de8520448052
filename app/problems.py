"""Plain words for what went wrong, for a citizen or a shop clerk: never a raw error code on screen.

Work that can fail on the network runs on a worker thread (``MobileIdApp.background``); whatever it raises
is reduced to a code here: the project's own (``specs.errors``, e.g. ``credential.issuance_token``) or one of
the ``net.*`` codes ``specs.io.http`` gives to the HTTP client's failures (no connection, no answer in time,
the server in trouble). ``problem_text`` turns a code into a sentence that says what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.i18n import _
from specs.errors import MobileIdError
from specs.io.http import NET_OFFLINE, NET_SERVER, NET_TIMEOUT, network_code

__all__ = ["NET_OFFLINE", "NET_SERVER", "NET_TIMEOUT", "Problem", "attempts_left", "classify", "problem_text"]

@dataclass(frozen=True, slots=True)
class Problem:
    """Why work on a worker thread failed: a code for ``app.problems.problem_text`` (never shown itself) and,
    for a wrong 6-digit code, how many tries the issuer says are left."""

    code: str
    tries: int | None = None


_TRIES = re.compile(r"\b(\d{1,2}) attempts? left\b")


def classify(exc: BaseException) -> str:
    """A code for any exception a network step raised: the project's own, or the ``net.*`` code
    ``specs.io.http`` gives the HTTP client's failures; anything else is the server's trouble."""
    if isinstance(exc, MobileIdError):
        return exc.code
    return network_code(exc) or NET_SERVER


def attempts_left(exc: BaseException) -> int | None:
    """How many tries an issuer says are left for a 6-digit code (its refusal says "N attempts left")."""
    found = _TRIES.search(str(exc))
    return int(found.group(1)) if found else None


def problem_text(code: str, *, tries: int | None = None) -> str:
    """One sentence for ``code``: what happened and what to do, without the code itself."""
    if code == NET_OFFLINE or code in ("status.unavailable", "input.offline", "wallet.offline"):
        return _("No connection to the issuer. Check that the phone is online, then try again.")
    if code == NET_TIMEOUT:
        return _("The issuer did not answer in time. Try again in a few minutes.")
    if code == NET_SERVER or code.startswith("http"):
        return _("The issuer is not available right now. Try again later.")
    if code == "input.tx_code":
        return _("The code must be the 6 digits shown on the clerk's screen.")
    if code == "credential.issuance_token":
        if tries:
            return _("The code is wrong. You can try {n} more times.").format(n=tries)
        return _("The code is wrong, or this offer was already used or has expired. Ask the clerk.")
    if code.startswith("credential.remote"):
        return _("The issuer refused. Your licence may be suspended: ask at the counter.")
    if code == "input.no_licence":
        return _("This needs your mobile driving licence in the wallet.")
    if code in ("wallet.pin_needed", "wallet.locked"):
        return _("Enter your PIN first.")
    if code == "wallet.wrong_pin":
        return _("Wrong PIN.")
    if code in ("wallet.pin_invalid", "wallet.pin_weak", "wallet.pin_trivial"):
        return _("This PIN is too easy to guess. Choose another one.")
    if code == "wallet.no_trust":
        return _("The issuer's certificate could not be obtained. Check the connection and try again.")
    if code == "wallet.no_credential":
        return _("You have none of the IDs asked for.")
    if code.startswith(("trust.", "mdoc.", "sdjwt.", "jose.", "credential.")):
        return _("The issuer's answer did not check out, so nothing was kept. Ask the clerk.")
    if code.startswith("qr.reader_auth"):
        return _("The business's signature does not check out: do not share.")
    if code.startswith("qr."):
        return _("This is not a valid request QR code.")
    return _("Something went wrong. Try again, or ask at the counter.")
