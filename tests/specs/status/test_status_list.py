"""Status lists: every index of every draft vector, round trips, and each rejection with its code."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.cbor import decode
from specs.errors import StatusListError
from specs.jose import b64url_encode, parse_json
from specs.status import StatusList

VECTORS = ["1bit_16", "2bit_12", "1bit_long", "2bit_long", "4bit_long", "8bit_long"]


@pytest.mark.parametrize("name", VECTORS)
def test_draft_vectors_every_index(status_vectors, name: str) -> None:  # type: ignore[no-untyped-def]
    expected = status_vectors.json("expected_values.json")[name]
    from_json = StatusList.from_json_value(parse_json(status_vectors.bytes(f"status_list_{name}.json")))
    from_cbor = StatusList.from_cbor_value(decode(status_vectors.hex(f"status_list_{name}.cbor.hex")))
    assert from_json.data == from_cbor.data and from_json.bits == expected["bits"]
    nonzero = {int(k): v for k, v in expected["expected_nonzero"].items()}
    data, bits = from_json.data, from_json.bits
    values = _all_values(data, bits, expected["size"])
    assert {i: v for i, v in enumerate(values) if v} == nonzero
    for index in list(nonzero)[:50] + expected["expected_explicit_zero_indices"][:50]:
        assert from_json.get(index) == nonzero.get(index, 0)


def _all_values(data: bytes, bits: int, size: int) -> list[int]:
    # An independent reader (string of bits, LSB first per byte) to cross-check StatusList.get.
    per_byte = 8 // bits
    mask = (1 << bits) - 1
    return [(data[i // per_byte] >> ((i % per_byte) * bits)) & mask for i in range(size)]


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_build_compress_parse(bits: int) -> None:
    values = {0: 1, 5: 2 % (1 << bits), 17: (1 << bits) - 1, 99: 1}
    built = StatusList.empty(100, bits).with_statuses(values)
    again = StatusList.from_json_value(built.to_json_value())
    assert [again.get(i) for i in range(100)] == [values.get(i, 0) for i in range(100)]
    assert StatusList.from_cbor_value(built.to_cbor_value()).data == built.data


@given(st.sampled_from([1, 2, 4, 8]), st.lists(st.integers(0, 255), min_size=1, max_size=300))
def test_round_trip_random(bits: int, raw: list[int]) -> None:
    values = {i: v % (1 << bits) for i, v in enumerate(raw)}
    built = StatusList.empty(len(raw), bits).with_statuses(values)
    again = StatusList.from_compressed(built.compressed(), bits)
    assert all(again.get(i) == v for i, v in values.items())


def _code(fn) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(StatusListError) as info:
        fn()
    return info.value.code


def test_index_out_of_range() -> None:
    assert _code(lambda: StatusList.empty(16).get(16)) == "status.list_index_out_of_range"
    assert _code(lambda: StatusList.empty(16).get(-1)) == "status.list_index_out_of_range"


def test_inflation_bomb() -> None:
    bomb = zlib.compress(bytes(1024 * 1024 * 1024 // 64), 9)  # 16 MiB of zeros in ~16 KB
    assert _code(lambda: StatusList.from_compressed(bomb, 1, max_inflated=1024 * 1024)) == "status.list_too_large"


def test_malformed() -> None:
    assert _code(lambda: StatusList(3, b"")) == "status.list_malformed"
    assert _code(lambda: StatusList.from_compressed(b"not zlib", 1)) == "status.list_malformed"
    assert _code(lambda: StatusList.from_compressed(zlib.compress(b"abc")[:-2], 1)) == "status.list_malformed"
    assert _code(lambda: StatusList.from_json_value({"bits": 1, "lst": "a+b/"})) == "status.list_malformed"
    assert _code(lambda: StatusList.from_json_value({"bits": "1", "lst": b64url_encode(b"")})) == (
        "status.list_malformed")
