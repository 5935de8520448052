"""The Authorization Response (OpenID4VP 1.0 §8): the VP Token, its encryption and the error responses.

* ``AuthorizationResponse``: ``vp_token`` is a JSON object keyed by DCQL credential query id, each value a
  non-empty array of presentations (§8.1): an SD-JWT VC as its compact string, an mdoc as the base64url
  ``DeviceResponse`` (B.2.5). ``state`` is echoed when the request had one.
* ``AuthorizationErrorResponse``: ``error`` (+ ``error_description``) as §8.5 defines, sent by a wallet
  that declines; the verifier answers a bad response with the same shape (``oauth_error``).
* ``encrypt_response`` / ``decrypt_response``: §8.3 (``direct_post.jwt`` §8.3.1, ``dc_api.jwt`` A.2): an
  unsigned JWT encrypted with ECDH-ES to the verifier's key, with ``kid`` echoed; ``apu`` carries a fresh
  wallet nonce and ``apv`` the request nonce, both fed to the key derivation.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from specs.errors import DecryptionError, JoseDecodeError, Oid4vpError
from specs.jose import parse_json
from specs.jose.jwe import JweHeader, decrypt_compact, encrypt_compact
from specs.oid4vp.request import EncryptionKey

__all__ = ["OAUTH_ERRORS", "AuthorizationErrorResponse", "AuthorizationResponse", "decrypt_response",
           "encrypt_response", "oauth_error", "parse_response"]

MAX_PRESENTATIONS = 32
# §8.5 error codes a wallet may send; anything else from a wallet is reported as invalid_request.
OAUTH_ERRORS = ("invalid_request", "invalid_client", "access_denied", "vp_formats_not_supported",
                "invalid_request_uri_method", "invalid_transaction_data", "wallet_unavailable", "server_error")

# Our error codes -> the §8.5 / RFC 6749 §4.1.2.1 code sent back (the default is invalid_request).
_OAUTH_BY_CODE = {
    "oid4vp.no_credential": "access_denied",
    "oid4vp.declined": "access_denied",
    "oid4vp.dcql_format": "vp_formats_not_supported",
    "oid4vp.request_uri_method": "invalid_request_uri_method",
    "oid4vp.client_id": "invalid_client",
    "oid4vp.client_id_mismatch": "invalid_client",
}


def oauth_error(code: str) -> str:
    """The §8.5 error code for one of our ``oid4vp.*`` (or other) error codes."""
    return _OAUTH_BY_CODE.get(code, "invalid_request")


@dataclass(frozen=True, slots=True)
class AuthorizationResponse:
    vp_token: Mapping[str, tuple[str, ...]]
    state: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"vp_token": {k: list(v) for k, v in self.vp_token.items()}}
        if self.state is not None:
            out["state"] = self.state
        return out

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> AuthorizationResponse:
        token = value.get("vp_token")
        if not isinstance(token, dict) or not token or len(token) > MAX_PRESENTATIONS:
            raise Oid4vpError("vp_token must be a non-empty object keyed by credential query id",
                              code="oid4vp.response_invalid")
        presentations: dict[str, tuple[str, ...]] = {}
        for query_id, items in token.items():
            if not isinstance(items, list) or not items or len(items) > MAX_PRESENTATIONS or not all(
                    isinstance(p, str) and p for p in items):
                raise Oid4vpError("each vp_token entry must be a non-empty array of presentations",
                                  code="oid4vp.response_invalid")
            presentations[query_id] = tuple(items)
        state = value.get("state")
        if state is not None and not isinstance(state, str):
            raise Oid4vpError("state must be a string", code="oid4vp.response_invalid")
        return cls(presentations, state)


@dataclass(frozen=True, slots=True)
class AuthorizationErrorResponse:
    error: str
    error_description: str | None = None
    state: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error}
        if self.error_description is not None:
            out["error_description"] = self.error_description
        if self.state is not None:
            out["state"] = self.state
        return out

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> AuthorizationErrorResponse:
        error, description, state = value.get("error"), value.get("error_description"), value.get("state")
        if not isinstance(error, str) or not error or len(error) > 64:
            raise Oid4vpError("error must be a short string", code="oid4vp.response_invalid")
        if description is not None and not isinstance(description, str):
            raise Oid4vpError("error_description must be a string", code="oid4vp.response_invalid")
        if state is not None and not isinstance(state, str):
            raise Oid4vpError("state must be a string", code="oid4vp.response_invalid")
        return cls(error if error in OAUTH_ERRORS else "invalid_request",
                   None if description is None else description[:300], state)


def parse_response(value: Any) -> AuthorizationResponse | AuthorizationErrorResponse:
    """A decrypted (or plain ``direct_post``) response's parameters: a VP Token or an error (§8.1, §8.5)."""
    if not isinstance(value, dict):
        raise Oid4vpError("the response must be a JSON object", code="oid4vp.response_invalid")
    if "error" in value:
        return AuthorizationErrorResponse.from_json(value)
    return AuthorizationResponse.from_json(value)


def encrypt_response(response: AuthorizationResponse | AuthorizationErrorResponse, key: EncryptionKey, *,
                     enc: str, nonce: str, rng: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """§8.3: the response parameters as the payload of a JWE to the verifier's key (``kid`` echoed)."""
    return encrypt_compact(response.to_json(), key.public_key, enc=enc, kid=key.kid, apu=rng(16),
                           apv=nonce.encode("utf-8"), rng=rng)


def decrypt_response(jwe: str, private_key: ec.EllipticCurvePrivateKey, *, kid: str | None,
                     ) -> tuple[JweHeader, AuthorizationResponse | AuthorizationErrorResponse]:
    """Decrypt a ``response`` parameter with the transaction's key and parse it; a ``kid`` that names
    another key, a wrong key, a tampered part or a payload that is no response all refuse."""
    try:
        header, payload = decrypt_compact(jwe, private_key)
    except (JoseDecodeError, DecryptionError) as exc:
        raise Oid4vpError(f"the encrypted response cannot be opened ({exc.code})", code="oid4vp.jwe") from None
    if kid is not None and header.kid is not None and header.kid != kid:
        raise Oid4vpError("the response is encrypted to another key", code="oid4vp.jwe")
    try:
        value = parse_json(payload, "response payload")
    except JoseDecodeError:
        raise Oid4vpError("the decrypted response is not JSON", code="oid4vp.response_invalid") from None
    return header, parse_response(value)
