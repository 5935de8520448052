"""The wallet's OpenID4VCI 1.0 client: offer -> token (pre-authorized code + tx_code) -> nonce -> batch
credential request with one proof per device key -> every credential verified before it is kept.

Verification before storing: the issuer's signature and certificate chain (to the wallet's trust anchors),
the credential type, and that it is bound to *our* key (MSO deviceKey / SD-JWT VC ``cnf``). A credential
failing any check is refused with its error code; nothing partial is returned.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
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
from specs.jose import jwk_from_key, sign_compact
from specs.mdoc.issuer_signed import IssuerSigned
from specs.sdjwt import SdJwt, verify_sd_jwt_vc, x5c_chain
from specs.x509 import TrustStore, validate_chain

__all__ = ["CredentialOffer", "HttpClient", "IssuanceError", "ReceivedCredential", "oauth_refusal", "receive"]

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_PREFIX = "openid-credential-offer://?"
MAX_ERROR = 40  # characters kept of an OAuth ``error`` code
MAX_DESCRIPTION = 120  # characters kept of an ``error_description``


class IssuanceError(CredentialError):
    """The issuer refused a step, or returned something the wallet will not keep."""

    code = "credential.issuance_failed"


class HttpClient(Protocol):
    """What the wallet asks of an HTTP client: ``httpx.Client`` (or Starlette's TestClient in tests)."""

    def get(self, url: str, *, headers: Any = None) -> Any: ...
    def post(self, url: str, *, data: Any = None, json: Any = None, headers: Any = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class CredentialOffer:
    issuer: str
    configurations: tuple[str, ...]
    pre_authorized_code: str
    tx_code_length: int | None

    @classmethod
    def parse(cls, uri: str) -> CredentialOffer:
        if not uri.startswith(OFFER_PREFIX):
            raise InputError("not an openid-credential-offer:// link")
        query = urllib.parse.parse_qs(uri[len(OFFER_PREFIX):])
        try:
            body = json.loads(query["credential_offer"][0])
            grant = body["grants"][PRE_AUTH]
            tx = grant.get("tx_code")
            return cls(str(body["credential_issuer"]), tuple(body["credential_configuration_ids"]),
                       str(grant["pre-authorized_code"]), int(tx["length"]) if tx and "length" in tx else None)
        except (KeyError, IndexError, TypeError, ValueError):
            raise InputError("the credential offer is malformed") from None


@dataclass(frozen=True, slots=True)
class ReceivedCredential:
    configuration: str
    format: str  # "mso_mdoc" | "dc+sd-jwt"
    type_identifier: str  # doctype or vct
    raw: bytes | str  # IssuerSigned CBOR or the SD-JWT VC
    key_index: int  # which of the caller's signers it is bound to


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


def _json(response: Any, step: str) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        raise IssuanceError(f"{step} refused: {oauth_refusal(response, body)}", code=f"credential.issuance_{step}")
    if not isinstance(body, dict):
        raise IssuanceError(f"{step} answered with something that is not a JSON object")
    return body


def _proof(signer: Signer, issuer: str, nonce: str, now: dt.datetime) -> str:
    header = {"typ": "openid4vci-proof+jwt", "jwk": jwk_from_key(signer.public_key())}
    return sign_compact(signer, header, {"aud": issuer, "iat": int(now.timestamp()), "nonce": nonce})


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


def receive(offer: CredentialOffer, tx_code: str | None, *, http: HttpClient,
            signers: Mapping[str, Sequence[Signer]], trust: TrustStore, now: dt.datetime) -> list[ReceivedCredential]:
    """Redeem ``offer`` (OpenID4VCI 1.0 §6 token, §7 nonce, §8 credential) and collect, for each
    configuration named in ``signers``, one credential per signer: a batch bound to distinct device keys."""
    unknown = set(signers) - set(offer.configurations)
    if unknown or not signers:
        raise InputError("ask only for configurations the offer names", code="input.usage")
    issuer = offer.issuer.rstrip("/")
    metadata = _json(http.get(f"{issuer}/.well-known/openid-credential-issuer"), "metadata")
    supported: Mapping[str, Any] = metadata.get("credential_configurations_supported", {})
    token = _json(http.post(f"{issuer}/token", data={"grant_type": PRE_AUTH,
                                                     "pre-authorized_code": offer.pre_authorized_code,
                                                     **({"tx_code": tx_code} if tx_code else {})}), "token")
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    out: list[ReceivedCredential] = []
    for config, batch in signers.items():
        spec = supported.get(config)
        if not isinstance(spec, dict):
            raise IssuanceError(f"the issuer does not describe {config}", code="credential.issuance_metadata")
        nonce = _json(http.post(metadata.get("nonce_endpoint", f"{issuer}/nonce")), "nonce")["c_nonce"]
        proofs = [_proof(s, issuer, nonce, now) for s in batch]
        answer = _json(http.post(metadata.get("credential_endpoint", f"{issuer}/credential"), headers=auth,
                                 json={"credential_configuration_id": config, "proofs": {"jwt": proofs}}),
                       "credential")
        credentials = answer.get("credentials", [])
        if not isinstance(credentials, list) or len(credentials) != len(batch):
            raise IssuanceError("the issuer returned a different number of credentials than proofs")
        for index, (item, signer) in enumerate(zip(credentials, batch, strict=True)):
            value = item.get("credential") if isinstance(item, dict) else None
            out.append(_checked(config, spec, value, signer.public_key(), trust, now, index))
    return out


def _checked(config: str, spec: Mapping[str, Any], value: Any, key: PublicKey, trust: TrustStore, now: dt.datetime,
             index: int) -> ReceivedCredential:
    if not isinstance(value, str):
        raise IssuanceError("a credential is missing from the response")
    try:
        if spec.get("format") == "mso_mdoc":
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            kind = _check_mdoc(raw, key, trust, now, spec.get("doctype"))
            return ReceivedCredential(config, "mso_mdoc", kind, raw, index)
        kind = _check_sd_jwt(value, key, trust, now, spec.get("vct"))
        return ReceivedCredential(config, "dc+sd-jwt", kind, value, index)
    except IssuanceError:
        raise
    except (MobileIdError, binascii.Error, ValueError) as exc:
        code = exc.code if isinstance(exc, MobileIdError) else "decode.invalid"
        raise IssuanceError(f"a received credential fails verification ({code})",
                            code="credential.issuance_unverified") from None
