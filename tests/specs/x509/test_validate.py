"""Path validation: Annex D vectors, our own PKI, dates, foreign anchors and the cache."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from specs.crypto import SoftwareSigner
from specs.errors import CertificateValidityError, ChainError
from specs.x509 import (
    CertificateRole,
    ChainCache,
    TrustStore,
    create_document_signer,
    create_iaca,
    validate_chain,
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
