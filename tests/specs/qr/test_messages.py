"""QR messages (specs/qr-presentation.md §4): types are exact (§3.1). ``1.0 == 1`` and ``True == 1`` in Python,
but a float or a simple value where the profile says integer is another CBOR major type and is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.cbor import encode
from specs.errors import QrError, StructureError
from specs.mdoc.transcript import SessionTranscript
from specs.qr.presentation import QrRequest, QrResponse, decode_qr_message, one_way_transcript
from specs.trust.bundle import TrustBundle

NONCE = bytes(range(16))
REQUEST = {"v": 1, "nonce": NONCE, "verifier": "Corner shop", "items": {"kr.mobileid.age.1": ["age_over_19"]},
           "exp": 1780306500}
ONE_WAY = {"v": 1, "m": 2, "f": "mdoc", "d": b"\xa0", "n": NONCE, "t": 1780306200}


def _request(**changes: Any) -> bytes:
    return encode(["req", encode({**REQUEST, **changes}), None])


def _response(**changes: Any) -> bytes:
    return encode(["resp", {**ONE_WAY, **changes}])


def test_integers_decode() -> None:
    assert isinstance(decode_qr_message(_request()), QrRequest)
    response = decode_qr_message(_response())
    assert isinstance(response, QrResponse) and response.mode == 2
    two_way = {k: v for k, v in ONE_WAY.items() if k not in ("n", "t")}
    assert decode_qr_message(encode(["resp", {**two_way, "m": 1}])) == QrResponse(1, "mdoc", b"\xa0")


@pytest.mark.parametrize(("message", "code"), [
    (_request(v=1.0), "qr.version"),
    (_request(v=True), "qr.version"),
    (_request(exp=1780306500.0), "qr.malformed"),
    (_response(v=1.0), "qr.version"),
    (_response(m=2.0), "qr.malformed"),
    (_response(m=True), "qr.malformed"),
    (_response(t=1780306200.0), "qr.malformed"),
    (_response(t=1780306200.5), "qr.malformed"),
])
def test_a_float_where_an_integer_belongs_is_refused(message: bytes, code: str) -> None:
    with pytest.raises(QrError) as info:
        decode_qr_message(message)
    assert info.value.code == code


def test_trust_bundle_version_is_an_integer() -> None:
    when = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    bundle = {"version": 1, "issuer": "x", "issuedAt": when, "nextUpdate": when, "vical": b"", "documentSigners": [],
              "statusLists": []}
    assert TrustBundle.from_cbor(encode(bundle)).issuer == "x"
    with pytest.raises(StructureError) as info:
        TrustBundle.from_cbor(encode({**bundle, "version": 1.0}))
    assert "integer" in info.value.message


@settings(max_examples=200)
@given(st.binary(max_size=300), st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31),
                                             timezones=st.just(dt.UTC)))
def test_one_way_transcript_is_the_generic_encoding(nonce: bytes, when: dt.datetime) -> None:
    """The one-way SessionTranscript is assembled from its constant head: the same bytes (and value) as the
    generic encoder gives for ``[null, null, ["MobileIdQR", 2, n, t]]``, for any nonce length and time."""
    expected = SessionTranscript.build(None, None, ["MobileIdQR", 2, nonce, int(when.timestamp())])
    built = one_way_transcript(nonce, when)
    assert built.encoded == expected.encoded == encode([None, None, ["MobileIdQR", 2, nonce, int(when.timestamp())]])
    assert built == expected
    assert SessionTranscript.from_cbor(built.encoded) == expected


@settings(max_examples=100)
@given(st.sampled_from([1, 2]), st.sampled_from(["mdoc", "sd-jwt"]), st.binary(min_size=16, max_size=64),
       st.integers(0, 253402300799))
def test_decoded_response_is_the_constructor_s_object(mode: int, fmt: str, nonce: bytes, seconds: int) -> None:
    """A decoded response (built by its slots) equals the one its constructor makes, field for field, and is
    frozen; what it encodes to decodes to it again."""
    from dataclasses import FrozenInstanceError

    when = dt.datetime.fromtimestamp(seconds, dt.UTC)
    data: bytes | str = b"\xa0" if fmt == "mdoc" else "e30.e30.sig~"
    made = QrResponse(mode, fmt, data, nonce, when) if mode == 2 else QrResponse(mode, fmt, data)  # type: ignore[arg-type]
    decoded = decode_qr_message(made.to_cbor())
    assert decoded == made and type(decoded) is QrResponse
    assert (decoded.mode, decoded.format, decoded.data, decoded.nonce, decoded.time) == (
        made.mode, made.format, made.data, made.nonce, made.time)
    with pytest.raises(FrozenInstanceError):
        decoded.mode = 1  # type: ignore[misc]
