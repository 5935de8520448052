"""Security suite, CBOR (RFC 8949, ISO/IEC 18013-5 §8.6): resource bombs and ambiguous encodings fail closed."""

from __future__ import annotations

import datetime as dt

import cbor2
import pytest

from specs.cbor import EncodedCBOR, decode
from specs.errors import (
    CborDepthError,
    CborDuplicateKeyError,
    CborError,
    CborSizeError,
    CborTagError,
    CborTrailingBytesError,
    MobileIdError,
)
from specs.mdoc.response import MAX_RESPONSE_SIZE, DeviceResponse
from specs.mdoc.transcript import SessionTranscript
from specs.x509 import TrustStore
from verifier.trust import VerifierTrust
from verifier.verify import verify_mdoc

TRANSCRIPT = SessionTranscript.build(None, None, ["h", b"\x00" * 16])


def _refused(data: bytes, error: type[MobileIdError], code: str) -> None:
    with pytest.raises(error) as info:
        decode(data)
    assert type(info.value) is error and info.value.code == code
    # The same bytes as a DeviceResponse at the verifier: valid False, no claims, the same code.
    result = verify_mdoc(data, trust=VerifierTrust(TrustStore.of([])), transcript=TRANSCRIPT,
                         now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert result.valid is False and result.claims == {}
    assert [e.code for e in result.errors] == [code]


@pytest.mark.parametrize("data", [b"\x81" * 100_000 + b"\x00", b"\xa1\x00" * 50_000 + b"\x00",
                                  b"\xd8\x18" * 1000 + b"\x00"],
                         ids=["arrays", "maps", "tags"])
def test_cbor_depth_bomb(data: bytes) -> None:
    """Deeply nested items stop at the depth limit, not at the interpreter's stack (RFC 8949 §10, 18013-5 §8.6)."""
    with pytest.raises(CborError) as info:
        decode(data)
    assert info.value.code in {"cbor.too_deep", "cbor.tag_not_allowed", "cbor.malformed"}
    if data[0] != 0xD8:
        _refused(data, CborDepthError, "cbor.too_deep")


def test_cbor_depth_bomb_inside_encoded_cbor() -> None:
    """A tag-24 item is decoded with the same depth limit as its container (18013-5 §8.1 tag 24)."""
    inner = b"\x81" * 1000 + b"\x00"
    wrapped = decode(cbor2.dumps(cbor2.CBORTag(24, inner)))
    assert isinstance(wrapped, EncodedCBOR)
    with pytest.raises(CborDepthError) as info:
        wrapped.decode()
    assert info.value.code == "cbor.too_deep"


@pytest.mark.parametrize("head", ["9bffffffffffffffff", "bbffffffffffffffff", "5bffffffffffffffff",
                                  "7bffffffffffffffff", "9affffffff", "5a7fffffff"],
                         ids=["array-2^64", "map-2^64", "bstr-2^64", "tstr-2^64", "array-2^32", "bstr-2^31"])
def test_cbor_length_bomb(head: str) -> None:
    """A length header promising more than the input holds fails without allocating it (RFC 8949 §10)."""
    _refused(bytes.fromhex(head) + b"\x00", CborError, "cbor.malformed")


def test_cbor_size_limit() -> None:
    """Input beyond the caller's byte cap is refused before decoding (18013-5 §8.6: limits are ours)."""
    with pytest.raises(CborSizeError) as info:
        DeviceResponse.from_cbor(b"\x40" * (MAX_RESPONSE_SIZE + 1))
    assert info.value.code == "cbor.too_large"
    _refused(b"\x5a" + (600_000).to_bytes(4, "big") + b"\x00" * 600_000, CborSizeError, "cbor.too_large")


@pytest.mark.parametrize("hex_input", ["d81c8100", "82d81c8100d81d00", "d81d00"],
                         ids=["shareable", "shared-ref", "dangling-ref"])
def test_cbor_shared_reference_tags(hex_input: str) -> None:
    """Tags 28/29 (value sharing: aliasing, cycles, "billion laughs") are refused (RFC 8949 §3.4, IANA)."""
    _refused(bytes.fromhex(hex_input), CborTagError, "cbor.tag_not_allowed")


@pytest.mark.parametrize("hex_input", ["c249010000000000000000", "c349010000000000000000", "c4820001",
                                       "c5820001"], ids=["bignum", "neg-bignum", "decimal", "bigfloat"])
def test_cbor_bignums(hex_input: str) -> None:
    """Bignums and decimal/big floats (tags 2-5) are refused: no mdoc field uses them (RFC 8949 §3.4.3)."""
    _refused(bytes.fromhex(hex_input), CborTagError, "cbor.tag_not_allowed")


@pytest.mark.parametrize("hex_input", ["a2616101616102", "a201010102", "a2011801011802", "a2810001810002",
                                       "a20101f93c0002"],
                         ids=["text", "int", "non-shortest", "array-key", "int-vs-float"])
def test_cbor_duplicate_keys(hex_input: str) -> None:
    """A map with the same key twice is refused, not last-wins (RFC 8949 §5.6, 18013-5 §8.6)."""
    _refused(bytes.fromhex(hex_input), CborDuplicateKeyError, "cbor.duplicate_key")


def test_cbor_duplicate_nan_keys() -> None:
    """Two byte-identical NaN keys (f97e00) are the same key and must be refused (RFC 8949 §5.6)."""
    with pytest.raises(CborDuplicateKeyError):
        decode(bytes.fromhex("a2f97e0001f97e0002"))


@pytest.mark.parametrize(("hex_input", "error", "code"), [
    ("0102", CborTrailingBytesError, "cbor.trailing_bytes"),
    ("5f4101ff", CborError, "cbor.malformed"),
    ("9f01ff", CborError, "cbor.malformed"),
], ids=["trailing", "indefinite-bstr", "indefinite-array"])
def test_cbor_trailing_and_indefinite(hex_input: str, error: type[MobileIdError], code: str) -> None:
    """Trailing bytes and indefinite lengths (smuggling, non-deterministic forms) are refused (RFC 8949 §4.2)."""
    _refused(bytes.fromhex(hex_input), error, code)
