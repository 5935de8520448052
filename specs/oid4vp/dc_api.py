"""OpenID4VP over the W3C Digital Credentials API (OpenID4VP 1.0 Appendix A).

A website passes ``DigitalCredentialRequest.to_json()`` to ``navigator.credentials.get({digital:
{requests: [...]}})``; the browser hands the request and the page's origin to the wallet, and the
wallet's answer comes back as the ``data`` of a ``DigitalCredential`` (A.4). Protocols (A.1):
``openid4vp-v1-unsigned`` (parameters in ``data``, no ``client_id``) and ``openid4vp-v1-signed`` (a
request object in ``data.request`` with ``client_id`` and ``expected_origins``). The response audience is
always ``origin:<origin>`` (A.4), and mdoc presentations use the origin-bound handover (B.2.6.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specs.errors import Oid4vpError

__all__ = ["PROTOCOL_SIGNED", "PROTOCOL_UNSIGNED", "DigitalCredentialRequest", "DigitalCredentialResponse",
           "origin_audience"]

PROTOCOL_UNSIGNED, PROTOCOL_SIGNED = "openid4vp-v1-unsigned", "openid4vp-v1-signed"
_UNSAFE_SCHEMES = ("ftp:", "javascript:", "data:", "ws:", "wss:")


def origin_audience(origin: str) -> str:
    """A.4: the KB-JWT ``aud`` (and any audience) of a DC API response is ``origin:`` + the origin."""
    check_origin(origin)
    return f"origin:{origin}"


def check_origin(origin: str) -> None:
    if not isinstance(origin, str) or not origin or origin.startswith(_UNSAFE_SCHEMES) or origin.startswith(
            "origin:") or "/" not in origin:
        raise Oid4vpError("the origin must be a web origin such as https://bank.example",
                          code="oid4vp.origin_invalid")


def _protocol_and_data(value: Any, what: str) -> tuple[str, dict[str, Any]]:
    """A.1/A.4: ``{"protocol": "openid4vp-v1-...", "data": {...}}``, the shape both directions share."""
    if not isinstance(value, dict) or value.get("protocol") not in (PROTOCOL_UNSIGNED, PROTOCOL_SIGNED):
        raise Oid4vpError(f"not an OpenID4VP 1.0 Digital Credentials API {what}", code="oid4vp.dc_api")
    data = value.get("data")
    if not isinstance(data, dict):
        raise Oid4vpError(f"the {what} data must be an object", code="oid4vp.dc_api")
    return value["protocol"], data


@dataclass(frozen=True, slots=True)
class DigitalCredentialRequest:
    """One entry of ``navigator.credentials.get({digital: {requests: [...]}})``."""

    protocol: str
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "data": dict(self.data)}

    @classmethod
    def from_json(cls, value: Any) -> DigitalCredentialRequest:
        protocol, data = _protocol_and_data(value, "request")
        if protocol == PROTOCOL_SIGNED and not isinstance(data.get("request"), str):
            raise Oid4vpError("a signed request carries its request object in data.request", code="oid4vp.dc_api")
        return cls(protocol, data)


@dataclass(frozen=True, slots=True)
class DigitalCredentialResponse:
    """A.4: the ``DigitalCredential``'s ``protocol`` and ``data`` (``{"response": JWE}`` for dc_api.jwt)."""

    protocol: str
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "data": dict(self.data)}

    @classmethod
    def from_json(cls, value: Any) -> DigitalCredentialResponse:
        return cls(*_protocol_and_data(value, "response"))
