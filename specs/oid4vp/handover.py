"""mdoc SessionTranscripts for OpenID4VP (OpenID4VP 1.0 Appendix B.2.6).

* B.2.6.1, invocation via redirects (``direct_post`` / ``direct_post.jwt``)::

    OpenID4VPHandover = ["OpenID4VPHandover", sha-256(OpenID4VPHandoverInfoBytes)]
    OpenID4VPHandoverInfo = [clientId, nonce, jwkThumbprint / null, responseUri]

* B.2.6.2, invocation via the Digital Credentials API (``dc_api`` / ``dc_api.jwt``)::

    OpenID4VPDCAPIHandover = ["OpenID4VPDCAPIHandover", sha-256(OpenID4VPDCAPIHandoverInfoBytes)]
    OpenID4VPDCAPIHandoverInfo = [origin, nonce, jwkThumbprint / null]

In both, ``SessionTranscript = [null, null, Handover]``. ``clientId`` is the full Client Identifier, prefix
included (§14.10); the thumbprint (RFC 7638, as bytes) is of the verifier's response-encryption key and is
null when the response is not encrypted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from specs.cbor import encode
from specs.mdoc.transcript import SessionTranscript

__all__ = ["OpenID4VPDCAPIHandoverInfo", "OpenID4VPHandoverInfo", "dc_api_transcript", "openid4vp_transcript"]


@dataclass(frozen=True, slots=True)
class OpenID4VPHandoverInfo:
    client_id: str
    nonce: str
    jwk_thumbprint: bytes | None
    response_uri: str

    def to_cbor(self) -> bytes:
        return encode([self.client_id, self.nonce, self.jwk_thumbprint, self.response_uri])

    def handover(self) -> list[object]:
        return ["OpenID4VPHandover", hashlib.sha256(self.to_cbor()).digest()]


@dataclass(frozen=True, slots=True)
class OpenID4VPDCAPIHandoverInfo:
    origin: str  # the web origin as the platform reported it, without an "origin:" prefix
    nonce: str
    jwk_thumbprint: bytes | None

    def to_cbor(self) -> bytes:
        return encode([self.origin, self.nonce, self.jwk_thumbprint])

    def handover(self) -> list[object]:
        return ["OpenID4VPDCAPIHandover", hashlib.sha256(self.to_cbor()).digest()]


def openid4vp_transcript(client_id: str, nonce: str, jwk_thumbprint: bytes | None,
                         response_uri: str) -> SessionTranscript:
    """B.2.6.1: the SessionTranscript both sides build for a redirect-invoked presentation."""
    return SessionTranscript.build(None, None, OpenID4VPHandoverInfo(client_id, nonce, jwk_thumbprint,
                                                                     response_uri).handover())


def dc_api_transcript(origin: str, nonce: str, jwk_thumbprint: bytes | None) -> SessionTranscript:
    """B.2.6.2: the SessionTranscript for a presentation over the Digital Credentials API."""
    return SessionTranscript.build(None, None, OpenID4VPDCAPIHandoverInfo(origin, nonce, jwk_thumbprint).handover())
