"""The signed request object (OpenID4VP 1.0 §5, RFC 9101) and the link a QR code carries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from specs.crypto import SoftwareSigner
from specs.errors import Oid4vpError
from specs.jose import jwk_from_key, sign_compact
from specs.oid4vp import (
    AuthorizationRequest,
    AuthorizationRequestUri,
    ClientMetadata,
    DcqlQuery,
    sign_request_object,
    verify_request_object,
    x509_hash,
)
from specs.x509 import create_reader
from tests.conftest import Pki

QUERY = DcqlQuery.from_json({"credentials": [{"id": "age", "format": "mso_mdoc",
                                              "meta": {"doctype_value": "kr.mobileid.age.1"},
                                              "claims": [{"path": ["kr.mobileid.age.1", "age_over_19"]}]}]})
REQUEST_URI = "https://bank.example/oid4vp/request/t1"


def _der(cert: Any) -> bytes:
    return bytes(cert.public_bytes(serialization.Encoding.DER))


def _request(client_id: str, **over: Any) -> AuthorizationRequest:
    enc = SoftwareSigner.generate()
    metadata = ClientMetadata(jwks=({**jwk_from_key(enc.public_key()), "kid": "e1", "use": "enc",
                                     "alg": "ECDH-ES"},))
    base: dict[str, Any] = {"client_id": client_id, "nonce": "n-1", "dcql_query": QUERY,
                            "response_uri": "https://bank.example/oid4vp/response/t1", "state": "s-1",
                            "client_metadata": metadata, "aud": REQUEST_URI}
    return AuthorizationRequest(**{**base, **over})


@pytest.fixture
def san_reader(pki: Pki) -> tuple[SoftwareSigner, bytes]:
    signer = SoftwareSigner.generate()
    cert = create_reader(pki.reader_root_signer, pki.reader_root, signer.public_key(), common_name="Bank",
                         not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=300),
                         dns_names=["bank.example"])
    return signer, _der(cert)


def test_x509_hash_request_verifies(pki: Pki) -> None:
    leaf = _der(pki.reader)
    request = _request(f"x509_hash:{x509_hash(leaf)}")
    jwt = sign_request_object(request, pki.reader_signer, [leaf])
    signed = verify_request_object(jwt, now=pki.now, client_id=request.client_id, request_uri=REQUEST_URI)
    assert signed.request == request and signed.client.prefix == "x509_hash"
    assert signed.request.client_metadata and signed.request.client_metadata.encryption_key().kid == "e1"


def test_x509_san_dns_request_verifies(pki: Pki, san_reader: tuple[SoftwareSigner, bytes]) -> None:
    signer, leaf = san_reader
    jwt = sign_request_object(_request("x509_san_dns:bank.example", aud="https://self-issued.me/v2"), signer, [leaf])
    assert verify_request_object(jwt, now=pki.now).client.value == "bank.example"


@pytest.mark.parametrize(("client_id", "over", "code"), [
    ("x509_hash:AAAA", {}, "oid4vp.client_id_mismatch"),
    ("x509_san_dns:other.example", {}, "oid4vp.client_id_mismatch"),
    ("x509_san_dns:bank.example", {"response_uri": "https://evil.example/r"}, "oid4vp.client_id_mismatch"),
    ("redirect_uri:https://bank.example/r", {}, "oid4vp.client_id"),
    ("x509_san_dns:bank.example", {"aud": "https://someone.else"}, "oid4vp.request_aud"),
    ("x509_san_dns:bank.example", {"exp": 1}, "oid4vp.request_expired"),
    ("x509_san_dns:bank.example", {"exp": 10 ** 400}, "oid4vp.request_invalid"),  # beyond a float: past any date
    ("x509_san_dns:bank.example", {"iat": 10 ** 400}, "oid4vp.request_invalid"),
])
def test_request_rules(pki: Pki, san_reader: tuple[SoftwareSigner, bytes], client_id: str, over: dict[str, Any],
                       code: str) -> None:
    signer, leaf = san_reader
    jwt = sign_request_object(_request(client_id, **over), signer, [leaf])
    with pytest.raises(Oid4vpError) as err:
        verify_request_object(jwt, now=pki.now, request_uri=REQUEST_URI)
    assert err.value.code == code


def test_signature_typ_and_link_client_id(pki: Pki) -> None:
    leaf = _der(pki.reader)
    request = _request(f"x509_hash:{x509_hash(leaf)}")
    other = SoftwareSigner.generate()
    with pytest.raises(Oid4vpError) as err:
        verify_request_object(sign_request_object(request, other, [leaf]), now=pki.now)
    assert err.value.code == "oid4vp.request_signature"
    wrong_typ = sign_compact(pki.reader_signer, {"typ": "JWT", "x5c": []}, request.to_json())
    with pytest.raises(Oid4vpError) as err:
        verify_request_object(wrong_typ, now=pki.now)
    assert err.value.code == "oid4vp.request_typ"
    no_chain = sign_compact(pki.reader_signer, {"typ": "oauth-authz-req+jwt"}, request.to_json())
    with pytest.raises(Oid4vpError) as err:
        verify_request_object(no_chain, now=pki.now)
    assert err.value.code == "oid4vp.request_signature"
    with pytest.raises(Oid4vpError) as err:
        verify_request_object(sign_request_object(request, pki.reader_signer, [leaf]), now=pki.now,
                              client_id="x509_hash:somebody-else")
    assert err.value.code == "oid4vp.client_id_mismatch"
    with pytest.raises(Oid4vpError) as err:
        verify_request_object("not.a.jwt", now=pki.now)
    assert err.value.code == "oid4vp.request_malformed"


@pytest.mark.parametrize(("claims", "code"), [
    ({"response_type": "code"}, "oid4vp.request_invalid"),
    ({"response_mode": "query"}, "oid4vp.request_invalid"),
    ({"scope": "openid"}, "oid4vp.request_invalid"),
    ({"nonce": ""}, "oid4vp.request_invalid"),
    ({"response_uri": None}, "oid4vp.request_invalid"),
    ({"iat": "yesterday"}, "oid4vp.request_invalid"),
    ({"client_metadata": {"jwks": {"keys": "x"}}}, "oid4vp.request_invalid"),
    ({"expected_origins": []}, "oid4vp.request_invalid"),
    ({"dcql_query": {"credentials": []}}, "oid4vp.dcql_invalid"),
])
def test_parameter_rules(claims: dict[str, Any], code: str) -> None:
    raw = {**_request("x509_hash:abc").to_json(), **claims}
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(Oid4vpError) as err:
        AuthorizationRequest.from_json(raw)
    assert err.value.code == code


def test_metadata_key_and_enc_choice() -> None:
    metadata = ClientMetadata(jwks=({"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "x": "", "y": ""},),
                              encrypted_response_enc_values_supported=("A192GCM", "A256GCM"))
    assert metadata.content_encryption() == "A256GCM"
    with pytest.raises(Oid4vpError):
        metadata.encryption_key()
    with pytest.raises(Oid4vpError):
        ClientMetadata(encrypted_response_enc_values_supported=("A128CBC-HS256",)).content_encryption()


def test_request_link_round_trip_and_rules() -> None:
    link = AuthorizationRequestUri("x509_hash:abc", REQUEST_URI)
    assert AuthorizationRequestUri.parse(link.to_uri()) == link
    assert AuthorizationRequestUri.parse(f"openid4vp://authorize?client_id=x&request_uri={REQUEST_URI}"
                                         "&request_uri_method=post").request_uri_method == "post"
    for bad, code in [("https://bank.example/", "oid4vp.request_uri_invalid"),
                      ("mailto:x", "oid4vp.request_uri_invalid"),
                      ("openid4vp://?client_id=x&request_uri=ftp://a", "oid4vp.request_uri_invalid"),
                      ("openid4vp://?client_id=x&client_id=y&request_uri=https://a", "oid4vp.request_uri_invalid"),
                      ("openid4vp://?client_id=x&request_uri=https://a&request_uri_method=GET",
                       "oid4vp.request_uri_method")]:
        with pytest.raises(Oid4vpError) as err:
            AuthorizationRequestUri.parse(bad)
        assert err.value.code == code
