"""QR text framing of the mobileid presentation profile: CBOR -> zlib -> base45 behind a versioned prefix.

One code::     MID2:<base45(zlib(message, preset dictionary))>
Many codes::   MID2/<i>/<n>/<id>:<base45(chunk i of zlib(message))>     i = 1..n, any order

``id`` is six upper-case hex digits of SHA-256 over the compressed message, so frames of two messages
shown one after the other cannot be mixed (the reassembled message must hash to its id). Every character
is in QR's alphanumeric set (RFC 9285 alphabet), so an encoder keeps alphanumeric mode throughout.
The prefix names the profile version and so the preset dictionary (``specs.qr.dictionary``); the zlib
header's DICTID must be that dictionary's (checked before inflating). Encoders write the current version
(``MID2``); decoders accept every version listed in ``DICTIONARIES``. The full profile is in
``specs/qr-presentation.md``.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from specs.errors import QrFrameError
from specs.qr.base45 import b45decode, b45encode
from specs.qr.dictionary import CURRENT, DICTIONARIES, ProfileDictionary

__all__ = ["FAMILY", "MAX_FRAMES", "MAX_FRAME_BYTES", "MAX_MESSAGE", "MAX_SINGLE_TEXT", "PREFIX", "FrameCollector",
           "collect", "decode_message", "encode_message", "is_profile_text", "one_message", "profile_texts",
           "single_code"]

PREFIX = CURRENT  # what encoders write
FAMILY = "MID"  # every version's prefix starts with it: "a mobileid code", whatever its version
MAX_MESSAGE = 64 * 1024  # inflated; a licence with its portrait is ~3 KB
MAX_FRAMES = 16
_MAX_TEXT = 8 * 1024  # one QR code holds at most 4,296 alphanumeric characters
# A version 25 code at error correction M holds 1,451 alphanumeric characters: a 16-character frame header
# plus base45 of at most 956 bytes. Larger messages become ceil(compressed / 950) frames (profile §5).
MAX_SINGLE_TEXT = 1451
MAX_FRAME_BYTES = 950


def _message_id(compressed: bytes) -> str:
    return hashlib.sha256(compressed).hexdigest()[:6].upper()


def encode_message(message: bytes, *, frames: int = 1) -> tuple[str, ...]:
    """The QR texts for ``message`` in ``frames`` codes of about equal size."""
    if not 1 <= frames <= MAX_FRAMES:
        raise ValueError(f"frames must be 1..{MAX_FRAMES}")
    compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARIES[PREFIX].data)
    compressed = compressor.compress(message) + compressor.flush()
    if frames == 1:
        return (f"{PREFIX}:{b45encode(compressed)}",)
    size = -(-len(compressed) // frames)
    size += size % 2  # even chunks encode to whole base45 triplets
    chunks = [compressed[i : i + size] for i in range(0, len(compressed), size)]
    ident = _message_id(compressed)
    return tuple(f"{PREFIX}/{i}/{len(chunks)}/{ident}:{b45encode(c)}" for i, c in enumerate(chunks, 1))


def profile_texts(message: bytes) -> tuple[str, ...]:
    """The texts to show for ``message`` (specs/qr-presentation.md §5): one code while it fits a version 25
    code at level M, else ``ceil(len(compressed) / MAX_FRAME_BYTES)`` frames, each within version 25."""
    single = encode_message(message)
    if len(single[0]) <= MAX_SINGLE_TEXT:
        return single
    compressed = (len(single[0]) - len(PREFIX) - 1) * 2 // 3  # base45: 3 characters per 2 bytes
    return encode_message(message, frames=-(-compressed // MAX_FRAME_BYTES))


def is_profile_text(text: str | bytes) -> bool:
    """True when ``text`` (a scanned QR text or a line of a file) is a frame of this profile, any version."""
    head = text.lstrip()[:len(FAMILY)]
    return head == (FAMILY if isinstance(head, str) else FAMILY.encode())


def _check_dictionary(compressed: bytes, dictionary: ProfileDictionary) -> None:
    """RFC 1950 §2.2: CMF, FLG (FCHECK, FDICT) and the DICTID that names the preset dictionary. A stream
    made with another dictionary (or none) is refused here, by name, instead of failing somewhere inside
    DEFLATE or, worse, inflating to other bytes."""
    if len(compressed) < 2 or compressed[0] & 0x0F != 8 or compressed[0] >> 4 > 7 or (
            compressed[0] << 8 | compressed[1]) % 31:
        raise QrFrameError("QR payload is not zlib data", code="qr.frame_not_zlib")
    if not compressed[1] & 0x20 or len(compressed) < 6:
        raise QrFrameError(f"QR payload is not compressed with the {dictionary.version} dictionary",
                           code="qr.frame_dictionary")
    if int.from_bytes(compressed[2:6], "big") != dictionary.dictid:
        raise QrFrameError(f"QR payload names another dictionary than {dictionary.version}'s "
                           f"(DICTID {compressed[2:6].hex().upper()})", code="qr.frame_dictionary")


def _inflate(compressed: bytes, dictionary: ProfileDictionary) -> bytes:
    _check_dictionary(compressed, dictionary)
    inflater = zlib.decompressobj(15, dictionary.data)
    try:
        out = inflater.decompress(compressed, MAX_MESSAGE + 1)
    except zlib.error:
        raise QrFrameError("QR payload is not zlib data", code="qr.frame_not_zlib") from None
    if len(out) > MAX_MESSAGE or inflater.unconsumed_tail:
        raise QrFrameError(f"QR payload inflates beyond {MAX_MESSAGE} bytes", code="qr.frame_too_large")
    if not inflater.eof or inflater.unused_data:
        raise QrFrameError("QR payload is truncated or has trailing data", code="qr.frame_not_zlib")
    return out


@dataclass(frozen=True, slots=True)
class _Frame:
    version: str
    index: int
    total: int
    ident: str
    data: bytes


def _parse(text: str) -> _Frame:
    text = text.strip()
    if len(text) > _MAX_TEXT:
        raise QrFrameError("QR text is too long", code="qr.frame_too_large")
    head, sep, body = text.partition(":")
    if not sep or not head.startswith(FAMILY):
        raise QrFrameError(f"not a mobileid QR code (no {FAMILY} prefix)", code="qr.frame_prefix")
    if head in DICTIONARIES:
        return _Frame(head, 1, 1, "", b45decode(body))
    parts = head.split("/")
    if parts[0] not in DICTIONARIES:
        raise QrFrameError(f"unsupported mobileid QR version (this reader knows {', '.join(DICTIONARIES)})",
                           code="qr.frame_version")
    if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit() or len(parts[3]) != 6 or not all(
            c in "0123456789ABCDEF" for c in parts[3]):
        raise QrFrameError("malformed frame header", code="qr.frame_header")
    index, total = int(parts[1]), int(parts[2])
    if not 1 <= index <= total <= MAX_FRAMES:
        raise QrFrameError("frame number out of range", code="qr.frame_header")
    return _Frame(parts[0], index, total, parts[3], b45decode(body))


@dataclass(slots=True)
class FrameCollector:
    """Collects the frames of one message in any order; repeated frames are ignored."""

    _frames: dict[int, _Frame] = field(default_factory=dict)
    _total: int = 0
    _ident: str = ""
    _version: str = ""

    def add(self, text: str) -> bool:
        """Add one scanned text; True once the message is complete. Raises on a foreign frame."""
        self._put(_parse(text))
        return self.complete

    def _put(self, frame: _Frame) -> None:
        if self._frames and (frame.version, frame.total, frame.ident) != (self._version, self._total, self._ident):
            raise QrFrameError("frame belongs to another message", code="qr.frame_mixed")
        self._version, self._total, self._ident = frame.version, frame.total, frame.ident
        self._frames.setdefault(frame.index, frame)

    @property
    def complete(self) -> bool:
        return self._total > 0 and len(self._frames) == self._total

    @property
    def progress(self) -> tuple[int, int]:
        return len(self._frames), self._total

    def message(self) -> bytes:
        if not self.complete:
            raise QrFrameError("message is incomplete", code="qr.frame_incomplete")
        if self._total == 1:  # one code: nothing to join or check against a message id
            return _inflate(self._frames[1].data, DICTIONARIES[self._version])
        compressed = b"".join(self._frames[i].data for i in range(1, self._total + 1))
        if _message_id(compressed) != self._ident:
            raise QrFrameError("frames do not reassemble to their message id", code="qr.frame_mixed")
        return _inflate(compressed, DICTIONARIES[self._version])


def one_message(texts: Iterable[str]) -> tuple[str, ...]:
    """The distinct profile texts among ``texts`` (what one picture or one scan showed), each once, when they
    are all frames of one message. Two different codes in one place (``qr.ambiguous``) or frames of two
    messages (``qr.frame_mixed``) are refused: checking whichever the decoder happened to return first would
    let a second code hide behind the first.
    The same code twice is fine; texts that are not mobileid codes are left out (not ours to judge)."""
    return tuple(_distinct(texts))


def collect(texts: Iterable[str]) -> FrameCollector:
    """``one_message(texts)`` added to a new ``FrameCollector``, each text parsed (and its base45 decoded) once
    instead of once by each: the same checks, in the same order, with the same errors."""
    collector = FrameCollector()
    for frame in _distinct(texts).values():
        collector._put(frame)
    return collector


def _distinct(texts: Iterable[str]) -> dict[str, _Frame]:
    seen: dict[str, _Frame] = {}
    for text in texts:
        text = text.strip()
        if text in seen or not is_profile_text(text):
            continue
        frame = _parse(text)
        for other in seen.values():
            if (frame.version, frame.total, frame.ident) != (other.version, other.total, other.ident):
                raise QrFrameError("frame belongs to another message", code="qr.frame_mixed")
            if frame.index == other.index:  # two single codes, or one frame twice with different content
                raise QrFrameError("two different mobileid codes at once: show one at a time", code="qr.ambiguous")
        seen[text] = frame
    return seen


def single_code(text: str) -> bytes | None:
    """The message of ``text`` when it is one single-code text (``MID2:<base45>``, the common scan), read
    without a collector: ``collect([text]).message()`` makes the same checks in the same order (length, prefix,
    base45, zlib header and DICTID, inflate) and raises the same errors, through three objects and a dozen
    calls that cost as much as the inflating. None for any other text (a frame of several, a foreign or a
    malformed prefix, a text too long), which ``collect`` then reads and judges."""
    text = text.strip()
    if len(text) > _MAX_TEXT:
        return None
    head, sep, body = text.partition(":")
    dictionary = DICTIONARIES.get(head) if sep else None
    if dictionary is None:
        return None
    return _inflate(b45decode(body), dictionary)


def decode_message(texts: Iterable[str]) -> bytes:
    """The message carried by ``texts`` (all frames of one message, any order)."""
    collector = FrameCollector()
    for text in texts:
        collector.add(text)
    return collector.message()
