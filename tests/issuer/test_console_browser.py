"""The clerk console in a real headless Chromium, driven with the keyboard, against uvicorn on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from issuer.settings import Settings
from issuer.web.app import bootstrap, create_app
from tests.browser import chromium_page, shot

from .conftest import free_port, serve

sync_api = pytest.importorskip("playwright.sync_api")



@dataclass
class Live:
    url: str
    clerk_password: str
    settings: Settings


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=tmp_path / "data", public_url=url, seed_people=300, status_list_size=4096)
    result = bootstrap(settings)
    assert result.demo_password
    with serve(create_app(settings), port):
        yield Live(url, result.demo_password, settings)


@pytest.fixture
def page(live: Live) -> Iterator[sync_api.Page]:
    with chromium_page(live.url) as opened:
        yield opened


def _shot(page: sync_api.Page, name: str) -> None:
    shot(page, "console", name)


def _focused(page: sync_api.Page) -> str:
    return str(page.evaluate("document.activeElement && (document.activeElement.id"
                             " || document.activeElement.name || document.activeElement.tagName)"))


def _focused_value(page: sync_api.Page) -> str:
    return str(page.evaluate("document.activeElement.value"))


def _applicant(live: Live) -> tuple[int, str]:
    """(id, resident number) of a person with a licence and a business: every credential type applies."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from issuer.db.models import Business, Licence, Person

    engine = create_engine(live.settings.sqlalchemy_url)
    with Session(engine) as session:
        row = session.execute(select(Person.id, Person.resident_number).join(
            Licence, Licence.person_id == Person.id).join(Business, Business.representative_id == Person.id)
            .order_by(Person.id)).first()
    engine.dispose()
    assert row is not None
    return int(row[0]), str(row[1])


def _csp_violations(page: sync_api.Page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text
            else None)
    return seen


def test_keyboard_flow_from_login_to_offer_and_audit(page: sync_api.Page, live: Live) -> None:
    expect = sync_api.expect
    violations = _csp_violations(page)
    person, resident = _applicant(live)
    page.goto("/console/login")
    _shot(page, "01-login")
    assert _focused(page) == "username"  # autofocus: typing starts right away
    page.keyboard.type("clerk1")
    page.keyboard.press("Tab")
    assert _focused(page) == "password"
    page.keyboard.type(live.clerk_password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console$"))
    expect(page.locator("h1")).to_have_text("신청인 찾기")

    _shot(page, "02-search")
    assert _focused(page) == "q"
    page.keyboard.type(resident[:8])  # the start of the resident registration number
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/search$"))  # posted: the term is in no URL
    first = page.locator(f'a[href="/console/applicants/{person}"]')
    expect(first).to_be_visible()
    _shot(page, "03-results")
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/applicants/\d+$"))
    expect(page.locator("#document_number")).to_be_visible()
    _shot(page, "04-applicant")

    page.locator("#document_kind").focus()
    page.keyboard.press("ArrowDown")  # id_card -> passport, without a mouse
    assert _focused_value(page) == "passport"
    page.keyboard.press("Tab")
    assert _focused(page) == "document_number"
    page.keyboard.type("M12345678")
    page.keyboard.press("Tab")
    assert _focused(page) == "photo_match"
    page.keyboard.press("Space")
    expect(page.locator('input[name="photo_match"]')).to_be_checked()
    page.keyboard.press("Tab")
    assert _focused(page) == "notes"
    page.keyboard.type("keyboard only")
    page.keyboard.press("Tab")
    assert _focused(page) == "c-mdl"
    expect(page.locator("#c-mdl")).not_to_be_checked()  # nothing is ticked for the clerk
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert _focused(page) == "n-mdl" and _focused_value(page) == "1"
    page.keyboard.press("Tab")
    assert _focused(page) == "c-age_attestation"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert _focused_value(page) == "5"
    page.keyboard.press("Control+a")
    page.keyboard.type("3")  # three single-use age attestations
    assert page.locator('input[name="configuration"]:checked').count() == 2
    _shot(page, "05-check-filled")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(re.compile(r"/console/offers/\d+$"))  # post/redirect/get

    code = page.locator("#tx-code")
    expect(code).to_have_text(re.compile(r"^\d{6}$"))
    assert page.locator("main svg").count() == 1
    expect(page.locator("#granted")).to_contain_text("연령 확인 증명 × 3")
    expect(page.locator("#state")).to_have_text("수령 대기 중")
    countdown = page.locator("#countdown")
    expect(countdown).to_have_text(re.compile(r"^\d+:\d{2}$"))
    first_value = countdown.inner_text()
    expect(countdown).not_to_have_text(first_value, timeout=5000)  # it ticks (an external script, CSP-clean)
    tx_code = code.inner_text()
    page.reload()  # a reload is the same offer
    expect(page.locator("#tx-code")).to_have_text(tx_code)
    _shot(page, "06-offer")

    page.goto("/console/audit")  # clerk1 is the demo supervisor, allowed to read the audit log
    expect(page.locator("h1")).to_have_text("감사 기록")
    expect(page.locator("table")).to_contain_text("offer.create")
    expect(page.locator("main")).to_contain_text("해시 체인 검증됨")
    assert "M12345678" not in page.content()
    _shot(page, "07-audit")

    switch = page.locator('header a[href="?lang=en"]')
    switch.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"lang=en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Audit log")
    expect(page.locator("header")).to_contain_text("Find applicant")
    _shot(page, "08-audit-en")
    page.goto("/console")  # the language stays with the session
    expect(page.locator("h1")).to_have_text("Find applicant")
    _shot(page, "09-search-en")
    assert violations == []


