"""The counter grant: eligibility from the registers (refused at check time, with the reason), the remote
grant bounded like a counter one, each offer's state as the console shows it, and migration 0004."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from issuer.db import alembic_config
from issuer.db.models import AuditEntry, Business, InPersonCheck, Licence, Offer, Person
from issuer.grants import FAILED, PARTLY, REDEEMED, WAITING, progress
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.oid4vci import CredentialOffer
from wallet.remote import receive_remotely, request_remote_offer
from wallet.wallet import Wallet

from .conftest import ISSUER_URL, Service, enroll, iaca_pem, person_with_licence
from .test_api import add_staff, bearer


def _without(service: Service) -> tuple[int, int]:
    """(a person with no licence, a person who represents no business)."""
    with service.session() as session:
        no_licence = session.scalars(select(Person.id).where(~Person.id.in_(select(Licence.person_id)))
                                     .order_by(Person.id)).first()
        no_business = session.scalars(select(Person.id).where(
            ~Person.id.in_(select(Business.representative_id))).order_by(Person.id)).first()
    assert no_licence is not None and no_business is not None
    return no_licence, no_business


def _check(service: Service, token: str, person: int, configurations: list[str],
           copies: dict[str, int] | None = None) -> dict[str, object]:
    answer = service.client.post("/api/checks", headers=bearer(token), json={
        "applicant_id": person, "document_kind": "id_card", "document_number": "A1", "photo_match": True,
        "configurations": configurations, **({"copies": copies} if copies else {})})
    body: dict[str, object] = answer.json()
    body["status"] = answer.status_code
    return body


def test_only_what_the_registers_support_is_offered(service: Service) -> None:
    token = add_staff(service, "counter", "clerk", "SEOUL-01")
    no_licence, no_business = _without(service)
    with service.session() as session:
        checks_before = session.scalars(select(InPersonCheck.id)).all()
    refused = _check(service, token, no_licence, ["mdl", "age_attestation"])
    assert refused["status"] == 400 and refused["error"] == "invalid_request"
    assert refused["error_description"] == "mdl: no licence in the licence register"
    refused = _check(service, token, no_business, ["business_registration"])
    assert refused["error_description"] == "business_registration: represents no business in the business register"
    for copies in ({"age_attestation": 0}, {"age_attestation": 11}, {"mdl": 2}):
        assert _check(service, token, no_licence, ["age_attestation"], copies)["status"] == 400
    with service.session() as session:  # nothing recorded for a refused check
        assert session.scalars(select(InPersonCheck.id)).all() == checks_before
        assert session.scalars(select(Offer.id)).all() == []
    granted = _check(service, token, no_licence, ["age_attestation", "resident_card"], {"age_attestation": 3})
    assert granted["status"] == 201 and granted["grant"] == {"age_attestation": 3, "resident_card": 1}

    listed = service.client.get(f"/api/applicants/{no_licence}/eligibility", headers=bearer(token)).json()
    mdl = next(e for e in listed if e["configuration"] == "mdl")
    assert mdl == {"configuration": "mdl", "eligible": False, "reason": "no licence in the licence register",
                   "code": "no_licence", "default_copies": 1, "max_copies": 10}
    assert next(e for e in listed if e["configuration"] == "age_attestation")["default_copies"] == 5


def test_the_remote_grant_is_bounded_the_same_way(service: Service, tmp_path: Path) -> None:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=iaca_pem(service))
    person = person_with_licence(service)
    uri, tx_code = enroll(service, person, ["mdl"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    records = receive_remotely(wallet, PIN, ISSUER_URL, ["age_attestation"], http=service.client,
                               now=service.clock.now, batch={"age_attestation": 3})
    assert len(records) == 3
    with service.session() as session:
        remote = session.scalars(select(Offer).where(Offer.remote.is_(True))).one()
        assert progress(session, remote, service.clock.now).items == (("age_attestation", 3, 3),)
    offer = request_remote_offer(wallet, PIN, ISSUER_URL, ["age_attestation"], http=service.client,
                                 copies={"age_attestation": 2})
    code = CredentialOffer.parse(offer.offer_uri).pre_authorized_code
    access = service.client.post("/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                                                 "pre-authorized_code": code, "tx_code": offer.tx_code}).json()
    assert access["mobileid_grant"] == [{"credential_configuration_id": "age_attestation", "copies": 2}]
    from specs.crypto import SoftwareSigner

    from .test_oid4vci import _credential, _proof

    nonce = service.client.post("/nonce").json()["c_nonce"]
    three = [_proof(service, SoftwareSigner.generate(), nonce) for _ in range(3)]
    denied = _credential(service, access["access_token"], three, config="age_attestation")
    assert denied.status_code == 400 and denied.json()["error"] == "credential_request_denied"


def test_offer_states(service: Service, tmp_path: Path) -> None:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=iaca_pem(service))
    person = person_with_licence(service)
    uri, tx_code = enroll(service, person, ["mdl", "age_attestation"], copies={"age_attestation": 2})

    def state() -> str:
        with service.session() as session:
            offer = session.scalars(select(Offer).order_by(Offer.id.desc())).first()
            assert offer is not None
            return progress(session, offer, service.clock.now).state

    assert state() == WAITING
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now, batch={"age_attestation": 1})
    assert state() == PARTLY  # the holder asked for fewer copies than granted
    service.clock.advance(minutes=11)
    assert state() == "expired"
    uri, tx_code = enroll(service, person, ["age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    assert state() == REDEEMED
    uri, tx_code = enroll(service, person, ["age_attestation"])
    code = CredentialOffer.parse(uri).pre_authorized_code
    for _ in range(service.settings.tx_code_attempts):
        service.client.post("/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                                            "pre-authorized_code": code, "tx_code": "x"})
    assert state() == FAILED
    enroll(service, person, ["age_attestation"])
    service.clock.advance(minutes=11)
    assert state() == "expired"


def test_migration_0004_keeps_existing_offers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url), "0002")
    engine = create_engine(url)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO offices (id, code, name) VALUES (1, 'SEOUL-01', 'Seoul')"))
        conn.execute(text("INSERT INTO staff (id, username, role, office_id, password_hash, active, failed_logins)"
                          " VALUES (1, 'c', 'clerk', 1, 'h', 1, 0)"))
        conn.execute(text(
            "INSERT INTO persons (id, resident_number, family_name, given_name, family_name_latin, given_name_latin,"
            " birth_date, sex, address, nationality, portrait) VALUES (1, '000101-3000000', '김', '하나', 'KIM',"
            " 'HANA', '2000-01-01', 2, 'Seoul', 'KR', x'00')"))
        conn.execute(text("INSERT INTO in_person_checks (id, person_id, staff_id, office_id, document_kind,"
                          " document_number, photo_match, notes, checked_at) VALUES (1, 1, 1, 1, 'id_card', 'x', 1,"
                          " '', :now)"), {"now": now})
        conn.execute(text("INSERT INTO offers (id, check_id, person_id, code_hash, tx_code_hash, configurations,"
                          " expires_at, failed_attempts, state) VALUES (1, 1, 1, 'h', 't', '[\"mdl\"]', :now, 0,"
                          " 'redeemed')"), {"now": now})
    command.upgrade(alembic_config(url), "0004")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT state, remote, created_at, reference_hash FROM offers")).one()
        assert tuple(row) == ("redeemed", 0, None, None)
        assert conn.execute(text("SELECT count(*) FROM grant_items")).scalar_one() == 0  # no grant: nothing more
    schema = inspect(engine)
    assert {"grant_items", "issuance_batches"} <= set(schema.get_table_names())
    assert "hsm_label" in {c["name"] for c in schema.get_columns("signing_keys")}
    command.downgrade(alembic_config(url), "0002")
    assert "grant_items" not in inspect(engine).get_table_names()
    assert "remote" not in {c["name"] for c in inspect(engine).get_columns("offers")}
    engine.dispose()


def test_no_claims_and_no_codes_in_the_grant_audit(service: Service) -> None:
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    with service.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "offer.create")).all()
    assert entry.detail["copies"] == {"mdl": 1, "age_attestation": 5}
    assert tx_code not in str(entry.detail) and CredentialOffer.parse(uri).pre_authorized_code not in str(entry.detail)
