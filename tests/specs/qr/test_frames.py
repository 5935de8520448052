"""Framing: single and multi-frame round trips in any order, and each rejection with its code."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import QrError, QrFrameError
from specs.qr.base45 import ALPHABET, b45encode
from specs.qr.dictionary import DICTIONARIES, DICTIONARY
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
    assert _code(["MID3/1/2/ABCDEF:00"]) == "qr.frame_version"
    assert _code(["MID9:00"]) == "qr.frame_version"


def test_rejects_malformed_header() -> None:
    assert _code(["MID2/1/X/ABCDEF:00"]) == "qr.frame_header"
    assert _code(["MID2/3/2/ABCDEF:00"]) == "qr.frame_header"


def _zlib(data: bytes, dictionary: bytes | None = DICTIONARY) -> bytes:
    compressor = (zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary) if dictionary
                  else zlib.compressobj(9))
    return compressor.compress(data) + compressor.flush()


def test_encoders_write_the_current_version() -> None:
    assert encode_message(b"x")[0].startswith("MID2:")
    assert all(t.startswith("MID2/") for t in encode_message(bytes(range(256)) * 3, frames=3))


def test_earlier_version_decodes_with_its_own_dictionary() -> None:
    """A MID1 code built from the MID1 profile alone (its 552-byte dictionary) still reads."""
    message = b"\x82dresp\xa1avx\x01" + b"org.iso.18013.5.1" * 3
    assert decode_message([f"MID1:{b45encode(_zlib(message, DICTIONARIES['MID1'].data))}"]) == message


@pytest.mark.parametrize(("prefix", "dictionary"), [
    ("MID2", DICTIONARIES["MID1"].data),  # the dictionary of another version under this prefix
    ("MID1", DICTIONARIES["MID2"].data),  # the pre-MID2 encoder's mistake: MID1 prefix, larger dictionary
    ("MID2", None),  # no preset dictionary at all
    ("MID2", b"another dictionary"),
])
def test_rejects_a_stream_of_another_dictionary(prefix: str, dictionary: bytes | None) -> None:
    """Profile §3.3: the DICTID in the zlib header names the dictionary; a mismatch is refused by name."""
    assert _code([f"{prefix}:{b45encode(_zlib(b'resp documents docType', dictionary))}"]) == "qr.frame_dictionary"
    multi = encode_message(bytes(range(256)) * 3, frames=2)
    assert decode_message(multi) == bytes(range(256)) * 3
    assert _code([multi[0].replace("MID2/", "MID1/"), multi[1].replace("MID2/", "MID1/")]) == "qr.frame_dictionary"


def test_frames_of_two_versions_do_not_mix() -> None:
    texts = encode_message(bytes(range(256)) * 3, frames=2)
    assert _code([texts[0], texts[1].replace("MID2/", "MID1/")]) == "qr.frame_mixed"


def test_rejects_mixed_messages() -> None:
    one = encode_message(bytes(range(200)), frames=2)
    two = encode_message(bytes(range(1, 201)), frames=2)
    assert _code([one[0], two[1]]) == "qr.frame_mixed"


def test_rejects_incomplete() -> None:
    assert _code([encode_message(bytes(range(200)), frames=3)[0]]) == "qr.frame_incomplete"


def test_rejects_inflation_bomb() -> None:
    bomb = _zlib(b"\0" * (MAX_MESSAGE + 1))
    assert _code([f"MID2:{b45encode(bomb)}"]) == "qr.frame_too_large"


def test_rejects_non_zlib_and_truncated() -> None:
    assert _code([f"MID2:{b45encode(b'not zlib')}"]) == "qr.frame_not_zlib"
    assert _code([f"MID2:{b45encode(b'x')}"]) == "qr.frame_not_zlib"
    assert _code([f"MID2:{b45encode(bytes.fromhex('78f9dea8'))}"]) == "qr.frame_dictionary"  # DICTID cut short
    truncated = _zlib(bytes(range(256)))[:-3]
    assert _code([f"MID2:{b45encode(truncated)}"]) == "qr.frame_not_zlib"


def test_one_message_keeps_one_message_and_refuses_two() -> None:
    from specs.errors import QrFrameError
    from specs.qr import one_message

    a, b = encode_message(b"\xa1" * 30), encode_message(b"\xa2" * 30)
    frames = encode_message(bytes(range(256)) * 4, frames=3)
    assert one_message([a[0], " " + a[0], "https://example.org"]) == (a[0],)  # foreign codes are left out
    assert one_message([frames[2], frames[0], frames[2]]) == (frames[2], frames[0])
    for texts, code in [([a[0], b[0]], "qr.ambiguous"), ([frames[0], a[0]], "qr.frame_mixed")]:
        with pytest.raises(QrFrameError) as err:
            one_message(texts)
        assert err.value.code == code


def _outcome(run: Callable[[], bytes]) -> tuple[str, bytes | str]:
    try:
        return "ok", run()
    except QrError as exc:
        return "error", exc.code


def _two_steps(texts: list[str]) -> bytes:
    from specs.qr import one_message

    collector = FrameCollector()
    for text in one_message(texts):
        collector.add(text)
    return collector.message()


@settings(max_examples=80)
@given(st.lists(st.sampled_from(
    [*encode_message(bytes(range(256)) * 4, frames=3), *encode_message(b"\xa1" * 30), *encode_message(b"\xa2" * 30),
     *encode_message(bytes(range(200)), frames=2), "https://example.org", " ", "MID2:!!", "MID9:00",
     "MID2/1/2/ZZZZZZ:00"]), max_size=6))
def test_collect_is_one_message_then_a_collector(texts: list[str]) -> None:
    """``collect`` parses each text once; what it accepts and refuses (and why) is what ``one_message`` followed
    by ``FrameCollector.add`` of each text accepts and refuses."""
    from specs.qr import collect

    assert _outcome(lambda: collect(texts).message()) == _outcome(lambda: _two_steps(texts))


def test_collect_refuses_two_codes_and_mixed_frames() -> None:
    from specs.qr import collect

    a, b = encode_message(b"\xa1" * 30), encode_message(b"\xa2" * 30)
    frames = encode_message(bytes(range(256)) * 4, frames=3)
    assert collect([frames[2], "https://example.org", frames[0]]).progress == (2, 3)
    assert collect([a[0], " " + a[0]]).message() == b"\xa1" * 30
    for texts, code in [([a[0], b[0]], "qr.ambiguous"), ([frames[0], a[0]], "qr.frame_mixed"),
                        (["MID2:!!"], "qr.base45_invalid")]:
        with pytest.raises(QrError) as err:
            collect(texts)
        assert err.value.code == code


_SINGLE_TEXTS = [*encode_message(bytes(range(256)) * 4, frames=3), *encode_message(b"\xa1" * 30),
                 *encode_message(bytes(range(200))), "https://example.org", " ", "", "MID2:!!", "MID9:00", "MID2",
                 "MID2/1/1/ABCDEF:00", f"MID2:{b45encode(_zlib(b'x' * 40, None))}",
                 f"MID1:{b45encode(_zlib(b'x' * 40))}", "MID2:" + b45encode(_zlib(bytes(MAX_MESSAGE + 1))),
                 f"MID2:{b45encode(_zlib(bytes(range(256)))[:-3])}", "MID2:" + "0" * 9000]


@settings(max_examples=120)
@given(st.sampled_from(_SINGLE_TEXTS), st.sampled_from(["", " ", "\t"]), st.sampled_from(["", " ", "\r"]))
def test_single_code_reads_what_collect_reads(text: str, before: str, after: str) -> None:
    """``single_code`` answers only for one single-code text, and then exactly as ``collect`` does (the message,
    or the same refusal); for anything else (frames of several codes, foreign texts, a text too long, a
    malformed prefix) it answers None and leaves the text to ``collect``."""
    from specs.qr import collect, single_code

    text = before + text + after
    expected = _outcome(lambda: collect([text]).message())
    head = text.strip().partition(":")[0]
    if head not in DICTIONARIES or ":" not in text or len(text.strip()) > 8 * 1024:
        assert single_code(text) is None
        return
    assert _outcome(lambda: single_code(text) or b"") == expected
