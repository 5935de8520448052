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


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=tmp_path / "data", public_url=url, seed_people=300, status_list_size=4096)
    result = bootstrap(settings)
    assert result.demo_password
    with serve(create_app(settings), port):
        yield Live(url, result.demo_password)


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


def test_keyboard_flow_from_login_to_offer_and_audit(page: sync_api.Page, live: Live) -> None:
    expect = sync_api.expect
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
    page.keyboard.type("김")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console\?q="))
    first = page.locator('a[href^="/console/applicants/"]').first
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
    assert _focused(page) == "configuration" and _focused_value(page) == "mdl"
    expect(page.locator('input[value="mdl"]')).to_be_checked()
    page.keyboard.press("Tab")
    assert _focused_value(page) == "age_attestation"
    page.keyboard.press("Space")  # offer the mdl alone
    expect(page.locator('input[value="age_attestation"]')).not_to_be_checked()
    assert page.locator('input[name="configuration"]:checked').count() == 1
    _shot(page, "05-check-filled")
    page.keyboard.press("Enter")  # submits the form from the focused checkbox

    code = page.locator("#tx-code")
    expect(code).to_have_text(re.compile(r"^\d{6}$"))
    assert page.locator("main svg").count() == 1
    countdown = page.locator("#countdown")
    expect(countdown).to_have_text(re.compile(r"^\d+:\d{2}$"))
    first_value = countdown.inner_text()
    expect(countdown).not_to_have_text(first_value, timeout=5000)  # it ticks
    _shot(page, "06-offer")

    page.goto("/console/audit")  # clerk1 is the demo supervisor, allowed to read the audit log
    expect(page.locator("h1")).to_have_text("감사 기록")
    expect(page.locator("table")).to_contain_text("offer.create")
    expect(page.locator("main")).to_contain_text("hash chain verified")
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
