"""The common scan, one code's text to the wallet's answer, in one step (specs/qr-presentation.md §3, §5).

``read_answer(text)`` is ``decode_qr_message(single_code(text))`` for the text a verifier meets on nearly every
scan: one line, ``MID2:<base45>``, holding a ``QrResponse``; with it comes a one-way answer's SessionTranscript
(``one_way_transcript(n, t)``). The C part (specs/qr/_scan.c) takes the text to those objects in one pass (base45,
the zlib header and DICTID, inflating with the version's preset dictionary, the envelope's CBOR and every rule of
``QrResponse._from_value``), without the Python objects in between, and answers only for what it is sure of. For
anything else (a frame of several, a request, a foreign, malformed or unusual text, a response outside the plain
form the profile's encoders write) and without the C part, ``read_answer`` returns None and the caller reads the
text the long way (``specs.qr.frames``, then ``decode_qr_message``), which makes every check again and words the
error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from specs import native
from specs.mdoc.transcript import SessionTranscript
from specs.qr.dictionary import DICTIONARIES
from specs.qr.presentation import _ONE_WAY_HEAD, HANDOVER_ID, QrResponse
from specs.slots import builder

__all__ = ["read_answer"]

Answer = tuple[QrResponse, SessionTranscript | None]

# The C part: built when a C compiler and zlib's headers were there at install time. MOBILEID_PURE_SCAN=1 leaves it
# out, and so does MOBILEID_PURE_CBOR=1, which switches off every C part of specs.
_scan = native.load("specs.qr._scan", "MOBILEID_PURE_SCAN")
_native: Callable[[str], Answer | None] | None = None
if _scan is not None:
    # It makes both objects as specs.slots.builder does (each field's slot set in order), so the same checks apply:
    # builder refuses a class that is not frozen and slotted or that checks its fields in __post_init__.
    builder(QrResponse), builder(SessionTranscript)
    # every version a decoder accepts: (prefix, preset dictionary, its DICTID)
    _scan.setup(tuple((prefix, entry.data, entry.dictid) for prefix, entry in DICTIONARIES.items()), _ONE_WAY_HEAD,
                HANDOVER_ID, QrResponse, tuple(f.name for f in dataclasses.fields(QrResponse)), SessionTranscript,
                tuple(f.name for f in dataclasses.fields(SessionTranscript)))
    _native = _scan.read


def read_answer(text: str) -> Answer | None:
    """``(decode_qr_message(single_code(text)), one_way_transcript(n, t) for a one-way answer else None)`` when the C
    part answers for ``text``; None otherwise (the caller then reads it the long way, which decides)."""
    return None if _native is None else _native(text)
