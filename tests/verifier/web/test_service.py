"""``mobileid verifier serve`` end to end with the wallet library: transactions, the signed request object,
the encrypted response, verification, one answer per transaction, the §8.5 refusals, polling and webhooks."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from specs.errors import Oid4vpError
from specs.jose import b64url_encode
from specs.oid4vp import AuthorizationResponse, encrypt_response
from tests.issuer.conftest import free_port
from tests.verifier.web.conftest import RP_URL, Rp
from tests.wallet.conftest import PIN
from verifier.web import webhook
from wallet.oid4vp import ReceivedRequest, fetch_request


class Recorder:
    """The verifier's TestClient, keeping what the wallet posted (to replay it)."""

    def __init__(self, client: TestClient) -> None:
        self.client, self.posted = client, []  # type: ignore[var-annotated]

    def get(self, url: str, *, headers: Any = None) -> Any:
        return self.client.get(url, headers=headers)

    def post(self, url: str, *, data: Any = None, json: Any = None, headers: Any = None) -> Any:
        self.posted.append((url, data))
        return self.client.post(url, data=data, json=json, headers=headers)


def _fetch(rp: Rp, link: str, *, roots: bool = True) -> ReceivedRequest:
    return fetch_request(link, http=rp.client, reader_roots=rp.online.reader_roots if roots else None,
                         now=rp.online.service.clock.now)


def test_bank_account_opening_cross_device(rp: Rp) -> None:
    created = rp.create(preset="bank_account_opening")
    assert created["cross_device_uri"].startswith("openid4vp://?client_id=x509_hash%3A")
    received = _fetch(rp, created["cross_device_uri"])
    assert received.requester.trust == "trusted" and received.requester.name == "Hana Bank"
    assert received.request.response_mode == "direct_post.jwt" and received.request.state
    key = received.request.client_metadata.encryption_key()  # type: ignore[union-attr]
    assert key.kid and key.jwk["alg"] == "ECDH-ES"
    recorder = Recorder(rp.client)
    cards = ["urn:mobileid:kr:resident_card:1", "urn:mobileid:kr:income_certificate:1"]
    unused = rp.online.wallet.unused_copies(PIN, cards)
    outcome = rp.online.presenter.respond(PIN, rp.online.presenter.plan(PIN, received), http=recorder)
    assert rp.online.wallet.unused_copies(PIN, cards) == unused - 2  # one fresh single-use copy of each
    assert outcome.delivered and outcome.redirect_uri == f"{RP_URL}/bank/{created['transaction_id']}"
    assert [t for t, _ in outcome.shared] == ["resident_card", "income_certificate"]
    view = rp.read(created["transaction_id"])
    assert view["status"] == "answered"
    result: dict[str, Any] = view["result"]  # type: ignore[assignment]
    assert result["authentic"] and result["accepted"]
    resident, income = result["credentials"]
    assert resident["claims"]["family_name"] and "resident_number" not in resident["claims"]
    assert "cnf" not in resident["claims"] and income["status"] == "valid"
    # the same response again: refused, the transaction keeps its first answer
    url, body = recorder.posted[0]
    again = rp.client.post(url, data=body)
    assert again.status_code == 400 and again.json()["code"] == "oid4vp.replayed"
    assert again.json()["error"] == "invalid_request"
    # the request object is gone once answered
    assert rp.client.get(created["request_uri"]).status_code == 404


def test_x509_san_dns_client(rp_dns: Rp) -> None:
    created = rp_dns.create(preset="age19")
    received = _fetch(rp_dns, created["cross_device_uri"])
    assert received.request.client_id == "x509_san_dns:bank.example"
    plan = rp_dns.online.presenter.plan(PIN, received)
    assert plan.credentials[0].query.id == "age_attestation"  # least data first: the age attestation
    assert rp_dns.online.presenter.respond(PIN, plan, http=rp_dns.client).delivered
    assert rp_dns.read(created["transaction_id"])["result"]["accepted"]  # type: ignore[index]


def test_untrusted_requester_is_shown_as_claimed(rp: Rp) -> None:
    received = _fetch(rp, rp.create(preset="supplier_check")["cross_device_uri"], roots=False)
    assert received.requester.trust == "untrusted" and received.requester.name == "Hana Bank"
    assert received.requester.problem == "oid4vp.no_reader_roots"


def _encrypted(received: ReceivedRequest, payload: AuthorizationResponse) -> str:
    metadata = received.request.client_metadata
    assert metadata is not None
    return encrypt_response(payload, metadata.encryption_key(), enc="A256GCM", nonce=received.request.nonce)


def test_refusals(rp: Rp) -> None:
    created = rp.create(preset="age19")
    received = _fetch(rp, created["cross_device_uri"])
    uri = received.request.response_uri
    assert uri is not None
    cases = {
        "oid4vp.unencrypted": {"vp_token": json.dumps({"age_attestation": ["x"]}), "state": received.request.state},
        "oid4vp.state": {"response": _encrypted(received, AuthorizationResponse({"age_attestation": ("x",)}, "nope"))},
        "oid4vp.mismatch": {"response": _encrypted(received, AuthorizationResponse({"other": ("x",)},
                                                                                   received.request.state))},
        "oid4vp.jwe": {"response": "e30..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA"},
    }
    for code, body in cases.items():
        answer = rp.client.post(uri, data=body)
        assert answer.status_code == 400 and answer.json()["code"] == code, (code, answer.text)
        assert answer.json()["error"] == "invalid_request"
    assert rp.read(created["transaction_id"])["status"] == "pending"  # none of these used the transaction up
    bad = AuthorizationResponse({"age_attestation": (b64url_encode(b"\xa0"),)}, received.request.state)
    answer = rp.client.post(uri, data={"response": _encrypted(received, bad)})
    assert answer.status_code == 400 and answer.json()["code"] == "oid4vp.not_accepted"
    view = rp.read(created["transaction_id"])
    assert view["status"] == "answered" and not view["result"]["authentic"]  # type: ignore[index]


