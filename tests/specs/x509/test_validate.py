"""Path validation: Annex D vectors, our own PKI, dates, foreign anchors and the cache."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from specs.crypto import SoftwareSigner
from specs.errors import CertificateProfileError, CertificateValidityError, ChainError
from specs.x509 import (
    MDL_READER_EKU,
    CertificateRole,
    ChainCache,
    TrustStore,
    create_document_signer,
    create_iaca,
    validate_chain,
    validate_der_chain,
)

ANNEX_D_NOW = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)


def _pem(iso_vectors, name: str) -> x509.Certificate:  # type: ignore[no-untyped-def]
    return x509.load_pem_x509_certificate(iso_vectors.bytes(name))


def test_annex_d_document_signer_chains_to_iaca(iso_vectors) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore.of([_pem(iso_vectors, "iaca_root_cert.pem")])
    result = validate_chain([_pem(iso_vectors, "ds_cert.pem")], trust, now=ANNEX_D_NOW)
    assert result.anchor.subject.rfc4514_string() == "C=US,CN=utopia iaca"


def test_annex_d_reader_chains_to_reader_root(iso_vectors) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore.of([_pem(iso_vectors, "reader_root_cert.pem")])
    result = validate_chain([_pem(iso_vectors, "reader_cert.pem")], trust, now=ANNEX_D_NOW,
                            role=CertificateRole.READER)
    assert result.leaf.subject.rfc4514_string() == "CN=reader"


def test_our_pki_validates_with_anchor_in_chain(pki) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore.of([pki.iaca])
    assert validate_chain([pki.ds, pki.iaca], trust, now=pki.now).anchor == pki.iaca
    validate_chain([pki.reader], TrustStore.of([pki.reader_root]), now=pki.now, role=CertificateRole.READER)


@pytest.mark.parametrize(("when", "code"), [
    (dt.datetime(2020, 9, 30, tzinfo=dt.UTC), "x509.not_yet_valid"),
    (dt.datetime(2021, 10, 2, tzinfo=dt.UTC), "x509.expired"),
])
def test_dates(iso_vectors, when: dt.datetime, code: str) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore.of([_pem(iso_vectors, "iaca_root_cert.pem")])
    with pytest.raises(CertificateValidityError) as info:
        validate_chain([_pem(iso_vectors, "ds_cert.pem")], trust, now=when)
    assert info.value.code == code


def test_foreign_iaca_is_untrusted(pki) -> None:  # type: ignore[no-untyped-def]
    # Same subject name as the trusted IACA, different key: only the signature can tell them apart.
    rogue_signer = SoftwareSigner.generate()
    rogue = create_iaca(rogue_signer, country="KR", common_name="mobileid test IACA",
                        organization="Test Licensing Office", not_before=pki.not_before,
                        not_after=pki.not_before + dt.timedelta(days=3650))
    rogue_ds = create_document_signer(rogue_signer, rogue, SoftwareSigner.generate().public_key(),
                                      common_name="rogue DS", not_before=pki.not_before,
                                      not_after=pki.not_before + dt.timedelta(days=300))
    with pytest.raises(ChainError) as info:
        validate_chain([rogue_ds, rogue], TrustStore.of([pki.iaca]), now=pki.now)
    assert info.value.code == "x509.untrusted_chain"


def test_unknown_issuer_and_empty_chain(pki) -> None:  # type: ignore[no-untyped-def]
    for chain in ([pki.ds], []):
        with pytest.raises(ChainError) as info:
            validate_chain(chain, TrustStore.of([pki.reader_root]), now=pki.now)
        assert info.value.code == "x509.untrusted_chain"


def test_cache_hit_still_checks_dates(pki) -> None:  # type: ignore[no-untyped-def]
    cache = ChainCache()
    trust = TrustStore.of([pki.iaca])
    first = validate_chain([pki.ds], trust, now=pki.now, cache=cache)
    assert validate_chain([pki.ds], trust, now=pki.now, cache=cache) is first
    with pytest.raises(CertificateValidityError) as info:
        validate_chain([pki.ds], trust, now=pki.not_before + dt.timedelta(days=401), cache=cache)
    assert info.value.code == "x509.expired"
    # A cache entry does not outlive the anchor's removal from the trust store.
    with pytest.raises(ChainError):
        validate_chain([pki.ds], TrustStore.of([pki.reader_root]), now=pki.now, cache=cache)



def test_a_chain_carries_its_leafs_dates(pki) -> None:  # type: ignore[no-untyped-def]
    chain = validate_chain([pki.ds], TrustStore.of([pki.iaca]), now=pki.now)
    assert (chain.leaf_not_before, chain.leaf_not_after) == (pki.ds.not_valid_before_utc, pki.ds.not_valid_after_utc)


def test_a_der_cache_hit_checks_each_date_and_its_anchor(pki) -> None:  # type: ignore[no-untyped-def]
    der, cache, trust = pki.ds.public_bytes(Encoding.DER), ChainCache(), TrustStore.of([pki.iaca])
    first = validate_der_chain([der], trust, now=pki.now, cache=cache)
    assert cache.valid_hit(der, CertificateRole.DOCUMENT_SIGNER, trust, pki.now) is first
    assert cache.valid_hit(der, CertificateRole.READER, trust, pki.now) is None  # another role is another entry
    assert cache.valid_hit(der, CertificateRole.DOCUMENT_SIGNER, TrustStore.of([pki.reader_root]), pki.now) is None
    for when, code in ((pki.not_before - dt.timedelta(seconds=1), "x509.not_yet_valid"),
                       (pki.not_before + dt.timedelta(days=401), "x509.expired")):
        with pytest.raises(CertificateValidityError) as info:
            cache.valid_hit(der, CertificateRole.DOCUMENT_SIGNER, trust, when)
        assert info.value.code == code


def test_an_object_cache_hit_checks_each_date_and_its_anchor(pki) -> None:  # type: ignore[no-untyped-def]
    cache, trust = ChainCache(), TrustStore.of([pki.iaca])
    first = validate_chain([pki.ds], trust, now=pki.now, cache=cache)
    assert cache.valid_hit_for(pki.ds, CertificateRole.DOCUMENT_SIGNER, trust, pki.now) is first
    same = x509.load_der_x509_certificate(pki.ds.public_bytes(Encoding.DER))  # equal, but another object
    assert cache.valid_hit_for(same, CertificateRole.DOCUMENT_SIGNER, trust, pki.now) is None
    assert cache.valid_hit_for(pki.ds, CertificateRole.READER, trust, pki.now) is None
    assert cache.valid_hit_for(pki.ds, CertificateRole.DOCUMENT_SIGNER, TrustStore.of([pki.reader_root]),
                               pki.now) is None
    for when, code in ((pki.not_before - dt.timedelta(seconds=1), "x509.not_yet_valid"),
                       (pki.not_before + dt.timedelta(days=401), "x509.expired")):
        with pytest.raises(CertificateValidityError) as info:
            cache.valid_hit_for(pki.ds, CertificateRole.DOCUMENT_SIGNER, trust, when)
        assert info.value.code == code


def _issued(iaca_signer: SoftwareSigner, iaca: x509.Certificate, name: str, pki) -> x509.Certificate:  # type: ignore[no-untyped-def]
    return create_document_signer(iaca_signer, iaca, SoftwareSigner.generate().public_key(), common_name=name,
                                  not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=300))


def test_cache_serves_only_the_same_certificate_under_the_same_anchor(pki) -> None:  # type: ignore[no-untyped-def]
    """Every way into the chain cache (the certificate object, its fingerprint, its received DER) gives back
    only that certificate's chain, only while its anchor is trusted, and rechecks the dates on each hit."""
    cache, trust = ChainCache(), TrustStore.of([pki.iaca])
    first = validate_chain([pki.ds], trust, now=pki.now, cache=cache)
    assert validate_chain([pki.ds], trust, now=pki.now, cache=cache) is first  # the same object
    copy = x509.load_der_x509_certificate(pki.ds.public_bytes(Encoding.DER))
    assert validate_chain([copy], trust, now=pki.now, cache=cache) is first  # the same certificate
    der = pki.ds.public_bytes(Encoding.DER)
    assert validate_der_chain([der], trust, now=pki.now, cache=cache).leaf == pki.ds
    assert validate_der_chain([der], trust, now=pki.now, cache=cache).leaf == pki.ds  # by DER
    others = [_issued(pki.iaca_signer, pki.iaca, f"other DS {i}", pki) for i in range(3)]
    for other in others:  # a different signer never gets another one's chain
        assert validate_chain([other], trust, now=pki.now, cache=cache).leaf is other
        assert validate_chain([other], trust, now=pki.now, cache=cache).leaf is other
    for when, code in ((pki.not_before - dt.timedelta(days=1), "x509.not_yet_valid"),
                       (pki.not_before + dt.timedelta(days=401), "x509.expired")):
        with pytest.raises(CertificateValidityError) as info:
            validate_chain([pki.ds], trust, now=when, cache=cache)
        assert info.value.code == code
        with pytest.raises(CertificateValidityError) as info:
            validate_der_chain([der], trust, now=when, cache=cache)
        assert info.value.code == code
    for other_trust in (TrustStore.of([pki.reader_root]), TrustStore.of([])):  # the anchor is no longer trusted
        with pytest.raises(ChainError):
            validate_chain([pki.ds], other_trust, now=pki.now, cache=cache)
        with pytest.raises(ChainError):
            validate_der_chain([der], other_trust, now=pki.now, cache=cache)


