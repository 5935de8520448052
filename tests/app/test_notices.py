"""Notices and live status on home: the issuer suspends the licence, the app learns it in the background
(throttled, off the UI thread) and home shows the Suspended badge and a notice; expiry and the aptitude
test follow the app's clock; offline, the stored status simply stays."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from kivy.core.window import Window
from kivy.uix.modalview import ModalView
from sqlalchemy import select

from app.services import Notice
from issuer.db.models import Credential, Licence
from tests.app.test_flow import Camera, holder, receive, start
from tests.app.test_onboarding import onboard
from tests.issuer.conftest import Service, person_with_licence
from tests.wallet.conftest import PIN
from wallet.status import status_reference
from wallet.store import CredentialRecord

if TYPE_CHECKING:
    from tests.app.conftest import Driver

MDL = "org.iso.18013.5.1.mDL"


class ThreadNoting:
    """The network as the app sees it (the issuer's TestClient), noting which thread asks for which URL."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, []  # type: Any, list[tuple[str, str]]

    def get(self, url: str, **kwargs: Any) -> Any:
        self.calls.append((threading.current_thread().name, url))
        return self.inner.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        self.calls.append((threading.current_thread().name, url))
        return self.inner.post(url, **kwargs)

    def threads(self, path: str) -> list[str]:
        return [thread for thread, url in self.calls if path in url]


class NoNetwork:
    """A phone without network: every request fails the way the HTTP client fails (or with ``error``)."""

    def __init__(self, error: type[Exception] = httpx.ConnectError) -> None:
        self.error = error

    def get(self, url: str, **kwargs: Any) -> Any:
        raise self.error("network unreachable")

    def post(self, url: str, **kwargs: Any) -> Any:
        raise self.error("network unreachable")


def set_aptitude_due(service: Service, due: dt.date) -> None:
    """The licence of the person the tests enrol (``person_with_licence``) gets this aptitude-test date."""
    with service.session() as session:
        licence = session.scalars(select(Licence).where(Licence.person_id == person_with_licence(service))).first()
        assert licence is not None
        licence.aptitude_test_due = due
        session.commit()


def set_status_at_issuer(service: Service, record: CredentialRecord, status: str) -> None:
    """What the office's supervisor does in the console (clerk1 supervises the office that enrolled)."""
    reference = status_reference(record)
    assert reference is not None
    with service.session() as session:
        credential_id = session.scalars(select(Credential.id).where(
            Credential.status_index == reference.idx)).one()
    csrf = service.login()
    answer = service.client.post(f"/console/credentials/{credential_id}/status",
                                 data={"csrf": csrf, "status": status, "reason": "test"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def _local(at: dt.datetime) -> str:
    """A time as the app shows it: the phone's time zone, to the minute."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def licence(driver: Driver) -> CredentialRecord:
    (record,) = [r for r in driver.app.wallet.wallet.credentials(PIN) if r.type_id == MDL]
    return record


def enter_home(driver: Driver) -> int:
    """Tap Home; returns how many status checks had finished before."""
    before = driver.app.wallet.status_checks
    driver.tap_text("Home")
    assert driver.screen == "home"
    return before


def settle(driver: Driver, before: int) -> None:
    """Wait for the background status check started after ``before`` and for home's redraw."""
    driver.pump_until(lambda: driver.app.wallet.status_checks > before, timeout=15)
    driver.pump(3)


def test_suspension_reaches_home_in_the_background(make_app: Callable[..., Driver], service: Service,
                                                   tmp_path: Path) -> None:
    set_aptitude_due(service, service.clock.now.date() + dt.timedelta(days=1000))
    camera = Camera()
    driver = start(make_app, service, camera)
    network = ThreadNoting(service.client)
    driver.app.wallet.http = network
    onboard(driver)  # home, empty: the first status check of this session runs now
    settle(driver, 0)
    receive(driver, service, camera, tmp_path)
    text = driver.text()
    assert "Notices" not in text and "Suspended" not in text
    received = licence(driver).received_at  # no check since: the status is what it was on receipt
    assert licence(driver).status_at is None and f"Status as of {_local(received)}" in text, text

    set_status_at_issuer(service, licence(driver), "suspended")
    checks = enter_home(driver)
    driver.pump(seconds=0.3)
    assert driver.app.wallet.status_checks == checks  # throttled: checked minutes ago
    assert "Suspended" not in driver.text()

    service.clock.advance(minutes=16)
    settle(driver, enter_home(driver))
    text = driver.text()
    assert "Suspended" in text and "Notices" in text
    assert "Mobile driver's licence is suspended and cannot be used for now" in text
    assert text.index("Notices") < text.index("Suspended")  # the notices come first
    assert driver.app.wallet.status_problem is None
    assert network.threads("/status/") == ["mobileid-background"]  # one list for all cards, off the UI thread
    learned = licence(driver).status_at  # each card says when its status was learned: this check
    assert learned == service.clock.now and f"Status as of {_local(learned)}" in text, text
    assert f"Status as of {_local(received)}" not in text
    driver.shot("30_home_notice_suspended")
    driver.app.update_settings(language="ko")
    assert f"{_local(learned)} 기준 상태" in driver.text() and "정지" in driver.text()
    driver.shot("30_home_notice_suspended_ko")
    driver.app.update_settings(language="en")
    driver.pump(5)  # the rebuilt home laid out before it is touched
    driver.tap_text("Details")  # the licence's detail screen says it too
    assert "Suspended" in driver.text() and f"Status as of {_local(learned)}" in driver.text()
    driver.tap_text("Back")

    set_status_at_issuer(service, licence(driver), "valid")  # the suspension is lifted
    service.clock.advance(minutes=16)
    settle(driver, enter_home(driver))
    assert "Suspended" not in driver.text() and "Notices" not in driver.text()


def test_expiry_and_aptitude_notices_follow_the_clock(make_app: Callable[..., Driver], service: Service,
                                                     tmp_path: Path) -> None:
    start_day = service.clock.now.date()
    due = start_day + dt.timedelta(days=200)
    set_aptitude_due(service, due)
    driver, _camera = holder(make_app, service, tmp_path)
    wallet = driver.app.wallet
    assert wallet.notices() == []
    age_until = next(c.valid_until for c in wallet.cards() if c.type_key == "age_attestation")
    assert age_until is not None  # 90 days for an age attestation; the licence's credential lasts a year

    service.clock.advance(days=70)
    assert wallet.notices() == [Notice("expiring", "age_attestation", age_until.date())]
    settle(driver, enter_home(driver))
    text = driver.text()
    assert f"Age attestation expires on {age_until.date().isoformat()}" in text and "Expires soon" in text

    service.clock.advance(days=80)
    assert wallet.notices() == [Notice("expired", "age_attestation", age_until.date()),
                                Notice("aptitude_due", "mdl", due)]  # the most severe first
    settle(driver, enter_home(driver))
    text = driver.text()
    assert f"Your driving aptitude test is due by {due.isoformat()}" in text
    assert "Age attestation has expired" in text and "Expired" in text
    assert driver.app.wallet.status_problem is None  # the issuer's clock moved too: lists still check
    driver.shot("31_home_notices_en")
    driver.tap_text("Settings")
    driver.tap_text("한국어")
    driver.tap_text("홈")
    text = driver.text()
    assert "알림" in text and "적성검사 기간이" in text and "연령 확인 증명의 유효기간이 지났습니다" in text
    driver.shot("32_home_notices_ko")

    service.clock.advance(days=100)
    assert wallet.notices() == [Notice("aptitude_overdue", "mdl", due),
                                Notice("expired", "age_attestation", age_until.date())]


@pytest.mark.parametrize("error", [httpx.ConnectError, RuntimeError], ids=["no-network", "client-failure"])
def test_offline_keeps_the_stored_status(make_app: Callable[..., Driver], service: Service, tmp_path: Path,
                                         error: type[Exception]) -> None:
    set_aptitude_due(service, service.clock.now.date() + dt.timedelta(days=1000))
    driver, _camera = holder(make_app, service, tmp_path)
    set_status_at_issuer(service, licence(driver), "revoked")  # the phone will not hear of it
    phone = driver.app.data_dir
    driver.app.dispatch("on_stop")
    Window.remove_widget(driver.app.root)

    driver = make_app(phone, http=NoNetwork(error), clock=lambda: service.clock.now)  # opened again, offline
    driver.type(driver.inputs()[0], PIN)
    driver.tap_text("Open")
    settle(driver, 0)
    assert driver.screen == "home"
    assert not any(isinstance(w, ModalView) for w in Window.children)  # no error box
    text = driver.text()
    assert "Valid" in text and "Revoked" not in text
    assert "could not be checked just now" in text
    assert driver.app.wallet.status_problem == ("status.unavailable" if error is httpx.ConnectError
                                                else "net.server")
    driver.shot(f"33_home_offline_{error.__name__}")
    driver.app.dispatch("on_stop")
    Window.remove_widget(driver.app.root)

    driver = make_app(phone, clock=lambda: service.clock.now)  # no network client at all: no check
    driver.type(driver.inputs()[0], PIN)
    driver.tap_text("Open")
    driver.pump(seconds=0.3)
    assert driver.app.wallet.status_checks == 0 and not driver.app.wallet.status_refresh_due()
    assert "Valid" in driver.text() and "Notices" not in driver.text()
