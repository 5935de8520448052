"""The verifier library on credentials we issue: status from a cached list, x5c chains, fail-closed output."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from specs.cose import CoseKey
from specs.crypto import SoftwareSigner
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.mso import ValidityInfo
from specs.mdoc.presentation import build_device_response
from specs.mdoc.transcript import SessionTranscript
from specs.sdjwt import SD, issue_sd_jwt_vc, present
from specs.status import StatusList, StatusReference, issue_cwt, issue_jwt
from specs.x509 import TrustStore
from verifier.trust import TrustedKey, VerifierTrust
from verifier.verify import certificate_name, verify_mdoc, verify_sd_jwt_presentation

LIST_URI = "https://issuer.example.kr/status/1"
NS = "org.iso.18013.5.1"


@pytest.fixture()
def setup(pki):  # type: ignore[no-untyped-def]
    der = pki.ds.public_bytes(serialization.Encoding.DER)
    trust = VerifierTrust(anchors=TrustStore.of([pki.iaca]))
    statuses = StatusList.empty(64, 2).with_statuses({3: 1, 4: 2})
    return pki, der, trust, statuses


@pytest.mark.parametrize(("idx", "valid", "status", "code"), [
    (2, True, "valid", None), (3, False, "revoked", "status.revoked"), (4, False, "suspended", "status.suspended"),
])
def test_mdoc_status(setup, idx, valid, status, code) -> None:  # type: ignore[no-untyped-def]
    pki, der, trust, statuses = setup
    device = SoftwareSigner.generate()
    validity = ValidityInfo(pki.not_before, pki.not_before, pki.not_before + dt.timedelta(days=300))
    issued = issue_mdoc(pki.ds_signer, [der], "org.iso.18013.5.1.mDL", {NS: {"age_over_19": True}},
                        CoseKey.from_public_key(device.public_key()), validity,
                        status=StatusReference(LIST_URI, idx))
    transcript = SessionTranscript.build(None, None, ["h", b"\x00" * 16])
    response = build_device_response(issued, {NS: ["age_over_19"]}, transcript, device).to_cbor()
    token = issue_cwt(pki.ds_signer, subject=LIST_URI, status_list=statuses, issued_at=pki.now, x5chain=[der])
    result = verify_mdoc(response, trust=trust, transcript=transcript, now=pki.now, status_token=token)
    assert (result.valid, result.status) == (valid, status)
    assert result.claims == ({NS: {"age_over_19": True}} if valid else {})
    if code:
        assert result.errors[0].code == code
    assert result.status_as_of == (pki.now.replace(microsecond=0) if valid else None)  # the token's time
    assert result.issuer == (certificate_name(pki.ds) if valid else None) and (not valid or result.issuer)
    unchecked = verify_mdoc(response, trust=trust, transcript=transcript, now=pki.now)
    assert unchecked.valid and unchecked.status == "unchecked" and unchecked.status_as_of is None


def test_sd_jwt_vc_with_x5c_and_status(setup) -> None:  # type: ignore[no-untyped-def]
    pki, der, trust, statuses = setup
    holder = SoftwareSigner.generate()
    vc = issue_sd_jwt_vc(pki.ds_signer, vct="https://mobileid.example/vct/business_registration",
                         claims={"business_name": SD("한빛상사"), "registration_number": SD("123-45-67890")},
                         holder_key=holder.public_key(), issued_at=pki.now, x5c=[der],
                         status=StatusReference(LIST_URI, 2))
    shown = present(vc, [("business_name",)], holder=holder, aud="https://supplier.example", nonce="abc",
                    iat=pki.now).serialize()
    token = issue_jwt(pki.ds_signer, subject=LIST_URI, status_list=statuses, issued_at=pki.now,
                      x5c=[__import__("base64").b64encode(der).decode()]).encode()
    result = verify_sd_jwt_presentation(shown, trust=trust, now=pki.now, nonce="abc",
                                        aud="https://supplier.example", status_token=token)
    assert result.valid and result.status == "valid" and result.holder_bound
    assert result.claims == {"business_name": "한빛상사"}
    assert result.issuer == certificate_name(pki.ds) and result.status_as_of is not None
    other = verify_sd_jwt_presentation(shown, trust=VerifierTrust(TrustStore.of([pki.reader_root])), now=pki.now)
    assert not other.valid and other.errors[0].code == "x509.untrusted_chain" and other.claims == {}


def test_pinned_key_by_kid(setup) -> None:  # type: ignore[no-untyped-def]
    pki, _, _, _ = setup
    issuer, holder = SoftwareSigner.generate(), SoftwareSigner.generate()
    vc = issue_sd_jwt_vc(issuer, vct="urn:x", claims={"a": SD(1)}, holder_key=holder.public_key(),
                         issued_at=pki.now, kid="k1")
    trust = VerifierTrust(TrustStore.of([]), (TrustedKey(SoftwareSigner.generate().public_key(), "k1"),
                                              TrustedKey(issuer.public_key(), "k2")))
    result = verify_sd_jwt_presentation(vc.serialize(), trust=trust, now=pki.now)
    assert not result.valid and result.errors[0].code == "sdjwt.issuer_signature_invalid"
    good = VerifierTrust(TrustStore.of([]), (TrustedKey(issuer.public_key(), "k1"),))
    assert verify_sd_jwt_presentation(vc.serialize(), trust=good, now=pki.now).valid


def test_x5c_signer_found_by_der_keeps_every_check(setup) -> None:  # type: ignore[no-untyped-def]
    """The verifier finds an x5c signer it validated before by the certificate's DER: a hit still needs the
    anchor in this trust, rechecks the dates, and a certificate changed by one byte is not a hit."""
    import base64

    pki, der, trust, _ = setup
    holder = SoftwareSigner.generate()

    def shown(chain: bytes) -> str:
        vc = issue_sd_jwt_vc(pki.ds_signer, vct="urn:x", claims={"a": SD(1)}, holder_key=holder.public_key(),
                             issued_at=pki.now, x5c=[chain])
        return present(vc, [("a",)], holder=holder, aud="v", nonce="n", iat=pki.now).serialize()

    good = shown(der)
    for _ in range(2):  # validated, then found by its DER
        assert verify_sd_jwt_presentation(good, trust=trust, now=pki.now, nonce="n", aud="v").valid
    late = pki.not_before + dt.timedelta(days=401)
    expired = verify_sd_jwt_presentation(good, trust=trust, now=late)
    assert not expired.valid and expired.errors[0].code == "x509.expired"
    foreign = verify_sd_jwt_presentation(good, trust=VerifierTrust(TrustStore.of([pki.reader_root])), now=pki.now)
    assert not foreign.valid and foreign.errors[0].code == "x509.untrusted_chain"
    changed = verify_sd_jwt_presentation(shown(der[:-1] + bytes([der[-1] ^ 1])), trust=trust, now=pki.now)
    assert not changed.valid and changed.errors[0].code == "x509.untrusted_chain"
    malformed = good.split(".", 1)
    header = {"alg": "ES256", "typ": "dc+sd-jwt", "x5c": ["not base64!"]}
    forged = base64.urlsafe_b64encode(__import__("json").dumps(header).encode()).rstrip(b"=").decode()
    bad = verify_sd_jwt_presentation(f"{forged}.{malformed[1]}", trust=trust, now=pki.now)
    assert not bad.valid and bad.errors[0].code == "sdjwt.x5c_malformed"


def test_a_lookup_answers_the_status_the_change_logs_patched(setup) -> None:  # type: ignore[no-untyped-def]
    """A synced copy with change logs (``verifier.copy``): the token checked as of when it was current, the
    patched status answered as of the newest log, refused past the log's expiry or when it does not fit."""
    import dataclasses

    from specs.errors import CredentialStatusError, StatusListError, StatusTokenError
    from verifier.copy import ListPatch, StatusPatches
    from verifier.verify import _status

    pki, der, _, statuses = setup
    issued = pki.now - dt.timedelta(days=2)  # the token itself expired a day ago
    token = issue_cwt(pki.ds_signer, subject=LIST_URI, status_list=statuses, issued_at=issued,
                      expires_at=issued + dt.timedelta(hours=24), x5chain=[der])
    patches = StatusPatches(issued + dt.timedelta(hours=1), pki.now - dt.timedelta(hours=1),
                            pki.now + dt.timedelta(hours=20), {LIST_URI: ListPatch(64, 2, {3: 0, 5: 2})}, 2)
    trust = VerifierTrust(anchors=TrustStore.of([pki.iaca]), status_tokens={LIST_URI: token},
                          status_patches=patches)
    assert _status(StatusReference(LIST_URI, 3), None, trust, pki.now) == ("valid", patches.as_of)  # reinstated
    assert _status(StatusReference(LIST_URI, 2), None, trust, pki.now) == ("valid", patches.as_of)
    for idx, code in ((4, "status.suspended"), (5, "status.suspended")):  # kept, and newly suspended
        with pytest.raises(CredentialStatusError) as refused:
            _status(StatusReference(LIST_URI, idx), None, trust, pki.now)
        assert refused.value.code == code
    with pytest.raises(StatusTokenError) as expired:
        _status(StatusReference(LIST_URI, 2), None, trust, patches.expires_at)
    assert expired.value.code == "status.token_expired"
    wrong = dataclasses.replace(trust, status_patches=dataclasses.replace(
        patches, lists={LIST_URI: ListPatch(128, 2, {3: 0})}), verified_tokens={})
    with pytest.raises(StatusListError) as misfit:
        _status(StatusReference(LIST_URI, 2), None, wrong, pki.now)
    assert misfit.value.code == "status.list_malformed"
    unpatched = dataclasses.replace(trust, status_patches=None, verified_tokens={})
    with pytest.raises(StatusTokenError) as stale:  # without the logs, the expired token alone is refused
        _status(StatusReference(LIST_URI, 2), None, unpatched, pki.now)
    assert stale.value.code == "status.token_expired"


