"""The app against a running issuer over real sockets (uvicorn on 127.0.0.1, httpx as ``python -m app``
makes it): no root given, so the wallet pins the configured issuer's root on first use; the offer QR is
read by the camera, the cards arrive over HTTP, the age QR is shown, and verifier mode syncs its trust
bundle over HTTP and scans that QR -> green."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import segno

from issuer.offers import create_offer, record_check
from issuer.web.app import create_app
from tests.app.test_flow import Camera
from tests.app.test_onboarding import onboard
from tests.issuer.conftest import Service, free_port, person_with_licence, serve

if TYPE_CHECKING:
    from tests.app.conftest import Driver


def _offer(service: Service, issuer_url: str) -> tuple[str, str]:
    """An offer made at the counter of the issuer at ``issuer_url`` (its in-person check, then the offer)."""
    from sqlalchemy import select

    from issuer.db.models import Person, Staff
    from issuer.keys import tx_code_pepper

    with service.session() as session:
        staff = session.scalars(select(Staff).where(Staff.username == "clerk1")).one()
        person = session.get(Person, person_with_licence(service))
        assert person is not None
        check = record_check(session, staff=staff, person=person, document_kind="id_card",
                             document_number="live-0001", photo_match=True, notes="", now=service.clock.now)
        offer = create_offer(session, check=check, staff=staff, configurations=["mdl", "age_attestation"],
                             issuer_url=issuer_url, ttl_seconds=600, now=service.clock.now,
                             pepper=tx_code_pepper(service.settings.data_dir))
        session.commit()
    return offer.offer_uri, offer.tx_code


def test_app_against_a_running_issuer_over_http(make_app: Callable[..., Driver], service: Service,
                                                tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = service.settings.model_copy(update={"public_url": url})
    with serve(create_app(settings, clock=service.clock), port), httpx.Client(timeout=20) as http:
        camera = Camera()
        driver = make_app(http=http, clock=lambda: service.clock.now, issuer_url=url, frame_source=camera)
        onboard(driver)
        offer, tx_code = _offer(service, url)
        segno.make(offer, error="m").save(str(tmp_path / "offer.png"), scale=6)
        driver.tap_text("Add")
        camera.paths[:] = [tmp_path / "offer.png"]
        driver.tap_text("Scan with the camera")
        driver.pump_until(lambda: driver.app.screen.offer == offer)  # type: ignore[attr-defined]
        driver.type(driver.inputs()[1], tx_code)
        driver.tap_text("Receive my cards")
        assert driver.screen == "received", driver.text()
        assert "Mobile driver's licence" in driver.text() and "Age attestation" in driver.text()
        assert driver.app.wallet.wallet.trust().anchors  # the issuer root, pinned on first use over HTTP

        driver.tap_text("Go to my wallet")
        driver.tap_text("Show")
        driver.tap_text("I am 19 or older")
        driver.tap_text("Share")
        qr_png = driver.shot("40_live_show_qr_age")

        driver.tap_text("Done")
        camera.paths.clear()  # the camera sees nothing until the QR is held up
        driver.tap_text("Settings")
        driver.tap_text("Switch to verifier mode")
        driver.tap_text("Sync trusted issuers")
        assert driver.app.verifier.has_bundle()  # bundle and pinned root fetched over HTTP
        camera.paths[:] = [qr_png]
        driver.pump_until(lambda: driver.screen == "verify_result", timeout=15)
        assert "Genuine" in driver.text() and "Not verified" not in driver.text(), driver.text()
        driver.shot("41_live_verify_valid")
