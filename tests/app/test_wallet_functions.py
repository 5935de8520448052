"""The functions people expect of a wallet app, on the real app with cards from the real issuer: the holder's
Hangul name, card detail, removing a card, presets and items only from usable cards, the "no" and last-copy
warnings, changing and forgetting the PIN, deleting the wallet, one key derivation per unlock, tries left for a
wrong 6-digit code; and on the shop side its own name in requests and a scan log without claims."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import segno

import wallet.pin
from app.screens.verdict import mode_text
from app.verifier_service import REQUESTS
from issuer.db.models import Person
from tests.app.test_flow import Camera, holder, start
from tests.app.test_notices import licence, set_status_at_issuer
from tests.app.test_onboarding import onboard
from tests.issuer.conftest import Service, enroll, person_with_licence
from tests.wallet.conftest import PIN

if TYPE_CHECKING:
    from tests.app.conftest import Driver

# The issuer's database does not change what the phone shows: these run against the SQLite issuer only.
pytestmark = pytest.mark.parametrize("service", ["sqlite"], indirect=True)


def _person(service: Service) -> Person:
    with service.session() as session:
        person = session.get(Person, person_with_licence(service))
        assert person is not None
        session.expunge(person)
        return person


def _set_birth(service: Service, born: dt.date) -> None:
    with service.session() as session:
        person = session.get(Person, person_with_licence(service))
        assert person is not None
        person.birth_date = born
        session.commit()


def _share_screen_buttons(driver: Driver) -> str:
    driver.tap_text("Show")
    return driver.text()


def test_names_detail_remove_and_usable_presets(make_app: Callable[..., Driver], service: Service,
                                                tmp_path: Path) -> None:
    person = _person(service)
    driver, _camera = holder(make_app, service, tmp_path)
    assert f"{person.given_name_latin} {person.family_name_latin}" in driver.text()  # English: Latin, given first
    driver.tap_text("Settings")
    driver.tap_text("한국어")
    driver.tap_text("홈")
    assert person.family_name + person.given_name in driver.text()  # Korean: the Hangul name from the licence
    driver.tap_text("설정")
    driver.tap_text("English")
    driver.tap_text("Home")

    driver.tap(driver.button("Details"))  # the licence comes first
    assert driver.screen == "card" and driver.app.phone.wishes.secure
    text = driver.text()
    assert "Sex | Male" in text or "Sex | Female" in text
    for words in ("Licence classes", "Licence conditions", "Aptitude test due date", "Resident address",
                  "Date of issue", "Date of expiry", "Driving privileges"):
        assert words in text, words
    driver.shot("60_card_detail")

    driver.tap_text("Back")
    text = _share_screen_buttons(driver)
    assert "My whole licence" in text
    driver.tap_text("Age attestation")  # custom choice: only what the card holds, not the catalogue's list
    items = [t for t in driver.labels() if "Aged" in t]
    assert items and all(t.startswith("Aged 14") or t.startswith("Aged 19") or t.startswith("Aged 65")
                         for t in items), items
    driver.tap_text("Back")

    set_status_at_issuer(service, licence(driver), "suspended")
    service.clock.advance(minutes=16)  # past the status check's throttle
    assert driver.app.wallet.refresh_status() is not None  # what home does in the background
    text = _share_screen_buttons(driver)
    assert "My whole licence" not in text and "Mobile driver's licence" not in text  # a suspended card offers nothing
    assert "I am 19 or older" in text  # the age attestation still answers

    driver.tap_text("Home")
    driver.tap(driver.button("Details"))
    driver.tap_text("Remove this card")
    assert "Remove Mobile driver's licence from this phone?" in driver.text()
    driver.tap_text("Remove")
    assert driver.screen == "home" and "Mobile driver's licence" not in driver.text()
    assert all(r.type_id != "org.iso.18013.5.1.mDL" for r in driver.app.wallet.wallet.credentials(PIN))


def test_no_answer_and_last_copy_are_said_before_sharing(make_app: Callable[..., Driver], service: Service,
                                                         tmp_path: Path) -> None:
    today = service.clock.now.date()
    _set_birth(service, today.replace(year=today.year - 18))  # 18: the licence, but not yet 19
    driver, _camera = holder(make_app, service, tmp_path)
    driver.tap_text("Show")
    driver.tap_text("I am 19 or older")
    text = driver.text()
    assert 'The answer will be "No" for: Aged 19 or over.' in text and "last single-use copy" not in text
    driver.shot("61_consent_answer_no")
    for _ in range(4):
        driver.app.wallet.present(preset="age19")  # four of the five copies shown
    driver.tap_text("Back")
    driver.tap_text("I am 19 or older")
    assert "This is your last single-use copy." in driver.text() and "link your visits" in driver.text()
    driver.shot("62_consent_last_copy")


def test_pin_change_forgotten_pin_and_one_derivation_per_unlock(make_app: Callable[..., Driver], service: Service,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    driver, _camera = holder(make_app, service, tmp_path)
    derivations: list[int] = []
    real = wallet.pin.hash_secret_raw
    monkeypatch.setattr(wallet.pin, "hash_secret_raw", lambda *a, **k: derivations.append(1) or real(*a, **k))
    for tab in ("Show", "Home", "Add", "Home"):
        driver.tap_text(tab)
    driver.tap_text("What I shared")
    driver.tap_text("Back")
    driver.tap_text("Show")
    driver.tap_text("I am 19 or older")
    driver.tap_text("Share")
    assert driver.screen == "show_qr" and derivations == []  # the key derived at unlock serves every screen

    driver.tap_text("Done")
    driver.tap_text("Settings")
    driver.tap_text("Change PIN")
    old, new, again = driver.inputs()
    driver.type(old, "999999")
    driver.type(new, "135790")
    driver.type(again, "135790")
    driver.tap_text("Change PIN")
    assert "Wrong PIN." in driver.text() and driver.screen == "change_pin"
    driver.type(old, PIN)
    driver.tap_text("Change PIN")
    assert driver.screen == "settings" and "Your PIN was changed." in driver.text()
    driver.tap_text("Lock now")
    assert driver.app.wallet._session is None  # locked: the derived key is gone
    driver.type(driver.inputs()[0], "135790")
    driver.tap_text("Open")
    assert driver.screen == "home"

    driver.tap_text("Settings")
    driver.tap_text("Lock now")
    driver.tap_text("I forgot my PIN")
    assert "nobody can tell it to you or reset it" in driver.text()
    driver.shot("63_forgot_pin")
    driver.tap_text("Delete the wallet and start again")
    driver.tap_text("Delete everything")
    assert driver.screen == "welcome" and not driver.app.wallet.is_initialized()
    assert not (driver.app.data_dir / "wallet" / "credentials").exists()


def test_a_wrong_code_says_how_many_tries_are_left(make_app: Callable[..., Driver], service: Service,
                                                   tmp_path: Path) -> None:
    camera = Camera()
    driver = start(make_app, service, camera)
    onboard(driver)
    offer, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    segno.make(offer, error="m").save(str(tmp_path / "offer.png"), scale=6)
    driver.tap_text("Add")
    camera.paths[:] = [tmp_path / "offer.png"]
    driver.tap_text("Scan with the camera")
    driver.pump_until(lambda: driver.app.screen.offer == offer)  # type: ignore[attr-defined]
    camera.paths.clear()
    driver.type(driver.inputs()[1], str((int(tx_code) + 1) % 10 ** 6).zfill(6))
    driver.tap_text("Receive my cards")
    assert "The code is wrong. You can try 4 more times." in driver.text()
    driver.shot("64_add_wrong_code")
    driver.type(driver.inputs()[1], tx_code)
    driver.tap_text("Receive my cards")
    assert driver.screen == "received"


def test_shop_name_in_requests_and_a_scan_log_without_claims(make_app: Callable[..., Driver], service: Service,
                                                             tmp_path: Path) -> None:
    driver, camera = holder(make_app, service, tmp_path)
    driver.tap_text("Show")
    driver.tap_text("I am 19 or older")
    driver.tap_text("Share")
    qr_png = driver.shot("65_age_qr")
    camera.paths.clear()
    driver.tap_text("Done")
    driver.tap_text("Settings")
    driver.tap_text("Switch to verifier mode")
    driver.tap_text("Sync trusted issuers")
    driver.tap_text("Settings")
    driver.type(driver.inputs()[0], "  한빛마트\n대연점  ")
    driver.tap_text("Save the name")
    assert driver.app.settings.shop_name == "한빛마트 대연점"
    driver.tap_text("Request")
    assert "What do you need to see?" in driver.text()  # only "genuine" chosen: every question is offered
    for question in REQUESTS:
        assert mode_text(question) in driver.labels(), question
    driver.tap_text("Over 19 (alcohol, tobacco)")
    assert driver.app.settings.check == "age19"  # the question asked is the one the answer is judged by
    text = driver.text()
    assert "한빛마트 대연점 asks for:" in text and "Age attestation: Aged 19 or over" in text
    assert "Mobile driver's licence: Aged 19 or over" in text  # alternatives: the wallet answers with one
    assert "This request is valid until" in text
    assert driver.app.verifier.pending_request is not None
    assert driver.app.verifier.pending_request.verifier == "한빛마트 대연점"
    assert dict(driver.app.verifier.pending_request.items) == REQUESTS["age19"]
    driver.shot("66_request_says_what_and_until")

    driver.app.verifier.pending_request = None  # a one-way check next
    camera.paths[:] = [qr_png]
    driver.tap_text("Back")
    driver.pump_until(lambda: driver.screen == "verify_result", timeout=10)
    camera.paths.clear()
    driver.tap_text("Back")
    driver.tap_text("Log")
    text = driver.text()
    # The verdict's answer in the verdict screen's words and colour, never a bare VALID.
    assert "Age attestation" in text and "Aged 19 or over: may sell" in text and "VALID" not in text, text
    answer = next(w for w in driver.widgets() if getattr(w, "text", "") == "Aged 19 or over: may sell")
    assert tuple(answer.color) == tuple(driver.app.theme.palette.ok)
    log = json.loads((driver.app.data_dir / "verifier" / "scan-log.json").read_text("utf-8"))
    assert set(log[0]) == {"at", "document", "valid", "answer"} and "age_over" not in json.dumps(log)
    assert log[0]["answer"] == {"tone": "yes", "key": "age19.yes", "params": {}}
    driver.app.update_settings(language="ko")
    assert "19세 이상 확인 / 판매 가능" in driver.text()
    driver.app.update_settings(language="en")
    driver.shot("67_scan_log")
