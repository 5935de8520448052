"""Certificates created through a Signer: real signatures, the Annex B profile, every algorithm."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from specs.crypto import Algorithm, SoftwareSigner
from specs.x509 import (
    CertificateRole,
    TrustStore,
    check_profile,
    create_document_signer,
    create_iaca,
    validate_chain,
)

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.ES384, Algorithm.ES512])
def test_signed_by_the_signer_and_in_profile(alg: Algorithm) -> None:
    iaca_signer = SoftwareSigner.generate(alg)
    iaca = create_iaca(iaca_signer, country="KR", common_name="IACA", not_before=START,
                       not_after=START + dt.timedelta(days=3650))
    ds_key = SoftwareSigner.generate().public_key()
    ds = create_document_signer(iaca_signer, iaca, ds_key, common_name="DS", not_before=START,
                                not_after=START + dt.timedelta(days=365))
    ds.verify_directly_issued_by(iaca)  # the signature the Signer made, checked by OpenSSL
    check_profile(iaca, CertificateRole.IACA)
    check_profile(ds, CertificateRole.DOCUMENT_SIGNER, issuer=iaca)
    validate_chain([ds], TrustStore.of([iaca]), now=START + dt.timedelta(days=10))
    assert ds.serial_number != iaca.serial_number
    assert isinstance(ds.public_key(), ec.EllipticCurvePublicKey)


def test_ed25519_signer() -> None:
    signer = SoftwareSigner.generate(Algorithm.EDDSA)
    iaca = create_iaca(signer, country="KR", common_name="IACA", not_before=START,
                       not_after=START + dt.timedelta(days=365))
    assert isinstance(iaca.public_key(), ed25519.Ed25519PublicKey)
    iaca.verify_directly_issued_by(iaca)


def test_trust_store_lookup(pki) -> None:  # type: ignore[no-untyped-def]
    from cryptography import x509

    trust = TrustStore.of([pki.iaca, pki.reader_root])
    assert trust.find_issuer(pki.ds) == (pki.iaca,)
    ski = pki.iaca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert trust.by_key_id(ski) == pki.iaca
    assert pki.iaca in trust and pki.ds not in trust
