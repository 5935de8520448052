"""Input that is only verified may use non-shortest length heads (RFC 8949 §4.2.1 asks encoders, not decoders,
for the shortest form): @animo-id/mdoc writes a DeviceResponse map head as b9 0003; refusing it breaks interop."""

from __future__ import annotations

from specs.cbor import decode


def test_long_form_heads_decode_to_the_same_values() -> None:
    assert decode(bytes.fromhex("b90001616101")) == decode(bytes.fromhex("a1616101")) == {"a": 1}
    assert decode(bytes.fromhex("9900020102")) == [1, 2]
    assert decode(bytes.fromhex("790002 6162".replace(" ", ""))) == "ab"
    assert decode(bytes.fromhex("1a00000005")) == 5
