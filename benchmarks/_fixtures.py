"""Shared benchmark inputs: a fresh IACA -> DS, an mDL with 8 elements, an SD-JWT VC with 8 disclosures; an
offer recorded at a bootstrapped issuer's counter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from specs.cose import CoseKey
from specs.crypto import SoftwareSigner
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.mso import ValidityInfo
from specs.mdoc.presentation import build_device_response
from specs.mdoc.transcript import SessionTranscript
from specs.x509 import TrustStore, create_document_signer, create_iaca

MDL, NS = "org.iso.18013.5.1.mDL", "org.iso.18013.5.1"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
ELEMENTS: dict[str, Any] = {
    "family_name": "Kim", "given_name": "Minjun", "birth_date": dt.date(1990, 3, 15),
    "issue_date": dt.date(2026, 1, 2), "expiry_date": dt.date(2036, 1, 1), "issuing_country": "KR",
    "document_number": "11-26-000123-45", "age_over_19": True,
}


@dataclass
class MdocFixture:
    response: bytes
    transcript: SessionTranscript
    trust: TrustStore
    iaca_pem: bytes
    ds_signer: SoftwareSigner
    device_signer: SoftwareSigner


def make_mdoc() -> MdocFixture:
    iaca_signer, ds_signer, device = SoftwareSigner.generate(), SoftwareSigner.generate(), SoftwareSigner.generate()
    iaca = create_iaca(iaca_signer, country="KR", common_name="bench IACA", not_before=START,
                       not_after=START + dt.timedelta(days=3650))
    ds = create_document_signer(iaca_signer, iaca, ds_signer.public_key(), common_name="bench DS",
                                not_before=START, not_after=START + dt.timedelta(days=400))
    validity = ValidityInfo(START, START, START + dt.timedelta(days=300))
    issued = issue_mdoc(ds_signer, [ds.public_bytes(serialization.Encoding.DER)], MDL, {NS: ELEMENTS},
                        CoseKey.from_public_key(device.public_key()), validity)
    transcript = SessionTranscript.build(None, None, ["bench-handover", b"\x07" * 16])
    response = build_device_response(issued, {NS: list(ELEMENTS)}, transcript, device).to_cbor()
    return MdocFixture(response, transcript, TrustStore.of([iaca]), iaca.public_bytes(serialization.Encoding.PEM),
                       ds_signer, device)


@dataclass
class SdJwtFixture:
    presentation: str
    issuer_key: Any
    issuer_jwk: dict[str, str]
    aud: str
    nonce: str


def make_sd_jwt_vc() -> SdJwtFixture:
    """An SD-JWT VC with 8 disclosed claims and a KB-JWT."""
    from specs.jose import jwk_from_key
    from specs.sdjwt import SD, issue_sd_jwt_vc, present

    issuer, holder = SoftwareSigner.generate(), SoftwareSigner.generate()
    claims = {"family_name": SD("Kim"), "given_name": SD("Minjun"), "birth_date": SD("1990-03-15"),
              "business_name": SD("Hanbit Trading"), "registration_number": SD("123-45-67890"),
              "business_address": SD("Seoul"), "opened_on": SD("2020-01-01"), "status": SD("active")}
    claims = {("business_status" if k == "status" else k): v for k, v in claims.items()}
    vc = issue_sd_jwt_vc(issuer, vct="urn:mobileid:kr:business_registration:1", claims=claims,
                         holder_key=holder.public_key(), issued_at=NOW, expires_at=NOW + dt.timedelta(days=90),
                         issuer="https://issuer.example.kr")
    shown = present(vc, [(k,) for k in claims], holder=holder, aud="https://verifier.example.kr",
                    nonce="bench-nonce", iat=NOW)
    return SdJwtFixture(shown.serialize(), issuer.public_key(), jwk_from_key(issuer.public_key()),
                        "https://verifier.example.kr", "bench-nonce")


def counter_offer(engine: Any, data_dir: Path, *, issuer_url: str, now: dt.datetime, configurations: list[str],
                  ttl_seconds: int, copies: dict[str, int] | None = None) -> tuple[str, str]:
    """(offer link, tx_code) for the first licence holder, as clerk1 records the check and approves at the
    counter of a bootstrapped issuer (``issuer.offers``; the benchmarks' own setup, not a test fixture)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from issuer.db.models import Licence, Person, Staff
    from issuer.keys import tx_code_pepper
    from issuer.offers import create_offer, record_check

    with Session(engine) as session:
        staff = session.scalars(select(Staff).where(Staff.username == "clerk1")).one()
        person = session.get(Person, session.scalars(select(Licence.person_id).order_by(Licence.id)).first())
        assert person is not None
        check = record_check(session, staff=staff, person=person, document_kind="id_card",
                             document_number="benchmark", photo_match=True, notes="", now=now)
        offer = create_offer(session, check=check, staff=staff, configurations=configurations,
                             issuer_url=issuer_url, ttl_seconds=ttl_seconds, now=now, copies=copies,
                             pepper=tx_code_pepper(data_dir))
        session.commit()
    return offer.offer_uri, offer.tx_code
