"""OpenID4VP 1.0 interop with implementations this project did not write: the OpenWallet Foundation
TypeScript stack (@openid4vc/openid4vp 0.4.6, @animo-id/mdoc 0.5.2, @sd-jwt/sd-jwt-vc 0.19.0).

* their verifier asks our wallet (mdoc and SD-JWT VC, encrypted direct_post.jwt);
* their wallet, holding credentials our issuer issued, answers our verifier service (mdoc and SD-JWT VC);
* their SessionTranscript for the Appendix B.2.6.1 example is the specification's, byte for byte.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from specs.jose import b64url_encode, jwk_from_key
from specs.oid4vp import AuthorizationRequestUri
from tests.conftest import VECTORS, Vectors
from tests.interop.node import finish, run_once, running
from tests.issuer.conftest import Service, free_port, serve, service  # noqa: F401
from tests.verifier.online import Online, online_story, service_trust
from tests.wallet.conftest import PIN
from verifier.web.app import create_app
from verifier.web.settings import VerifierSettings
from wallet.oid4vp import fetch_request

pytestmark = pytest.mark.slow
SQLITE = pytest.mark.parametrize("service", ["sqlite"], indirect=True)  # the protocol, not the database, is tested

AGE_MDOC = {"credentials": [{"id": "licence", "format": "mso_mdoc", "meta": {"doctype_value": "org.iso.18013.5.1.mDL"},
                             "claims": [{"path": ["org.iso.18013.5.1", "age_over_19"]},
                                        {"path": ["org.iso.18013.5.1", "family_name"]}]}]}
RESIDENT_SD_JWT = {"credentials": [{"id": "resident", "format": "dc+sd-jwt",
                                    "meta": {"vct_values": ["urn:mobileid:kr:resident_card:1"]},
                                    "claims": [{"path": ["family_name"]}, {"path": ["birth_date"]}]}]}


@pytest.fixture
def online(service: Service, tmp_path: Path) -> Online:  # noqa: F811
    return online_story(service, tmp_path / "phone")


def _private_jwk(signer: Any) -> dict[str, str]:
    numbers = signer.private_key.private_numbers()
    return {**jwk_from_key(signer.public_key()), "d": b64url_encode(numbers.private_value.to_bytes(32, "big"))}


def _der_b64(pem: bytes) -> str:
    from cryptography import x509

    return base64.b64encode(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)).decode()


def _status_jwt(online: Online) -> str:
    """The issuer's status list token, as their verifier would fetch it (handed over: the test issuer has no
    network address)."""
    record = online.wallet.credentials(PIN)
    sd_jwt = next(r for r in record if r.type_id == "urn:mobileid:kr:resident_card:1")
    from specs.jose import Jws
    from specs.sdjwt import SdJwt

    uri = Jws.parse(SdJwt.parse(str(sd_jwt.credential)).issuer_jwt).payload["status"]["status_list"]["uri"]
    return str(online.service.client.get(urllib.parse.urlsplit(uri).path,
                                         headers={"Accept": "application/statuslist+jwt"}).text)


def test_their_handover_is_the_specifications() -> None:
    ex = Vectors(VECTORS / "oid4vp").json("b261_handover.json")
    out = run_once("handover.mjs", {"jwk": ex["jwk"], "clientId": ex["client_id"], "nonce": ex["nonce"],
                                     "responseUri": ex["response_uri"]})
    assert out["inner"] == ex["session_transcript_hex"]


@SQLITE
@pytest.mark.parametrize(("dcql", "query_id"), [(AGE_MDOC, "licence"), (RESIDENT_SD_JWT, "resident")])
def test_their_verifier_asks_our_wallet(online: Online, dcql: dict[str, Any], query_id: str) -> None:
    reader_pem = online.reader.chain[0]
    payload = {"port": free_port(), "reader_cert_b64": base64.b64encode(reader_pem).decode(),
               "reader_key_jwk": _private_jwk(online.reader.signer),
               "iaca_b64": _der_b64(online.service.client.get("/trust/root.pem").content), "dcql": dcql,
               "status_list_jwt": _status_jwt(online)}
    import httpx

    with running("verifier.mjs", payload) as (ready, process), httpx.Client(timeout=30) as http:
        link = AuthorizationRequestUri.parse(ready["uri"])
        assert link.client_id.startswith("x509_hash:")
        received = fetch_request(ready["uri"], http=http, reader_roots=online.reader_roots,
                                 now=online.service.clock.now)
        assert received.requester.trust == "trusted" and received.request.response_mode == "direct_post.jwt"
        plan = online.presenter.plan(PIN, received)
        outcome = online.presenter.respond(PIN, plan, http=http)
        assert outcome.delivered, outcome
        result = finish(process)
    assert result["verified"], result.get("error")
    assert result["state_ok"] and result["jwe"]["alg"] == "ECDH-ES" and result["jwe"]["kid"] == "enc-1"
    assert result["jwe"]["apu"] and result["jwe"]["apv"] == received.request.nonce
    claims = result["results"][query_id]["claims"]
    if query_id == "licence":
        assert claims["org.iso.18013.5.1"]["age_over_19"] is True
        assert set(claims["org.iso.18013.5.1"]) == {"age_over_19", "family_name"}
    else:
        assert claims["family_name"] and claims["birth_date"] and "resident_number" not in claims


@pytest.fixture
def our_verifier(online: Online, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Our verifier service under a real uvicorn server, trusting the test issuer's bundle."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = VerifierSettings(data_dir=tmp_path / "verifier", public_url=url)
    app = create_app(settings, reader=online.reader, trust=service_trust(online.service), clock=online.service.clock)
    with serve(app, port):
        yield url, (settings.data_dir / "api.token").read_text().strip()


def _holdings(online: Online) -> dict[str, dict[str, Any]]:
    """What their wallet holds: our issuer's credentials with their device keys (as private JWKs)."""
    master = online.wallet.unlock(PIN)
    keys = online.wallet.device_keys(PIN, master)
    out: dict[str, dict[str, Any]] = {}
    for record in online.wallet.store(master).list():
        key = _private_jwk(keys.signer(record.device_key_alias))
        if record.type_id == "org.iso.18013.5.1.mDL":
            out["licence"] = {"format": "mso_mdoc", "doctype": record.type_id, "key_jwk": key,
                              "issuer_signed_b64": base64.b64encode(bytes(record.credential)).decode()}  # type: ignore[arg-type]
        elif record.type_id == "urn:mobileid:kr:resident_card:1":
            out["resident"] = {"format": "dc+sd-jwt", "sd_jwt": str(record.credential), "key_jwk": key}
    return out


