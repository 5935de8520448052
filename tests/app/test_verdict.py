"""The verdict screen answers the shop's question on the real app: the mode chooser sets the question, a
13-year-old's age check is red ("Under 19: do not sell"), the portrait is on screen, large, for identity,
and a "no" is never green when no question was chosen. The words are the library's, through the app's
gettext catalogues."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.uix.image import Image
from kivy.uix.label import Label

from app.i18n import DOMAIN, LOCALE_DIR
from app.screens.share import ShowQrScreen
from app.screens.verdict import TEXTS
from app.ui import Panel
from app.verifier_service import REQUESTS
from specs.io.symbols import write_pngs
from tests.app.test_flow import Camera, holder, start, to_verifier
from tests.issuer.conftest import Service
from tests.verifier.test_cli_policy import _minor_phone
from tests.wallet.conftest import FAST_KDF, PIN, phone  # noqa: F401  (the adult's wallet)
from verifier.verdict import WORDS
from wallet.present import Presenter
from wallet.wallet import Wallet

if TYPE_CHECKING:
    from tests.app.conftest import Driver


def test_the_apps_words_are_the_librarys() -> None:
    assert set(TEXTS) == set(WORDS)
    korean = gettext.translation(DOMAIN, LOCALE_DIR, languages=["ko"])
    for key, msgid in TEXTS.items():
        assert msgid == WORDS[key]["en"], key
        assert korean.gettext(msgid) == WORDS[key]["ko"], key


def _headline(driver: Driver) -> tuple[str, tuple[float, ...]]:
    """The verdict's first line and the colour of the panel it is drawn on."""
    tones = {tuple(getattr(driver.app.theme.palette, name)) for name in ("ok", "bad", "warn")}
    for widget in driver.widgets():
        if isinstance(widget, Label) and isinstance(widget.parent, Panel) and tuple(widget.parent.fill) in tones:
            return widget.text, tuple(widget.parent.fill)
    raise AssertionError(driver.text())


def _scan(driver: Driver, camera: Camera, phone_dir: Path, tmp_path: Path, name: str, **what: object) -> None:
    shown = Presenter(Wallet(phone_dir, kdf=FAST_KDF)).present(PIN, **what)  # type: ignore[arg-type]
    camera.paths[:] = write_pngs(shown.texts, tmp_path / f"{name}.png")
    driver.tap_text("Scan")
    driver.pump_until(lambda: driver.screen == "verify_result", timeout=15)
    camera.paths.clear()


def test_minor_is_red_identity_shows_the_portrait(make_app: Callable[..., Driver], service: Service,
                                                  phone: Path, tmp_path: Path) -> None:  # noqa: F811
    minor = _minor_phone(service, tmp_path)
    camera = Camera()
    driver = start(make_app, service, camera)
    app = driver.app
    app.update_settings(language="en", onboarded=True, mode="verifier")
    app.go("verify")
    driver.pump(5)
    driver.tap_text("Sync trusted issuers")
    assert "less than an hour ago" in driver.text(), driver.text()
    p = app.theme.palette

    # No question chosen: the minor's card is genuine, but its "no" is amber, not green.
    _scan(driver, camera, minor, tmp_path, "minor0", preset="age19")
    text, colour = _headline(driver)
    assert text == "Genuine, but NOT aged 19 or over" and colour == tuple(p.warn), driver.text()
    driver.tap_text("Scan the next one")

    driver.tap_text("Over 19 (alcohol, tobacco)")  # the mode chooser
    assert app.settings.check == "age19" and app.verifier.policy is not None
    _scan(driver, camera, minor, tmp_path, "minor", preset="age19")
    text, colour = _headline(driver)
    assert text == "Under 19: do not sell" and colour == tuple(p.bad), driver.text()
    screen = driver.text()
    assert "Not met: Aged 19 or over" in screen and "Status: valid as of" in screen
    assert "aged 19 or over | no" in screen.lower()
    driver.shot("30_verify_minor_age19")
    app.update_settings(language="ko")
    text, colour = _headline(driver)
    assert text == "19세 미만 / 판매 불가" and colour == tuple(app.theme.palette.bad)
    driver.shot("31_verify_minor_age19_ko")
    app.update_settings(language="en")

    driver.tap_text("Scan the next one")
    _scan(driver, camera, phone, tmp_path, "adult", preset="age19")
    text, colour = _headline(driver)
    assert text == "Aged 19 or over: may sell" and colour == tuple(p.ok), driver.text()

    driver.tap_text("Scan the next one")
    driver.tap_text("Identity (name and photo)")
    _scan(driver, camera, phone, tmp_path, "identity", type_id="mdl",
          elements=("family_name", "given_name", "portrait"))
    text, colour = _headline(driver)
    assert text == "Identity verified: compare the photo with the face" and colour == tuple(p.ok), driver.text()
    pictures = [w for w in driver.widgets() if isinstance(w, Image) and w.texture is not None]
    assert pictures and max(w.width for w in pictures) >= 0.6 * app.root_window_width(), pictures
    assert "Issuer signature verified, nothing altered" in driver.text()
    assert "Shown from the phone it was issued to (device signature verified)" in driver.text()
    driver.shot("32_verify_identity_portrait")
    assert app.verifier.log.entries()[-1].valid


