"""The OpenID4VP 1.0 Authorization Request as a signed Request Object (§5, JAR / RFC 9101).

* ``ClientId``: the Client Identifier with its prefix (§5.9.1, §5.9.3): ``x509_hash:<b64url SHA-256 of the
  leaf DER>`` and ``x509_san_dns:<a dNSName SAN of the leaf>`` are the two this kit signs with.
* ``ClientMetadata``: §5.1 ``client_metadata`` with the response encryption key (``jwks``, §8.3),
  ``vp_formats_supported`` (§11.1) and ``encrypted_response_enc_values_supported``.
* ``AuthorizationRequest``: the request parameters, strictly parsed from a request object's claims.
* ``AuthorizationRequestUri``: what a QR code or link carries, ``openid4vp://?client_id=..&request_uri=..``
  (§5.7 cross device, §13.1.2 scheme).
* ``sign_request_object`` / ``verify_request_object``: ``typ: oauth-authz-req+jwt`` (§5, RFC 9101 §10.8)
  with ``x5c``; the wallet checks the signature, the prefix binding and (separately) the chain.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from specs.crypto import Signer
from specs.errors import CryptoError, JoseDecodeError, Oid4vpError
from specs.jose import Jws, b64url_encode, key_from_jwk, sign_compact
from specs.jose.jwe import ENC_KEY_BITS
from specs.oid4vp.dcql import DcqlQuery

__all__ = ["REQUEST_TYP", "SELF_ISSUED_AUD", "AuthorizationRequest", "AuthorizationRequestUri", "ClientId",
           "ClientMetadata", "EncryptionKey", "SignedRequest", "sign_request_object", "verify_request_object",
           "x509_hash"]

REQUEST_TYP = "oauth-authz-req+jwt"
SELF_ISSUED_AUD = "https://self-issued.me/v2"  # §5.8, static discovery
RESPONSE_MODES = ("direct_post", "direct_post.jwt", "dc_api", "dc_api.jwt")
ENCRYPTED_MODES = ("direct_post.jwt", "dc_api.jwt")
SCHEMES = ("openid4vp:", "mdoc-openid4vp:", "eudi-openid4vp:", "haip-vp:", "https:", "http:")
MAX_TEXT = 2048
_MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z: the last second a NumericDate here may name


def _text(claims: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise Oid4vpError(f"request parameter {name} must be a non-empty string", code="oid4vp.request_invalid")
    return value


def x509_hash(certificate_der: bytes) -> str:
    """§5.9.3 ``x509_hash``: base64url of the SHA-256 of the DER-encoded leaf certificate."""
    return b64url_encode(hashlib.sha256(certificate_der).digest())


@dataclass(frozen=True, slots=True)
class ClientId:
    """§5.9.1: ``<prefix>:<original client identifier>``; the full value is what binds the response."""

    prefix: str | None
    value: str

    @property
    def full(self) -> str:
        return f"{self.prefix}:{self.value}" if self.prefix else self.value

    @classmethod
    def parse(cls, text: str) -> ClientId:
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            raise Oid4vpError("client_id must be a non-empty string", code="oid4vp.client_id")
        prefix, sep, rest = text.partition(":")
        if sep and prefix in ("x509_hash", "x509_san_dns", "redirect_uri", "decentralized_identifier",
                              "verifier_attestation", "openid_federation", "origin"):
            if not rest:
                raise Oid4vpError("client_id has a prefix and nothing after it", code="oid4vp.client_id")
            return cls(prefix, rest)
        return cls(None, text)  # pre-registered (or an https: identifier)

    def check_certificate(self, leaf: x509.Certificate, leaf_der: bytes) -> None:
        """§5.9.3: the leaf certificate must be the one the prefix names."""
        if self.prefix == "x509_hash":
            if x509_hash(leaf_der) != self.value:
                raise Oid4vpError("client_id x509_hash is not the hash of the signing certificate",
                                  code="oid4vp.client_id_mismatch")
        elif self.prefix == "x509_san_dns":
            try:
                names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                dns = names.get_values_for_type(x509.DNSName)
            except x509.ExtensionNotFound:
                dns = []
            if self.value not in dns:
                raise Oid4vpError("client_id x509_san_dns is not a DNS name of the signing certificate",
                                  code="oid4vp.client_id_mismatch")
        else:
            raise Oid4vpError("only x509_hash and x509_san_dns client identifiers are accepted signed",
                              code="oid4vp.client_id")


@dataclass(frozen=True, slots=True)
class EncryptionKey:
    """The verifier's key a wallet encrypts the response to (§8.3)."""

    jwk: Mapping[str, Any]
    public_key: ec.EllipticCurvePublicKey
    kid: str | None


