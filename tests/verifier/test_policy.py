"""verifier.policy: what a verifier requires beyond authenticity; the presets the shop questions need."""

from __future__ import annotations

import datetime as dt

import pytest

from specs.errors import InputError, MdocError
from verifier.policy import NOT_PAST, PRESENT, PRESETS, Policy, Requirement, policy_named, preset
from verifier.result import VerificationResult

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
FRESH = NOW - dt.timedelta(hours=2)
AGE_NS = "kr.mobileid.age.1"
MDL_NS = "org.iso.18013.5.1"


def mdoc(doctype: str, namespace: str, **claims: object) -> VerificationResult:
    return VerificationResult(authentic=True, format="mdoc", doctype=doctype, claims={namespace: claims},
                              holder_bound=True, status="valid", status_as_of=FRESH)


ADULT = mdoc(AGE_NS, AGE_NS, age_over_14=True, age_over_19=True, age_over_65=False)
MINOR = mdoc(AGE_NS, AGE_NS, age_over_14=False, age_over_19=False, age_over_65=False)
SENIOR = mdoc(AGE_NS, AGE_NS, age_over_65=True)
LICENCE = mdoc("org.iso.18013.5.1.mDL", MDL_NS, family_name="김", given_name="민준", portrait=b"\xff\xd8\xff\xe0",
               driving_privileges=[{"vehicle_category_code": "B"}], expiry_date=dt.date(2030, 1, 1),
               age_over_19=True)
BUSINESS = VerificationResult(authentic=True, format="sd-jwt", vct="urn:mobileid:kr:business_registration:1",
                              claims={"registration_number": "123", "business_name": "x",
                                      "business_status": "active"},
                              holder_bound=True, status="valid", status_as_of=FRESH)


def test_presets_read_their_documents_from_the_catalogue() -> None:
    assert set(PRESETS) == {"age19", "age65", "identity", "supplier", "licence"}
    assert set(PRESETS["age19"].documents) == {"age_attestation", "mdl", "resident_card"}
    assert set(PRESETS["age65"].documents) == {"age_attestation", "mdl"}  # the mDL by its age_over_NN pattern
    assert set(PRESETS["identity"].documents) == {"mdl", "resident_card"}
    assert PRESETS["supplier"].documents == ("business_registration",)
    assert PRESETS["licence"].documents == ("mdl",)


@pytest.mark.parametrize(("name", "result"), [("age19", ADULT), ("age65", SENIOR), ("identity", LICENCE),
                                              ("licence", LICENCE), ("supplier", BUSINESS), ("age19", LICENCE)])
def test_presets_accept_what_they_should(name: str, result: VerificationResult) -> None:
    applied = preset(name).apply(result, now=NOW)
    assert applied.accepted and applied.valid and applied.authentic and applied.policy == name and not applied.unmet


def _closed() -> VerificationResult:
    return VerificationResult(authentic=True, format="sd-jwt", vct=BUSINESS.vct,
                              claims={**BUSINESS.claims, "business_status": "closed"}, holder_bound=True,
                              status="valid", status_as_of=FRESH)


@pytest.mark.parametrize(("policy", "result", "element", "words"), [
    (PRESETS["age19"], MINOR, "age_over_19", "age_over_19=true does not hold"),  # a "no"
    (PRESETS["age65"], ADULT, "age_over_65", "does not hold"),
    (PRESETS["age65"], mdoc(AGE_NS, AGE_NS, age_over_19=True), "age_over_65", "was not shown"),  # not disclosed
    (PRESETS["identity"], mdoc("org.iso.18013.5.1.mDL", MDL_NS, family_name="김", given_name="민준"), "portrait",
     "portrait was not shown"),
    (PRESETS["licence"], ADULT, None, "not one licence accepts"),  # another document
    (PRESETS["licence"], mdoc("org.iso.18013.5.1.mDL", MDL_NS, **{**LICENCE.claims[MDL_NS],
                                                                  "expiry_date": dt.date(2026, 12, 3)}),
     "expiry_date", "expiry_date not past does not hold"),
    (PRESETS["supplier"], _closed(), "business_status", "business_status='active' does not hold"),
    (Policy("p", (), (Requirement("age_over_19", "other.ns"),)), ADULT, "age_over_19", "was not shown"),
    (Policy("p", (), (Requirement("age_over_19", equals=1),)), ADULT, "age_over_19", "does not hold"),  # True != 1
    (PRESETS["age19"], VerificationResult.failure("mdoc", MdocError("x")), None, "not authentic"),
    (Policy("p", max_status_age=dt.timedelta(days=1)),
     VerificationResult(authentic=True, format="mdoc", status="unchecked"), None, "status could not be checked"),
    (PRESETS["supplier"], VerificationResult(authentic=True, format="sd-jwt", vct=BUSINESS.vct,
                                             claims=BUSINESS.claims, status="valid",
                                             status_as_of=NOW - dt.timedelta(days=2)), None, "too old"),
])
def test_unmet_names_the_requirement(policy: Policy, result: VerificationResult, element: str | None,
                                     words: str) -> None:
    applied = policy.apply(result, now=NOW)
    assert not applied.accepted and not applied.valid and applied.authentic == result.authentic
    assert all(u.code == "policy.not_met" for u in applied.unmet)
    assert any(u.element == element and words in u.message for u in applied.unmet), applied.unmet
    document = applied.to_json()
    assert document["valid"] is False and document["accepted"] is False and document["policy"] == policy.name
    assert document["authentic"] is result.authentic
    assert {"code": "policy.not_met", "element": element} in [
        {k: u[k] for k in ("code", "element")} for u in document["unmet"]]
    kinds = {u.what for u in applied.unmet}
    if not result.authentic:  # only that: the requirements of an inauthentic presentation are moot
        assert [u.what for u in applied.unmet] == ["authentic"]
    elif element is None:
        assert kinds & {"document", "status"}
    else:
        assert "element" in kinds


