"""Strict CBOR decoding and deterministic encoding (RFC 8949 §4.2) over cbor2's C codec.

Decoding is strict, the way a verifier facing the open world must be (ISO/IEC 18013-5 §8.6 leaves
the limits to the implementation; these are ours):

* the input is capped in size (``max_size``) and nesting depth (``max_depth``);
* only the tags the caller allows are accepted; every other tag, including cbor2's own semantic ones
  (shared references 28/29, bignums 2/3, decimal fractions, regexes, ...) is rejected;
* duplicate map keys, indefinite lengths and trailing bytes are rejected;
* tag 24 (encoded CBOR data item, RFC 8949 §3.4.5.1) becomes an ``EncodedCBOR`` holding the *received*
  bytes: digests and signatures are computed over those, never over a re-encoding.

Every failure is a ``CborError`` subclass (see ``specs.errors``).
"""

from __future__ import annotations

import datetime as _dt
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cbor2

from specs import native
from specs.errors import (
    CborDepthError,
    CborDuplicateKeyError,
    CborError,
    CborSizeError,
    CborTagError,
    CborTrailingBytesError,
    StructureError,
)

DEFAULT_MAX_SIZE = 256 * 1024
DEFAULT_MAX_DEPTH = 24

#: ``isinstance(value, MAP)``: a decoded CBOR map (a dict, or cbor2's immutable map inside tags), with the
#: common case (dict) answered without the slower abstract-base-class check.
MAP = (dict, Mapping)

TAG_TDATE = 0
TAG_EPOCH = 1
TAG_ENCODED_CBOR = 24
TAG_FULL_DATE = 1004

#: The tags an ISO/IEC 18013-5 message may carry: tdate, full-date and encoded CBOR (§8.3, §7.2.1).
MDOC_TAGS: frozenset[int] = frozenset({TAG_TDATE, TAG_ENCODED_CBOR, TAG_FULL_DATE})

# Tags cbor2 would otherwise decode by itself; each is refused unless the caller allows it.
_CBOR2_BUILTIN_TAGS = (0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260,
                       261, 1004, 55799)

