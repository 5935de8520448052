"""SD-JWT VC verification (specs/sdjwt/vc.py) with its C part (specs/sdjwt/_vc.h's verify) against the Python code.

``verify_sd_jwt_vc`` and ``verify_sd_jwt_or_vc`` take a presentation given as text through one C call when the C part
is built. Whatever it returns, the Python code (``verify_sd_jwt`` then ``verified_vc``) returns too, field for field
and type for type; whatever the Python code refuses, the C part defers, and the refusal is the Python code's own
(same exception class, code and message). Checked for a credential a verifier sees every day (the C part must answer,
not defer), for a negative case of every check, for the kinds of credential it leaves to the Python code, and for
random mutations of a presentation. The tests fail, not skip, when the extension is not built.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import specs.jose.jws as jws
import specs.sdjwt.verify as verify
from specs.crypto import Algorithm, SoftwareSigner
from specs.errors import SdJwtValidityError
from specs.jose import b64url_encode, jwk_from_key, sign_compact
from specs.sdjwt import SD, Disclosure, SdJwt, issue_sd_jwt, present, verify_sd_jwt_vc
from specs.sdjwt.disclosure import HASHERS
from specs.sdjwt.vc import VerifiedSdJwtVc, verify_sd_jwt_or_vc
from tests.native_parts import native_part, python_only

ROOT = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
T = int(NOW.timestamp())
ISSUER = SoftwareSigner.generate()
HOLDER = SoftwareSigner.generate()
OTHER = SoftwareSigner.generate()
CNF = {"jwk": jwk_from_key(HOLDER.public_key())}
AUD, NONCE = "https://verifier.example", "n-0S6_WzA2Mj"
VC_HEADER = {"typ": "dc+sd-jwt"}
STATUS = {"status_list": {"idx": 7, "uri": "https://issuer.example/status/1"}}


def _native() -> ModuleType:
    return native_part(verify, jws)


def _claims(**extra: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"vct": "urn:example:licence:1", "iss": "https://issuer.example", "iat": T - 10,
                              "exp": T + 86400, "cnf": CNF, "given_name": SD("Minjun"), "family_name": SD("Kim"),
                              "age": SD({"over_18": SD(True), "over_65": SD(False)}),
                              "nationalities": [SD("KR"), "US"], "address": {"city": SD("Seoul"), "zip": "04524"}}
    for name, value in extra.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


ALL = [("given_name",), ("family_name",), ("age", "over_18"), ("age", "over_65"), ("nationalities", 0),
       ("address", "city")]


def _presentation(claims: dict[str, Any] | None = None, *, header: dict[str, Any] | None = None,
                  signer: SoftwareSigner = ISSUER, holder: SoftwareSigner | None = HOLDER, aud: str = AUD,
                  nonce: str = NONCE, iat: dt.datetime = NOW, paths: list[tuple[Any, ...]] = ALL) -> str:
    sd = issue_sd_jwt(signer, _claims() if claims is None else claims,
                      header=VC_HEADER if header is None else header, decoys=2)
    return present(sd, paths, holder=holder, aud=aud, nonce=nonce, iat=iat).serialize()


def _with_kb(presented: SdJwt | str, claims: dict[str, Any], *, header: dict[str, Any] | None = None,
             signer: SoftwareSigner = HOLDER, alg: str = "sha-256") -> str:
    """``presented`` (without a KB-JWT) with a KB-JWT of these claims; sd_hash made unless given."""
    text = presented.serialize() if isinstance(presented, SdJwt) else presented
    payload = {"iat": T, "aud": AUD, "nonce": NONCE,
               "sd_hash": b64url_encode(HASHERS[alg](text.encode("ascii")).digest()), **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return text + sign_compact(signer, {"typ": "kb+jwt"} if header is None else header, payload)


def _manual(payload: dict[str, Any], disclosures: list[Disclosure], *, alg: str = "sha-256",
            header: dict[str, Any] | None = None, signer: SoftwareSigner = ISSUER) -> str:
    """An SD-JWT made by hand (any _sd_alg): the payload with the digests of ``disclosures`` in its _sd."""
    body = {**payload, "_sd": [d.digest(alg) for d in disclosures], "_sd_alg": alg}
    jwt = sign_compact(signer, VC_HEADER if header is None else header, body)
    return SdJwt(jwt, tuple(disclosures)).serialize()


OPTIONS: dict[str, Any] = {"issuer_keys": [ISSUER.public_key()], "now": NOW, "expected_aud": AUD,
                           "expected_nonce": NONCE}


def _outcome(call: Callable[[], object]) -> tuple[str, Any]:
    try:
        return "ok", _summary(call())
    except Exception as exc:  # any refusal (or error) must be the same on both paths
        return "error", (type(exc), getattr(exc, "code", None), str(exc))


def _summary(result: object) -> Any:
    """Every field, its types included (repr), the holder key by its public numbers."""
    if isinstance(result, VerifiedSdJwtVc):
        return ("vc", result.vct, result.issuer, repr(result.claims), result.status, _summary(result.verified))
    key = result.holder_key  # type: ignore[attr-defined]
    numbers = key.public_numbers() if isinstance(key, ec.EllipticCurvePublicKey) else key
    return ("sd", type(result).__name__, repr(result.header), repr(result.claims),  # type: ignore[attr-defined]
            result.disclosed, numbers, result.holder_bound)  # type: ignore[attr-defined]


def _both(text: str, function: Callable[..., object] = verify_sd_jwt_vc, **options: Any) -> tuple[str, Any]:
    """The outcome with the C part and without it, which must be the same."""
    merged = {**OPTIONS, **options}
    _native()
    fast = _outcome(lambda: function(text, **merged))
    with python_only(verify):
        slow = _outcome(lambda: function(text, **merged))
    assert fast == slow
    return fast


def _answers(text: str, *, vc_only: bool = True, **options: Any) -> bool:
    """Whether the C part answers (rather than defers) for this presentation."""
    merged = {**OPTIONS, **options}
    resolved: list[Any] = []
    keys = merged["issuer_keys"]
    done = _native().verify(text, keys, merged["now"].timestamp(), 60.0, 300.0, merged["expected_aud"],
                            merged["expected_nonce"], merged.get("require_key_binding", False), resolved, vc_only)
    return done is not verify._DEFER


def _warm() -> None:
    """The key classes seen once by the Python code (the C part takes a key class only once it has)."""
    with python_only(verify):
        verify_sd_jwt_vc(_presentation(), **OPTIONS)


def test_everyday_credential_is_answered_in_c_with_the_python_result() -> None:
    _warm()
    text = _presentation()
    assert _both(text)[0] == "ok"
    assert _answers(text)
    result = verify_sd_jwt_vc(text, **OPTIONS)
    assert result.holder_bound and result.verified.holder_key is not None
    assert result.claims["age"] == {"over_18": True, "over_65": False}
    assert result.claims["nationalities"] == ["KR", "US"]


@pytest.mark.parametrize("paths", [[], [("given_name",)], [("age", "over_18")], [("nationalities", 0)], ALL])
def test_subsets_of_disclosures(paths: list[tuple[Any, ...]]) -> None:
    _warm()
    text = _presentation(paths=paths)
    assert _both(text)[0] == "ok"
    assert _answers(text)


def test_status_and_no_key_binding_and_no_cnf() -> None:
    _warm()
    with_status = _presentation(_claims(status=STATUS))
    outcome = _both(with_status)
    assert outcome[0] == "ok" and outcome[1][4] is not None
    assert _answers(with_status)
    unbound = _presentation(_claims(cnf=None), holder=None)
    assert _both(unbound, expected_aud=None, expected_nonce=None)[0] == "ok"
    assert _answers(unbound, expected_aud=None, expected_nonce=None)
    no_kb = _presentation(holder=None)
    assert _both(no_kb, expected_aud=None, expected_nonce=None)[0] == "ok"
    assert _both(no_kb, expected_aud=None, expected_nonce=None, require_key_binding=True)[1][1] == "sdjwt.kb_missing"


def test_verify_sd_jwt_or_vc_gives_the_plain_result_for_another_typ() -> None:
    _warm()
    plain = _presentation(header={"typ": "example+sd-jwt"})
    outcome = _both(plain, verify_sd_jwt_or_vc)
    assert outcome[0] == "ok" and outcome[1][0] == "sd"
    assert _answers(plain, vc_only=False)
    assert not _answers(plain)  # verify_sd_jwt_vc: refused by verified_vc, so deferred
    assert _both(plain)[1][1] == "sdjwt.vc_type"
    vc = _presentation()
    assert _both(vc, verify_sd_jwt_or_vc)[1][0] == "vc"


def _kb_base() -> SdJwt:
    return present(issue_sd_jwt(ISSUER, _claims(), header=VC_HEADER), [("given_name",)])


# One presentation per check, each refused by the Python code with its own code; the C part must defer all of them.
NEGATIVE: list[tuple[str, Callable[[], str], dict[str, Any]]] = [
    ("sdjwt.issuer_signature_invalid", lambda: _presentation(signer=OTHER), {}),
    ("sdjwt.issuer_signature_invalid", lambda: _presentation(),
     {"issuer_keys": [SoftwareSigner.generate(Algorithm.ES384).public_key()]}),
    ("sdjwt.issuer_signature_invalid", lambda: _presentation(), {"issuer_keys": []}),
    ("sdjwt.claim_sd_alg", lambda: _manual({"vct": "x", "cnf": CNF}, [], alg="sha-1"), {"expected_aud": None,
                                                                                        "expected_nonce": None}),
    ("sdjwt.claim_sd_alg", lambda: _manual({"vct": "x", "cnf": CNF}, [], alg=["sha-256"]),  # type: ignore[arg-type]
     {"expected_aud": None, "expected_nonce": None}),
    ("sdjwt.disclosure_unreferenced", lambda: SdJwt.parse(_presentation(holder=None)).with_disclosures(
        [Disclosure.create("x", 1)]).serialize(), {"expected_aud": None, "expected_nonce": None}),
    ("sdjwt.expired", lambda: _presentation(_claims(exp=T - 61)), {}),
    ("sdjwt.not_yet_valid", lambda: _presentation(_claims(nbf=T + 61)), {}),
    ("sdjwt.not_yet_valid", lambda: _presentation(_claims(iat=T + 61)), {}),
    ("sdjwt.claim_time_malformed", lambda: _presentation(_claims(exp="tomorrow")), {}),
    ("sdjwt.claim_time_malformed", lambda: _presentation(_claims(iat=-1)), {}),
    ("sdjwt.claim_time_malformed", lambda: _presentation(_claims(nbf=1.5)), {}),
    ("sdjwt.claim_time_malformed", lambda: _presentation(_claims(exp=True)), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf=None), holder=None), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf={"key": 1}), holder=None), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf=["jwk"]), holder=None), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf={"jwk": {**CNF["jwk"], "crv": "P-384"}})), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf={"jwk": {**CNF["jwk"], "kty": "OKP"}})), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf={"jwk": {**CNF["jwk"], "x": CNF["jwk"]["y"]}})), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf={"jwk": {**CNF["jwk"], "x": "AAAA"}})), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf={"jwk": {"kty": "EC", "crv": "P-256"}})), {}),
    ("sdjwt.kb_no_cnf", lambda: _presentation(_claims(cnf={"jwk": {**CNF["jwk"], "x": "AA=A"}})), {}),
    ("sdjwt.kb_missing", lambda: _presentation(holder=None), {}),
    ("sdjwt.kb_missing", lambda: _presentation(holder=None),
     {"expected_aud": None, "expected_nonce": None, "require_key_binding": True}),
    ("sdjwt.kb_malformed", lambda: _kb_base().serialize() + "e30.e30", {}),
    ("sdjwt.kb_type", lambda: _with_kb(_kb_base(), {}, header={"typ": "JWT"}), {}),
    ("sdjwt.kb_type", lambda: _with_kb(_kb_base(), {}, header={}), {}),
    ("sdjwt.kb_signature_invalid", lambda: _with_kb(_kb_base(), {}, signer=OTHER), {}),
    ("sdjwt.kb_signature_invalid", lambda: _with_kb(_kb_base(), {}, signer=SoftwareSigner.generate(Algorithm.ES384)),
     {}),
    ("sdjwt.kb_iat", lambda: _with_kb(_kb_base(), {"iat": T + 61}), {}),
    ("sdjwt.kb_iat", lambda: _with_kb(_kb_base(), {"iat": T - 361}), {}),
    ("sdjwt.kb_iat", lambda: _with_kb(_kb_base(), {"iat": 10**400}), {}),
    ("sdjwt.kb_iat", lambda: _with_kb(_kb_base(), {"iat": str(T)}), {}),
    ("sdjwt.kb_iat", lambda: _with_kb(_kb_base(), {"iat": None}), {}),
    ("sdjwt.kb_nonce", lambda: _with_kb(_kb_base(), {"nonce": "old"}), {}),
    ("sdjwt.kb_nonce", lambda: _with_kb(_kb_base(), {"nonce": None}), {}),
    ("sdjwt.kb_nonce", lambda: _with_kb(_kb_base(), {"nonce": [NONCE]}), {}),
    ("sdjwt.kb_aud", lambda: _with_kb(_kb_base(), {"aud": "https://other.example"}), {}),
    ("sdjwt.kb_aud", lambda: _with_kb(_kb_base(), {"aud": [AUD]}), {}),
    ("sdjwt.kb_sd_hash", lambda: _with_kb(_kb_base(), {"sd_hash": "x"}), {}),
    ("sdjwt.kb_sd_hash", lambda: _with_kb(_kb_base(), {"sd_hash": None}), {}),
    ("sdjwt.kb_sd_hash", lambda: _kb_base().serialize() + _with_kb(present(
        issue_sd_jwt(ISSUER, _claims(), header=VC_HEADER), [("family_name",)]), {}).rsplit("~", 1)[1], {}),
    ("sdjwt.vc_type", lambda: _presentation(header={"typ": "JWT"}), {}),
    ("sdjwt.vc_type", lambda: _presentation(header={}), {}),
    ("sdjwt.vc_vct", lambda: _presentation(_claims(vct=None)), {}),
    ("sdjwt.vc_vct", lambda: _presentation(_claims(vct="")), {}),
    ("sdjwt.vc_vct", lambda: _presentation(_claims(vct=["a"])), {}),
    ("sdjwt.claim_not_disclosable", lambda: _presentation(_claims(vct=SD("urn:x")), paths=[("vct",)]), {}),
    ("sdjwt.claim_not_disclosable", lambda: _presentation(_claims(iss=SD("https://i")), paths=[("iss",)]), {}),
    ("sdjwt.vc_iss", lambda: _presentation(_claims(iss=7)), {}),
    ("status.list_reference", lambda: _presentation(_claims(status={"status_list": {"idx": -1, "uri": "u"}})), {}),
    ("status.list_reference", lambda: _presentation(_claims(status="revoked")), {}),
]


@pytest.mark.parametrize(("code", "make", "options"), NEGATIVE, ids=[f"{n[0]}-{i}" for i, n in enumerate(NEGATIVE)])
def test_every_check_refused_by_python_and_deferred_by_c(code: str, make: Callable[[], str],
                                                          options: dict[str, Any]) -> None:
    _warm()
    text = make()
    outcome = _both(text, **options)
    assert outcome[0] == "error" and outcome[1][1] == code, outcome
    assert not _answers(text, **options)


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
def test_a_null_time_claim_is_malformed(name: str) -> None:
    """``null`` is not a NumericDate (it once passed the check and then failed as a TypeError)."""
    _warm()
    outcome = _both(_manual({"vct": "x", name: None, "cnf": CNF}, []), expected_aud=None, expected_nonce=None)
    assert outcome[0] == "error" and outcome[1][:2] == (SdJwtValidityError, "sdjwt.claim_time_malformed")


def test_kinds_left_to_python_give_the_python_result() -> None:
    """An Ed25519 holder, an ES384 issuer, sha-384 digests, a resolver: the same results (some through C)."""
    _warm()
    ed = SoftwareSigner.generate(Algorithm.EDDSA)
    ed_text = _presentation(_claims(cnf={"jwk": jwk_from_key(ed.public_key())}), holder=ed)
    assert _both(ed_text)[0] == "ok"
    es384 = SoftwareSigner.generate(Algorithm.ES384)
    es384_text = _presentation(signer=es384)
    assert _both(es384_text, issuer_keys=[es384.public_key()])[0] == "ok"
    assert _both(es384_text, issuer_keys=[ISSUER.public_key(), es384.public_key()])[0] == "ok"
    d = [Disclosure.create("given_name", "Minjun"), Disclosure.create("family_name", "Kim")]
    sha384 = _with_kb(_manual({"vct": "x", "cnf": CNF}, d, alg="sha-384"), {}, alg="sha-384")
    assert _both(sha384)[0] == "ok"
    assert _answers(sha384)


def test_the_resolver_is_called_once_and_its_errors_propagate() -> None:
    _warm()
    calls: list[tuple[Any, Any]] = []

    def resolver(header: Any, payload: Any) -> list[Any]:
        calls.append((header, payload))
        return [ISSUER.public_key()]

    good = _presentation()
    assert verify_sd_jwt_vc(good, **{**OPTIONS, "issuer_keys": resolver}).vct == "urn:example:licence:1"
    assert len(calls) == 1 and calls[0][0] == {"alg": "ES256", **VC_HEADER}
    calls.clear()
    expired = _presentation(_claims(exp=T - 61))  # the C part defers after the resolver: no second call
    assert _both(expired, issuer_keys=resolver)[1][1] == "sdjwt.expired"
    assert len(calls) == 2  # once with the C part, once without

    def failing(header: Any, payload: Any) -> list[Any]:
        raise LookupError("no such issuer")

    assert _both(good, issuer_keys=failing) == ("error", (LookupError, None, "no such issuer"))
    assert _both(good, issuer_keys=lambda h, p: (ISSUER.public_key(),))[0] == "ok"
    assert _both(good, issuer_keys=lambda h, p: iter([ISSUER.public_key()]))[0] == "ok"


def test_unusual_arguments_take_the_python_path() -> None:
    _warm()
    text = _presentation()
    assert _both(text, require_key_binding=1)[0] == "ok"
    assert _both(text, expected_nonce=b"n")[1][1] == "sdjwt.kb_nonce"
    assert _both(SdJwt.parse(text))[0] == "ok"  # type: ignore[arg-type]
    assert _both(f" {text}")[0] == "ok"  # stripped by split_sd_jwt, deferred by the C split
    naive = NOW.replace(tzinfo=None)
    assert _both(text, now=naive)[0] in ("ok", "error")


def _mutations() -> st.SearchStrategy[tuple[int, int, str]]:
    return st.tuples(st.integers(0, 10**6), st.integers(0, 3), st.sampled_from("~.-_Aa0{}\"e=+/ "))


BASE = _presentation()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(), min_size=1, max_size=3))
def test_mutated_presentations_agree(edits: list[tuple[int, int, str]]) -> None:
    """Characters replaced, inserted or removed anywhere (the structure, a signature, a disclosure, the KB-JWT):
    the same result or the same refusal with and without the C part."""
    _warm()
    text = BASE
    for at, how, char in edits:
        i = at % (len(text) + 1)
        if how == 0:
            text = text[:i] + char + text[i + 1:]
        elif how == 1:
            text = text[:i] + char + text[i:]
        elif how == 2:
            text = text[:i] + text[i + 1:]
        else:  # a part dropped or repeated
            parts = text.split("~")
            j = at % len(parts)
            parts = parts[:j] + parts[j + 1:] if char < "A" else [*parts[:j], parts[j], *parts[j:]]
            text = "~".join(parts)
    _both(text)
    _both(text, verify_sd_jwt_or_vc)


def test_switched_off_by_the_environment() -> None:
    """``MOBILEID_PURE_CBOR=1``: the Python code alone, with the same result."""
    code = ("import sys; sys.path.insert(0, 'tests/specs/sdjwt'); import test_vc as t, specs.sdjwt.verify as v; "
            "r = t.verify_sd_jwt_vc(t._presentation(), **t.OPTIONS); print(v._native is None, r.holder_bound)")
    env = {**os.environ, "MOBILEID_PURE_CBOR": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True True"


def test_the_published_examples_agree_and_are_answered() -> None:
    """RFC 9901's example presentations (an SD-JWT and an SD-JWT VC with key binding, with the RFC's issuer key and
    time) and our own: the same result with and without the C part, and the C part answers for each."""
    import json

    from fuzz.targets import RFC_KB_IAT, SD_AUD, SD_NONCE, _context
    from specs.jose import key_from_jwk

    _warm()
    rfc = key_from_jwk(json.loads((ROOT / "tests" / "vectors" / "sd-jwt" / "issuer_public_jwk.json").read_text()))
    own = key_from_jwk(_context()["sd_jwt_issuer_jwk"])
    options = {"issuer_keys": [rfc, own], "now": dt.datetime.fromtimestamp(RFC_KB_IAT, dt.UTC),
               "expected_aud": SD_AUD, "expected_nonce": SD_NONCE}
    verified = []
    for path in sorted((ROOT / "fuzz" / "seeds" / "sd_jwt").glob("*kb_presentation.txt")):
        text = path.read_text().strip()
        if _both(text, verify_sd_jwt_or_vc, **options)[0] == "ok":  # one example has a KB-JWT of another time
            assert _answers(text, vc_only=False, **options), path.name
            verified.append(path.name)
    assert {"own_vc_kb_presentation.txt", "simple_sd_jwt_kb_presentation.txt",
            "sd_jwt_vc_pid_kb_presentation.txt"} <= set(verified)


@st.composite
def _credentials(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A presentation of a generated credential (claims disclosable or not, nested, in arrays; any subset shown)
    and verifier options that may or may not fit it."""
    values = st.one_of(st.text(max_size=6), st.integers(-10, 10**12), st.booleans(), st.none())
    names = st.sampled_from(["a", "b", "c", "given", "é", "address", "list"])
    claims: dict[str, Any] = {"vct": draw(st.sampled_from(["urn:x", "urn:x", "urn:y", ""])), "cnf": CNF}
    for name in draw(st.lists(names, unique=True, max_size=5)):
        kind = draw(st.integers(0, 4))
        value: Any = draw(values)
        if kind == 1:
            value = SD(value)
        elif kind == 2:
            value = SD({"inner": SD(draw(values)), "plain": draw(values)})
        elif kind == 3:
            value = [SD(draw(values)), draw(values), SD([SD(draw(values))])]
        claims[name] = value
    for name, choices in (("iat", [None, T - 5, T - 5, T - 5, T - 5, T + 120]),
                          ("exp", [None, T + 3600, T + 3600, T + 3600, T + 3600, T - 3600]),
                          ("nbf", [None, None, T - 5, T - 5, T - 5, T + 120]),
                          ("iss", [None, "https://i", "https://i", 5]),
                          ("status", [None, STATUS, STATUS, {"status_list": {"idx": "1", "uri": "u"}}])):
        choice = draw(st.sampled_from(choices))
        if choice is not None:
            claims[name] = choice
    sd = issue_sd_jwt(ISSUER, claims, header=draw(st.sampled_from([VC_HEADER, VC_HEADER, {"typ": "JWT"}, {}])),
                      decoys=draw(st.integers(0, 2)))
    subset = draw(st.sampled_from(["all", "all", "none", "any"]))  # any subset may leave a nested one orphaned
    shown = [d for d in sd.disclosures if subset == "all" or (subset == "any" and draw(st.booleans()))]
    iat = NOW + dt.timedelta(seconds=draw(st.sampled_from([0, 0, 0, -30, 200, -400])))
    text = SdJwt(sd.issuer_jwt, tuple(shown)).serialize()
    holder = draw(st.sampled_from([HOLDER, HOLDER, HOLDER, OTHER, None]))
    if holder is not None:
        text = _with_kb(text, {"iat": int(iat.timestamp()), "nonce": draw(st.sampled_from([NONCE, NONCE, "x"]))},
                        signer=holder)
    options = {"expected_aud": draw(st.sampled_from([AUD, None])),
               "expected_nonce": draw(st.sampled_from([NONCE, None])), "require_key_binding": draw(st.booleans())}
    return text, options


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_credentials())
def test_generated_credentials_agree(case: tuple[str, dict[str, Any]]) -> None:
    """Generated credentials and presentations, valid or not in any way: the same outcome with and without the C part
    (for both entry points), and the C part answers for every valid SD-JWT VC."""
    _warm()
    text, options = case
    outcome = _both(text, **options)
    _both(text, verify_sd_jwt_or_vc, **options)
    if outcome[0] == "ok":
        assert _answers(text, **options)
