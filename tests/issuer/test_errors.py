"""One refusal type (issuer.errors.OAuthError) answered by one handler, on every route that refuses; the
tx_code pepper handed over explicitly (no registry in the process)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import issuer.security
from issuer.db.models import Person, Staff
from issuer.errors import OAuthError
from issuer.keys import tx_code_pepper
from issuer.offers import create_offer, record_check, redeem
from issuer.web.errors import oauth_error_handler
from wallet.oid4vci import CredentialOffer

from .conftest import Service, person_with_licence

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def test_one_handler_answers_every_refusal(service: Service) -> None:
    app = service.client.app
    assert app.exception_handlers[OAuthError] is oauth_error_handler  # type: ignore[attr-defined]
    refusals = [
        service.client.post("/token", data={"grant_type": "password"}),  # a route
        service.client.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": "nope", "tx_code": "1"}),
        service.client.post("/credential", json={}),  # 401 from the route
        service.client.post("/remote/offer", content=b"[]"),  # the remote offer
        service.client.post("/api/checks", json={}),  # the staff API
        service.client.get("/credential-offer/unknown"),
    ]
    assert [(r.status_code, r.json()["error"]) for r in refusals] == [
        (400, "unsupported_grant_type"), (400, "invalid_grant"), (401, "invalid_token"), (400, "invalid_request"),
        (401, "invalid_token"), (404, "not_found")]
    for answer in refusals:
        assert set(answer.json()) == {"error", "error_description"} and answer.headers["cache-control"] == "no-store"
        assert ("www-authenticate" in answer.headers) == (answer.status_code == 401)


def test_the_pepper_is_passed_explicitly(service: Service) -> None:
    """An offer made under one pepper is redeemed only under the same one: nothing in the process decides."""
    assert not hasattr(issuer.security, "register_pepper") and not hasattr(issuer.security, "_PEPPERS")
    assert service.client.app.state.mobileid.pepper == tx_code_pepper(service.settings.data_dir)  # type: ignore[attr-defined]
    with service.session() as session:
        staff = session.scalars(select(Staff).where(Staff.username == "clerk1")).one()
        person = session.get(Person, person_with_licence(service))
        assert person is not None
        check = record_check(session, staff=staff, person=person, document_kind="id_card", document_number="P-1",
                             photo_match=True, notes="", now=service.clock.now)
        offer = create_offer(session, check=check, staff=staff, configurations=["mdl"], issuer_url="http://localhost",
                             ttl_seconds=600, now=service.clock.now, pepper=b"one pepper")
        session.commit()
        code = CredentialOffer.parse(offer.offer_uri).pre_authorized_code
        with pytest.raises(OAuthError) as wrong:
            redeem(session, code=code, tx_code=offer.tx_code, max_attempts=5, now=service.clock.now,
                   pepper=b"another pepper")
        assert wrong.value.error == "invalid_grant" and wrong.value.code == "oauth.invalid_grant"
        token, _ = redeem(session, code=code, tx_code=offer.tx_code, max_attempts=5, now=service.clock.now,
                          pepper=b"one pepper")
        assert token
