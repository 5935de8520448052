"""COSE_Mac0 (specs/cose/mac0.py) against the Annex D deviceMac."""

from __future__ import annotations

import cbor2
import pytest

from specs.cose import CoseMac0
from specs.errors import MacError, StructureError, UnsupportedAlgorithmError


def test_create_verify_round_trip() -> None:
    mac = CoseMac0.create(b"k" * 32, b"payload")
    parsed = CoseMac0.from_cbor(mac.to_cbor())
    parsed.verify(b"k" * 32, detached_payload=b"payload")
    with pytest.raises(MacError) as info:
        parsed.verify(b"j" * 32, detached_payload=b"payload")
    assert info.value.code == "crypto.bad_mac"
    with pytest.raises(MacError):
        parsed.verify(b"k" * 32, detached_payload=b"other")


def test_annex_d_device_mac_parses(iso_vectors) -> None:
    device_auth = cbor2.loads(iso_vectors.hex("device_auth.hex"))
    mac = CoseMac0.from_cbor_value(device_auth["deviceMac"])
    assert mac.payload is None and len(mac.tag) == 32
    assert cbor2.dumps({"deviceMac": mac.to_cbor_value()}) == iso_vectors.hex("device_auth.hex")


def test_wrong_algorithm() -> None:
    mac = CoseMac0.from_cbor_value([cbor2.dumps({1: 6}), {}, None, b"\x00" * 32])
    with pytest.raises(UnsupportedAlgorithmError):
        mac.verify(b"k" * 32, detached_payload=b"p")


def test_malformed() -> None:
    with pytest.raises(StructureError):
        CoseMac0.from_cbor_value([b"", {}, None])
