"""Base45 (RFC 9285): bytes as text in the QR alphanumeric alphabet.

Two bytes become three characters (``c + d*45 + e*45*45 = a*256 + b``), a trailing byte two. The
alphabet is exactly QR's alphanumeric set, so a QR encoder stays in alphanumeric mode (5.5 bits per
character instead of 8), which is why 600 bytes of CBOR fit a version-19 code at level M.
"""

from __future__ import annotations

from collections.abc import Callable

from specs import native
from specs.errors import Base45Error

__all__ = ["ALPHABET", "Base45Error", "b45decode", "b45encode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_TABLE = bytes(_VALUE.get(chr(i), 0xFF) for i in range(256))


def b45encode(data: bytes) -> str:
    """RFC 9285 §4.1."""
    out: list[str] = []
    append = out.append
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        append(ALPHABET[c] + ALPHABET[d] + ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        append(ALPHABET[c] + ALPHABET[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """RFC 9285 §4.2: rejects characters outside the alphabet, a length of 1 mod 3 and overflow."""
    if _native is not None:
        decoded = _native(text)
        if decoded is not None:
            return decoded
    return _b45decode_python(text)


def _b45decode_python(text: str) -> bytes:
    if len(text) % 3 == 1:
        raise Base45Error("base45 text has an impossible length")
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise Base45Error("base45 text has a character outside the alphabet") from None
    # One C-level pass maps characters to their values (0..44); anything else becomes 0xFF.
    values = raw.translate(_TABLE)
    if b"\xff" in values:
        raise Base45Error("base45 text has a character outside the alphabet")
    full = len(values) - len(values) % 3
    count = full // 3
    # Every triplet's c + 45 d + 2025 e at once: the c, d and e of triplet i go into the low byte of 32-bit
    # field i of three big integers; one sum of those leaves each triplet's value (at most 91,124, so no
    # carry crosses a field) in its own field. C-level work only, where a loop per triplet costs 10x more.
    fields = bytearray(4 * count)
    fields[3::4] = values[0:full:3]
    c = int.from_bytes(fields, "big")
    fields[3::4] = values[1:full:3]
    d = int.from_bytes(fields, "big")
    fields[3::4] = values[2:full:3]
    e = int.from_bytes(fields, "big")
    packed = (c + 45 * d + 2025 * e).to_bytes(4 * count, "big")
    if packed[1::4].lstrip(b"\x00"):  # a value above 0xFFFF
        raise Base45Error("base45 triplet exceeds 16 bits")
    out = bytearray(2 * count)
    out[0::2] = packed[2::4]
    out[1::2] = packed[3::4]
    if full != len(values):
        n = values[full] + values[full + 1] * 45
        if n > 0xFF:
            raise Base45Error("base45 final pair exceeds 8 bits")
        out.append(n)
    return bytes(out)


# The C part: the common case of ``b45decode`` (specs/qr/_base45.c), built when a C compiler was there at install
# time. It returns exactly what ``_b45decode_python`` returns, or None for anything it is not sure of (every error
# included), which ``_b45decode_python`` then decides. MOBILEID_PURE_BASE45=1 leaves it out, and so does
# MOBILEID_PURE_CBOR=1, which switches off every C part of specs.
_base45 = native.load("specs.qr._base45", "MOBILEID_PURE_BASE45")
_native: Callable[[str], bytes | None] | None = None if _base45 is None else _base45.decode
