"""The wallet's OpenID4VCI 1.0 client, one function per step: offer (by value or by reference, §4.1) ->
issuer metadata (§12.2) -> token with the pre-authorized code and tx_code (§6) -> nonce (§7) -> batch
credential request with one proof per device key (§8) -> notification (§11). ``wallet.redemption`` runs
the steps and keeps their state so that an interrupted receive resumes.

What the wallet accepts from the network: https only (plain http to a loopback address, for tests and a
local issuer), the metadata's ``credential_issuer`` equal to the offer's, redirects only within the same
origin, every response at most a fixed size, and answers of the right shape (a malformed token or nonce
answer is a clear error, not a crash). Every credential is verified before it is kept: the issuer's
signature and certificate chain (to the wallet's trust anchors), the credential type, and that it is bound
to *our* key (MSO deviceKey / SD-JWT VC ``cnf``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import json
import unicodedata
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization

from specs.cbor import decode
from specs.cose import CoseKey
from specs.crypto import PublicKey, Signer
from specs.errors import CredentialError, InputError, MobileIdError
from specs.io.http import capped_read
from specs.jose import jwk_from_key, sign_compact
from specs.mdoc.issuer_signed import IssuerSigned
from specs.sdjwt import SdJwt, verify_sd_jwt_vc, x5c_chain
from specs.x509 import TrustStore, validate_chain

__all__ = ["AccessGrant", "ConfigurationSpec", "CredentialOffer", "HttpClient", "IssuanceError", "IssuerMetadata",
           "ReceivedCredential", "check_issuer_url", "notify", "oauth_refusal", "request_credentials",
           "request_nonce", "request_token"]

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_PREFIX = "openid-credential-offer://?"
MAX_ERROR = 40  # characters kept of an OAuth ``error`` code
MAX_DESCRIPTION = 120  # characters kept of an ``error_description``
MAX_REDIRECTS = 3
# The most the wallet reads of each answer (bytes): a hostile or broken server cannot make it hold more.
CAPS = {"offer": 64 * 1024, "metadata": 512 * 1024, "token": 16 * 1024, "nonce": 4 * 1024,
        "credential": 4 * 1024 * 1024, "notification": 16 * 1024}
LOOPBACK_NAMES = ("localhost",)


class IssuanceError(CredentialError):
    """The issuer refused a step, or returned something the wallet will not keep. ``oauth_error`` is the
    issuer's error code when it refused; ``notification_id`` names the credential response that was refused
    by the wallet (for the ``credential_failure`` notification)."""

    code = "credential.issuance_failed"

    def __init__(self, message: str, *, code: str | None = None, oauth_error: str | None = None,
                 notification_id: str | None = None) -> None:
        super().__init__(message, code=code)
        self.oauth_error, self.notification_id = oauth_error, notification_id


class HttpClient(Protocol):
    """What the wallet asks of an HTTP client: ``httpx.Client`` (or Starlette's TestClient in tests). A client
    that also has httpx's ``stream`` is read in chunks, so an oversized answer is cut off, not buffered."""

    def get(self, url: str, *, headers: Any = None) -> Any: ...
    def post(self, url: str, *, data: Any = None, json: Any = None, headers: Any = None) -> Any: ...


# ---- transport rules ---------------------------------------------------------------------------------------

def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_issuer_url(url: str) -> str:
    """``url`` when it is https, or plain http to a loopback host; else ``credential.issuance_insecure``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return url
    raise IssuanceError("the issuer must be reached over https (plain http only to this device itself)",
                        code="credential.issuance_insecure")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _read(http: HttpClient, method: str, url: str, cap: int, step: str, **kwargs: Any) -> tuple[int, Any, bytes]:
    """(status, headers, body) of one request, reading at most ``cap`` bytes."""
    too_big = IssuanceError(f"the issuer's {step} answer is larger than {cap} bytes", code="credential.issuance_size")
    return capped_read(http, method, url, cap, too_big, **kwargs)


def exchange(http: HttpClient, method: str, url: str, step: str, **kwargs: Any) -> tuple[int, bytes]:
    """One request under the transport rules: scheme, size cap, and redirects followed only within the origin
    (a redirect of a POST is refused)."""
    for _ in range(MAX_REDIRECTS + 1):
        check_issuer_url(url)
        status, headers, body = _read(http, method, url, CAPS[step], step, **kwargs)
        if status not in (301, 302, 303, 307, 308):
            return status, body
        target = urllib.parse.urljoin(url, headers.get("location", ""))
        if method != "GET" or _origin(target) != _origin(url):
            raise IssuanceError(f"the issuer's {step} answer redirects elsewhere; not followed",
                                code="credential.issuance_redirect")
        url = target
    raise IssuanceError(f"the issuer's {step} answer redirects too often", code="credential.issuance_redirect")


def _clean(value: object, limit: int) -> str:
    """Issuer-supplied text made safe for one terminal line: control and format characters (escape
    sequences, newlines, bidi overrides) dropped, whitespace runs collapsed, at most ``limit`` characters."""
    if not isinstance(value, str):
        return ""
    kept = "".join(" " if ch.isspace() else ch for ch in value if ch.isspace() or unicodedata.category(ch)[0] != "C")
    text = " ".join(kept.split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def oauth_refusal(response: Any, body: object) -> str:
    """``error (error_description)`` of an RFC 6749 §5.2 error answer, both short and printable; the
    description tells e.g. a mistyped transaction code from an offer already used or expired."""
    fields = body if isinstance(body, Mapping) else {}
    error = _clean(fields.get("error"), MAX_ERROR) or f"http_{response.status_code}"
    description = _clean(fields.get("error_description"), MAX_DESCRIPTION)
    return f"{error} ({description})" if description else error


class _Answer:
    """Enough of a response for ``oauth_refusal``."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def call(http: HttpClient, method: str, url: str, step: str, **kwargs: Any) -> Mapping[str, Any]:
    """The JSON object a step answers with; an error status raises ``credential.issuance_<step>`` with the
    issuer's (cleaned) reason, anything that is not a JSON object ``credential.issuance_malformed``."""
    status, body = exchange(http, method, url, step, **kwargs)
    try:
        value: Any = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        value = None
    if status >= 400:
        error = _clean(value.get("error"), MAX_ERROR) if isinstance(value, dict) else ""
        raise IssuanceError(f"{step} refused: {oauth_refusal(_Answer(status), value)}",
                            code=f"credential.issuance_{step}", oauth_error=error or None)
    if not isinstance(value, dict):
        raise IssuanceError(f"the issuer's {step} answer is not a JSON object", code="credential.issuance_malformed")
    return value


def _text(value: Any, step: str, member: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 4096:
        raise IssuanceError(f"the issuer's {step} answer has no usable {member}", code="credential.issuance_malformed")
    return value


# ---- offer and metadata --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CredentialOffer:
    issuer: str
    configurations: tuple[str, ...]
    pre_authorized_code: str
    tx_code_length: int | None

    @staticmethod
    def reference(uri: str) -> str | None:
        """The ``credential_offer_uri`` of an offer passed by reference, else None (by value or no offer)."""
        if not uri.startswith(OFFER_PREFIX):
            return None
        values = urllib.parse.parse_qs(uri[len(OFFER_PREFIX):]).get("credential_offer_uri")
        return values[0] if values else None

    @classmethod
    def parse(cls, uri: str) -> CredentialOffer:
        """An offer passed by value (``credential_offer=``); one by reference needs ``resolve``."""
        if not uri.startswith(OFFER_PREFIX):
            raise InputError("not an openid-credential-offer:// link")
        query = urllib.parse.parse_qs(uri[len(OFFER_PREFIX):])
        if "credential_offer_uri" in query:
            raise InputError("this offer is passed by reference: fetch it first (CredentialOffer.resolve)")
        try:
            return cls.from_json(json.loads(query["credential_offer"][0]))
        except (KeyError, IndexError, ValueError):
            raise InputError("the credential offer is malformed") from None

    @classmethod
    def from_json(cls, body: Any) -> CredentialOffer:
        try:
            grant = body["grants"][PRE_AUTH]
            tx = grant.get("tx_code")
            configurations = body["credential_configuration_ids"]
            if not isinstance(configurations, list) or not all(isinstance(c, str) for c in configurations):
                raise TypeError("credential_configuration_ids")
            return cls(str(body["credential_issuer"]), tuple(configurations), str(grant["pre-authorized_code"]),
                       int(tx["length"]) if tx and "length" in tx else None)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise InputError("the credential offer is malformed") from None

    @classmethod
    def resolve(cls, uri: str, http: HttpClient) -> CredentialOffer:
        """Parse an offer by value, or fetch one by reference (OpenID4VCI 1.0 §4.1.3) under the transport rules."""
        reference = cls.reference(uri)
        if reference is None:
            return cls.parse(uri)
        return cls.from_json(call(http, "GET", reference, "offer"))


@dataclass(frozen=True, slots=True)
class ConfigurationSpec:
    format: str  # "mso_mdoc" | "dc+sd-jwt"
    type_identifier: str  # doctype or vct


@dataclass(frozen=True, slots=True)
class IssuerMetadata:
    """What the wallet uses of the Credential Issuer Metadata (OpenID4VCI 1.0 §12.2.4)."""

    issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    notification_endpoint: str | None
    token_endpoint: str
    batch_size: int
    configurations: Mapping[str, ConfigurationSpec]

    @classmethod
    def fetch(cls, issuer: str, http: HttpClient) -> IssuerMetadata:
        """The metadata of ``issuer``; its ``credential_issuer`` must be exactly the offer's (§12.2.2)."""
        base = check_issuer_url(issuer).rstrip("/")
        body = call(http, "GET", f"{base}/.well-known/openid-credential-issuer", "metadata")
        if body.get("credential_issuer") != issuer:
            raise IssuanceError("the issuer's metadata names another issuer than the offer",
                                code="credential.issuance_issuer_mismatch")
        configs: dict[str, ConfigurationSpec] = {}
        for name, spec in (body.get("credential_configurations_supported") or {}).items():
            if isinstance(spec, dict) and spec.get("format") in ("mso_mdoc", "dc+sd-jwt"):
                kind = spec.get("doctype") if spec["format"] == "mso_mdoc" else spec.get("vct")
                if isinstance(kind, str):
                    configs[str(name)] = ConfigurationSpec(spec["format"], kind)
        batch = (body.get("batch_credential_issuance") or {}).get("batch_size", 1)
        return cls(issuer, cls._endpoint(body, "credential_endpoint", base), cls._optional(body, "nonce_endpoint"),
                   cls._optional(body, "notification_endpoint"), f"{base}/token",
                   batch if isinstance(batch, int) and batch >= 1 else 1, configs)

    @staticmethod
    def _endpoint(body: Mapping[str, Any], member: str, base: str) -> str:
        return check_issuer_url(_text(body.get(member, f"{base}/credential"), "metadata", member))

    @staticmethod
    def _optional(body: Mapping[str, Any], member: str) -> str | None:
        value = body.get(member)
        return None if value is None else check_issuer_url(_text(value, "metadata", member))


# ---- token, nonce, credential, notification ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AccessGrant:
    access_token: str
    expires_at: dt.datetime
    copies: Mapping[str, int] | None  # the issuer's grant (``mobileid_grant``), None when it states none


def request_token(metadata: IssuerMetadata, offer: CredentialOffer, tx_code: str | None, *, http: HttpClient,
                  now: dt.datetime) -> AccessGrant:
    """OpenID4VCI 1.0 §6: the access token for a pre-authorized code (and its tx_code)."""
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code}
    body = call(http, "POST", metadata.token_endpoint, "token", data=form | ({"tx_code": tx_code} if tx_code else {}))
    token = _text(body.get("access_token"), "token", "access_token")
    if str(body.get("token_type", "")).lower() != "bearer":
        raise IssuanceError("the issuer's token answer is not a Bearer token", code="credential.issuance_malformed")
    lifetime = body.get("expires_in", 600)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        raise IssuanceError("the issuer's token answer has no usable expires_in", code="credential.issuance_malformed")
    return AccessGrant(token, now + dt.timedelta(seconds=lifetime), _grant(body.get("mobileid_grant")))


def _grant(value: Any) -> dict[str, int] | None:
    if not isinstance(value, list):
        return None
    copies: dict[str, int] = {}
    for item in value:
        config = item.get("credential_configuration_id") if isinstance(item, dict) else None
        count = item.get("copies") if isinstance(item, dict) else None
        if not isinstance(config, str) or not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise IssuanceError("the issuer's token answer states a malformed grant",
                                code="credential.issuance_malformed")
        copies[config] = count
    return copies


def request_nonce(metadata: IssuerMetadata, *, http: HttpClient) -> str | None:
    """OpenID4VCI 1.0 §7: a fresh c_nonce (None when the issuer has no nonce endpoint)."""
    if metadata.nonce_endpoint is None:
        return None
    return _text(call(http, "POST", metadata.nonce_endpoint, "nonce").get("c_nonce"), "nonce", "c_nonce")


@dataclass(frozen=True, slots=True)
class ReceivedCredential:
    configuration: str
    format: str  # "mso_mdoc" | "dc+sd-jwt"
    type_identifier: str  # doctype or vct
    raw: bytes | str  # IssuerSigned CBOR or the SD-JWT VC
    key_index: int  # which of the caller's signers it is bound to


@dataclass(frozen=True, slots=True)
class CredentialAnswer:
    credentials: tuple[ReceivedCredential, ...]
    notification_id: str | None


def request_credentials(metadata: IssuerMetadata, access_token: str, configuration: str, signers: Sequence[Signer],
                        nonce: str | None, *, http: HttpClient, trust: TrustStore, now: dt.datetime,
                        ) -> CredentialAnswer:
    """OpenID4VCI 1.0 §8: one credential per signer, each verified and bound to its signer's key, or an error."""
    spec = metadata.configurations.get(configuration)
    if spec is None:
        raise IssuanceError(f"the issuer does not describe {configuration}", code="credential.issuance_metadata")
    proofs = [_proof(s, metadata.issuer.rstrip("/"), nonce, now) for s in signers]
    answer = call(http, "POST", metadata.credential_endpoint, "credential",
                  headers={"Authorization": f"Bearer {access_token}"},
                  json={"credential_configuration_id": configuration, "proofs": {"jwt": proofs}})
    credentials = answer.get("credentials", [])
    if not isinstance(credentials, list) or len(credentials) != len(signers):
        raise IssuanceError("the issuer returned a different number of credentials than proofs",
                            code="credential.issuance_malformed")
    notification = answer.get("notification_id")
    notification = notification if isinstance(notification, str) and 0 < len(notification) <= 200 else None
    out = []
    try:
        for index, (item, signer) in enumerate(zip(credentials, signers, strict=True)):
            value = item.get("credential") if isinstance(item, dict) else None
            out.append(_checked(configuration, spec, value, signer.public_key(), trust, now, index))
    except IssuanceError as exc:
        exc.notification_id = notification
        raise
    return CredentialAnswer(tuple(out), notification)


def notify(metadata: IssuerMetadata, access_token: str, notification_id: str, event: str, *,
           http: HttpClient) -> None:
    """OpenID4VCI 1.0 §11: tell the issuer what became of one credential response."""
    if metadata.notification_endpoint is None:
        return
    status, _ = exchange(http, "POST", metadata.notification_endpoint, "notification",
                         headers={"Authorization": f"Bearer {access_token}"},
                         json={"notification_id": notification_id, "event": event})
    if status >= 400:
        raise IssuanceError(f"the issuer refused the {event} notification (http {status})",
                            code="credential.issuance_notification")


# ---- verification ------------------------------------------------------------------------------------------

def _proof(signer: Signer, issuer: str, nonce: str | None, now: dt.datetime) -> str:
    """A key proof (OpenID4VCI 1.0 Appendix F.1); ``nonce`` left out when the issuer has no nonce endpoint."""
    header = {"typ": "openid4vci-proof+jwt", "jwk": jwk_from_key(signer.public_key())}
    claims: dict[str, Any] = {"aud": issuer, "iat": int(now.timestamp())}
    return sign_compact(signer, header, claims | ({"nonce": nonce} if nonce is not None else {}))


def _same_key(a: PublicKey, b: PublicKey) -> bool:
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_bytes(*spki) == b.public_bytes(*spki)


def _check_mdoc(raw: bytes, key: PublicKey, trust: TrustStore, now: dt.datetime, doctype: str | None) -> str:
    issuer_signed = IssuerSigned.from_cbor_value(decode(raw))
    chain = validate_chain(issuer_signed.certificates(), trust, now=now)
    issuer_signed.issuer_auth.verify(chain.leaf.public_key())  # type: ignore[arg-type]
    mso = issuer_signed.mso
    for ns, items in issuer_signed.namespaces.items():
        for item in items:
            if mso.value_digests.get(ns, {}).get(item.digest_id) != item.digest(mso.digest_algorithm):
                raise IssuanceError("an issued item does not match its digest", code="credential.issuance_digest")
    if doctype and mso.doctype != doctype:
        raise IssuanceError("the issuer sent another document type", code="credential.issuance_type")
    if not _same_key(CoseKey.from_cbor_value(mso.device_key_info.device_key.to_cbor_value()).public_key(), key):
        raise IssuanceError("the credential is not bound to this device's key", code="credential.issuance_binding")
    return mso.doctype


def _check_sd_jwt(raw: str, key: PublicKey, trust: TrustStore, now: dt.datetime, vct: str | None) -> str:
    def issuer_keys(header: Mapping[str, Any], payload: Mapping[str, Any]) -> list[PublicKey]:
        return [validate_chain(x5c_chain(header), trust, now=now).leaf.public_key()]  # type: ignore[list-item]

    verified = verify_sd_jwt_vc(SdJwt.parse(raw), issuer_keys=issuer_keys, now=now)
    if vct and verified.vct != vct:
        raise IssuanceError("the issuer sent another credential type", code="credential.issuance_type")
    holder = verified.verified.holder_key
    if holder is None or not _same_key(holder, key):
        raise IssuanceError("the credential is not bound to this device's key", code="credential.issuance_binding")
    return verified.vct


def _checked(config: str, spec: ConfigurationSpec, value: Any, key: PublicKey, trust: TrustStore,
             now: dt.datetime, index: int) -> ReceivedCredential:
    if not isinstance(value, str):
        raise IssuanceError("a credential is missing from the response", code="credential.issuance_malformed")
    try:
        if spec.format == "mso_mdoc":
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            kind = _check_mdoc(raw, key, trust, now, spec.type_identifier)
            return ReceivedCredential(config, "mso_mdoc", kind, raw, index)
        kind = _check_sd_jwt(value, key, trust, now, spec.type_identifier)
        return ReceivedCredential(config, "dc+sd-jwt", kind, value, index)
    except IssuanceError:
        raise
    except (MobileIdError, binascii.Error, ValueError) as exc:
        code = exc.code if isinstance(exc, MobileIdError) else "decode.invalid"
        raise IssuanceError(f"a received credential fails verification ({code})",
                            code="credential.issuance_unverified") from None