def test_cache_does_not_pass_a_changed_certificate_or_a_rogue_anchor(pki) -> None:  # type: ignore[no-untyped-def]
    """A DS certificate changed by one byte is a cache miss and fails the full check; a rogue IACA with the same
    name (and its DS) gets nothing from entries made under the real one."""
    cache, trust = ChainCache(), TrustStore.of([pki.iaca])
    der = pki.ds.public_bytes(Encoding.DER)
    validate_der_chain([der], trust, now=pki.now, cache=cache)
    changed = der[:-1] + bytes([der[-1] ^ 1])  # the last byte of its signature
    with pytest.raises(ChainError):
        validate_der_chain([changed], trust, now=pki.now, cache=cache)
    rogue_signer = SoftwareSigner.generate()
    rogue = create_iaca(rogue_signer, country="KR", common_name="mobileid test IACA",
                        organization="Test Licensing Office", not_before=pki.not_before,
                        not_after=pki.not_before + dt.timedelta(days=3650))
    rogue_ds = _issued(rogue_signer, rogue, "mobileid test DS", pki)
    with pytest.raises(ChainError):
        validate_chain([rogue_ds], trust, now=pki.now, cache=cache)
    with pytest.raises(ChainError):  # the real DS under the rogue anchor: its cache entry is not used
        validate_der_chain([der], TrustStore.of([rogue]), now=pki.now, cache=cache)
    with pytest.raises(ChainError):
        validate_chain([pki.ds], TrustStore.of([rogue]), now=pki.now, cache=cache)