def test_without_a_policy_valid_is_authentic() -> None:
    document = MINOR.to_json()
    assert document["valid"] and document["authentic"] and document["accepted"] and document["policy"] is None
    assert document["status_as_of"] == "2026-12-04T10:00:00Z" and document["unmet"] == []


def test_parse() -> None:
    policy = Policy.parse("age_over_19=true, kr.mobileid.age.1/age_over_65=false,family_name,tax_year=2025,x=y")
    assert [(r.element, r.namespace, r.equals) for r in policy.requirements] == [
        ("age_over_19", None, True), ("age_over_65", "kr.mobileid.age.1", False), ("family_name", None, PRESENT),
        ("tax_year", None, 2025), ("x", None, "y")]
    assert policy.name == "age_over_19=true,kr.mobileid.age.1/age_over_65=false,family_name,tax_year=2025,x='y'"
    for bad in ("", " , ", "=true", "ns/=1"):
        with pytest.raises(InputError):
            Policy.parse(bad)


def test_require_option_values() -> None:
    assert policy_named("age19") is PRESETS["age19"]
    assert policy_named("age_over_19=true").requirements == (Requirement("age_over_19", equals=True),)
    assert policy_named("portrait").requirements == (Requirement("portrait"),)  # an element of a known type
    for typo in ("age91", "idenity"):
        with pytest.raises(InputError) as err:
            policy_named(typo)
        assert err.value.code == "input.usage" and "age19" in err.value.message
    with pytest.raises(InputError):
        preset("nope")


def test_not_past_reads_dates_and_refuses_what_is_no_date() -> None:
    policy = Policy("p", (), (Requirement("expiry_date", equals=NOT_PAST),))
    for value, ok in ((dt.date(2026, 12, 4), True), ("2026-12-05", True), ("2026-12-03", False), ("soon", False),
                      (dt.datetime(2027, 1, 1, tzinfo=dt.UTC), True), (20261205, False)):
        result = VerificationResult(authentic=True, format="sd-jwt", claims={"expiry_date": value})
        assert policy.evaluate(result, now=NOW).accepted is ok, value


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_has_a_request_that_asks_what_it_needs(name: str) -> None:
    """The two-way request for a preset names each document it accepts (by docType or vct: what the wallet
    looks up) and asks each for exactly the preset's elements; an answer from any of them can meet it."""
    from specs.catalogue import Catalogue
    from verifier.policy import MAX_REQUEST_ITEMS, request_items

    policy = PRESETS[name]
    items = request_items(policy)
    catalogue = Catalogue.load_default()
    assert 1 <= len(items) <= MAX_REQUEST_ITEMS
    assert {catalogue.find(identifier).id for identifier in items} <= set(policy.documents)
    assert catalogue.find(next(iter(items))).id == policy.documents[0]  # the preferred document first
    for asked in items.values():
        assert asked == tuple(r.element for r in policy.requirements)
    # An answer with just those elements is accepted; with one of them left out it is not.
    answer = {"age19": ADULT, "age65": SENIOR, "identity": LICENCE, "supplier": BUSINESS, "licence": LICENCE}[name]
    assert policy.evaluate(answer, now=NOW).accepted
    fewer = answer.claims if answer.format == "sd-jwt" else next(iter(answer.claims.values()))
    kept = {k: v for k, v in fewer.items() if k != items[next(iter(items))][-1]}
    shorter = VerificationResult(authentic=True, format=answer.format, doctype=answer.doctype, vct=answer.vct,
                                 claims=kept if answer.format == "sd-jwt" else {next(iter(answer.claims)): kept},
                                 holder_bound=True, status="valid", status_as_of=FRESH)
    assert not policy.evaluate(shorter, now=NOW).accepted


def test_the_request_lists_the_age_documents_in_the_order_they_are_preferred() -> None:
    from verifier.policy import request_items

    assert request_items(PRESETS["age19"]) == {
        "kr.mobileid.age.1": ("age_over_19",), "org.iso.18013.5.1.mDL": ("age_over_19",),
        "kr.mobileid.resident_card.1": ("age_over_19",), "urn:mobileid:kr:resident_card:1": ("age_over_19",)}


def test_a_policy_with_nothing_to_ask_for_has_no_request() -> None:
    from verifier.policy import request_items

    with pytest.raises(InputError) as err:
        request_items(Policy.parse("age_over_19=true"))  # names no document: whom would the QR ask?
    assert err.value.code == "input.usage"
    with pytest.raises(InputError):
        request_items(Policy("empty", ("mdl",), ()))
