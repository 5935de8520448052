"""IssuerSignedItem: digest over the received bytes, strict decoding, Hypothesis round trips."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.cbor import EncodedCBOR, decode, encode
from specs.errors import StructureError
from specs.mdoc.items import IssuerSignedItem

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=40) | st.binary(max_size=64)
    | st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@given(st.integers(0, 2**32), st.binary(min_size=16, max_size=32), st.text(min_size=1, max_size=30), values)
def test_round_trip_keeps_bytes_and_digest(digest_id: int, random: bytes, name: str, value: object) -> None:
    item = IssuerSignedItem.create(digest_id, random, name, value)
    again = IssuerSignedItem.from_cbor_value(decode(encode(item.encoded)))
    assert again.encoded.data == item.encoded.data
    assert again.digest() == item.digest() and again.digest("SHA-512") == item.digest("SHA-512")
    assert (again.digest_id, again.random, again.element_identifier) == (digest_id, random, name)


@pytest.mark.parametrize("content", [
    {"digestID": 1, "random": b"x" * 15, "elementIdentifier": "a", "elementValue": 1},
    {"digestID": -1, "random": b"x" * 16, "elementIdentifier": "a", "elementValue": 1},
    {"digestID": 1, "random": b"x" * 16, "elementIdentifier": 5, "elementValue": 1},
    {"digestID": 1, "random": b"x" * 16, "elementIdentifier": "a"},
    {"digestID": 1, "random": b"x" * 16, "elementIdentifier": "a", "elementValue": 1, "extra": 2},
    [1, 2, 3],
])
def test_rejects_malformed_items(content: object) -> None:
    with pytest.raises(StructureError):
        IssuerSignedItem.from_cbor_value(EncodedCBOR.wrap(content))
    with pytest.raises(StructureError):
        IssuerSignedItem.from_cbor_value(content)
