"""A negative case for every RFC 9901 §7 check, each asserting its own error code."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from specs.crypto import SoftwareSigner
from specs.errors import MobileIdError
from specs.jose import b64url_encode, jwk_from_key, sign_compact
from specs.sdjwt import SD, Disclosure, SdJwt, issue_sd_jwt, present, verify_sd_jwt, verify_sd_jwt_vc
from specs.sdjwt.key_binding import create_kb_jwt

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
ISSUER = SoftwareSigner.generate()
HOLDER = SoftwareSigner.generate()
CNF = {"jwk": jwk_from_key(HOLDER.public_key())}


def _code(presentation: str, **kw: Any) -> str:
    options: dict[str, Any] = {"issuer_keys": [ISSUER.public_key()], "now": NOW, **kw}
    with pytest.raises(MobileIdError) as info:
        verify_sd_jwt(presentation, **options)
    return info.value.code


def _signed(payload: dict[str, Any], disclosures: list[Disclosure], header: dict[str, Any] | None = None,
            signer: SoftwareSigner = ISSUER) -> str:
    jwt = sign_compact(signer, header or {}, payload)
    return SdJwt(jwt, tuple(disclosures)).serialize()


def _disc(name: str | None, value: Any) -> Disclosure:
    return Disclosure.create(name, value)


def test_issuer_signature_and_foreign_key() -> None:
    token = issue_sd_jwt(SoftwareSigner.generate(), {"a": SD(1)}).serialize()
    assert _code(token) == "sdjwt.issuer_signature_invalid"
    good = issue_sd_jwt(ISSUER, {"a": SD(1)}).serialize()
    jwt, rest = good.split("~", 1)
    h, p, s = jwt.split(".")
    assert _code(f"{h}.{p}.{s[:-4]}AAAA~{rest}") == "sdjwt.issuer_signature_invalid"


def test_alg_none_and_hmac_with_public_key() -> None:
    payload = b64url_encode(json.dumps({"a": 1}).encode())
    none = b64url_encode(b'{"alg":"none"}')
    assert _code(f"{none}.{payload}.~") == "sdjwt.issuer_signature_invalid"
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    header = b64url_encode(b'{"alg":"HS256"}')
    secret = ISSUER.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    mac = b64url_encode(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    assert _code(f"{header}.{payload}.{mac}~") == "sdjwt.issuer_signature_invalid"


def test_jose_traps() -> None:
    crit = sign_compact(ISSUER, {"crit": ["exp"], "exp": 1}, {"a": 1}) + "~"
    assert _code(crit) == "jose.malformed"
    dup = b64url_encode(b'{"alg":"ES256","alg":"none"}') + "." + b64url_encode(b'{"a":1}') + ".AA~"
    assert _code(dup) == "jose.malformed"
    assert _code(_signed({"exp": "2099-01-01"}, [])) == "sdjwt.claim_time_malformed"


def test_unreferenced_disclosure() -> None:
    stray = _disc("given_name", "Mallory")
    assert _code(_signed({"_sd": []}, [stray])) == "sdjwt.disclosure_unreferenced"


def test_duplicate_digest_and_repeated_disclosure() -> None:
    d = _disc("a", 1)
    assert _code(_signed({"_sd": [d.digest(), d.digest()]}, [d])) == "sdjwt.disclosure_duplicate_digest"
    assert _code(_signed({"_sd": [d.digest()]}, [d, d])) == "sdjwt.disclosure_repeated"
    nested = _disc("b", {"_sd": [d.digest()]})
    assert _code(_signed({"_sd": [d.digest(), nested.digest()]}, [d, nested])) == (
        "sdjwt.disclosure_duplicate_digest")


def test_overwrite_and_reserved_names() -> None:
    d = _disc("a", "new")
    assert _code(_signed({"a": "old", "_sd": [d.digest()]}, [d])) == "sdjwt.claim_overwrite"
    raw = b64url_encode(json.dumps(["salt-salt-salt-salt", "_sd", ["x"]]).encode())
    reserved = Disclosure("salt-salt-salt-salt", "_sd", ["x"], raw)
    from specs.sdjwt.disclosure import digest_of

    token = _signed({"_sd": [digest_of(raw)]}, [reserved])
    assert _code(token) == "sdjwt.claim_reserved_name"
    assert reserved.name == "_sd"


def test_wrong_kind_of_disclosure() -> None:
    element = _disc(None, "KR")
    assert _code(_signed({"_sd": [element.digest()]}, [element])) == "sdjwt.disclosure_wrong_kind"
    member = _disc("x", 1)
    assert _code(_signed({"list": [{"...": member.digest()}]}, [member])) == "sdjwt.disclosure_wrong_kind"


def test_malformed_digests_and_disclosures() -> None:
    assert _code(_signed({"_sd": "abc"}, [])) == "sdjwt.claim_malformed_digests"
    assert _code(_signed({"list": [{"...": "x", "y": 1}]}, [])) == "sdjwt.claim_malformed_digests"
    jwt = sign_compact(ISSUER, {}, {"a": 1})
    assert _code(f"{jwt}~{b64url_encode(b'[1,2,3,4]')}~") == "sdjwt.disclosure_malformed"
    assert _code(f"{jwt}~not*base64~") == "sdjwt.disclosure_malformed"


@pytest.mark.parametrize("alg", ["md5", "SHA-256", {"sha-256": 1}, ["sha-256"], 256, None])
def test_bad_sd_alg(alg: Any) -> None:
    assert _code(_signed({"_sd_alg": alg}, [])) == "sdjwt.claim_sd_alg"


@pytest.mark.parametrize(("claims", "code"), [
    ({"exp": int(NOW.timestamp()) - 3600}, "sdjwt.expired"),
    ({"nbf": int(NOW.timestamp()) + 3600}, "sdjwt.not_yet_valid"),
    ({"iat": int(NOW.timestamp()) + 3600}, "sdjwt.not_yet_valid"),
])
def test_times(claims: dict[str, int], code: str) -> None:
    assert _code(_signed(claims, [])) == code


def _bound() -> SdJwt:
    return issue_sd_jwt(ISSUER, {"cnf": CNF, "a": SD(1), "b": SD(2)})


KB: list[tuple[str, Callable[[], str], dict[str, Any]]] = [
    ("sdjwt.kb_missing", lambda: _bound().serialize(), {"require_key_binding": True}),
    ("sdjwt.kb_signature_invalid", lambda: present(_bound(), [("a",)], holder=SoftwareSigner.generate(),
                                                   aud="v", nonce="n", iat=NOW).serialize(), {}),
    ("sdjwt.kb_nonce", lambda: present(_bound(), [("a",)], holder=HOLDER, aud="v", nonce="old",
                                       iat=NOW).serialize(), {"expected_nonce": "n", "expected_aud": "v"}),
    ("sdjwt.kb_aud", lambda: present(_bound(), [("a",)], holder=HOLDER, aud="other", nonce="n",
                                     iat=NOW).serialize(), {"expected_nonce": "n", "expected_aud": "v"}),
    ("sdjwt.kb_iat", lambda: present(_bound(), [("a",)], holder=HOLDER, aud="v", nonce="n",
                                     iat=NOW - dt.timedelta(hours=1)).serialize(), {}),
    ("sdjwt.kb_iat", lambda: present(_bound(), [("a",)], holder=HOLDER, aud="v", nonce="n",
                                     iat=NOW + dt.timedelta(hours=1)).serialize(), {}),
    # The KB-JWT was made for a presentation with only "a"; "b" is added afterwards.
    ("sdjwt.kb_sd_hash", lambda: _add_disclosure_after_binding(), {}),
    ("sdjwt.kb_type", lambda: _with_kb_header({"typ": "JWT"}), {}),
    ("sdjwt.kb_no_cnf", lambda: issue_sd_jwt(ISSUER, {"a": SD(1)}).serialize(), {"require_key_binding": True}),
]


def _add_disclosure_after_binding() -> str:
    sd = _bound()
    bound = present(sd, [("a",)], holder=HOLDER, aud="v", nonce="n", iat=NOW)
    extra = next(d for d in sd.disclosures if d.name == "b")
    return SdJwt(bound.issuer_jwt, (*bound.disclosures, extra), bound.kb_jwt).serialize()


def _with_kb_header(header: dict[str, Any]) -> str:
    sd = present(_bound(), [("a",)])
    from specs.sdjwt import sd_hash

    kb = sign_compact(HOLDER, header, {"iat": int(NOW.timestamp()), "aud": "v", "nonce": "n", "sd_hash": sd_hash(sd)})
    return sd.with_kb(kb).serialize()


@pytest.mark.parametrize("iat", [10**20, -(10**12), 2**63, int(NOW.timestamp()) + 61 + 60, int(NOW.timestamp()) - 361])
def test_kb_iat_out_of_window_or_of_any_date(iat: int) -> None:
    """An iat outside the window, or outside what a date can hold, is refused with kb_iat (never an OverflowError)."""
    sd = present(_bound(), [("a",)])
    from specs.sdjwt import sd_hash

    kb = sign_compact(HOLDER, {"typ": "kb+jwt"}, {"iat": iat, "aud": "v", "nonce": "n", "sd_hash": sd_hash(sd)})
    assert _code(sd.with_kb(kb).serialize(), expected_aud="v", expected_nonce="n") == "sdjwt.kb_iat"


@pytest.mark.parametrize("offset", [-360, -1, 0, 60])
def test_kb_iat_inside_the_window(offset: int) -> None:
    good = create_kb_jwt(HOLDER, present(_bound(), [("a",)]), aud="v", nonce="n",
                         iat=NOW + dt.timedelta(seconds=offset)).serialize()
    verify_sd_jwt(good, issuer_keys=[ISSUER.public_key()], now=NOW, expected_aud="v", expected_nonce="n")


@pytest.mark.parametrize(("code", "make", "options"), KB, ids=[k[0] + str(i) for i, k in enumerate(KB)])
def test_key_binding(code: str, make: Callable[[], str], options: dict[str, Any]) -> None:
    assert _code(make(), **options) == code


def test_replayed_kb_with_other_nonce_fails_and_good_one_passes() -> None:
    good = create_kb_jwt(HOLDER, present(_bound(), [("a",)]), aud="v", nonce="n", iat=NOW).serialize()
    verify_sd_jwt(good, issuer_keys=[ISSUER.public_key()], now=NOW, expected_aud="v", expected_nonce="n")
    assert _code(good, expected_aud="v", expected_nonce="fresh") == "sdjwt.kb_nonce"


def test_vc_rules() -> None:
    def vc_code(claims: dict[str, Any], header: dict[str, Any]) -> str:
        token = issue_sd_jwt(ISSUER, claims, header=header).serialize()
        with pytest.raises(MobileIdError) as info:
            verify_sd_jwt_vc(token, issuer_keys=[ISSUER.public_key()], now=NOW)
        return info.value.code

    assert vc_code({"vct": "x"}, {"typ": "JWT"}) == "sdjwt.vc_type"
    assert vc_code({"a": 1}, {"typ": "dc+sd-jwt"}) == "sdjwt.vc_vct"
    assert vc_code({"vct": SD("x")}, {"typ": "dc+sd-jwt"}) == "sdjwt.claim_not_disclosable"


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
def test_time_beyond_a_float(name: str) -> None:
    """A NumericDate too large to add to the leeway (an int beyond a float's range, valid JSON) is refused as a
    malformed time, in C and in Python, not escaping as an OverflowError."""
    presentation = _signed({name: 10 ** 400}, [])
    assert _code(presentation) == "sdjwt.claim_time_malformed"
    with pytest.raises(MobileIdError) as info:
        verify_sd_jwt_vc(_signed({"vct": "urn:x", name: 10 ** 400}, [], {"typ": "dc+sd-jwt"}),
                         issuer_keys=[ISSUER.public_key()], now=NOW)
    assert info.value.code == "sdjwt.claim_time_malformed"
