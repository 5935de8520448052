"""Concurrent issuance against a real uvicorn server, on SQLite and PostgreSQL: the first-ever credentials
(which also create the first status list) all succeed, each at its own status index; tx_codes are HMACs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from issuer import audit, status
from issuer.db.models import Credential, Offer, StatusListRow
from issuer.keys import tx_code_pepper
from issuer.offers import PRE_AUTH_GRANT
from issuer.security import check_short_code, hash_short_code
from specs.crypto import SoftwareSigner
from specs.jose import jwk_from_key, sign_compact
from wallet.oid4vci import CredentialOffer

from .conftest import ISSUER_URL, Service, enroll, person_with_licence

THREADS = 20


def _ready_request(service: Service, client: httpx.Client) -> tuple[str, dict[str, Any]]:
    """An access token and a signed proof over a fresh c_nonce: everything before POST /credential."""
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    code = CredentialOffer.parse(uri).pre_authorized_code
    token = client.post("/token", data={"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": code,
                                        "tx_code": tx_code})
    assert token.status_code == 200, token.text
    nonce = client.post("/nonce").json()["c_nonce"]
    signer = SoftwareSigner.generate()
    proof = sign_compact(signer, {"typ": "openid4vci-proof+jwt", "jwk": jwk_from_key(signer.public_key())},
                         {"aud": ISSUER_URL, "iat": int(service.clock.now.timestamp()), "nonce": nonce})
    return token.json()["access_token"], {"credential_configuration_id": "mdl", "proofs": {"jwt": [proof]}}


def test_concurrent_first_credentials(service: Service, live_url: str) -> None:
    with service.session() as session:
        # the first start makes list 1; an issuer whose data predates that makes it at the first issuance
        session.execute(delete(StatusListRow))
        session.commit()
        assert session.scalar(select(func.count()).select_from(StatusListRow)) == 0  # really the first ones
    with httpx.Client(base_url=live_url, timeout=60) as client:
        requests = [_ready_request(service, client) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def issue(request: tuple[str, dict[str, Any]]) -> tuple[int, str]:
        access, body = request
        with httpx.Client(base_url=live_url, timeout=60) as client:
            barrier.wait()
            response = client.post("/credential", headers={"Authorization": f"Bearer {access}"}, json=body)
            return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(issue, requests))
    assert [status_code for status_code, _ in results] == [200] * THREADS, [t for s, t in results if s != 200]
    with service.session() as session:
        lists = list(session.scalars(select(StatusListRow)))
        assert len(lists) == 1 and lists[0].uri == f"{ISSUER_URL}/status/1"
        indices = list(session.scalars(select(Credential.status_index)))
        assert len(indices) == THREADS and len(set(indices)) == THREADS
        assert audit.verify_chain(session) is None


def test_taken_index_is_retried(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index already in use fails the insert inside a savepoint; the next random index is used."""
    from issuer.db.models import Person

    picks = iter([7, 7, 11])
    monkeypatch.setattr(status.secrets, "randbelow", lambda _: next(picks))
    person_id = person_with_licence(service)
    with service.session() as session:
        row = status.current_list(session, ISSUER_URL, 4096)
        again = status.current_list(session, ISSUER_URL, 4096)
        assert again.id == row.id
        now = service.clock.now
        made = [Credential(person_id=person_id, type_id="mdl", format="mso_mdoc", holder_key_thumbprint="t" * 64,
                           issued_at=now, expires_at=now) for _ in range(2)]
        assert status.allocate_index(session, row, made[0]) == 7
        assert status.allocate_index(session, row, made[1]) == 11  # 7 was taken: retried
        session.commit()
        assert session.get(Person, person_id) is not None
        assert sorted(session.scalars(select(Credential.status_index))) == [7, 11]


def test_tx_code_is_an_hmac_and_old_hashes_do_not_crash(service: Service) -> None:
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    with service.session() as session:
        pepper = tx_code_pepper(service.settings.data_dir)
        offer = session.scalars(select(Offer)).one()
        assert offer.tx_code_hash == hash_short_code(tx_code, pepper)
        assert offer.tx_code_hash.startswith("hmac-sha256$") and tx_code not in offer.tx_code_hash
        assert check_short_code(offer.tx_code_hash, tx_code, pepper)
        assert not check_short_code(offer.tx_code_hash, tx_code, b"another pepper")
        assert (service.settings.data_dir / "tx_code.pepper").stat().st_mode & 0o077 == 0
        # an offer stored before the change (argon2id) is simply a mismatch, counted like a wrong code
        offer.tx_code_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$" + "A" * 43
        session.commit()
    code = CredentialOffer.parse(uri).pre_authorized_code
    response = service.client.post("/token", data={"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": code,
                                                   "tx_code": tx_code})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    with service.session() as session:
        assert session.scalars(select(Offer)).one().failed_attempts == 1
