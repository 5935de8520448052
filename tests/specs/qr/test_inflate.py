"""The C part of inflating a QR payload (specs/qr/_inflate.c) against the Python code it must agree with.

Whatever the C part returns, ``_inflate_python`` must return too, byte for byte; whatever ``_inflate_python``
refuses, the C part must defer (None). Checked on generated messages compressed with each version's
dictionary, another dictionary and none, cut short, with trailing bytes, with one byte changed and beyond the
size limit; and it must answer (not defer) for the streams encoders write, or it gains nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import specs.qr.frames as frames
from specs.errors import QrFrameError
from specs.qr.dictionary import DICTIONARIES, ProfileDictionary

Native = Callable[[bytes, bytes, int], bytes | None]


def _native() -> Native:
    if frames._native is None:
        pytest.fail("the C part of specs.qr.frames is not built: `pip install -e .` (or `python setup.py "
                    "build_ext --inplace`) with a C compiler and zlib's headers, and MOBILEID_PURE_INFLATE unset")
    return frames._native


def _compress(message: bytes, dictionary: bytes | None, level: int = 9) -> bytes:
    compressor = (zlib.compressobj(level, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary) if dictionary
                  else zlib.compressobj(level))
    return compressor.compress(message) + compressor.flush()


def _agree(compressed: bytes, dictionary: ProfileDictionary, limit: int = frames.MAX_MESSAGE) -> bytes | None:
    """The C answer, after checking it against the Python code (which runs only after the header checks, as in
    ``_inflate``: the C part is never asked about a stream those refuse)."""
    fast = _native()(compressed, dictionary.data, limit)
    try:
        frames._check_dictionary(compressed, dictionary)
        expected = frames._inflate_python(compressed, dictionary)
    except QrFrameError:
        assert fast is None, "the C part accepted a stream the Python code refuses"
        return None
    if len(expected) > limit:  # the Python code's limit is MAX_MESSAGE; a smaller one is the C part's alone
        assert fast is None
        return None
    assert fast is None or fast == expected, "the C part and the Python code inflate to different bytes"
    return fast


@settings(max_examples=300)
@given(st.binary(max_size=3000), st.sampled_from(sorted(DICTIONARIES)), st.integers(0, 9),
       st.sampled_from(["as is", "cut", "trailing", "flip", "other dictionary", "no dictionary"]),
       st.integers(0, 1 << 16), st.integers(1, 255))
def test_agrees_with_python(message: bytes, version: str, level: int, change: str, where: int, xor: int) -> None:
    dictionary = DICTIONARIES[version]
    other = next(d for v, d in DICTIONARIES.items() if v != version)
    data = _compress(message, other.data if change == "other dictionary" else
                     None if change == "no dictionary" else dictionary.data, level)
    if change == "cut":
        data = data[: where % len(data)]
    elif change == "trailing":
        data += bytes([xor]) * (1 + where % 4)
    elif change == "flip":
        i = where % len(data)
        data = data[:i] + bytes([data[i] ^ xor]) + data[i + 1:]
    fast = _agree(data, dictionary)
    if change == "as is":
        assert fast == message  # the streams encoders write are answered in C


@given(st.binary(max_size=600))
def test_agrees_on_any_bytes(data: bytes) -> None:
    for dictionary in DICTIONARIES.values():
        _agree(data, dictionary)
        _agree(data[:2] + dictionary.dictid.to_bytes(4, "big") + data[2:], dictionary)


@pytest.mark.parametrize("size", [0, 1, frames.MAX_MESSAGE - 1, frames.MAX_MESSAGE, frames.MAX_MESSAGE + 1,
                                  4 * frames.MAX_MESSAGE])
def test_size_limit(size: int) -> None:
    """A message of exactly MAX_MESSAGE bytes is answered; one byte more is deferred (and refused by Python)."""
    dictionary = DICTIONARIES[frames.PREFIX]
    fast = _agree(_compress(b"\x5a" * size, dictionary.data), dictionary)
    assert (fast is not None) == (size <= frames.MAX_MESSAGE)
    with pytest.raises(QrFrameError) if size > frames.MAX_MESSAGE else _no_error():
        frames._inflate(_compress(b"\x5a" * size, dictionary.data), dictionary)


def test_defers_what_it_does_not_take() -> None:
    native = _native()
    dictionary = DICTIONARIES[frames.PREFIX]
    good = _compress(b"resp documents", dictionary.data)
    assert native(good, dictionary.data, frames.MAX_MESSAGE) == b"resp documents"
    assert native(good, dictionary.data, 5) is None  # beyond the caller's limit
    assert native(good, dictionary.data, frames.MAX_MESSAGE + 1) is None  # a limit beyond the static buffer
    assert native(good, dictionary.data, -1) is None
    assert native(bytearray(good), dictionary.data, frames.MAX_MESSAGE) is None  # bytes only  # type: ignore[arg-type]
    assert native(good, b"another dictionary", frames.MAX_MESSAGE) is None
    assert native(good, dictionary.data, frames.MAX_MESSAGE) == b"resp documents"  # a refusal leaves no state


class _no_error:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