@dataclass(frozen=True, slots=True)
class ClientMetadata:
    jwks: tuple[Mapping[str, Any], ...] = ()
    vp_formats_supported: Mapping[str, Any] = field(default_factory=dict)
    encrypted_response_enc_values_supported: tuple[str, ...] = ("A128GCM",)
    client_name: str | None = None  # RFC 7591 §2; shown to the holder only as a claim, never as trusted

    @classmethod
    def from_json(cls, value: Any) -> ClientMetadata:
        if not isinstance(value, dict):
            raise Oid4vpError("client_metadata must be an object", code="oid4vp.request_invalid")
        jwks = value.get("jwks", {"keys": []})
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys) or len(keys) > 16:
            raise Oid4vpError("client_metadata jwks must hold up to 16 keys", code="oid4vp.request_invalid")
        formats = value.get("vp_formats_supported", {})
        encs = value.get("encrypted_response_enc_values_supported", ["A128GCM"])  # §8.3 default
        if not isinstance(formats, dict) or not isinstance(encs, list) or not encs or not all(
                isinstance(e, str) for e in encs):
            raise Oid4vpError("client_metadata formats or enc values are malformed", code="oid4vp.request_invalid")
        name = value.get("client_name")
        return cls(tuple(keys), formats, tuple(encs), name if isinstance(name, str) and len(name) <= 200 else None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"jwks": {"keys": [dict(k) for k in self.jwks]},
                               "vp_formats_supported": dict(self.vp_formats_supported),
                               "encrypted_response_enc_values_supported": list(
                                   self.encrypted_response_enc_values_supported)}
        if self.client_name is not None:
            out["client_name"] = self.client_name
        return out

    def encryption_key(self) -> EncryptionKey:
        """§8.3: the first EC P-256 key for ``ECDH-ES`` whose ``use`` is absent or ``enc``."""
        for jwk in self.jwks:
            if jwk.get("use", "enc") != "enc" or jwk.get("alg") != "ECDH-ES" or jwk.get("crv") != "P-256":
                continue
            try:
                key = key_from_jwk(jwk)
            except CryptoError:
                continue
            if isinstance(key, ec.EllipticCurvePublicKey):
                kid = jwk.get("kid")
                return EncryptionKey(jwk, key, kid if isinstance(kid, str) else None)
        raise Oid4vpError("client_metadata holds no P-256 ECDH-ES encryption key", code="oid4vp.request_invalid")

    def content_encryption(self) -> str:
        """The ``enc`` to use: the first listed that this kit supports (A128GCM or A256GCM)."""
        for enc in self.encrypted_response_enc_values_supported:
            if enc in ENC_KEY_BITS:
                return enc
        raise Oid4vpError("the verifier accepts no content encryption this wallet supports",
                          code="oid4vp.request_invalid")


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """§5.1/§5.2 parameters of a ``vp_token`` request (response_type ``vp_token`` only, §5.6)."""

    client_id: str
    nonce: str
    dcql_query: DcqlQuery
    response_mode: str = "direct_post.jwt"
    response_uri: str | None = None
    state: str | None = None
    client_metadata: ClientMetadata | None = None
    aud: str | None = None
    iat: int | None = None
    exp: int | None = None
    expected_origins: tuple[str, ...] | None = None  # Appendix A.2, signed DC API requests
    wallet_nonce: str | None = None

    @property
    def encrypted(self) -> bool:
        return self.response_mode in ENCRYPTED_MODES

    @classmethod
    def from_json(cls, claims: Any, *, client_id_required: bool = True) -> AuthorizationRequest:
        if not isinstance(claims, Mapping):
            raise Oid4vpError("the request parameters must be a JSON object", code="oid4vp.request_invalid")
        if claims.get("response_type") != "vp_token":
            raise Oid4vpError("response_type must be vp_token", code="oid4vp.request_invalid")
        if "scope" in claims or "presentation_definition" in claims:
            raise Oid4vpError("only dcql_query requests are supported", code="oid4vp.request_invalid")
        mode = claims.get("response_mode", "fragment")
        if mode not in RESPONSE_MODES:
            raise Oid4vpError("response_mode must be direct_post(.jwt) or dc_api(.jwt)",
                              code="oid4vp.request_invalid")
        response_uri = _text(claims, "response_uri", required=mode.startswith("direct_post"))
        metadata = claims.get("client_metadata")
        origins = claims.get("expected_origins")
        if origins is not None and (not isinstance(origins, list) or not origins or not all(
                isinstance(o, str) for o in origins)):
            raise Oid4vpError("expected_origins must be a non-empty array of strings", code="oid4vp.request_invalid")
        times = {name: claims.get(name) for name in ("iat", "exp")}
        # past 9999-12-31 is no date (and an int beyond a float's range would escape _check_claims as OverflowError)
        if any(v is not None and (type(v) is not int or v > _MAX_TIME) for v in times.values()):
            raise Oid4vpError("iat and exp must be NumericDates", code="oid4vp.request_invalid")
        return cls(
            client_id=_text(claims, "client_id", required=client_id_required) or "",
            nonce=_text(claims, "nonce") or "",
            dcql_query=DcqlQuery.from_json(claims.get("dcql_query")),
            response_mode=mode, response_uri=response_uri, state=_text(claims, "state", required=False),
            client_metadata=None if metadata is None else ClientMetadata.from_json(metadata),
            aud=_text(claims, "aud", required=False), iat=times["iat"], exp=times["exp"],
            expected_origins=None if origins is None else tuple(origins),
            wallet_nonce=_text(claims, "wallet_nonce", required=False))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"response_type": "vp_token", "response_mode": self.response_mode}
        if self.client_id:
            out["client_id"] = self.client_id
        optional = {"response_uri": self.response_uri, "nonce": self.nonce, "state": self.state,
                    "aud": self.aud, "iat": self.iat, "exp": self.exp, "wallet_nonce": self.wallet_nonce}
        out.update({k: v for k, v in optional.items() if v is not None})
        out["dcql_query"] = self.dcql_query.to_json()
        if self.client_metadata is not None:
            out["client_metadata"] = self.client_metadata.to_json()
        if self.expected_origins is not None:
            out["expected_origins"] = list(self.expected_origins)
        return out


