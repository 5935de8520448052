"""Strict CBOR decoding (specs/cbor/codec.py): limits, tags, duplicates, tag-24 bytes kept."""

from __future__ import annotations

import datetime as dt

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.cbor import MDOC_TAGS, EncodedCBOR, decode, encode
from specs.errors import (
    CborDepthError,
    CborDuplicateKeyError,
    CborError,
    CborSizeError,
    CborTagError,
    CborTrailingBytesError,
    StructureError,
)


def test_annex_d_device_response_round_trips_byte_exact(iso_vectors) -> None:
    data = iso_vectors.hex("device_response.hex")
    assert encode(decode(data)) == data


def test_tag24_keeps_received_bytes_even_when_not_canonical() -> None:
    # 0x1801 is the integer 1 in a non-shortest form: a re-encoding would give 0x01.
    received = b"\x18\x01"
    item = decode(cbor2.dumps(cbor2.CBORTag(24, received)))
    assert isinstance(item, EncodedCBOR)
    assert item.data == received
    assert item.tagged_bytes() == b"\xd8\x18\x42\x18\x01"
    assert encode(item) == item.tagged_bytes()


def test_dates() -> None:
    value = decode(bytes.fromhex("c074323032302d31302d30315431333a33303a30325a"))
    assert value == dt.datetime(2020, 10, 1, 13, 30, 2, tzinfo=dt.UTC)
    assert decode(bytes.fromhex("d903ec6a323032302d31302d3031")) == dt.date(2020, 10, 1)
    assert encode(value) == bytes.fromhex("c074323032302d31302d30315431333a33303a30325a")


@pytest.mark.parametrize(
    ("hex_input", "error", "code"),
    [
        ("0102", CborTrailingBytesError, "cbor.trailing_bytes"),
        ("a2616101616102", CborDuplicateKeyError, "cbor.duplicate_key"),
        ("d81c81d81d00", CborTagError, "cbor.tag_not_allowed"),  # shared references
        ("c24101", CborTagError, "cbor.tag_not_allowed"),  # bignum
        ("d9ffff01", CborTagError, "cbor.tag_not_allowed"),  # unknown tag
        ("5f4101ff", CborError, "cbor.malformed"),  # indefinite length
        ("9bffffffffffffffff00", CborError, "cbor.malformed"),  # length bomb, no content
        ("5bffffffffffffffff00", CborError, "cbor.malformed"),
        ("", CborError, "cbor.malformed"),
        ("c0781b323032302d31302d30315431333a33303a30322e3030303030355a", StructureError,
         "structure.invalid"),  # tdate with fractions
        ("d8184101" + "", None, None),
    ],
)
def test_rejections(hex_input: str, error: type[Exception] | None, code: str | None) -> None:
    data = bytes.fromhex(hex_input)
    if error is None:
        assert decode(data) == EncodedCBOR(b"\x01")
        return
    with pytest.raises(error) as info:
        decode(data)
    assert info.value.code == code  # type: ignore[attr-defined]


def test_depth_limit() -> None:
    nested = b"\x81" * 30 + b"\x00"
    with pytest.raises(CborDepthError):
        decode(nested)
    assert decode(nested, max_depth=40) is not None


def test_size_limit() -> None:
    with pytest.raises(CborSizeError) as info:
        decode(b"\x40" * 11, max_size=10)
    assert info.value.code == "cbor.too_large"


def test_tag24_refused_where_not_allowed() -> None:
    with pytest.raises(CborTagError):
        decode(bytes.fromhex("d8184101"), allowed_tags=())


def test_other_allowed_tags_come_back_as_cbortag() -> None:
    value = decode(bytes.fromhex("d28101"), allowed_tags=MDOC_TAGS | {18})
    assert isinstance(value, cbor2.CBORTag) and value.tag == 18


_scalars = (st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text(max_size=20)
            | st.binary(max_size=20) | st.booleans() | st.none())
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8) | st.integers(-100, 100), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(_values)
def test_round_trip(value: object) -> None:
    assert decode(encode(value)) == value


@settings(max_examples=500)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_raise_only_typed_errors(data: bytes) -> None:
    try:
        decode(data)
    except (CborError, StructureError):
        pass


def test_decode_each_requires_every_item_to_fill_its_bytes() -> None:
    import cbor2

    from specs.cbor.codec import decode_each

    a, b = cbor2.dumps({"a": 1}), cbor2.dumps([1, 2])
    assert decode_each([a, b]) == [{"a": 1}, [1, 2]]
    for chunks in ([a + b[:1], b[1:]], [a[:-1], a[-1:] + b], [a + b, b], [a, b""]):
        with pytest.raises(CborError):
            decode_each(chunks)
    with pytest.raises(CborDuplicateKeyError):
        decode_each([a, b"\xa2\x01\x01\x01\x02"])


def test_tags_decode_alike_in_every_context() -> None:
    """Tag 24 and the date tags give the same values as map keys, inside arrays and inside another tag's
    (immutable) content; a tag refused at the top is refused there too."""
    data = cbor2.dumps({cbor2.CBORTag(24, b"\x01"): [cbor2.CBORTag(1004, "2020-10-01")]})
    assert decode(data) == {EncodedCBOR(b"\x01"): [dt.date(2020, 10, 1)]}
    inner = [cbor2.CBORTag(24, b"\x02"), {1: cbor2.CBORTag(0, "2020-10-01T13:30:02Z")}]
    value = decode(cbor2.dumps(cbor2.CBORTag(18, inner)), allowed_tags=(18, 24, 0))
    assert isinstance(value, cbor2.CBORTag) and value.tag == 18 and isinstance(value.value, tuple)
    assert value.value[0] == EncodedCBOR(b"\x02")
    assert value.value[1][1] == dt.datetime(2020, 10, 1, 13, 30, 2, tzinfo=dt.UTC)
    for allowed in ((18, 0), (18, 24)):
        with pytest.raises((CborTagError, StructureError)):
            decode(cbor2.dumps(cbor2.CBORTag(18, inner)), allowed_tags=allowed)
    with pytest.raises(StructureError):  # tag 24 around something other than a byte string
        decode(cbor2.dumps([cbor2.CBORTag(24, 1)]))
