"""Building CBOR around already-encoded items, so received bytes are embedded exactly."""

from __future__ import annotations

import cbor2


def array_header(length: int) -> bytes:
    """The initial bytes of a definite-length array of ``length`` items (RFC 8949 §3.1, type 4)."""
    return _head(4, length)


def bstr_header(length: int) -> bytes:
    return _head(2, length)


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([(major << 5) | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([(major << 5) | info]) + n.to_bytes(size, "big")
    raise ValueError("length too large")


def raw_array(*encoded_items: bytes) -> bytes:
    """The encoding of an array whose items are given already encoded."""
    return array_header(len(encoded_items)) + b"".join(encoded_items)


_TAG24_HEADS = tuple(b"\xd8\x18" + _head(2, n) for n in range(256))


def tag24(encoded: bytes) -> bytes:
    """``#6.24(bstr .cbor T)`` around an encoded item."""
    n = len(encoded)
    return (_TAG24_HEADS[n] if n < 256 else b"\xd8\x18" + bstr_header(n)) + encoded


def encode_plain(value: object) -> bytes:
    """Plain cbor2 encoding for simple values (strings, ints) on hot paths."""
    return cbor2.dumps(value)


def unwrap_tag24(data: bytes) -> bytes | None:
    """The content of ``data`` when it is exactly one ``#6.24(bstr)`` item, else None (hot path: no decoder)."""
    if len(data) < 3 or data[0] != 0xD8 or data[1] != 0x18 or data[2] >> 5 != 2:
        return None
    info = data[2] & 0x1F
    if info < 24:
        start, length = 3, info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        start = 3 + size
        length = int.from_bytes(data[3:start], "big")
        if (size > 1 and length < (1 << (4 * size))) or (size == 1 and length < 24):
            return None  # non-minimal length: let the strict decoder refuse it
    else:
        return None
    return data[start:] if len(data) - start == length else None
