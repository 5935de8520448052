"""The issuer's one refusal type: an OAuth-style error (RFC 6749 §5.2), answered as
``{"error", "error_description"}`` with ``Cache-Control: no-store`` (and ``WWW-Authenticate`` on a 401) by the
one exception handler that ``issuer.web.app`` installs.

Services (``issuer.offers``, ``issuer.issuance``) and the routes raise it alike: the token endpoint's codes
(RFC 6749 §5.2, OpenID4VCI 1.0 §6.3), the credential and notification endpoints' (§8.3.1.2, §11.3), the remote
offer's and the staff API's. ``code`` is the stable dotted name (``oauth.<error>``); ``reason`` is the word
the audit log keeps, ``target`` what the refusal was about (ids only). Descriptions never carry personal data,
codes, tokens or proofs. It is deliberately not a ``specs.errors.MobileIdError``: a service that catches a
library's decoding error must never swallow a refusal it raised itself.
"""

from __future__ import annotations

__all__ = ["OAuthError"]


class OAuthError(Exception):
    def __init__(self, error: str, description: str, reason: str | None = None, *, status: int = 400,
                 target: str = "") -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status
        self.reason, self.target = reason, target

    @property
    def code(self) -> str:
        return f"oauth.{self.error}"
