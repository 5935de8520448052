"""Plain words for what went wrong, for a citizen or a shop clerk: never a raw error code on screen.

Work that can fail on the network runs on a worker thread (``MobileIdApp.background``); whatever it raises
is reduced to a code here: the project's own (``specs.errors``, e.g. ``credential.issuance_token``) or one of
the ``net.*`` codes ``specs.io.http`` gives to the HTTP client's failures (no connection, no answer in time,
the server in trouble). ``problem_text`` turns a code into a sentence that says what to do, from the library's
table of plain words (``specs/messages.toml``), which lists the ``net.*`` codes too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.i18n import _, current_language
from specs.errors import MobileIdError
from specs.io.http import NET_OFFLINE, NET_SERVER, NET_TIMEOUT, network_code
from specs.messages import message

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
    """One sentence for ``code`` in the app's language, from the library's one table (``specs.messages``):
    what happened and what to do, without the code itself. A wrong 6-digit code says how many tries are left
    when the issuer said so."""
    if code == "credential.issuance_token" and tries:
        return _("The code is wrong. You can try {n} more times.").format(n=tries)
    return message(code, current_language())
