"""Office scoping on the console, and migration 0002 (credentials.office_id) over existing rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from issuer.db import alembic_config
from issuer.db.models import AuditEntry, Credential

from .conftest import Service
from .test_api import add_staff, issued_credential, list_value


def _post_status(service: Service, csrf: str, credential_id: int, status: str) -> int:
    answer = service.client.post(f"/console/credentials/{credential_id}/status",
                                 data={"csrf": csrf, "status": status, "reason": "test"}, follow_redirects=False)
    return answer.status_code


def test_console_status_change_is_scoped_to_the_office(service: Service, tmp_path: Path) -> None:
    credential = issued_credential(service, tmp_path, username="clerk2")  # checked at BUSAN-01
    add_staff(service, "s-busan", "supervisor", "BUSAN-01")
    add_staff(service, "admin", "admin", "HQ")
    # clerk1 supervises SEOUL-01: not this credential's office
    csrf = service.login()
    page = service.client.post(f"/console/credentials/{credential.id}/status",
                               data={"csrf": csrf, "status": "revoked", "reason": "x"})
    assert page.status_code == 403 and "자기 근무처" in page.text
    assert list_value(service, credential.id) == ("valid", 0)
    # a clerk of the right office has the wrong role
    csrf = service.login("clerk2", "pw-2")
    assert _post_status(service, csrf, credential.id, "suspended") == 403
    assert list_value(service, credential.id) == ("valid", 0)
    with service.session() as session:
        denied = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")
                                      .order_by(AuditEntry.id)))
    assert [(d.detail["reason"], d.detail["via"], d.target) for d in denied] == [
        ("office", "console", f"credential:{credential.id}"), ("role", "console", f"credential:{credential.id}")]
    # the office's supervisor may; an admin may anywhere
    csrf = service.login("s-busan", "pw-x")
    assert _post_status(service, csrf, credential.id, "suspended") == 303
    assert list_value(service, credential.id) == ("suspended", 2)
    csrf = service.login("admin", "pw-x")
    assert _post_status(service, csrf, credential.id, "valid") == 303
    assert list_value(service, credential.id) == ("valid", 0)


def test_console_credentials_without_office_are_for_admins(service: Service, tmp_path: Path) -> None:
    credential = issued_credential(service, tmp_path)
    with service.session() as session:
        row = session.get(Credential, credential.id)
        assert row is not None
        row.office_id = None
        session.commit()
    add_staff(service, "admin", "admin", "HQ")
    csrf = service.login()  # clerk1: supervisor of SEOUL-01, where it was checked, but no office is recorded
    assert _post_status(service, csrf, credential.id, "revoked") == 403
    assert list_value(service, credential.id) == ("valid", 0)
    csrf = service.login("admin", "pw-x")
    assert _post_status(service, csrf, credential.id, "revoked") == 303
    assert list_value(service, credential.id) == ("revoked", 1)


def test_migration_0002_keeps_existing_credentials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO offices (id, code, name) VALUES (1, 'SEOUL-01', 'Seoul')"))
        conn.execute(text(
            "INSERT INTO persons (id, resident_number, family_name, given_name, family_name_latin, given_name_latin,"
            " birth_date, sex, address, nationality, portrait) VALUES (1, '000101-3000000', '김', '하나', 'KIM',"
            " 'HANA', '2000-01-01', 2, 'Seoul', 'KR', x'00')"))
        conn.execute(text("INSERT INTO status_lists (id, uri, bits, size, data) VALUES (1, 'u', 2, 8, x'0000')"))
        for n in (1, 2):
            conn.execute(text(
                "INSERT INTO credentials (id, person_id, type_id, format, status_list_id, status_index, status,"
                " holder_key_thumbprint, issued_at, expires_at) VALUES (:id, 1, 'mdl', 'mso_mdoc', 1, :id,"
                " 'valid', 'k', :now, :now)"), {"id": n, "now": now})
        conn.execute(text("INSERT INTO access_tokens (id, token_hash, person_id, configurations, expires_at)"
                          " VALUES (1, 'h', 1, '[\"mdl\"]', :now)"), {"now": now})
    command.upgrade(alembic_config(url), "0002")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status_index, office_id FROM credentials ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, 1, None), (2, 2, None)]
        assert conn.execute(text("SELECT offer_id FROM access_tokens")).scalar_one() is None
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"
    schema = inspect(engine)
    assert "ix_credentials_office_id" in {i["name"] for i in schema.get_indexes("credentials")}
    assert {"referred_table": "offices", "constrained_columns": ["office_id"]}.items() <= next(
        fk for fk in schema.get_foreign_keys("credentials") if fk["referred_table"] == "offices").items()
    assert {u["column_names"][0] for u in schema.get_unique_constraints("credentials")} == {"status_list_id"}
    command.downgrade(alembic_config(url), "0001")  # and back
    assert "office_id" not in {c["name"] for c in inspect(engine).get_columns("credentials")}
    engine.dispose()


def test_remote_issuance_records_the_office_of_the_referenced_check(service: Service, tmp_path: Path) -> None:
    from issuer.db.models import Office
    from tests.issuer.conftest import ISSUER_URL, enroll, iaca_pem, person_with_licence
    from tests.wallet.conftest import FAST_KDF, PIN
    from wallet.remote import receive_remotely
    from wallet.wallet import Wallet

    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=iaca_pem(service))
    person = person_with_licence(service)
    uri, tx_code = enroll(service, person, ["mdl"], username="clerk2")  # first visit at BUSAN-01
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    receive_remotely(wallet, PIN, ISSUER_URL, ["resident_registration_abstract"], http=service.client,
                     now=service.clock.now)
    with service.session() as session:
        busan = session.scalars(select(Office.id).where(Office.code == "BUSAN-01")).one()
        offices = {t: o for t, o in session.execute(select(Credential.type_id, Credential.office_id)
                                                     .where(Credential.person_id == person))}
    assert offices == {"mdl": busan, "resident_registration_abstract": busan}
