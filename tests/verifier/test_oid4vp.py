"""The online verifier library with the wallet library, over the W3C Digital Credentials API forms
(OpenID4VP 1.0 Appendix A: dc_api.jwt, the origin-bound handover B.2.6.2): no HTTP in between."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from specs.errors import Oid4vpError
from specs.oid4vp import DcqlQuery, DigitalCredentialRequest
from tests.issuer.conftest import Service
from tests.verifier.online import Online, online_story
from tests.wallet.conftest import PIN
from verifier.dcql_presets import preset
from verifier.oid4vp import create_dc_api_request, policy_for, verify_dc_api_response
from verifier.policy import PRESENT
from wallet.oid4vp import receive_dc_api_request

ORIGIN = "https://bank.example"


@pytest.fixture
def online(service: Service, tmp_path: Path) -> Online:
    return online_story(service, tmp_path / "phone")


def _answer(online: Online, request: DigitalCredentialRequest, origin: str = ORIGIN):  # type: ignore[no-untyped-def]
    received = receive_dc_api_request(request, origin=origin, reader_roots=online.reader_roots,
                                       now=online.service.clock.now)
    plan = online.presenter.plan(PIN, received)
    return received, plan, online.presenter.answer_dc_api(PIN, plan)


@pytest.mark.parametrize("signed", [True, False])
def test_bank_account_opening_over_the_dc_api(online: Online, signed: bool) -> None:
    now = online.service.clock.now
    pending, request = create_dc_api_request(preset("bank_account_opening"), origin=ORIGIN, now=now,
                                             reader=online.reader if signed else None)
    received, plan, response = _answer(online, request)
    assert received.requester.trust == ("trusted" if signed else "unsigned")
    assert [c.query.id for c in plan.credentials] == ["resident_card", "income_certificate"]
    assert [s.option for s in plan.choice.sets] == [0, 0]  # the resident card: the first option
    result = verify_dc_api_response(pending, response, trust=online.trust(), now=now)
    assert result.authentic and result.accepted, result.errors
    resident, income = result.credentials
    assert set(resident.result.claims) >= {"family_name", "given_name", "birth_date", "resident_address"}
    assert "resident_number" not in resident.result.claims  # not asked, not disclosed
    assert income.result.claims["income_amount_krw"] > 0 and income.result.status == "valid"


def test_age_check_mdoc_over_the_dc_api(online: Online) -> None:
    now = online.service.clock.now
    pending, request = create_dc_api_request(preset("age19"), origin=ORIGIN, now=now, reader=online.reader)
    _, plan, response = _answer(online, request)
    assert plan.credentials[0].query.id == "age_attestation"
    result = verify_dc_api_response(pending, response, trust=online.trust(), now=now)
    assert result.accepted and result.credentials[0].result.claims == {"kr.mobileid.age.1": {"age_over_19": True}}


def test_an_answer_for_another_origin_or_nonce_fails(online: Online) -> None:
    now = online.service.clock.now
    pending, request = create_dc_api_request(preset("age19"), origin=ORIGIN, now=now)
    _, _, response = _answer(online, request, origin="https://evil.example")  # unsigned: the browser's origin
    result = verify_dc_api_response(pending, response, trust=online.trust(), now=now)
    assert not result.authentic and result.errors[0].code == "mdoc.device_signature_invalid"
    _, request2 = create_dc_api_request(preset("bank_account_opening"), origin=ORIGIN, now=now)
    _, _, response2 = _answer(online, request2)
    with pytest.raises(Oid4vpError) as err:  # encrypted to the other transaction's key
        verify_dc_api_response(pending, response2, trust=online.trust(), now=now)
    assert err.value.code == "oid4vp.jwe"


def test_signed_request_for_another_origin_is_refused_by_the_wallet(online: Online) -> None:
    _, request = create_dc_api_request(preset("age19"), origin=ORIGIN, now=online.service.clock.now,
                                       reader=online.reader)
    with pytest.raises(Oid4vpError) as err:
        receive_dc_api_request(request, origin="https://evil.example", reader_roots=online.reader_roots,
                               now=online.service.clock.now)
    assert err.value.code == "oid4vp.origin_mismatch"


def test_requirements_are_the_verifiers_not_the_wallets(online: Online) -> None:
    """A wallet answering a query whose values were altered on the way is authentic but not accepted."""
    now = online.service.clock.now
    pending, request = create_dc_api_request(preset("supplier_check"), origin=ORIGIN, now=now)
    altered = json.loads(json.dumps(request.to_json()))
    altered["data"]["dcql_query"]["credentials"][0]["claims"][3]["values"] = ["active", "closed"]
    strict = DcqlQuery.from_json({"credentials": [{**preset("supplier_check").to_json()["credentials"][0],
                                                   "claims": [{"path": ["business_status"], "values": ["closed"]}]}]})
    pending = dataclasses.replace(pending, dcql=strict)
    _, _, response = _answer(online, DigitalCredentialRequest.from_json(altered))
    result = verify_dc_api_response(pending, response, trust=online.trust(), now=now)
    assert result.authentic and not result.accepted
    assert result.credentials[0].outcome.unmet[0].code == "policy.not_met"


def test_dcql_becomes_the_policy_interface() -> None:
    policy = policy_for(preset("age19").credential("licence"))
    assert policy.documents == ("org.iso.18013.5.1.mDL",)
    ((requirement),) = policy.requirements
    assert (requirement.element, requirement.namespace, requirement.equals) == ("age_over_19", "org.iso.18013.5.1",
                                                                                True)
    bank = policy_for(preset("bank_account_opening").credential("income_certificate"))
    assert all(r.equals is PRESENT and r.namespace is None for r in bank.requirements)
