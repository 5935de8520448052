"""The wallet receives from the real issuer service (SQLite and PostgreSQL) over its HTTP API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from issuer.db.models import Business
from specs.cbor import decode
from specs.errors import InputError
from specs.mdoc.issuer_signed import IssuerSigned
from specs.sdjwt import SdJwt
from tests.conftest import Pki
from tests.issuer.conftest import Service, enroll, iaca_pem, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.oid4vci import MAX_DESCRIPTION, CredentialOffer, IssuanceError, oauth_refusal
from wallet.store import CredentialFormat
from wallet.wallet import Wallet


def _wallet(tmp_path: Path, trust: bytes) -> Wallet:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=trust)
    return wallet


def test_counter_enrolment_yields_licence_and_age_batch(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, iaca_pem(service))
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    records = wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now,
                             batch={"age_attestation": 3})
    assert [r.type_id for r in records] == ["org.iso.18013.5.1.mDL"] + ["kr.mobileid.age.1"] * 3
    assert {r.format for r in records} == {CredentialFormat.MSO_MDOC}
    assert len({r.device_key_alias for r in records}) == 4  # a device key per credential
    ages = [IssuerSigned.from_cbor_value(decode(r.credential)) for r in records[1:]]  # type: ignore[arg-type]
    # A batch is unlinkable: distinct signatures, salts (hence digests) and status-list indices.
    assert len({a.issuer_auth.signature for a in ages}) == 3
    digests = [tuple(sorted(d for ns in a.mso.value_digests.values() for d in ns.values())) for a in ages]
    assert len(set(digests)) == 3
    assert len({a.mso.status.idx for a in ages if a.mso.status}) == 3  # type: ignore[union-attr]
    for age in ages:
        names = {item.element_identifier for item in age.namespaces["kr.mobileid.age.1"]}
        assert names <= {"age_over_14", "age_over_19", "age_over_65"}
    assert wallet.credentials(PIN) == records
    # The offer is single use.
    with pytest.raises(IssuanceError) as err:
        wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    assert err.value.code == "credential.issuance_token"


def test_e_certificate_is_an_sd_jwt_vc_bound_to_the_device(service: Service, tmp_path: Path) -> None:
    with service.session() as session:
        owner = session.scalars(select(Business.representative_id).order_by(Business.id)).first()
    assert owner is not None
    wallet = _wallet(tmp_path, iaca_pem(service))
    uri, tx_code = enroll(service, owner, ["business_registration", "resident_registration_abstract"])
    records = wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    assert [r.type_id for r in records] == ["urn:mobileid:kr:business_registration:1",
                                            "urn:mobileid:kr:resident_registration_abstract:1"]
    sd_jwt = SdJwt.parse(records[0].credential)  # type: ignore[arg-type]
    assert len(sd_jwt.disclosures) >= 3 and sd_jwt.kb_jwt is None


def test_wrong_tx_code_stores_nothing_and_leaves_no_keys(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, iaca_pem(service))
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    wrong = "000000" if tx_code != "000000" else "111111"
    with pytest.raises(IssuanceError) as err:
        wallet.receive(uri, wrong, PIN, http=service.client, now=service.clock.now)
    assert err.value.code == "credential.issuance_token"
    assert wallet.credentials(PIN) == () and wallet.device_keys(PIN, wallet.unlock(PIN)).aliases() == ()
    with pytest.raises(InputError) as bad:
        wallet.receive(uri, "12", PIN, http=service.client, now=service.clock.now)
    assert bad.value.code == "input.tx_code"
    assert len(wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)) == 1


def test_untrusted_issuer_is_refused(service: Service, tmp_path: Path, pki: Pki) -> None:
    wallet = _wallet(tmp_path, pki.iaca.public_bytes(Encoding.PEM))  # trusts some other authority
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    with pytest.raises(IssuanceError) as err:
        wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now)
    assert err.value.code == "credential.issuance_unverified"
    assert wallet.credentials(PIN) == () and wallet.device_keys(PIN, wallet.unlock(PIN)).aliases() == ()


def test_offer_parsing_rejects_garbage() -> None:
    for text in ["", "https://example.com", "openid-credential-offer://?credential_offer=%7B",
                 "openid-credential-offer://?x=1"]:
        with pytest.raises(InputError):
            CredentialOffer.parse(text)


def test_error_description_is_one_short_printable_line() -> None:
    """An issuer's OAuth error text reaches the terminal without escapes, line breaks or bidi overrides."""
    hostile = {"error": "invalid_grant\x1b[2J",
               "error_description": "the code\r\nis \x1b[31mwrong\u202e\x00" + "x" * 500}
    text = oauth_refusal(httpx.Response(400), hostile)
    assert text.startswith("invalid_grant[2J (the code is [31mwrong")
    assert text.isprintable() and len(text) < 40 + MAX_DESCRIPTION + 4 and text.endswith("...)")
    assert oauth_refusal(httpx.Response(503), "not json") == "http_503"
    assert oauth_refusal(httpx.Response(400), {"error": "invalid_request"}) == "invalid_request"
    assert oauth_refusal(httpx.Response(400), {"error": 7, "error_description": ["x"]}) == "http_400"
