"""Signed webhooks: the verifier tells the business backend that a transaction closed.

``POST webhook_url`` with the JSON body ``{"transaction_id", "status", "result"}`` and the header
``Mobileid-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``. The timestamp is inside
the MAC, so a receiver that checks it (``verify_signature``, a few minutes' tolerance) refuses replays of
old deliveries; the secret is the service's ``webhook.key``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable

from specs.errors import InputError

__all__ = ["HEADER", "deliver", "sign", "verify_signature"]

HEADER = "Mobileid-Signature"


def sign(secret: bytes, body: bytes, at: dt.datetime) -> str:
    stamp = int(at.timestamp())
    mac = hmac.new(secret, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def verify_signature(secret: bytes, header: str, body: bytes, *, now: dt.datetime,
                     tolerance: dt.timedelta = dt.timedelta(minutes=5)) -> None:
    """For the receiving backend: raise unless ``header`` is this body's signature made within ``tolerance``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        raise InputError("the webhook signature header is malformed", code="webhook.malformed") from None
    expected = sign(secret, body, dt.datetime.fromtimestamp(stamp, dt.UTC)).split("v1=")[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise InputError("the webhook signature does not verify", code="webhook.signature")
    if abs(now.timestamp() - stamp) > tolerance.total_seconds():
        raise InputError("the webhook was signed too long ago", code="webhook.stale")


Poster = Callable[[str, bytes, dict[str, str]], int]


def _httpx_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    import httpx

    return httpx.post(url, content=body, headers=headers, timeout=5, follow_redirects=False).status_code


def deliver(url: str, body: bytes, secret: bytes, *, now: dt.datetime, post: Poster = _httpx_post) -> str:
    """Send once; the outcome is recorded on the transaction (the backend can always poll instead)."""
    headers = {"Content-Type": "application/json", HEADER: sign(secret, body, now)}
    try:
        return f"delivered {post(url, body, headers)}"
    except Exception as exc:  # the receiver is outside: any failure is recorded, never raised into the service
        return f"failed {type(exc).__name__}"
