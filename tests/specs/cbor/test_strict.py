"""The C part of the strict decoder (specs/cbor/_strict.c) against the Python decoder it must agree with.

Whatever the C part returns, the Python decoder must return too, value for value and type for type; whatever
the Python decoder refuses, the C part must defer. Checked on generated values, random and mutated bytes, the
fuzz seeds and crash corpus (and every tag-24 item inside them), at every depth limit and with several tag
sets; and it must answer (not defer) for the messages a verifier sees every day, or it gains nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import specs.cbor.codec as codec
from specs.cbor import MDOC_TAGS, EncodedCBOR, decode
from specs.errors import CborError, StructureError

FUZZ = Path(__file__).resolve().parents[3] / "fuzz"
TAG_SETS = [MDOC_TAGS, frozenset(), frozenset({18}), frozenset({0, 1, 24, 1004}), frozenset({2, 3, 24}),
            frozenset({1, 18, 24, 55799})]


def _native() -> Any:
    if codec._native is None:
        pytest.fail("the C part of specs.cbor is not built: `pip install -e .` (or `python setup.py build_ext "
                    "--inplace`) with a C compiler, and MOBILEID_PURE_CBOR unset")
    return codec._native


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (True is not 1, 1.0 is not 1, NaN is NaN, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(k1, k2) and same(a[k1], b[k2]) for k1, k2 in zip(a, b, strict=True))
    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def agree(data: bytes, allowed: frozenset[int] = MDOC_TAGS, max_depth: int = codec.DEFAULT_MAX_DEPTH) -> bool:
    """Assert the C part agrees with the Python decoder on ``data``; True when it answered, False when it deferred."""
    native = _native()(data, allowed, max_depth)
    try:
        python: Any = codec._decode_python(data, allowed, max_depth)
    except (CborError, StructureError) as exc:
        assert native is codec._DEFER, f"C accepted what Python refuses ({exc.code}): {data.hex()}"
        return False
    if native is codec._DEFER:
        return False
    assert same(native, python), f"C and Python differ on {data.hex()}: {native!r} != {python!r}"
    return True


# -- values ------------------------------------------------------------------------------------------------
_scalars = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64 - 1), st.binary(max_size=40), st.text(max_size=20),
    st.booleans(), st.none(), st.floats(allow_nan=True), st.just(cbor2.undefined),
    st.sampled_from([cbor2.CBORSimpleValue(0), cbor2.CBORSimpleValue(100)]),
    st.binary(max_size=20).map(lambda b: cbor2.CBORTag(24, b)),
    st.sampled_from(["2020-10-01T13:30:02Z", "2020-10-01T13:30:02+09:00", "2020-13-01T00:00:00Z", "x",
                     "2020-10-01T13:30:02.5Z"]).map(lambda s: cbor2.CBORTag(0, s)),
    st.sampled_from(["2020-10-01", "2020-02-30", "20201001"]).map(lambda s: cbor2.CBORTag(1004, s)),
    st.one_of(st.integers(min_value=-(2**40), max_value=2**70), st.text(max_size=3)).map(lambda v: cbor2.CBORTag(1, v)),
    st.integers(min_value=0, max_value=3).map(lambda n: cbor2.CBORTag(2, bytes(n))),
)
_keys = st.one_of(st.integers(min_value=-(2**64), max_value=2**64 - 1), st.text(max_size=8), st.binary(max_size=8),
                  st.booleans(), st.floats(), st.binary(max_size=4).map(lambda b: cbor2.CBORTag(24, b)))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(_keys, inner, max_size=5),
    inner.map(lambda v: cbor2.CBORTag(18, v)), st.lists(inner, max_size=3).map(lambda v: cbor2.CBORTag(24, v))),
    max_leaves=25)


def _encode(value: Any) -> bytes:
    def tagged(encoder: cbor2.CBOREncoder, value: Any) -> None:
        raise ValueError("unencodable")

    return cbor2.dumps(value, default=tagged)


@settings(max_examples=600, deadline=None)
@given(_values, st.sampled_from(TAG_SETS), st.integers(min_value=1, max_value=30))
def test_generated_values_agree(value: Any, allowed: frozenset[int], max_depth: int) -> None:
    try:
        data = _encode(value)
    except (ValueError, cbor2.CBOREncodeError):
        return
    agree(data, allowed, max_depth)


@settings(max_examples=600, deadline=None)
@given(_values, st.integers(min_value=0, max_value=2**31), st.sampled_from(TAG_SETS))
def test_mutated_values_agree(value: Any, seed: int, allowed: frozenset[int]) -> None:
    try:
        data = bytearray(_encode(value))
    except (ValueError, cbor2.CBOREncodeError):
        return
    rng = random.Random(seed)
    for _ in range(rng.randint(1, 4)):
        where = rng.randrange(len(data) + 1)
        action = rng.randrange(4)
        if action == 0 and where < len(data):
            data[where] = rng.randrange(256)
        elif action == 1:
            data.insert(where, rng.choice([0x18, 0x19, 0x1f, 0x5f, 0x7f, 0x9f, 0xbf, 0xd8, 0xf7, 0xff, 0x00]))
        elif action == 2 and where < len(data):
            del data[where]
        else:
            del data[where:]
    if data:
        agree(bytes(data), allowed)


@settings(max_examples=400, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.sampled_from(TAG_SETS))
def test_random_bytes_agree(data: bytes, allowed: frozenset[int]) -> None:
    agree(data, allowed)


# -- the fuzz corpora ----------------------------------------------------------------------------------------
def _corpus() -> list[Path]:
    files = [p for p in sorted((FUZZ / "seeds").rglob("*")) if p.is_file()]
    files += sorted((FUZZ / "crashes").rglob("*.bin"))
    return files


def _embedded(value: Any) -> list[bytes]:
    """Every tag-24 item inside a decoded value (the MSO, the items, the device name spaces ...)."""
    if isinstance(value, EncodedCBOR):
        return [value.data]
    if isinstance(value, cbor2.CBORTag):
        return _embedded(value.value)
    if isinstance(value, Mapping):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple):
        children = list(value)
    else:
        return []
    return [data for child in children for data in _embedded(child)]


def test_fuzz_corpus_agrees_with_every_prefix_and_flip() -> None:
    files = _corpus()
    assert len(files) > 20, "the fuzz seeds and crash corpus are part of the repository"
    rng = random.Random(16)
    answered = 0
    for path in files:
        data = path.read_bytes()
        for allowed in (MDOC_TAGS, frozenset({18, 24, 0, 1004})):
            try:
                whole = codec._decode_python(data, allowed, codec.DEFAULT_MAX_DEPTH)
            except (CborError, StructureError):
                whole = None
            pieces = [data, *(_embedded(whole) if whole is not None else [])]
            for piece in pieces:
                answered += agree(piece, allowed)
                for cut in rng.sample(range(len(piece)), min(len(piece), 24)):
                    agree(piece[:cut], allowed)
                    flipped = bytearray(piece)
                    flipped[cut] ^= 1 << rng.randrange(8)
                    agree(bytes(flipped), allowed)
    assert answered > 10, "the C part deferred on almost everything: it would gain nothing"


# -- limits, and what it must answer ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["array", "map", "tag24", "tag0"])
def test_depth_limit_agrees_at_every_depth(kind: str) -> None:
    for max_depth in range(1, 30):
        for depth in range(0, 32):
            value: Any = cbor2.CBORTag(0, "2020-10-01T13:30:02Z") if kind == "tag0" else 1
            for _ in range(depth):
                value = [value] if kind in ("array", "tag0") else {1: value} if kind == "map" else [
                    cbor2.CBORTag(24, b"\x01"), value]
            agree(cbor2.dumps(value), MDOC_TAGS, max_depth)


def test_everyday_messages_are_answered_not_deferred() -> None:
    for name in ("mdl_8_elements.cbor", "qr_age19_device_response.cbor", "annex_d_device_response.cbor"):
        data = (FUZZ / "seeds" / "cbor_device_response" / name).read_bytes()
        assert agree(data), name
        for piece in _embedded(decode(data)):
            assert agree(piece), name


def test_what_it_returns_is_what_decode_returns() -> None:
    data = cbor2.dumps({"a": [1, -5, 2**64 - 1, -(2**64), b"x", 1.5, None, True],
                        1: cbor2.CBORTag(24, b"\x18\x01"), b"k": cbor2.CBORTag(1004, "2020-10-01"),
                        -1: cbor2.CBORTag(0, "2020-10-01T13:30:02+09:00"), 2: cbor2.CBORTag(1, 0)})
    assert agree(data, frozenset({0, 1, 24, 1004}))
    value = decode(data, allowed_tags=(0, 1, 24, 1004))
    assert value[1] == EncodedCBOR(b"\x18\x01")  # the received bytes, not a re-encoding
    assert value[b"k"] == dt.date(2020, 10, 1)


@pytest.mark.parametrize("data", [
    b"\xa2\x01\x01\x01\x02",  # duplicate key
    b"\x9f\x01\xff",  # indefinite array
    b"\x01\x01",  # trailing byte
    b"\x62\xc3\x28",  # invalid UTF-8
    b"\xd9\x03\xec\x6a" + b"2020-02-30",  # full-date that is no date
    b"\xc2\x41\x01",  # bignum (cbor2's own tag)
    b"\xd8\x18\x01",  # tag 24 around an integer
    b"\x5a\xff\xff\xff\xff\x00",  # length beyond the input
    b"\xa1\xf9\x7e\x00\x01",  # a NaN key
])
def test_refusals_are_deferred_and_refused(data: bytes) -> None:
    assert _native()(data, MDOC_TAGS, codec.DEFAULT_MAX_DEPTH) is codec._DEFER
    with pytest.raises((CborError, StructureError)):
        decode(data)


def test_decode_each_agrees() -> None:
    items = [cbor2.dumps({"digestID": i, "random": bytes(16), "elementIdentifier": "x", "elementValue": i})
             for i in range(4)]
    assert codec.decode_each(items) == [cbor2.loads(i) for i in items]
    with pytest.raises(CborError):
        codec.decode_each([items[0] + b"\x00", items[1]])  # an item that does not fill its bytes
    with pytest.raises(CborError):
        codec.decode_each([items[0], b""])
