"""COSE_Key (specs/cose/key.py)."""

from __future__ import annotations

import pytest

from specs.cbor import EncodedCBOR, decode
from specs.cose import CoseKey
from specs.crypto import Algorithm, SoftwareSigner
from specs.errors import InvalidKeyError, StructureError


def test_annex_d_ephemeral_device_key(iso_vectors) -> None:
    wrapped = decode(iso_vectors.hex("e_device_key_bytes.hex"))
    assert isinstance(wrapped, EncodedCBOR)
    key = CoseKey.from_cbor(wrapped.data)
    keys = iso_vectors.json("keys.json")
    device = next(v for k, v in keys.items() if "ephemeral_device" in k.lower() or "edevice" in k.lower())
    assert key.x.hex() == device["x"].lower() or key.x == bytes.fromhex(device["x"])
    assert key.to_cbor() == wrapped.data
    key.public_key()


@pytest.mark.parametrize("alg", list(Algorithm))
def test_round_trip(alg: Algorithm) -> None:
    signer = SoftwareSigner.generate(alg)
    key = CoseKey.from_public_key(signer.public_key(), kid=b"k1")
    again = CoseKey.from_cbor(key.to_cbor())
    assert again == key
    assert again.public_key() == signer.public_key()


def test_point_not_on_curve() -> None:
    key = CoseKey.from_public_key(SoftwareSigner.generate().public_key())
    bad = {1: 2, -1: 1, -2: key.x, -3: bytes(32)}
    with pytest.raises(InvalidKeyError):
        CoseKey.from_cbor_value(bad).public_key()


@pytest.mark.parametrize("value", [
    {1: 3, -1: 1, -2: b"x" * 32, -3: b"y" * 32},  # RSA kty
    {1: 2, -1: 9, -2: b"x" * 32, -3: b"y" * 32},  # unknown curve
    {1: 2, -1: 1, -2: b"x" * 31, -3: b"y" * 32},  # short coordinate
    {1: 2, -1: 1, -2: b"x" * 32, -3: True},  # compressed point
    {1: 1, -1: 6, -2: b"x" * 31},  # short Ed25519
    {1: 2, -1: "P-256", -2: b"x" * 32, -3: b"y" * 32},
])
def test_rejected_keys(value: dict[int, object]) -> None:
    with pytest.raises(InvalidKeyError) as info:
        CoseKey.from_cbor_value(value)
    assert info.value.code == "crypto.invalid_key"


def test_not_a_map() -> None:
    with pytest.raises(StructureError):
        CoseKey.from_cbor_value([1, 2])


def test_private_part_must_match() -> None:
    a, b = SoftwareSigner.generate(), SoftwareSigner.generate()
    pub = CoseKey.from_public_key(a.public_key())
    d = b.private_key.private_numbers().private_value.to_bytes(32, "big")  # type: ignore[union-attr]
    with pytest.raises(InvalidKeyError):
        CoseKey(pub.kty, pub.crv, pub.x, pub.y, d).private_key()