def _self_signed(*attributes: x509.NameAttribute[str]) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(list(attributes))
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(when).not_valid_after(when + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))


def test_certificate_names_are_read_once_per_certificate(pki, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each certificate keeps its own name (CN, else O, else none), a copy loaded from the same DER gets the
    same name, a certificate seen before is answered from the cache, and the cache stays bounded."""
    from verifier import verify as module

    only_o = _self_signed(x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Licensing Office"))
    nameless = _self_signed(x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"))
    certificates = [pki.iaca, pki.ds, pki.reader, only_o, nameless]
    expected = ["mobileid test IACA", "mobileid test DS", "test reader", "Test Licensing Office", None]
    assert [certificate_name(c) for c in certificates] == expected
    assert [certificate_name(c) for c in certificates] == expected  # again, from the cache
    assert module._NAMES[id(pki.ds)] == (pki.ds, "mobileid test DS")
    copy = x509.load_der_x509_certificate(pki.ds.public_bytes(serialization.Encoding.DER))
    assert certificate_name(copy) == "mobileid test DS"
    monkeypatch.setattr(module, "_MAX_NAMES", 2)
    copies = [x509.load_der_x509_certificate(c.public_bytes(serialization.Encoding.DER)) for c in certificates]
    assert [certificate_name(c) for c in copies] == expected
    assert len(module._NAMES) <= 2


def test_a_verified_token_is_used_again_only_within_its_times_and_for_its_list(setup) -> None:  # type: ignore[no-untyped-def]
    """A status list token whose signature verified under a trust is kept (``verified_tokens``) with its list, its
    earliest use (issued-at less the skew) and its expiry; a later lookup reuses it only for that list and within
    those times, else the token is verified again and refused as it would be the first time."""
    from specs.errors import CredentialStatusError, StatusTokenError
    from verifier.verify import _CheckedToken, _status

    pki, der, _, statuses = setup
    token = issue_cwt(pki.ds_signer, subject=LIST_URI, status_list=statuses, issued_at=pki.now,
                      expires_at=pki.now + dt.timedelta(hours=24), x5chain=[der])
    trust = VerifierTrust(anchors=TrustStore.of([pki.iaca]), status_tokens={LIST_URI: token})
    assert _status(StatusReference(LIST_URI, 2), None, trust, pki.now)[0] == "valid"
    checked = trust.verified_tokens[token]
    assert isinstance(checked, _CheckedToken) and checked.subject == LIST_URI
    assert checked.not_before == checked.token.issued_at - dt.timedelta(minutes=5)
    assert _status(StatusReference(LIST_URI, 2), None, trust, pki.now + dt.timedelta(hours=1))[0] == "valid"
    with pytest.raises(CredentialStatusError) as revoked:  # the cached list still answers every index
        _status(StatusReference(LIST_URI, 3), None, trust, pki.now)
    assert revoked.value.code == "status.revoked"
    with pytest.raises(StatusTokenError) as expired:  # past its exp: verified again, and refused
        _status(StatusReference(LIST_URI, 2), None, trust, pki.now + dt.timedelta(hours=24))
    assert expired.value.code == "status.token_expired"
    other = "https://issuer.example.kr/status/2"
    given = VerifierTrust(anchors=TrustStore.of([pki.iaca]), status_tokens={other: token},
                          verified_tokens=trust.verified_tokens)
    with pytest.raises(StatusTokenError) as subject:  # the same token named for another list
        _status(StatusReference(other, 2), None, given, pki.now)
    assert subject.value.code == "status.token_subject"
    early = pki.now - dt.timedelta(minutes=6)  # before its earliest use: verified again (it has no nbf: valid)
    assert _status(StatusReference(LIST_URI, 2), None, trust, early) == ("valid", checked.token.issued_at)
