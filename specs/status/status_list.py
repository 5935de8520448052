"""Status List (draft-ietf-oauth-status-list §4): a compressed array of 1/2/4/8-bit statuses.

Entry ``i`` with ``bits`` b lives in byte ``i*b // 8`` at bit offset ``(i*b) % 8``, least significant
bit first (§4.1). ``lst`` is the ZLIB (RFC 1950) stream of the byte array; inflating is capped so a
small token cannot expand into gigabytes (§11.6 of the draft asks verifiers to guard against that).
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.cbor import MAP
from specs.errors import StatusListError
from specs.jose.jws import b64url_decode, b64url_encode

__all__ = ["DEFAULT_MAX_INFLATED", "StatusList", "StatusValue"]

DEFAULT_MAX_INFLATED = 16 * 1024 * 1024  # 128 Mi entries at 1 bit; far above any real list
_BITS = (1, 2, 4, 8)


class StatusValue(enum.IntEnum):
    """§7.1: 0x00 VALID, 0x01 INVALID, 0x02 SUSPENDED; 0x03 and 0x0C-0x0F application-specific."""

    VALID = 0
    INVALID = 1
    SUSPENDED = 2
    APPLICATION_SPECIFIC = 3


@dataclass(frozen=True, slots=True)
class StatusList:
    bits: int
    data: bytes
    aggregation_uri: str | None = None
    # ZLIB level 9 costs ~12 ms for a list of 131,072 two-bit entries: done once, however many tokens carry it
    _lst: bytes | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.bits not in _BITS:
            raise StatusListError("status list bits must be 1, 2, 4 or 8", code="status.list_malformed")

    @classmethod
    def empty(cls, size: int, bits: int = 1) -> StatusList:
        return cls(bits, bytes(-(-size * bits // 8)))

    @property
    def size(self) -> int:
        return len(self.data) * 8 // self.bits

    def get(self, index: int) -> int:
        if not 0 <= index < self.size:
            raise StatusListError("status index is outside the list", code="status.list_index_out_of_range")
        position = index * self.bits
        return (self.data[position // 8] >> (position % 8)) & ((1 << self.bits) - 1)

    def with_statuses(self, updates: Mapping[int, int]) -> StatusList:
        """A copy with ``index -> value`` set (the issuer's side)."""
        data = bytearray(self.data)
        mask = (1 << self.bits) - 1
        for index, value in updates.items():
            if not 0 <= index < self.size:
                raise StatusListError("status index is outside the list", code="status.list_index_out_of_range")
            if not 0 <= value <= mask:
                raise StatusListError(f"status value does not fit {self.bits} bits", code="status.list_malformed")
            position = index * self.bits
            byte, shift = position // 8, position % 8
            data[byte] = (data[byte] & ~(mask << shift)) | (value << shift)
        return StatusList(self.bits, bytes(data), self.aggregation_uri)

    def compressed(self) -> bytes:
        if self._lst is None:
            object.__setattr__(self, "_lst", zlib.compress(self.data, 9))
        assert self._lst is not None
        return self._lst

    @classmethod
    def from_compressed(cls, lst: bytes, bits: int, *, max_inflated: int = DEFAULT_MAX_INFLATED,
                        aggregation_uri: str | None = None) -> StatusList:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(lst, max_inflated + 1)
        except zlib.error:
            raise StatusListError("status list is not ZLIB data", code="status.list_malformed") from None
        if len(data) > max_inflated or inflater.unconsumed_tail:
            raise StatusListError(f"status list inflates beyond {max_inflated} bytes", code="status.list_too_large")
        if not inflater.eof or inflater.unused_data:
            raise StatusListError("status list ZLIB stream is truncated or followed by data",
                                  code="status.list_malformed")
        return cls(bits, data, aggregation_uri)

    # --- wire forms (§4.2 JSON, §4.3 CBOR) -----------------------------------------------------------
    @classmethod
    def from_json_value(cls, value: Any, *, max_inflated: int = DEFAULT_MAX_INFLATED) -> StatusList:
        if not isinstance(value, MAP) or type(value.get("bits")) is not int or not isinstance(
                value.get("lst"), str):
            raise StatusListError("status_list must hold integer bits and text lst", code="status.list_malformed")
        try:
            lst = b64url_decode(value["lst"], "status list lst")
        except Exception:
            raise StatusListError("status list lst is not base64url", code="status.list_malformed") from None
        return cls.from_compressed(lst, value["bits"], max_inflated=max_inflated,
                                   aggregation_uri=_aggregation(value))

    def to_json_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bits": self.bits, "lst": b64url_encode(self.compressed())}
        if self.aggregation_uri:
            out["aggregation_uri"] = self.aggregation_uri
        return out

    @classmethod
    def from_cbor_value(cls, value: Any, *, max_inflated: int = DEFAULT_MAX_INFLATED) -> StatusList:
        if not isinstance(value, MAP) or type(value.get("bits")) is not int or not isinstance(
                value.get("lst"), bytes):
            raise StatusListError("status_list must hold integer bits and bstr lst", code="status.list_malformed")
        return cls.from_compressed(value["lst"], value["bits"], max_inflated=max_inflated,
                                   aggregation_uri=_aggregation(value))

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bits": self.bits, "lst": self.compressed()}
        if self.aggregation_uri:
            out["aggregation_uri"] = self.aggregation_uri
        return out


def _aggregation(value: Mapping[str, Any]) -> str | None:
    uri = value.get("aggregation_uri")
    if uri is not None and not isinstance(uri, str):
        raise StatusListError("aggregation_uri must be text", code="status.list_malformed")
    return uri
