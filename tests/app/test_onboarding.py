"""Onboarding, PIN, lock and auto-lock, settings: real touches on the real app, headless."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tests.wallet.conftest import PIN

if TYPE_CHECKING:
    from tests.app.conftest import Driver


def onboard(driver: Driver, *, english: bool = True) -> None:
    if english:
        driver.tap_text("English")
    driver.tap_text("Start")
    new, again = driver.inputs()
    driver.type(new, PIN)
    driver.type(again, PIN)
    driver.tap_text("Create my wallet")


def test_onboarding_in_korean_then_english(make_app: Callable[..., Driver], tmp_path: Path) -> None:
    driver = make_app()
    assert driver.screen == "welcome"
    assert "모바일 운전면허증" in driver.text()  # Korean by default
    driver.shot("01_welcome_ko")
    driver.tap_text("English")
    assert "Keep your mobile driving licence" in driver.text()
    driver.shot("02_welcome_en")
    driver.tap_text("Start")
    assert driver.screen == "pin_setup"
    assert "After 5 wrong PINs" in driver.text()
    new, again = driver.inputs()
    driver.type(new, "12ab34")  # the digit filter drops letters
    assert new.text == "1234"
    driver.type(new, PIN)
    driver.type(again, "000000")
    driver.tap_text("Create my wallet")
    assert "The two PINs differ" in driver.text()
    driver.shot("03_pin_setup")
    driver.type(again, PIN)
    driver.tap_text("Create my wallet")
    assert driver.screen == "home"
    assert "No cards yet." in driver.text()
    driver.shot("04_home_empty")


def test_wrong_pin_counts_and_idle_locks(make_app: Callable[..., Driver], tmp_path: Path) -> None:
    now = [1000.0]
    driver = make_app(idle_clock=lambda: now[0])
    onboard(driver)
    driver.app.dispatch("on_stop")
    driver = make_app(idle_clock=lambda: now[0])  # the app opened again: locked
    assert driver.screen == "lock"
    assert "5 attempts left" in driver.text()
    (pin,) = driver.inputs()
    driver.type(pin, "999999")
    driver.tap_text("Open")
    assert "Wrong PIN. 4 attempts left" in driver.text()
    driver.shot("05_lock_wrong_pin")
    driver.type(pin, PIN)
    driver.tap_text("Open")
    assert driver.screen == "home"
    now[0] += 60
    driver.pump(seconds=0.6)
    assert driver.screen == "home"  # touched recently enough
    now[0] += 61
    driver.pump_until(lambda: driver.screen == "lock")
    assert "locked itself" in driver.text()
    assert not driver.app.wallet.unlocked


def test_settings_large_text_high_contrast_language(make_app: Callable[..., Driver]) -> None:
    driver = make_app()
    onboard(driver)
    driver.tap_text("Settings")
    assert driver.screen == "settings"
    driver.shot("06_settings")
    size_before = driver.button("Lock now").font_size
    driver.tap_text("Large text")
    driver.tap_text("High contrast")
    assert driver.app.settings.large_text and driver.app.settings.high_contrast
    assert driver.button("Lock now").font_size > size_before
    driver.shot("07_settings_large_contrast")
    driver.tap_text("한국어")
    assert "큰 글씨" in driver.text() or any("큰 글씨" in b for b in driver.labels())
    driver.shot("08_settings_ko")


def test_five_wrong_pins_erase_and_the_holder_can_start_again(make_app: Callable[..., Driver]) -> None:
    driver = make_app()
    onboard(driver)
    driver.app.dispatch("on_stop")
    driver = make_app()
    for _ in range(5):
        (pin,) = driver.inputs()
        driver.type(pin, "999999")
        driver.tap_text("Open")
    text = driver.text()
    assert "the keys were erased" in text and driver.inputs() == []  # no PIN field for a wallet with no keys
    driver.shot("05_lock_erased")
    driver.tap_text("Start again with an empty wallet")
    assert driver.screen == "pin_setup"
    new, again = driver.inputs()
    driver.type(new, "246810")
    driver.type(again, "246810")
    driver.tap_text("Create my wallet")
    assert driver.screen == "home" and "No cards yet." in driver.text()
