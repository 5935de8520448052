"""The QR screens' extras: a verifier request too big for one code is shown as frames in turn and the
wallet reassembles it from photos of them; "Get more copies" refills single-use copies from the real
issuer on a worker thread, with a plain-words result (refused, offline, done)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import segno
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from kivy.core.window import Window

from app.screens.verify import RequestScreen
from app.services import read_request, request_texts
from app.ui import FRAME_SECONDS
from app.verifier_service import REQUESTS
from specs.crypto import SoftwareSigner
from specs.qr.presentation import QrRequest
from specs.x509 import TrustStore
from specs.x509.profile import MDL_READER_EKU
from tests.app.test_flow import Camera, holder, receive, start, to_verifier
from tests.app.test_notices import NoNetwork, ThreadNoting, licence, set_status_at_issuer
from tests.app.test_onboarding import onboard
from tests.conftest import Pki
from tests.issuer.conftest import Service
from tests.wallet.conftest import PIN

if TYPE_CHECKING:
    from tests.app.conftest import Driver


def reader_chain(now: dt.datetime) -> tuple[SoftwareSigner, tuple[bytes, ...]]:
    """A reader certificate under an intermediate CA under a root, each with the extensions ISO/IEC 18013-5
    Annex B asks for: three certificates in the x5chain take a signed request past one version-25 code
    (the reader certificate alone, or with its root, still fits)."""
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    names = [x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hanbit Bank"),
                        x509.NameAttribute(NameOID.COMMON_NAME, cn)])
             for cn in ("Hanbit Bank reader root", "Hanbit Bank reader CA", "Hanbit Bank Daeyeon counter 3")]
    certs = []
    for i, key in enumerate(keys):
        issuer = max(i - 1, 0)
        ca = i < 2
        builder = (x509.CertificateBuilder().subject_name(names[i]).issuer_name(names[issuer])
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(not ca, False, False, False, False, ca, ca, False, False),
                                  critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(keys[issuer].public_key()),
                                  critical=False)
                   .add_extension(x509.IssuerAlternativeName([x509.UniformResourceIdentifier(
                       "https://pki.hanbit-bank.example/reader")]), critical=False)
                   .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint([
                       x509.UniformResourceIdentifier("https://pki.hanbit-bank.example/reader.crl")], None, None,
                       None)]), critical=False))
        if not ca:
            builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(MDL_READER_EKU)]),
                                            critical=True)
        certs.append(builder.sign(keys[issuer], hashes.SHA256()))
    return SoftwareSigner(keys[2]), tuple(c.public_bytes(Encoding.DER) for c in reversed(certs))


def test_big_request_is_shown_in_frames_and_reassembled(make_app: Callable[..., Driver], service: Service,
                                                        tmp_path: Path) -> None:
    driver, camera = holder(make_app, service, tmp_path)
    to_verifier(driver, camera)
    signer, chain = reader_chain(service.clock.now)
    request = QrRequest.create(nonce=secrets.token_bytes(16), verifier="Hanbit Bank, Daeyeon branch",
                               items=REQUESTS["licence"], expires=service.clock.now + dt.timedelta(minutes=5),
                               reader_signer=signer, reader_chain=chain)
    driver.app.go("verify_request", request=request)  # no button makes a signed request (no reader key yet)
    screen = driver.app.screen
    assert isinstance(screen, RequestScreen)
    total = len(screen.texts)
    assert total > 1 and driver.app.verifier.pending_request is request
    assert screen.frames is not None
    shots = driver.shoot_frames(screen.frames, "24_verifier_request_frame")  # each with its "Part i of n"
    assert read_request(screen.texts) == request

    driver.tap_text("Back")  # leaving stops the animation
    frame = screen.frame
    driver.pump(seconds=FRAME_SECONDS * 2.5)
    assert screen.frame == frame

    driver.tap_text("Settings")
    driver.tap_text("Switch to wallet mode")
    driver.type(driver.inputs()[0], PIN)
    driver.tap_text("Open")
    camera.paths[:] = shots
    driver.tap_text("Answer a business's request")
    driver.pump_until(lambda: driver.screen == "consent", timeout=15)
    text = driver.text()
    assert "Hanbit Bank, Daeyeon branch" in text and "Driving privileges" in text  # what the licence question needs
    assert "cannot check who signed it" in text  # no reader roots on this phone: the signature proves nothing
    driver.shot("25_consent_signed_request_unchecked")



def _request_png(request: QrRequest, path: Path) -> Path:
    """The request QR as the business's screen shows it (one code: an Annex B chain fits in one)."""
    texts = request_texts(request)
    assert len(texts) == 1
    segno.make(texts[0], error="m", micro=False).save(str(path), scale=4, border=4)
    return path


