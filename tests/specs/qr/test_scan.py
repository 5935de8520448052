"""The common scan in C (specs/qr/_scan.c, through specs.qr.scan.read_answer) against the Python path it must agree
with: whatever C answers, ``decode_qr_message(single_code(text))`` (and ``one_way_transcript``) gives the same; what
Python refuses, C defers; and C defers on every text outside the plain form, which Python then judges."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import specs.qr.frames as frames
import specs.qr.presentation as presentation
import specs.qr.scan as scan
from specs import native
from specs.cbor import encode
from specs.errors import MobileIdError, QrError
from specs.mdoc.transcript import SessionTranscript
from specs.qr import b45encode, encode_message, single_code
from specs.qr.dictionary import DICTIONARIES
from specs.qr.presentation import ONE_WAY, TWO_WAY, QrRequest, QrResponse, decode_qr_message, one_way_transcript

NONCE = bytes(range(16))
T = 1780306200
BODY: dict[str, Any] = {"v": 1, "m": 2, "f": "mdoc", "d": b"\xa2\x01\x02" * 50, "n": NONCE, "t": T}
SD_JWT = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln~WyJzYWx0IiwibmFtZSIsIksiXQ~eyJ0eXAiOiJrYitqd3QifQ.e30.c2ln"


def _native() -> Callable[[str], tuple[QrResponse, SessionTranscript | None] | None]:
    if scan._native is None:
        pytest.fail("the C part of specs.qr.scan is not built: `pip install -e .` (or `python setup.py build_ext "
                    "--inplace`) with a C compiler and zlib's headers")
    return scan._native


def _text(message: bytes) -> str:
    return encode_message(message)[0]


def _response(**changes: Any) -> bytes:
    body = {**BODY, **changes}
    return encode(["resp", {k: v for k, v in body.items() if v is not _DROP}])


_DROP = object()


def _agree(text: str) -> tuple[QrResponse, SessionTranscript | None] | None:
    """C's answer for ``text``, after checking it against the Python path."""
    fast = _native()(text)
    try:
        message = single_code(text)
        slow = None if message is None else decode_qr_message(message)
    except MobileIdError:
        assert fast is None, f"C answered for a text Python refuses: {text[:60]!r}"
        return None
    if fast is None:
        return None
    assert text.splitlines() == [text], "C answered for a text verify_qr reads as several lines"
    assert isinstance(slow, QrResponse) and type(fast[0]) is QrResponse and fast[0] == slow
    assert fast[0].time is None or fast[0].time.tzinfo is dt.UTC
    if slow.mode == ONE_WAY:
        assert slow.nonce is not None and slow.time is not None
        expected = one_way_transcript(slow.nonce, slow.time)
        assert type(fast[1]) is SessionTranscript and fast[1] == expected and fast[1].encoded == expected.encoded
    else:
        assert fast[1] is None
    return fast


def _answers(message: bytes) -> tuple[QrResponse, SessionTranscript | None]:
    answer = _agree(_text(message))
    assert answer is not None, "C deferred on a plain response"
    return answer


def test_limits_are_those_of_the_python_code() -> None:
    module = scan._scan
    assert module is not None
    assert (module.MAX_TEXT, module.MAX_MESSAGE) == (frames._MAX_TEXT, frames.MAX_MESSAGE)
    assert (module.MIN_NONCE, module.MAX_NONCE, module.MAX_TIME) == (
        presentation.MIN_NONCE, presentation.MAX_NONCE, presentation._MAX_TIME)


@pytest.mark.parametrize("body", [
    BODY,
    {"v": 1, "m": 1, "f": "mdoc", "d": b"\x01" * 900},
    {"v": 1, "m": 2, "f": "sd-jwt", "d": SD_JWT, "n": NONCE, "t": T},
    {"v": 1, "m": 1, "f": "sd-jwt", "d": SD_JWT},
    {"t": T, "n": NONCE, "d": b"", "f": "mdoc", "m": 2, "v": 1},  # any key order
])
def test_it_answers_for_plain_responses(body: dict[str, Any]) -> None:
    response, transcript = _answers(encode(["resp", body]))
    assert response.mode == body["m"] and response.data == body["d"]
    assert (transcript is None) == (body["m"] == TWO_WAY)


@pytest.mark.parametrize("size", [16, 23, 24, 63, 64])
def test_every_nonce_length(size: int) -> None:
    _answers(_response(n=bytes(range(size))))


@pytest.mark.parametrize("t", [0, 1, 23, 24, 255, 256, 65535, 65536, 951782400, 2**32 - 1, 2**32,
                               presentation._MAX_TIME])