def test_anchor_profile_is_checked_until_it_passes(pki) -> None:  # type: ignore[no-untyped-def]
    """The IACA's Annex B profile is remembered only once it passed, for exactly that certificate: an anchor that
    fails fails every time, even after a good anchor with the same name was accepted."""
    bad_signer = SoftwareSigner.generate()
    bad = create_iaca(bad_signer, country="KR", common_name="mobileid test IACA",
                      organization="Test Licensing Office", not_before=pki.not_before,
                      not_after=pki.not_before + dt.timedelta(days=3650), issuer_alt_uri="")
    bad_ds = _issued(bad_signer, bad, "DS under an IACA without issuerAlternativeName", pki)
    validate_chain([pki.ds], TrustStore.of([pki.iaca]), now=pki.now)
    for _ in range(2):
        with pytest.raises(CertificateProfileError) as info:
            validate_chain([bad_ds], TrustStore.of([bad]), now=pki.now)
        assert info.value.code == "x509.profile.issuer_alt_name"


@pytest.mark.parametrize("zone", [dt.UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=14))])
def test_path_builder_time_is_the_instant_not_the_wall_clock(zone: dt.timezone) -> None:
    # The anchor expires an hour before `now`; a `now` outside UTC must reach the path builder as the same
    # instant (a wall-clock time five hours behind would still find the anchor valid).
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    iaca_end = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    signer = SoftwareSigner.generate()
    iaca = create_iaca(signer, country="KR", common_name="mobileid test IACA", not_before=start,
                       not_after=iaca_end)
    ds = create_document_signer(signer, iaca, SoftwareSigner.generate().public_key(), common_name="DS",
                                not_before=start, not_after=start + dt.timedelta(days=300))
    trust = TrustStore.of([iaca])
    assert validate_chain([ds], trust, now=(iaca_end - dt.timedelta(hours=1)).astimezone(zone)).anchor == iaca
    with pytest.raises(CertificateValidityError) as info:
        validate_chain([ds], trust, now=(iaca_end + dt.timedelta(hours=1)).astimezone(zone))
    assert info.value.code == "x509.expired"


