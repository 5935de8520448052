"""Security suite, JOSE (RFC 7515/7518/7519/8725): every header trick must fail closed with its own code."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from specs.crypto import SoftwareSigner
from specs.errors import (
    JoseDecodeError,
    SdJwtIssuerSignatureError,
    SdJwtValidityError,
    SignatureError,
    UnsupportedAlgorithmError,
)
from specs.jose import Jws, b64url_encode, jwk_from_key, parse_json, sign_compact
from specs.sdjwt import SD, issue_sd_jwt_vc, verify_sd_jwt
from specs.x509 import TrustStore, create_document_signer, create_iaca
from verifier.trust import TrustedKey, VerifierTrust
from verifier.verify import verify_sd_jwt_presentation

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
ISSUER = SoftwareSigner.generate()
ATTACKER = SoftwareSigner.generate()
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _b64json(value: Any) -> str:
    return b64url_encode(json.dumps(value).encode())


def _compact(header: Any, payload: Any, signature: bytes = b"\x00" * 64) -> str:
    return f"{_b64json(header)}.{_b64json(payload)}.{b64url_encode(signature)}"


def _rejected(result: Any, code: str) -> None:
    assert result.valid is False
    assert result.claims == {}
    assert [e.code for e in result.errors] == [code]


def _pinned(kid: str | None = "issuer-1") -> VerifierTrust:
    return VerifierTrust(TrustStore.of([]), (TrustedKey(ISSUER.public_key(), kid),))


def _vc(signer: SoftwareSigner, **kw: Any) -> str:
    holder = SoftwareSigner.generate()
    return issue_sd_jwt_vc(signer, vct="urn:test", claims={"family_name": SD("김")}, holder_key=holder.public_key(),
                           issued_at=NOW, **kw).serialize()


def test_jose_alg_none() -> None:
    """alg "none" is never accepted (RFC 8725 §3.1, §2.1): the algorithm is pinned by the key."""
    jws = Jws.parse(_compact({"alg": "none"}, {"a": 1}, b""))
    with pytest.raises(UnsupportedAlgorithmError) as info:
        jws.verify(ISSUER.public_key())
    assert info.value.code == "crypto.unsupported_algorithm"
    _rejected(verify_sd_jwt_presentation(f"{_compact({'alg': 'none', 'typ': 'dc+sd-jwt'}, {'vct': 'x'}, b'')}~",
                                         trust=_pinned(None), now=NOW), "sdjwt.issuer_signature_invalid")


def test_jose_hmac_with_public_key() -> None:
    """HS256 keyed with the issuer's public key bytes is refused (RFC 8725 §2.1 algorithm confusion)."""
    header, payload = _b64json({"alg": "HS256"}), _b64json({"a": 1})
    secret = ISSUER.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    jws = Jws.parse(f"{header}.{payload}.{b64url_encode(mac)}")
    with pytest.raises(UnsupportedAlgorithmError) as info:
        jws.verify(ISSUER.public_key())
    assert info.value.code == "crypto.unsupported_algorithm"
    with pytest.raises(SdJwtIssuerSignatureError) as sd:
        verify_sd_jwt(f"{jws.compact}~", issuer_keys=[ISSUER.public_key()], now=NOW)
    assert sd.value.code == "sdjwt.issuer_signature_invalid"


@pytest.mark.parametrize("crit", [["exp"], "exp", ["b64"], [1]])
def test_jose_crit_header_not_understood(crit: Any) -> None:
    """A crit header naming an extension we do not implement is refused (RFC 7515 §4.1.11)."""
    with pytest.raises(JoseDecodeError) as info:
        Jws.parse(sign_compact(ISSUER, {"crit": crit, "exp": 1}, {"a": 1}))
    assert info.value.code == "jose.malformed"


def test_jose_kid_points_at_other_trusted_key() -> None:
    """A kid naming a trusted key does not make an attacker's signature valid (RFC 8725 §3.10)."""
    token = _vc(ATTACKER, kid="issuer-1")
    _rejected(verify_sd_jwt_presentation(token, trust=_pinned(), now=NOW), "sdjwt.issuer_signature_invalid")


def test_jose_kid_injection_is_only_a_lookup_label() -> None:
    """A kid with path traversal / SQL text is only compared, never used to load a key (RFC 8725 §3.10)."""
    for kid in ("../../../../dev/null", "' OR 1=1 --", "issuer-1\x00"):
        _rejected(verify_sd_jwt_presentation(_vc(ATTACKER, kid=kid), trust=_pinned(), now=NOW),
                  "sdjwt.issuer_signature_invalid")


@pytest.mark.parametrize("member", ["jku", "x5u", "jwk"])
def test_jose_jku_x5u_jwk_headers_are_ignored(member: str) -> None:
    """Key-carrying headers jku, x5u and an embedded jwk are never fetched or trusted (RFC 8725 §3.10)."""
    value: Any = jwk_from_key(ATTACKER.public_key()) if member == "jwk" else "https://attacker.example/keys"
    holder = SoftwareSigner.generate()
    payload = {"vct": "urn:test", "iat": int(NOW.timestamp()), "cnf": {"jwk": jwk_from_key(holder.public_key())}}
    token = sign_compact(ATTACKER, {"typ": "dc+sd-jwt", member: value}, payload) + "~"
    _rejected(verify_sd_jwt_presentation(token, trust=_pinned(None), now=NOW), "sdjwt.issuer_signature_invalid")


