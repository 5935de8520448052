"""The offline verifier: bytes or text in, a ``VerificationResult`` out. It fails closed.

Every failure of the credential itself becomes ``valid: false`` with the error's stable code; only a
problem with what the *caller* handed over (an unreadable transcript or key, a bad time) raises
``InputError``, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from specs.catalogue import Catalogue
from specs.crypto import PublicKey
from specs.errors import InputError, MdocError, MobileIdError, StatusListError, StatusTokenError
from specs.mdoc.transcript import SessionTranscript
from specs.mdoc.verify import verify_device_response
from specs.sdjwt import VerifiedSdJwtVc, verify_sd_jwt_or_vc, x5c_chain, x5c_ders
from specs.status import (
    StatusList,
    StatusListToken,
    StatusReference,
    TokenHeader,
    require_valid,
    verify_status_list_token,
)
from specs.x509 import CertificateRole, ChainCache, validate_chain
from specs.x509.load import load_der_certificate
from verifier.copy import StatusPatches
from verifier.result import StatusText, VerificationResult, authentic_result, type_names
from verifier.trust import VerifierTrust

__all__ = ["mdoc_result", "verify_mdoc", "verify_sd_jwt_presentation"]

_CACHE = ChainCache()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.UTC)


def _transcript(data: bytes | SessionTranscript) -> SessionTranscript:
    if isinstance(data, SessionTranscript):
        return data
    try:
        return SessionTranscript.from_cbor(data)
    except MobileIdError as exc:
        raise InputError(f"the session transcript is unreadable ({exc.code})") from None


def _reader_key(pem: bytes | None) -> ec.EllipticCurvePrivateKey | None:
    if pem is None:
        return None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise InputError("the reader key is not an unencrypted PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InputError("the reader key must be an EC private key")
    return key


def verify_mdoc(data: bytes, *, trust: VerifierTrust, transcript: bytes | SessionTranscript,
                now: dt.datetime | None = None, reader_key_pem: bytes | None = None,
                status_token: bytes | None = None, require_status: bool = False,
                max_documents: int | None = None, catalogue: Catalogue | None = None) -> VerificationResult:
    """ISO/IEC 18013-5 DeviceResponse -> result (every document must verify). ``max_documents``: a channel
    that answers with one document (the QR profile, §4) refuses more, whose claims would otherwise merge.
    With a ``catalogue``, a verified result carries its name of the document type (``type_name``)."""
    return mdoc_result(data, trust, _transcript(transcript), _now(now), _reader_key(reader_key_pem), status_token,
                       require_status, max_documents, catalogue)


def mdoc_result(data: bytes, trust: VerifierTrust, session: SessionTranscript, when: dt.datetime,
                reader_key: ec.EllipticCurvePrivateKey | None, status_token: bytes | None, require_status: bool,
                max_documents: int | None, catalogue: Catalogue | None) -> VerificationResult:
    """``verify_mdoc`` once its inputs are read: what a channel that holds them already (``verifier.qr``, once
    per scan) calls directly."""
    try:
        docs = verify_device_response(data, trust=trust.anchors, transcript=session, now=when,
                                      reader_private_key=reader_key, chain_cache=_CACHE,
                                      document_signers=trust.document_signers)
        doc = docs[0]
        if max_documents is not None and len(docs) > max_documents:
            raise MdocError(f"the response holds {len(docs)} documents; {max_documents} allowed here",
                            code="mdoc.document_count")
        status: StatusText
        as_of: dt.datetime | None  # the oldest "as of" of the documents, when every one is checked
        if len(docs) == 1:  # the common answer: its status is the result's ("unchecked" comes with None)
            status, as_of = _status(doc.mso.status, status_token, trust, when, require=require_status)
        else:
            status, as_of = "valid", None
            for d in docs:
                at = _status(d.mso.status, status_token, trust, when, require=require_status)[1]
                if at is None:  # that document's status is unchecked
                    status = "unchecked"
                elif as_of is None or at < as_of:
                    as_of = at
            if status != "valid":
                as_of = None
    except MobileIdError as exc:
        return VerificationResult.failure("mdoc", exc)
    claims: dict[str, Any] = {}
    for verified in docs:
        for ns, values in verified.issuer_claims.items():
            claims.setdefault(ns, {}).update(values)
    return authentic_result("mdoc", doc.doctype, None, claims, True, status,
                            type_names(catalogue, doc.doctype) if catalogue is not None else {},
                            certificate_name(doc.document_signer), as_of)


def verify_sd_jwt_presentation(text: str, *, trust: VerifierTrust, now: dt.datetime | None = None,
                               nonce: str | None = None, aud: str | None = None,
                               status_token: bytes | None = None, require_status: bool = False,
                               catalogue: Catalogue | None = None) -> VerificationResult:
    """SD-JWT or SD-JWT VC presentation -> result. With ``nonce`` and ``aud``, key binding is required. With a
    ``catalogue``, a verified SD-JWT VC carries its name of the credential type (``type_name``)."""
    when = _now(now)

    signers: list[str] = []

    def issuer_keys(header: Mapping[str, Any], payload: Mapping[str, Any]) -> Sequence[PublicKey]:
        return _keys_for(header, trust, when, signers)

    vct: str | None = None
    try:
        binding = nonce is not None and aud is not None
        # an SD-JWT VC (typ dc+sd-jwt) gets its own checks on top, in the same pass
        verified = verify_sd_jwt_or_vc(text, issuer_keys=issuer_keys, now=when, expected_aud=aud,
                                       expected_nonce=nonce, require_key_binding=binding)
        if isinstance(verified, VerifiedSdJwtVc):
            vct = verified.vct
            claims, bound, reference = dict(verified.claims), verified.holder_bound, verified.status
        else:
            claims, bound = dict(verified.claims), verified.holder_bound
            reference = StatusReference.from_value(claims["status"]) if "status" in claims else None
        status, as_of = _status(reference, status_token, trust, when, require=require_status)
    except MobileIdError as exc:
        return VerificationResult.failure("sd-jwt", exc, vct=vct)
    iss = claims.get("iss")
    issuer = signers[0] if signers else iss if isinstance(iss, str) else None
    return VerificationResult(authentic=True, format="sd-jwt", vct=vct, claims=claims, holder_bound=bound,
                              status=status, status_as_of=as_of, issuer=issuer,
                              type_name=type_names(catalogue, vct) if catalogue is not None and vct else {})


def certificate_name(certificate: x509.Certificate) -> str | None:
    """A certificate subject's common name, else its organisation (what a shop knows the issuer by). Read once
    per certificate object: a verifier sees the same few document signers (the trust bundle's, or the chain
    cache's) on every verification, and reading a name costs as much as the rest of building the result."""
    hit = _NAMES.get(id(certificate))
    if hit is not None and hit[0] is certificate:  # the entry holds the object, so its id is not reused
        return hit[1]
    name = _subject_name(certificate)
    if len(_NAMES) >= _MAX_NAMES:
        _NAMES.clear()
    _NAMES[id(certificate)] = (certificate, name)
    return name


_NAMES: dict[int, tuple[x509.Certificate, str | None]] = {}
_MAX_NAMES = 256


def _subject_name(certificate: x509.Certificate) -> str | None:
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        names = certificate.subject.get_attributes_for_oid(oid)
        if names and isinstance(names[0].value, str):
            return names[0].value
    return None


def _keys_for(header: Mapping[str, Any], trust: VerifierTrust, now: dt.datetime,
              signers: list[str] | None = None) -> Sequence[PublicKey]:
    """An ``x5c`` chain must validate to a trusted anchor; otherwise pinned keys (by ``kid``) are used. The
    validated signer's name is appended to ``signers``."""
    ders = x5c_ders(header)
    if ders:  # a signer seen before is found by its DER, without parsing the chain again
        validated = _CACHE.valid_hit(ders[0], CertificateRole.DOCUMENT_SIGNER, trust.anchors, now)
        if validated is None:
            validated = validate_chain(x5c_chain(header), trust.anchors, now=now,
                                       role=CertificateRole.DOCUMENT_SIGNER, cache=_CACHE)
            _CACHE.put_der(ders[0], CertificateRole.DOCUMENT_SIGNER, validated)
        name = certificate_name(validated.leaf)
        if signers is not None and name:
            signers.append(name)
        return [validated.leaf.public_key()]  # type: ignore[list-item]
    kid = header.get("kid")
    return trust.key_candidates(kid if isinstance(kid, str) else None)


_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class _CheckedToken:
    """A status list token whose signature verified under one trust (``VerifierTrust.verified_tokens``), with what
    a lookup compares against worked out once: its list (draft-ietf-oauth-status-list §5.1 ``sub``), the earliest
    time it is used for (its issued-at less the clock skew) and its expiry (§5.1 ``exp``)."""

    token: StatusListToken
    subject: str
    not_before: dt.datetime
    expires_at: dt.datetime | None


def _status(reference: StatusReference | None, token: bytes | None, trust: VerifierTrust,
            now: dt.datetime, *, require: bool = False) -> tuple[StatusText, dt.datetime | None]:
    """Check the credential's status against a cached Status List Token (given, or from the trust
    bundle), when both exist: ``("valid", as of when)``, or ``("unchecked", None)``. "As of" is the trust
    bundle's time for a list the bundle carried (the issuer signed the bundle with that list as current: a list
    regenerated only on change may be older), else the token's own issued-at."""
    bundled = token is None
    if reference is not None and token is None:
        token = trust.status_tokens.get(reference.uri)
    if reference is None or token is None:
        if require and reference is not None:
            # Fail closed: the credential has a status and we hold no current list to look it up in.
            raise StatusTokenError("no status list for this credential in the trust bundle: sync it",
                                   code="status.unavailable")
        return "unchecked", None
    patches = trust.status_patches if bundled else None
    # with change logs applied (verifier.copy) the token is checked as of when it was current, the logs say since
    as_of = patches.token_time if patches is not None else now
    if patches is not None and now >= patches.expires_at:
        raise StatusTokenError("the status change log has expired: sync again", code="status.token_expired")
    checked = trust.verified_tokens.get(token)
    if checked is None or checked.subject != reference.uri or as_of < checked.not_before or (
            checked.expires_at is not None and as_of >= checked.expires_at):
        # first use under this trust, or outside the times it was kept for: verified (and refused) as the first time
        parsed = verify_status_list_token(token, lambda header: _token_keys(header, trust, now), now=as_of,
                                          expected_subject=reference.uri)
        checked = _CheckedToken(parsed, parsed.subject, parsed.issued_at - _SKEW, parsed.expires_at)
        if len(trust.verified_tokens) < 256:
            trust.verified_tokens[token] = checked
    value = checked.token.status_list.get(reference.idx)
    if patches is not None:
        return _patched(patches, reference, checked.token.status_list, value)
    if value != 0:
        require_valid(value)  # raises: revoked, suspended or another status (fail closed)
    issued = checked.token.issued_at
    if bundled and trust.bundle_issued_at is not None:
        return "valid", max(issued, trust.bundle_issued_at)
    return "valid", issued


def _token_keys(header: TokenHeader, trust: VerifierTrust, now: dt.datetime) -> Sequence[PublicKey]:
    """The keys a status list token may be signed with: its x5chain's leaf, validated to the trust's anchors, else
    the keys the trust pins (by ``kid``)."""
    if header.x5chain:
        try:
            certs = [load_der_certificate(c) for c in header.x5chain]
        except MobileIdError:
            raise StatusTokenError("status list token certificate is malformed",
                                   code="status.token_signature") from None
        validated = validate_chain(certs, trust.anchors, now=now, cache=_CACHE)
        return [validated.leaf.public_key()]  # type: ignore[list-item]
    return trust.key_candidates(header.kid)


def _patched(patches: StatusPatches, reference: StatusReference, status_list: StatusList,
             value: int) -> tuple[StatusText, dt.datetime | None]:
    """The status the applied change logs give (``verifier.copy``), as of the newest log."""
    patch = patches.lists.get(reference.uri)
    if patch is not None:
        if (patch.size, patch.bits) != (status_list.size, status_list.bits):
            raise StatusListError("the status change log does not fit the list's size or bits",
                                  code="status.list_malformed")
        value = patch.changes.get(reference.idx, value)
    require_valid(value)
    return "valid", patches.as_of
