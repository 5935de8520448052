"""The clerk console over HTTP: login, CSRF, the in-person check, the offer, roles, audit."""

from __future__ import annotations

import re

from .conftest import Service, person_with_licence


def test_login_wrong_password_and_lockout(service: Service) -> None:
    for _ in range(5):
        page = service.client.post("/console/login", data={"username": "clerk1", "password": "nope"})
        assert page.status_code == 401
    locked = service.client.post("/console/login", data={"username": "clerk1", "password": service.clerk_password})
    assert locked.status_code == 401 and ("너무 많습니다" in locked.text or "Too many" in locked.text)
    service.clock.advance(minutes=16)
    service.login()


def test_pages_need_a_session(service: Service) -> None:
    response = service.client.get("/console", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/login"


def test_check_creates_offer_with_tx_code_and_audit(service: Service) -> None:
    csrf = service.login()
    person = person_with_licence(service)
    page = service.client.get(f"/console/applicants/{person}")
    assert page.status_code == 200 and "document_number" in page.text
    without_csrf = service.client.post(f"/console/applicants/{person}/check",
                                       data={"csrf": "forged", "document_kind": "id_card",
                                             "document_number": "123", "photo_match": "yes"})
    assert without_csrf.status_code == 403
    offer = service.client.post(f"/console/applicants/{person}/check",
                                data={"csrf": csrf, "document_kind": "id_card", "document_number": "900101-1",
                                      "photo_match": "yes", "configuration": ["mdl", "age_attestation"]})
    assert offer.status_code == 200
    assert re.search(r'id="tx-code">\d{6}<', offer.text) and "<svg" in offer.text
    audit = service.client.get("/console/audit", params={"lang": "en"})
    assert "offer.create" in audit.text and "Hash chain verified" in audit.text
    assert "900101-1" not in audit.text  # no personal data in the audit log


def test_no_offer_without_photo_match(service: Service) -> None:
    csrf = service.login()
    person = person_with_licence(service)
    page = service.client.post(f"/console/applicants/{person}/check",
                               data={"csrf": csrf, "document_kind": "passport", "document_number": "M1234"})
    assert page.status_code == 400


def test_clerk_cannot_view_audit_or_change_status(service: Service) -> None:
    service.login("clerk2", "pw-2")
    assert service.client.get("/console/audit").status_code == 403


def test_search_finds_people_by_name_and_language_switch(service: Service) -> None:
    service.login()
    page = service.client.get("/console", params={"q": "김"})
    assert page.status_code == 200 and "/console/applicants/" in page.text
    english = service.client.get("/console", params={"q": "김", "lang": "en"})
    assert "Find applicant" in english.text and 'lang="en"' in english.text
