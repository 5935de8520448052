"""RFC 9901 and SD-JWT VC draft examples: each verifies with the issuer key and gives the printed payload."""

from __future__ import annotations

import datetime as dt

import pytest

from specs.jose import key_from_jwk
from specs.sdjwt import SdJwt, verify_sd_jwt, verify_sd_jwt_vc

RFC_KB_IAT = 1748537243
VC_KB_IAT = 1787325881
PRESENTATIONS = [
    ("simple_sd_jwt_kb_presentation.txt", "simple_expected_processed_payload.json",
     "https://verifier.example.org", RFC_KB_IAT),
    ("sd_jwt_vc_pid_kb_presentation.txt", "sd_jwt_vc_pid_expected_processed_payload.json",
     "https://verifier.example.org", RFC_KB_IAT),
    ("vcdraft_identity_credential_kb_presentation.txt",
     "vcdraft_identity_credential_expected_processed_payload.json", "https://example.com/verifier", VC_KB_IAT),
]


def _at(stamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp, dt.UTC)


@pytest.fixture(scope="module")
def issuer_key(sdjwt_vectors):  # type: ignore[no-untyped-def]
    return key_from_jwk(sdjwt_vectors.json("issuer_public_jwk.json"))


@pytest.mark.parametrize(("token", "expected", "aud", "iat"), PRESENTATIONS)
def test_presentations(sdjwt_vectors, issuer_key, token, expected, aud, iat) -> None:  # type: ignore[no-untyped-def]
    result = verify_sd_jwt(sdjwt_vectors.text(token), issuer_keys=[issuer_key], now=_at(iat),
                           expected_aud=aud, expected_nonce="1234567890", require_key_binding=True)
    assert result.claims == sdjwt_vectors.json(expected)
    assert result.holder_bound


def test_vc_draft_pid_presentation(sdjwt_vectors, issuer_key) -> None:  # type: ignore[no-untyped-def]
    result = verify_sd_jwt_vc(sdjwt_vectors.text("vcdraft_pid_kb_presentation.txt"), issuer_keys=[issuer_key],
                              now=_at(sdjwt_vectors.json("vcdraft_pid_expected_kb_payload.json")["iat"]),
                              expected_aud=sdjwt_vectors.json("vcdraft_pid_expected_kb_payload.json")["aud"],
                              expected_nonce="1234567890")
    assert result.verified.claims == sdjwt_vectors.json("vcdraft_pid_expected_processed_payload.json")
    assert result.vct and result.holder_bound


@pytest.mark.parametrize("token", ["simple_sd_jwt_issuance.txt", "sd_jwt_vc_pid_issuance.txt",
                                   "vcdraft_identity_credential_issuance.txt", "vcdraft_pid_issuance.txt"])
def test_issuances_verify_with_all_disclosures(sdjwt_vectors, issuer_key, token) -> None:  # type: ignore[no-untyped-def]
    text = sdjwt_vectors.text(token)
    result = verify_sd_jwt(text, issuer_keys=[issuer_key], now=_at(1748537243))
    assert len(result.disclosed) == len(SdJwt.parse(text).disclosures)
    assert SdJwt.parse(text).serialize() == text


def test_kb_payloads_match(sdjwt_vectors) -> None:  # type: ignore[no-untyped-def]
    from specs.jose import Jws

    for token, expected in [("simple_sd_jwt_kb_presentation.txt", "simple_expected_kb_payload.json"),
                            ("vcdraft_pid_kb_presentation.txt", "vcdraft_pid_expected_kb_payload.json")]:
        kb = SdJwt.parse(sdjwt_vectors.text(token)).kb_jwt
        assert kb is not None and dict(Jws.parse(kb).payload) == sdjwt_vectors.json(expected)
