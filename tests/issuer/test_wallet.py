"""The wallet's lean path (issuer.web.wallet): strict parsing with a refusal for every fault, the same
headers, guard and error shapes as the framework's routes, and the framework still answering the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.offers import PRE_AUTH_GRANT
from issuer.web.app import create_app
from issuer.web.wallet import (
    CREDENTIAL_MEMBERS,
    NOTIFICATION_MEMBERS,
    NOTIFICATION_REQUIRED,
    Malformed,
    parse_form,
    parse_object,
)

from .conftest import ISSUER_URL, Service, enroll, person_with_licence, refusals

# --- parsing -------------------------------------------------------------------------------------------------

def test_a_form_parameter_sent_twice_or_missing_is_refused() -> None:
    assert parse_form(b"grant_type=a&tx_code=", frozenset({"grant_type"})) == {"grant_type": "a", "tx_code": ""}
    with pytest.raises(Malformed, match="grant_type: repeated"):
        parse_form(b"grant_type=a&grant_type=b", frozenset({"grant_type"}))
    with pytest.raises(Malformed, match="grant_type: missing"):
        parse_form(b"tx_code=1", frozenset({"grant_type"}))
    with pytest.raises(Malformed, match="grant_type: missing"):  # blank is missing, as the framework read it
        parse_form(b"grant_type=", frozenset({"grant_type"}))


@pytest.mark.parametrize(("body", "fault"), [
    (b"", "body: missing"),
    (b"{", "body: json_invalid"),
    (b"\xff", "body: json_invalid"),
    (b"[1, 2]", "body: model_attributes_type"),
    (b'"text"', "body: model_attributes_type"),
    (b'{"claims": {}}', "body.claims: extra_forbidden"),
    (b'{"credential_configuration_id": 1}', "body.credential_configuration_id: type"),
    (b'{"proofs": {"jwt": "one"}}', "body.proofs: type"),
    (b'{"proofs": {"jwt": [1]}}', "body.proofs: type"),
    (b'{"proofs": ["x"]}', "body.proofs: type"),
    (b'{"proof": {"jwt": ["x"]}}', "body.proof: type"),
])
def test_a_credential_request_is_parsed_strictly(body: bytes, fault: str) -> None:
    with pytest.raises(Malformed) as refused:
        parse_object(body, CREDENTIAL_MEMBERS)
    assert refused.value.where == fault


def test_a_well_formed_credential_request_passes() -> None:
    body = {"credential_configuration_id": "mdl", "proofs": {"jwt": ["a", "b"]}, "proof": None}
    assert parse_object(json.dumps(body).encode(), CREDENTIAL_MEMBERS) == body
    assert parse_object(b"{}", CREDENTIAL_MEMBERS) == {}


def test_a_notification_names_its_id_and_event() -> None:
    with pytest.raises(Malformed) as refused:
        parse_object(b'{"event": 3}', NOTIFICATION_MEMBERS, NOTIFICATION_REQUIRED)
    assert refused.value.where == "body.event: type; body.notification_id: missing"
    ok = {"notification_id": "n", "event": "credential_accepted", "event_description": "fine"}
    assert parse_object(json.dumps(ok).encode(), NOTIFICATION_MEMBERS, NOTIFICATION_REQUIRED) == ok


# --- over HTTP -----------------------------------------------------------------------------------------------

def _refused(response: object, status: int, error: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.json()["error"] == error  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in headers["content-security-policy"]


def test_refusals_on_the_lean_path_are_counted_and_never_echo_input(service: Service) -> None:
    repeated = service.client.post("/token", content=f"grant_type={PRE_AUTH_GRANT}&grant_type=x",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    _refused(repeated, 400, "invalid_request")
    as_json = service.client.post("/token", json={"grant_type": PRE_AUTH_GRANT})  # a form is required
    _refused(as_json, 400, "invalid_request")
    assert refusals(service, "request.reject:invalid_request") == 2
    text = service.client.post("/credential", content=b'{"proofs": {"jwt": ["secret-proof"]}}',
                               headers={"Content-Type": "text/plain"})
    _refused(text, 400, "invalid_credential_request")
    assert "secret-proof" not in text.text
    assert refusals(service, "request.reject:invalid_credential_request") == 1
    _refused(service.client.post("/notification", json={"event": "credential_accepted"}), 400,
             "invalid_notification_request")
    _refused(service.client.get("/credential-offer/unknown-reference"), 404, "not_found")


def test_the_guard_and_the_framework_still_answer_around_the_lean_path(service: Service) -> None:
    nested = service.client.post("/credential", content=b"[" * 40 + b"]" * 40,
                                 headers={"Content-Type": "application/json"})
    _refused(nested, 400, "invalid_credential_request")  # the input guard's refusal, before any parsing
    assert "nested deeper" in nested.json()["error_description"]
    for method, path, allowed in (("GET", "/token", "POST"), ("PUT", "/credential", "POST"),
                                  ("POST", "/credential-offer/some-reference", "GET")):
        answer = service.client.request(method, path)  # another method: 405 naming the one taken
        assert (answer.status_code, answer.headers["allow"]) == (405, allowed)
    assert service.client.get("/credential-offer/a/b").status_code == 404
    nonce = service.client.post("/nonce")
    assert nonce.status_code == 200 and nonce.headers["x-frame-options"] == "DENY"
    assert nonce.headers["content-length"] == str(len(nonce.content))


def test_the_flow_in_worker_threads_answers_the_same(service: Service, tmp_path: Path) -> None:
    settings = service.settings.model_copy(update={"wallet_in_threads": True})
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    code = uri.split("pre-authorized_code%22%3A%22", 1)[1].split("%22", 1)[0]
    with TestClient(create_app(settings, clock=service.clock), base_url=ISSUER_URL) as client:
        token = client.post("/token", data={"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": code,
                                            "tx_code": tx_code})
        assert token.status_code == 200, token.text
        assert token.json()["mobileid_grant"] == [{"credential_configuration_id": "mdl", "copies": 1}]
        _refused(client.post("/credential", json={}), 401, "invalid_token")
