"""Annex B profile: the certificates we create and the Annex D ones pass; each rule has a negative case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from specs.errors import CertificateProfileError
from specs.x509 import MDL_DS_EKU, CertificateRole, check_profile

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
IACA_KEY = ec.generate_private_key(ec.SECP256R1())
DS_KEY = ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, country: str | None = "KR") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if country:
        attrs.insert(0, x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    return x509.Name(attrs)


def _ku(sign: bool, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(sign, False, False, False, False, cert_sign, cert_sign, False, False)


Edit = Callable[[x509.CertificateBuilder], x509.CertificateBuilder]


def ds_cert(*, subject: x509.Name | None = None, days: int = 365, ku: x509.KeyUsage | None = None,
            eku: list[ObjectIdentifier] | None = None, eku_critical: bool = True, ski: bool = True,
            aki: bool = True, ian: bool = True, bc: x509.BasicConstraints | None = None,
            serial: int = 12345) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder().subject_name(subject or _name("ds")).issuer_name(_name("iaca"))
        .public_key(DS_KEY.public_key()).serial_number(serial).not_valid_before(START)
        .not_valid_after(START + dt.timedelta(days=days))
        .add_extension(ku or _ku(True, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(eku or [ObjectIdentifier(MDL_DS_EKU)]), critical=eku_critical)
    )
    if ski:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(DS_KEY.public_key()), False)
    if aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(IACA_KEY.public_key()), False)
    if ian:
        builder = builder.add_extension(
            x509.IssuerAlternativeName([x509.UniformResourceIdentifier("https://a.example")]), False)
    if bc:
        builder = builder.add_extension(bc, critical=True)
    return builder.sign(IACA_KEY, hashes.SHA256())


def iaca_cert(*, path_length: int | None = 0, ku: x509.KeyUsage | None = None, years: int = 10,
              eku: bool = False, hash_alg: hashes.HashAlgorithm | None = None) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder().subject_name(_name("iaca")).issuer_name(_name("iaca"))
        .public_key(IACA_KEY.public_key()).serial_number(99).not_valid_before(START)
        .not_valid_after(START + dt.timedelta(days=365 * years))
        .add_extension(ku or _ku(False, True), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(IACA_KEY.public_key()), False)
        .add_extension(x509.IssuerAlternativeName([x509.UniformResourceIdentifier("https://a.example")]),
                       False)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
    return builder.sign(IACA_KEY, hash_alg or hashes.SHA256())


def test_well_formed_pass(pki, iso_vectors) -> None:  # type: ignore[no-untyped-def]
    check_profile(ds_cert(), CertificateRole.DOCUMENT_SIGNER, issuer=iaca_cert())
    check_profile(iaca_cert(), CertificateRole.IACA)
    check_profile(pki.iaca, CertificateRole.IACA)
    check_profile(pki.ds, CertificateRole.DOCUMENT_SIGNER, issuer=pki.iaca)
    check_profile(pki.reader_root, CertificateRole.READER_ROOT)
    check_profile(pki.reader, CertificateRole.READER)
    for name, role in [("iaca_root_cert.pem", CertificateRole.IACA),
                       ("ds_cert.pem", CertificateRole.DOCUMENT_SIGNER),
                       ("reader_root_cert.pem", CertificateRole.READER_ROOT),
                       ("reader_cert.pem", CertificateRole.READER)]:
        check_profile(x509.load_pem_x509_certificate(iso_vectors.bytes(name)), role)


CASES: list[tuple[str, Callable[[], x509.Certificate], CertificateRole, str]] = [
    ("ds validity", lambda: ds_cert(days=458), CertificateRole.DOCUMENT_SIGNER, "validity_too_long"),
    ("iaca validity", lambda: iaca_cert(years=21), CertificateRole.IACA, "validity_too_long"),
    ("ds key usage", lambda: ds_cert(ku=_ku(True, True)), CertificateRole.DOCUMENT_SIGNER, "key_usage"),
    ("iaca key usage", lambda: iaca_cert(ku=_ku(True, True)), CertificateRole.IACA, "key_usage"),
    ("ds eku", lambda: ds_cert(eku=[ExtendedKeyUsageOID.CLIENT_AUTH]), CertificateRole.DOCUMENT_SIGNER,
     "extended_key_usage"),
    ("ds eku not critical", lambda: ds_cert(eku_critical=False), CertificateRole.DOCUMENT_SIGNER,
     "extended_key_usage"),
    ("iaca with eku", lambda: iaca_cert(eku=True), CertificateRole.IACA, "extended_key_usage"),
    ("iaca path length", lambda: iaca_cert(path_length=None), CertificateRole.IACA, "basic_constraints"),
    ("ds is a CA", lambda: ds_cert(bc=x509.BasicConstraints(ca=True, path_length=None)),
     CertificateRole.DOCUMENT_SIGNER, "basic_constraints"),
    ("ds without country", lambda: ds_cert(subject=_name("ds", None)), CertificateRole.DOCUMENT_SIGNER,
     "missing_country"),
    ("ds without ski", lambda: ds_cert(ski=False), CertificateRole.DOCUMENT_SIGNER, "key_identifier"),
    ("ds without aki", lambda: ds_cert(aki=False), CertificateRole.DOCUMENT_SIGNER, "key_identifier"),
    ("ds without ian", lambda: ds_cert(ian=False), CertificateRole.DOCUMENT_SIGNER, "issuer_alt_name"),
    ("iaca sha224", lambda: iaca_cert(hash_alg=hashes.SHA224()), CertificateRole.IACA, "signature_algorithm"),
]


@pytest.mark.parametrize(("label", "make", "role", "rule"), CASES, ids=[c[0] for c in CASES])
def test_each_rule(label: str, make: Callable[[], x509.Certificate], role: CertificateRole,
                   rule: str) -> None:
    with pytest.raises(CertificateProfileError) as info:
        check_profile(make(), role, issuer=iaca_cert())
    assert info.value.code == f"x509.profile.{rule}"


def test_country_mismatch() -> None:
    with pytest.raises(CertificateProfileError) as info:
        check_profile(ds_cert(subject=_name("ds", "US")), CertificateRole.DOCUMENT_SIGNER, issuer=iaca_cert())
    assert info.value.code == "x509.profile.country_mismatch"


def _slow(cert: x509.Certificate, role: CertificateRole, issuer: x509.Certificate | None) -> None:
    """check_profile with its one-pass common case switched off: the rules one by one."""
    from specs.x509 import profile

    saved = profile._conforms
    profile._conforms = lambda *_: False  # type: ignore[assignment]
    try:
        check_profile(cert, role, issuer=issuer)
    finally:
        profile._conforms = saved


def test_the_one_pass_check_accepts_what_the_rules_accept(pki, iso_vectors) -> None:  # type: ignore[no-untyped-def]
    from specs.x509.profile import _conforms

    cases = [(ds_cert(), CertificateRole.DOCUMENT_SIGNER, iaca_cert()), (iaca_cert(), CertificateRole.IACA, None),
             (pki.iaca, CertificateRole.IACA, None), (pki.ds, CertificateRole.DOCUMENT_SIGNER, pki.iaca),
             (pki.ds, CertificateRole.DOCUMENT_SIGNER, None), (pki.reader_root, CertificateRole.READER_ROOT, None),
             (pki.reader, CertificateRole.READER, None)]
    for name, role in [("iaca_root_cert.pem", CertificateRole.IACA),
                       ("ds_cert.pem", CertificateRole.DOCUMENT_SIGNER),
                       ("reader_root_cert.pem", CertificateRole.READER_ROOT),
                       ("reader_cert.pem", CertificateRole.READER)]:
        cases.append((x509.load_pem_x509_certificate(iso_vectors.bytes(name)), role, None))
    for cert, role, issuer in cases:
        assert _conforms(cert, role, issuer), role  # the common case takes the one pass
        _slow(cert, role, issuer)  # and the rules agree


@pytest.mark.parametrize(("label", "make", "role", "rule"), CASES, ids=[c[0] for c in CASES])
def test_the_one_pass_check_never_accepts_a_violation(label: str, make: Callable[[], x509.Certificate],
                                                      role: CertificateRole, rule: str) -> None:
    from specs.x509.profile import _conforms

    cert, issuer = make(), iaca_cert()
    assert not _conforms(cert, role, issuer)
    with pytest.raises(CertificateProfileError) as info:
        _slow(cert, role, issuer)
    assert info.value.code == f"x509.profile.{rule}"


def test_the_one_pass_check_refuses_other_roles_keys_and_countries() -> None:
    from specs.x509.profile import _conforms

    ds, iaca = ds_cert(), iaca_cert()
    assert not _conforms(ds_cert(subject=_name("ds", "US")), CertificateRole.DOCUMENT_SIGNER, iaca)
    assert not _conforms(ds_cert(subject=_name("ds", None)), CertificateRole.DOCUMENT_SIGNER, None)
    assert not _conforms(ds, CertificateRole.IACA, None)  # a leaf is no CA
    assert not _conforms(ds, CertificateRole.READER, None)  # the reader usage is missing
    assert not _conforms(iaca, CertificateRole.DOCUMENT_SIGNER, iaca)
    largest = ds_cert(serial=(1 << 159) - 1)  # the largest serial a builder makes
    assert _conforms(largest, CertificateRole.DOCUMENT_SIGNER, iaca)


def test_an_ed25519_certificate_takes_the_rules_one_by_one() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from specs.x509.profile import _conforms

    key = ed25519.Ed25519PrivateKey.generate()
    cert = (x509.CertificateBuilder().subject_name(_name("iaca")).issuer_name(_name("iaca"))
            .public_key(key.public_key()).serial_number(7).not_valid_before(START)
            .not_valid_after(START + dt.timedelta(days=365))
            .add_extension(_ku(False, True), critical=True)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.IssuerAlternativeName([x509.UniformResourceIdentifier("https://a.example")]), False)
            .sign(key, None))
    assert not _conforms(cert, CertificateRole.IACA, None)  # not the common case (an EC key)
    check_profile(cert, CertificateRole.IACA)  # which the rules accept


def test_roles_hash_by_identity() -> None:
    assert {CertificateRole.IACA: 1}[CertificateRole.IACA] == 1
    assert len({role: role for role in CertificateRole}) == len(CertificateRole)
    assert hash(CertificateRole.DOCUMENT_SIGNER) == object.__hash__(CertificateRole.DOCUMENT_SIGNER)