def test_times_and_their_heads(t: int) -> None:
    response, transcript = _answers(_response(t=t))
    assert response.time == dt.datetime.fromtimestamp(t, dt.UTC) and transcript is not None
    assert transcript.handover == ["MobileIdQR", ONE_WAY, NONCE, t]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, presentation._MAX_TIME), st.binary(min_size=16, max_size=64), st.binary(max_size=3000))
def test_agrees_on_any_one_way_answer(t: int, nonce: bytes, data: bytes) -> None:
    _answers(_response(t=t, n=nonce, d=data))


def test_every_version_the_decoder_accepts() -> None:
    for version, entry in DICTIONARIES.items():
        compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, entry.data)
        compressed = compressor.compress(_response()) + compressor.flush()
        assert _agree(f"{version}:{b45encode(compressed)}") is not None


def _compressed(message: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARIES["MID2"].data)
    return compressor.compress(message) + compressor.flush()


def _framed(compressed: bytes, prefix: str = "MID2") -> str:
    return f"{prefix}:{b45encode(compressed)}"


def _defers(text: str, code: str | None = None) -> None:
    """C defers; the Python path refuses with ``code`` (None: it reads the text, another way or the long way)."""
    assert _native()(text) is None
    _agree(text)
    if code is not None:
        with pytest.raises(MobileIdError) as info:
            decode_qr_message(frames.decode_message([text]))
        assert info.value.code == code


GOOD = _text(_response())
PLAIN = _compressed(_response())


@pytest.mark.parametrize(("text", "code"), [
    ("", None),
    (" " + GOOD, None),  # white space str.strip() takes off: Python reads it
    (GOOD + " ", None),
    (GOOD + "\n", None),
    (GOOD[:40] + "\n" + GOOD[40:], None),
    (GOOD + "é", None),
    ("MID2", None),
    ("MID9:" + GOOD[5:], "qr.frame_version"),
    ("XYZ:" + GOOD[5:], "qr.frame_prefix"),
    ("MID2/1/1/ABCDEF:" + GOOD[5:], None),  # a frame of one, read by the collector
    ("MID2:" + "A" * (frames._MAX_TEXT + 1), None),
    (GOOD[:-1] + "a", "qr.base45_invalid"),  # a character outside the alphabet
    (GOOD + "A", "qr.base45_invalid"),  # a length of 1 mod 3 (GOOD's body is whole triplets or a pair)
    ("MID2:GGW" + GOOD[5:], "qr.base45_invalid"),  # a triplet above 0xFFFF
    (_framed(b"\x79" + PLAIN[1:]), "qr.frame_not_zlib"),  # CM is not deflate
    (_framed(PLAIN[:1] + bytes([PLAIN[1] ^ 1]) + PLAIN[2:]), "qr.frame_not_zlib"),  # FCHECK
    (_framed(zlib.compress(_response())), "qr.frame_dictionary"),  # no preset dictionary
    (_framed(PLAIN[:2] + b"\x00\x00\x00\x01" + PLAIN[6:]), "qr.frame_dictionary"),  # another DICTID
    (_framed(PLAIN, "MID1"), "qr.frame_dictionary"),  # MID2's stream under MID1's prefix
    (_framed(PLAIN[:-1]), "qr.frame_not_zlib"),  # truncated
    (_framed(PLAIN + b"\x00"), "qr.frame_not_zlib"),  # data after the stream
    (_framed(PLAIN[:-1] + bytes([PLAIN[-1] ^ 1])), "qr.frame_not_zlib"),  # Adler-32
    (_framed(_compressed(b"\x00" * (frames.MAX_MESSAGE + 1))), "qr.frame_too_large"),
])
def test_it_defers_on_every_text_the_python_path_must_judge(text: str, code: str | None) -> None:
    _defers(text, code)