def _three_letter_country_root(pki, country: str = "KOR") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:  # type: ignore[no-untyped-def]
    # A reader root whose subject carries a three-letter countryName (RFC 5280 Appendix A: two letters); parsed,
    # cryptography only warns about it, and keeps the name it built, so later reads of it no longer warn.
    key = ec.generate_private_key(ec.SECP256R1())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country, _validate=False),
                          x509.NameAttribute(NameOID.COMMON_NAME, "test reader root")])
    root = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(11).not_valid_before(pki.not_before).not_valid_after(pki.not_before + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _ = root.subject
    return key, root


def _reader_der(key: ec.EllipticCurvePrivateKey, root: x509.Certificate, pki, days: int = 700,  # type: ignore[no-untyped-def]
                issuer: x509.Name | None = None) -> bytes:
    leaf_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    reader = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test reader")]))
        .issuer_name(root.subject if issuer is None else issuer).public_key(leaf_key).serial_number(12)
        .not_valid_before(pki.not_before)
        .not_valid_after(pki.not_before + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(MDL_READER_EKU)]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return reader.public_bytes(Encoding.DER)


def test_lone_leaf_with_malformed_issuer_is_malformed_even_when_it_chains(pki) -> None:  # type: ignore[no-untyped-def]
    # The path builder finds the anchor (same encoded name), yet the leaf's issuer is not a well-formed name:
    # the lone-leaf shortcut must not take the anchor's word for it.
    signer, root = _three_letter_country_root(pki)
    trust = TrustStore.of([root])
    for _ in range(2):  # a failed proof is not remembered as a success
        with pytest.raises(ChainError) as info:
            validate_der_chain([_reader_der(signer, root, pki)], trust, now=pki.now, role=CertificateRole.READER)
        assert info.value.code == "x509.malformed"
    cache = ChainCache()  # nor through a chain cache filled with the same certificate by object
    validate_chain([x509.load_der_x509_certificate(_reader_der(signer, root, pki))], trust, now=pki.now,
                   role=CertificateRole.READER, cache=cache)
    assert not trust.well_formed


def test_lone_leaf_with_malformed_issuer_that_does_not_chain_is_malformed(pki) -> None:  # type: ignore[no-untyped-def]
    signer, root = _three_letter_country_root(pki)
    trust = TrustStore.of([pki.reader_root])
    for action in ("error", "ignore"):  # a warning ignored by the application changes nothing here
        with warnings.catch_warnings(), pytest.raises(ChainError) as info:
            warnings.simplefilter(action, UserWarning)
            validate_der_chain([_reader_der(signer, root, pki)], trust, now=pki.now, role=CertificateRole.READER)
        assert info.value.code == "x509.malformed"
    # ... and malformed comes first, ahead of a date the leaf fails (a complete parse up front said so).
    with pytest.raises(ChainError) as info:
        validate_der_chain([_reader_der(signer, root, pki, days=30)], trust, now=pki.now,
                           role=CertificateRole.READER)
    assert info.value.code == "x509.malformed"


def test_lone_leaf_issuer_is_its_anchors_subject(pki) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore.of([pki.iaca])
    assert not trust.well_formed
    result = validate_der_chain([pki.ds.public_bytes(Encoding.DER)], trust, now=pki.now)
    assert result.leaf.issuer == result.anchor.subject and trust.well_formed == {0}
    # A store made anew over the same anchor object knows it too, once it is used.
    again = TrustStore.of(list(trust.anchors))
    validate_der_chain([pki.ds.public_bytes(Encoding.DER)], again, now=pki.now)
    assert again.well_formed == {0}


def test_anchor_failing_its_profile_fails_in_every_store(pki) -> None:  # type: ignore[no-untyped-def]
    # An IACA valid for 25 years (Annex B: at most 20): nothing remembers a failed profile, whether the store is
    # kept or made anew over the same certificate object.
    signer = SoftwareSigner.generate()
    iaca = create_iaca(signer, country="KR", common_name="long IACA", not_before=pki.not_before,
                       not_after=pki.not_before + dt.timedelta(days=25 * 365))
    ds = _issued(signer, iaca, "DS", pki).public_bytes(Encoding.DER)
    kept = TrustStore.of([iaca])
    for trust in (kept, kept, TrustStore.of([iaca]), TrustStore.of([iaca])):
        with pytest.raises(CertificateProfileError) as info:
            validate_der_chain([ds], trust, now=pki.now)
        assert info.value.code == "x509.profile.validity_too_long"


def test_path_builder_matches_the_issuer_as_encoded(pki) -> None:  # type: ignore[no-untyped-def]
    # validate_der_chain leaves a lone leaf's issuer unread because the path builder only picks an anchor whose
    # subject is the issuer byte for byte; the same name with another string type must find no anchor.
    key, root = _three_letter_country_root(pki, country="KR")  # a well-formed root this time
    same = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "test reader root", _type=_ASN1Type.PrintableString)])
    assert same == root.subject and same.public_bytes() != root.subject.public_bytes()
    trust = TrustStore.of([root])
    validate_der_chain([_reader_der(key, root, pki)], trust, now=pki.now, role=CertificateRole.READER)
    with pytest.raises(ChainError) as info:
        validate_der_chain([_reader_der(key, root, pki, issuer=same)], trust, now=pki.now,
                           role=CertificateRole.READER)
    assert info.value.code == "x509.untrusted_chain"
