"""Signature algorithms and the Signer protocol (specs/crypto)."""

from __future__ import annotations

import pytest

from specs.crypto import (
    Algorithm,
    Signer,
    SoftwareSigner,
    algorithm_for_key,
    verify_signature,
)
from specs.errors import SignatureError, UnsupportedAlgorithmError


@pytest.mark.parametrize("alg", list(Algorithm))
def test_sign_and_verify(alg: Algorithm) -> None:
    signer = SoftwareSigner.generate(alg)
    assert isinstance(signer, Signer)
    assert algorithm_for_key(signer.public_key()) is alg
    sig = signer.sign(b"data")
    assert len(sig) == 2 * alg.coordinate_size if alg is not Algorithm.EDDSA else len(sig) == 64
    verify_signature(alg, signer.public_key(), sig, b"data")
    with pytest.raises(SignatureError):
        verify_signature(alg, signer.public_key(), sig, b"other")


def test_wrong_length_signature() -> None:
    signer = SoftwareSigner.generate()
    with pytest.raises(SignatureError):
        verify_signature(Algorithm.ES256, signer.public_key(), signer.sign(b"d") + b"\x00", b"d")


def test_zero_signature_rejected() -> None:
    signer = SoftwareSigner.generate()
    with pytest.raises(SignatureError):
        verify_signature(Algorithm.ES256, signer.public_key(), bytes(64), b"d")


def test_lookup_by_name() -> None:
    assert Algorithm.from_jose("ES384") is Algorithm.ES384
    assert Algorithm.from_cose(-8) is Algorithm.EDDSA
    for bad in ("none", "HS256", "RS256", "es256"):
        with pytest.raises(UnsupportedAlgorithmError):
            Algorithm.from_jose(bad)
    with pytest.raises(UnsupportedAlgorithmError):
        Algorithm.from_cose(5)
    with pytest.raises(UnsupportedAlgorithmError):
        Algorithm.from_cose(True)


def test_key_of_other_curve_rejected() -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        verify_signature(Algorithm.ES256, SoftwareSigner.generate(Algorithm.EDDSA).public_key(),
                         bytes(64), b"d")


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.sampled_from([Algorithm.ES256, Algorithm.ES384, Algorithm.ES512]), st.data())
def test_raw_to_der_matches_cryptography(alg: Algorithm, data: st.DataObject) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from specs.crypto import raw_to_der_signature

    n = alg.coordinate_size
    raw = data.draw(st.binary(min_size=2 * n, max_size=2 * n))
    expected = encode_dss_signature(int.from_bytes(raw[:n], "big"), int.from_bytes(raw[n:], "big"))
    assert raw_to_der_signature(raw, alg) == expected


def test_verify_signature_takes_the_der_form_given() -> None:
    """``der=`` (made by a C part) is what is verified; the wire form's length is still checked."""
    from specs.crypto import raw_to_der_signature

    signer = SoftwareSigner.generate(Algorithm.ES256)
    data, other = b"signed bytes", b"other bytes"
    raw, raw_other = signer.sign(data), signer.sign(other)
    key = signer.public_key()
    verify_signature(Algorithm.ES256, key, raw, data, der=raw_to_der_signature(raw, Algorithm.ES256))
    with pytest.raises(SignatureError):  # the DER form given is the one checked, not a conversion of ``raw``
        verify_signature(Algorithm.ES256, key, raw, data, der=raw_to_der_signature(raw_other, Algorithm.ES256))
    with pytest.raises(SignatureError, match="must be 64 bytes"):
        verify_signature(Algorithm.ES256, key, raw[:-1], data, der=raw_to_der_signature(raw, Algorithm.ES256))
