"""The trust bundle: everything an offline verifier needs from an issuer, in one signed file.

This structure is ours (ISO/IEC 18013-5 has no equivalent); its parts are standard. It is a
``COSE_Sign1`` (RFC 9052) by the VICAL signer (Annex C.1.7.2 profile) over the CBOR map::

    TrustBundle = {"version": 1, "issuer": tstr, "issuedAt": tdate, "nextUpdate": tdate,
                   "vical": bstr,                    ; a signed VICAL (Annex C.1.7), IACA certificates
                   "documentSigners": [* bstr],      ; DER document-signer certificates (QR profile: the
                                                     ; presentation names its signer by key id only)
                   "statusLists": [* {"uri": tstr, ? "jwt": tstr, ? "cwt": bstr}]}  ; status list tokens

``verify_trust_bundle`` fails closed: a bad signature, a signer not chaining to the pinned root, a bundle
older than the verifier's policy (``max_age``) or past ``nextUpdate``, a VICAL that does not verify, or a
document signer that does not chain to a listed IACA is a ``TrustBundleError`` with its own code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from specs.cbor import decode, encode
from specs.crypto import Signer
from specs.errors import MobileIdError, StructureError, TrustError
from specs.trust.signed import open_signed, sign_payload
from specs.trust.vical import Vical, verify_vical
from specs.x509 import CertificateRole, TrustStore, validate_chain
from specs.x509.load import load_der_certificate

__all__ = [
    "BUNDLE_VERSION",
    "DEFAULT_MAX_AGE",
    "FUTURE_SKEW",
    "StatusListToken",
    "TrustBundle",
    "TrustBundleError",
    "VerifiedTrustBundle",
    "check_bundle_age",
    "key_id",
    "sign_trust_bundle",
    "verify_trust_bundle",
]

BUNDLE_VERSION = 1
MAX_BUNDLE = 4 * 1024 * 1024
KEY_ID_LENGTH = 8
DEFAULT_MAX_AGE = dt.timedelta(days=7)
FUTURE_SKEW = dt.timedelta(minutes=5)  # the clock skew a bundle may be dated ahead of now by


class TrustBundleError(TrustError):
    """The trust bundle cannot be used: malformed, unsigned by the pinned root, stale, or inconsistent."""

    code = "trust.bundle"


@dataclass(frozen=True, slots=True)
class StatusListToken:
    """A status list token as served by the issuer (draft-ietf-oauth-status-list §5), JWT or CWT form."""

    uri: str
    jwt: str | None = None
    cwt: bytes | None = None

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uri": self.uri}
        if self.jwt is not None:
            out["jwt"] = self.jwt
        if self.cwt is not None:
            out["cwt"] = self.cwt
        return out

    @classmethod
    def from_cbor_value(cls, value: Any) -> StatusListToken:
        if not isinstance(value, Mapping) or not isinstance(value.get("uri"), str):
            raise StructureError("a status list entry needs a uri")
        jwt, cwt = value.get("jwt"), value.get("cwt")
        if (jwt is None and cwt is None) or (jwt is not None and not isinstance(jwt, str)) or (
                cwt is not None and not isinstance(cwt, bytes)):
            raise StructureError("a status list entry needs a jwt (text) or a cwt (bytes)")
        return cls(value["uri"], jwt, cwt)


@dataclass(frozen=True, slots=True)
class TrustBundle:
    issuer: str
    issued_at: dt.datetime
    next_update: dt.datetime
    vical: bytes
    document_signers: tuple[bytes, ...]
    status_lists: tuple[StatusListToken, ...]

    def to_cbor_value(self) -> dict[str, Any]:
        return {"version": BUNDLE_VERSION, "issuer": self.issuer, "issuedAt": self.issued_at.replace(microsecond=0),
                "nextUpdate": self.next_update.replace(microsecond=0), "vical": self.vical,
                "documentSigners": list(self.document_signers),
                "statusLists": [s.to_cbor_value() for s in self.status_lists]}

    @classmethod
    def from_cbor(cls, data: bytes) -> TrustBundle:
        value = decode(data, allowed_tags=frozenset({0}), max_size=MAX_BUNDLE)
        version = value.get("version") if isinstance(value, Mapping) else None
        if type(version) is not int or version != BUNDLE_VERSION:  # exact type: 1.0 is not the integer 1
            raise StructureError(f"a trust bundle is a map with version {BUNDLE_VERSION} (an integer)")
        issuer, vical, signers, lists = (value.get(k) for k in ("issuer", "vical", "documentSigners", "statusLists"))
        issued, nxt = value.get("issuedAt"), value.get("nextUpdate")
        if not isinstance(issuer, str) or not isinstance(vical, bytes) or not isinstance(signers, list) or not (
                isinstance(lists, list)) or not isinstance(issued, dt.datetime) or not isinstance(nxt, dt.datetime):
            raise StructureError("a trust bundle needs issuer, issuedAt, nextUpdate, vical, documentSigners, "
                                 "statusLists")
        if not all(isinstance(s, bytes) for s in signers):
            raise StructureError("documentSigners must be DER byte strings")
        return cls(issuer, issued, nxt, vical, tuple(signers), tuple(StatusListToken.from_cbor_value(s) for s in lists))

    def status_token(self, uri: str) -> StatusListToken | None:
        return next((s for s in self.status_lists if s.uri == uri), None)


@dataclass(frozen=True, slots=True)
class VerifiedTrustBundle:
    """A bundle that passed every check: the IACA anchors, document signers by key id, status tokens."""

    bundle: TrustBundle
    vical: Vical
    iaca: TrustStore
    document_signers: Mapping[bytes, x509.Certificate]  # SHA-256 of the SubjectPublicKeyInfo -> cert

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - self.bundle.issued_at


def key_id(cert: x509.Certificate) -> bytes:
    """The key id the QR profile names a document signer by: the first 8 bytes of SHA-256 over its
    SubjectPublicKeyInfo DER. Only a lookup hint (every byte counts in a QR code): trust still comes from
    validating that certificate to a listed IACA, which a look-alike key cannot pass."""
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:KEY_ID_LENGTH]


def sign_trust_bundle(bundle: TrustBundle, signer: Signer, chain: tuple[x509.Certificate, ...]) -> bytes:
    return sign_payload(encode(bundle.to_cbor_value()), signer, chain)


def check_bundle_age(issued_at: dt.datetime, now: dt.datetime, max_age: dt.timedelta, *,
                     next_update: dt.datetime | None = None, what: str = "trust bundle") -> None:
    """The one check of a bundle's age, when it is loaded and again when a verifier uses it: older than the
    verifier's ``max_age``, past its ``nextUpdate`` or dated in the future (beyond 5 minutes of clock skew)
    is ``trust.bundle_stale``."""
    if now - issued_at > max_age or (next_update is not None and now > next_update):
        raise TrustBundleError(f"the {what} is stale: fetch a new one (mobileid verifier sync)",
                               code="trust.bundle_stale")
    if issued_at > now + FUTURE_SKEW:
        raise TrustBundleError(f"the {what} is dated in the future", code="trust.bundle_stale")


def verify_trust_bundle(data: bytes, roots: TrustStore, *, now: dt.datetime,
                        max_age: dt.timedelta = DEFAULT_MAX_AGE) -> VerifiedTrustBundle:
    """Verify a signed trust bundle against the pinned ``roots`` at ``now`` (fails closed)."""
    bundle = open_signed(data, roots, now=now, max_size=MAX_BUNDLE, what="trust bundle", parse=TrustBundle.from_cbor,
                         error=TrustBundleError, code="trust.bundle_signature")
    check_bundle_age(bundle.issued_at, now, max_age, next_update=bundle.next_update)
    vical = verify_vical(bundle.vical, roots, now=now)
    iaca = vical.trust_store()
    signers: dict[bytes, x509.Certificate] = {}
    for der in bundle.document_signers:
        try:
            cert = load_der_certificate(der)
            validate_chain([cert], iaca, now=now, role=CertificateRole.DOCUMENT_SIGNER)
        except (MobileIdError, ValueError):
            # An expired signer stays out (its documents can't verify anyway); a foreign one is an error.
            if _expired(der, now):
                continue
            raise TrustBundleError("a document signer in the bundle is not issued by a listed IACA",
                                   code="trust.bundle_signer") from None
        signers[key_id(cert)] = cert
    return VerifiedTrustBundle(bundle, vical, iaca, signers)


def _expired(der: bytes, now: dt.datetime) -> bool:
    try:
        cert = load_der_certificate(der)
    except MobileIdError:
        return False
    return not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
