"""Certificate path validation for mdoc document signers and readers (ISO/IEC 18013-5 §9.3.3, Annex B).

Paths are leaf -> anchor (Annex B has no intermediates between an IACA and its document signers).
Signatures and path building go through ``cryptography.x509.verification`` with the web-PKI CA policy
for the anchor and an end-entity policy that accepts the critical mDL extended key usage; the Annex B
rules come from ``check_profile`` so each violation has its own code. ``ChainCache`` remembers a
validated (leaf, anchor) pair so a verifier pays the path check once per document signer, while the
validity dates are still checked against ``now`` on every call.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, VerificationError

from specs.errors import CertificateError, CertificateValidityError, ChainError
from specs.x509.load import load_der_certificate, read_issuer
from specs.x509.profile import CertificateRole, check_profile
from specs.x509.trust import TrustStore, fingerprint

__all__ = ["ChainCache", "ValidatedChain", "check_validity", "validate_chain", "validate_der_chain"]

_ANCHOR_ROLE = {
    CertificateRole.DOCUMENT_SIGNER: CertificateRole.IACA,
    CertificateRole.READER: CertificateRole.READER_ROOT,
    CertificateRole.VICAL_SIGNER: CertificateRole.IACA,  # the VICAL provider's root, IACA-profiled
}
_LEAF_NAMES = {role: role.value.replace("_", " ") for role in _ANCHOR_ROLE}


@dataclass(frozen=True, slots=True)
class ValidatedChain:
    """A leaf validated to an anchor, and the leaf's notBefore / notAfter (RFC 5280 §4.1.2.5), read once here:
    each use of the chain compares them with a signing date (cryptography makes new datetimes on every read)."""

    leaf: x509.Certificate
    anchor: x509.Certificate
    path: tuple[x509.Certificate, ...]
    leaf_not_before: dt.datetime
    leaf_not_after: dt.datetime


# A cache entry: the anchor's fingerprint, the chain, and the span in which both certificates are valid.
_Entry = tuple[bytes, ValidatedChain, dt.datetime, dt.datetime]
_Table = OrderedDict[tuple[object, CertificateRole], _Entry]


@dataclass(slots=True)
class ChainCache:
    """Validated (leaf, anchor) paths, found by the leaf's fingerprint, by its received DER bytes, or (for the
    certificate objects a trust bundle holds) by the very object; bounded, least recently used evicted first.
    An entry is used only while its anchor is in the caller's trust store, and the validity dates of both
    certificates are checked against ``now`` on every hit."""

    max_entries: int = 1024
    _entries: _Table = field(default_factory=OrderedDict)
    _by_der: _Table = field(default_factory=OrderedDict)
    _by_object: _Table = field(default_factory=OrderedDict)  # id(leaf) -> entry whose chain.leaf is that object

    def get(self, leaf_fp: bytes, role: CertificateRole, trust: TrustStore) -> ValidatedChain | None:
        entry = _entry(self._entries, (leaf_fp, role), trust)
        return None if entry is None else entry[1]

    def get_der(self, leaf_der: bytes, role: CertificateRole, trust: TrustStore) -> ValidatedChain | None:
        entry = _entry(self._by_der, (leaf_der, role), trust)
        return None if entry is None else entry[1]

    def put(self, leaf_fp: bytes, role: CertificateRole, chain: ValidatedChain) -> None:
        _store(self._entries, (leaf_fp, role), chain, self.max_entries)
        _store(self._by_object, (id(chain.leaf), role), chain, self.max_entries)

    def put_der(self, leaf_der: bytes, role: CertificateRole, chain: ValidatedChain) -> None:
        _store(self._by_der, (leaf_der, role), chain, self.max_entries)

    def valid_hit(self, leaf_der: bytes, role: CertificateRole, trust: TrustStore,
                  now: dt.datetime) -> ValidatedChain | None:
        """``get_der`` and the date checks of a hit in one step (the hot path of a verifier, written out: one call,
        not three)."""
        key = (leaf_der, role)
        entry = self._by_der.get(key)
        if entry is None or entry[0] not in trust.fingerprints:
            return None
        self._by_der.move_to_end(key)
        if not entry[2] <= now <= entry[3]:  # say which certificate and which date, as an uncached check would
            check_validity(entry[1].leaf, now, role.value.replace("_", " "))
            check_validity(entry[1].anchor, now, _ANCHOR_ROLE[role].value)
        return entry[1]

    def valid_hit_for(self, leaf: x509.Certificate, role: CertificateRole, trust: TrustStore,
                      now: dt.datetime) -> ValidatedChain | None:
        """The same for a certificate object seen before (no fingerprint to compute). The entry holds the
        object, so its id cannot be reused by another while the entry lives."""
        key = (id(leaf), role)
        entry = self._by_object.get(key)
        if entry is None or entry[0] not in trust.fingerprints:
            return None
        self._by_object.move_to_end(key)
        if entry[1].leaf is not leaf:
            return None
        if not entry[2] <= now <= entry[3]:  # say which certificate and which date, as an uncached check would
            check_validity(leaf, now, role.value.replace("_", " "))
            check_validity(entry[1].anchor, now, _ANCHOR_ROLE[role].value)
        return entry[1]


def _entry(table: _Table, key: tuple[object, CertificateRole], trust: TrustStore) -> _Entry | None:
    entry = table.get(key)
    if entry is None or entry[0] not in trust.fingerprints:
        return None
    table.move_to_end(key)
    return entry


def _store(table: _Table, key: tuple[object, CertificateRole], chain: ValidatedChain, limit: int) -> None:
    anchor = chain.anchor
    table[key] = (fingerprint(anchor), chain, max(chain.leaf_not_before, anchor.not_valid_before_utc),
                  min(chain.leaf_not_after, anchor.not_valid_after_utc))
    while len(table) > limit:
        table.popitem(last=False)


def check_validity(cert: x509.Certificate, now: dt.datetime, what: str) -> None:
    """RFC 5280 §4.1.2.5: ``now`` within [notBefore, notAfter]."""
    if now < cert.not_valid_before_utc:
        raise CertificateValidityError(f"{what} certificate is not yet valid", code="x509.not_yet_valid")
    if now > cert.not_valid_after_utc:
        raise CertificateValidityError(f"{what} certificate has expired", code="x509.expired")


def validate_chain(chain: Sequence[x509.Certificate], trust: TrustStore, *, now: dt.datetime,
                   role: CertificateRole = CertificateRole.DOCUMENT_SIGNER,
                   cache: ChainCache | None = None) -> ValidatedChain:
    """Validate ``chain`` (leaf first, anchor optional) to an anchor of ``trust`` at ``now``."""
    if not chain:
        raise ChainError("no certificate chain was presented")
    leaf = chain[0]
    if cache is not None and (hit := cache.valid_hit_for(leaf, role, trust, now)) is not None:
        return hit
    leaf_fp = fingerprint(leaf) if cache is not None else b""
    if cache is not None and (hit := cache.get(leaf_fp, role, trust)) is not None:
        check_validity(hit.leaf, now, role.value.replace("_", " "))
        check_validity(hit.anchor, now, _ANCHOR_ROLE[role].value)
        return hit
    result = _validate(leaf, chain[1:], trust, now, role)
    if cache is not None:
        cache.put(leaf_fp, role, result)
    return result


_CA_POLICY = ExtensionPolicy.webpki_defaults_ca()
_EE_POLICY = ExtensionPolicy.permit_all()  # the mDL EKU and the rest of the leaf's profile: check_profile


def _validate(leaf: x509.Certificate, rest: Sequence[x509.Certificate], trust: TrustStore,
              now: dt.datetime, role: CertificateRole) -> ValidatedChain:
    anchor_role = _ANCHOR_ROLE[role]
    not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc  # read once: new objects each read
    if not not_before <= now <= not_after:
        check_validity(leaf, now, _LEAF_NAMES[role])  # says which date
    if rest:
        _issuers(leaf, trust, anchor_role)
        if any(c not in trust for c in rest):
            # Annex B paths are two certificates long; anything in between is not ours to trust.
            raise ChainError("the chain carries certificates between the leaf and a trusted anchor")
    # The path builder picks the anchors whose subject is the leaf's issuer (compared as encoded, stricter than
    # x509.Name equality), so the whole store is given; when it finds none, _issuers says so below.
    if trust.store is None:
        raise ChainError(f"no trusted {anchor_role.value} issued this certificate")
    # The builder wants naive UTC; a `now` already in UTC (the usual case) needs no conversion.
    at = now.replace(tzinfo=None) if now.tzinfo is dt.UTC else now.astimezone(dt.UTC).replace(tzinfo=None)
    verifier = (
        PolicyBuilder().store(trust.store).time(at)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY).build_client_verifier()
    )
    try:
        verified = verifier.verify(leaf, [])
    except VerificationError:
        _read_issuer(leaf)  # strictly, before _issuers reads it (validate_der_chain may have left it unread)
        for anchor in _issuers(leaf, trust, anchor_role):  # say which date failed, when it is a date
            check_validity(anchor, now, anchor_role.value)
        raise ChainError("the certificate does not chain to a trusted anchor") from None
    anchor = verified.chain[-1]
    _check_anchor_profile(anchor, anchor_role, trust)
    check_profile(leaf, role, issuer=anchor)
    return ValidatedChain(leaf, anchor, tuple(verified.chain), not_before, not_after)


def _issuers(leaf: x509.Certificate, trust: TrustStore, anchor_role: CertificateRole) -> tuple[x509.Certificate, ...]:
    anchors = trust.find_issuer(leaf)
    if not anchors:
        raise ChainError(f"no trusted {anchor_role.value} issued this certificate")
    return anchors


# Anchors outside a trust store's own objects that passed their Annex B profile, by DER (the check depends on
# nothing else). Anchors of the store are remembered by the store itself, without encoding them each time.
_PROFILED_ANCHORS: set[tuple[bytes, CertificateRole]] = set()


# The same, by the very object (a store made per verification over the same certificates); each entry holds its
# object, so its id is not reused while the entry lives.
_PROFILED_OBJECTS: dict[tuple[int, CertificateRole], x509.Certificate] = {}


def _check_anchor_profile(anchor: x509.Certificate, role: CertificateRole, trust: TrustStore) -> None:
    position = trust.position(anchor)
    if position is not None and (position, role) in trust.profiled:
        return
    if _PROFILED_OBJECTS.get((id(anchor), role)) is not anchor:
        if position is not None:
            check_profile(anchor, role)
        else:
            key = (anchor.public_bytes(Encoding.DER), role)
            if key not in _PROFILED_ANCHORS:
                check_profile(anchor, role)
                if len(_PROFILED_ANCHORS) < 1024:
                    _PROFILED_ANCHORS.add(key)
        if len(_PROFILED_OBJECTS) < 1024:
            _PROFILED_OBJECTS[(id(anchor), role)] = anchor
    if position is not None:
        trust.profiled.add((position, role))


def validate_der_chain(chain: Sequence[bytes], trust: TrustStore, *, now: dt.datetime,
                       role: CertificateRole = CertificateRole.DOCUMENT_SIGNER,
                       cache: ChainCache | None = None) -> ValidatedChain:
    """``validate_chain`` for DER certificates as carried in x5chain; a cache hit skips parsing entirely
    (the received DER bytes of the leaf are the key, so any change of the certificate is a miss)."""
    if not chain:
        raise ChainError("no certificate chain was presented")
    if cache is not None and (hit := cache.valid_hit(chain[0], role, trust, now)) is not None:
        return hit
    # A lone leaf's issuer name is not read here: when the path builder finds an anchor, the issuer is that
    # anchor's subject as encoded, and a name that parsed strictly once (as an earlier leaf's issuer) does every
    # time. Otherwise (a failure, an anchor no leaf has proved yet) it is read strictly before anything else
    # reads it, and a malformed issuer is reported ahead of any other error, as a complete parse up front was.
    lone = len(chain) == 1
    try:
        certs = [load_der_certificate(der, issuer=not lone) for der in chain]
    except CertificateError:
        raise ChainError("the chain holds a malformed certificate", code="x509.malformed") from None
    if not lone:
        result = validate_chain(certs, trust, now=now, role=role, cache=cache)
    else:
        try:
            result = validate_chain(certs, trust, now=now, role=role, cache=cache)
        except (CertificateError, ValueError, UserWarning):
            _read_issuer(certs[0])
            raise
        _check_issuer(certs[0], result.anchor, trust)
    if cache is not None:
        cache.put_der(chain[0], role, result)
    return result


def _read_issuer(leaf: x509.Certificate) -> None:
    try:
        read_issuer(leaf)
    except CertificateError:
        raise ChainError("the chain holds a malformed certificate", code="x509.malformed") from None


# Anchors outside a trust store's own objects (a store made per verification over the same certificates) whose
# subject a leaf's strictly read issuer proved well formed; each entry holds its object, so its id is not reused.
_WELL_FORMED_ANCHORS: dict[int, x509.Certificate] = {}


def _check_issuer(leaf: x509.Certificate, anchor: x509.Certificate, trust: TrustStore) -> None:
    """The lone leaf's issuer is ``anchor``'s subject as encoded (the path builder matched them): read it strictly
    unless a leaf naming the same anchor already has, which proved that subject's encoding well formed."""
    position = trust.position(anchor)
    if position is not None and position in trust.well_formed:
        return
    if _WELL_FORMED_ANCHORS.get(id(anchor)) is not anchor:
        _read_issuer(leaf)
        if len(_WELL_FORMED_ANCHORS) < 1024:
            _WELL_FORMED_ANCHORS[id(anchor)] = anchor
    if position is not None:
        trust.well_formed.add(position)
