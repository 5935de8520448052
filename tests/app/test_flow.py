"""The whole story on the real app: onboarding -> receive from a running issuer (offer QR read by the test
camera) -> share "19 or older" -> the verifier mode scans that QR from the screenshot -> green verdict.
Then two-way: the verifier shows a request QR, the wallet scans it, consents, answers in frames, the
verifier scans the frames -> green with the portrait."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import segno

from app.camera import ImageFileSource
from app.screens.share import ShowQrScreen
from tests.app.test_onboarding import onboard
from tests.issuer.conftest import ISSUER_URL, Service, enroll, person_with_licence
from tests.wallet.conftest import PIN

if TYPE_CHECKING:
    from tests.app.conftest import Driver


class Camera:
    """The test camera: whatever image files the test points it at."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.sources: list[ImageFileSource] = []

    def __call__(self) -> ImageFileSource:
        source = ImageFileSource(self.paths)
        self.sources.append(source)
        return source


def start(make_app: Callable[..., Driver], service: Service, camera: Camera) -> Driver:
    return make_app(http=service.client, clock=lambda: service.clock.now, issuer_url=ISSUER_URL,
                    trust_pem=service.client.get("/trust/root.pem").content, frame_source=camera)


def receive(driver: Driver, service: Service, camera: Camera, tmp_path: Path) -> None:
    offer, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    offer_png = tmp_path / "offer.png"
    segno.make(offer, error="m").save(str(offer_png), scale=6)
    driver.tap_text("Add")
    assert driver.screen == "add"
    camera.paths[:] = [offer_png]
    driver.tap_text("Scan with the camera")
    driver.pump_until(lambda: driver.app.screen.offer == offer)  # type: ignore[attr-defined]
    assert "Offer read from localhost" in driver.text() and "%7B" not in driver.text()  # never the raw link
    driver.type(driver.inputs()[1], tx_code)
    driver.shot("10_add")
    driver.tap_text("Receive my cards")
    assert driver.screen == "received", driver.text()
    assert "Mobile driver's licence" in driver.text() and "Age attestation" in driver.text()
    assert "5 single-use copies" in driver.text()
    driver.shot("11_received")
    driver.tap_text("Go to my wallet")


def holder(make_app: Callable[..., Driver], service: Service, tmp_path: Path) -> tuple[Driver, Camera]:
    """An onboarded wallet holding a licence and age attestations from the real issuer, on the home screen."""
    camera = Camera()
    driver = start(make_app, service, camera)
    onboard(driver)
    receive(driver, service, camera, tmp_path)
    return driver, camera


def to_verifier(driver: Driver, camera: Camera) -> None:
    """Switch the phone to verifier mode and sync the trust bundle (the camera is emptied)."""
    camera.paths.clear()
    driver.tap_text("Settings")
    driver.tap_text("Switch to verifier mode")
    driver.tap_text("Sync trusted issuers")


