"""The clerk console over HTTP: login, CSRF, the in-person check, the offer, roles, audit."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select, update

from issuer.db.models import AuditEntry, Person, Staff
from issuer.web.console import PAGE_SIZE

from .conftest import Service, person_with_licence
from .test_api import issued_credential, list_value


def test_login_wrong_password_and_lockout(service: Service) -> None:
    for _ in range(5):
        page = service.client.post("/console/login", data={"username": "clerk1", "password": "nope"})
        assert page.status_code == 401
    locked = service.client.post("/console/login", data={"username": "clerk1", "password": service.clerk_password})
    assert locked.status_code == 401 and "15분 후 다시 시도하세요" in locked.text
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
    csrf = service.login()
    page = service.client.post("/console/search", data={"q": "김", "csrf": csrf})
    assert page.status_code == 200 and "/console/applicants/" in page.text
    english = service.client.post("/console/search?lang=en", data={"q": "김", "csrf": csrf})
    assert "Find applicant" in english.text and 'lang="en"' in english.text


def _links(page: str) -> list[str]:
    return re.findall(r'href="/console/applicants/(\d+)"', page)


def test_search_is_posted_so_no_term_is_in_a_url(service: Service) -> None:
    csrf = service.login()
    form = service.client.get("/console", params={"q": "김"})  # a term in the URL is not searched
    assert form.status_code == 200 and not _links(form.text) and 'method="post" action="/console/search"' in form.text
    assert _links(service.client.post("/console/search", data={"q": "김", "csrf": csrf}).text)


def test_search_pages_its_results_and_says_how_many(service: Service) -> None:
    csrf = service.login()
    with service.session() as session:
        people = session.execute(select(Person.id, Person.family_name, Person.given_name)).all()
    expected = sorted(str(p.id) for p in people
                      if (p.family_name + p.given_name).startswith("김") or p.given_name == "김")
    assert len(expected) > PAGE_SIZE  # the synthetic register has this many Kims: more than one page
    seen: list[str] = []
    number = 0
    while True:
        page = service.client.post("/console/search", data={"q": "김", "csrf": csrf, "page": str(number)})
        first, last = number * PAGE_SIZE + 1, min((number + 1) * PAGE_SIZE, len(expected))
        assert f"{len(expected)}명을 찾았습니다 ({first}-{last}번째)" in page.text
        seen += _links(page.text)
        if 'id="next_page"' not in page.text:
            break
        number += 1
    assert sorted(seen) == expected and len(seen) == len(set(seen))
    english = service.client.post("/console/search?lang=en", data={"q": "김", "csrf": csrf})
    assert f"{len(expected)} found (showing 1-{PAGE_SIZE})" in english.text


def test_search_wildcards_are_literal(service: Service) -> None:
    csrf = service.login()
    for term in ("%", "_", "%%", "김%", "_%", "\\"):
        page = service.client.post("/console/search", data={"q": term, "csrf": csrf})
        assert page.status_code == 200 and not _links(page.text), term


def test_status_change_refused_when_the_acting_staff_is_no_longer_active(service: Service, tmp_path: Path) -> None:
    credential = issued_credential(service, tmp_path)
    csrf = service.login()  # clerk1 supervises the office that issued it
    with service.session() as session:  # deactivated behind the console's back (sessions left in place)
        session.execute(update(Staff).where(Staff.username == "clerk1").values(active=False))
        session.commit()
    refused = service.client.post(f"/console/credentials/{credential.id}/status",
                                  data={"csrf": csrf, "status": "revoked", "reason": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    assert list_value(service, credential.id) == ("valid", 0)
    with service.session() as session:
        denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")).one()
    assert denied.detail["reason"] == "inactive"