@SQLITE
@pytest.mark.parametrize(("dcql", "query_id"), [(AGE_MDOC, "licence"), (RESIDENT_SD_JWT, "resident")])
def test_their_wallet_answers_our_verifier(online: Online, our_verifier: tuple[str, str], dcql: dict[str, Any],
                                          query_id: str) -> None:
    import httpx

    url, token = our_verifier
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, timeout=30) as http:
        created = http.post("/transactions", json={"dcql_query": dcql}, headers=auth).json()
        root = online.reader_roots.anchors[0].public_bytes(serialization.Encoding.DER)
        out = run_once("wallet.mjs", {"uri": created["cross_device_uri"],
                                      "reader_root_b64": base64.b64encode(root).decode(),
                                      "credentials": _holdings(online)})
        view = http.get(f"/transactions/{created['transaction_id']}", headers=auth).json()
    assert out["status"] == 200, out
    assert out["client_id"] == created["client_id"] and out["enc"] in ("A128GCM", "A256GCM") and out["kid"]
    assert view["status"] == "answered"
    result = view["result"]
    assert result["authentic"] and result["accepted"], result["errors"]
    (credential,) = result["credentials"]
    assert credential["id"] == query_id and credential["status"] == "valid"
    if query_id == "licence":
        iso = credential["claims"]["org.iso.18013.5.1"]
        assert set(iso) == {"age_over_19", "family_name"} and iso["age_over_19"] is True and iso["family_name"]
    else:
        assert set(credential["claims"]) == {"family_name", "birth_date"}
