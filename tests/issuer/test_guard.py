"""The input guard (issuer/web/guard.py): the mechanism, and every route with hostile strings and numbers in
every input it reads (path, query, form, JSON, headers), logged in and not, on SQLite and PostgreSQL: never a
5xx. Before the guard about twenty of these answered 500 (NUL bytes and lone surrogates reaching the
database, integers beyond 64 bits as ids, JSON nested past Python's recursion limit)."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from issuer.web.app import create_app
from issuer.web.guard import Refused, check_json, check_number_text, check_target, check_text
from specs.crypto import SoftwareSigner
from specs.jose import jwk_from_key, sign_compact
from tests.issuer.conftest import ISSUER_URL, Service, enroll, person_with_licence
from wallet.oid4vci import CredentialOffer

SURROGATE = "\ud800"
HOSTILE_STRINGS = ["\x00", "a\x00b", SURROGATE, "x\udfffy", "9" * 25, "-" + "9" * 30, str(2**64), "¹²³",
                   "%_\\", "'; --", "\u202e\u0000", "\x1b[31m"]
HOSTILE_NUMBERS: list[Any] = [2**64, -(2**63) - 1, 10**40, 1e308 * 10, -0.0, 2**63 - 1, 2**31, -(2**31) - 1]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE_JSON = [nested(64), nested(5000), '{"a":' * 3000 + "1" + "}" * 3000, '"\\ud800"', '{"\\u0000":1}',
                "[" + "9" * 400 + "]", "[1e999]", "[NaN]", '{"a": "\\udfff"}',
                b'{"a": "\xed\xa0\x80"}']  # a surrogate as UTF-8 bytes (json.loads decodes with surrogatepass)
NOT_JSON = [b"\xff\xfe{}", b"[not json"]  # left to the route: it must answer 4xx


def quote(value: str) -> str:
    return urllib.parse.quote(value.encode("utf-8", "surrogatepass"), safe="")


def form(fields: dict[str, str]) -> bytes:
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items()).encode()


def json_bytes(value: Any) -> bytes:
    """``value`` as JSON text; lone surrogates as escapes, big ints as digits (what an attacker sends)."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


# ---- the mechanism -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["\x00", "a\x01", SURROGATE, "\x7f", "line\nbreak"])
def test_check_text_refuses(text: str) -> None:
    with pytest.raises(Refused):
        check_text(text, "x")


@pytest.mark.parametrize("text", ["홍길동", "tab\there", "O'Brien", "%_"])
def test_check_text_accepts(text: str) -> None:
    check_text(text, "x")


@pytest.mark.parametrize("text", [str(2**31), str(-(2**31) - 1), str(2**63), "9" * 5000, "+" + "1" * 20])
def test_keys_beyond_32_bits_refused(text: str) -> None:
    with pytest.raises(Refused, match="32 bits"):
        check_number_text(text, "x")


@pytest.mark.parametrize("text", [str(2**31 - 1), str(-(2**31)), "0", "abc123", "¹²³", "12a"])
def test_keys_within_32_bits_or_not_numbers_pass(text: str) -> None:
    check_number_text(text, "x")


@pytest.mark.parametrize("body", HOSTILE_JSON)
def test_check_json_refuses(body: str | bytes) -> None:
    raw = body.encode() if isinstance(body, str) else body
    with pytest.raises(Refused):
        check_json(raw, 16)


def test_check_json_depth_is_exact() -> None:
    check_json(nested(16).encode(), 16)
    with pytest.raises(Refused, match="deeper than 16"):
        check_json(nested(17).encode(), 16)


@pytest.mark.parametrize("body", NOT_JSON)
def test_what_is_not_json_is_left_to_the_route(body: bytes) -> None:
    check_json(body, 16)


def test_check_target() -> None:
    check_target({"path": "/console/applicants/12", "query_string": b"q=%ED%99%8D", "headers": []})
    for scope in ({"path": "/console/applicants/" + "9" * 20}, {"path": "/a\x00"},
                  {"path": "/", "query_string": b"q=%00"}, {"path": "/", "query_string": b"q=%ff"},
                  {"path": "/", "query_string": b"to=99999999999999999999"},
                  {"path": "/", "headers": [(b"authorization", b"Bearer \x00")]}):
        with pytest.raises(Refused):
            check_target(scope)


# ---- every route -------------------------------------------------------------------------------------------

