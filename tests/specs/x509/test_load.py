"""specs/x509/load.py: every defect cryptography reports lazily becomes one CertificateError."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from specs.errors import CertificateError
from specs.x509.load import load_der_certificate, read_issuer

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _certificate(country: str, issuer_country: str | None = None) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the builder warns too; the bytes are what we test
        return _build(country, country if issuer_country is None else issuer_country)


def _name(country: str) -> x509.Name:
    # _validate=False builds the name cryptography would warn about: a hostile issuer's bytes, not ours.
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country, _validate=False),
                      x509.NameAttribute(NameOID.COMMON_NAME, "DS")])


def _build(country: str, issuer_country: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(country)).issuer_name(_name(issuer_country))
            .public_key(key.public_key())
            .serial_number(7).not_valid_before(START).not_valid_after(START + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_well_formed_certificate_loads() -> None:
    assert load_der_certificate(_certificate("KR")).serial_number == 7


def test_country_name_of_wrong_length_is_malformed() -> None:
    # Found by the trust_bundle fuzz target: cryptography only warns (UserWarning) on reading the subject.
    with pytest.raises(CertificateError) as caught:
        load_der_certificate(_certificate("X" * 25))
    assert caught.value.code == "x509.malformed"


def test_issuer_left_unread_is_read_as_strictly_later() -> None:
    der = _certificate("KR", issuer_country="KOR")
    with pytest.raises(CertificateError):
        load_der_certificate(der)
    cert = load_der_certificate(der, issuer=False)  # the caller takes over the issuer name
    for _ in range(2):  # a failed read leaves nothing behind for the next one to accept
        with pytest.raises(CertificateError) as caught:
            read_issuer(cert)
        assert caught.value.code == "x509.malformed"
    assert read_issuer(load_der_certificate(_certificate("KR"), issuer=False)).rfc4514_string() == "CN=DS,C=KR"


def test_garbage_is_malformed() -> None:
    with pytest.raises(CertificateError) as caught:
        load_der_certificate(b"\x30\x03\x02\x01\x00")
    assert caught.value.code == "x509.malformed"


def test_deprecation_warnings_are_user_warnings() -> None:
    # load_der_certificate turns only UserWarning into an error and counts on this to catch cryptography's
    # deprecation warnings (a non-positive serial number) as well.
    assert issubclass(CryptographyDeprecationWarning, UserWarning)


def _warn(category: type[Warning]) -> str:
    warnings.warn("a warning", category, stacklevel=1)
    return "read"


@pytest.mark.parametrize("plain", [True, False])
def test_reads_run_with_user_warnings_as_errors_and_the_filters_restored(plain: bool,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """_strictly (the filter set for the call, or catch_warnings where the filters live elsewhere): a UserWarning
    raised inside is an error, other warnings follow the caller's filters, and the caller's filters are back after,
    the very list, whether the read failed or not."""
    from specs.x509 import load

    monkeypatch.setattr(load, "_PLAIN_FILTERS", plain)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        before = warnings.filters
        for category in (UserWarning, CryptographyDeprecationWarning):
            with pytest.raises(category):
                load._strictly(lambda c=category: _warn(c))
            assert warnings.filters is before
        assert load._strictly(lambda: _warn(DeprecationWarning)) == "read"  # not a UserWarning: the caller's filter
        assert warnings.filters is before
        _warn(UserWarning)  # after: the caller's "always" again, no decision kept from inside
        assert [w.category for w in seen] == [DeprecationWarning, UserWarning]
    with pytest.raises(CertificateError):
        load_der_certificate(_certificate("X" * 25))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a caller ignoring every warning: the certificate is still malformed
        with pytest.raises(CertificateError):
            load_der_certificate(_certificate("X" * 25))
        assert load_der_certificate(_certificate("KR")).serial_number == 7
