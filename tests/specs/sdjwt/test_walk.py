"""The C part of disclosure processing (specs/sdjwt/_walk.c) against the Python code it must agree with.

Whatever the C part returns, ``Disclosure.parse``, ``index_disclosures`` and ``process`` return too (the claims,
value for value and type for type, and where each disclosure landed, in the same order); whatever they refuse, the C
part defers; ``present`` splits a presentation as ``split_sd_jwt`` does, or defers. Checked on issued SD-JWTs with
nested and array disclosures, decoys and every subset of their disclosures, on payloads whose ``_sd`` and ``...``
digests are drawn at random from the presented ones (repeats, wrong kinds, overwrites, non-text digests included),
on disclosure text of every form, and end to end through ``verify_sd_jwt`` with and without the C part. The C part
must answer (not defer) for the presentations a verifier sees every day. The tests fail, not skip, when the
extension is not built.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import specs.jose.jws as jws
import specs.sdjwt.verify as verify
from specs.crypto import SoftwareSigner
from specs.errors import MobileIdError
from specs.jose import Jws, b64url_encode, jwk_from_key
from specs.sdjwt import SD, Disclosure, SdJwt, issue_sd_jwt, verify_sd_jwt
from specs.sdjwt.disclosure import HASHERS
from specs.sdjwt.processing import MAX_DEPTH, index_disclosures, process
from specs.sdjwt.sd_jwt import MAX_DISCLOSURES, MAX_SD_JWT_SIZE, split_sd_jwt
from tests.native_parts import native_part, python_only

ROOT = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
ISSUER = SoftwareSigner.generate()
HOLDER = SoftwareSigner.generate()


def _native() -> ModuleType:
    return native_part(verify, jws)


def python_walk(parts: list[str], payload: Any, alg: str = "sha-256") -> tuple[str, Any]:
    """The Python functions on the parts and payload: ("ok", (claims, paths)) or ("error", what they raised)."""
    try:
        processed = process(payload, index_disclosures([Disclosure.parse(p) for p in parts], alg))
    except MobileIdError as exc:
        return "error", (type(exc), exc.code, str(exc))
    return "ok", (processed.claims, list(processed.paths.values()))


def native_walk(parts: list[str], payload: Any, alg: str = "sha-256") -> Any:
    """The C part on the same: (claims, paths), or its DEFER."""
    native, b64 = _native(), jws._native
    assert b64 is not None
    disclosed = native.disclose(parts, b64.decode_text, jws._SCAN, b64.DEFER)
    if disclosed is native.DEFER:
        return disclosed
    return native.walk(disclosed, payload, HASHERS[alg], b64url_encode)


def agree(parts: list[str], payload: Any, alg: str = "sha-256", *, must_answer: bool = False) -> None:
    outcome, value = python_walk(parts, payload, alg)
    fast = native_walk(parts, payload, alg)
    if outcome == "error":
        assert fast is _native().DEFER, f"C accepted what Python refuses ({value[1]})"
        return
    if fast is _native().DEFER:
        assert not must_answer, "C deferred a presentation Python accepts"
        return
    claims, paths = fast
    assert repr(claims) == repr(value[0]), "C and Python rebuild different claims"  # repr: True is not 1
    assert paths == value[1] and all(type(p) is tuple for p in paths), "C and Python disagree on the paths"


# -- values and claim structures --------------------------------------------------------------------------
NAMES = st.sampled_from(["a", "b", "name", "address", "city", "_sd_alg", "é", "…", "_sd", "..."])
SCALARS = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False) | \
    st.text(max_size=6)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3),
                    max_leaves=12)


def _marked(draw: st.DrawFn, depth: int) -> Any:
    """A claim value where objects' members and arrays' elements are sometimes SD(...)."""
    kind = draw(st.integers(0, 4 if depth < 4 else 0))
    if kind <= 1:
        return draw(SCALARS)
    if kind == 2:
        return [SD(v) if draw(st.booleans()) else v for v in
                (_marked(draw, depth + 1) for _ in range(draw(st.integers(0, 3))))]
    names = draw(st.lists(st.sampled_from(["a", "b", "name", "city", "é", "x y"]), max_size=4, unique=True))
    return {n: SD(v) if draw(st.booleans()) else v for n, v in ((n, _marked(draw, depth + 1)) for n in names)}


@st.composite
def issued(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """An issued payload (decoys included) and its disclosures as they would arrive."""
    claims = _marked(draw, 0)
    if not isinstance(claims, dict):
        claims = {"v": SD(claims)}
    decoys = draw(st.integers(0, 3))
    sd = issue_sd_jwt(ISSUER, claims, decoys=decoys)
    return dict(Jws.parse(sd.issuer_jwt).payload), [d.encoded for d in sd.disclosures]


# -- the common case: answered, and the same -------------------------------------------------------------
def test_built_and_used() -> None:
    _native()
    sd = issue_sd_jwt(ISSUER, {"a": SD(1), "b": [SD("x"), 2], "c": SD({"d": SD(True)})})
    parts = [d.encoded for d in sd.disclosures]
    payload = dict(Jws.parse(sd.issuer_jwt).payload)
    claims, paths = native_walk(parts, payload)
    assert claims == {"b": ["x", 2], "a": 1, "c": {"d": True}} and claims["c"]["d"] is True
    assert repr(claims) == repr(python_walk(parts, payload)[1][0])  # the same order: the _sd order, by digest
    assert sorted(paths) == [("a",), ("b", 0), ("c",), ("c", "d")] and paths.index(("c",)) < paths.index(("c", "d"))
    assert paths == python_walk(parts, payload)[1][1]


@given(issued())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_issued_every_disclosure(case: tuple[dict[str, Any], list[str]]) -> None:
    payload, parts = case
    agree(parts, payload, must_answer=True)


@given(issued(), st.randoms(use_true_random=False))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_issued_any_subset_in_any_order(case: tuple[dict[str, Any], list[str]], rnd: Any) -> None:
    """Any subset: a nested disclosure without its parent is unreferenced (refused); the rest is answered."""
    payload, parts = case
    chosen = [p for p in parts if rnd.random() < 0.6]
    rnd.shuffle(chosen)
    agree(chosen, payload)


@given(issued(), st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_issued_repeated_and_foreign_disclosures(case: tuple[dict[str, Any], list[str]], rnd: Any) -> None:
    payload, parts = case
    extra = [Disclosure.create(rnd.choice([None, "a", "z"]), rnd.random()).encoded]
    mixed = parts + ([rnd.choice(parts)] if parts else []) + extra
    rnd.shuffle(mixed)
    agree(mixed, payload)
    agree(parts + extra, payload)


# -- payloads built at random around the presented digests -------------------------------------------------
@st.composite
def tangled(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """Disclosures of random JSON, and a payload whose _sd and ... digests are drawn from theirs and from junk:
    repeats, objects in arrays and elements in objects, overwrites, non-text digests, _sd that is not an array."""
    disclosures = [Disclosure.create(draw(st.none() | NAMES.filter(lambda n: n not in ("_sd", "..."))), draw(JSON))
                   for _ in range(draw(st.integers(0, 5)))]
    digests = [d.digest() for d in disclosures]
    digest = st.sampled_from(digests) if digests else st.just("x" * 43)
    junk = digest | st.text(max_size=4) | st.integers(0, 3) | st.none() | st.lists(digest, max_size=2)

    def node(depth: int) -> Any:
        kind = draw(st.integers(0, 4 if depth < 5 else 0))
        if kind <= 1:
            return draw(SCALARS)
        if kind == 2:
            return [draw(st.sampled_from([{"...": draw(junk)}, {"...": draw(digest), "x": 1}, node(depth + 1)]))
                    for _ in range(draw(st.integers(0, 3)))]
        obj = {draw(NAMES): node(depth + 1) for _ in range(draw(st.integers(0, 3)))}
        if draw(st.booleans()):
            obj["_sd"] = draw(st.lists(junk, max_size=4) | junk)
        return obj

    payload = node(0)
    if not isinstance(payload, dict):
        payload = {"_sd": digests}
    if draw(st.booleans()):
        payload["_sd_alg"] = "sha-256"
    return payload, [d.encoded for d in disclosures]


@given(tangled())
@settings(max_examples=400, deadline=None)
def test_tangled_payloads(case: tuple[dict[str, Any], list[str]]) -> None:
    payload, parts = case
    agree(parts, payload)


@given(tangled(), st.sampled_from(sorted(HASHERS)))
@settings(max_examples=100, deadline=None)
def test_other_hashes(case: tuple[dict[str, Any], list[str]], alg: str) -> None:
    payload, parts = case
    agree(parts, payload, alg)


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = {"n": leaf}
    return leaf


def _b64(text: str) -> str:
    return b64url_encode(text.encode("utf-8", "surrogatepass"))


def _faults() -> list[tuple[str, list[str], dict[str, Any]]]:
    """One valid presentation and each §7.1 fault made in it alone: (the code Python gives, parts, payload)."""
    a, b, e = Disclosure.create("a", 1), Disclosure.create("b", {"c": 2}), Disclosure.create(None, "x")
    good = {"_sd": [a.digest(), b.digest()], "list": [{"...": e.digest()}, 3]}
    parts = [a.encoded, b.encoded, e.encoded]
    return [
        ("", parts, good),
        ("sdjwt.disclosure_repeated", [*parts, a.encoded], good),
        ("sdjwt.disclosure_unreferenced", [*parts, Disclosure.create("z", 0).encoded], good),
        ("sdjwt.disclosure_duplicate_digest", parts, {**good, "again": {"_sd": [a.digest()]}}),
        ("sdjwt.disclosure_duplicate_digest", parts, {**good, "list": [{"...": e.digest()}, {"...": e.digest()}]}),
        ("sdjwt.disclosure_wrong_kind", parts, {"_sd": [a.digest(), b.digest(), e.digest()]}),
        ("sdjwt.disclosure_wrong_kind", parts,
         {"_sd": [b.digest()], "list": [{"...": e.digest()}, {"...": a.digest()}]}),
        ("sdjwt.claim_overwrite", parts, {**good, "a": 0}),
        ("sdjwt.claim_malformed_digests", parts, {**good, "_sd": [a.digest(), b.digest(), 7]}),
        ("sdjwt.claim_malformed_digests", parts, {**good, "_sd": a.digest()}),
        ("sdjwt.claim_malformed_digests", parts, {**good, "list": [{"...": e.digest(), "x": 1}]}),
        ("sdjwt.claim_malformed_digests", parts, {**good, "list": [{"...": None}]}),
        ("sdjwt.claim_reserved_name", [*parts, _b64('["s","_sd",1]')], good),
        ("sdjwt.claim_reserved_name", [*parts, _b64('["s","...",1]')], good),
        ("sdjwt.disclosure_malformed", [*parts, _b64('["s",1,1]')], good),
        ("sdjwt.disclosure_malformed", [*parts, _b64('["s"]')], good),
        ("sdjwt.disclosure_malformed", [*parts, _b64('{"s":1}')], good),
        ("sdjwt.disclosure_malformed", [*parts, _b64('["s","n",1,]')], good),
        ("sdjwt.disclosure_malformed", [*parts, _b64('["s","n",{"a":1,"a":2}]')], good),
        ("sdjwt.disclosure_malformed", [*parts, "WyJzIiwibiIsMV0="], good),
        ("sdjwt.claim_too_deep", parts, {**good, "deep": _nested(MAX_DEPTH + 1, 1)}),
    ]


@pytest.mark.parametrize(("code", "parts", "payload"), _faults(), ids=[f[0] or "valid" for f in _faults()])
def test_each_refusal_is_deferred(code: str, parts: list[str], payload: dict[str, Any]) -> None:
    outcome, value = python_walk(parts, payload)
    assert (outcome, value[1] if outcome == "error" else "") == ("error" if code else "ok", code)
    agree(parts, payload, must_answer=not code)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
@pytest.mark.parametrize("leaf", [1, {}, [], [1], {"_sd": []}])
def test_depth_limit(depth: int, leaf: Any) -> None:
    agree([], _nested(depth, leaf))
    disclosure = Disclosure.create("d", leaf)
    agree([disclosure.encoded], _nested(depth, {"_sd": [disclosure.digest()]}))
    element = Disclosure.create(None, leaf)
    agree([element.encoded], _nested(depth, [{"...": element.digest()}]))


# -- disclosure text of every form -------------------------------------------------------------------------
SEPARATORS = st.sampled_from([(",", ":"), (", ", ": "), (" ,", " :")])
DISCLOSURE_TEXT = st.one_of(
    st.builds(lambda s, n, v, sep, a: json.dumps([s, n, v], separators=sep, ensure_ascii=a),
              st.text(max_size=8), st.text(max_size=8), JSON, SEPARATORS, st.booleans()),
    st.builds(lambda s, v, sep, a: json.dumps([s, v], separators=sep, ensure_ascii=a),
              st.text(max_size=8), JSON, SEPARATORS, st.booleans()),
    st.builds(lambda v: json.dumps(v, ensure_ascii=False), st.lists(JSON, max_size=4)),
    st.builds(lambda s, n, v: json.dumps([s, n, v]), SCALARS, SCALARS | NAMES, JSON),
    st.sampled_from(['["s","n",1] ', ' ["s","n",1]', '["s","n",1]x', '["s","n",1,]', '["s","n",NaN]',
                     '["s","n",{"a":1,"a":2}]', '["s","_sd",1]', '["s","...",1]', '["s",1,1]', '[1,"n",1]',
                     '{"s":1}', '"s"', '["s"]', '["s","n",1,2]', '["\\ud800","n",1]', '["s","\\u005fsd",1]']),
    st.text(max_size=30),
)


@given(st.lists(DISCLOSURE_TEXT, max_size=4))
@settings(max_examples=400, deadline=None)
def test_disclosure_text(texts: list[str]) -> None:
    parts = [_b64(t) for t in texts]
    payload = {"_sd": [b64url_encode(HASHERS["sha-256"](p.encode()).digest()) for p in parts]}
    agree(parts, payload)
    agree(parts, {"a": [{"...": d} for d in payload["_sd"]]})


@given(st.lists(st.text(max_size=20) | st.sampled_from(["", "=", "WyJzIiwibiIsMV0=", "WyJzIiwibiIsMV0 ", "é"]),
                max_size=3))
@settings(max_examples=200, deadline=None)
def test_not_base64url(parts: list[str]) -> None:
    agree(parts, {"_sd": []})


def test_not_text_and_not_a_payload() -> None:
    native, b64 = _native(), jws._native
    assert b64 is not None
    assert native.disclose([b"WyJzIiwibiIsMV0"], b64.decode_text, jws._SCAN, b64.DEFER) is native.DEFER
    assert native.walk([], [], HASHERS["sha-256"], b64url_encode) is native.DEFER
    with pytest.raises(TypeError):
        native.walk([("n", 1)], {}, HASHERS["sha-256"], b64url_encode)


# -- present: split_sd_jwt and disclose in one call -------------------------------------------------------------
def python_present(text: Any) -> tuple[str, Any]:
    """split_sd_jwt and Disclosure.parse on a presentation: ("ok", (issuer JWT, KB-JWT or None, the text sd_hash
    covers, [(name, value, part)])) or ("error", what they raised)."""
    try:
        parts = split_sd_jwt(text)
        disclosures = [Disclosure.parse(p) for p in parts[1:-1]]
    except MobileIdError as exc:
        return "error", (type(exc), exc.code, str(exc))
    return "ok", (parts[0], parts[-1] or None, "~".join([*parts[:-1], ""]),
                  [(d.name, d.value, d.encoded) for d in disclosures])


def agree_present(text: Any) -> Any:
    native, b64 = _native(), jws._native
    assert b64 is not None
    fast = native.present(text, b64.decode_text, jws._SCAN, b64.DEFER)
    slow = python_present(text)
    if slow[0] == "error":
        assert fast is native.DEFER, f"C accepted what Python refuses ({slow[1]})"
    elif fast is not native.DEFER:
        issuer_jwt, kb_jwt, presented, disclosed = fast
        assert (issuer_jwt, kb_jwt, presented) == slow[1][:3]
        assert repr(disclosed) == repr(slow[1][3])
        assert [type(v) for _, v, _ in disclosed] == [type(v) for _, v, _ in slow[1][3]]
    return fast


_GOOD = [b64url_encode(json.dumps(d).encode()) for d in (["s", "a", 1], ["t", {"b": [1, 2.5]}], ["u", "c", None])]
PRESENTATION_PART = st.sampled_from([*_GOOD, "", " ", "\t", "\x1c", "\u3000", "eyJ.eyJ.c2ln", "é", "WyJ", "~"]) | \
    st.text(alphabet="ab~ \n.=+/_-é", max_size=8)


@given(st.lists(PRESENTATION_PART, max_size=8))
@settings(max_examples=600, deadline=None)
def test_present_agrees_with_split_and_parse(pieces: list[str]) -> None:
    agree_present("".join(pieces))
    agree_present("~".join(pieces))


@given(st.lists(st.sampled_from(_GOOD), max_size=5), st.sampled_from(["", "eyJ.eyJ.c2ln"]))
@settings(max_examples=100, deadline=None)
def test_present_answers_for_every_well_formed_presentation(disclosures: list[str], kb_jwt: str) -> None:
    text = "~".join(["eyJ.eyJ.c2ln", *disclosures, kb_jwt])
    assert agree_present(text) is not _native().DEFER


def test_present_limits() -> None:
    native, b64 = _native(), jws._native
    assert b64 is not None
    many = "~".join(["eyJ.eyJ.c2ln", *[_GOOD[0]] * (MAX_DISCLOSURES + 1), ""])
    fewer = "~".join(["eyJ.eyJ.c2ln", *[_GOOD[0]] * MAX_DISCLOSURES, ""])
    large = "eyJ~" + "A" * MAX_SD_JWT_SIZE + "~"
    for text in (many, large, b"eyJ~", "eyJ", "~", "", " eyJ~", "eyJ~\n", "eyJ~~", "~" + _GOOD[0] + "~"):
        assert agree_present(text) is native.DEFER
    assert agree_present(fewer) is not native.DEFER
    with pytest.raises(TypeError):
        native.present("eyJ~", b64.decode_text, jws._SCAN)


# -- end to end ----------------------------------------------------------------------------------------------
def _verify(text: str, **kw: Any) -> tuple[str, Any]:
    try:
        v = verify_sd_jwt(text, issuer_keys=[ISSUER.public_key()], now=NOW, **kw)
    except MobileIdError as exc:
        return "error", (type(exc), exc.code, str(exc))
    return "ok", (repr(v.header), repr(v.claims), v.disclosed, v.holder_bound,
                  None if v.holder_key is None else jwk_from_key(v.holder_key))


@given(issued(), st.randoms(use_true_random=False), st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_verify_sd_jwt_with_and_without_the_c_part(case: tuple[dict[str, Any], list[str]], rnd: Any,
                                                   bound: bool) -> None:
    from specs.jose import sign_compact
    from specs.sdjwt.key_binding import create_kb_jwt

    payload, parts = case
    payload["cnf"] = {"jwk": jwk_from_key(HOLDER.public_key())}
    chosen = [p for p in parts if rnd.random() < 0.8]
    sd = SdJwt(sign_compact(ISSUER, {}, payload), tuple(Disclosure.parse(p) for p in chosen))
    text = sd.serialize()
    options: dict[str, Any] = {}
    if bound:
        text = create_kb_jwt(HOLDER, sd, aud="https://verifier.example", nonce="n", iat=NOW).serialize()
        options = {"expected_aud": "https://verifier.example", "expected_nonce": rnd.choice(["n", "m"])}
    _native()
    fast = _verify(text, **options)
    with python_only(verify):
        slow = _verify(text, **options)
    assert fast == slow


def test_switched_off_by_the_environment() -> None:
    code = "import specs.sdjwt.verify as v; print(v._native is None)"
    env = {**os.environ, "MOBILEID_PURE_CBOR": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize("text", ['["s","n","v"]', '[ "s" , "n" , "v" ]', '[\t"s",\n"n",\r"v"\n]', '["s","v"]',
                                  '["s","n","v"] ', '["s","n","v"]]', '["s","n","v",]', '["s""n","v"]', "[]", "[,]",
                                  '["s","n\\"x","v"]', '["s","n","\\u0041"]', '["s","n","a\x01"]', '["s","n","a\x7f"]',
                                  '["é","ñ","😀"]', '["s","n","v"', '["s","n",]', '["s",,"n","v"]', '["s","n" "v"]',
                                  '["s","_sd","v"]', '["s","...","v"]', '["","",""]', '["s","n","v"]\x00'])
def test_plain_string_disclosures(text: str) -> None:
    """The disclosures the C part reads without the JSON scanner (arrays of plain strings) and their near misses."""
    parts = [_b64(text)]
    payload = {"_sd": [b64url_encode(HASHERS["sha-256"](p.encode()).digest()) for p in parts]}
    agree(parts, payload)
    agree(parts, {"a": [{"...": d} for d in payload["_sd"]]})
