"""The parts of ``specs/qr-presentation.md`` that are generated from this code, so that the document and the
implementation cannot drift apart: the dictionary listing of §3.3 and the worked example of §10.

Each part sits in the document between a ``BEGIN`` and an ``END`` marker naming it. ``benchmarks/qr.py
--example --write`` rewrites them; ``tests/verifier/test_profile_document.py`` checks that the document holds
exactly what these functions produce (and that the example decodes and verifies). No I/O here.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap

from specs.cose.headers import HeaderLabel
from specs.mdoc.response import DeviceResponse
from specs.qr.dictionary import DICTIONARIES, describe
from specs.qr.frames import PREFIX
from specs.qr.presentation import QrResponse, decode_qr_message

__all__ = ["EXAMPLE", "LISTING", "dictionary_section", "example_section", "generated", "replace_generated"]

LISTING, EXAMPLE = "dictionary", "worked example"
_BEGIN = "<!-- BEGIN generated {name}: benchmarks/qr.py --example --write; do not edit by hand -->\n"
_END = "<!-- END generated {name} -->"


def dictionary_section() -> str:
    """§3.3: every version's dictionary, oldest first."""
    return "\n".join(describe(version) for version in DICTIONARIES)


def example_section(message: bytes, texts: tuple[str, ...], *, now: dt.datetime, qr_version: int,
                    vectors: str) -> str:
    """§10: the worked example from its QrResponse CBOR and QR text(s)."""
    response = decode_qr_message(message)
    assert isinstance(response, QrResponse) and isinstance(response.data, bytes) and response.nonce is not None
    assert response.time is not None
    document = DeviceResponse.from_cbor(response.data).documents[0]
    info = document.issuer_signed.mso.validity_info
    signed, start, until = (_utc(t) for t in (info.signed, info.valid_from, info.valid_until))
    kid = document.issuer_signed.issuer_auth.unprotected[HeaderLabel.KID.value]
    compressed = sum(len(t.partition(":")[2]) for t in texts) * 2 // 3
    hex_lines = "\n".join(textwrap.wrap(message.hex(), 96))
    intro = (f"A one-way age check (`age19` preset, age attestation, `age_over_19` only), made by `benchmarks/qr.py "
             f"--example --write` with the keys of `{vectors}`. It verifies at `now` = {_utc(now)} against the trust "
             f"bundle `{vectors}trust_bundle.cbor` under the IACA root `{vectors}iaca_root.pem`. The `QrResponse` "
             f"CBOR ({len(message)} bytes, hex):")
    body = (f"\"v\": 1, \"m\": 2, \"f\": \"mdoc\", \"d\": <DeviceResponse, {len(response.data)} bytes>, "
            f"\"n\": h'{response.nonce.hex()}', \"t\": {int(response.time.timestamp())}")
    outline = (f"Its diagnostic outline: `[\"resp\", {{{body}}}]`. "
               f"The `DeviceResponse` holds one document of docType `{document.doctype}` whose `issuerAuth` "
               f"unprotected header is `{{4: h'{kid.hex()}'}}` (the 8-byte kid, no x5chain); its MSO's `validityInfo` "
               f"is `signed` {signed}, `validFrom` {start}, `validUntil` {until} (this copy's own offset, §8.6). "
               f"The {'single ' if len(texts) == 1 else ''}QR text ({sum(len(t) for t in texts)} characters, "
               f"{compressed} compressed bytes, version {qr_version} at M, the `{PREFIX}` dictionary):")
    return (f"{_fill(intro)}\n\n```\n{hex_lines}\n```\n\n{_fill(outline)}\n\n```\n" + "\n".join(texts) + "\n```\n")


def _fill(text: str) -> str:
    return textwrap.fill(text, 110, break_long_words=False, break_on_hyphens=False)


def _utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def generated(document: str, name: str) -> str:
    """The text between the markers of the generated part ``name`` of ``document``."""
    begin, end = _BEGIN.format(name=name), _END.format(name=name)
    match = re.search(re.escape(begin) + "(.*?)" + re.escape(end), document, re.S)
    if match is None:
        raise ValueError(f"the document has no generated {name}")
    return match.group(1)


def replace_generated(document: str, name: str, text: str) -> str:
    """``document`` with the generated part ``name`` replaced by ``text``."""
    old = generated(document, name)
    begin = _BEGIN.format(name=name)
    return document.replace(begin + old, begin + text, 1)