@dataclass(frozen=True, slots=True)
class AuthorizationRequestUri:
    """What the QR code or link carries: ``client_id`` and ``request_uri`` (RFC 9101 §5.2), or the request
    object by value (``request``)."""

    client_id: str
    request_uri: str | None = None
    request: str | None = None
    request_uri_method: str = "get"
    scheme: str = "openid4vp://"

    @classmethod
    def parse(cls, text: str) -> AuthorizationRequestUri:
        text = text.strip() if isinstance(text, str) else ""
        if not text or len(text) > 16 * 1024 or not text.lower().startswith(SCHEMES):
            raise Oid4vpError("not an OpenID4VP request link", code="oid4vp.request_uri_invalid")
        parts = urllib.parse.urlsplit(text)
        params = urllib.parse.parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
        if any(len(v) != 1 for v in params.values()):
            raise Oid4vpError("a request link parameter appears twice", code="oid4vp.request_uri_invalid")
        single = {k: v[0] for k, v in params.items()}
        client_id, request_uri, request = single.get("client_id"), single.get("request_uri"), single.get("request")
        method = single.get("request_uri_method", "get")
        if not client_id or (request_uri is None) == (request is None):
            raise Oid4vpError("a request link needs client_id and one of request_uri, request",
                              code="oid4vp.request_uri_invalid")
        if method not in ("get", "post"):  # §5.1: case-sensitive
            raise Oid4vpError("request_uri_method must be get or post", code="oid4vp.request_uri_method")
        if request_uri is not None and not request_uri.startswith(("https://", "http://")):
            raise Oid4vpError("request_uri must be an http(s) URL", code="oid4vp.request_uri_invalid")
        return cls(client_id, request_uri, request, method, f"{parts.scheme}://")

    def to_uri(self) -> str:
        params = {"client_id": self.client_id}
        if self.request_uri is not None:
            params["request_uri"] = self.request_uri
            if self.request_uri_method != "get":
                params["request_uri_method"] = self.request_uri_method
        if self.request is not None:
            params["request"] = self.request
        return f"{self.scheme}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"


