"""The wallet refreshes its credentials' status from the issuer's Status List Tokens: revoked and
suspended credentials are stored as such; an unreachable or untrusted list changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from issuer.db.models import Credential
from issuer.status import change_status
from specs.crypto import SoftwareSigner
from specs.x509.create import create_iaca
from tests.issuer.conftest import Service, enroll, person_with_licence
from tests.wallet.conftest import FAST_KDF, PIN
from wallet.status import ACCEPT, refresh_statuses, status_reference
from wallet.store import CredentialRecord, CredentialStatus
from wallet.wallet import Wallet

MDL, AGE = "org.iso.18013.5.1.mDL", "kr.mobileid.age.1"


class Offline:
    def get(self, url: str, **kwargs: Any) -> Any:
        raise httpx.ConnectError("network unreachable")

    def post(self, url: str, **kwargs: Any) -> Any:
        raise httpx.ConnectError("network unreachable")


class Recording:
    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, []  # type: list[tuple[str, Any]]

    def get(self, url: str, **kwargs: Any) -> Any:
        self.calls.append((url, kwargs.get("headers")))
        return self.inner.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.inner.post(url, **kwargs)


def _wallet(service: Service, tmp_path: Path) -> Wallet:
    wallet = Wallet(tmp_path / "phone", kdf=FAST_KDF)
    wallet.init(PIN, trust_pem=service.client.get("/trust/root.pem").content)
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl", "age_attestation"])
    wallet.receive(uri, tx_code, PIN, http=service.client, now=service.clock.now, batch={"age_attestation": 2})
    return wallet


def _change(service: Service, record: CredentialRecord, status: str) -> None:
    reference = status_reference(record)
    assert reference is not None
    with service.session() as session:
        row = session.scalars(select(Credential).where(Credential.status_index == reference.idx)).one()
        change_status(session, row, status, actor="test", reason="test")
        session.commit()


def _by_type(wallet: Wallet, type_id: str) -> list[CredentialRecord]:
    return sorted((r for r in wallet.credentials(PIN) if r.type_id == type_id), key=lambda r: r.id)


def test_revoked_and_suspended_are_stored(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(service, tmp_path)
    http = Recording(service.client)
    fresh = refresh_statuses(wallet, PIN, http=http, now=service.clock.now)
    assert len(fresh) == 3 and set(fresh.values()) == {CredentialStatus.VALID} and fresh.errors == {}
    assert {r.status_at for r in wallet.credentials(PIN)} == {service.clock.now}  # when it was learned
    assert len(http.calls) == 1 and http.calls[0][1] == {"Accept": ACCEPT}  # one list, fetched once

    (licence,) = _by_type(wallet, MDL)
    first_age, second_age = _by_type(wallet, AGE)
    _change(service, licence, "revoked")
    result = wallet.refresh_status(PIN, service.client, now=service.clock.now)
    assert result[licence.id] is CredentialStatus.INVALID and result.errors == {}
    assert wallet.credential(PIN, licence.id).status is CredentialStatus.INVALID
    assert wallet.credential(PIN, first_age.id).status is CredentialStatus.VALID

    _change(service, second_age, "suspended")
    result = wallet.refresh_status(PIN, service.client, now=service.clock.now)
    assert result == {licence.id: CredentialStatus.INVALID, first_age.id: CredentialStatus.VALID,
                      second_age.id: CredentialStatus.SUSPENDED}
    assert wallet.credential(PIN, second_age.id).status is CredentialStatus.SUSPENDED

    _change(service, second_age, "valid")  # a suspension can be lifted
    wallet.refresh_status(PIN, service.client, now=service.clock.now)
    assert wallet.credential(PIN, second_age.id).status is CredentialStatus.VALID


def test_network_failure_leaves_statuses(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(service, tmp_path)
    (licence,) = _by_type(wallet, MDL)
    _change(service, licence, "suspended")
    wallet.refresh_status(PIN, service.client, now=service.clock.now)
    _change(service, licence, "revoked")
    before = {r.id: r.status for r in wallet.credentials(PIN)}
    learned = {r.id: r.status_at for r in wallet.credentials(PIN)}
    result = refresh_statuses(wallet, PIN, http=Offline(), now=service.clock.now + dt.timedelta(hours=1))
    assert dict(result) == before and before[licence.id] is CredentialStatus.SUSPENDED
    assert set(result.errors) == set(before) and set(result.errors.values()) == {"status.unavailable"}
    assert {r.id: r.status for r in wallet.credentials(PIN)} == before
    assert {r.id: r.status_at for r in wallet.credentials(PIN)} == learned  # still the time it was learned


def test_untrusted_or_expired_list_leaves_statuses(service: Service, tmp_path: Path) -> None:
    wallet = _wallet(service, tmp_path)
    (licence,) = _by_type(wallet, MDL)
    issued_at = service.clock.now
    _change(service, licence, "revoked")
    signed_then = service.client.get(f"{service.settings.public_url}/status/1", headers={"Accept": ACCEPT})

    later = issued_at + dt.timedelta(hours=25)  # the issuer's tokens live 24 hours
    expired = refresh_statuses(wallet, PIN, http=Canned(signed_then), now=later)
    assert set(expired.errors.values()) == {"status.token_expired"}
    assert wallet.credential(PIN, licence.id).status is CredentialStatus.VALID

    stranger = create_iaca(SoftwareSigner.generate(), country="KR", common_name="Other IACA",
                           not_before=issued_at - dt.timedelta(days=1), not_after=issued_at + dt.timedelta(days=365))
    (wallet.folder / "trust.pem").write_bytes(stranger.public_bytes(serialization.Encoding.PEM))
    untrusted = refresh_statuses(wallet, PIN, http=Canned(signed_then), now=issued_at)
    assert len(untrusted.errors) == 3 and all(code.startswith("x509.") or code.startswith("status.")
                                             for code in untrusted.errors.values())
    assert wallet.credential(PIN, licence.id).status is CredentialStatus.VALID


class Canned:
    """Answers every GET with one recorded response."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.answer

    def post(self, url: str, **kwargs: Any) -> Any:
        raise AssertionError("refreshing status posts nothing")