def test_signed_request_is_checked_against_reader_roots(make_app: Callable[..., Driver], service: Service,
                                                        pki: Pki, tmp_path: Path) -> None:
    """ISO/IEC 18013-5 B.1.7 reader authentication on the consent screen: "checked" only when the reader
    certificate chains to a root this phone trusts and signs this request; a bad signature is refused."""
    driver, camera = holder(make_app, service, tmp_path)

    def scan(request: QrRequest, name: str) -> str:
        camera.paths[:] = [_request_png(request, tmp_path / f"{name}.png")]
        while driver.screen != "home":  # back the way a holder goes: consent -> share -> Home
            driver.tap_text("Home" if driver.screen == "share" else "Back")
        driver.tap_text("Answer a business's request")
        driver.pump_until(lambda: driver.screen == "consent" or "does not check out" in driver.text()
                          or "none of the IDs" in driver.text(), timeout=15)
        return driver.text()

    def request(**signing: object) -> QrRequest:
        return QrRequest.create(nonce=secrets.token_bytes(16), verifier="Hanbit Bank, Daeyeon branch",
                                items=REQUESTS["identity"], expires=service.clock.now + dt.timedelta(minutes=5),
                                **signing)  # type: ignore[arg-type]

    signed = request(reader_signer=pki.reader_signer, reader_chain=(pki.reader.public_bytes(Encoding.DER),))
    assert "cannot check who signed it" in scan(signed, "unchecked")  # this phone has no reader roots yet

    driver.app.wallet.reader_roots = TrustStore.from_pem(pki.reader_root.public_bytes(Encoding.PEM))
    assert "Signed by test reader: checked." in scan(signed, "checked")
    driver.shot("25_consent_signed_request_checked")

    impostor = request(reader_signer=SoftwareSigner.generate(),  # someone else's key under the bank's certificate
                       reader_chain=(pki.reader.public_bytes(Encoding.DER),))
    text = scan(impostor, "impostor")
    assert driver.screen == "scan_request" and "does not check out" in text and "qr." not in text

    assert "did not sign its request" in scan(request(), "unsigned")

    resident_only = QrRequest.create(nonce=secrets.token_bytes(16), verifier="Hanbit Bank, Daeyeon branch",
                                     items={"kr.mobileid.resident_card.1": ("family_name",)},
                                     expires=service.clock.now + dt.timedelta(minutes=5))
    text = scan(resident_only, "resident_only")  # this wallet holds a licence and age attestations only
    assert driver.screen == "scan_request" and "none of the IDs" in text and "wallet." not in text


def _share_age(driver: Driver) -> None:
    driver.tap_text("Show")
    driver.tap_text("I am 19 or older")
    driver.tap_text("Share")
    assert driver.screen == "show_qr"


def _use_copies(driver: Driver, times: int) -> None:
    """The holder showed the age check this many times already (the same presenter the screens use)."""
    for _ in range(times):
        driver.app.wallet.present(preset="age19")


def test_get_more_copies_refused_then_done(make_app: Callable[..., Driver], service: Service,
                                           tmp_path: Path) -> None:
    camera = Camera()
    driver = start(make_app, service, camera)
    network = ThreadNoting(service.client)
    driver.app.wallet.http = network
    onboard(driver)
    receive(driver, service, camera, tmp_path)
    _use_copies(driver, 3)
    _share_age(driver)  # the fourth of five: one copy is left
    assert "Few single-use copies left" in driver.text()

    set_status_at_issuer(service, licence(driver), "suspended")  # remote issuance needs a licence in force
    driver.tap_text("Get more copies")
    driver.pump_until(lambda: "Could not get more copies" in driver.text(), timeout=15)
    assert "The issuer refused" in driver.text() and "credential.remote_offer" not in driver.text()
    assert driver.screen == "show_qr" and "Valid for" in driver.text()  # the code on screen is still good
    driver.shot("26_show_qr_refill_refused")

    set_status_at_issuer(service, licence(driver), "valid")
    driver.tap_text("Get more copies")
    driver.pump_until(lambda: "Done: you now have 5 single-use copies." in driver.text(), timeout=15)
    assert "Get more copies" not in driver.labels()  # enough copies again: the button is gone
    assert set(network.threads("/remote/")) == {"mobileid-background"}  # never on the UI thread
    driver.shot("27_show_qr_refill_done")
    driver.tap_text("Done")
    assert "5 single-use copies left" in driver.text()


def test_get_more_copies_offline(make_app: Callable[..., Driver], service: Service, tmp_path: Path) -> None:
    driver, _camera = holder(make_app, service, tmp_path)
    _use_copies(driver, 3)
    phone = driver.app.data_dir
    driver.app.dispatch("on_stop")
    Window.remove_widget(driver.app.root)

    driver = make_app(phone, http=NoNetwork(), clock=lambda: service.clock.now)
    driver.type(driver.inputs()[0], PIN)
    driver.tap_text("Open")
    _share_age(driver)
    driver.tap_text("Get more copies")
    driver.pump_until(lambda: "Could not get more copies" in driver.text(), timeout=15)
    assert "No connection" in driver.text() and "ConnectError" not in driver.text()
    assert driver.button("Get more copies")  # try again later
    driver.app.dispatch("on_stop")
    Window.remove_widget(driver.app.root)

    driver = make_app(phone, clock=lambda: service.clock.now)  # no network client: no button to press
    driver.type(driver.inputs()[0], PIN)
    driver.tap_text("Open")
    _share_age(driver)
    assert "Few single-use copies left" in driver.text() and "Get more copies" not in driver.text()


def test_an_expired_code_offers_a_new_one(make_app: Callable[..., Driver], service: Service,
                                          tmp_path: Path) -> None:
    driver, _camera = holder(make_app, service, tmp_path)
    _share_age(driver)
    first = driver.app.nav_args["presentation"].texts
    assert "Make a new code" not in driver.text()
    service.clock.advance(seconds=61)
    driver.pump(seconds=0.4)
    text = driver.text()
    assert "This code has expired." in text and "Make a new code" in text
    assert driver.app.screen.qr.opacity == 0  # type: ignore[attr-defined]  # an expired code is not shown
    driver.shot("28_show_qr_expired")
    driver.tap_text("Make a new code")
    assert driver.screen == "consent" and "Aged 19 or over" in driver.text()  # the same choice, agreed again
    driver.tap_text("Share")
    assert driver.screen == "show_qr" and "Valid for 60 seconds" in driver.text()
    assert driver.app.nav_args["presentation"].texts != first
