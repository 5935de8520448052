"""No personal data, code, token, nonce or disclosure in anything the issuer writes (issuer.web.logs).

The real service (``mobileid issuer serve``, uvicorn, INFO level) runs in its own process; the whole counter
and issuance flow runs against it (sign-in, searches, the check, the offer, token, nonce, credentials,
notification, a status change, refusals); then every line it wrote to stdout, stderr and any log file is
searched for each register value of the applicant and each secret the flow saw.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError

from issuer.db import make_engine
from issuer.db.models import Business, Licence, Person
from issuer.web.logs import AccessRedaction, ExceptionRedaction, redact_path, route_words
from specs.crypto import SoftwareSigner
from specs.jose import jwk_from_key, sign_compact

from .conftest import BACKENDS, PG_URL, Service, _drop, _pg_url, free_port

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    assert PG_URL
    schema = f"t_{secrets.token_hex(6)}"
    yield _pg_url(schema)
    _drop(schema)


def _start(tmp_path: Path, database_url: str | None) -> tuple[subprocess.Popen[bytes], str, str, Path]:
    data, port = tmp_path / "data", free_port()
    env = {**os.environ, "MOBILEID_SEED_PEOPLE": "300", "MOBILEID_STATUS_LIST_SIZE": "4096"}
    if database_url:
        env["MOBILEID_DATABASE_URL"] = database_url
    out = tmp_path / "server.out"
    with out.open("wb") as sink:
        server = subprocess.Popen([sys.executable, "-m", "mobileid", "issuer", "serve", "--data-dir", str(data),
                                   "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT, env=env,
                                  cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert server.poll() is None and time.monotonic() < deadline, out.read_text(errors="replace")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    password = re.search(r"Password: (\S+)", out.read_text())
    assert password, out.read_text()
    return server, url, password.group(1), data


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _applicant(url: str) -> tuple[Person, Licence, Business]:
    engine = create_engine(url)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        row = session.execute(select(Person, Licence, Business).join(Licence, Licence.person_id == Person.id)
                              .join(Business, Business.representative_id == Person.id).order_by(Person.id)).first()
    engine.dispose()
    assert row is not None
    return row[0], row[1], row[2]


def _proof(url: str, nonce: str) -> str:
    signer = SoftwareSigner.generate()
    header = {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": jwk_from_key(signer.public_key())}
    return sign_compact(signer, header, {"aud": url, "iat": int(time.time()), "nonce": nonce})


def _flow(url: str, password: str, person: Person) -> list[str]:
    """The counter and issuance flow; returns every secret it saw (codes, tokens, nonces, credentials and
    their disclosures)."""
    seen: list[str] = []
    with httpx.Client(base_url=url, timeout=60) as web, httpx.Client(base_url=url, timeout=60) as wallet:
        web.get("/console/login")
        csrf = _csrf(web.post("/console/login", data={"username": "clerk1", "password": password},
                              follow_redirects=True))
        full_name = person.family_name + person.given_name
        for term in (person.resident_number[:8], full_name, f"{person.given_name_latin} {person.family_name_latin}"):
            found = web.post("/console/search", data={"q": term, "csrf": csrf})
            assert f"/console/applicants/{person.id}" in found.text, term
        web.get("/console", params={"q": person.resident_number})  # an old bookmark: its query is not logged
        web.get(f"/console/applicants/{person.id}")
        document_number = f"M{secrets.randbelow(10**8):08d}"
        seen.append(document_number)
        made = web.post(f"/console/applicants/{person.id}/check", data={
            "csrf": csrf, "document_kind": "passport", "document_number": document_number, "photo_match": "yes",
            "configuration": ["mdl", "resident_card"], "notes": f"{full_name} {person.address}"},
            follow_redirects=True)
        assert made.status_code == 200, made.text
        tx_code = re.search(r'id="tx-code">(\d{6})<', made.text)
        link = re.search(r'id="offer-uri" href="([^"]+)"', made.text)
        assert tx_code and link
        reference_uri = urllib.parse.unquote(link.group(1).replace("&amp;", "&").split("credential_offer_uri=")[1])
        offer = wallet.get(reference_uri.removeprefix(url)).json()
        code = offer["grants"][PRE_AUTH]["pre-authorized_code"]
        seen += [tx_code.group(1), code, reference_uri.rsplit("/", 1)[1]]
        wrong = f"{(int(tx_code.group(1)) + 1) % 10**6:06d}"
        assert wallet.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": code,
                                           "tx_code": wrong}).status_code == 400
        token = wallet.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": code,
                                            "tx_code": tx_code.group(1)}).json()["access_token"]
        seen += [wrong, token]
        bearer = {"Authorization": f"Bearer {token}"}
        for configuration in ("mdl", "resident_card"):
            nonce = wallet.post("/nonce").json()["c_nonce"]
            proof = _proof(url, nonce)
            answer = wallet.post("/credential", headers=bearer, json={
                "credential_configuration_id": configuration, "proofs": {"jwt": [proof]}})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            seen += [nonce, proof, body["notification_id"]]
            for item in body["credentials"]:
                seen += [item["credential"], *[d for d in item["credential"].split("~")[1:] if d]]
            assert wallet.post("/notification", headers=bearer, json={
                "notification_id": body["notification_id"], "event": "credential_accepted"}).status_code == 204
        replayed = wallet.post("/credential", headers=bearer, json={  # a refusal: the proof's nonce is used
            "credential_configuration_id": "mdl", "proofs": {"jwt": [proof]}})
        assert replayed.status_code == 400
        assert wallet.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": code,
                                           "tx_code": tx_code.group(1)}).status_code == 400
        confirm = web.get(f"/console/applicants/{person.id}/status", params={"to": "suspended"})
        ids = re.findall(r'name="credential" value="(\d+)"', confirm.text)
        changed = web.post(f"/console/applicants/{person.id}/status", data={
            "csrf": csrf, "to": "suspended", "reason": f"{full_name} lost it", "credential": ids},
            follow_redirects=False)
        assert changed.status_code == 303 and ids
        web.post("/console/logout", data={"csrf": csrf})
    return seen


def _register_values(person: Person, licence: Licence, business: Business) -> list[str]:
    values = [person.resident_number, person.resident_number[:8], person.family_name + person.given_name,
              person.given_name, person.address, person.birth_date.isoformat(), person.birth_date.strftime("%Y%m%d"),
              f"{person.family_name_latin} {person.given_name_latin}",
              f"{person.given_name_latin} {person.family_name_latin}", licence.number,
              business.registration_number, business.name, business.address]
    return values + [v for v in (person.given_name_latin, person.family_name_latin) if len(v) >= 4]


@pytest.mark.slow
def test_the_whole_flow_leaves_no_personal_data_or_secret_in_any_log(tmp_path: Path,
                                                                       database_url: str | None) -> None:
    server, url, password, data = _start(tmp_path, database_url)
    try:
        person, licence, business = _applicant(database_url or f"sqlite:///{data / 'issuer.sqlite3'}")
        secrets_seen = _flow(url, password, person)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    written = (tmp_path / "server.out").read_text(encoding="utf-8", errors="replace")
    for log_file in [*tmp_path.rglob("*.log"), *tmp_path.rglob("*.log.*")]:
        written += log_file.read_text(encoding="utf-8", errors="replace")
    # the log was on and saw the flow (a silent server would pass vacuously)
    assert '"POST /console/search HTTP/1.1" 200' in written and '"POST /credential HTTP/1.1" 200' in written
    assert '"GET /credential-offer/:value HTTP/1.1" 200' in written and '"GET /console HTTP/1.1" 200' in written
    for number, value in enumerate(_register_values(person, licence, business) + secrets_seen):
        assert value not in written, f"value #{number} is in the log"  # the message must not print it either
    for value in secrets_seen:
        encoded = base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
        assert len(value) < 8 or encoded not in written


def test_access_paths_keep_route_words_and_numbers_only() -> None:
    words = route_words(["/console/applicants/{person_id}", "/credential-offer/{reference}", "/token"])
    assert redact_path("/console/applicants/17?q=900101-1234567", words) == "/console/applicants/17"
    assert redact_path("/credential-offer/Abc_secret-REF", words) == "/credential-offer/:value"
    assert redact_path("/홍길동/token", words) == "/:value/token"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/console?q=%EA%B9%80", "1.1", 200), None)
    assert AccessRedaction(words).filter(record) and record.getMessage() == '127.0.0.1:5 - "GET /console HTTP/1.1" 200'


def test_tracebacks_keep_frames_and_classes_but_no_message() -> None:
    name, number = "홍길동", "900101-1234567"  # a frame shows its source line: the values stay in variables
    try:
        try:
            raise KeyError(name)
        except KeyError as inner:
            raise ValueError(f"{number} is taken") from inner
    except ValueError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application",
                                   None, sys.exc_info())
    assert ExceptionRedaction().filter(record)
    text = logging.Formatter().format(record)
    assert "builtins.ValueError" in text and "builtins.KeyError" in text and "test_logs.py" in text
    assert number not in text and name not in text


def test_database_errors_name_no_values(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    """A statement's values are never in a database error's message, nor in what the service logs or
    answers when one escapes a route (PostgreSQL's own message quotes the duplicate key: withheld)."""
    with service.session() as session:
        taken = session.scalars(select(Person.resident_number).limit(1)).one()
    engine = make_engine(service.settings.sqlalchemy_url)
    try:
        with engine.begin() as connection, pytest.raises(IntegrityError) as raised:
            connection.execute(Person.__table__.insert().values(
                resident_number=taken, family_name="x", given_name="y", family_name_latin="X", given_name_latin="Y",
                birth_date=dt.date(1990, 1, 1), sex=1,
                address="secret-address-123", nationality="KR", portrait=b""))
    finally:
        engine.dispose()
    assert "secret-address-123" not in str(raised.value)
    app = service.client.app

    @app.get("/test-only/duplicate")  # type: ignore[attr-defined, untyped-decorator]
    def duplicate() -> None:
        with app.state.mobileid.sessions() as session:  # type: ignore[attr-defined]
            session.add(Person(resident_number=taken, family_name="x", given_name="y", family_name_latin="X",
                               given_name_latin="Y", birth_date=dt.date(1990, 1, 1), sex=1,
                               address="secret-address-123", nationality="KR", portrait=b""))
            session.commit()

    with caplog.at_level(logging.DEBUG):
        answer = service.client.get("/test-only/duplicate")
    assert answer.status_code == 500 and answer.json()["error"] == "server_error"
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "IntegrityError" in logged
    for value in (taken, "secret-address-123"):
        assert value not in logged and value not in answer.text
    assert json.dumps(answer.json()).isascii()
