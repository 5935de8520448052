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
