"""The app on a bad network, over real sockets: an issuer that is not there (nothing listens on its port) and an
issuer that answers after 10 s (uvicorn, the token endpoint held back). The screen never freezes (frames keep
coming while the work runs on a worker thread, with a moving busy line), nothing crashes, and what went wrong
is said in plain words, never as an exception name or an error code."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import segno

from app.ui import Busy
from issuer.web.app import create_app
from tests.app.test_flow import Camera
from tests.app.test_live import _offer
from tests.app.test_onboarding import onboard
from tests.issuer.conftest import Service, free_port, serve

if TYPE_CHECKING:
    from tests.app.conftest import Driver

# The issuer's database does not change what the phone shows: these run against the SQLite issuer only.
pytestmark = pytest.mark.parametrize("service", ["sqlite"], indirect=True)

DELAY = 10.0


class SlowPath:
    """ASGI: hold requests to ``path`` back for ``seconds`` before the real issuer answers them."""

    def __init__(self, app: Any, path: str, seconds: float) -> None:
        self.app, self.path, self.seconds = app, path, seconds

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def _scan_offer(driver: Driver, camera: Camera, offer: str, tx_code: str, tmp_path: Path) -> None:
    segno.make(offer, error="m").save(str(tmp_path / "offer.png"), scale=6)
    driver.tap_text("Add")
    camera.paths[:] = [tmp_path / "offer.png"]
    driver.tap_text("Scan with the camera")
    driver.pump_until(lambda: driver.app.screen.offer == offer)  # type: ignore[attr-defined]
    camera.paths.clear()
    driver.type(driver.inputs()[1], tx_code)


def _frames_while_working(driver: Driver, timeout: float) -> tuple[int, float, float, list[str]]:
    """Pump frames while the app's worker thread talks to the issuer: (frames drawn, seconds, longest gap
    between two frames, what the busy line said). Drawing a new screen afterwards is not part of the wait."""
    from kivy.base import EventLoop

    def working() -> bool:
        return any(t.name == "mobileid-background" and t.is_alive() for t in threading.enumerate())

    said: list[str] = []
    frames, longest, start = 0, 0.0, time.monotonic()
    last = start
    while working():
        assert time.monotonic() < start + timeout, driver.text()
        EventLoop.idle()
        frames, now = frames + 1, time.monotonic()
        longest, last = max(longest, now - last), now
        said += [w.words.text for w in driver.widgets() if isinstance(w, Busy)]
        time.sleep(0.01)
    return frames, time.monotonic() - start, longest, said


def test_dead_issuer_is_said_in_plain_words(make_app: Callable[..., Driver], service: Service,
                                            tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    camera = Camera()
    with httpx.Client(timeout=5) as http:
        root = service.client.get("/trust/root.pem").content
        driver = make_app(http=http, clock=lambda: service.clock.now, issuer_url=dead, frame_source=camera,
                          trust_pem=root)
        onboard(driver)
        offer, tx_code = _offer(service, dead)
        _scan_offer(driver, camera, offer, tx_code, tmp_path)
        driver.tap_text("Receive my cards")
        text = driver.text()
        assert driver.screen == "add" and "No connection to the issuer" in text, text
        assert "ConnectError" not in text and "net." not in text and "%7B" not in text
        assert not driver.button("Receive my cards").disabled  # try again later
        driver.shot("50_add_dead_issuer")
        assert "Notices" not in (driver.tap_text("Home") or driver.text())  # no card yet: no status notice

        driver.tap_text("Settings")
        driver.tap_text("Switch to verifier mode")
        driver.tap_text("Sync trusted issuers")
        text = driver.text()
        # the sync (verifier.sync) names the failure trust.sync_unreachable: said in words, not as the exception
        assert "Sync failed. The trust data server cannot be reached" in text and "ConnectError" not in text, text
        driver.shot("51_verify_sync_dead_issuer")


@pytest.mark.slow
@pytest.mark.parametrize("timeout", [20.0, 4.0], ids=["waits", "gives-up"])
def test_slow_issuer_never_freezes_the_screen(make_app: Callable[..., Driver], service: Service, tmp_path: Path,
                                              timeout: float) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = service.settings.model_copy(update={"public_url": url})
    slow = SlowPath(create_app(settings, clock=service.clock), "/token", DELAY)
    with serve(slow, port), httpx.Client(timeout=timeout) as http:
        camera = Camera()
        driver = make_app(http=http, clock=lambda: service.clock.now, issuer_url=url, frame_source=camera,
                          trust_pem=service.client.get("/trust/root.pem").content)
        onboard(driver)
        offer, tx_code = _offer(service, url)
        _scan_offer(driver, camera, offer, tx_code, tmp_path)
        started = time.monotonic()
        driver.tap_text("Receive my cards", wait=False)
        assert driver.button("Receive my cards").disabled  # no second tap while the first one runs
        driver.shot(f"52_add_receiving_{'slow' if timeout > DELAY else 'timeout'}")
        frames, seconds, longest, said = _frames_while_working(driver, timeout=60)
        driver.settle()
        # The UI thread kept drawing all along (Android calls an app "not responding" after 5 s without).
        assert frames / seconds >= 10 and longest < 2.0, (frames, seconds, longest)
        assert said and all("Receiving your cards" in s for s in said)
        waited = time.monotonic() - started
        if timeout > DELAY:
            assert waited >= DELAY and driver.screen == "received", driver.text()
            assert "Mobile driver's licence" in driver.text()
        else:
            assert timeout <= waited < DELAY + 2
            text = driver.text()
            assert driver.screen == "add" and "did not answer in time" in text and "ReadTimeout" not in text, text
            assert not driver.button("Receive my cards").disabled