def test_expired_transaction(rp: Rp) -> None:
    created = rp.create(preset="age19")
    received = _fetch(rp, created["cross_device_uri"])
    plan = rp.online.presenter.plan(PIN, received)
    rp.online.service.clock.advance(seconds=301)
    try:
        outcome = rp.online.presenter.respond(PIN, plan, http=rp.client)
        assert not outcome.delivered and outcome.error == "invalid_request"
        assert rp.read(created["transaction_id"])["status"] == "expired"
        with pytest.raises(Oid4vpError) as err:  # the request object is no longer served
            _fetch(rp, created["cross_device_uri"])
        assert err.value.code == "oid4vp.request_fetch"
    finally:
        rp.online.service.clock.advance(seconds=-301)


def test_decline_is_recorded(rp: Rp) -> None:
    created = rp.create(dcql_query={"credentials": [{"id": "pid", "format": "dc+sd-jwt",
                                                     "meta": {"vct_values": ["urn:someone:else"]}}]})
    received = _fetch(rp, created["cross_device_uri"])
    with pytest.raises(Oid4vpError) as err:
        rp.online.presenter.plan(PIN, received)
    assert err.value.code == "oid4vp.no_credential"
    assert rp.online.presenter.decline(received, http=rp.client).delivered
    view = rp.read(created["transaction_id"])
    assert view["status"] == "declined"
    assert view["result"]["errors"][0]["code"] == "oid4vp.wallet.access_denied"  # type: ignore[index]


def test_business_api_rules(rp: Rp) -> None:
    assert rp.client.post("/transactions", json={"preset": "age19"}).status_code == 401
    headers = {"Authorization": f"Bearer {rp.token}"}
    for body in ({}, {"preset": "nope"}, {"preset": "age19", "dcql_query": {}}, {"dcql_query": {"credentials": []}},
                 {"preset": "age19", "webhook_url": "ftp://x"}):
        assert rp.client.post("/transactions", json=body, headers=headers).status_code in (400, 422), body
    assert rp.client.get("/transactions/unknown", headers=headers).status_code == 404
    assert rp.client.get("/transactions/unknown").status_code == 401


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """The business backend's webhook endpoint: a real HTTP server on a free port."""
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", got
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_signed_webhook(rp: Rp, receiver: tuple[str, list[tuple[dict[str, str], bytes]]]) -> None:
    url, got = receiver
    created = rp.create(preset="supplier_check", webhook_url=url)
    received = _fetch(rp, created["cross_device_uri"])
    assert rp.online.presenter.respond(PIN, rp.online.presenter.plan(PIN, received), http=rp.client).delivered
    ((headers, body),) = got
    secret = (rp.settings.data_dir / "webhook.key").read_text().strip().encode()
    now = rp.online.service.clock.now
    webhook.verify_signature(secret, headers[webhook.HEADER], body, now=now)
    document = json.loads(body)
    assert document["transaction_id"] == created["transaction_id"] and document["result"]["accepted"]
    assert document["result"]["credentials"][0]["claims"]["business_status"] == "active"
    assert rp.read(created["transaction_id"])["webhook_status"] == "delivered 204"
    with pytest.raises(Exception) as err:
        webhook.verify_signature(secret, headers[webhook.HEADER], body + b" ", now=now)
    assert getattr(err.value, "code", None) == "webhook.signature"
    with pytest.raises(Exception) as err:
        webhook.verify_signature(secret, headers[webhook.HEADER], body, now=now + dt.timedelta(hours=1))
    assert getattr(err.value, "code", None) == "webhook.stale"


def test_hostile_response_bodies_get_typed_refusals(rp: Rp) -> None:
    created = rp.create(preset="age19")
    uri = _fetch(rp, created["cross_device_uri"]).request.response_uri
    assert uri is not None
    bodies: list[dict[str, str]] = [
        {}, {"response": ""}, {"response": "a.b.c.d.e"}, {"response": "....."}, {"response": "x" * 2000},
        {"response": "eyJhbGciOiJub25lIn0....."}, {"vp_token": "{"}, {"vp_token": "[]", "state": "s"},
        {"error": "x" * 64}, {"response": "\u202e\x00", "state": "s"}, {"state": "only"},
    ]
    for body in bodies:
        answer = rp.client.post(uri, data=body)
        assert answer.status_code in (400, 422), (body, answer.status_code)
        assert answer.status_code == 422 or answer.json()["code"].startswith("oid4vp."), (body, answer.text)
    assert rp.read(created["transaction_id"])["status"] == "pending"
    assert rp.client.post(uri.replace(created["transaction_id"], "nope"), data={}).status_code == 404
