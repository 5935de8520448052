"""wallet/claims.py: a stored credential is decoded once into values, claims for people and its validity end."""

from __future__ import annotations

import datetime as dt

import pytest

from specs.cbor import decode, encode
from specs.claims import find_claim
from specs.errors import MobileIdError
from tests.conftest import Vectors
from wallet.claims import TECHNICAL, read_stored
from wallet.store import CredentialFormat, CredentialRecord

T0 = dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC)


def _issuer_signed(iso: Vectors) -> bytes:
    """The IssuerSigned of ISO/IEC 18013-5 Annex D's DeviceResponse: what a wallet stores for an mdoc."""
    response = decode(iso.hex("device_response.hex"))
    return encode(response["documents"][0]["issuerSigned"])


def _record(fmt: CredentialFormat, type_id: str, credential: bytes | str) -> CredentialRecord:
    return CredentialRecord(id="c1", format=fmt, type_id=type_id, credential=credential,
                            issuer="https://issuer.example", received_at=T0, device_key_alias="k1")


def test_an_mdoc_read_once(iso_vectors: Vectors) -> None:
    stored = read_stored(_record(CredentialFormat.MSO_MDOC, "org.iso.18013.5.1.mDL", _issuer_signed(iso_vectors)))
    assert stored.doc_type is not None and stored.doc_type.id == "mdl"
    family = find_claim(stored.claims, "family_name")
    assert family is not None and family.value == "Doe" and family.name("ko") == "성"
    portrait = find_claim(stored.claims, "portrait")
    assert portrait is not None and portrait.image is not None and portrait.image[:3] == b"\xff\xd8\xff"
    expiry = find_claim(stored.claims, "expiry_date")
    assert expiry is not None and isinstance(expiry.value, dt.date)
    assert stored.valid_until is not None and stored.valid_until.tzinfo is not None
    assert stored.values["org.iso.18013.5.1"]["family_name"] == "Doe"
    document = stored.to_json()["org.iso.18013.5.1"]
    assert document["family_name"] == "Doe" and isinstance(document["portrait"], str)


def test_an_sd_jwt_vc_read_once(sdjwt_vectors: Vectors) -> None:
    stored = read_stored(_record(CredentialFormat.SD_JWT_VC, "urn:eudi:pid:1",
                                 sdjwt_vectors.text("sd_jwt_vc_pid_issuance.txt")))
    assert stored.doc_type is None  # not a catalogue type: labelled by identifier
    names = {c.identifier for c in stored.claims}
    assert "given_name" in names and not names & TECHNICAL
    assert "cnf" in stored.values or "iss" in stored.values  # the matcher still sees the whole payload
    given = find_claim(stored.claims, "given_name")
    assert given is not None and given.name("ko") == "given_name"
    assert stored.valid_until is None or stored.valid_until.tzinfo is not None


@pytest.mark.parametrize(("fmt", "credential"), [
    (CredentialFormat.MSO_MDOC, b"\xa1\x01"),
    (CredentialFormat.MSO_MDOC, b"not cbor at all"),
    (CredentialFormat.SD_JWT_VC, "onlyone~"),
    (CredentialFormat.SD_JWT_VC, "a.b~"),
])
def test_an_unreadable_stored_credential_is_a_typed_error(fmt: CredentialFormat, credential: bytes | str) -> None:
    with pytest.raises(MobileIdError) as info:
        read_stored(_record(fmt, "org.iso.18013.5.1.mDL", credential))
    assert info.value.code
