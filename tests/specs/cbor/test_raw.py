"""Raw helpers on the hot path agree with the strict decoder."""

from __future__ import annotations

import cbor2
from hypothesis import given
from hypothesis import strategies as st

from specs.cbor import EncodedCBOR, decode
from specs.cbor.raw import unwrap_tag24


@given(st.binary(max_size=70000))
def test_unwrap_tag24_matches_decoder(content: bytes) -> None:
    encoded = cbor2.dumps(cbor2.CBORTag(24, content))
    assert unwrap_tag24(encoded) == content == decode(encoded).data
    assert unwrap_tag24(encoded + b"\x00") is None


@given(st.binary(max_size=40))
def test_unwrap_tag24_never_accepts_what_the_decoder_refuses(data: bytes) -> None:
    content = unwrap_tag24(data)
    if content is not None:
        value = decode(data)
        assert isinstance(value, EncodedCBOR) and value.data == content