ENGLISH_UI = re.compile(r"\b(Credentials|status|suspend|reinstate|revoke|reason|hash chain|Offer|Copies|Waiting|"
                        r"Applicant|Staff|Sign out|Find applicant|Issued|Type|Actions|Deactivate)\b")


def test_every_page_in_korean_and_english(page: sync_api.Page, live: Live, tmp_path: Path) -> None:
    """Screenshots of every console page in ko and en; the Korean pages hold no English UI words."""
    import httpx
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from issuer.staff import create_staff
    from tests.wallet.conftest import FAST_KDF, PIN
    from wallet.wallet import Wallet

    expect = sync_api.expect
    violations = _csp_violations(page)
    person, _ = _applicant(live)
    engine = create_engine(live.settings.sqlalchemy_url)
    with Session(engine) as session:
        password = create_staff(session, actor="test", username="boss", role="admin", office_code="SEOUL-01")
        session.commit()
    engine.dispose()
    page.goto("/console/login")
    page.fill("#username", "boss")
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url(re.compile(r"/console$"))
    page.goto(f"/console/applicants/{person}")
    page.check('input[name="photo_match"]')
    page.fill("#document_number", "KEEP-ME")
    page.click('button[type="submit"]:below(#notes)')  # nothing ticked: refused, the typed number kept
    expect(page.get_by_role("alert")).to_contain_text("하나 이상 고르세요")
    expect(page.locator("#document_number")).to_have_value("KEEP-ME")
    _shot(page, "ko-check-refused")
    page.check("#c-mdl")
    page.check("#c-business_registration")
    page.click('button[type="submit"]:below(#notes)')
    page.wait_for_url(re.compile(r"/console/offers/\d+$"))
    offer_path = page.url.split(live.url)[1]
    _shot(page, "ko-offer-waiting")
    link = page.locator("#offer-uri").get_attribute("href")
    assert link is not None
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    with httpx.Client() as http:
        wallet.init(PIN, trust_pem=http.get(f"{live.url}/trust/root.pem").content)
        wallet.receive(link, page.locator("#tx-code").inner_text(), PIN, http=http)
    page.reload()
    expect(page.locator("#state")).to_have_text("모두 수령함")
    pages = {"login": "/console/login", "search": "/console",
             "applicant": f"/console/applicants/{person}", "offer-redeemed": offer_path,
             "confirm-one": "/console/credentials/1/status?to=revoked",
             "confirm-all": f"/console/applicants/{person}/status?to=suspended", "audit": "/console/audit",
             "staff": "/console/staff", "error": "/console/applicants/999999"}
    for lang in ("ko", "en"):
        for name, path in pages.items():
            page.goto(path + ("&" if "?" in path else "?") + f"lang={lang}")
            expect(page.locator("html")).to_have_attribute("lang", lang)
            text = page.locator("body").inner_text()
            assert lang == "en" or not ENGLISH_UI.search(text), (name, text)
            _shot(page, f"{lang}-{name}")
    for lang in ("ko", "en"):  # results are posted, so reached through the form
        page.goto(f"/console?lang={lang}")
        page.fill("#q", "김")
        page.press("#q", "Enter")
        page.wait_for_url(re.compile(r"/console/search"))
        expect(page.locator("#found")).to_be_visible()
        _shot(page, f"{lang}-results")
    page.goto(f"/console/applicants/{person}/status?to=suspended&lang=ko")
    page.fill("#reason", "분실 신고")
    page.click('button[type="submit"]:below(#reason)')
    page.wait_for_url(re.compile(r"changed=suspended"))
    expect(page.get_by_role("status")).to_contain_text("정지됨")
    _shot(page, "ko-applicant-suspended")
    assert violations == []


def test_wrong_password_shows_an_error(page: sync_api.Page) -> None:
    expect = sync_api.expect
    page.goto("/console/login")
    page.locator("#username").focus()
    page.keyboard.type("clerk1")
    page.keyboard.press("Tab")
    page.keyboard.type("definitely-wrong")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("아이디 또는 비밀번호가 올바르지 않습니다.")
    expect(page.locator("h1")).to_have_text("로그인")
    _shot(page, "10-login-error")
