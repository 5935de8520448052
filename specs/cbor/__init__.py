"""Strict CBOR (RFC 8949) for mobileid: one decoder per message with size, depth and tag limits."""

from specs.cbor.codec import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_SIZE,
    MAP,
    MDOC_TAGS,
    EncodedCBOR,
    decode,
    encode,
)

__all__ = ["DEFAULT_MAX_DEPTH", "DEFAULT_MAX_SIZE", "MAP", "MDOC_TAGS", "EncodedCBOR", "decode", "encode"]
