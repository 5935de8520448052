"""Shared set-up for the online (OpenID4VP) tests: a phone holding what the issuer under test issued, a
reader identity from ``mobileid verifier reader-cert``'s code, and the verifier's trust from the issuer's
exported trust bundle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from issuer.db.models import Business, Licence
from specs.crypto import SoftwareSigner
from specs.x509 import TrustStore, create_reader, create_reader_root
from tests.issuer.conftest import Service, enroll
from tests.wallet.conftest import FAST_KDF, PIN
from verifier.oid4vp import ReaderIdentity
from verifier.trust import VerifierTrust
from wallet.oid4vp import OnlinePresenter
from wallet.wallet import Wallet

HOLDINGS = ["mdl", "age_attestation", "resident_card", "income_certificate", "business_registration"]
RP_HOST = "bank.example"


def licensed_business_owner(service: Service) -> int:
    """A synthetic person with a driver's licence who represents a business (the registers have both)."""
    with service.session() as session:
        query = select(Licence.person_id).join(Business, Business.representative_id == Licence.person_id)
        person = session.scalars(query.where(Business.status == "active").order_by(Licence.id)).first()
    assert person is not None
    return person


def service_trust(service: Service) -> VerifierTrust:
    """What a verifier trusts after syncing with the issuer under test: its signed trust bundle under its root."""
    bundle = service.client.get("/trust/bundle").content
    root = TrustStore.from_pem(service.client.get("/trust/root.pem").content)
    return VerifierTrust.from_bundle(bundle, root, now=service.clock.now)


@dataclass
class Online:
    service: Service
    wallet: Wallet
    presenter: OnlinePresenter
    reader: ReaderIdentity
    reader_roots: TrustStore

    def trust(self) -> VerifierTrust:
        return service_trust(self.service)


def reader_identity(now: dt.datetime, *, dns_name: str | None = None) -> tuple[ReaderIdentity, TrustStore]:
    from cryptography.hazmat.primitives import serialization

    root_signer, signer = SoftwareSigner.generate(), SoftwareSigner.generate()
    root = create_reader_root(root_signer, common_name="Hana Bank reader root", not_before=now - dt.timedelta(days=1),
                              not_after=now + dt.timedelta(days=700))
    leaf = create_reader(root_signer, root, signer.public_key(), common_name="Hana Bank", not_before=now -
                         dt.timedelta(days=1), not_after=now + dt.timedelta(days=300), dns_names=[RP_HOST])
    return (ReaderIdentity.create(signer, leaf, dns_name=dns_name),
            TrustStore.from_pem(root.public_bytes(serialization.Encoding.PEM)))


def online_story(service: Service, folder: Path, *, batch: int = 3) -> Online:
    wallet = Wallet(folder, kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, licensed_business_owner(service), HOLDINGS)
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now,
                   batch={"age_attestation": batch, "resident_card": batch, "income_certificate": batch})
    reader, roots = reader_identity(service.clock.now)
    return Online(service, wallet, OnlinePresenter(wallet, clock=lambda: service.clock.now), reader, roots)
