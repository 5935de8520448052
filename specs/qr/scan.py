"""The common scan, one code's text to the wallet's answer, in one step (specs/qr-presentation.md §3, §5).

``read_answer(text)`` is ``decode_qr_message(single_code(text))`` for the text a verifier meets on nearly every
scan: one line, ``MID2:<base45>``, holding a ``QrResponse``; with it comes a one-way answer's SessionTranscript
(``one_way_transcript(n, t)``, the same object). The C part (specs/qr/_scan.c) takes the text to the envelope's
fields in one pass (base45, the zlib header and DICTID, inflating with the version's preset dictionary, the
envelope's CBOR and every rule of ``QrResponse._from_value``), without the Python objects in between, and answers
only for what it is sure of. For anything else (a frame of several, a request, a foreign, malformed or unusual
text, a response outside the plain form the profile's encoders write) and without the C part, ``read_answer``
returns None and the caller reads the text the long way (``specs.qr.frames``, then ``decode_qr_message``), which
makes every check again and words the error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from specs import native
from specs.mdoc.transcript import SessionTranscript
from specs.qr.dictionary import DICTIONARIES
from specs.qr.presentation import _ONE_WAY_HEAD, HANDOVER_ID, ONE_WAY, TWO_WAY, QrResponse
from specs.slots import builder

__all__ = ["read_answer"]

# The C part: built when a C compiler and zlib's headers were there at install time. MOBILEID_PURE_SCAN=1 leaves it
# out, and so does MOBILEID_PURE_CBOR=1, which switches off every C part of specs.
_Fields = tuple[int, str, bytes | str, bytes | None, int | None, bytes | None]
_scan = native.load("specs.qr._scan", "MOBILEID_PURE_SCAN")
_native: Callable[[str, tuple[tuple[str, bytes, int], ...], bytes], _Fields | None] | None = (
    None if _scan is None else _scan.read)
# every version a decoder accepts: (prefix, preset dictionary, its DICTID), as _scan.read takes them
_VERSIONS = tuple((prefix, entry.data, entry.dictid) for prefix, entry in DICTIONARIES.items())
_UTC = dt.UTC
_from_seconds = dt.datetime.fromtimestamp
# the same frozen objects as QrResponse(...) and one_way_transcript's, built by their slots (one each per scan)
_response = builder(QrResponse)
_transcript = builder(SessionTranscript)


def read_answer(text: str) -> tuple[QrResponse, SessionTranscript | None] | None:
    """``(decode_qr_message(single_code(text)), its one-way transcript or None)`` when the C part answers for
    ``text``; None otherwise (the caller then reads it the long way, which decides)."""
    if _native is None:
        return None
    fields = _native(text, _VERSIONS, _ONE_WAY_HEAD)
    if fields is None:
        return None
    mode, fmt, data, nonce, seconds, encoded = fields
    if mode == TWO_WAY:
        return _response(TWO_WAY, fmt, data, None, None), None
    return (_response(ONE_WAY, fmt, data, nonce, _from_seconds(seconds, _UTC)),  # type: ignore[arg-type]
            _transcript(None, None, [HANDOVER_ID, ONE_WAY, nonce, seconds], encoded))