@pytest.mark.parametrize(("message", "code"), [
    (encode(["req", encode({"v": 1, "nonce": NONCE, "verifier": "shop", "items": {"a": ["b"]}, "exp": T}), None]),
     None),  # a request: Python reads it
    (encode(["resp", BODY, None]), "qr.malformed"),
    (encode(["resp"]), "qr.malformed"),
    (encode({"resp": BODY}), "qr.message_type"),
    (encode(["RESP", BODY]), "qr.message_type"),
    (_response(x=1), None),  # a key the profile does not name: Python reads past it
    (_response(v=2), "qr.version"),
    (_response(v=1.0), "qr.version"),
    (_response(v=True), "qr.version"),
    (_response(v=_DROP), "qr.version"),
    (_response(m=3), "qr.malformed"),
    (_response(m=0), "qr.malformed"),
    (_response(m=_DROP), "qr.malformed"),
    (_response(f="cbor"), "qr.malformed"),
    (_response(f=_DROP), "qr.malformed"),
    (_response(d=_DROP), "qr.malformed"),
    (_response(d="text"), "qr.malformed"),  # mdoc with a text
    (_response(f="sd-jwt"), "qr.malformed"),  # sd-jwt with bytes
    (_response(f="sd-jwt", d="é~"), None),  # UTF-8 beyond ASCII: Python decodes it
    (_response(m=1), "qr.malformed"),  # two-way with n and t
    (_response(m=1, n=_DROP), "qr.malformed"),  # two-way with t
    (_response(t=_DROP), "qr.malformed"),
    (_response(n=_DROP), "qr.malformed"),
    (_response(n=bytes(15)), "qr.malformed"),
    (_response(n=bytes(65)), "qr.malformed"),
    (_response(n="x" * 16), "qr.malformed"),
    (_response(t=presentation._MAX_TIME + 1), "qr.malformed"),
    (_response(t=-1), "qr.malformed"),
    (_response(t=float(T)), "qr.malformed"),
    (_response(d=cbor2.CBORTag(18, b"")), "qr.malformed"),  # an allowed tag, not a byte string
    (_response() + b"\x00", "cbor.trailing_bytes"),
    (bytes.fromhex("8264") + b"resp" + bytes.fromhex("bf") + encode(BODY)[1:] + b"\xff", "cbor.malformed"),
])
def test_it_defers_on_every_envelope_the_python_path_must_judge(message: bytes, code: str | None) -> None:
    _defers(_text(message), code)


def _with_head(key: str, head: bytes) -> bytes:
    """The plain response with ``key``'s value written with the head ``head`` (a longer one than needed)."""
    plain = _response()
    value = encode(BODY[key])
    at = plain.index(encode(key) + value) + len(encode(key))
    return plain[:at] + head + value[len(value) - len(BODY[key]) if isinstance(BODY[key], bytes) else 5:] + \
        plain[at + len(value):]


@pytest.mark.parametrize(("key", "head"), [
    ("t", b"\x1b" + T.to_bytes(8, "big")),
    ("n", b"\x58\x10"),
])
def test_a_longer_head_than_needed_is_left_to_python(key: str, head: bytes) -> None:
    message = _with_head(key, head)
    assert decode_qr_message(message) == decode_qr_message(_response())  # valid CBOR, the same value
    _defers(_text(message))


def test_a_duplicate_key_is_left_to_python() -> None:
    plain = _response()
    duplicated = plain.replace(b"\xa6\x61v\x01", b"\xa7\x61v\x01\x61v\x01", 1)
    assert duplicated != plain
    _defers(_text(duplicated), "cbor.duplicate_key")


def test_what_is_not_a_str_is_left_to_python() -> None:
    assert _native()(GOOD.encode()) is None  # type: ignore[arg-type]
    assert _native()(type("S", (str,), {})(GOOD)) is None
    assert scan.read_answer(GOOD) is not None


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_agrees_on_mutated_texts(data: st.DataObject) -> None:
    text = list(GOOD)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text) - 1))
        text[at] = data.draw(st.sampled_from(frames.FAMILY + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:\n"))
    _agree("".join(text))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_agrees_on_mutated_messages(data: st.DataObject) -> None:
    message = bytearray(_response())
    for _ in range(data.draw(st.integers(1, 3))):
        message[data.draw(st.integers(0, len(message) - 1))] = data.draw(st.integers(0, 255))
    _agree(_text(bytes(message)))


def test_a_request_is_read_the_long_way() -> None:
    request = QrRequest.create(nonce=NONCE, verifier="shop", items={"a": ("b",)}, expires=dt.datetime.now(dt.UTC))
    text = _text(request.to_cbor())
    assert _native()(text) is None
    assert isinstance(decode_qr_message(single_code(text) or b""), QrRequest)


def test_without_the_c_part_nothing_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "_native", None)
    assert scan.read_answer(GOOD) is None


@pytest.mark.parametrize("switch", [native.PURE, "MOBILEID_PURE_SCAN"])
def test_its_switches_leave_it_out(switch: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(switch, "1")
    assert native.load("specs.qr._scan", "MOBILEID_PURE_SCAN") is None


def test_errors_keep_their_words() -> None:
    with pytest.raises(QrError):
        decode_qr_message(_response(m=3))
