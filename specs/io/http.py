"""The one HTTP seam: how every part opens its HTTP client, and the one place that maps the client's
failures to typed errors with stable codes.

``client()`` opens an ``httpx.Client`` with the project's defaults (no redirects followed: each caller
decides what a redirect means, e.g. the wallet never follows an issuer off its origin; a connect timeout
so that "no connection" is said instead of waiting for ever) and an injectable ``transport`` (tests and
embedders pass ``httpx.MockTransport``, an ASGI/WSGI transport or a proxying one).

``reaching(what)`` wraps the exchange: an ``httpx.TimeoutException`` becomes ``net.timeout``, any other
transport failure or ``OSError`` (no route, refused, DNS, a broken connection) ``net.offline``, any other
``httpx.HTTPError`` ``net.server``, each as a ``NetworkError``, or as the caller's own error class and code
where the failure has a meaning in its protocol (a status list that cannot be fetched is
``status.unavailable``). Nothing else is caught: a bug stays a bug. ``network_code`` is the same mapping for
code that receives an exception from elsewhere (the app's worker threads). ``capped_read`` is the one
bounded read of an answer: a server sending more than the caller's cap is cut off, never buffered whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from specs.errors import MobileIdError, NetworkError

if TYPE_CHECKING:
    import httpx

__all__ = ["NET_OFFLINE", "NET_SERVER", "NET_TIMEOUT", "capped_read", "client", "network_code", "reaching"]

NET_OFFLINE, NET_TIMEOUT, NET_SERVER = "net.offline", "net.timeout", "net.server"
_WORDS = {NET_OFFLINE: "no connection", NET_TIMEOUT: "no answer in time", NET_SERVER: "the exchange failed"}


def client(*, timeout: float = 20, connect: float = 10, transport: httpx.BaseTransport | None = None,
           base_url: str = "") -> httpx.Client:
    """An ``httpx.Client``: connect within ``connect`` seconds, each answer within ``timeout``, no redirects."""
    import httpx

    return httpx.Client(timeout=httpx.Timeout(timeout, connect=connect), follow_redirects=False,
                        transport=transport, base_url=base_url)


def network_code(exc: BaseException) -> str | None:
    """The ``net.*`` code of an HTTP client's failure, or None when ``exc`` is no network failure."""
    import httpx

    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return NET_TIMEOUT
    if isinstance(exc, (httpx.TransportError, OSError)):
        return NET_OFFLINE
    if isinstance(exc, httpx.HTTPError):
        return NET_SERVER
    return None


@contextmanager
def reaching(what: str, *, error: type[MobileIdError] = NetworkError, code: str | None = None) -> Iterator[None]:
    """Run an HTTP exchange with ``what`` (e.g. "the issuer"); its network failures leave as ``error``:
    ``NetworkError`` with the ``net.*`` code by default, or the caller's class with its ``code``. The
    message names the failure's kind (its exception class), never the URL's query or any answer's body."""
    try:
        yield
    except MobileIdError:
        raise
    except Exception as exc:
        kind = network_code(exc)
        if kind is None:
            raise
        raise error(f"cannot reach {what}: {_WORDS[kind]} ({type(exc).__name__})", code=code or kind) from None


def capped_read(http: Any, method: str, url: str, cap: int, too_big: MobileIdError,
                **kwargs: Any) -> tuple[int, Any, bytes]:
    """(status, headers, body) of one request, reading at most ``cap`` bytes, else ``too_big`` is raised.
    A client that streams (httpx) is read in chunks, so the cap holds however much a server sends; a plain
    getter (``get``/``post`` only) is checked after the fact. ``None`` keyword arguments are left out."""
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    stream = getattr(http, "stream", None)
    if callable(stream):
        with stream(method, url, follow_redirects=False, **kwargs) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise too_big
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > cap:
                    raise too_big
            return response.status_code, response.headers, bytes(body)
    response = http.get(url, **kwargs) if method == "GET" else http.post(url, **kwargs)
    if len(response.content) > cap:
        raise too_big
    return response.status_code, response.headers, response.content
