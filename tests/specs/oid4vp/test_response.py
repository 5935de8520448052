"""Authorization responses (OpenID4VP 1.0 §8.1, §8.3, §8.5) and the Digital Credentials API forms (App. A)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import Oid4vpError
from specs.jose import jwk_from_key
from specs.jose.jwe import decrypt_compact
from specs.oid4vp import (
    AuthorizationErrorResponse,
    AuthorizationResponse,
    ClientMetadata,
    DigitalCredentialRequest,
    DigitalCredentialResponse,
    decrypt_response,
    encrypt_response,
    oauth_error,
    origin_audience,
    parse_response,
)

KEY = ec.generate_private_key(ec.SECP256R1())
METADATA = ClientMetadata(jwks=({**jwk_from_key(KEY.public_key()), "kid": "k", "alg": "ECDH-ES"},))


def test_encrypted_response_round_trip_binds_nonce_in_apv() -> None:
    response = AuthorizationResponse({"id": ("presentation",)}, state="s")
    jwe = encrypt_response(response, METADATA.encryption_key(), enc="A128GCM", nonce="n-1")
    header, back = decrypt_response(jwe, KEY, kid="k")
    assert back == response and header.apv == b"n-1" and header.apu and len(header.apu) == 16
    assert decrypt_compact(jwe, KEY)[0].kid == "k"
    with pytest.raises(Oid4vpError) as err:
        decrypt_response(jwe, KEY, kid="other")
    assert err.value.code == "oid4vp.jwe"
    with pytest.raises(Oid4vpError) as err:
        decrypt_response(jwe, ec.generate_private_key(ec.SECP256R1()), kid="k")
    assert err.value.code == "oid4vp.jwe"


@pytest.mark.parametrize("payload", [[], {"vp_token": []}, {"vp_token": {}}, {"vp_token": {"a": []}},
                                     {"vp_token": {"a": [1]}}, {"vp_token": {"a": ["x"]}, "state": 3},
                                     {"error": 5}, {"error": "access_denied", "error_description": 1}])
def test_response_rules(payload: object) -> None:
    with pytest.raises(Oid4vpError) as err:
        parse_response(payload)
    assert err.value.code == "oid4vp.response_invalid"


def test_error_responses() -> None:
    declined = parse_response({"error": "access_denied", "state": "s"})
    assert declined == AuthorizationErrorResponse("access_denied", None, "s")
    assert parse_response({"error": "made_up"}) == AuthorizationErrorResponse("invalid_request")
    assert oauth_error("oid4vp.state") == "invalid_request"
    assert oauth_error("oid4vp.no_credential") == "access_denied"
    assert oauth_error("oid4vp.dcql_format") == "vp_formats_not_supported"


def test_dc_api_forms() -> None:
    request = DigitalCredentialRequest("openid4vp-v1-signed", {"request": "eyJ..."})
    assert DigitalCredentialRequest.from_json(request.to_json()) == request
    with pytest.raises(Oid4vpError):
        DigitalCredentialRequest.from_json({"protocol": "openid4vp-v1-signed", "data": {}})
    with pytest.raises(Oid4vpError):
        DigitalCredentialRequest.from_json({"protocol": "openid4vp", "data": {}})
    response = DigitalCredentialResponse("openid4vp-v1-unsigned", {"response": "x"})
    assert DigitalCredentialResponse.from_json(response.to_json()) == response
    assert origin_audience("https://bank.example") == "origin:https://bank.example"
    for bad in ("javascript:alert(1)", "origin:https://x", "bank.example"):
        with pytest.raises(Oid4vpError) as err:
            origin_audience(bad)
        assert err.value.code == "oid4vp.origin_invalid"


_ids = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_ids, st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=3), min_size=1,
                       max_size=4), st.one_of(st.none(), st.text(max_size=20)))
def test_response_round_trip_property(token: dict[str, list[str]], state: str | None) -> None:
    response = AuthorizationResponse({k: tuple(v) for k, v in token.items()}, state)
    assert parse_response(response.to_json()) == response
    jwe = encrypt_response(response, METADATA.encryption_key(), enc="A256GCM", nonce="n")
    assert decrypt_response(jwe, KEY, kid="k")[1] == response
