"""Our issuance -> presentation -> verification, and interop both ways with the sd-jwt package."""

from __future__ import annotations

import datetime as dt
import json

from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from specs.crypto import SoftwareSigner
from specs.jose import jwk_from_key
from specs.sdjwt import SD, SdJwt, issue_sd_jwt, issue_sd_jwt_vc, present, verify_sd_jwt, verify_sd_jwt_vc
from specs.status import StatusReference

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
CLAIMS = {
    "given_name": SD("민준"), "family_name": SD("김"), "birth_date": SD("1990-03-15"),
    "address": SD({"region": SD("서울특별시"), "locality": SD("종로구"), "country": "KR"}),
    "nationalities": [SD("KR"), SD("US")], "business_number": SD("123-45-67890"), "plain": "visible",
}


def test_nested_objects_arrays_and_decoys() -> None:
    issuer, holder = SoftwareSigner.generate(), SoftwareSigner.generate()
    sd = issue_sd_jwt_vc(issuer, vct="https://credentials.example.kr/business_registration", claims=CLAIMS,
                         holder_key=holder.public_key(), issued_at=NOW, expires_at=NOW + dt.timedelta(days=90),
                         status=StatusReference("https://issuer.example.kr/status/1", 42), decoys=4)
    assert len(sd.disclosures) == 9  # 5 top-level, 2 nested in address, 2 array elements
    shown = present(sd, [("given_name",), ("address", "region"), ("nationalities", 0)], holder=holder,
                    aud="https://shop.example", nonce="n-1", iat=NOW)
    result = verify_sd_jwt_vc(shown.serialize(), issuer_keys=[issuer.public_key()], now=NOW,
                              expected_aud="https://shop.example", expected_nonce="n-1")
    assert result.claims == {"given_name": "민준", "address": {"region": "서울특별시", "country": "KR"},
                             "nationalities": ["KR"], "plain": "visible"}
    assert result.status == StatusReference("https://issuer.example.kr/status/1", 42)
    assert result.holder_bound
    full = verify_sd_jwt(sd.serialize(), issuer_keys=[issuer.public_key()], now=NOW)
    assert full.claims["nationalities"] == ["KR", "US"] and not full.holder_bound


def test_salts_and_signatures_differ_per_issuance() -> None:
    issuer = SoftwareSigner.generate()
    a = issue_sd_jwt(issuer, {"x": SD(1)})
    b = issue_sd_jwt(issuer, {"x": SD(1)})
    assert a.disclosures[0].salt != b.disclosures[0].salt and a.issuer_jwt != b.issuer_jwt
    assert len(a.disclosures[0].salt) >= 22  # 128 bits of base64url


def _jwcrypto_key(signer: SoftwareSigner) -> JWK:
    from cryptography.hazmat.primitives import serialization

    pem = signer.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
    return JWK.from_pem(pem)


def test_peer_issues_we_verify() -> None:
    issuer, holder = SoftwareSigner.generate(), SoftwareSigner.generate()
    holder_jwk = _jwcrypto_key(holder)
    claims = {"iss": "https://peer.example", "iat": int(dt.datetime.now(dt.UTC).timestamp()) - 60,
              SDObj("given_name"): "Alice",
              SDObj("family_name"): "Kim", "nationalities": [SDObj("KR"), "US"]}
    issued = SDJWTIssuer(claims, _jwcrypto_key(issuer), holder_key=holder_jwk, add_decoy_claims=True)
    peer_holder = SDJWTHolder(issued.sd_jwt_issuance)
    peer_holder.create_presentation({"given_name": True, "nationalities": [True, False]}, nonce="n-2",
                                    aud="https://v.example", holder_key=holder_jwk, sign_alg="ES256")
    # The peer stamps its KB-JWT with the wall clock, so this one check runs at the real time.
    result = verify_sd_jwt(peer_holder.sd_jwt_presentation, issuer_keys=[issuer.public_key()],
                           now=dt.datetime.now(dt.UTC),
                           expected_aud="https://v.example", expected_nonce="n-2")
    assert result.claims["given_name"] == "Alice" and result.claims["nationalities"] == ["KR", "US"]
    assert "family_name" not in result.claims and result.holder_bound


def test_we_issue_peer_verifies() -> None:
    issuer, holder = SoftwareSigner.generate(), SoftwareSigner.generate()
    sd = issue_sd_jwt(issuer, {"iss": "https://mobileid.example", "iat": int(NOW.timestamp()),
                               "cnf": {"jwk": jwk_from_key(holder.public_key())}, **CLAIMS}, decoys=3)
    shown = present(sd, [("given_name",), ("address", "locality")], holder=holder, aud="https://v.example",
                    nonce="n-3", iat=NOW)
    issuer_jwk = JWK.from_json(json.dumps(jwk_from_key(issuer.public_key())))
    verifier = SDJWTVerifier(shown.serialize(), lambda iss, header: issuer_jwk, expected_aud="https://v.example",
                             expected_nonce="n-3")
    payload = verifier.get_verified_payload()
    assert payload["given_name"] == "민준" and payload["address"]["locality"] == "종로구"
    assert "family_name" not in payload
    assert SdJwt.parse(shown.serialize()).kb_jwt is not None


def test_vc_refuses_claims_that_shadow_registered_names() -> None:
    import pytest

    signer = SoftwareSigner.generate()
    with pytest.raises(ValueError):
        issue_sd_jwt_vc(signer, vct="urn:x", claims={"status": SD("active")}, holder_key=signer.public_key(),
                        issued_at=NOW)
