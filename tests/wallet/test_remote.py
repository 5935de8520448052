"""Remote issuance after the first visit: the wallet authenticates with its mDL (device-signed, fresh
challenge) and receives e-certificates over OpenID4VCI without a counter; on the real issuer service."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from issuer.credentials import thumbprint
from issuer.db.models import AuditEntry, Credential, Offer, Person
from issuer.status import change_status
from specs.cbor import encode
from specs.cose import CoseKey
from specs.crypto import PublicKey, SoftwareSigner
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.mso import ValidityInfo
from specs.sdjwt import SdJwt
from specs.x509 import create_document_signer
from tests.conftest import Pki
from tests.issuer.conftest import ISSUER_URL, Service, enroll, iaca_pem, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.oid4vci import IssuanceError
from wallet.remote import (
    DISCLOSED,
    MDL_DOCTYPE,
    licence_record,
    present_licence,
    receive_remotely,
    request_remote_offer,
)
from wallet.store import CredentialRecord
from wallet.wallet import Wallet

RRA = "resident_registration_abstract"


def _public_key(wallet: Wallet, alias: str) -> PublicKey:
    return wallet.device_keys(PIN, wallet.unlock(PIN)).signer(alias).public_key()


def _licensed_wallet(service: Service, tmp_path: Path) -> tuple[Wallet, int, CredentialRecord]:
    """The first visit: an in-person check at the counter, then the mDL in the wallet."""
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=iaca_pem(service))
    person_id = person_with_licence(service)
    uri, tx_code = enroll(service, person_id, ["mdl"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    return wallet, person_id, licence_record(wallet.credentials(PIN))


def _challenge(service: Service) -> str:
    answer = service.client.post("/remote/challenge")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["expires_in"] == 300 and len(base64.urlsafe_b64decode(body["nonce"][3:] + "==")) >= 16
    nonce: str = body["nonce"]
    return nonce


def _offer(service: Service, nonce: str, response: bytes, configurations: list[str]) -> Any:
    return service.client.post("/remote/offer", json={
        "nonce": nonce, "device_response": base64.urlsafe_b64encode(response).rstrip(b"=").decode(),
        "credential_configuration_ids": configurations})


def _refused(answer: Any, error: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == error and body["error_description"]


def _offers(service: Service) -> int:
    with service.session() as session:
        return session.scalar(select(func.count(Offer.id))) or 0


def test_remote_e_certificate_after_the_first_visit(service: Service, tmp_path: Path) -> None:
    wallet, person_id, licence = _licensed_wallet(service, tmp_path)
    records = receive_remotely(wallet, PIN, ISSUER_URL, [RRA], http=service.client, now=service.clock.now)
    assert [r.type_id for r in records] == ["urn:mobileid:kr:resident_registration_abstract:1"]
    record = records[0]
    assert record.device_key_alias != licence.device_key_alias  # a new device key, not the licence's
    with service.session() as session:
        person = session.get(Person, person_id)
        assert person is not None
        issued = session.scalars(select(Credential).where(Credential.type_id == RRA)).one()
        assert issued.person_id == person_id
        assert issued.holder_key_thumbprint == thumbprint(_public_key(wallet, record.device_key_alias))
        offer = session.scalars(select(Offer).order_by(Offer.id.desc()).limit(1)).one()
        assert offer.state == "redeemed" and offer.configurations == [RRA]
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "offer.remote")).one()
        disclosed = {d.name: d.value for d in SdJwt.parse(record.credential).disclosures}  # type: ignore[arg-type]
        assert disclosed["resident_number"] == person.resident_number
        assert disclosed["family_name"] == person.family_name
        # The audit row names ids only, no personal data.
        text = repr(audit.detail)
        for value in (person.resident_number, person.family_name_latin, person.given_name_latin,
                      person.birth_date.isoformat()):
            assert value not in text
    assert len(wallet.credentials(PIN)) == 2


def test_replayed_challenge_is_refused(service: Service, tmp_path: Path) -> None:
    wallet, _, licence = _licensed_wallet(service, tmp_path)
    nonce = _challenge(service)
    response = present_licence(licence.credential, wallet.keys.signer(licence.device_key_alias, PIN),  # type: ignore[arg-type]
                               ISSUER_URL, nonce)
    first = _offer(service, nonce, response, [RRA])
    assert first.status_code == 200 and first.json()["offer_uri"].startswith("openid-credential-offer://")
    before = _offers(service)
    _refused(_offer(service, nonce, response, [RRA]), "invalid_nonce")
    _refused(_offer(service, "rm.made-up", response, [RRA]), "invalid_nonce")
    # A c_nonce of the credential endpoint is no remote challenge.
    c_nonce = service.client.post("/nonce").json()["c_nonce"]
    _refused(_offer(service, c_nonce, present_licence(
        licence.credential, wallet.keys.signer(licence.device_key_alias, PIN), ISSUER_URL, c_nonce),  # type: ignore[arg-type]
        [RRA]), "invalid_nonce")
    # An expired challenge.
    late = _challenge(service)
    service.clock.advance(seconds=301)
    _refused(_offer(service, late, present_licence(
        licence.credential, wallet.keys.signer(licence.device_key_alias, PIN), ISSUER_URL, late),  # type: ignore[arg-type]
        [RRA]), "invalid_nonce")
    assert _offers(service) == before


def test_wrong_device_key_or_other_challenge_is_refused(service: Service, tmp_path: Path) -> None:
    wallet, _, licence = _licensed_wallet(service, tmp_path)
    before = _offers(service)
    nonce = _challenge(service)
    forged = present_licence(licence.credential, SoftwareSigner.generate(), ISSUER_URL, nonce)  # type: ignore[arg-type]
    _refused(_offer(service, nonce, forged, [RRA]), "access_denied")
    # Signed by the right key, but for another challenge or another issuer.
    signer = wallet.keys.signer(licence.device_key_alias, PIN)
    nonce, other = _challenge(service), _challenge(service)
    _refused(_offer(service, nonce, present_licence(licence.credential, signer, ISSUER_URL, other),  # type: ignore[arg-type]
                    [RRA]), "access_denied")
    nonce = _challenge(service)
    _refused(_offer(service, nonce, present_licence(licence.credential, signer, "https://elsewhere.example", nonce),  # type: ignore[arg-type]
                    [RRA]), "access_denied")
    nonce = _challenge(service)
    _refused(_offer(service, nonce, b"\xa0", [RRA]), "invalid_request")
    assert _offers(service) == before


def test_counter_only_credentials_are_refused(service: Service, tmp_path: Path) -> None:
    wallet, _, licence = _licensed_wallet(service, tmp_path)
    signer = wallet.keys.signer(licence.device_key_alias, PIN)
    before = _offers(service)
    for configurations in (["mdl"], ["age_attestation", "mdl"], [RRA, "mdl"], [], ["nope"]):
        nonce = _challenge(service)
        _refused(_offer(service, nonce, present_licence(licence.credential, signer, ISSUER_URL, nonce),  # type: ignore[arg-type]
                        configurations), "invalid_request")
    with pytest.raises(IssuanceError) as err:
        request_remote_offer(wallet, PIN, ISSUER_URL, ["mdl"], http=service.client)
    assert err.value.code == "credential.remote_offer"
    assert _offers(service) == before


def test_revoked_licence_is_refused(service: Service, tmp_path: Path) -> None:
    wallet, person_id, _ = _licensed_wallet(service, tmp_path)
    with service.session() as session:
        mdl = session.scalars(select(Credential).where(Credential.person_id == person_id,
                                                       Credential.type_id == "mdl")).one()
        change_status(session, mdl, "revoked", actor="staff:1", reason="test")
        session.commit()
    before = _offers(service)
    with pytest.raises(IssuanceError) as err:
        receive_remotely(wallet, PIN, ISSUER_URL, [RRA], http=service.client, now=service.clock.now)
    assert err.value.code == "credential.remote_offer" and "access_denied" in str(err.value)
    assert _offers(service) == before and len(wallet.credentials(PIN)) == 1


def test_licence_from_another_issuer_is_refused(service: Service, tmp_path: Path, pki: Pki) -> None:
    wallet, person_id, licence = _licensed_wallet(service, tmp_path)
    now = service.clock.now
    ds = create_document_signer(pki.iaca_signer, pki.iaca, pki.ds_signer.public_key(), common_name="other DS",
                                not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=30))
    with service.session() as session:
        person = session.get(Person, person_id)
        assert person is not None
        claims = dict(zip(DISCLOSED, (person.family_name_latin, person.given_name_latin, person.birth_date,
                                      _licence_number(licence)), strict=True))
    device_key = CoseKey.from_public_key(_public_key(wallet, licence.device_key_alias))
    from cryptography.hazmat.primitives.serialization import Encoding

    forged = issue_mdoc(pki.ds_signer, [ds.public_bytes(Encoding.DER)], MDL_DOCTYPE, {"org.iso.18013.5.1": claims},
                        device_key, ValidityInfo(now, now, now + dt.timedelta(days=30)))
    nonce = _challenge(service)
    response = present_licence(encode(forged.to_cbor_value()), wallet.keys.signer(licence.device_key_alias, PIN),
                               ISSUER_URL, nonce)
    before = _offers(service)
    _refused(_offer(service, nonce, response, [RRA]), "access_denied")
    assert _offers(service) == before


def _licence_number(record: CredentialRecord) -> str:
    from specs.cbor import decode
    from specs.mdoc.issuer_signed import IssuerSigned

    signed = IssuerSigned.from_cbor_value(decode(record.credential))  # type: ignore[arg-type]
    return next(str(i.element_value) for i in signed.namespaces["org.iso.18013.5.1"]
                if i.element_identifier == "document_number")