def test_the_request_qr_asks_the_chosen_question(make_app: Callable[..., Driver], service: Service,
                                                tmp_path: Path) -> None:
    """The mode chooser's question is what the two-way request asks (age65 and supplier had no request QR
    before), and the answer to it is judged by the same question: a 46-year-old's "no" to over 65 is red."""
    driver, camera = holder(make_app, service, tmp_path)
    to_verifier(driver, camera)
    app = driver.app
    driver.tap_text("Over 65 (senior discount)")  # the mode chooser
    driver.tap_text("Ask for something specific")  # straight to that question's request, no menu
    text = driver.text()
    assert "What do you need to see?" not in text and "Over 65 (senior discount)" in driver.labels(), text
    assert "Age attestation: Aged 65 or over" in text and "Mobile driver's licence: Aged 65 or over" in text
    assert app.verifier.pending_request is not None and dict(app.verifier.pending_request.items) == REQUESTS["age65"]
    driver.shot("33_request_follows_the_mode_age65")

    driver.tap_text("Ask for something else")  # every other question has its request too
    assert "What do you need to see?" in driver.text()
    driver.tap_text("Supplier (business registration)")
    assert app.settings.check == "supplier" and app.verifier.pending_request is not None
    assert dict(app.verifier.pending_request.items) == REQUESTS["supplier"]
    assert ("Business registration certificate: Business registration number, Business name, Business status"
            in driver.text())
    driver.tap_text("Ask for something else")
    driver.tap_text("Over 65 (senior discount)")
    assert app.settings.check == "age65"
    request_png = driver.shot("34_request_age65")

    driver.tap_text("Back")
    driver.tap_text("Settings")
    driver.tap_text("Switch to wallet mode")
    driver.type(driver.inputs()[0], PIN)
    driver.tap_text("Open")
    over_65 = next(c for c in app.wallet.cards() if c.type_key == "age_attestation").claims["age_over_65"]
    camera.paths[:] = [request_png]
    driver.tap_text("Answer a business's request")
    driver.pump_until(lambda: driver.screen == "consent", timeout=10)
    driver.pump(3)  # laid out before the touch
    assert "Aged 65 or over" in driver.text()
    driver.tap_text("Share")
    screen = app.screen
    assert isinstance(screen, ShowQrScreen) and screen.frames is not None, driver.text()
    frames = ([driver.shot("35_show_qr_age65")] if len(screen.texts) == 1  # an age answer fits one code
              else driver.shoot_frames(screen.frames, "35_show_qr_age65_frame"))

    camera.paths.clear()
    driver.tap_text("Done")
    driver.tap_text("Settings")
    driver.tap_text("Switch to verifier mode")
    camera.paths[:] = frames
    driver.tap_text("Scan")
    driver.pump_until(lambda: driver.screen == "verify_result", timeout=15)
    text, colour = _headline(driver)
    expected = ("Aged 65 or over: discount applies", app.theme.palette.ok) if over_65 else (
        "Under 65: no discount", app.theme.palette.bad)
    assert (text, colour) == (expected[0], tuple(expected[1])), driver.text()
    driver.shot("36_verify_two_way_age65")
    camera.paths.clear()
    driver.tap_text("Back")
    driver.tap_text("Log")
    assert expected[0] in driver.labels()  # the log says the same answer
    app.update_settings(language="ko")
    assert ("65세 이상 확인 / 할인 가능" if over_65 else "65세 미만 / 할인 불가") in driver.labels()
    driver.shot("37_scan_log_age65_ko")
