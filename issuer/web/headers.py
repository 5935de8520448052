"""Security headers on every response of the issuer (console pages, JSON, redirects, files).

The console's scripts and styles are files under ``issuer/static`` (no inline ``<script>``, ``<style>`` or
``style=``), so the Content Security Policy needs no ``'unsafe-inline'``; nothing may frame a page
(``frame-ancestors 'none'`` and, for older browsers, ``X-Frame-Options: DENY``); content types are not sniffed;
no Referer leaves the service (a console URL names an applicant's id); HSTS is sent when the service is
served over https (its public URL is https, or the request came in over https), never over plain http,
where browsers ignore it and a local test would be locked out of http.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
_ALWAYS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
           (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"cross-origin-opener-policy", b"same-origin")]


class SecurityHeaders:
    """Pure ASGI middleware (no request body buffering) adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp, *, public_url: str) -> None:
        self.app = app
        self.https = public_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_ALWAYS)
        if self.https or scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
