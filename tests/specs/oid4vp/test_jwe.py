"""ECDH-ES + AES-GCM compact JWE (RFC 7516/7518) as OpenID4VP §8.3 uses it, and the RFC 7638 thumbprint."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import DecryptionError, InvalidKeyError, JoseDecodeError
from specs.jose import b64url_decode, b64url_encode, jwk_from_key, jwk_thumbprint
from specs.jose.jwe import decrypt_compact, encrypt_compact
from tests.conftest import VECTORS, Vectors

V = Vectors(VECTORS / "oid4vp")
KEY = ec.generate_private_key(ec.SECP256R1())


def _private(jwk: dict[str, str]) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(jwk["d"]), "big"), ec.SECP256R1())


def test_the_specification_example_decrypts() -> None:
    ex = V.json("response_encryption.json")
    header, plaintext = decrypt_compact(ex["response"], _private(ex["private_jwk"]))
    assert header.enc == "A128GCM" and header.kid == "ac"
    assert json.loads(plaintext) == ex["payload"]


@pytest.mark.parametrize("enc", ["A128GCM", "A256GCM"])
def test_round_trip_with_apu_apv(enc: str) -> None:
    jwe = encrypt_compact({"vp_token": {"a": ["b"]}}, KEY.public_key(), enc=enc, kid="k1", apu=b"wallet",
                          apv=b"nonce")
    header, plaintext = decrypt_compact(jwe, KEY)
    assert (header.enc, header.kid, header.apu, header.apv) == (enc, "k1", b"wallet", b"nonce")
    assert json.loads(plaintext) == {"vp_token": {"a": ["b"]}}


def _replace_header(jwe: str, **changes: object) -> str:
    parts = jwe.split(".")
    header = json.loads(b64url_decode(parts[0]))
    header.update(changes)
    parts[0] = b64url_encode(json.dumps(header).encode())
    return ".".join(parts)


def test_a_changed_apv_fails_the_tag() -> None:
    jwe = encrypt_compact(b"x", KEY.public_key(), enc="A128GCM", apv=b"nonce-1")
    with pytest.raises(DecryptionError) as err:
        decrypt_compact(_replace_header(jwe, apv=b64url_encode(b"nonce-2")), KEY)
    assert err.value.code == "crypto.decryption_failed"


def test_another_key_cannot_open_it() -> None:
    jwe = encrypt_compact(b"x", KEY.public_key(), enc="A128GCM")
    with pytest.raises(DecryptionError):
        decrypt_compact(jwe, ec.generate_private_key(ec.SECP256R1()))


@pytest.mark.parametrize(("change", "code"), [
    ({"alg": "RSA-OAEP"}, "jose.jwe_alg"), ({"enc": "A128CBC-HS256"}, "jose.jwe_enc"),
    ({"zip": "DEF"}, "jose.jwe_header"), ({"epk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
                                          "jose.jwe_epk"), ({"kid": 7}, "jose.jwe_header")])
def test_header_rules(change: dict[str, object], code: str) -> None:
    jwe = encrypt_compact(b"x", KEY.public_key(), enc="A128GCM")
    with pytest.raises(JoseDecodeError) as err:
        decrypt_compact(_replace_header(jwe, **change), KEY)
    assert err.value.code == code


@pytest.mark.parametrize("mangle", [lambda j: j.replace("..", ".AAAA.", 1), lambda j: j + ".x",
                                    lambda j: ".".join([*j.split(".")[:2], "AAAA", *j.split(".")[3:]])])
def test_malformed_compact_forms(mangle: object) -> None:
    jwe = encrypt_compact(b"x", KEY.public_key(), enc="A128GCM")
    with pytest.raises(JoseDecodeError) as err:
        decrypt_compact(mangle(jwe), KEY)  # type: ignore[operator]
    assert err.value.code == "jose.jwe_malformed"


def test_thumbprint_ignores_optional_members_and_needs_required_ones() -> None:
    jwk = jwk_from_key(KEY.public_key())
    assert jwk_thumbprint(jwk) == jwk_thumbprint({**jwk, "kid": "x", "use": "enc", "alg": "ECDH-ES"})
    with pytest.raises(InvalidKeyError):
        jwk_thumbprint({"kty": "EC", "crv": "P-256", "x": jwk["x"]})


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["A128GCM", "A256GCM"]), st.binary(max_size=64))
def test_round_trip_property(payload: bytes, enc: str, apu: bytes) -> None:
    jwe = encrypt_compact(payload, KEY.public_key(), enc=enc, apu=apu or None)
    assert decrypt_compact(jwe, KEY)[1] == payload