@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    """The service without rate limits (this test sends hundreds of requests from one client)."""
    settings = service.settings.model_copy(update={f"rate_limit_{k}_{s}": 0 for k in
                                                   ("token", "nonce", "credential", "remote", "login")
                                                   for s in ("per_client", "overall")})
    with TestClient(create_app(settings, clock=service.clock), base_url=ISSUER_URL,
                    raise_server_exceptions=False) as test_client:
        yield test_client


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.get("/openapi.json").json()
    return [(method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()]


def _login(client: TestClient, service: Service) -> str:
    page = client.post("/console/login", data={"username": "clerk1", "password": service.clerk_password},
                       follow_redirects=True)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _properties(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return list(schema.get("properties", {}))


def _requests(client: TestClient, signed: dict[str, str], access: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, url, httpx keyword arguments) for every hostile value in every input of every operation."""
    auth = {"Authorization": f"Bearer {access}"}
    document = client.get("/openapi.json").json()
    for method, path, op in _operations(client):
        params = op.get("parameters", [])
        path_params = [p["name"] for p in params if p["in"] == "path"]
        query_params = [p["name"] for p in params if p["in"] == "query"]
        plain = path
        for name in path_params:
            plain = plain.replace("{" + name + "}", "1")
        for value in HOSTILE_STRINGS + [str(n) for n in HOSTILE_NUMBERS]:
            for name in path_params:
                url = path
                for other in path_params:
                    url = url.replace("{" + other + "}", quote(value) if other == name else "1")
                yield method, url, {"headers": auth}
            for name in query_params:
                yield method, f"{plain}?{quote(name)}={quote(value)}", {"headers": auth}
            yield method, f"{plain}?{quote(value)}={quote(value)}", {}
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            names = _properties(document, content["application/json"].get("schema", {}))
            for value in HOSTILE_STRINGS + HOSTILE_NUMBERS:
                for name in names:
                    body = json_bytes({n: (value if n == name else "x") for n in names})
                    yield method, plain, {"content": body, "headers": auth | {"Content-Type": "application/json"}}
                    yield method, plain, {"content": json_bytes({name: [value]}), "headers": auth}
        if method == "POST":
            for value in HOSTILE_STRINGS + HOSTILE_NUMBERS:  # undeclared JSON (a route may read it anyway)
                body = json_bytes({n: value for n in ("nonce", "credential_configuration_id", "notification_id",
                                                      "event", "status", "reason", "device_response")})
                yield method, plain, {"content": body, "headers": auth | {"Content-Type": "text/plain"}}
            for raw in [*HOSTILE_JSON, *NOT_JSON]:
                yield method, plain, {"content": raw, "headers": auth | {"Content-Type": "application/json"}}
                yield method, plain, {"content": raw, "headers": auth}
            yield method, plain, {"content": b"{" * 300_000, "headers": {"Content-Type": "application/json"}}
        if method == "POST":
            fields = ["username", "password", "csrf", "grant_type", "pre-authorized_code", "tx_code", "q",
                      "configuration", "document_kind", "document_number", "notes", "photo_match", "to", "status",
                      "reason", "credential", "role", "office", "code", "name", "copies_mdl", "copies_age_attestation"]
            for value in HOSTILE_STRINGS:
                body = form({f: value for f in fields} | {"csrf": signed["csrf"], "configuration": "mdl",
                                                          "grant_type": value})
                yield method, plain, {"content": body,
                                      "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
                body = form({f: (value if f != "csrf" else signed["csrf"]) for f in fields})
                yield method, plain, {"content": body,
                                      "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
            yield method, plain, {"content": b"%ff%fe=%00", "headers": {
                "Content-Type": "application/x-www-form-urlencoded"}}
            yield method, plain, {"content": b"--b\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=b"}}
        for header in (b"Bearer \x00", b"Bearer \xff\xfe", b"Bearer " + b"9" * 30):
            yield method, plain, {"headers": {"Authorization": header}}


@pytest.mark.slow  # about 3,000 requests a database
def test_no_5xx_from_hostile_input(service: Service, client: TestClient) -> None:
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    code = CredentialOffer.parse(uri).pre_authorized_code
    token = client.post("/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                                        "pre-authorized_code": code, "tx_code": tx_code})
    assert token.status_code == 200, token.text
    access = token.json()["access_token"]
    signed = {"csrf": _login(client, service)}
    failures, sent = [], 0
    signer = SoftwareSigner.generate()
    for nonce in HOSTILE_STRINGS:  # inside a signed proof, where no gate in front of the route can look
        proof = sign_compact(signer, {"typ": "openid4vci-proof+jwt", "jwk": jwk_from_key(signer.public_key())},
                             json_bytes({"aud": ISSUER_URL, "iat": int(service.clock.now.timestamp()),
                                         "nonce": nonce}))
        answer = client.post("/credential", json={"credential_configuration_id": "mdl", "proofs": {"jwt": [proof]}},
                             headers={"Authorization": f"Bearer {access}"})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_nonce", answer.text
    for method, url, kwargs in _requests(client, signed, access):
        try:
            answer = client.request(method, url, follow_redirects=False, **kwargs)
        except httpx.InvalidURL:
            continue  # httpx refuses to send it at all (a header with a control character)
        sent += 1
        if url == "/console/logout":
            signed["csrf"] = _login(client, service)  # stay signed in: the console's forms are read only in a session
        if answer.status_code >= 500:
            failures.append(f"{method} {url[:80]} {str(kwargs)[:160]} -> {answer.status_code}")
    assert sent > 2000
    assert not failures, f"{len(failures)} of {sent} requests answered 5xx:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_oversized_bodies_are_413(service: Service, client: TestClient) -> None:
    limit = service.settings.max_body_bytes
    for path in ("/credential", "/token", "/remote/offer", "/console/login", "/api/checks"):
        answer = client.post(path, content=b"{" + b" " * limit + b"}", headers={"Content-Type": "application/json"})
        assert answer.status_code == 413, (path, answer.status_code)
        assert "larger than" in answer.json()["error_description"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(limit // 4096 + 2):
            yield b" " * 4096

    answer = client.post("/credential", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    ok = client.post("/nonce", content=b"{}", headers={"Content-Type": "application/json"})
    assert ok.status_code == 200


@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_refusal_names_the_oauth_error_of_the_path(service: Service, client: TestClient) -> None:
    answer = client.post("/credential", content=nested(100), headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_credential_request",
                             "error_description": "the JSON body is nested deeper than 16"}
    answer = client.get("/console/applicants/" + "9" * 30)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
