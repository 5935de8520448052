"""The profile document is the wire format (specs/qr-presentation.md): its dictionary listing (§3.3) read by a
person gives the code's bytes, the generated parts are exactly what the code produces, and its worked example
(§10) decodes and verifies at its fixed time against the trust bundle in tests/vectors/qr-profile/."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from pathlib import Path

import cbor2
import pytest
import segno

from specs.qr import b45encode, decode_message, encode_message
from specs.qr.dictionary import DICTIONARIES
from specs.qr.document import EXAMPLE, LISTING, dictionary_section, example_section, generated
from specs.x509 import TrustStore
from verifier.qr import Verifier
from verifier.trust import VerifierTrust

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = (ROOT / "specs" / "qr-presentation.md").read_text("utf-8")
VECTORS = "tests/vectors/qr-profile/"
EXAMPLE_NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
# What each version's dictionary hashes to. MID1's is the value its published document printed; a change to
# any dictionary needs a new version (profile §3.3), so a new value here means a new prefix, never an edit.
PINNED = {"MID1": "d6868e7cc7c538995c42e9fbcb85ec06cc2e58f9759d91555c0117d61afc5723",
          "MID2": "44bdaab281edc44fc54745f117986cac469cf4267bd516c71013b1ee88891e05"}


def _tokens(span: str) -> bytes:
    """A template as §3.3 writes it: ``"x"`` is the CBOR text string x, two hex digits are a raw byte."""
    out = b""
    for token in span.split():
        out += cbor2.dumps(token[1:-1]) if token.startswith('"') else bytes.fromhex(token)
    return out


def _read_listing(listing: str) -> dict[str, tuple[bytes, int, int, str]]:
    """Each version's dictionary as an implementer builds it from the text alone: (bytes, stated size,
    stated DICTID, stated SHA-256)."""
    versions: dict[str, tuple[bytes, int, int, str]] = {}
    blocks = re.split(r"(?m)^(?=`MID\d`: )", listing)
    for block in (b for b in blocks if b.strip()):
        head = re.match(r"`(MID\d)`: (\d+) bytes, DICTID `0x([0-9A-F]{8})`, SHA-256\n`([0-9a-f]{64})`", block)
        assert head, block[:80]
        data = b""
        for item in re.split(r"(?m)^(?=\d\. )", block)[1:]:
            first, _, rest = item.partition("\n")
            base = re.match(r"1\. the `(MID\d)` dictionary", first)
            if base:
                data += versions[base.group(1)][0]
            elif "byte patterns" in first:
                for line in rest.splitlines():
                    ascii_ = re.match(r"\s+ASCII `([^`]+)`", line)
                    data += ascii_.group(1).encode() if ascii_ else bytes.fromhex(re.findall(r"`([^`]+)`", line)[0])
            elif "names" in first:
                body = rest.split("\n", 1)[1]  # the rule's second line, then the names
                data += b"".join(cbor2.dumps(name) for name in re.findall(r"`([^`]+)`", body))
            else:
                body = rest.split("\n", 1)[1]
                data += b"".join(_tokens(span) for span in re.findall(r"`([^`]+)`", body))
        versions[head.group(1)] = (data, int(head.group(2)), int(head.group(3), 16), head.group(4))
    return versions


def test_dictionaries_are_pinned_per_version() -> None:
    assert {v: d.sha256 for v, d in DICTIONARIES.items()} == PINNED


def test_document_listing_is_what_the_code_generates() -> None:
    assert generated(DOCUMENT, LISTING) == dictionary_section()


def test_a_reader_of_the_listing_builds_the_same_dictionaries() -> None:
    """Read the way another team would: the bytes the text describes, and the sizes and hashes it states."""
    read = _read_listing(generated(DOCUMENT, LISTING))
    assert set(read) == set(DICTIONARIES)
    for version, (data, size, dictid, sha256) in read.items():
        assert data == DICTIONARIES[version].data, version
        assert (size, dictid, sha256) == (len(data), zlib.adler32(data), PINNED[version])


def _example() -> tuple[bytes, str]:
    part = generated(DOCUMENT, EXAMPLE)
    blocks = re.findall(r"```\n(.*?)\n```", part, re.S)
    assert len(blocks) == 2
    return bytes.fromhex(blocks[0].replace("\n", "")), blocks[1]


@pytest.fixture
def verifier() -> Verifier:
    bundle = (ROOT / VECTORS / "trust_bundle.cbor").read_bytes()
    root = TrustStore.from_pem((ROOT / VECTORS / "iaca_root.pem").read_bytes())
    return Verifier(VerifierTrust.from_bundle(bundle, root, now=EXAMPLE_NOW), clock=lambda: EXAMPLE_NOW)


def test_worked_example_decodes_and_verifies(verifier: Verifier) -> None:
    message, text = _example()
    assert decode_message([text]) == message
    result = verifier.verify_qr(text)
    assert result.valid, result.errors
    assert result.claims == {"kr.mobileid.age.1": {"age_over_19": True}}
    assert result.status == "valid" and result.holder_bound


def test_worked_example_text_is_what_the_code_produces() -> None:
    message, text = _example()
    assert encode_message(message) == (text,)
    assert generated(DOCUMENT, EXAMPLE) == example_section(
        message, (text,), now=EXAMPLE_NOW, qr_version=segno.make(text, error="m").version or 0, vectors=VECTORS)


def test_a_code_built_from_the_document_alone_verifies(verifier: Verifier) -> None:
    """The example's CBOR, compressed with the dictionary read from the text (not the code's), verifies."""
    message, _ = _example()
    dictionary = _read_listing(generated(DOCUMENT, LISTING))["MID2"][0]
    compressor = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, dictionary)  # other settings
    text = "MID2:" + b45encode(compressor.compress(message) + compressor.flush())
    result = verifier.verify_qr(text)
    assert result.valid, result.errors


def test_worked_example_is_refused_outside_its_time(verifier: Verifier) -> None:
    _, text = _example()
    late = Verifier(verifier.trust, clock=lambda: EXAMPLE_NOW + dt.timedelta(seconds=61))
    assert late.verify_qr(text).errors[0].code == "qr.expired"
