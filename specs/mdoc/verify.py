"""mdoc verification (ISO/IEC 18013-5 §9.3): every check, each failing with its own error code.

Order per document: issuer certificate chain (Annex B profile, to a trust anchor) -> issuerAuth
signature (algorithm from the protected header only) -> docType match -> MSO validity -> every presented
item's digest over its received bytes -> mdoc authentication (deviceSignature or deviceMac over
DeviceAuthenticationBytes built from this session's transcript) -> keyAuthorizations. The first
failure raises; nothing unverified is returned.

A DeviceResponse given as bytes is first offered to the C part (``specs.mdoc.walk``), which reads it and does
the structural and digest checks of the common case; the chain, both signatures and the checks that need them
are then done here, in the order above (``_verify_walked``). Whatever the C part does not accept, the Python
path reads and checks from the start, and its error is the one raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from specs.cbor.raw import tag24
from specs.cose import CoseKey, CoseSign1
from specs.crypto import Algorithm, verify_signature
from specs.errors import (
    DeviceAuthError,
    DigestMismatchError,
    DigestMissingError,
    DocTypeMismatchError,
    IssuerAuthError,
    KeyAuthorizationError,
    MacError,
    MdocError,
    MsoValidityError,
    SignatureError,
)
from specs.mdoc.device_signed import derive_emac_key, device_authentication_bytes
from specs.mdoc.items import HASHERS
from specs.mdoc.mso import MobileSecurityObject
from specs.mdoc.response import STATUS_OK, DeviceResponse, Document
from specs.mdoc.transcript import SessionTranscript
from specs.mdoc.walk import Walked, walk
from specs.slots import builder
from specs.x509 import CertificateRole, ChainCache, TrustStore, ValidatedChain, validate_chain, validate_der_chain

__all__ = ["VerifiedDocument", "verify_device_response", "verify_document"]


@dataclass(frozen=True, slots=True)
class VerifiedDocument:
    doctype: str
    issuer_claims: Mapping[str, Mapping[str, Any]]
    device_claims: Mapping[str, Mapping[str, Any]]
    mso: MobileSecurityObject
    document_signer: x509.Certificate
    anchor: x509.Certificate
    device_key: CoseKey
    authentication: Literal["signature", "mac"]


def verify_device_response(response: DeviceResponse | bytes, *, trust: TrustStore, transcript: SessionTranscript,
                           now: dt.datetime, reader_private_key: ec.EllipticCurvePrivateKey | None = None,
                           chain_cache: ChainCache | None = None, expected_doctype: str | None = None,
                           document_signers: Mapping[bytes, x509.Certificate] | None = None,
                           ) -> tuple[VerifiedDocument, ...]:
    """Verify every document of a DeviceResponse; raises the first failure (§9.3.1)."""
    if response.__class__ is bytes:
        walked = walk(response, transcript.encoded)
        if walked is not None:
            if len(walked) == 1:  # the usual response: one document
                return (_verify_walked(walked[0], trust, now, chain_cache, expected_doctype, document_signers),)
            return tuple([_verify_walked(w, trust, now, chain_cache, expected_doctype, document_signers)
                          for w in walked])
    if isinstance(response, bytes):
        response = DeviceResponse.from_cbor(response)
    if response.status != STATUS_OK:
        raise MdocError(f"DeviceResponse status is {response.status}", code="mdoc.response_status")
    if not response.documents:
        raise MdocError("DeviceResponse holds no document", code="mdoc.no_documents")
    return tuple(verify_document(d, trust=trust, transcript=transcript, now=now,
                                 reader_private_key=reader_private_key, chain_cache=chain_cache,
                                 expected_doctype=expected_doctype, document_signers=document_signers)
                 for d in response.documents)


def verify_document(document: Document, *, trust: TrustStore, transcript: SessionTranscript, now: dt.datetime,
                    reader_private_key: ec.EllipticCurvePrivateKey | None = None,
                    chain_cache: ChainCache | None = None, expected_doctype: str | None = None,
                    document_signers: Mapping[bytes, x509.Certificate] | None = None) -> VerifiedDocument:
    """``document_signers`` (key id -> certificate, from a trust bundle) lets an issuerAuth name its signer
    by ``kid`` instead of carrying ``x5chain`` (the QR profile's size saving); the chain is still validated."""
    issuer_signed = document.issuer_signed
    chain = _issuer_chain(issuer_signed.issuer_auth, trust, now, chain_cache, document_signers)
    ds_key = chain.leaf.public_key()
    try:
        issuer_signed.issuer_auth.verify(ds_key)  # type: ignore[arg-type]
    except SignatureError:
        raise IssuerAuthError("issuerAuth signature does not verify with the document signer key") from None
    mso = issuer_signed.mso
    if document.doctype != mso.doctype or (expected_doctype is not None and mso.doctype != expected_doctype):
        raise DocTypeMismatchError("the document's docType differs from the signed MSO docType")
    _check_validity(mso, chain, now)
    claims = _check_digests(document, mso)
    kind = _check_device_auth(document, mso, transcript, reader_private_key)
    _check_key_authorizations(document.device_signed.namespaces, mso)
    return VerifiedDocument(mso.doctype, claims, document.device_signed.namespaces, mso, chain.leaf,
                            chain.anchor, mso.device_key_info.device_key, kind)


def _verify_walked(walked: Walked, trust: TrustStore, now: dt.datetime, chain_cache: ChainCache | None,
                   expected_doctype: str | None,
                   document_signers: Mapping[bytes, x509.Certificate] | None) -> VerifiedDocument:
    """``verify_document`` for a document the C part has read and checked (ES256 issuerAuth and
    deviceSignature, digests already matched): the same checks in the same order, with the same errors."""
    (doctype, issuer_claims, device_claims, mso, x5chain, kid, issuer_signature, issuer_to_be_signed,
     device_signature, device_to_be_signed, issuer_der, device_der) = walked
    chain = None
    if chain_cache is not None:  # the first step of validate_der_chain / validate_chain: a signer seen before
        if x5chain:
            chain = chain_cache.valid_hit(x5chain[0], _DS, trust, now)
        elif kid is not None and document_signers is not None:
            signer = document_signers.get(kid)
            if signer is not None:
                chain = chain_cache.valid_hit_for(signer, _DS, trust, now)
    if chain is None:
        chain = _chain(x5chain, kid, trust, now, chain_cache, document_signers)
    try:
        verify_signature(_ES256, chain.leaf.public_key(), issuer_signature, issuer_to_be_signed, der=issuer_der)  # type: ignore[arg-type]
    except SignatureError:
        raise IssuerAuthError("issuerAuth signature does not verify with the document signer key") from None
    if doctype != mso.doctype or (expected_doctype is not None and mso.doctype != expected_doctype):
        raise DocTypeMismatchError("the document's docType differs from the signed MSO docType")
    _check_validity(mso, chain, now)
    device_key = mso.device_key_info.device_key
    try:
        verify_signature(_ES256, device_key.public_key(), device_signature, device_to_be_signed, der=device_der)
    except SignatureError:
        raise DeviceAuthError("the device signature does not verify over this session's transcript",
                              code="mdoc.device_signature_invalid") from None
    if device_claims:
        _check_key_authorizations(device_claims, mso)
    return _verified(mso.doctype, issuer_claims, device_claims, mso, chain.leaf, chain.anchor, device_key,
                     "signature")


_DS, _ES256 = CertificateRole.DOCUMENT_SIGNER, Algorithm.ES256


_verified = builder(VerifiedDocument)


def _issuer_chain(issuer_auth: CoseSign1, trust: TrustStore, now: dt.datetime, cache: ChainCache | None,
                  document_signers: Mapping[bytes, x509.Certificate] | None) -> ValidatedChain:
    x5chain = issuer_auth.x5chain
    return _chain(x5chain, None if x5chain else issuer_auth.kid, trust, now, cache, document_signers)


def _chain(x5chain: tuple[bytes, ...], kid: bytes | None, trust: TrustStore, now: dt.datetime,
           cache: ChainCache | None, document_signers: Mapping[bytes, x509.Certificate] | None) -> ValidatedChain:
    """The document signer's chain: from x5chain, else from the trust bundle's signer named by kid."""
    if x5chain:
        return validate_der_chain(x5chain, trust, now=now, cache=cache)
    cert = None if kid is None or document_signers is None else document_signers.get(kid)
    if cert is None:
        raise IssuerAuthError("issuerAuth carries no x5chain and names no known document signer",
                              code="mdoc.issuer_certificate_missing")
    return validate_chain([cert], trust, now=now, cache=cache)


def _check_validity(mso: MobileSecurityObject, chain: ValidatedChain, now: dt.datetime) -> None:
    """§9.1.2.4: validFrom <= now <= validUntil; signed within the DS certificate's validity."""
    v = mso.validity_info
    if not (v.signed <= v.valid_from < v.valid_until) or not (
        chain.leaf_not_before <= v.signed <= chain.leaf_not_after
    ):
        raise MsoValidityError("MSO validity dates are inconsistent", code="mdoc.validity_invalid")
    if now < v.valid_from:
        raise MsoValidityError("the MSO is not yet valid", code="mdoc.not_yet_valid")
    if now > v.valid_until:
        raise MsoValidityError("the MSO has expired", code="mdoc.expired")


def _check_digests(document: Document, mso: MobileSecurityObject) -> dict[str, dict[str, Any]]:
    """§9.3.1: each IssuerSignedItemBytes, as received, hashes to the MSO digest of its digestID."""
    claims: dict[str, dict[str, Any]] = {}
    hasher = HASHERS[mso.digest_algorithm]
    for ns, items in document.issuer_signed.namespaces.items():
        digests = mso.value_digests.get(ns)
        if digests is None:
            raise DigestMissingError("a presented namespace has no digests in the MSO")
        seen_ids: set[int] = set()
        values: dict[str, Any] = {}
        for item in items:
            digest_id, name = item.digest_id, item.element_identifier
            if digest_id in seen_ids:
                raise MdocError("a digestID is used twice in one namespace", code="mdoc.digest_id_reused")
            if name in values:
                raise MdocError("an element is presented twice", code="mdoc.element_duplicate")
            seen_ids.add(digest_id)
            expected = digests.get(digest_id)
            if expected is None:
                raise DigestMissingError("a presented item's digestID is not in the MSO")
            if hasher(tag24(item.encoded.data)).digest() != expected:  # IssuerSignedItem.digest, inlined
                raise DigestMismatchError("a presented item does not match its MSO digest")
            values[name] = item.element_value
        claims[ns] = values
    return claims


def _check_device_auth(document: Document, mso: MobileSecurityObject, transcript: SessionTranscript,
                       reader_private_key: ec.EllipticCurvePrivateKey | None) -> Literal["signature", "mac"]:
    """§9.1.3: deviceSignature or deviceMac over DeviceAuthenticationBytes with the MSO's device key."""
    signed = document.device_signed
    payload = device_authentication_bytes(transcript, document.doctype, signed.namespaces_bytes)
    device_key = mso.device_key_info.device_key
    if signed.device_signature is not None:
        if signed.device_signature.payload is not None:
            raise DeviceAuthError("deviceSignature must have a detached payload",
                                  code="mdoc.device_signature_invalid")
        try:
            signed.device_signature.verify(device_key.public_key(), detached_payload=payload)
        except SignatureError:
            raise DeviceAuthError("the device signature does not verify over this session's transcript",
                                  code="mdoc.device_signature_invalid") from None
        return "signature"
    assert signed.device_mac is not None  # DeviceSigned.from_cbor_value guarantees one of the two
    public = device_key.public_key()
    if reader_private_key is None or not isinstance(public, ec.EllipticCurvePublicKey):
        raise DeviceAuthError("deviceMac needs the reader's ephemeral private key",
                              code="mdoc.device_mac_unverifiable")
    try:
        signed.device_mac.verify(derive_emac_key(reader_private_key, public, transcript),
                                 detached_payload=payload)
    except (MacError, ValueError):
        raise DeviceAuthError("the device MAC does not verify over this session's transcript",
                              code="mdoc.device_mac_invalid") from None
    return "mac"


def _check_key_authorizations(namespaces: Mapping[str, Mapping[str, Any]], mso: MobileSecurityObject) -> None:
    """§9.1.2.4: device-signed elements must be covered by keyAuthorizations."""
    auth = mso.device_key_info.key_authorizations
    for ns, elements in namespaces.items():
        for element in elements:
            if auth is None or not auth.allows(ns, element):
                raise KeyAuthorizationError("a device-signed element is not authorized by the issuer")
