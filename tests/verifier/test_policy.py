"""verifier.policy: the requirement/policy interface the online verifier maps DCQL onto."""

from __future__ import annotations

import datetime as dt

import pytest

from specs.errors import InputError, MdocError
from verifier.policy import PRESENT, PRESETS, Policy, Requirement
from verifier.result import VerificationResult

AGE = VerificationResult(valid=True, format="mdoc", doctype="kr.mobileid.age.1",
                         claims={"kr.mobileid.age.1": {"age_over_19": True}}, holder_bound=True, status="valid")
BUSINESS = VerificationResult(valid=True, format="sd-jwt", vct="urn:mobileid:kr:business_registration:1",
                              claims={"registration_number": "123", "business_name": "x", "business_status": "closed"},
                              holder_bound=True, status="valid")


def test_presets_accept_what_they_should() -> None:
    assert PRESETS["age19"].evaluate(AGE).accepted
    assert PRESETS["supplier"].evaluate(BUSINESS).accepted


@pytest.mark.parametrize(("policy", "result"), [
    (PRESETS["age65"], AGE),  # element not disclosed
    (PRESETS["licence"], AGE),  # another document
    (Policy("p", (), (Requirement("business_status", equals="active"),)), BUSINESS),  # wrong value
    (Policy("p", (), (Requirement("age_over_19", "other.ns"),)), AGE),  # wrong namespace
    (Policy("p", (), (Requirement("age_over_19", equals=1),)), AGE),  # True is not 1
    (PRESETS["age19"], VerificationResult.failure("mdoc", MdocError("x"))),  # not authentic
    (Policy("p", (), (), max_status_age=dt.timedelta(days=1)),
     VerificationResult(valid=True, format="mdoc", status="unchecked")),
])
def test_unmet(policy: Policy, result: VerificationResult) -> None:
    outcome = policy.evaluate(result)
    assert not outcome.accepted and outcome.unmet and all(u.code == "policy.not_met" for u in outcome.unmet)


def test_parse() -> None:
    policy = Policy.parse("age_over_19=true, kr.mobileid.age.1/age_over_65=false,family_name,tax_year=2025,x=y")
    assert [(r.element, r.namespace, r.equals) for r in policy.requirements] == [
        ("age_over_19", None, True), ("age_over_65", "kr.mobileid.age.1", False), ("family_name", None, PRESENT),
        ("tax_year", None, 2025), ("x", None, "y")]
    for bad in ("", " , ", "=true"):
        with pytest.raises(InputError):
            Policy.parse(bad)
