"""The mobileid QR presentation profile: base45 (RFC 9285) text frames of zlib-compressed CBOR."""

from specs.qr.base45 import ALPHABET, b45decode, b45encode
from specs.qr.frames import MAX_FRAMES, MAX_MESSAGE, PREFIX, FrameCollector, decode_message, encode_message

__all__ = [
    "ALPHABET",
    "MAX_FRAMES",
    "MAX_MESSAGE",
    "PREFIX",
    "FrameCollector",
    "b45decode",
    "b45encode",
    "decode_message",
    "encode_message",
]
