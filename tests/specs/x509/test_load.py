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
from specs.x509.load import load_der_certificate

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _certificate(country: str) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the builder warns too; the bytes are what we test
        return _build(country)


def _build(country: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    # _validate=False builds the name cryptography would warn about: a hostile issuer's bytes, not ours.
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country, _validate=False),
                      x509.NameAttribute(NameOID.COMMON_NAME, "DS")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
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


def test_garbage_is_malformed() -> None:
    with pytest.raises(CertificateError) as caught:
        load_der_certificate(b"\x30\x03\x02\x01\x00")
    assert caught.value.code == "x509.malformed"


def test_deprecation_warnings_are_user_warnings() -> None:
    # load_der_certificate turns only UserWarning into an error and counts on this to catch cryptography's
    # deprecation warnings (a non-positive serial number) as well.
    assert issubclass(CryptographyDeprecationWarning, UserWarning)
