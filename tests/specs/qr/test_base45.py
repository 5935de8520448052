"""RFC 9285 §4.3 examples, round trips and every rejection rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.qr.base45 import Base45Error, b45decode, b45encode

# RFC 9285 §4.3 (encoding examples) and §4.4 (decoding example).
RFC_EXAMPLES = [
    (b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0"),
]


@pytest.mark.parametrize(("raw", "text"), RFC_EXAMPLES)
def test_rfc_examples(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@given(st.binary(max_size=600))
def test_round_trip(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


@pytest.mark.parametrize("text", ["A", "AAAA", "abc", "GGW", "::", "BB8;"])
def test_rejects(text: str) -> None:
    with pytest.raises(Base45Error) as info:
        b45decode(text)
    assert info.value.code == "qr.base45_invalid"


def _rfc_decode(text: str) -> bytes:
    """RFC 9285 §4.2 step by step, one triplet at a time (the arithmetic b45decode does for all at once)."""
    from specs.qr.base45 import ALPHABET

    if len(text) % 3 == 1 or any(c not in ALPHABET for c in text):
        raise Base45Error("invalid")
    out = bytearray()
    for i in range(0, len(text) - 2, 3):
        n = sum(ALPHABET.index(c) * 45 ** k for k, c in enumerate(text[i:i + 3]))
        if n > 0xFFFF:
            raise Base45Error("invalid")
        out += n.to_bytes(2, "big")
    if len(text) % 3 == 2:
        n = ALPHABET.index(text[-2]) + 45 * ALPHABET.index(text[-1])
        if n > 0xFF:
            raise Base45Error("invalid")
        out.append(n)
    return bytes(out)


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=1500))
def test_decode_matches_rfc_arithmetic(text: str) -> None:
    """Any text of the alphabet, including triplets above 0xFFFF anywhere in a long message."""
    try:
        expected: bytes | None = _rfc_decode(text)
    except Base45Error:
        expected = None
    if expected is None:
        with pytest.raises(Base45Error):
            b45decode(text)
    else:
        assert b45decode(text) == expected


@pytest.mark.parametrize("position", [0, 1, 150, 299])
def test_one_overflowing_triplet_in_a_long_text(position: int) -> None:
    text = ["000"] * 300
    text[position] = ":::"  # 44 + 44*45 + 44*2025 = 91124 > 0xFFFF
    with pytest.raises(Base45Error):
        b45decode("".join(text))
    assert b45decode("".join(["FGW"] * 300)) == b"\xff\xff" * 300  # 0xFFFF itself is fine
