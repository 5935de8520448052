"""The mobileid QR presentation profile: base45 (RFC 9285) text frames of zlib-compressed CBOR."""

from specs.qr.base45 import ALPHABET, b45decode, b45encode
from specs.qr.frames import (
    FAMILY,
    MAX_FRAME_BYTES,
    MAX_FRAMES,
    MAX_MESSAGE,
    MAX_SINGLE_TEXT,
    PREFIX,
    FrameCollector,
    collect,
    decode_message,
    encode_message,
    is_profile_text,
    one_message,
    profile_texts,
    single_code,
)

__all__ = [
    "ALPHABET",
    "FAMILY",
    "MAX_FRAMES",
    "MAX_FRAME_BYTES",
    "MAX_MESSAGE",
    "MAX_SINGLE_TEXT",
    "PREFIX",
    "FrameCollector",
    "b45decode",
    "b45encode",
    "collect",
    "decode_message",
    "encode_message",
    "is_profile_text",
    "one_message",
    "profile_texts",
    "single_code",
]
