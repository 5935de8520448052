"""The relying party's "open an account" page in a real headless Chromium against the verifier under uvicorn:
the QR code is read back from the screenshot, the wallet library answers it, and the page shows the verified
claims (screenshots in test-artifacts/rp/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from specs.io.symbols import read_texts
from tests.browser import chromium_page, shot
from tests.issuer.conftest import Service, free_port, serve, service  # noqa: F401
from tests.verifier.online import Online, online_story, service_trust
from tests.wallet.conftest import PIN
from verifier.web.app import create_app
from verifier.web.settings import VerifierSettings
from wallet.oid4vp import fetch_request

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("service", ["sqlite"], indirect=True)]



@pytest.fixture
def live(service: Service, tmp_path: Path) -> Iterator[tuple[str, Online]]:  # noqa: F811
    online = online_story(service, tmp_path / "phone")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = VerifierSettings(data_dir=tmp_path / "verifier", public_url=url)
    app = create_app(settings, reader=online.reader, trust=service_trust(service), clock=service.clock)
    with serve(app, port):
        yield url, online


@pytest.fixture
def page(live: tuple[str, Online]) -> Iterator[sync_api.Page]:
    with chromium_page(live[0], width=1000) as opened:
        yield opened


def _shot(page: sync_api.Page, name: str) -> Path:
    return shot(page, "rp", name)


def test_open_an_account_with_the_wallet(page: sync_api.Page, live: tuple[str, Online]) -> None:
    _, online = live
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/bank")
    assert "계좌 개설" in page.inner_text("h1")
    _shot(page, "1-landing")
    page.click("#start")
    page.wait_for_selector("#qr")
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0")
    shot = _shot(page, "2-qr")
    (link,) = [t for t in read_texts(shot) if t.startswith("openid4vp://")]  # what a phone camera reads
    assert page.get_attribute("#same-device", "href") == link
    with httpx.Client(timeout=30) as http:
        received = fetch_request(link, http=http, reader_roots=online.reader_roots, now=online.service.clock.now)
        outcome = online.presenter.respond(PIN, online.presenter.plan(PIN, received), http=http)
    assert outcome.delivered
    page.wait_for_selector("#done:not([hidden])", timeout=15_000)
    text = page.inner_text("#done")
    _shot(page, "3-verified")
    assert "본인 확인 완료 · Verified" in text
    assert "모바일 주민등록증 · Mobile resident card" in text and "소득금액증명" in text
    assert "원" in text and "성 · Family name" in text
    assert not page.is_visible("#ask") and not errors


def test_refused_answer_is_shown_as_such(page: sync_api.Page, live: tuple[str, Online]) -> None:
    _, online = live
    page.goto("/bank")
    page.click("#start")
    page.wait_for_selector("#qr")
    link = str(page.get_attribute("#same-device", "href"))
    with httpx.Client(timeout=30) as http:
        received = fetch_request(link, http=http, reader_roots=online.reader_roots, now=online.service.clock.now)
        assert online.presenter.decline(received, http=http).delivered
    page.wait_for_selector("#done:not([hidden])", timeout=15_000)
    assert "지갑에서 거절함 · The wallet declined" in page.inner_text("#verdict")
    _shot(page, "4-declined")
