"""OpenID4VCI 1.0 endpoints of the issuer: every refusal answers an OAuth-style error, changes nothing it
should not, and is audited (by error code, never by code, token or claim)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from issuer.db.models import AccessToken, AuditEntry, GrantItem, IssuanceBatch, Offer
from issuer.offers import PRE_AUTH_GRANT
from specs.cbor import decode
from specs.crypto import Algorithm, SoftwareSigner
from specs.jose import jwk_from_key, sign_compact
from specs.mdoc.issuer_signed import IssuerSigned
from wallet.oid4vci import CredentialOffer

from .conftest import ISSUER_URL, Service, enroll, person_with_licence, race_redemptions, refusals

PROOF_TYP = "openid4vci-proof+jwt"


def _offer(service: Service, configurations: tuple[str, ...] = ("mdl",),
           copies: dict[str, int] | None = None) -> tuple[str, str]:
    uri, tx_code = enroll(service, person_with_licence(service), list(configurations), copies=copies)
    return CredentialOffer.parse(uri).pre_authorized_code, tx_code


def _token(service: Service, code: str | None, tx_code: str | None, grant: str = PRE_AUTH_GRANT) -> httpx.Response:
    data = {"grant_type": grant, "pre-authorized_code": code, "tx_code": tx_code}
    return service.client.post("/token", data={k: v for k, v in data.items() if v is not None})


def _error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def _audited(service: Service, action: str) -> list[AuditEntry]:
    with service.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _redeemable(service: Service, code: str, tx_code: str) -> str:
    response = _token(service, code, tx_code)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _nonce(service: Service) -> str:
    return str(service.client.post("/nonce").json()["c_nonce"])


def _proof(service: Service, signer: SoftwareSigner, nonce: str, *, header: dict[str, Any] | None = None,
           **claims: Any) -> str:
    head = {"typ": PROOF_TYP, "jwk": jwk_from_key(signer.public_key()), **(header or {})}
    body = {"aud": ISSUER_URL, "iat": int(service.clock.now.timestamp()), "nonce": nonce, **claims}
    return sign_compact(signer, head, body)


def _credential(service: Service, access: str | None, proofs: list[str], config: str = "mdl",
                **extra: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access}"} if access else {}
    return service.client.post("/credential", headers=headers,
                               json={"credential_configuration_id": config, "proofs": {"jwt": proofs}, **extra})


@pytest.fixture
def access(service: Service) -> str:
    """A token whose grant is 10 licences (enough for the refusal tests to end with a success)."""
    return _redeemable(service, *_offer(service, copies={"mdl": 10}))


# --- metadata ---------------------------------------------------------------------------------------------


def test_metadata(service: Service) -> None:
    issuer = service.client.get("/.well-known/openid-credential-issuer").json()
    assert issuer["credential_issuer"] == ISSUER_URL
    assert issuer["credential_endpoint"] == f"{ISSUER_URL}/credential"
    assert issuer["nonce_endpoint"] == f"{ISSUER_URL}/nonce"
    mdl = issuer["credential_configurations_supported"]["mdl"]
    assert mdl["format"] == "mso_mdoc" and mdl["doctype"] == "org.iso.18013.5.1.mDL"
    assert mdl["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["ES256"]
    for entry in issuer["credential_configurations_supported"].values():
        assert entry["format"] in ("mso_mdoc", "dc+sd-jwt")
        assert ("doctype" in entry) == (entry["format"] == "mso_mdoc") and ("vct" in entry) != ("doctype" in entry)
    # OpenID4VCI 1.0 §12.2.4: display (and claims) inside credential_metadata, not at the top level
    assert "display" not in mdl
    assert mdl["credential_metadata"]["display"] == [{"name": "모바일 운전면허증", "locale": "ko"},
                                                     {"name": "Mobile driver's licence", "locale": "en"}]
    paths = [c["path"] for c in mdl["credential_metadata"]["claims"]]
    assert ["org.iso.18013.5.1", "family_name"] in paths and ["kr.mobileid.mdl.1", "licence_classes"] in paths
    resident = issuer["credential_configurations_supported"]["resident_card"]["credential_metadata"]
    assert ["resident_number"] in [c["path"] for c in resident["claims"]]
    oauth = service.client.get("/.well-known/oauth-authorization-server").json()
    assert oauth["issuer"] == ISSUER_URL and oauth["token_endpoint"] == f"{ISSUER_URL}/token"
    assert oauth["grant_types_supported"] == [PRE_AUTH_GRANT]
    assert oauth["pre-authorized_grant_anonymous_access_supported"] is True


# --- token --------------------------------------------------------------------------------------------------


def test_token_happy_path_then_reuse(service: Service) -> None:
    code, tx_code = _offer(service)
    response = _token(service, code, tx_code)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert response.json()["token_type"] == "Bearer" and response.json()["expires_in"] > 0
    _error(_token(service, code, tx_code), 400, "invalid_grant")
    assert [e.detail for e in _audited(service, "token.reject")] == [{"error": "invalid_grant", "reason": "redeemed"}]


def test_unknown_code(service: Service) -> None:
    code, tx_code = _offer(service)
    _error(_token(service, "not-a-code", tx_code), 400, "invalid_grant")
    [entry] = _audited(service, "token.reject")
    assert entry.target == "" and entry.detail == {"error": "invalid_grant", "reason": "unknown"}
    _redeemable(service, code, tx_code)


def test_expired_offer(service: Service) -> None:
    code, tx_code = _offer(service)
    service.clock.advance(minutes=11)
    _error(_token(service, code, tx_code), 400, "invalid_grant")
    assert [e.detail["reason"] for e in _audited(service, "token.reject")] == ["expired"]
    with service.session() as session:
        assert session.scalars(select(Offer.state)).all() == ["open"]
        assert session.scalar(select(func.count()).select_from(AccessToken)) == 0


def test_wrong_tx_code_burns_after_five(service: Service) -> None:
    code, tx_code = _offer(service)
    wrong = f"{(int(tx_code) + 1) % 1_000_000:06d}"
    for _ in range(service.settings.tx_code_attempts - 1):
        _error(_token(service, code, wrong), 400, "invalid_grant")
    _redeemable(service, code, tx_code)  # four wrong guesses leave the offer usable

    code, tx_code = _offer(service)
    for _ in range(service.settings.tx_code_attempts):
        _error(_token(service, code, wrong), 400, "invalid_grant")
    _error(_token(service, code, tx_code), 400, "invalid_grant")
    assert len(_audited(service, "offer.burn")) == 1
    reasons = [e.detail["reason"] for e in _audited(service, "token.reject")]
    assert reasons == ["tx_code_wrong"] * (2 * service.settings.tx_code_attempts - 1) + ["burned"]
    assert all(tx_code not in str(e.detail) and code not in e.target for e in _audited(service, "token.reject"))


def test_missing_tx_code_is_no_guess(service: Service) -> None:
    code, tx_code = _offer(service)
    for _ in range(service.settings.tx_code_attempts + 1):
        _error(_token(service, code, None), 400, "invalid_request")
    assert {e.detail["reason"] for e in _audited(service, "token.reject")} == {"tx_code_missing"}
    with service.session() as session:
        assert session.scalars(select(Offer.failed_attempts)).all() == [0]
    _redeemable(service, code, tx_code)


def test_wrong_grant_type_and_malformed_requests(service: Service) -> None:
    code, tx_code = _offer(service)
    _error(_token(service, code, tx_code, grant="authorization_code"), 400, "unsupported_grant_type")
    _error(_token(service, None, tx_code), 400, "invalid_request")
    _error(service.client.post("/token", data={"pre-authorized_code": code, "tx_code": tx_code}), 400,
           "invalid_request")  # no grant_type: not FastAPI's 422
    # anonymous refusals are counted per minute and kind, not chained into the audit log one by one
    assert refusals(service, "request.reject:invalid_request") == 1 and _audited(service, "request.reject") == []
    _redeemable(service, code, tx_code)


# --- credential ---------------------------------------------------------------------------------------------


def _signatures(response: httpx.Response) -> list[bytes]:
    assert response.status_code == 200, response.text
    out = []
    for item in response.json()["credentials"]:
        raw = base64.urlsafe_b64decode(item["credential"] + "=" * (-len(item["credential"]) % 4))
        out.append(IssuerSigned.from_cbor_value(decode(raw)).issuer_auth.signature)
    return out


def test_batch_of_three(service: Service, access: str) -> None:
    signers = [SoftwareSigner.generate() for _ in range(3)]
    nonce = _nonce(service)
    response = _credential(service, access, [_proof(service, s, nonce) for s in signers])
    signatures = _signatures(response)
    assert len(signatures) == 3 and len(set(signatures)) == 3
    assert response.json()["notification_id"]
    assert _audited(service, "credential.reject") == []


@pytest.mark.parametrize("bearer", [None, "forged-token"])
def test_credential_needs_a_valid_token(service: Service, bearer: str | None) -> None:
    signer = SoftwareSigner.generate()
    nonce = _nonce(service)
    response = _credential(service, bearer, [_proof(service, signer, nonce)])
    _error(response, 401, "invalid_token")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert refusals(service, "credential.reject:invalid_token") == 1
    assert _audited(service, "credential.reject") == [] and _audited(service, "credential.issue") == []


def test_expired_access_token(service: Service, access: str) -> None:
    service.clock.advance(minutes=11)
    nonce = _nonce(service)
    _error(_credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)]), 401, "invalid_token")


def _bad_proofs(service: Service, nonce: str) -> dict[str, list[str]]:
    signer, other = SoftwareSigner.generate(), SoftwareSigner.generate()
    private = {**jwk_from_key(signer.public_key()), "d": "AAAA"}
    return {
        "wrong_aud": [_proof(service, signer, nonce, aud="https://elsewhere.example")],
        "wrong_typ": [_proof(service, signer, nonce, header={"typ": "JWT"})],
        "old_iat": [_proof(service, signer, nonce, iat=int(service.clock.now.timestamp()) - 3600)],
        "future_iat": [_proof(service, signer, nonce, iat=int(service.clock.now.timestamp()) + 3600)],
        "other_key": [_proof(service, signer, nonce, header={"jwk": jwk_from_key(other.public_key())})],
        "private_jwk": [_proof(service, signer, nonce, header={"jwk": private})],
        "jwk_not_object": [_proof(service, signer, nonce, header={"jwk": 5})],
        "duplicate_key": [_proof(service, signer, nonce), _proof(service, signer, nonce)],
        "not_a_jws": ["abc.def"],
        # Appendix F.1: jwk "MUST NOT" come with kid or x5c; only the advertised algorithms (ES256)
        "jwk_and_kid": [_proof(service, signer, nonce, header={"kid": "device-key-1"})],
        "jwk_and_x5c": [_proof(service, signer, nonce, header={"x5c": ["MIIB"]})],
        "es384": [_proof(service, SoftwareSigner.generate(Algorithm.ES384), nonce)],
        "eddsa": [_proof(service, SoftwareSigner.generate(Algorithm.EDDSA), nonce)],
    }


@pytest.mark.parametrize("case", ["wrong_aud", "wrong_typ", "old_iat", "future_iat", "other_key", "private_jwk",
                                  "jwk_not_object", "duplicate_key", "not_a_jws", "jwk_and_kid", "jwk_and_x5c",
                                  "es384", "eddsa"])
def test_bad_proof(service: Service, access: str, case: str) -> None:
    nonce = _nonce(service)
    _error(_credential(service, access, _bad_proofs(service, nonce)[case]), 400, "invalid_proof")
    assert [e.detail for e in _audited(service, "credential.reject")] == [{"error": "invalid_proof"}]
    assert _audited(service, "credential.issue") == []
    # nothing was spent: the same nonce and token still work with a good proof
    _signatures(_credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)]))


def test_nonces(service: Service, access: str) -> None:
    signer = SoftwareSigner.generate()
    _error(_credential(service, access, [_proof(service, signer, "made-up")]), 400, "invalid_nonce")
    first, second = _nonce(service), _nonce(service)
    _error(_credential(service, access, [_proof(service, signer, first), _proof(service, SoftwareSigner.generate(),
                                                                               second)]), 400, "invalid_nonce")
    _signatures(_credential(service, access, [_proof(service, signer, first)]))
    _error(_credential(service, access, [_proof(service, signer, first)]), 400, "invalid_nonce")  # reused
    service.clock.advance(minutes=6)
    _error(_credential(service, access, [_proof(service, signer, second)]), 400, "invalid_nonce")  # expired
    assert [e.detail["error"] for e in _audited(service, "credential.reject")] == ["invalid_nonce"] * 4
    assert len(_audited(service, "credential.issue")) == 1


def test_configuration_not_covered(service: Service, access: str) -> None:
    nonce = _nonce(service)
    for config in ("age_attestation", "no_such_thing"):
        _error(_credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)], config=config),
               400, "unknown_credential_configuration")
    assert len(_audited(service, "credential.reject")) == 2
    _signatures(_credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)]))


def test_batch_limits(service: Service, access: str) -> None:
    nonce = _nonce(service)
    _error(_credential(service, access, []), 400, "invalid_proof")
    too_many = [_proof(service, SoftwareSigner.generate(), nonce) for _ in range(11)]
    _error(_credential(service, access, too_many), 400, "invalid_proof")
    _signatures(_credential(service, access, too_many[:10]))


@pytest.mark.parametrize("smuggled", [{"claims": {"family_name": "X"}},
                                      {"credential_subject": {"family_name": "X"}},
                                      {"proof": {"jwt": "x"}}])
def test_smuggled_members_are_refused(service: Service, access: str, smuggled: dict[str, Any]) -> None:
    nonce = _nonce(service)
    response = _credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)], **smuggled)
    _error(response, 400, "invalid_credential_request")
    assert "X" not in response.text
    assert _audited(service, "credential.issue") == []
    malformed = refusals(service, "request.reject:invalid_credential_request")
    assert len(_audited(service, "credential.reject")) + malformed == 1
    _signatures(_credential(service, access, [_proof(service, SoftwareSigner.generate(), nonce)]))


def test_malformed_credential_body(service: Service, access: str) -> None:
    response = service.client.post("/credential", headers={"Authorization": f"Bearer {access}"}, json=[1, 2])
    _error(response, 400, "invalid_credential_request")
    assert refusals(service, "request.reject:invalid_credential_request") == 1


def test_notification(service: Service, access: str) -> None:
    auth = {"Authorization": f"Bearer {access}"}
    answer = _credential(service, access, [_proof(service, SoftwareSigner.generate(), _nonce(service))])
    ok = {"notification_id": answer.json()["notification_id"], "event": "credential_accepted"}
    assert service.client.post("/notification", headers=auth, json=ok).status_code == 204
    _error(service.client.post("/notification", json=ok), 401, "invalid_token")
    _error(service.client.post("/notification", headers=auth, json={**ok, "event": "nope"}), 400,
           "invalid_notification_request")
    _error(service.client.post("/notification", headers=auth, json={**ok, "notification_id": "made-up"}), 400,
           "invalid_notification_id")
    other = _redeemable(service, *_offer(service))  # another token cannot speak for this response
    _error(service.client.post("/notification", headers={"Authorization": f"Bearer {other}"}, json=ok), 400,
           "invalid_notification_id")
    _error(service.client.post("/notification", headers=auth, json={**ok, "claims": {}}), 400,
           "invalid_notification_request")
    assert len(_audited(service, "notification.reject")) == 3  # with a valid token: audited against the person
    assert refusals(service, "notification.reject:invalid_token") == 1
    assert refusals(service, "request.reject:invalid_notification_request") == 1
    [accepted] = _audited(service, "notification.credential_accepted")
    assert accepted.detail == {"configuration": "mdl", "count": 1}
    with service.session() as session:
        assert session.scalars(select(IssuanceBatch.event)).all() == ["credential_accepted"]


def test_console_keeps_fastapi_validation(service: Service) -> None:
    assert service.client.post("/console/login", data={}).status_code == 422


# --- concurrency --------------------------------------------------------------------------------------------


def test_fifty_parallel_redemptions_of_one_offer(service: Service, live_url: str) -> None:
    code, tx_code = _offer(service)
    results = race_redemptions(live_url, code, tx_code, 50)
    assert sorted(status for status, _ in results) == [200] + [400] * 49
    assert {error for status, error in results if status != 200} == {"invalid_grant"}
    with service.session() as session:
        offer = session.scalars(select(Offer)).one()
        assert offer.state == "redeemed"
        tokens = session.scalar(select(func.count()).select_from(AccessToken)
                                .where(AccessToken.person_id == offer.person_id))
        assert tokens == 1
    assert len(_audited(service, "offer.redeem")) == 1 and len(_audited(service, "token.reject")) == 49



# --- the grant ------------------------------------------------------------------------------------------------


def test_token_states_the_grant(service: Service) -> None:
    response = _token(service, *_offer(service, ("mdl", "age_attestation"), copies={"age_attestation": 3}))
    assert response.json()["mobileid_grant"] == [{"credential_configuration_id": "mdl", "copies": 1},
                                                 {"credential_configuration_id": "age_attestation", "copies": 3}]


def test_requests_beyond_the_grant_are_refused_and_audited(service: Service) -> None:
    access = _redeemable(service, *_offer(service, ("mdl", "age_attestation"), copies={"age_attestation": 2}))
    nonce = _nonce(service)
    three = [_proof(service, SoftwareSigner.generate(), nonce) for _ in range(3)]
    _error(_credential(service, access, three, config="age_attestation"), 400, "credential_request_denied")
    [entry] = _audited(service, "credential.reject")
    assert entry.detail == {"error": "credential_request_denied", "reason": "beyond_grant"}
    assert _audited(service, "credential.issue") == []
    # nothing was spent: the same nonce still works for what the grant covers
    assert len(_signatures(_credential(service, access, three[:2], config="age_attestation"))) == 2
    _error(_credential(service, access, [_proof(service, SoftwareSigner.generate(), _nonce(service))],
                       config="age_attestation"), 400, "credential_request_denied")
    _signatures(_credential(service, access, [_proof(service, SoftwareSigner.generate(), _nonce(service))]))
    _error(_credential(service, access, [_proof(service, SoftwareSigner.generate(), _nonce(service))]), 400,
           "credential_request_denied")  # the licence's one copy is issued
    with service.session() as session:
        items = {i.configuration: (i.issued, i.copies) for i in session.scalars(select(GrantItem))}
    assert items == {"mdl": (1, 1), "age_attestation": (2, 2)}
    assert [e.detail["reason"] for e in _audited(service, "credential.reject")] == ["beyond_grant"] * 3


def test_parallel_requests_cannot_both_take_the_last_copy(service: Service, live_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    access = _redeemable(service, *_offer(service))
    bodies = []
    for _ in range(6):
        proof = _proof(service, SoftwareSigner.generate(), _nonce(service))
        bodies.append({"credential_configuration_id": "mdl", "proofs": {"jwt": [proof]}})

    def ask(body: dict[str, Any]) -> int:
        with httpx.Client(base_url=live_url, timeout=60) as client:
            return client.post("/credential", json=body, headers={"Authorization": f"Bearer {access}"}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(ask, bodies))
    assert statuses == [200] + [400] * 5
    assert len(_audited(service, "credential.issue")) == 1


def test_metadata_advertises_the_proof_algorithms_that_are_accepted(service: Service) -> None:
    configs = service.client.get("/.well-known/openid-credential-issuer").json()["credential_configurations_supported"]
    assert {tuple(c["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"])
            for c in configs.values()} == {("ES256",)}