def test_jose_attacker_x5c_chain() -> None:
    """A self-made IACA -> DS chain in x5c does not chain to a trusted anchor (RFC 7515 §4.1.6, 18013-5 B)."""
    iaca_key = SoftwareSigner.generate()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    iaca = create_iaca(iaca_key, country="KR", common_name="evil IACA", organization="Evil",
                       not_before=start, not_after=start + dt.timedelta(days=3650))
    ds = create_document_signer(iaca_key, iaca, ATTACKER.public_key(), common_name="evil DS",
                                not_before=start, not_after=start + dt.timedelta(days=400))
    token = _vc(ATTACKER, x5c=[ds.public_bytes(serialization.Encoding.DER)])
    honest_root = create_iaca(SoftwareSigner.generate(), country="KR", common_name="real IACA",
                              organization="Office", not_before=start, not_after=start + dt.timedelta(days=3650))
    trust = VerifierTrust(TrustStore.of([honest_root]), (TrustedKey(ATTACKER.public_key(), None),))
    _rejected(verify_sd_jwt_presentation(token, trust=trust, now=NOW), "x509.untrusted_chain")


@pytest.mark.parametrize("text", ['{"alg":"ES256","alg":"none"}', '{"a":{"b":1,"b":2}}'])
def test_jose_duplicate_json_members(text: str) -> None:
    """Duplicate JSON members are refused, not last-wins (RFC 7515 §5.2 step 4, RFC 8259 §4)."""
    with pytest.raises(JoseDecodeError) as info:
        parse_json(text)
    assert info.value.code == "jose.malformed"
    with pytest.raises(JoseDecodeError) as jws:
        Jws.parse(f"{b64url_encode(text.encode())}.{_b64json({'a': 1})}.AA")
    assert jws.value.code == "jose.malformed"


@pytest.mark.parametrize("text", ['{"exp":NaN}', '{"exp":Infinity}', '{"exp":-Infinity}'])
def test_jose_non_finite_numbers(text: str) -> None:
    """NaN and Infinity are not JSON (RFC 8259 §6) and cannot sneak into a NumericDate."""
    with pytest.raises(JoseDecodeError) as info:
        parse_json(text)
    assert info.value.code == "jose.malformed"


@pytest.mark.parametrize("value", ["2099-01-01", True, None, -1, 1.0e20, [1], {"t": 1}, 4102444800.5])
def test_jose_malformed_numeric_dates(value: Any) -> None:
    """exp/nbf/iat must be non-negative integer NumericDates (RFC 7519 §2, §4.1.4); anything else fails."""
    for name in ("exp", "nbf", "iat"):
        token = sign_compact(ISSUER, {}, {name: value}) + "~"
        with pytest.raises(SdJwtValidityError) as info:
            verify_sd_jwt(token, issuer_keys=[ISSUER.public_key()], now=NOW)
        assert info.value.code == "sdjwt.claim_time_malformed"


@pytest.mark.parametrize("signature", [
    b"\x00" * 64,                                                          # r = s = 0
    P256_N.to_bytes(32, "big") * 2,                                        # r = s = n
    (P256_N + 1).to_bytes(32, "big") * 2,                                  # r = s = n + 1
    b"\xff" * 64,                                                          # r, s > n
    b"\x00" * 31 + b"\x01" + b"\x00" * 31 + b"\x01",                       # r = s = 1
], ids=["zero", "order", "order+1", "ones", "one"])
def test_jose_ecdsa_edge_signatures(signature: bytes) -> None:
    """ECDSA r/s out of [1, n-1] (incl. the "psychic signatures" zero case, CVE-2022-21449) never verify."""
    header, payload = _b64json({"alg": "ES256"}), _b64json({"a": 1})
    jws = Jws.parse(f"{header}.{payload}.{b64url_encode(signature)}")
    with pytest.raises(SignatureError) as info:
        jws.verify(ISSUER.public_key())
    assert info.value.code == "crypto.bad_signature"


def test_jose_ecdsa_der_or_truncated_signature() -> None:
    """A DER-encoded or truncated ES256 signature is refused: JWS needs raw 64-byte r||s (RFC 7518 §3.4)."""
    good = sign_compact(ISSUER, {}, {"a": 1})
    head, body, sig = good.split(".")
    from specs.crypto import Algorithm
    from specs.crypto.algorithms import raw_to_der_signature
    from specs.jose import b64url_decode

    raw = b64url_decode(sig)
    Jws.parse(good).verify(ISSUER.public_key())
    for bad in (raw_to_der_signature(raw, Algorithm.ES256), raw[:63], raw + b"\x00"):
        with pytest.raises(SignatureError) as info:
            Jws.parse(f"{head}.{body}.{b64url_encode(bad)}").verify(ISSUER.public_key())
        assert info.value.code == "crypto.bad_signature"
    # Flipping s to n - s ("high-s") changes the signature but must still only verify for the same input.
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    flipped = r.to_bytes(32, "big") + (P256_N - s).to_bytes(32, "big")
    with pytest.raises(SignatureError):
        Jws.parse(f"{head}.{_b64json({'a': 2})}.{b64url_encode(flipped)}").verify(ISSUER.public_key())


@pytest.mark.parametrize("part", ["eyJhbGciOiJFUzI1NiJ9==", "eyJhbGciOiJFUzI1NiJ9+/", " eyJhbGciOiJFUzI1NiJ9"])
def test_jose_non_canonical_base64url(part: str) -> None:
    """Padding, '+', '/' or whitespace in a JWS segment is refused (RFC 7515 §2, §7.1)."""
    with pytest.raises(JoseDecodeError) as info:
        Jws.parse(f"{part}.{_b64json({'a': 1})}.AA")
    assert info.value.code == "jose.malformed"
