"""A console a clerk can trust, over HTTP: post/redirect/get, the offer page, refusals that keep what was
typed, confirmed status changes with a reason (one or all of a person's credentials), search by Latin name
and partial resident number, staff administration (console and CLI), every Korean page in Korean."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from issuer.cli import issuer_app
from issuer.db.models import AuditEntry, Credential, InPersonCheck, Licence, Offer, Person, Staff
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.wallet import Wallet

from .conftest import Service, iaca_pem, person_with_licence
from .test_api import add_staff

ENGLISH_UI = ("Credentials", "status", "suspend", "reinstate", "revoke", "reason", "hash chain", "Offer",
              "Copies", "Waiting", "Applicant", "Staff", "Sign out", "Find applicant")


def _check(service: Service, csrf: str, person: int, **fields: object) -> object:
    data = {"csrf": csrf, "document_kind": "id_card", "document_number": "D-77", "photo_match": "yes",
            "configuration": ["mdl", "age_attestation"], "copies_age_attestation": "2"} | fields
    return service.client.post(f"/console/applicants/{person}/check", data=data, follow_redirects=False)


def _count(service: Service, model: type) -> int:
    with service.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _korean(text: str) -> None:
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.S))
    for word in ENGLISH_UI:
        assert not re.search(rf"\b{word}\b", visible), word


def test_post_redirect_get_and_the_offer_page(service: Service, tmp_path: Path) -> None:
    csrf = service.login()
    person = person_with_licence(service)
    posted = _check(service, csrf, person)
    assert posted.status_code == 303  # type: ignore[attr-defined]
    location = posted.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/console/offers/\d+", location)
    first = service.client.get(location)
    again = service.client.get(location)  # a reload shows the same offer, makes nothing new
    code = re.search(r'id="tx-code">(\d{6})<', first.text)
    assert code and f'id="tx-code">{code.group(1)}<' in again.text and "<svg" in again.text
    assert _count(service, Offer) == 1 and _count(service, InPersonCheck) == 1
    with service.session() as session:
        who = session.get(Person, person)
        offer = session.scalars(select(Offer)).one()
    assert who is not None and f"{who.family_name}{who.given_name}" in first.text
    assert "모바일 운전면허증 × 1" in first.text and "연령 확인 증명 × 2" in first.text
    assert "수령 대기 중" in first.text and "한국 시각" in first.text and "<script>" not in first.text
    assert (offer.created_at or offer.expires_at).astimezone().strftime("%Y") in first.text
    _korean(first.text)
    # another screen (no flash cookie) sees the offer but not its code
    service.client.cookies.delete("mobileid_flash", path=location)
    other = service.client.get(location)
    assert "tx-code" not in other.text and "만든 화면에서만" in other.text

    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=iaca_pem(service))
    link = re.search(r'id="offer-uri" href="([^"]+)"', first.text)
    assert link is not None
    wallet.receive(link.group(1).replace("&amp;", "&"), code.group(1), PIN, http=service.client,
                   now=service.clock.now)
    done = service.client.get(location)
    assert "모두 수령함" in done.text and 'id="redeemed"' in done.text and "tx-code" not in done.text


def test_refusals_keep_what_was_typed(service: Service) -> None:
    csrf = service.login()
    with service.session() as session:
        no_licence = session.scalars(select(Person.id).where(~Person.id.in_(select(Licence.person_id)))).first()
    assert no_licence is not None
    page = service.client.get(f"/console/applicants/{no_licence}")
    assert 'value="mdl"' not in page.text and "운전면허 대장에 면허가 없습니다" in page.text  # not offered at all
    refused = _check(service, csrf, no_licence, notes="kept note", document_number="KEEP-1")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    text = refused.text  # type: ignore[attr-defined]
    assert "발급할 수 없는 증명이 있습니다" in text and "운전면허 대장에 면허가 없습니다" in text
    assert 'value="KEEP-1"' in text and "kept note</textarea>" in text
    nothing = _check(service, csrf, no_licence, configuration=[], document_number="KEEP-2")
    assert nothing.status_code == 400 and "하나 이상 고르세요" in nothing.text  # type: ignore[attr-defined]
    assert 'value="KEEP-2"' in nothing.text  # type: ignore[attr-defined]
    no_photo = _check(service, csrf, no_licence, photo_match="", configuration=["age_attestation"])
    assert no_photo.status_code == 400 and "사진과 본인이 일치해야" in no_photo.text  # type: ignore[attr-defined]
    assert _count(service, Offer) == 0 and _count(service, InPersonCheck) == 0


def _credentials(service: Service, tmp_path: Path) -> int:
    csrf = service.login()
    person = person_with_licence(service)
    location = _check(service, csrf, person).headers["location"]  # type: ignore[attr-defined]
    page = service.client.get(location).text
    code = re.search(r'id="tx-code">(\d{6})<', page)
    link = re.search(r'id="offer-uri" href="([^"]+)"', page)
    assert code and link
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=iaca_pem(service))
    wallet.receive(link.group(1), code.group(1), PIN, http=service.client, now=service.clock.now)
    return person


def test_status_changes_confirm_with_a_reason_for_one_or_all(service: Service, tmp_path: Path) -> None:
    person = _credentials(service, tmp_path)
    csrf = service.login()
    with service.session() as session:
        ids = session.scalars(select(Credential.id).where(Credential.person_id == person)).all()
    assert len(ids) == 3
    confirm = service.client.get(f"/console/credentials/{ids[0]}/status", params={"to": "revoked"})
    assert confirm.status_code == 200 and "폐지는 되돌릴 수 없습니다" in confirm.text
    _korean(confirm.text)
    blank = service.client.post(f"/console/credentials/{ids[0]}/status",
                                data={"csrf": csrf, "to": "revoked", "reason": "  "}, follow_redirects=False)
    assert blank.status_code == 400 and "사유를 입력하세요" in blank.text
    with service.session() as session:
        assert set(session.scalars(select(Credential.status).where(Credential.person_id == person))) == {"valid"}
    everyone = service.client.get(f"/console/applicants/{person}/status", params={"to": "suspended"})
    assert all(f'id="cr-{i}"' in everyone.text for i in ids)
    done = service.client.post(f"/console/applicants/{person}/status", follow_redirects=False,
                               data={"csrf": csrf, "to": "suspended", "reason": "분실 신고",
                                     "credential": [str(i) for i in ids]})
    assert done.status_code == 303 and done.headers["location"] == f"/console/applicants/{person}?changed=suspended"
    with service.session() as session:
        assert set(session.scalars(select(Credential.status).where(Credential.person_id == person))) == {"suspended"}
        reasons = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "credential.suspended")).all()
    assert reasons == [{"reason": "분실 신고"}] * 3
    assert "정지됨" in service.client.get(done.headers["location"]).text


def test_search_by_latin_name_and_partial_resident_number(service: Service) -> None:
    csrf = service.login()
    with service.session() as session:
        person = session.scalars(select(Person).order_by(Person.id)).first()
    assert person is not None
    link = f"/console/applicants/{person.id}"
    for term in (f"{person.given_name_latin} {person.family_name_latin}".lower(),
                 f"{person.family_name_latin} {person.given_name_latin}", person.family_name_latin.title(),
                 person.resident_number[:6], person.resident_number[:8], f"{person.family_name}{person.given_name}"):
        assert link in service.client.post("/console/search", data={"q": term, "csrf": csrf}).text, term
    for term in ("%", "_", person.resident_number[:5]):  # wildcards are literal; 5 digits are not a search
        answer = service.client.post("/console/search", data={"q": term, "csrf": csrf}).text
        assert "/console/applicants/" not in answer, term


def test_staff_administration_in_the_console(service: Service) -> None:
    add_staff(service, "boss", "admin", "SEOUL-01")
    csrf = service.login()  # clerk1 is a supervisor: not an admin
    assert service.client.get("/console/staff").status_code == 403
    csrf = service.login("boss", "pw-x")
    page = service.client.get("/console/staff")
    assert page.status_code == 200 and "clerk2" in page.text
    _korean(page.text)
    made = service.client.post("/console/staff", data={"csrf": csrf, "username": "newbie", "role": "clerk",
                                                       "office": "BUSAN-01"}, follow_redirects=False)
    assert made.status_code == 303
    shown = service.client.get("/console/staff")
    password = re.search(r'id="new-password">([^<]+)<', shown.text)
    assert password is not None
    assert "new-password" not in service.client.get("/console/staff").text  # shown once
    taken = service.client.post("/console/staff", data={"csrf": csrf, "username": "newbie", "role": "clerk",
                                                        "office": "BUSAN-01"})
    assert taken.status_code == 400 and "이미 있는 아이디" in taken.text and 'value="newbie"' in taken.text
    with service.session() as session:
        newbie = session.scalars(select(Staff).where(Staff.username == "newbie")).one()
    service.login("newbie", password.group(1))
    csrf = service.login("boss", "pw-x")
    service.client.post(f"/console/staff/{newbie.id}/deactivate", data={"csrf": csrf})
    refused = service.client.post("/console/login", data={"username": "newbie", "password": password.group(1)})
    assert refused.status_code == 401
    service.client.post(f"/console/staff/{newbie.id}/reactivate", data={"csrf": csrf})
    service.client.post(f"/console/staff/{newbie.id}/reset", data={"csrf": csrf}, follow_redirects=False)
    fresh = re.search(r'id="new-password">([^<]+)<', service.client.get("/console/staff").text)
    assert fresh is not None and fresh.group(1) != password.group(1)
    assert service.client.post("/console/offices", data={"csrf": csrf, "code": "DAEGU-01", "name": "대구 면허시험장"},
                               follow_redirects=False).status_code == 303
    with service.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("staff.%") |
                                                                   AuditEntry.action.like("office.%"))).all()
        denied = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "access.denied")).all()
    assert actions == ["staff.create", "staff.deactivate", "staff.activate", "staff.reset_password", "office.create"]
    assert denied[0]["operation"] == "staff.list" and denied[0]["reason"] == "role"
    assert password.group(1) not in json.dumps([str(a) for a in actions])


def test_staff_administration_from_the_cli(service: Service, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    if service.settings.database_url:
        monkeypatch.setenv("MOBILEID_DATABASE_URL", service.settings.database_url)
    data = ["--data-dir", str(service.settings.data_dir)]

    def run(*args: str) -> str:
        result = CliRunner().invoke(issuer_app, [*args, *data])
        assert result.exit_code == 0, result.output
        return result.output

    made = json.loads(run("staff", "create", "desk7", "--role", "clerk", "--office", "BUSAN-01"))
    listed = [json.loads(line) for line in run("staff", "list").splitlines()]
    assert {"username": "desk7", "role": "clerk", "office": "BUSAN-01", "active": True, "locked": False,
            "api_token": False} in listed
    run("staff", "deactivate", "desk7")
    assert not next(r for r in map(json.loads, run("staff", "list").splitlines()) if r["username"] == "desk7")["active"]
    run("staff", "reactivate", "desk7")
    reset = json.loads(run("staff", "reset-password", "desk7"))
    assert reset["password"] != made["password"]
    run("staff", "unlock", "desk7")
    assert json.loads(run("staff", "role", "desk7", "supervisor")) == {"username": "desk7", "role": "supervisor"}
    assert CliRunner().invoke(issuer_app, ["staff", "role", "desk7", "boss", *data]).exit_code == 2
    run("office", "create", "JEJU-01", "제주 운전면허시험장")
    assert {"code": "JEJU-01", "name": "제주 운전면허시험장"} in map(json.loads, run("office", "list").splitlines())
    bad = CliRunner().invoke(issuer_app, ["staff", "create", "Bad Name", *data])
    assert bad.exit_code == 2
    with service.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "cli")).all()
    assert actions == ["staff.create", "staff.deactivate", "staff.activate", "staff.reset_password", "staff.unlock",
                       "staff.role", "office.create"]
