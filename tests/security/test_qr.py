"""Security suite, the mobileid QR profile (docs specs/qr-presentation.md): replay, relay, frame mixing.

Runs the real issuer -> wallet -> QR -> offline verifier flow (tests/verifier/test_qr.py's ``Story``) on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from specs.errors import QrError, QrFrameError
from specs.qr import FrameCollector, encode_message
from tests.issuer.conftest import Service, enroll, person_with_licence
from tests.verifier.test_qr import Story
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.present import Presenter
from wallet.wallet import Wallet

pytestmark = pytest.mark.parametrize("service", ["sqlite"], indirect=True)
MDL_NS = "org.iso.18013.5.1.mDL"


@pytest.fixture
def story(service: Service, tmp_path: Path) -> Iterator[Story]:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now, batch={"age_attestation": 3})
    yield Story(service, wallet, Presenter(wallet, clock=lambda: service.clock.now))


def _refused(result: Any, code: str) -> None:
    assert result.valid is False and result.claims == {}
    assert [e.code for e in result.errors] == [code]


def test_qr_replay(story: Story) -> None:
    """A one-way QR scanned a second time by the same verifier is refused (QR profile: nonce replay cache)."""
    shown = story.presenter.present(PIN, preset="age19")
    verifier = story.verifier()
    assert verifier.verify_qr(shown.texts[0]).valid
    _refused(verifier.verify_qr(shown.texts[0]), "qr.replay")


def test_qr_replay_after_window(story: Story) -> None:
    """A one-way QR photographed and shown later (outside the freshness window) is refused (QR profile §one-way)."""
    shown = story.presenter.present(PIN, preset="age19")
    verifier = story.verifier()
    story.service.clock.advance(seconds=61)
    _refused(verifier.verify_qr(shown.texts[0]), "qr.expired")


def test_qr_relay_to_another_verifier(story: Story) -> None:
    """A two-way answer made for verifier A's request fails at verifier B (18013-5 §9.1.3 SessionTranscript)."""
    alice, bob = story.verifier(), story.verifier()
    request_a = alice.request({MDL_NS: ["family_name"]})
    request_b = bob.request({MDL_NS: ["family_name"]})
    shown = story.presenter.present(PIN, request=request_a)
    _refused(bob.verify_qr(shown.texts, request=request_b), "mdoc.device_signature_invalid")
    assert alice.verify_qr(shown.texts, request=request_a).valid


def test_qr_two_way_answer_without_request(story: Story) -> None:
    """A two-way answer scanned without the request it answers is refused (QR profile: two-way binding)."""
    shown = story.presenter.present(PIN, request=story.verifier().request({MDL_NS: ["family_name"]}))
    _refused(story.verifier().verify_qr(shown.texts), "qr.no_request")


def test_qr_mixed_frames(story: Story) -> None:
    """Frames from two messages cannot be spliced into one (QR profile: message id per frame)."""
    a = story.presenter.present(PIN, preset="name_photo")
    b = story.presenter.present(PIN, preset="name_photo")
    assert len(a.texts) > 1
    _refused(story.verifier().verify_qr([a.texts[0], *b.texts[1:]]), "qr.frame_mixed")
    collector = FrameCollector()
    collector.add(a.texts[0])
    with pytest.raises(QrFrameError) as info:
        collector.add(b.texts[1])
    assert info.value.code == "qr.frame_mixed"


def test_qr_verifier_request_is_not_an_answer(story: Story) -> None:
    """A verifier's own request QR fed back as an answer is refused (QR profile: message type)."""
    verifier = story.verifier()
    request = verifier.request({MDL_NS: ["family_name"]})
    result = verifier.verify_qr(encode_message(request.to_cbor())[0])
    _refused(result, "qr.message_type")
    assert issubclass(QrFrameError, QrError)