def sign_request_object(request: AuthorizationRequest, signer: Signer, x5c: Sequence[bytes]) -> str:
    """RFC 9101 §4 request object with ``typ: oauth-authz-req+jwt`` and the certificate chain in ``x5c``."""
    header = {"typ": REQUEST_TYP, "x5c": [base64.b64encode(c).decode("ascii") for c in x5c]}
    return sign_compact(signer, header, request.to_json())


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request object whose signature and client identifier binding verified (§5.9.3). Whether its chain
    reaches a root the wallet trusts is the wallet's separate question (``chain``, leaf first)."""

    request: AuthorizationRequest
    client: ClientId
    chain: tuple[bytes, ...]
    leaf: x509.Certificate
    compact: str


def verify_request_object(compact: str, *, now: dt.datetime, client_id: str | None = None,
                          request_uri: str | None = None,
                          leeway: dt.timedelta = dt.timedelta(seconds=60)) -> SignedRequest:
    """Check everything about a request object except whose root its chain ends in (the caller asks its
    trust store): typ, the x5c leaf's signature, the prefix binding (§5.9.3), the client_id of the link
    (§5.10.1), aud (§5.8), exp and the x509_san_dns response_uri host rule."""
    try:
        jws = Jws.parse(compact)
    except JoseDecodeError:
        raise Oid4vpError("the request object is not a compact JWS", code="oid4vp.request_malformed") from None
    if jws.typ != REQUEST_TYP:
        raise Oid4vpError("the request object typ must be oauth-authz-req+jwt", code="oid4vp.request_typ")
    chain = _x5c(jws.header)
    try:
        leaf = x509.load_der_x509_certificate(chain[0])
        jws.verify(leaf.public_key())  # type: ignore[arg-type]
    except (ValueError, TypeError, CryptoError):
        raise Oid4vpError("the request object's signature does not verify with its x5c certificate",
                          code="oid4vp.request_signature") from None
    request = AuthorizationRequest.from_json(jws.payload)
    if client_id is not None and request.client_id != client_id:
        raise Oid4vpError("the link's client_id differs from the request object's", code="oid4vp.client_id_mismatch")
    client = ClientId.parse(request.client_id)
    client.check_certificate(leaf, chain[0])
    _check_claims(request, client, now, request_uri, leeway)
    return SignedRequest(request, client, chain, leaf, compact)


def _x5c(header: Mapping[str, Any]) -> tuple[bytes, ...]:
    chain = header.get("x5c")
    if not isinstance(chain, list) or not chain or len(chain) > 4 or not all(isinstance(c, str) for c in chain):
        raise Oid4vpError("the request object carries no x5c chain", code="oid4vp.request_signature")
    try:
        return tuple(base64.b64decode(c, validate=True) for c in chain)  # RFC 7515 §4.1.6: standard base64
    except (binascii.Error, ValueError):
        raise Oid4vpError("the request object's x5c is not base64", code="oid4vp.request_signature") from None


def _check_claims(request: AuthorizationRequest, client: ClientId, now: dt.datetime, request_uri: str | None,
                  leeway: dt.timedelta) -> None:
    if request.aud is not None and request.aud not in (SELF_ISSUED_AUD, request_uri):
        raise Oid4vpError("the request object is addressed to another audience", code="oid4vp.request_aud")
    stamp = now.timestamp()
    if request.exp is not None and stamp > request.exp + leeway.total_seconds():
        raise Oid4vpError("the request object has expired", code="oid4vp.request_expired")
    if request.iat is not None and request.iat > stamp + leeway.total_seconds():
        raise Oid4vpError("the request object was issued in the future", code="oid4vp.request_expired")
    if client.prefix == "x509_san_dns" and request.response_uri is not None:
        host = urllib.parse.urlsplit(request.response_uri).hostname
        if host != client.value:  # §5.9.3: unless trusted otherwise, the response goes to the named host
            raise Oid4vpError("the response_uri is not on the client's DNS name", code="oid4vp.client_id_mismatch")