def test_onboard_receive_share_age_and_verify(make_app: Callable[..., Driver], service: Service,
                                              tmp_path: Path) -> None:
    driver, camera = holder(make_app, service, tmp_path)
    assert driver.screen == "home"
    text = driver.text()
    assert "Mobile driver's licence" in text and "Valid" in text and "4 single-use copies" not in text
    assert any(w.__class__.__name__ == "Image" for w in driver.widgets())  # the licence portrait
    driver.shot("12_home_cards")

    driver.tap_text("Show")
    assert driver.screen == "share"
    driver.shot("13_share")
    driver.tap_text("I am 19 or older")
    assert driver.screen == "consent"
    text = driver.text()
    assert "Whoever scans your QR code" in text and "Aged 19 or over" in text and "Age attestation" in text
    driver.shot("14_consent")
    driver.tap_text("Share")
    assert driver.screen == "show_qr"
    assert "Valid for 60 seconds" in driver.text() and "This code shows: | Aged 19 or over" in driver.text()
    wishes = driver.app.phone.wishes  # Android: FLAG_SECURE, FLAG_KEEP_SCREEN_ON, full brightness
    assert wishes.secure and wishes.keep_on and wishes.bright
    live = driver.app.screen.live  # type: ignore[attr-defined]
    at = live._bar.pos
    qr_png = driver.shot("15_show_qr_age")
    service.clock.advance(seconds=5)
    driver.pump(seconds=0.3)
    assert "Valid for 55 seconds" in driver.text() and "Make a new code" not in driver.text()
    assert live._bar.pos != at  # the "live" mark moves: a screenshot of the code stands still

    driver.tap_text("Done")
    assert not driver.app.phone.wishes.bright and driver.app.phone.wishes.secure  # home: cards, normal light
    driver.tap_text("What I shared")
    assert "Aged 19 or over" in driver.text() and "Whoever scanned my QR code" in driver.text()
    driver.shot("16_history")

    # Verifier mode on the same phone: sync the trust bundle, scan the screenshot of the QR.
    camera.paths.clear()  # the camera sees nothing yet
    driver.tap_text("Back")
    driver.tap_text("Settings")
    driver.tap_text("Switch to verifier mode")
    assert driver.screen == "verify"
    assert "No list of trusted issuers" in driver.text()
    driver.tap_text("Sync trusted issuers")
    assert "less than an hour ago" in driver.text()
    camera.paths[:] = [qr_png]
    driver.tap_text("Scan")  # re-enter: the scanner now reads the screenshot
    driver.pump_until(lambda: driver.screen == "verify_result", timeout=10)
    text = driver.text()
    assert "Genuine" in text and "Not verified" not in text, text
    assert "aged 19 or over | yes" in text.lower()
    driver.shot("17_verify_valid")

    # The same code again is a replay: red, with the reason in plain words.
    driver.tap_text("Scan the next one")
    driver.pump_until(lambda: driver.screen == "verify_result", timeout=10)
    assert "Not verified" in driver.text() and "already used" in driver.text()
    driver.shot("18_verify_replay")


def test_two_way_request_consent_frames_and_portrait(make_app: Callable[..., Driver], service: Service,
                                                     tmp_path: Path) -> None:
    driver, camera = holder(make_app, service, tmp_path)
    to_verifier(driver, camera)
    driver.tap_text("Ask for something specific")
    driver.tap_text("Identity (name and photo)")  # a question of the mode chooser: it becomes the question
    assert "Let the customer scan" in driver.text() and driver.app.settings.check == "identity"
    request_png = driver.shot("20_verifier_request")

    driver.tap_text("Back")
    driver.tap_text("Settings")
    driver.tap_text("Switch to wallet mode")
    assert driver.screen == "lock"
    driver.type(driver.inputs()[0], PIN)
    driver.tap_text("Open")
    camera.paths[:] = [request_png]
    driver.tap_text("Answer a business's request")
    driver.pump_until(lambda: driver.screen == "consent", timeout=10)
    text = driver.text()
    assert "mobileid verifier" in text and "did not sign" in text
    assert "Family name" in text and "Given name" in text and "Portrait" in text
    driver.shot("21_consent_two_way")
    driver.tap_text("Share")
    assert driver.screen == "show_qr"
    screen = driver.app.screen
    assert isinstance(screen, ShowQrScreen) and screen.frames is not None and len(screen.texts) > 1
    frames = driver.shoot_frames(screen.frames, "22_show_qr_frame")  # the frames change by themselves

    camera.paths.clear()
    driver.tap_text("Done")
    driver.tap_text("Settings")
    driver.tap_text("Switch to verifier mode")
    assert "Scan the answer to your request" in driver.text()
    camera.paths[:] = frames
    driver.tap_text("Scan")
    driver.pump_until(lambda: driver.screen == "verify_result", timeout=15)
    text = driver.text()
    assert "Identity verified: compare the photo with the face" in text and "Not verified" not in text, text
    assert "Family name" in text
    driver.shot("23_verify_two_way")
