"""Security suite, the mobileid QR profile (docs specs/qr-presentation.md): replay, relay, frame mixing.

Runs the real issuer -> wallet -> QR -> offline verifier flow (tests/verifier/test_qr.py's ``Story``) on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from issuer.db.models import Business
from issuer.validity import WINDOW
from specs.cbor import decode
from specs.errors import QrError, QrFrameError
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.presentation import build_document
from specs.mdoc.response import DeviceResponse
from specs.qr import FrameCollector, decode_message, encode_message, profile_texts
from specs.qr.presentation import ONE_WAY, QrResponse, decode_qr_message, one_way_transcript
from tests.issuer.conftest import Service, enroll, person_with_licence
from tests.verifier.test_qr import Story, _answer_as
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.present import Presenter, strip_certificate
from wallet.wallet import Wallet

pytestmark = pytest.mark.parametrize("service", ["sqlite"], indirect=True)
MDL_NS = "org.iso.18013.5.1.mDL"
AGE = "kr.mobileid.age.1"
BUSINESS = "urn:mobileid:kr:business_registration:1"


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


# -- a two-way answer shows only what was asked (profile §4, §7 step 10) -------------------------------------
def test_qr_two_way_answer_releasing_more_than_asked(story: Story) -> None:
    """A modified wallet's bound answer that releases an element the request did not name is refused, and
    nothing of it is shown: the holder consented to the request's list only."""
    verifier = story.verifier()
    request = verifier.request({MDL_NS: ["family_name", "given_name"]})
    more = _answer_as(story, request, MDL_NS, ("family_name", "given_name", "birth_date", "resident_address"))
    result = verifier.verify_qr(more, request=request)
    _refused(result, "qr.elements_not_requested")
    assert "birth_date" not in result.errors[0].message  # says how many, not which values or names
    exact = verifier.verify_qr(_answer_as(story, request, MDL_NS, ("family_name", "given_name")), request=request)
    assert exact.valid and set(exact.claims["org.iso.18013.5.1"]) == {"family_name", "given_name"}


def test_qr_answer_holding_two_documents(story: Story) -> None:
    """A DeviceResponse with a second document (its claims would merge into the first's) is refused, even
    though each document verifies on its own (profile §4: one document per answer)."""
    now = story.service.clock.now.replace(microsecond=0)
    nonce = bytes(range(16))
    master = story.wallet.unlock(PIN)
    store = story.wallet.store(master)
    keys = story.wallet.device_keys(PIN, master)
    transcript = one_way_transcript(nonce, now)
    documents = []
    for identifier, namespace, element in ((AGE, AGE, "age_over_19"), (MDL_NS, "org.iso.18013.5.1", "family_name")):
        _, record = story.presenter._for_type(store, identifier)
        assert isinstance(record.credential, bytes)
        signed = strip_certificate(IssuerSigned.from_cbor_value(decode(record.credential)))
        documents.append(build_document(signed, {namespace: [element]}, transcript,
                                        device_signer=keys.signer(record.device_key_alias)))
    for docs, valid in (((documents[0],), True), (tuple(documents), False)):
        message = QrResponse(ONE_WAY, "mdoc", DeviceResponse(docs).to_cbor(), nonce, now).to_cbor()
        result = story.verifier().verify_qr(profile_texts(message))
        if valid:
            assert result.valid, result.errors
        else:
            _refused(result, "mdoc.document_count")


@pytest.fixture
def business(service: Service, tmp_path: Path) -> Story:
    with service.session() as session:
        owner = session.scalars(select(Business.representative_id).order_by(Business.id)).first()
    assert owner is not None
    wallet = Wallet(tmp_path / "owner", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, owner, ["business_registration"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    return Story(service, wallet, Presenter(wallet, clock=lambda: service.clock.now))


def test_qr_sd_jwt_answer_extra_disclosure_refused_always_visible_dropped(business: Story) -> None:
    """SD-JWT VC: an extra disclosure is refused; a claim the issuer made always visible (the registration
    number) cannot be withheld by any wallet, so when it was not asked for it is dropped before anyone sees it."""
    verifier = business.verifier()
    request = verifier.request({BUSINESS: ["business_name", "business_status"]})
    shown = business.presenter.present(PIN, request=request)
    result = verifier.verify_qr(shown.texts, request=request)
    assert result.valid, result.errors
    assert set(result.claims) == {"business_name", "business_status"}  # registration_number dropped
    request = verifier.request({BUSINESS: ["business_name"]})
    more = _answer_as(business, request, BUSINESS, ("business_name", "representative"))
    _refused(verifier.verify_qr(more, request=request), "qr.elements_not_requested")


def test_qr_copies_of_a_batch_are_not_linkable_by_their_times(story: Story) -> None:
    """Three one-way codes made with three copies of one batch: the MSOs' signed/validFrom/validUntil differ
    (each copy has its own offset, profile §8.6), all within the window before issuance, and all verify."""
    verifier = story.verifier()
    seen = []
    for _ in range(3):
        shown = story.presenter.present(PIN, preset="age19")
        answer = decode_qr_message(decode_message(shown.texts))
        assert isinstance(answer, QrResponse) and isinstance(answer.data, bytes)
        info = DeviceResponse.from_cbor(answer.data).documents[0].issuer_signed.mso.validity_info
        seen.append((info.signed, info.valid_from, info.valid_until))
        assert verifier.verify_qr(shown.texts).valid
    issued = story.service.clock.now
    for signed, valid_from, valid_until in seen:
        assert issued - WINDOW <= signed == valid_from <= issued and valid_until - valid_from == seen[0][2] - seen[0][1]
    assert len({s[0] for s in seen}) > 1 and len({s[2] for s in seen}) > 1  # all equal: once in 86401**2 batches
