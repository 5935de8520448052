"""The C part of base64url (specs/jose/_b64url.c) against the Python functions of specs.jose.jws it must agree with.

Whatever the C part returns, the Python code returns too, value for value and type for type; whatever the Python
code refuses, the C part defers. Checked on generated text over the alphabet and outside it, at every length mod 4,
with padding, every final character (the unused low bits), unicode, and inputs at the JWS size cap; on the JSON
each JWS part and disclosure holds; ``parse_compact`` against ``Jws.parse`` on generated and mutated compact JWSs;
and it must answer (not defer) for the tokens a verifier sees every day.
"""

from __future__ import annotations

import json
import os
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import specs.jose.jws as jws
from specs.errors import JoseDecodeError
from specs.jose import MAX_JWS_SIZE, Jws, b64url_decode, b64url_encode, b64url_json
from tests.native_parts import native_part, python_only

ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
OUTSIDE = "+/= \n\t\r\x00\x7f.~!é\u00a0\u2028\U0001f600\udc80"
ROOT = Path(__file__).resolve().parents[3]


def _native() -> ModuleType:
    return native_part(jws)


def python(fn: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """``fn(*args)`` by the Python code alone: ("ok", value) or ("error", its type and message)."""
    with python_only(jws):
        try:
            return "ok", fn(*args)
        except JoseDecodeError as exc:
            return "error", (type(exc), str(exc))


def agree_decode(text: Any) -> bool:
    """The C decode agrees with ``b64url_decode``; True when it answered."""
    native = _native().decode(text)
    verdict, value = python(b64url_decode, text)
    if verdict == "error":
        assert native is jws._DEFER, f"C accepted what Python refuses: {text!r}"
        return False
    assert native is not jws._DEFER, f"C deferred what Python accepts: {text!r}"  # nothing else to defer for
    assert type(native) is bytes and native == value, f"C and Python differ on {text!r}"
    return True


def agree_text(text: Any) -> bool:
    """The C decode_text agrees with ``b64url_decode(text).decode('utf-8')``; True when it answered."""
    native = _native().decode_text(text)
    verdict, value = python(b64url_decode, text)
    if verdict == "ok":
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            verdict = "error"
    if verdict == "error":
        assert native is jws._DEFER, f"C accepted what Python refuses: {text!r}"
        return False
    assert native is not jws._DEFER, f"C deferred what Python accepts: {text!r}"
    assert type(native) is str and native == value, f"C and Python differ on {text!r}"
    return True


def agree_json(text: Any) -> None:
    """``b64url_json`` with the C part returns what it returns without it, or raises the same error."""
    _native()
    with_c: tuple[str, Any]
    try:
        with_c = "ok", b64url_json(text, "part")
    except JoseDecodeError as exc:
        with_c = "error", (type(exc), str(exc))
    without = python(b64url_json, text, "part")
    assert with_c == without and repr(with_c) == repr(without), f"b64url_json differs on {text!r}"


def encode_python(data: bytes) -> str:
    return python(b64url_encode, data)[1]


def test_built_and_used() -> None:
    assert _native().decode("QUFB") == b"AAA"
    assert b64url_decode.__module__ == "specs.jose.jws"  # the Python function stays the entry point


# -- decode -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("length", range(13))
def test_every_length_mod_4(length: int) -> None:
    text = (ALPHABET * 2)[:length]
    assert agree_decode(text) == (length % 4 != 1)
    assert agree_text(text) in (True, False)


@pytest.mark.parametrize("prefix", ["", "QU", "QUF", "QUFB", "QUFBQU"])
def test_every_final_character(prefix: str) -> None:
    """The unused low bits of the last character: the Python decoder ignores them, so C must too (and every
    character that is not base64url, at the end, is deferred)."""
    for last in ALPHABET + OUTSIDE:
        agree_decode(prefix + last)
        agree_decode(prefix + "Q" + last)


@pytest.mark.parametrize("text", ["QQ==", "QQ=", "QUE=", "=QUE", "QU=E", "QUFB====", "QQ%3D%3D", "Q+/A", "QU FB",
                                  " QUFB", "QUFB\n", "QUFB\x00", "QUFBé", "\udc80QUF", "ＱＵＦＢ"])
def test_refused_forms_are_deferred(text: str) -> None:
    assert not agree_decode(text)
    assert not agree_text(text)
    with pytest.raises(JoseDecodeError):
        b64url_decode(text)


@pytest.mark.parametrize("value", [b"QUFB", bytearray(b"QUFB"), None, 4, ["QUFB"], memoryview(b"QUFB")])
def test_not_text_is_deferred(value: Any) -> None:
    assert _native().decode(value) is jws._DEFER
    assert _native().decode_text(value) is jws._DEFER
    with pytest.raises(JoseDecodeError):
        b64url_decode(value)


def test_a_str_subclass_is_decoded_as_python_does() -> None:
    class Text(str):
        pass

    assert agree_decode(Text("QUFB"))
    assert agree_text(Text("eyJhIjoxfQ"))


@given(st.text(alphabet=ALPHABET, max_size=200))
@settings(max_examples=400)
def test_alphabet_text(text: str) -> None:
    agree_decode(text)
    agree_text(text)


@given(st.text(alphabet=ALPHABET, min_size=1, max_size=80), st.integers(min_value=0), st.sampled_from(OUTSIDE))
@settings(max_examples=400)
def test_one_character_outside(text: str, where: int, bad: str) -> None:
    at = where % len(text)
    spoiled = text[:at] + bad + text[at + 1:]
    assert not agree_decode(spoiled)
    assert not agree_text(spoiled)


@given(st.text(max_size=60))
@settings(max_examples=400)
def test_any_text(text: str) -> None:
    agree_decode(text)
    agree_text(text)


@given(st.text(alphabet=ALPHABET, max_size=40), st.integers(min_value=1, max_value=3))
def test_padding_is_refused(text: str, pads: int) -> None:
    assert not agree_decode(text + "=" * pads)


# -- decode_text: UTF-8 -----------------------------------------------------------------------------------
@given(st.text(max_size=120))
@settings(max_examples=400)
def test_utf8_text(value: str) -> None:
    encoded = b64url_encode(value.encode("utf-8", "surrogatepass"))
    agree_text(encoded)  # lone surrogates encoded by surrogatepass are not UTF-8: deferred


@given(st.binary(max_size=120))
@settings(max_examples=400)
def test_any_bytes_as_text(data: bytes) -> None:
    agree_text(b64url_encode(data))


@pytest.mark.parametrize("data", [b"\x80", b"\xc3", b"\xc3\xa9", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"a\xffb",
                                  b"\xef\xbb\xbf{}", "한국어".encode(), b"\x00"])
def test_utf8_edges(data: bytes) -> None:
    agree_text(b64url_encode(data))


# -- encode -----------------------------------------------------------------------------------------------
@given(st.binary(max_size=300))
@settings(max_examples=400)
def test_encode(data: bytes) -> None:
    native = _native().encode(data)
    assert type(native) is str and native == encode_python(data)
    assert agree_decode(native) and b64url_decode(native) == data


def test_encode_takes_only_bytes_and_the_wrapper_the_rest() -> None:
    with pytest.raises(TypeError):
        _native().encode(bytearray(b"a"))
    assert b64url_encode(bytearray(b"\xfb\xff")) == encode_python(b"\xfb\xff") == "-_8"
    assert b64url_encode(memoryview(b"\xfb\xff")) == "-_8"


# -- sizes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [MAX_JWS_SIZE - 2, MAX_JWS_SIZE - 1, MAX_JWS_SIZE, MAX_JWS_SIZE + 1])
def test_at_the_size_cap(size: int) -> None:
    text = (ALPHABET * (size // 64 + 1))[:size]
    agree_decode(text)
    agree_text(text)
    if size % 4 != 1:
        for spoiled in (text[:-1] + "=", "+" + text[1:], text[: size // 2] + " " + text[size // 2 + 1:]):
            assert not agree_decode(spoiled)


def test_huge_utf8_payload() -> None:
    value = json.dumps({"n": "é" * 50_000, "a": list(range(20_000))}, ensure_ascii=False)
    assert agree_text(b64url_encode(value.encode("utf-8")))
    agree_json(b64url_encode(value.encode("utf-8")))


# -- b64url_json ------------------------------------------------------------------------------------------
_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=15)


@given(_json_values, st.booleans())
@settings(max_examples=300)
def test_json_values(value: Any, ascii_only: bool) -> None:
    agree_json(b64url_encode(json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")))


@pytest.mark.parametrize("text", ['{"a":1,"a":2}', '{"a":NaN}', '[1,2', ' {"a":1} ', '{"a":1}x', "", "\ufeff{}",
                                  '{"a":"\\ud800"}', "[" * 5000 + "]" * 5000, '"x"', "1e999", '{"a":Infinity}'])
def test_json_edges(text: str) -> None:
    agree_json(b64url_encode(text.encode("utf-8")))


@given(st.text(max_size=40))
def test_json_any_text(text: str) -> None:
    agree_json(text)


# -- parse_compact: Jws.parse's common case ------------------------------------------------------------------
def agree_parse(compact: Any) -> bool:
    """``parse_compact`` agrees with ``Jws.parse`` by the Python code alone; True when it answered."""
    native = _native().parse_compact(compact, jws._SCAN)
    verdict, value = python(Jws.parse, compact)
    if verdict == "error":
        assert native is jws._DEFER, f"C parsed a JWS Python refuses ({value[1]}): {compact!r}"
        return False
    if native is jws._DEFER:
        return False
    header, payload, signing_input, signature = native
    assert repr((header, payload)) == repr((value.header, value.payload)), f"C and Python differ on {compact!r}"
    assert type(signing_input) is bytes and signing_input == value.signing_input
    assert type(signature) is bytes and signature == value.signature
    return True


def _compact(header: Any, payload: Any, signature: bytes, ascii_only: bool = True) -> str:
    def part(value: Any) -> str:
        return b64url_encode(json.dumps(value, ensure_ascii=ascii_only).encode("utf-8"))

    return f"{part(header)}.{part(payload)}.{b64url_encode(signature)}"


_HEADERS = st.one_of(
    st.fixed_dictionaries({"alg": st.sampled_from(["ES256", "EdDSA", "none", ""])},
                          optional={"typ": st.text(max_size=8), "kid": st.text(max_size=8),
                                    "crit": st.none() | st.lists(st.text(max_size=4), max_size=2),
                                    "x": _json_values}),
    st.dictionaries(st.sampled_from(["alg", "crit", "typ", "a"]), _json_values, max_size=3),
    _json_values,
)


@given(_HEADERS, _json_values | st.dictionaries(st.text(max_size=5), _json_values, max_size=4),
       st.binary(max_size=70), st.booleans())
@settings(max_examples=400)
def test_parse_compact_generated(header: Any, payload: Any, signature: bytes, ascii_only: bool) -> None:
    compact = _compact(header, payload, signature, ascii_only)
    answered = agree_parse(compact)
    if isinstance(header, dict) and "crit" not in header and isinstance(header.get("alg"), str) \
            and isinstance(payload, dict) and python(Jws.parse, compact)[0] == "ok":  # Infinity is refused
        assert answered, f"C deferred a plain JWS: {compact!r}"


@given(_HEADERS, st.dictionaries(st.text(max_size=5), _json_values, max_size=4), st.binary(max_size=70),
       st.integers(min_value=0), st.sampled_from([".", "", "=", " ", "+", "é", "A", "..", "\x00", "e30"]))
@settings(max_examples=400)
def test_parse_compact_mutated(header: Any, payload: Any, signature: bytes, where: int, insert: str) -> None:
    compact = _compact(header, payload, signature)
    at = where % (len(compact) + 1)
    agree_parse(compact[:at] + insert + compact[at + 1:])
    agree_parse(compact[:at] + insert + compact[at:])


@pytest.mark.parametrize("compact", [
    "e30.e30.", "e30.e30", "e30.e30.AA.", ".e30.", "e30..", "..", "", "eyJhbGciOiJFUzI1NiJ9.e30.A",
    "eyJhbGciOiJFUzI1NiJ9.e30.", "eyJhbGciOiJFUzI1NiJ9.W10.", "eyJhbGciOiJFUzI1NiJ9.IiI.",
    "eyJhbGciOiJFUzI1NiJ9.IHt9.", "eyJhbGciOiJFUzI1NiJ9.e30g.", "eyJhbGciOiJFUzI1NiJ9.e30.AA==",
    "eyJhbGciOiJFUzI1NiJ9eA.e30.", "eyJhbGciOiJFUzI1NiJ9.e314.", "eyJhbGciOiJFUzI1NiJ9.e31d.",
    "eyJhbGciOjF9.e30.", "eyJhbGciOiJFUzI1NiIsImNyaXQiOm51bGx9.e30.", "eyJhbGciOiJFUzI1NiIsImNyaXQiOltdfQ.e30.",
    "eyJhbGciOiJFUzI1NiIsImFsZyI6IkVTMjU2In0.e30.", "eyJhbGciOiJFUzI1NiJ9.e30.é", b"e30.e30.", None, 1,
])
def test_parse_compact_edges(compact: Any) -> None:
    agree_parse(compact)
    with pytest.raises(TypeError):
        _native().parse_compact(compact)


# -- it answers for real tokens ---------------------------------------------------------------------------
def _real_parts() -> list[str]:
    parts: list[str] = []
    for folder in ("sd_jwt", "status_token"):
        for path in sorted((ROOT / "fuzz" / "seeds" / folder).glob("*")):
            if path.suffix in (".txt", ".jwt"):
                for piece in path.read_text().strip().split("~"):
                    parts.extend(p for p in piece.split(".") if p)
    return parts


def test_answers_for_real_tokens() -> None:
    parts = _real_parts()
    assert len(parts) > 20
    for part in parts:
        assert agree_decode(part), f"C deferred a part of a real token: {part[:40]}"
        agree_json(part)
    seeds = [path for folder in ("sd_jwt", "status_token")
             for path in sorted((ROOT / "fuzz" / "seeds" / folder).glob("*")) if path.suffix in (".txt", ".jwt")]
    tokens = [piece for path in seeds for piece in path.read_text().strip().split("~") if piece.count(".") == 2]
    assert len(tokens) > 5
    for token in tokens:
        assert agree_parse(token), f"C deferred a real JWS: {token[:40]}"


def test_pure_switch() -> None:
    """MOBILEID_PURE_CBOR=1 leaves every C part of specs out, this one included."""
    env = {**os.environ, "MOBILEID_PURE_CBOR": "1"}
    code = ("import specs.jose.jws as j, specs.cbor.codec as c, specs.qr.base45 as q, specs.mdoc.walk as m, "
            "specs.sdjwt.verify as s; print(*(p._native is None for p in (j, c, q, m, s)))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"] * 5
    out = subprocess.run([sys.executable, "-c", code], env={k: v for k, v in env.items() if k != "MOBILEID_PURE_CBOR"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"] * 5  # the same check fails when a part is missing or the switch is ignored


# -- der_signature: raw_to_der_signature for ES256 and ES384 ------------------------------------------------------
_EDGES = st.sampled_from([b"\x00", b"\x7f", b"\x80", b"\xff", b"\x01"])


@given(st.integers(0, 3).flatmap(lambda k: st.tuples(st.sampled_from([32, 48]), st.lists(_EDGES, max_size=k),
                                                       st.lists(_EDGES, max_size=k), st.binary(min_size=96,
                                                                                                max_size=96))))
@settings(max_examples=500, deadline=None)
def test_der_signature_is_raw_to_der(case: tuple[int, list[bytes], list[bytes], bytes]) -> None:
    from specs.crypto import Algorithm
    from specs.crypto.algorithms import raw_to_der_signature

    n, r_head, s_head, noise = case
    r = (b"".join(r_head) + noise)[:n]  # leading zeros, top bits set, all zero, ...
    s = (b"".join(s_head) + noise[::-1])[:n]
    alg = Algorithm.ES256 if n == 32 else Algorithm.ES384
    assert _native().der_signature(r + s) == raw_to_der_signature(r + s, alg)
    assert _native().der_signature(bytes(n) + bytes(n)) == raw_to_der_signature(bytes(2 * n), alg)


@given(st.binary(max_size=140).filter(lambda b: len(b) not in (64, 96)) | st.text(max_size=4))
@settings(max_examples=200, deadline=None)
def test_der_signature_defers_other_lengths(raw: Any) -> None:
    assert _native().der_signature(raw) is _native().DEFER
    assert _native().der_signature(bytearray(64)) is _native().DEFER


# -- object_of: the strict JSON scanner's object_pairs_hook (_no_duplicates) in C -----------------------------------
def _hook_outcome(hook: Callable[[list[Any]], Any], pairs: list[Any]) -> tuple[str, Any]:
    try:
        out = hook(pairs)
    except (JoseDecodeError, TypeError, ValueError) as exc:  # a pair of the wrong size: ValueError from dict()
        return "error", (type(exc), str(exc))
    return "ok", (type(out), list(out.items()))


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "é", ""]) | st.text(max_size=3), _json_values),
                max_size=6))
@settings(max_examples=300)
def test_object_of_is_no_duplicates(pairs: list[tuple[str, Any]]) -> None:
    """The same dict (items in the same order), or the same refusal when a member name comes twice."""
    native = _native()
    assert _hook_outcome(lambda p: native.object_of(jws._no_duplicates, p), pairs) == \
        _hook_outcome(jws._no_duplicates, pairs)


@pytest.mark.parametrize("pairs", [[], [("a", 1), ("a", 1)], [("a", 1), ("b", 2), ("a", 3)], [(["x"], 1)],
                                   [("a", 1), ("x", 2, 3)], [("a",)], ["ab"]])
def test_object_of_edges(pairs: list[Any]) -> None:
    native = _native()
    assert _hook_outcome(lambda p: native.object_of(jws._no_duplicates, p), pairs) == \
        _hook_outcome(jws._no_duplicates, pairs)


def test_the_scanner_uses_object_of() -> None:
    """The strict decoder's hook is the C one when built (a duplicate member is refused all the same)."""
    native = _native()
    hook = jws._JSON.object_pairs_hook
    assert getattr(hook, "func", None) is native.object_of
    with pytest.raises(JoseDecodeError, match="duplicate member"):
        jws.parse_json('{"a":{"b":1,"b":1}}')
    assert jws.parse_json('{"a":{"b":1,"c":[{}]}}') == {"a": {"b": 1, "c": [{}]}}


# -- parse_compact's own reader of the usual JSON (_json.h) -----------------------------------------------------------
ES256_HEADER = b64url_encode(b'{"alg":"ES256"}')


def _nested(depth: int) -> str:
    return '{"a":' + "[" * depth + "1" + "]" * depth + "}"


PLAIN = ['{"a":1}', '{ "a" : 1 }', '{\t"a"\r:\n1 }', '{"a":123456789012345678}', '{"a":-123456789012345678}',
         '{"a":1234567890123456789}', '{"a":-0}', '{"a":-}', '{"a":01}', '{"a":0}', '{"a":-01}', '{"a":1.0}',
         '{"a":1e5}', '{"a":1E5}', '{"a":1.}', '{"a":"\\u0041"}', '{"a":"\\""}', '{"a":"\x01"}', '{"a":"x\ty"}',
         '{"a":"\x7f"}', '{"a":tru}', '{"a":true}', '{"a":truex}', '{"a":nul}', '{"a":NaN}', '{"a":-Infinity}',
         '{"a":Infinity}', '{"a":[1,2,]}', '{"a":1,}', "{,}", '{"a" "b"}', '{"a":{"b":1,"b":2}}', '{"a":1,"a":1}',
         '{"a":[{"b":[{"c":{}}]}]}', '{"a":1} ', ' {"a":1}', '{"a":1}\n', '{"é":"ü","😀":["ñ"]}',
         '{"a":[true,false,null]}',
         '{"":""}', '{"a":"b"}x', '{"a"}', '{"a":}', "{}", '{"a":[]}', '{"a":[ ]}', '{"a":123abc}', '{"a":[1 2]}',
         '{"a":"b",,"c":1}', '{"a":-}', '{"a":--1}', '{"a":+1}', '{"a":[{}, {"b": []}]}', "[]", '"s"', "1", "null",
         _nested(62), _nested(63), _nested(64), _nested(70), _nested(2000)]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_json_payloads(text: str) -> None:
    """The same header and payload as the scanner gives, or a deferral, for every form of JSON text."""
    agree_parse(f"{ES256_HEADER}.{b64url_encode(text.encode('utf-8'))}.AAAA")
    if text.startswith("{"):  # the same text as the header, with an alg
        with_alg = text.replace("{", '{"alg":"ES256",', 1)
        agree_parse(f"{b64url_encode(with_alg.encode('utf-8'))}.e30.AAAA")


@given(st.dictionaries(st.text(max_size=5), _json_values, max_size=5), st.sampled_from([None, 0, 1, "\t"]),
       st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")]), st.booleans())
@settings(max_examples=300)
def test_plain_json_formatted(payload: dict[str, Any], indent: Any, separators: tuple[str, str],
                              ascii_only: bool) -> None:
    text = json.dumps(payload, indent=indent, separators=separators, ensure_ascii=ascii_only)
    compact = f"{ES256_HEADER}.{b64url_encode(text.encode('utf-8'))}.AAAA"
    answered = agree_parse(compact)
    assert answered or python(Jws.parse, compact)[0] == "error" or "Infinity" in text or "NaN" in text \
        or not text.isascii() or any(c in text for c in "\\")
