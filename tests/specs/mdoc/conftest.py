"""mdoc fixtures: the Annex D material and an mDL issued by our own code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.cose import CoseKey
from specs.crypto import SoftwareSigner
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.mso import KeyAuthorizations, ValidityInfo
from specs.mdoc.transcript import SessionTranscript
from specs.x509 import TrustStore

MDL = "org.iso.18013.5.1.mDL"
NS = "org.iso.18013.5.1"
ANNEX_D_NOW = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)

ELEMENTS: dict[str, Any] = {
    "family_name": "김", "given_name": "민준", "birth_date": dt.date(1990, 3, 15),
    "issue_date": dt.date(2026, 1, 2), "expiry_date": dt.date(2036, 1, 1), "issuing_country": "KR",
    "issuing_authority": "Seoul Metropolitan Police Agency", "document_number": "11-26-000123-45",
    "portrait": b"\xff\xd8\xff\xe0" + bytes(400), "age_over_19": True, "age_over_65": False,
    "driving_privileges": [{"vehicle_category_code": "B", "issue_date": dt.date(2016, 5, 1)}],
}


@dataclass
class AnnexD:
    response: bytes
    transcript: SessionTranscript
    reader_key: ec.EllipticCurvePrivateKey
    trust: TrustStore


@pytest.fixture(scope="session")
def annex_d(iso_vectors) -> AnnexD:  # type: ignore[no-untyped-def]
    k = iso_vectors.json("keys.json")["ephemeral_reader_key"]
    return AnnexD(iso_vectors.hex("device_response.hex"),
                  SessionTranscript.from_cbor(iso_vectors.hex("session_transcript_bytes.hex")),
                  ec.derive_private_key(int(k["d"], 16), ec.SECP256R1()),
                  TrustStore.from_pem(iso_vectors.bytes("iaca_root_cert.pem")))


@dataclass
class Issued:
    issuer_signed: IssuerSigned
    device_signer: SoftwareSigner
    trust: TrustStore
    now: dt.datetime
    transcript: SessionTranscript


def issue(pki, **options: Any) -> Issued:  # type: ignore[no-untyped-def]
    device = SoftwareSigner.generate()
    validity = ValidityInfo(pki.not_before + dt.timedelta(days=1), pki.not_before + dt.timedelta(days=1),
                            pki.not_before + dt.timedelta(days=360))
    elements = options.pop("elements", ELEMENTS)
    issued = issue_mdoc(pki.ds_signer, [pki.ds.public_bytes(serialization.Encoding.DER)], MDL, {NS: elements},
                        CoseKey.from_public_key(device.public_key()), validity,
                        key_authorizations=KeyAuthorizations(data_elements={NS: ("age_in_years",)}),
                        **options)
    transcript = SessionTranscript.build(None, None, ["test-handover", b"\x01" * 16])
    return Issued(issued, device, TrustStore.of([pki.iaca]), pki.now, transcript)


@pytest.fixture()
def issued(pki) -> Issued:  # type: ignore[no-untyped-def]
    return issue(pki)
