"""SessionTranscript (ISO/IEC 18013-5 §9.1.5.1).

``SessionTranscript = [DeviceEngagementBytes / null, EReaderKeyBytes / null, Handover]`` and
``SessionTranscriptBytes = #6.24(bstr .cbor SessionTranscript)``. The transcript is embedded in
DeviceAuthentication and ReaderAuthentication and hashed for the session-key salt, so the encoding that
was received (or built once) is kept and reused byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specs.cbor import EncodedCBOR, decode, encode
from specs.cbor.raw import tag24
from specs.errors import StructureError

MAX_TRANSCRIPT_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class SessionTranscript:
    device_engagement_bytes: EncodedCBOR | None
    e_reader_key_bytes: EncodedCBOR | None
    handover: Any
    encoded: bytes  # the CBOR encoding of the SessionTranscript array

    @classmethod
    def build(cls, device_engagement_bytes: EncodedCBOR | None, e_reader_key_bytes: EncodedCBOR | None,
              handover: Any) -> SessionTranscript:
        encoded = encode([device_engagement_bytes, e_reader_key_bytes, handover])
        return cls(device_engagement_bytes, e_reader_key_bytes, handover, encoded)

    @classmethod
    def from_cbor(cls, data: bytes) -> SessionTranscript:
        """Read a SessionTranscript, or SessionTranscriptBytes (the tag-24 wrapping of one)."""
        value = decode(data, max_size=MAX_TRANSCRIPT_SIZE)
        if isinstance(value, EncodedCBOR):
            data = value.data
            value = decode(data, max_size=MAX_TRANSCRIPT_SIZE)
        if not isinstance(value, list) or len(value) != 3:
            raise StructureError("SessionTranscript must be an array of 3")
        engagement, reader_key, handover = value
        for name, item in (("DeviceEngagementBytes", engagement), ("EReaderKeyBytes", reader_key)):
            if item is not None and not isinstance(item, EncodedCBOR):
                raise StructureError(f"SessionTranscript {name} must be tag 24 or null")
        return cls(engagement, reader_key, handover, bytes(data))

    def to_cbor(self) -> bytes:
        return self.encoded

    def transcript_bytes(self) -> bytes:
        """SessionTranscriptBytes: what the session-key and EMacKey salts hash (§9.1.1.5, §9.1.3.5)."""
        return tag24(self.encoded)
