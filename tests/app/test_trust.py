"""Where the app's trust comes from: the issuer root it ships with (or ``--trust-root``), else the root of the
issuer it is configured for, fetched on first use; never the offer's own URL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from app.verifier_service import VerifierService
from specs.errors import MobileIdError
from specs.x509 import TrustStore
from tests.app.test_flow import ISSUER_URL, Camera, receive
from tests.app.test_notices import ThreadNoting
from tests.app.test_onboarding import onboard
from tests.conftest import Pki
from tests.issuer.conftest import Service

if TYPE_CHECKING:
    from tests.app.conftest import Driver


def test_wallet_without_a_shipped_root_trusts_its_configured_issuer_on_first_use(
        make_app: Callable[..., Driver], service: Service, tmp_path: Path) -> None:
    camera = Camera()
    network = ThreadNoting(service.client)
    driver = make_app(http=network, clock=lambda: service.clock.now, issuer_url=ISSUER_URL, frame_source=camera)
    onboard(driver)
    assert not driver.app.wallet.wallet._trust_path.exists()  # nothing trusted before the first card
    receive(driver, service, camera, tmp_path)
    assert network.threads("/trust/root.pem")  # fetched from the configured issuer
    root = TrustStore.from_pem(service.client.get("/trust/root.pem").content).anchors
    assert list(driver.app.wallet.wallet.trust().anchors) == list(root)


def test_shipped_root_is_used_and_nothing_is_fetched(make_app: Callable[..., Driver], service: Service,
                                                    tmp_path: Path) -> None:
    camera = Camera()
    network = ThreadNoting(service.client)
    shipped = service.client.get("/trust/root.pem").content
    driver = make_app(http=network, clock=lambda: service.clock.now, issuer_url=ISSUER_URL, frame_source=camera,
                      trust_pem=shipped)
    onboard(driver)
    receive(driver, service, camera, tmp_path)
    assert driver.app.verifier.sync() is not None
    assert network.threads("/trust/root.pem") == []  # wallet and verifier mode both use the shipped root


def test_verifier_refuses_a_bundle_not_under_the_shipped_root(service: Service, pki: Pki, tmp_path: Path) -> None:
    other_root = pki.iaca.public_bytes(Encoding.PEM)  # another IACA than the issuer's
    verifier = VerifierService(tmp_path / "verifier", http=service.client, issuer_url=ISSUER_URL,
                               clock=lambda: service.clock.now, root_pem=other_root)
    for _ in range(2):  # the shipped root stays the one checked against: a second try is refused too
        with pytest.raises(MobileIdError) as refused:
            verifier.sync()
        assert refused.value.code == "trust.bundle_signature"
        assert not verifier.has_bundle() and not list((tmp_path / "verifier").glob("copy-*"))
    assert not (tmp_path / "verifier" / "root.pem").exists()  # nothing pinned from the issuer's side
