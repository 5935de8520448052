"""Security suite, the OpenID4VCI issuer (OpenID4VCI 1.0, RFC 6749/9449 errors) and its clerk console.

The issuer answers over HTTP, so each attack asserts the OAuth ``error`` code, that nothing was issued, and
the audit entry (which names the reason, never the code, token or claim).
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from issuer.db.models import AccessToken, AuditEntry, Credential, InPersonCheck, Offer, Staff
from issuer.offers import PRE_AUTH_GRANT
from specs.crypto import SoftwareSigner
from specs.jose import jwk_from_key, sign_compact
from tests.issuer.conftest import ISSUER_URL, Service, enroll, person_with_licence, race_redemptions
from wallet.oid4vci import CredentialOffer

SQLITE = pytest.mark.parametrize("service", ["sqlite"], indirect=True)


def _offer(service: Service) -> tuple[str, str]:
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    return CredentialOffer.parse(uri).pre_authorized_code, tx_code


def _token(service: Service, code: str, tx_code: str) -> httpx.Response:
    return service.client.post("/token", data={"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": code,
                                               "tx_code": tx_code})


def _error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def _audited(service: Service, action: str) -> list[AuditEntry]:
    with service.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _issued(service: Service) -> int:
    with service.session() as session:
        return int(session.scalar(select(func.count()).select_from(Credential)) or 0)


def _access(service: Service) -> str:
    response = _token(service, *_offer(service))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _proof(service: Service, signer: SoftwareSigner, nonce: str) -> str:
    return sign_compact(signer, {"typ": "openid4vci-proof+jwt", "jwk": jwk_from_key(signer.public_key())},
                        {"aud": ISSUER_URL, "iat": int(service.clock.now.timestamp()), "nonce": nonce})


def _credential(service: Service, access: str, proofs: list[str], **extra: Any) -> httpx.Response:
    return service.client.post("/credential", headers={"Authorization": f"Bearer {access}"},
                               json={"credential_configuration_id": "mdl", "proofs": {"jwt": proofs}, **extra})


@SQLITE
def test_issuer_tx_code_brute_force(service: Service) -> None:
    """Guessing the 6-digit tx_code burns the offer after N tries, even for the right code (OID4VCI §13.6)."""
    code, tx_code = _offer(service)
    wrong = f"{(int(tx_code) + 1) % 1_000_000:06d}"
    for _ in range(service.settings.tx_code_attempts):
        _error(_token(service, code, wrong), 400, "invalid_grant")
    _error(_token(service, code, tx_code), 400, "invalid_grant")
    assert len(_audited(service, "offer.burn")) == 1
    with service.session() as session:
        assert session.scalars(select(Offer.state)).all() != ["redeemed"]
        assert session.scalar(select(func.count()).select_from(AccessToken)) == 0
    assert all(tx_code not in str(e.detail) and code not in e.target for e in _audited(service, "token.reject"))


@SQLITE
def test_issuer_pre_authorized_code_guessing(service: Service) -> None:
    """Random pre-authorized codes are rejected and audited without echoing them (OID4VCI §6.3, §13.5)."""
    code, tx_code = _offer(service)
    guesses = [secrets.token_urlsafe(32) for _ in range(20)]
    for guess in guesses:
        _error(_token(service, guess, tx_code), 400, "invalid_grant")
    rejects = _audited(service, "token.reject")
    assert len(rejects) == 20 and {e.detail["reason"] for e in rejects} == {"unknown"}
    assert not any(g in str(e.detail) or g in e.target for e in rejects for g in guesses)
    assert _token(service, code, tx_code).status_code == 200  # the real offer is unaffected


def test_issuer_concurrent_redemption(service: Service, live_url: str) -> None:
    """One pre-authorized code raced by 20 clients yields exactly one access token (OID4VCI §6, RFC 6749 §4.1.2)."""
    code, tx_code = _offer(service)
    results = race_redemptions(live_url, code, tx_code, 20)
    assert sorted(status for status, _ in results) == [200] + [400] * 19
    assert {error for status, error in results if status != 200} == {"invalid_grant"}
    with service.session() as session:
        assert session.scalar(select(func.count()).select_from(AccessToken)) == 1
    assert len(_audited(service, "offer.redeem")) == 1


@SQLITE
def test_issuer_replayed_proof_nonce(service: Service) -> None:
    """A c_nonce is single use: a proof replayed (same or new key) is refused (OID4VCI §7, §8.2.1.1)."""
    access = _access(service)
    nonce = str(service.client.post("/nonce").json()["c_nonce"])
    signer = SoftwareSigner.generate()
    proof = _proof(service, signer, nonce)
    assert _credential(service, access, [proof]).status_code == 200
    _error(_credential(service, access, [proof]), 400, "invalid_nonce")
    _error(_credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)]), 400, "invalid_nonce")
    _error(_credential(service, access, [_proof(service, signer, "made-up-nonce")]), 400, "invalid_nonce")
    assert _issued(service) == 1
    assert [e.detail["error"] for e in _audited(service, "credential.reject")] == ["invalid_nonce"] * 3


@SQLITE
@pytest.mark.parametrize("smuggled", [{"claims": {"family_name": "Mallory"}},
                                      {"credential_subject": {"family_name": "Mallory"}},
                                      {"credential_definition": {"credentialSubject": {"family_name": "Mallory"}}}],
                         ids=["claims", "credential_subject", "credential_definition"])
def test_issuer_claim_injection(service: Service, smuggled: dict[str, Any]) -> None:
    """Claims sent by the wallet are refused, never merged into the credential (OID4VCI §8.2, §13.1)."""
    access = _access(service)
    nonce = str(service.client.post("/nonce").json()["c_nonce"])
    response = _credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)], **smuggled)
    _error(response, 400, "invalid_credential_request")
    assert "Mallory" not in response.text and _issued(service) == 0


@SQLITE
def test_issuer_cross_office_status_change(service: Service) -> None:
    """A clerk of another office cannot revoke a credential issued elsewhere (least privilege, console roles)."""
    access = _access(service)
    nonce = str(service.client.post("/nonce").json()["c_nonce"])
    assert _credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)]).status_code == 200
    with service.session() as session:
        credential = session.scalars(select(Credential)).one()
        cred_id, before = credential.id, credential.status
    csrf = service.login("clerk2", "pw-2")  # BUSAN-01, role clerk
    response = service.client.post(f"/console/credentials/{cred_id}/status",
                                   data={"csrf": csrf, "status": "revoked", "reason": "x"}, follow_redirects=False)
    assert response.status_code == 403
    assert service.client.get("/console/audit").status_code == 403
    with service.session() as session:
        assert session.get(Credential, cred_id).status == before  # type: ignore[union-attr]


@SQLITE
def test_issuer_cross_office_check_is_recorded_under_own_office(service: Service) -> None:
    """A clerk cannot file an in-person check under another office by adding form fields (audit integrity)."""
    csrf = service.login("clerk2", "pw-2")
    person = person_with_licence(service)
    with service.session() as session:
        seoul = session.scalars(select(Staff).where(Staff.username == "clerk1")).one().office_id
        busan = session.scalars(select(Staff).where(Staff.username == "clerk2")).one().office_id
    page = service.client.post(f"/console/applicants/{person}/check",
                               data={"csrf": csrf, "document_kind": "id_card", "document_number": "900101-1",
                                     "photo_match": "yes", "office_id": str(seoul), "staff_id": "1",
                                     "configuration": "mdl"})
    assert page.status_code == 200
    with service.session() as session:
        check = session.scalars(select(InPersonCheck)).one()
        assert check.office_id == busan != seoul


@SQLITE
def test_issuer_console_csrf(service: Service) -> None:
    """A console POST without the session's CSRF token is refused (OWASP CSRF, double-submit token)."""
    service.login()
    response = service.client.post(f"/console/applicants/{person_with_licence(service)}/check",
                                   data={"csrf": "forged", "document_kind": "id_card", "document_number": "1",
                                         "photo_match": "yes"})
    assert response.status_code == 403
    with service.session() as session:
        assert session.scalar(select(func.count()).select_from(Offer)) == 0
