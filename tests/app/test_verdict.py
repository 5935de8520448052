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
from app.screens.verdict import TEXTS
from app.ui import Panel
from specs.io.symbols import write_pngs
from tests.app.test_flow import Camera, start
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
