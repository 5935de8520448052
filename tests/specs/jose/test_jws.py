"""Strict base64url and JSON (specs/jose/jws.py): the fast paths give exactly what the plain codecs give."""

from __future__ import annotations

import base64
import binascii
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.errors import JoseDecodeError
from specs.jose import b64url_decode, b64url_encode, parse_json

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                                       max_size=4), max_leaves=12)


@given(st.binary(max_size=300))
def test_base64url_round_trip(data: bytes) -> None:
    text = b64url_encode(data)
    assert text == base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    assert b64url_decode(text) == data


@given(st.text(alphabet="ABCXYZabcxyz0189-_+/= .\n\u00e9", max_size=12))
def test_base64url_accepts_exactly_the_unpadded_url_alphabet(text: str) -> None:
    """Accepted iff the text is in the URL alphabet, unpadded, of a possible length, and decodes strictly."""
    plain = all(c.isascii() and (c.isalnum() or c in "-_") for c in text) and len(text) % 4 != 1
    try:
        expected: bytes | None = binascii.a2b_base64(
            (text + "=" * (-len(text) % 4)).translate(str.maketrans("-_", "+/")).encode(), strict_mode=True)
    except (binascii.Error, ValueError):
        expected = None
    if not plain or expected is None:
        with pytest.raises(JoseDecodeError):
            b64url_decode(text)
    else:
        assert b64url_decode(text) == expected


@given(JSON_VALUES, st.sampled_from(["", " ", "\n", " \t"]), st.sampled_from(["", " ", "\r\n"]))
def test_json_matches_the_standard_parser(value: object, before: str, after: str) -> None:
    text = before + json.dumps(value) + after
    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode()) == json.loads(text)


@pytest.mark.parametrize("text", ['{"a":1,"a":2}', '{"a":{"b":1,"b":1}}', '[{"x":1,"x":1}]', '{"a":NaN}',
                                  "Infinity", '{"a":1} {}', '{"a":1}x', "", " ", "[1,", '"\\ud800', "\xff"])
def test_json_refusals(text: str) -> None:
    with pytest.raises(JoseDecodeError) as info:
        parse_json(text)
    assert info.value.code == "jose.malformed"


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512", "EdDSA"])
def test_verify_checks_alg_length_and_signature(alg: str, native: bool) -> None:
    """Jws.verify: the key's one algorithm, the signature's length for it, the signature itself; each refusal with
    its error, for a key class seen before or not, with the C DER encoding or without (ES512 and EdDSA have none)."""
    import specs.jose.jws as jws
    from specs.crypto import Algorithm, SoftwareSigner
    from specs.errors import SignatureError, UnsupportedAlgorithmError
    from specs.jose import Jws, sign_compact

    signer = SoftwareSigner.generate(Algorithm.from_jose(alg))
    key, other = signer.public_key(), SoftwareSigner.generate(Algorithm.from_jose(alg)).public_key()
    compact = sign_compact(signer, {}, {"a": 1})
    head, body, signature = compact.split(".")
    saved = jws._native
    if not native:
        jws._native = None
    try:
        for _ in range(2):  # the second time the key's class is known
            Jws.parse(compact).verify(key)
            with pytest.raises(SignatureError, match="does not verify"):
                Jws.parse(compact).verify(other)
            flipped = b64url_decode(signature)
            flipped = flipped[:-1] + bytes([flipped[-1] ^ 1])
            with pytest.raises(SignatureError, match="does not verify"):
                Jws.parse(f"{head}.{body}.{b64url_encode(flipped)}").verify(key)
            with pytest.raises(SignatureError):
                Jws.parse(f"{head}.{body}.{b64url_encode(b64url_decode(signature)[:-1])}").verify(key)
            wrong = "ES384" if alg == "ES256" else "ES256"
            lied = f"{b64url_encode(json.dumps({'alg': wrong}).encode())}.{body}.{signature}"
            with pytest.raises(UnsupportedAlgorithmError, match="does not match the key"):
                Jws.parse(lied).verify(key)
    finally:
        jws._native = saved
