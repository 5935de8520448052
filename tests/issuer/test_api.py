"""The staff API over HTTP (SQLite and PostgreSQL): bearer tokens, checks and offers, status changes by office."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from issuer.cli import issuer_app
from issuer.db.models import AuditEntry, Credential, Offer, Office, Staff, StatusListRow
from issuer.security import hash_password, new_token, token_hash
from specs.status import StatusList
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.wallet import Wallet

from .conftest import Service, enroll, iaca_pem, person_with_licence

runner = CliRunner()


def cli_token(service: Service, username: str) -> str:
    result = runner.invoke(issuer_app, ["api-token", username, "--data-dir", str(service.settings.data_dir)],
                           env={"MOBILEID_DATABASE_URL": service.settings.sqlalchemy_url})
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["username"] == username and len(answer["api_token"]) >= 43
    return str(answer["api_token"])


def add_staff(service: Service, username: str, role: str, office_code: str) -> str:
    """A member of staff (a new office if need be) with an API token; returns the token."""
    token = new_token()
    with service.session() as session:
        office = session.scalars(select(Office).where(Office.code == office_code)).first()
        if office is None:
            office = Office(code=office_code, name=office_code)
            session.add(office)
            session.flush()
        session.add(Staff(username=username, role=role, office_id=office.id, password_hash=hash_password("pw-x"),
                          api_token_hash=token_hash(token)))
        session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wallet(tmp_path: Path, service: Service) -> Wallet:
    w = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    w.init(PIN, trust_pem=iaca_pem(service))
    return w


def issued_credential(service: Service, tmp_path: Path, username: str = "clerk1") -> Credential:
    """An mDL issued after a counter check by ``username``; returns its row."""
    person = person_with_licence(service)
    uri, tx_code = enroll(service, person, ["mdl"], username=username)
    wallet(tmp_path, service).receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    with service.session() as session:
        return session.scalars(select(Credential).where(Credential.person_id == person)
                               .order_by(Credential.id.desc())).first()  # type: ignore[return-value]


def list_value(service: Service, credential_id: int) -> tuple[str, int]:
    with service.session() as session:
        credential = session.get(Credential, credential_id)
        assert credential is not None
        row = session.get(StatusListRow, credential.status_list_id)
        assert row is not None
        return credential.status, StatusList(row.bits, row.data).get(credential.status_index)


def denials(service: Service) -> list[AuditEntry]:
    with service.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")
                                    .order_by(AuditEntry.id)))


def test_token_check_offer_and_wallet_receives(service: Service, tmp_path: Path) -> None:
    token = cli_token(service, "clerk2")  # a clerk at BUSAN-01
    person = person_with_licence(service)
    answer = service.client.post("/api/checks", headers=bearer(token), json={
        "applicant_id": person, "document_kind": "id_card", "document_number": "900101-1234567",
        "photo_match": True, "configurations": ["mdl", "age_attestation"], "copies": {"age_attestation": 2}})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"offer_id", "offer_uri", "credential_offer_uri", "tx_code", "expires_at", "grant"}
    assert len(body["tx_code"]) == 6 and body["grant"] == {"mdl": 1, "age_attestation": 2}
    assert answer.headers["cache-control"] == "no-store"
    records = wallet(tmp_path, service).receive(body["offer_uri"], body["tx_code"], PIN, http=service.client,
                                                now=service.clock.now)
    assert len(records) == 3
    listed = service.client.get(f"/api/applicants/{person}/credentials", headers=bearer(token))
    assert listed.status_code == 200
    rows = listed.json()
    assert sorted(r["type"] for r in rows) == ["age_attestation", "age_attestation", "mdl"]
    assert all(set(r) == {"id", "type", "format", "status", "issued_at"} and r["status"] == "valid" for r in rows)
    with service.session() as session:
        busan = session.scalars(select(Office.id).where(Office.code == "BUSAN-01")).one()
        offices = set(session.scalars(select(Credential.office_id).where(Credential.person_id == person)))
        entries = list(session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "check.record")))
    assert offices == {busan}  # the office of the in-person check
    assert "900101-1234567" not in json.dumps(entries)
    # rotating the token ends the old one
    rotated = cli_token(service, "clerk2")
    assert service.client.get(f"/api/applicants/{person}/credentials", headers=bearer(token)).status_code == 401
    assert service.client.get(f"/api/applicants/{person}/credentials", headers=bearer(rotated)).status_code == 200


def test_missing_bad_and_inactive_tokens_are_refused(service: Service) -> None:
    token = add_staff(service, "gone", "supervisor", "SEOUL-01")
    with service.session() as session:
        session.scalars(select(Staff).where(Staff.username == "gone")).one().active = False
        session.commit()
    person = person_with_licence(service)
    path = f"/api/applicants/{person}/credentials"
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic Y2xlcmsxOnB3"}, bearer(token),
                    {"Authorization": "Bearer"}):
        answer = service.client.get(path, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json()["error"] == "invalid_token"
        assert answer.headers["www-authenticate"].startswith("Bearer")
    check = service.client.post("/api/checks", json={"applicant_id": person, "document_kind": "id_card",
                                                     "document_number": "1", "photo_match": True,
                                                     "configurations": ["mdl"]})
    assert check.status_code == 401
    with service.session() as session:
        assert session.scalars(select(Offer.id)).first() is None  # nothing was created
    assert len(denials(service)) == 6
    assert all(d.detail["reason"] == "invalid_token" for d in denials(service))


def test_check_request_errors(service: Service) -> None:
    token = add_staff(service, "counter", "clerk", "SEOUL-01")
    person = person_with_licence(service)
    good = {"applicant_id": person, "document_kind": "passport", "document_number": "M123",
            "photo_match": True, "configurations": ["mdl"]}
    cases = [({**good, "extra": 1}, 400), ({**good, "photo_match": False}, 400), ({**good, "photo_match": "yes"}, 400),
             ({**good, "configurations": ["nope"]}, 400), ({**good, "configurations": []}, 400),
             ({**good, "document_kind": "library_card"}, 400), ({**good, "applicant_id": 10**9}, 404)]
    for body, status in cases:
        answer = service.client.post("/api/checks", headers=bearer(token), json=body)
        assert answer.status_code == status, (body, answer.text)
        assert set(answer.json()) == {"error", "error_description"}
    raw = service.client.post("/api/checks", headers={**bearer(token), "Content-Type": "application/json"},
                              content=b"[not json")
    assert raw.status_code == 400 and raw.json()["error"] == "invalid_request"
    assert service.client.get("/api/applicants/abc/credentials", headers=bearer(token)).status_code == 404
    with service.session() as session:
        assert session.scalars(select(Offer.id)).first() is None  # no refused request left an offer or check
        rejects = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "api.reject")))
    assert len(rejects) == len(cases) + 2


def test_status_changes_by_role_and_office(service: Service, tmp_path: Path) -> None:
    credential = issued_credential(service, tmp_path)  # checked at SEOUL-01 (clerk1's office)
    clerk = add_staff(service, "c-seoul", "clerk", "SEOUL-01")
    other = add_staff(service, "s-busan", "supervisor", "BUSAN-01")
    same = add_staff(service, "s-seoul", "supervisor", "SEOUL-01")
    admin = add_staff(service, "admin", "admin", "HQ")
    path = f"/api/credentials/{credential.id}/status"
    for token in (clerk, other):
        refused = service.client.post(path, headers=bearer(token), json={"status": "revoked", "reason": "test"})
        assert refused.status_code == 403
        assert refused.json()["error"] == "forbidden" and refused.json()["error_description"]
        assert list_value(service, credential.id) == ("valid", 0)
    assert [(d.target, d.detail["reason"], d.detail["via"]) for d in denials(service)] == [
        (f"credential:{credential.id}", "role", "api"), (f"credential:{credential.id}", "office", "api")]
    assert service.client.post(path, headers=bearer(same), json={"status": "suspended", "extra": 1}).status_code == 400
    assert service.client.post(path, headers=bearer(same), json={"status": "lost"}).status_code == 400
    assert service.client.post("/api/credentials/999999/status", headers=bearer(same),
                               json={"status": "suspended"}).status_code == 404
    done = service.client.post(path, headers=bearer(same), json={"status": "suspended", "reason": "lost phone"})
    assert done.status_code == 200 and done.json() == {"id": credential.id, "status": "suspended"}
    assert list_value(service, credential.id) == ("suspended", 2)
    assert service.client.post(path, headers=bearer(admin), json={"status": "revoked"}).json()["status"] == "revoked"
    assert list_value(service, credential.id) == ("revoked", 1)
    final = service.client.post(path, headers=bearer(admin), json={"status": "valid"})
    assert final.status_code == 409 and list_value(service, credential.id) == ("revoked", 1)


def test_credentials_without_an_office_are_for_admins_only(service: Service, tmp_path: Path) -> None:
    credential = issued_credential(service, tmp_path)
    with service.session() as session:
        row = session.get(Credential, credential.id)
        assert row is not None and row.office_id is not None
        row.office_id = None  # as if issued before migration 0002
        session.commit()
    supervisor = add_staff(service, "s-seoul", "supervisor", "SEOUL-01")
    admin = add_staff(service, "admin", "admin", "HQ")
    path = f"/api/credentials/{credential.id}/status"
    assert service.client.post(path, headers=bearer(supervisor), json={"status": "suspended"}).status_code == 403
    assert list_value(service, credential.id) == ("valid", 0)
    assert service.client.post(path, headers=bearer(admin), json={"status": "suspended"}).status_code == 200
    assert list_value(service, credential.id) == ("suspended", 2)
