"""Framing: single and multi-frame round trips in any order, and each rejection with its code."""

from __future__ import annotations

import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import QrFrameError
from specs.qr.base45 import ALPHABET, b45encode
from specs.qr.dictionary import DICTIONARY
from specs.qr.frames import (
    MAX_FRAME_BYTES,
    MAX_MESSAGE,
    MAX_SINGLE_TEXT,
    FrameCollector,
    decode_message,
    encode_message,
    profile_texts,
)


@settings(max_examples=60)
@given(st.binary(max_size=4000), st.integers(1, 8), st.randoms())
def test_round_trip_any_order(message: bytes, frames: int, rnd: random.Random) -> None:
    texts = list(encode_message(message, frames=frames))
    rnd.shuffle(texts)
    assert decode_message(texts) == message


@settings(max_examples=40)
@given(st.binary(min_size=1, max_size=6000), st.randoms(use_true_random=False))
def test_profile_texts_single_while_it_fits_version_25_else_frames(seed: bytes, rnd: random.Random) -> None:
    """Profile §5: one code up to 1,451 characters, else ceil(compressed / 950) frames, each within v25."""
    message = seed if seed[0] % 2 else rnd.randbytes(len(seed))  # compressible and incompressible
    texts = profile_texts(message)
    compressed = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
    size = len(compressed.compress(message) + compressed.flush())
    if len(encode_message(message)[0]) <= MAX_SINGLE_TEXT:
        assert texts == encode_message(message)
    else:
        assert len(texts) == -(-size // MAX_FRAME_BYTES) >= 2
    assert all(len(text) <= MAX_SINGLE_TEXT for text in texts)
    assert decode_message(texts) == message


def test_texts_stay_in_the_qr_alphanumeric_set() -> None:
    for text in encode_message(bytes(range(256)) * 4, frames=3):
        assert set(text) <= set(ALPHABET)


def test_repeated_frames_are_ignored_and_progress_counts() -> None:
    texts = encode_message(b"x" * 500 + bytes(range(256)), frames=3)
    collector = FrameCollector()
    assert not collector.add(texts[1])
    assert not collector.add(texts[1])
    assert collector.progress == (1, 3)
    collector.add(texts[0])
    assert collector.add(texts[2])


def _code(texts: list[str]) -> str:
    with pytest.raises(QrFrameError) as info:
        decode_message(texts)
    return info.value.code


def test_rejects_foreign_prefix() -> None:
    assert _code(["HC1:ABC"]) == "qr.frame_prefix"


def test_rejects_other_version() -> None:
    assert _code(["MID2/1/2/ABCDEF:00"]) == "qr.frame_version"


def test_rejects_malformed_header() -> None:
    assert _code(["MID1/1/X/ABCDEF:00"]) == "qr.frame_header"
    assert _code(["MID1/3/2/ABCDEF:00"]) == "qr.frame_header"


def test_rejects_mixed_messages() -> None:
    one = encode_message(bytes(range(200)), frames=2)
    two = encode_message(bytes(range(1, 201)), frames=2)
    assert _code([one[0], two[1]]) == "qr.frame_mixed"


def test_rejects_incomplete() -> None:
    assert _code([encode_message(bytes(range(200)), frames=3)[0]]) == "qr.frame_incomplete"


def test_rejects_inflation_bomb() -> None:
    bomb = zlib.compress(b"\0" * (MAX_MESSAGE + 1), 9)
    assert _code([f"MID1:{b45encode(bomb)}"]) == "qr.frame_too_large"


def test_rejects_non_zlib_and_truncated() -> None:
    assert _code([f"MID1:{b45encode(b'not zlib')}"]) == "qr.frame_not_zlib"
    truncated = zlib.compress(bytes(range(256)), 9)[:-3]
    assert _code([f"MID1:{b45encode(truncated)}"]) == "qr.frame_not_zlib"
