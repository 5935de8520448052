"""COSE_Sign1 (specs/cose/sign1.py) against the ISO/IEC 18013-5 Annex D issuerAuth and readerAuth."""

from __future__ import annotations

import cbor2
import pytest
from cryptography import x509

from specs.cose import CoseSign1, HeaderLabel
from specs.crypto import Algorithm, SoftwareSigner
from specs.errors import (
    SignatureError,
    StructureError,
    UnsupportedAlgorithmError,
)


def _ds_key(iso_vectors):
    return x509.load_pem_x509_certificate(iso_vectors.bytes("ds_cert.pem")).public_key()


def test_annex_d_issuer_auth_verifies_and_round_trips(iso_vectors) -> None:
    data = iso_vectors.hex("issuer_auth.hex")
    sign1 = CoseSign1.from_cbor(data)
    assert sign1.algorithm is Algorithm.ES256
    assert sign1.x5chain == (iso_vectors.hex("ds_cert.der.hex"),)
    sign1.verify(_ds_key(iso_vectors))
    assert sign1.to_cbor() == data


def test_annex_d_reader_auth_detached(iso_vectors) -> None:
    sign1 = CoseSign1.from_cbor(iso_vectors.hex("reader_auth.hex"))
    assert sign1.payload is None
    key = x509.load_pem_x509_certificate(iso_vectors.bytes("reader_cert.pem")).public_key()
    sign1.verify(key, detached_payload=iso_vectors.hex("reader_authentication_bytes.hex"))
    with pytest.raises(SignatureError):
        sign1.verify(key, detached_payload=iso_vectors.hex("device_authentication_bytes.hex"))
    with pytest.raises(StructureError):
        sign1.verify(key)  # detached payload not supplied


def test_tampered_payload_rejected(iso_vectors) -> None:
    value = cbor2.loads(iso_vectors.hex("issuer_auth.hex"))
    payload = bytearray(value[2])
    payload[-1] ^= 1
    value[2] = bytes(payload)
    with pytest.raises(SignatureError) as info:
        CoseSign1.from_cbor_value(value).verify(_ds_key(iso_vectors))
    assert info.value.code == "crypto.bad_signature"


def test_algorithm_only_from_protected_header(iso_vectors) -> None:
    value = cbor2.loads(iso_vectors.hex("issuer_auth.hex"))
    value[1][HeaderLabel.ALG] = -7
    with pytest.raises(UnsupportedAlgorithmError) as info:
        CoseSign1.from_cbor_value(value)
    assert info.value.code == "crypto.alg_not_protected"


def test_missing_algorithm_rejected() -> None:
    sign1 = CoseSign1.from_cbor_value([b"", {}, b"x", b"\x00" * 64])
    with pytest.raises(StructureError):
        _ = sign1.algorithm


def test_unknown_algorithm_rejected() -> None:
    sign1 = CoseSign1.from_cbor_value([cbor2.dumps({1: -257}), {}, b"x", b"\x00" * 64])
    with pytest.raises(UnsupportedAlgorithmError):
        _ = sign1.algorithm


def test_algorithm_must_match_key_curve() -> None:
    p384 = SoftwareSigner.generate(Algorithm.ES384)
    p256 = SoftwareSigner.generate(Algorithm.ES256)
    sign1 = CoseSign1.sign(p384, b"payload")
    with pytest.raises(UnsupportedAlgorithmError):
        sign1.verify(p256.public_key())


@pytest.mark.parametrize("value", [
    [b"", {}, b"x"],  # three elements
    [b"", [], b"x", b""],  # unprotected not a map
    ["", {}, b"x", b""],  # protected not a bstr
    [b"", {}, "x", b""],  # payload not a bstr
    [b"", {}, b"x", "sig"],  # signature not a bstr
    [cbor2.dumps([1]), {}, b"x", b""],  # protected not a map
    [cbor2.dumps({1: -7, 4: b"k"}), {4: b"k"}, b"x", b""],  # header in both buckets
    [cbor2.dumps({1: -7, 2: [99]}), {}, b"x", b""],  # crit names an unknown header
    [cbor2.dumps({1: -7}), {2: [1]}, b"x", b""],  # crit unprotected
    [cbor2.dumps({1: -7}), {33: "pem"}, b"x", b""],  # x5chain of the wrong type
])
def test_malformed_structures(value: list[object]) -> None:
    with pytest.raises((StructureError, UnsupportedAlgorithmError)):
        CoseSign1.from_cbor_value(value).x5chain  # noqa: B018


def test_wrong_tag_rejected() -> None:
    with pytest.raises(StructureError):
        CoseSign1.from_cbor_value(cbor2.CBORTag(17, [b"", {}, b"", b""]))


@pytest.mark.parametrize("alg", list(Algorithm))
def test_sign_verify_every_algorithm_and_two_step(alg: Algorithm) -> None:
    signer = SoftwareSigner.generate(alg)
    unsigned = CoseSign1.prepare(b"mso", algorithm=alg, x5chain=[b"c1", b"c2"], detached=True)
    sign1 = unsigned.complete(signer.sign(unsigned.to_be_signed()))
    parsed = CoseSign1.from_cbor(sign1.to_cbor(tagged=True))
    assert parsed.x5chain == (b"c1", b"c2") and parsed.payload is None
    parsed.verify(signer.public_key(), detached_payload=b"mso")
    with pytest.raises(SignatureError):
        parsed.verify(signer.public_key(), detached_payload=b"mso", external_aad=b"other")
