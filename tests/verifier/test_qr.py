"""End to end across issuer, wallet and verifier over the QR profile: counter enrolment -> wallet ->
one-way and two-way QR -> offline verification against the exported trust bundle."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import segno
from sqlalchemy import select

from issuer.db.models import Credential
from issuer.status import change_status
from specs.catalogue import Catalogue
from specs.errors import WalletError
from specs.qr import b45decode, encode_message, profile_texts
from specs.qr.presentation import QrRequest, QrResponse
from tests.issuer.conftest import Service, enroll, person_with_licence
from tests.verifier.online import service_trust
from tests.wallet.conftest import FAST_KDF, PIN
from verifier.qr import Policy, Verifier
from verifier.trust import VerifierTrust
from wallet.present import Presenter
from wallet.wallet import Wallet


@dataclass
class Story:
    service: Service
    wallet: Wallet
    presenter: Presenter

    def trust(self) -> VerifierTrust:
        return service_trust(self.service)

    def verifier(self, **policy: object) -> Verifier:
        return Verifier(self.trust(), clock=lambda: self.service.clock.now, policy=Policy(**policy))  # type: ignore[arg-type]


@pytest.fixture
def story(service: Service, tmp_path: Path) -> Iterator[Story]:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now, batch={"age_attestation": 3})
    yield Story(service, wallet, Presenter(wallet, clock=lambda: service.clock.now))


def test_one_way_age_check(story: Story) -> None:
    shown = story.presenter.present(PIN, preset="age19")
    assert shown.type_id == "age_attestation" and shown.elements == ("age_over_19",)
    (text,) = shown.texts  # one QR code
    assert len(b45decode(text.split(":", 1)[1])) <= 600  # the profile's size goal for an age check
    assert segno.make(text, error="m").version <= 20
    verifier = story.verifier()
    result = verifier.verify_qr(text)
    assert result.valid, result.errors
    assert result.claims == {"kr.mobileid.age.1": {"age_over_19": True}} or list(
        result.claims["kr.mobileid.age.1"]) == ["age_over_19"]
    assert result.status == "valid" and result.holder_bound
    assert result.type_name["en"]
    replay = verifier.verify_qr(text)
    assert not replay.valid and replay.errors[0].code == "qr.replay" and replay.claims == {}


def test_each_presentation_uses_a_fresh_copy(story: Story) -> None:
    first = story.presenter.present(PIN, preset="age19")
    second = story.presenter.present(PIN, preset="age19")
    assert first.message != second.message
    texts = [story.verifier().verify_qr(p.texts[0]) for p in (first, second)]
    assert all(r.valid for r in texts)
    assert second.needs_refill  # one unused copy left of three


def test_one_way_outside_the_window(story: Story) -> None:
    shown = story.presenter.present(PIN, preset="age19")
    verifier = story.verifier()
    story.service.clock.advance(seconds=61)
    result = verifier.verify_qr(shown.texts[0])
    assert not result.valid and result.errors[0].code == "qr.expired"


def test_two_way_licence_with_portrait_in_frames(story: Story) -> None:
    verifier = story.verifier()
    request = verifier.request({"org.iso.18013.5.1.mDL": ["family_name", "given_name", "portrait"]})
    request_texts = encode_message(request.to_cbor())
    from specs.qr import FrameCollector
    from specs.qr.presentation import QrRequest, decode_qr_message

    collector = FrameCollector()
    for text in request_texts:
        collector.add(text)
    scanned = decode_qr_message(collector.message())
    assert isinstance(scanned, QrRequest) and scanned == request
    shown = story.presenter.present(PIN, request=scanned)
    assert set(shown.elements) == {"family_name", "given_name", "portrait"}
    result = verifier.verify_qr(list(reversed(shown.texts)), request=request)  # frames in any order
    assert result.valid, result.errors
    assert result.portrait is not None and result.portrait[:2] == b"\xff\xd8"
    other = verifier.request({"org.iso.18013.5.1.mDL": ["family_name"]})
    relayed = story.verifier().verify_qr(shown.texts, request=other)  # answer relayed to another request
    assert not relayed.valid and relayed.errors[0].code == "mdoc.device_signature_invalid"


def _answer_as(story: Story, request: QrRequest, identifier: str, elements: tuple[str, ...]) -> tuple[str, ...]:
    """What a modified wallet could send: a properly device-signed two-way answer to ``request``, built from
    the credential and elements *it* chooses rather than those asked for."""
    master = story.wallet.unlock(PIN)
    doc_type, record = story.presenter._for_type(story.wallet.store(master), identifier)
    signer = story.wallet.device_keys(PIN, master).signer(record.device_key_alias)
    message, _ = story.presenter._respond(record, doc_type, elements, signer, request, story.service.clock.now)
    return profile_texts(message)


def test_two_way_answer_must_be_what_was_asked(story: Story) -> None:
    """Fail closed: a valid, bound answer that is another document, or lacks a requested element, is refused."""
    verifier = story.verifier()
    request = verifier.request({"org.iso.18013.5.1.mDL": ["family_name", "given_name", "portrait"]})
    other_document = _answer_as(story, request, "kr.mobileid.age.1", ("age_over_19",))
    result = verifier.verify_qr(other_document, request=request)
    assert not result.valid and result.errors[0].code == "qr.not_requested" and result.claims == {}
    too_little = _answer_as(story, request, "org.iso.18013.5.1.mDL", ("family_name", "given_name"))
    result = verifier.verify_qr(too_little, request=request)
    assert not result.valid and result.errors[0].code == "qr.elements_missing" and result.claims == {}
    assert "portrait" in result.errors[0].message
    complete = _answer_as(story, request, "org.iso.18013.5.1.mDL", ("family_name", "given_name", "portrait"))
    assert verifier.verify_qr(complete, request=request).valid  # refusals did not use up the request


def test_request_naming_alternatives_is_answered_with_a_held_one(story: Story) -> None:
    """Several request entries are alternatives: this wallet holds no resident card, so it answers with the
    licence; a request for documents it holds none of is refused on the phone, before anything is signed."""
    verifier = story.verifier()
    request = verifier.request({"kr.mobileid.resident_card.1": ["family_name", "portrait"],
                                "org.iso.18013.5.1.mDL": ["family_name", "portrait"]})
    assert story.presenter.answer_for(PIN, request) == ("org.iso.18013.5.1.mDL", ("family_name", "portrait"))
    shown = story.presenter.present(PIN, request=request)
    assert shown.type_id == "mdl"
    result = verifier.verify_qr(shown.texts, request=request)
    assert result.valid and result.doctype == "org.iso.18013.5.1.mDL", result.errors
    unheld = verifier.request({"kr.mobileid.resident_card.1": ["family_name"]})
    with pytest.raises(WalletError) as err:
        story.presenter.present(PIN, request=unheld)
    assert err.value.code == "wallet.no_credential"


def test_qr_image_round_trip(story: Story, tmp_path: Path) -> None:
    shown = story.presenter.present(PIN, preset="age19")
    path = tmp_path / "age.png"
    segno.make(shown.texts[0], error="m").save(path, scale=4)
    result = story.verifier().verify_qr(path.read_bytes())
    assert result.valid, result.errors


def test_revoked_and_stale(story: Story) -> None:
    shown = story.presenter.present(PIN, preset="age19")
    with story.service.session() as session:
        for row in session.scalars(select(Credential)):
            change_status(session, row, "revoked", actor="test", reason="test")
        session.commit()
    result = story.verifier().verify_qr(shown.texts[0])
    assert not result.valid and result.status == "revoked" and result.errors[0].code == "status.revoked"
    verifier = story.verifier(max_bundle_age=dt.timedelta(hours=1))
    story.service.clock.advance(hours=2)
    stale = verifier.verify_qr(shown.texts[0])
    assert not stale.valid and stale.errors[0].code == "trust.bundle_stale"


def test_tampered_and_garbage(story: Story) -> None:
    shown = story.presenter.present(PIN, preset="age19")
    verifier = story.verifier()
    response = QrResponse(2, "mdoc", shown.message[:-1] + b"\x00", b"\x01" * 16, story.service.clock.now)
    cases = {
        "qr.frame_prefix": "HELLO",
        "qr.frame_version": "MID9/1/1/ABCDEF:00",
        "qr.base45_invalid": "MID2:~~~",
        "qr.frame_not_zlib": "MID2:" + shown.texts[0][5:41],
        "qr.frame_dictionary": "MID1:" + shown.texts[0][5:],  # the MID2 stream under the MID1 prefix
    }
    for code, text in cases.items():
        result = verifier.verify_qr(text)
        assert not result.valid and result.claims == {}
        assert result.errors[0].code == code, (code, result.errors)
    tampered = verifier.verify_qr(encode_message(response.to_cbor())[0])
    assert not tampered.valid and tampered.claims == {}


def test_mixed_frames_are_refused(story: Story) -> None:
    a = story.presenter.present(PIN, preset="name_photo")
    b = story.presenter.present(PIN, preset="name_photo")
    assert len(a.texts) > 1
    result = story.verifier().verify_qr([a.texts[0], *b.texts[1:]])
    assert not result.valid and result.errors[0].code == "qr.frame_mixed"


def test_history_names_elements_never_values(story: Story) -> None:
    from wallet.history import History

    story.presenter.present(PIN, preset="age19")
    entries = History(story.wallet.folder, story.wallet.keys.unlock(PIN)).entries()
    assert [(e.type_id, e.elements, e.mode) for e in entries] == [("age_attestation", ("age_over_19",), "one-way")]
    assert b"age_over_19" not in (story.wallet.folder / "credentials" / "credentials.json").read_bytes()  # sealed






def test_picture_with_two_different_codes_is_ambiguous(story: Story) -> None:
    """Issue 13 item 4: two different mobileid codes in one picture are refused, never decided by which one
    the decoder returns first; the same code twice is one code."""
    import io

    from PIL import Image

    from specs.io.symbols import png

    def picture(*texts: str) -> bytes:
        codes = [Image.open(io.BytesIO(png(text, scale=3))) for text in texts]
        canvas = Image.new("L", (sum(c.width + 20 for c in codes), max(c.height for c in codes)), 255)
        for i, code in enumerate(codes):
            canvas.paste(code, (sum(c.width + 20 for c in codes[:i]), 0))
        buffer = io.BytesIO()
        canvas.save(buffer, format="PNG")
        return buffer.getvalue()

    first, second = (story.presenter.present(PIN, preset="age19").texts[0] for _ in range(2))
    verifier = story.verifier()
    both = verifier.verify_qr(picture(first, second))
    assert not both.valid and both.claims == {} and both.errors[0].code == "qr.ambiguous", both.errors
    assert not verifier.verify_qr([first, second]).valid  # the same texts given as text
    twice = verifier.verify_qr(picture(first, first))
    assert twice.valid, twice.errors


def test_replay_cache_and_clock_are_passed_in(story: Story) -> None:
    """Two verifiers sharing one replay cache (two tills of one shop) refuse a code the other accepted; the
    clock passed in is the only "now" (the code expires by it, not by the machine's time)."""
    from verifier.qr import ReplayCache

    shared = ReplayCache()
    trust = story.trust()
    clock = story.service.clock
    first, second = (Verifier(trust, clock=clock, replays=shared) for _ in range(2))
    text = story.presenter.present(PIN, preset="age19").texts[0]
    assert first.verify_qr(text).valid
    again = second.verify_qr(text)
    assert not again.valid and again.errors[0].code == "qr.replay"
    separate = Verifier(trust, clock=clock)  # its own cache: a fresh verifier has seen nothing
    assert separate.replays is not shared
    late = story.presenter.present(PIN, preset="age19").texts[0]
    clock.advance(seconds=61)
    expired = separate.verify_qr(late)
    assert not expired.valid and expired.errors[0].code == "qr.expired"


def test_the_type_name_comes_from_the_verifiers_catalogue(tmp_path: Path) -> None:
    """The profile's worked example, verified against its trust bundle: the result names its type from the
    catalogue the verifier holds now (looked up once per catalogue, so a catalogue given later is used at once);
    a catalogue that does not list the type leaves the name empty and the verdict unchanged; a refused answer
    carries no name."""
    from specs.catalogue import Catalogue
    from specs.x509 import TrustStore
    from tests.verifier.test_profile_document import EXAMPLE_NOW, ROOT, VECTORS, _example
    from tests.verifier.test_result import TYPES, renamed_catalogue

    _, text = _example()
    trust = VerifierTrust.from_bundle((ROOT / VECTORS / "trust_bundle.cbor").read_bytes(),
                                      TrustStore.from_pem((ROOT / VECTORS / "iaca_root.pem").read_bytes()),
                                      now=EXAMPLE_NOW)
    verifier = Verifier(trust, clock=lambda: EXAMPLE_NOW)
    first = verifier.verify_qr(text)
    assert first.valid and dict(first.type_name) == {"ko": "연령 확인 증명", "en": "Age attestation"}
    replay = verifier.verify_qr(text)
    assert replay.errors[0].code == "qr.replay" and not replay.type_name
    licence_only = tmp_path / "licence"
    licence_only.mkdir()
    shutil.copy(TYPES / "mdl.json", licence_only)
    renamed = renamed_catalogue(tmp_path / "renamed", "Proof of age")
    for catalogue, names in [(renamed, {"ko": "나이 증명", "en": "Proof of age"}),
                             (Catalogue.from_folder(licence_only), {}), (Catalogue.load_default(), first.type_name)]:
        fresh = Verifier(trust, clock=lambda: EXAMPLE_NOW, catalogue=catalogue)
        result = fresh.verify_qr(text)
        assert result.valid and dict(result.type_name) == names
    verifier.catalogue = renamed_catalogue(tmp_path / "later", "Age proof")
    verifier.replays = type(verifier.replays)()
    assert verifier.verify_qr(text).type_name["en"] == "Age proof"


@pytest.mark.parametrize("offset", [dt.timedelta(minutes=-5, microseconds=-1), dt.timedelta(minutes=-5),
                                    dt.timedelta(0), dt.timedelta(hours=1), dt.timedelta(hours=1, microseconds=1),
                                    dt.timedelta(days=7), dt.timedelta(days=7, microseconds=1)])
def test_bundle_age_span_is_check_bundle_age(offset: dt.timedelta) -> None:
    """The verifier works out once per bundle and policy the span in which ``check_bundle_age`` passes; at
    each edge (and after the bundle or the policy changes) it refuses exactly what that check refuses."""
    from specs.trust import TrustBundleError, check_bundle_age
    from specs.x509 import TrustStore

    issued = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    verifier = Verifier(VerifierTrust(anchors=TrustStore.of([]), bundle_issued_at=issued))
    for max_age in (dt.timedelta(days=7), dt.timedelta(hours=1)):
        verifier.policy = Policy(max_bundle_age=max_age)
        for when in (issued, issued - dt.timedelta(days=1)):  # the same verifier given a newer or older bundle
            verifier.trust = VerifierTrust(anchors=TrustStore.of([]), bundle_issued_at=when)
            now = when + offset
            try:
                check_bundle_age(when, now, max_age)
                expected = None
            except TrustBundleError as exc:
                expected = exc.code
            try:
                verifier._check_bundle(now)
                got = None
            except TrustBundleError as exc:
                got = exc.code
            assert got == expected
            assert (expected is None) == (dt.timedelta(minutes=-5) <= offset <= max_age)


def test_an_empty_catalogue_given_is_the_catalogue_used() -> None:
    """A catalogue is used as given, even one with no types (it has a length, so it is falsy: `or` would swap in
    the default catalogue and label what the caller chose not to)."""
    from specs.x509 import TrustStore

    empty = Catalogue([])
    assert len(empty) == 0
    assert Verifier(VerifierTrust(anchors=TrustStore.of([])), catalogue=empty).catalogue is empty
    assert Verifier(VerifierTrust(anchors=TrustStore.of([]))).catalogue is Catalogue.load_default()


def test_the_common_scan_is_read_in_one_step_with_the_same_results(story: Story,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-code text holding an answer is read by specs.qr.scan (the C part) instead of the long way, and every
    result is the one the long way gives: valid, replayed, outside its window, tampered, revoked."""
    import specs.qr.scan as scan
    import verifier.qr as qr

    if scan._native is None:
        pytest.fail("the C part of specs.qr.scan is not built")
    shown = story.presenter.present(PIN, preset="age19")
    text = shown.texts[0]
    tampered = encode_message(QrResponse(2, "mdoc", shown.message[:-1] + b"\x00", b"\x01" * 16,
                                         story.service.clock.now).to_cbor())[0]
    native = scan._native

    def results() -> list[object]:
        verifier = story.verifier()
        out: list[object] = [verifier.verify_qr(text), verifier.verify_qr(text), verifier.verify_qr(tampered)]
        story.service.clock.advance(seconds=61)
        out.append(story.verifier().verify_qr(text))
        story.service.clock.advance(seconds=-61)
        return out

    def long_way(data: object) -> bytes:
        raise AssertionError("the common scan went the long way")

    with monkeypatch.context() as patch:
        patch.setattr(qr, "_message", long_way)
        assert story.verifier().verify_qr(text).valid  # read without the long way
    fast = results()
    monkeypatch.setattr(scan, "_native", None)
    slow = results()
    assert fast == slow
    assert [r.errors[0].code if r.errors else None for r in fast] == [  # type: ignore[attr-defined]
        None, "qr.replay", fast[2].errors[0].code, "qr.expired"]  # type: ignore[attr-defined]
    monkeypatch.setattr(scan, "_native", native)
    with story.service.session() as session:
        for row in session.scalars(select(Credential)):
            change_status(session, row, "revoked", actor="test", reason="test")
        session.commit()
    revoked = story.verifier().verify_qr(text)
    monkeypatch.setattr(scan, "_native", None)
    assert revoked == story.verifier().verify_qr(text) and revoked.errors[0].code == "status.revoked"
