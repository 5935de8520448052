"""The embedded-item decoder of the C part of mdoc verification (specs/mdoc/_value.h) against the Python decoder.

It must return exactly what ``specs.cbor.codec.decode`` returns with the MDOC_TAGS and the default depth (value for
value, type for type), and defer whatever the Python decoder refuses; its own reading of dates (tdate with ``Z``,
full-date) must give the very datetime and date the codec's functions give. Fails, not skips, when not built.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import specs.cbor.codec as codec
from specs.cbor import MDOC_TAGS
from specs.errors import CborError, StructureError
from specs.mdoc import walk as walk_module
from tests.specs.cbor.test_strict import _encode, _values, same


def _decode() -> Any:
    if walk_module._native is None:
        pytest.fail("the C part of specs.mdoc is not built: `pip install -e .` with a C compiler")
    from specs.mdoc import _fast

    return _fast.decode


def agree(data: bytes) -> bool:
    """True when the C decoder answered (and agreed), False when it deferred (and Python refuses or decides)."""
    native = _decode()(data)
    try:
        python: Any = codec._decode_python(data, MDOC_TAGS, codec.DEFAULT_MAX_DEPTH)
    except (CborError, StructureError) as exc:
        assert native is codec._DEFER, f"C accepted what Python refuses ({exc.code}): {data.hex()}"
        return False
    if native is codec._DEFER:
        return False
    assert same(native, python), f"C and Python differ on {data.hex()}: {native!r} != {python!r}"
    if isinstance(python, dt.datetime) and python.tzinfo is dt.UTC:
        assert native.tzinfo is dt.UTC  # the very singleton fromisoformat gives for "Z"
    return True


@settings(max_examples=600, deadline=None)
@given(_values)
def test_generated_values_agree(value: Any) -> None:
    try:
        data = _encode(value)
    except (ValueError, cbor2.CBOREncodeError):
        return
    agree(data)


@settings(max_examples=600, deadline=None)
@given(_values, st.integers(min_value=0, max_value=2**31))
def test_mutated_values_agree(value: Any, seed: int) -> None:
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
        agree(bytes(data))


@settings(max_examples=400, deadline=None)
@given(st.binary(min_size=1, max_size=64))
def test_random_bytes_agree(data: bytes) -> None:
    agree(data)


_DIGIT = st.sampled_from("0123456789")
_FIELD = st.one_of(st.text(_DIGIT, min_size=2, max_size=2), st.sampled_from(["00", "01", "12", "13", "23", "24",
                                                                                "28", "29", "30", "31", "59", "60"]))
_YEAR = st.one_of(st.sampled_from(["0000", "0001", "1900", "2000", "2024", "2100", "9999"]),
                  st.text(_DIGIT, min_size=4, max_size=4))


@settings(max_examples=800, deadline=None)
@given(_YEAR, _FIELD, _FIELD, _FIELD, _FIELD, _FIELD,
       st.sampled_from(["Z", "z", "+00:00", "+09:00", "-00:00", "", "Z\n", ".5Z"]),
       st.sampled_from(["-", "/"]), st.sampled_from(["T", "t", " "]))
def test_dates_agree(year: str, month: str, day: str, hour: str, minute: str, second: str, zone: str, dash: str,
                     sep: str) -> None:
    full_date = f"{year}{dash}{month}-{day}"
    tdate = f"{full_date}{sep}{hour}:{minute}:{second}{zone}"
    agree(cbor2.dumps(cbor2.CBORTag(0, tdate)))
    agree(cbor2.dumps(cbor2.CBORTag(1004, full_date)))
    agree(cbor2.dumps({"d": [cbor2.CBORTag(1004, full_date), cbor2.CBORTag(0, tdate)]}))


@pytest.mark.parametrize("text", ["2024-02-29", "2023-02-29", "2100-02-29", "2000-02-29", "0001-01-01", "9999-12-31",
                                  "2024-04-31", "2024-12-32"])
def test_calendar_edges(text: str) -> None:
    valid = agree(cbor2.dumps(cbor2.CBORTag(1004, text)))
    agree(cbor2.dumps(cbor2.CBORTag(0, text + "T23:59:59Z")))
    assert valid == (text not in ("2023-02-29", "2100-02-29", "2024-04-31", "2024-12-32"))


def test_usual_dates_are_answered() -> None:
    assert agree(cbor2.dumps(cbor2.CBORTag(0, "2026-01-01T00:00:00Z")))
    assert agree(cbor2.dumps(cbor2.CBORTag(0, "2026-01-01T00:00:00+09:00")))  # through the codec's function
    assert agree(cbor2.dumps({"a": [cbor2.CBORTag(1004, "1990-03-15"), b"x", 1.5, None, -(2**64)]}))


MSO_KEYS = ["version", "digestAlgorithm", "valueDigests", "docType", "deviceKeyInfo", "validityInfo", "status",
            "deviceKey", "keyAuthorizations", "keyInfo", "signed", "validFrom", "validUntil", "expectedUpdate"]


def test_the_mso_keys_handed_out_are_the_keys_decoded() -> None:
    """known_key (_value.h) gives the MSO's map keys as made once; the maps are the decoder's, key for key."""
    every = {key: i for i, key in enumerate(MSO_KEYS)}
    assert agree(cbor2.dumps(every))
    assert agree(cbor2.dumps({"deviceKeyInfo": {"deviceKey": {1: 2}, "keyInfo": {"signed": "version"}}}))
    assert agree(cbor2.dumps(MSO_KEYS))  # as values, not keys: decoded as usual
    assert agree(cbor2.dumps({"versio": 1, "versions": 2, "Version": 3, "": 4}))  # near misses
    one = cbor2.dumps({"version": 1})
    assert agree(b"\xa1\x78\x07version\x01")  # a longer head: decoded as usual
    assert not agree(b"\xa2" + one[1:] + one[1:])  # a key twice, either way refused
    assert not agree(b"\xa2" + one[1:] + b"\x78\x07version\x02")
    assert not agree(one[:-3])  # cut short inside the key
    for key in MSO_KEYS:
        encoded = cbor2.dumps({key: None})
        assert agree(encoded)
        value = _decode()(encoded)
        assert list(value) == [key] and type(next(iter(value))) is str