# RFC 3339 date-time without fractional seconds, as ISO/IEC 18013-5 §7.2.1 requires for tdate.
_TDATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
_FULL_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class EncodedCBOR:
    """``#6.24(bstr .cbor T)``: an embedded CBOR item, kept as the bytes that were received."""

    data: bytes

    @classmethod
    def wrap(cls, value: object) -> EncodedCBOR:
        """Encode ``value`` and embed it (issuance side: these bytes are then what gets hashed)."""
        return cls(encode(value))

    def decode(
        self,
        *,
        allowed_tags: Iterable[int] = MDOC_TAGS,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> Any:
        return decode(self.data, allowed_tags=allowed_tags, max_depth=max_depth,
                      max_size=len(self.data))

    def tagged_bytes(self) -> bytes:
        """The encoding of the tag-24 item itself (what ``...Bytes`` digests are taken over)."""
        return cbor2.dumps(cbor2.CBORTag(TAG_ENCODED_CBOR, self.data))


def _reject(tag: int) -> Callable[[Any], Any]:
    def refuse(value: Any) -> Any:
        raise CborTagError(f"CBOR tag {tag} is not allowed here")

    return refuse


def _decode_tdate(value: Any) -> _dt.datetime:
    if not isinstance(value, str) or not _TDATE_RE.match(value):
        raise StructureError("tdate must be an RFC 3339 date-time without fractions")
    try:
        return _dt.datetime.fromisoformat(value)  # Python 3.11 reads "Z" itself
    except ValueError:
        raise StructureError("tdate is not a valid date-time") from None


def _decode_full_date(value: Any) -> _dt.date:
    if not isinstance(value, str) or not _FULL_DATE_RE.match(value):
        raise StructureError("full-date must be YYYY-MM-DD")
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise StructureError("full-date is not a valid date") from None


def _decode_epoch(value: Any) -> _dt.datetime:
    if type(value) is not int:
        raise StructureError("epoch time must be an integer")
    try:
        return _dt.datetime.fromtimestamp(value, _dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise StructureError("epoch time is out of range") from None


def _decode_encoded_cbor(value: Any) -> EncodedCBOR:
    if not isinstance(value, bytes):
        raise StructureError("tag 24 must wrap a byte string")
    return EncodedCBOR(value)


_ALLOWED_DECODERS: dict[int, Callable[[Any], Any]] = {
    TAG_TDATE: _decode_tdate,
    TAG_EPOCH: _decode_epoch,
    TAG_ENCODED_CBOR: _decode_encoded_cbor,
    TAG_FULL_DATE: _decode_full_date,
}


def _semantic(decode_value: Callable[[Any], Any]) -> Any:
    """A cbor2 semantic decoder that calls ``decode_value(content)`` once the tag's content is decoded.

    cbor2 6 first looks for the attributes of a "shareable" decoder on every semantic decoder it calls, and a
    plain function makes that lookup raise (and swallow) an AttributeError each time. Declared shareable with
    no container, the decoder is asked for its callback instead: the same result, without the exception.
    """
    pair = (None, decode_value)

    def start(immutable: bool) -> tuple[None, Callable[[Any], Any]]:
        return pair

    return cbor2.shareable_decoder(start)


_decoder_cache: dict[frozenset[int], dict[int, Any]] = {}


def _semantic_decoders(allowed: frozenset[int]) -> dict[int, Any]:
    """cbor2's own tags (and tag 24): refused, or decoded strictly when allowed. Any tag with an entry here is
    found by cbor2 without a failed lookup (which costs an exception)."""
    table = _decoder_cache.get(allowed)
    if table is None:
        table = {t: _semantic(_reject(t)) for t in (*_CBOR2_BUILTIN_TAGS, TAG_ENCODED_CBOR)}
        for t in allowed:
            if t in _ALLOWED_DECODERS:
                table[t] = _semantic(_ALLOWED_DECODERS[t])
            elif t in table:
                del table[t]  # nothing in the codebase asks for this; kept generic
        _decoder_cache[allowed] = table
    return table


_hook_cache: dict[frozenset[int], Callable[[cbor2.CBORTag, bool], Any]] = {}


def _tag_hook(allowed: frozenset[int]) -> Callable[[cbor2.CBORTag, bool], Any]:
    """Tags cbor2 knows nothing of (COSE's 17 and 18, ...): refused unless allowed, then kept as ``CBORTag``."""
    hook = _hook_cache.get(allowed)
    if hook is None:

        def hook(tag: cbor2.CBORTag, immutable: bool) -> Any:
            if tag.tag not in allowed:
                raise CborTagError(f"CBOR tag {tag.tag} is not allowed here")
            return tag

        _hook_cache[allowed] = hook
    return hook


def _check_map_keys(first: Any, second: Any) -> Any:
    """cbor2 finds duplicate keys by dict membership, and NaN never equals itself: two NaN keys would slip
    through (RFC 8949 §5.6). No message of ours has float keys, so any NaN key is refused.
    (cbor2 6 calls ``hook(map, immutable)``, cbor2 5 ``hook(decoder, map)``.)"""
    value = first if first.__class__ is dict or isinstance(first, Mapping) else second
    for key in value:
        if key.__class__ is float and key != key:
            raise CborDuplicateKeyError("CBOR map has a NaN key")
    return value


_tag_sets: dict[tuple[int, ...], frozenset[int]] = {}


def _tag_set(tags: Iterable[int]) -> frozenset[int]:
    """``tags`` as a frozenset; the tuples callers pass are converted once."""
    if isinstance(tags, frozenset):
        return tags
    if isinstance(tags, tuple):
        found = _tag_sets.get(tags)
        if found is None:
            found = frozenset(tags)
            if len(_tag_sets) < 64:
                _tag_sets[tags] = found
        return found
    return frozenset(tags)


_options_cache: dict[tuple[frozenset[int], int], dict[str, Any]] = {}


def _options(allowed: frozenset[int], max_depth: int) -> dict[str, Any]:
    """The decoder's keyword arguments for one (tags, depth) pair, built once."""
    options = _options_cache.get((allowed, max_depth))
    if options is None:
        options = {"tag_hook": _tag_hook(allowed), "semantic_decoders": _semantic_decoders(allowed),
                   "max_depth": max_depth, "allow_indefinite": False, "allow_duplicate_keys": False,
                   "object_hook": _check_map_keys}
        if len(_options_cache) < 64:
            _options_cache[(allowed, max_depth)] = options
    return options

def decode(
    data: bytes,
    *,
    allowed_tags: Iterable[int] = MDOC_TAGS,
    max_size: int = DEFAULT_MAX_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Decode exactly one CBOR item from ``data``, strictly (see the module docstring).

    Tags in ``allowed_tags`` other than 0, 1, 24 and 1004 come back as ``cbor2.CBORTag`` for the
    caller to interpret (for example COSE's 17 and 18).
    """
    if data.__class__ is not bytes and not isinstance(data, (bytes, bytearray, memoryview)):
        raise CborError(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_size:
        raise CborSizeError(f"CBOR input of {len(data)} bytes exceeds the {max_size}-byte limit")
    if len(data) == 0:
        raise CborError("empty CBOR input")
    if data == b"\xa0":
        return {}  # the empty map (the usual DeviceNameSpaces) needs no decoder
    allowed = _tag_set(allowed_tags)
    if _native is not None and data.__class__ is bytes:
        value = _native(data, allowed, max_depth)
        if value is not _DEFER:
            return value
    return _decode_python(data, allowed, max_depth)


def _decode_python(data: bytes, allowed: frozenset[int], max_depth: int) -> Any:
    """The strict decoder on cbor2: every input the C part (``_strict``) defers, and everything without it."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream, **_options(allowed, max_depth)).decode()
    except cbor2.CBORDecodeError as exc:
        raise _translate(exc) from None
    except RecursionError:
        raise CborDepthError("CBOR nesting is too deep") from None
    # cbor2 stops after one item; anything left over makes the message malformed (RFC 8949 §5.3.1).
    if stream.tell() != len(data):
        raise CborTrailingBytesError(f"{len(data) - stream.tell()} bytes follow the CBOR item")
    return value


def _translate(exc: cbor2.CBORDecodeError) -> CborError | StructureError:
    cause = exc.__cause__
    while cause is not None and not isinstance(cause, CborError | StructureError):
        cause = cause.__cause__
    if isinstance(cause, CborError | StructureError):
        return cause
    text = str(exc).lower()
    if "depth" in text:
        return CborDepthError("CBOR nesting exceeds the depth limit")
    if "duplicate" in text:
        return CborDuplicateKeyError("CBOR map has a duplicate key")
    if "extra data" in text or "trailing" in text:
        return CborTrailingBytesError("bytes follow the CBOR item")
    return CborError(f"malformed CBOR ({_first_line(str(exc))})")


def _first_line(text: str) -> str:
    return text.splitlines()[0][:120] if text else "no detail"


def _encode_datetime(encoder: cbor2.CBOREncoder, value: _dt.datetime) -> None:
    # ISO/IEC 18013-5 §7.2.1: tdate without fractional seconds; we always write UTC with "Z".
    if value.tzinfo is None:
        raise StructureError("date-times must be timezone-aware")
    utc = value.astimezone(_dt.UTC).replace(microsecond=0)
    encoder.encode(cbor2.CBORTag(TAG_TDATE, utc.strftime("%Y-%m-%dT%H:%M:%SZ")))


def _encode_default(encoder: cbor2.CBOREncoder, value: Any) -> None:
    if isinstance(value, EncodedCBOR):
        encoder.encode(cbor2.CBORTag(TAG_ENCODED_CBOR, value.data))
        return
    to_cbor = getattr(value, "to_cbor_value", None)
    if to_cbor is not None:
        encoder.encode(to_cbor())
        return
    raise CborError(f"cannot encode {type(value).__name__} as CBOR")


_ENCODERS: dict[type, Callable[[cbor2.CBOREncoder, Any], None]] = {_dt.datetime: _encode_datetime}


def encode(value: object) -> bytes:
    """Encode with preferred (shortest) serialization, definite lengths, map order as given.

    Map order is kept as built (the spec structures emit their fields in the order the standard
    lists them), so decoding and re-encoding a conformant message gives back the same bytes.
    ``EncodedCBOR`` becomes tag 24; objects with ``to_cbor_value()`` are encoded through it.
    """
    try:
        return cbor2.dumps(value, default=_encode_default, encoders=_ENCODERS)
    except cbor2.CBOREncodeError as exc:
        raise CborError(f"cannot encode value ({_first_line(str(exc))})") from None


def decode_each(chunks: Sequence[bytes], *, allowed_tags: Iterable[int] = MDOC_TAGS,
                max_depth: int = DEFAULT_MAX_DEPTH) -> list[Any]:
    """Decode several independent CBOR items (e.g. the IssuerSignedItemBytes of one document) strictly,
    each exactly filling its own bytes, with one decoder: the same rules as ``decode``, less overhead."""
    joined = b"".join(chunks)
    if len(joined) > DEFAULT_MAX_SIZE:
        raise CborSizeError(f"CBOR input of {len(joined)} bytes exceeds the {DEFAULT_MAX_SIZE}-byte limit")
    if not all(chunks):
        raise CborError("empty CBOR input")
    allowed = _tag_set(allowed_tags)
    if _native is not None:
        fast = [_native(chunk, allowed, max_depth) if chunk.__class__ is bytes else _DEFER for chunk in chunks]
        if _DEFER not in fast:  # identity test first: no value of ours equals the sentinel
            return fast
    stream = io.BytesIO(joined)
    decoder = cbor2.CBORDecoder(stream, **_options(allowed, max_depth))
    next_item, tell = decoder.decode, stream.tell
    out: list[Any] = []
    end = 0
    try:
        for chunk in chunks:
            end += len(chunk)
            out.append(next_item())
            if tell() != end:  # an item that spills into, or stops short of, its neighbour's bytes
                raise CborTrailingBytesError("an embedded CBOR item does not fill its byte string exactly")
    except cbor2.CBORDecodeError as exc:
        raise _translate(exc) from None
    except RecursionError:
        raise CborDepthError("CBOR nesting is too deep") from None
    return out


# The C part: the common case of ``decode`` (specs/cbor/_strict.c), built when a C compiler was there at install
# time. It returns exactly what ``_decode_python`` returns, or ``_DEFER`` for anything it is not sure of (every
# error included), which ``_decode_python`` then decides. MOBILEID_PURE_CBOR=1 leaves it out.
_DEFER: Any = object()
_native: Callable[[bytes, frozenset[int], int], Any] | None = None
_strict = native.load("specs.cbor._strict")
if _strict is not None:
    _new_encoded, _set_data = object.__new__, getattr(EncodedCBOR, "data").__set__  # noqa: B009 (mypyc rejects the attribute through the class)

    def _encoded(data: bytes) -> EncodedCBOR:
        """``EncodedCBOR(data)`` by setting its slot (once per embedded item)."""
        built = _new_encoded(EncodedCBOR)
        _set_data(built, data)
        return built

    _strict.configure(_DEFER, _encoded, _decode_tdate, _decode_epoch, _decode_full_date)
    _native = _strict.decode
