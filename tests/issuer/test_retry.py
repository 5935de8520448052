"""Lost answers (docs/reliability.md): a wallet that asks again with the same key gets a fresh credential
and the unseen first one is revoked, within the grant (a retry takes the place of its copy, at most twice per
copy); a database outage is a 503 with Retry-After, not a bare 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from issuer.db.models import Credential, GrantItem
from specs.crypto import SoftwareSigner
from wallet.oid4vci import CredentialOffer, _proof

from .conftest import ISSUER_URL, Service, enroll, person_with_licence

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _credential(service: Service, token: str, signer: SoftwareSigner) -> int:
    nonce = service.client.post("/nonce").json()["c_nonce"]
    answer = service.client.post("/credential", headers={"Authorization": f"Bearer {token}"},
                                 json={"credential_configuration_id": "mdl",
                                       "proofs": {"jwt": [_proof(signer, ISSUER_URL, nonce, service.clock.now)]}})
    return answer.status_code


def test_retry_with_the_same_key_supersedes_the_lost_credential(service: Service) -> None:
    uri, tx_code = enroll(service, person_with_licence(service), ["mdl"])
    offer = CredentialOffer.parse(uri)
    token = service.client.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code":
                                                offer.pre_authorized_code, "tx_code": tx_code}).json()["access_token"]
    signer = SoftwareSigner.generate()
    assert _credential(service, token, signer) == 200  # imagine this answer never reached the phone
    assert _credential(service, token, signer) == 200
    with service.session() as session:
        rows = session.scalars(select(Credential).order_by(Credential.id)).all()
    assert [r.status for r in rows] == ["revoked", "valid"]
    assert _credential(service, token, SoftwareSigner.generate()) == 400  # another key: a second copy, not granted
    assert _credential(service, token, signer) == 200  # a second lost answer
    assert _credential(service, token, signer) == 400  # retries count too: 2 per granted copy
    with service.session() as session:
        assert session.scalars(select(Credential.status).order_by(Credential.id)).all() == [
            "revoked", "revoked", "valid"]
        item = session.scalars(select(GrantItem)).one()
        assert (item.copies, item.issued, item.reissued) == (1, 1, 2)


def test_database_outage_is_a_503(service: Service) -> None:
    app = service.client.app

    @app.get("/test-outage")  # type: ignore[attr-defined,untyped-decorator]
    def outage() -> None:
        raise OperationalError("SELECT 1", {}, Exception("the database system is shutting down"))

    with TestClient(app, base_url=ISSUER_URL, raise_server_exceptions=False) as client:  # type: ignore[arg-type]
        answer = client.get("/test-outage")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert answer.json()["error"] == "temporarily_unavailable"
