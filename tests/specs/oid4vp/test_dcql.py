"""DCQL (OpenID4VP 1.0 §6, §7): the specification's examples round-trip, every rule has a negative case,
and a wallet's choice follows §6.4.2 (first satisfiable option)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import Oid4vpError
from specs.oid4vp import DcqlQuery, select_json_path
from tests.conftest import VECTORS, Vectors

V = Vectors(VECTORS / "oid4vp")
EXAMPLES = ["dcql_credentials_alternatives.json", "dcql_claims_alternatives.json", "dcql_complex_mdoc.json",
            "dcql_simple_mdoc.json"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_specification_examples_round_trip(name: str) -> None:
    raw = V.json(name)
    query = DcqlQuery.from_json(raw)
    assert DcqlQuery.from_json(query.to_json()) == query


def _mdoc(**over: Any) -> dict[str, Any]:
    base = {"id": "mdl", "format": "mso_mdoc", "meta": {"doctype_value": "org.iso.18013.5.1.mDL"},
            "claims": [{"path": ["org.iso.18013.5.1", "age_over_19"]}]}
    return {**base, **over}


@pytest.mark.parametrize(("query", "code"), [
    ({"credentials": []}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(id="has space")]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(), _mdoc()]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(format="jwt_vc_json")]}, "oid4vp.dcql_format"),
    ({"credentials": [_mdoc(meta={})]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(meta=None)]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(claims=[{"path": ["only-one"]}])]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(claims=[])]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(claims=[{"path": ["a", "b"], "values": [1.5]}])]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(claim_sets=[["x"]])]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(claims=[{"id": "a", "path": ["n", "e"]}], claim_sets=[["b"]])]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc(multiple="yes")]}, "oid4vp.dcql_invalid"),
    ({"credentials": [{"id": "p", "format": "dc+sd-jwt", "meta": {"vct_values": []}}]}, "oid4vp.dcql_invalid"),
    ({"credentials": [{"id": "p", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]},
                       "claims": [{"path": ["a", -1]}]}]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc()], "credential_sets": [{"options": [["nope"]]}]}, "oid4vp.dcql_invalid"),
    ({"credentials": [_mdoc()], "credential_sets": [{"options": []}]}, "oid4vp.dcql_invalid"),
])
def test_rules(query: dict[str, Any], code: str) -> None:
    with pytest.raises(Oid4vpError) as err:
        DcqlQuery.from_json(query)
    assert err.value.code == code


def test_unknown_members_are_ignored() -> None:
    query = DcqlQuery.from_json({"credentials": [_mdoc(future=1)], "later": True})
    assert query.credentials[0].id == "mdl"


def test_choose_takes_the_first_satisfiable_option_and_says_so() -> None:
    query = DcqlQuery.from_json(V.json("dcql_credentials_alternatives.json"))
    held = {"pid_reduced_cred_1", "pid_reduced_cred_2"}
    choice = query.choose(lambda q: q.id in held)
    assert choice.credential_ids == ("pid_reduced_cred_1", "pid_reduced_cred_2")
    assert [(s.option, s.options, s.required) for s in choice.sets] == [(2, 3, True), (None, 1, False)]
    assert query.satisfied_by(choice.credential_ids)
    assert not query.satisfied_by(("pid_reduced_cred_1",))
    both = query.choose(lambda q: True)
    assert both.credential_ids == ("pid", "nice_to_have")


def test_choose_refuses_when_a_required_set_cannot_be_met() -> None:
    query = DcqlQuery.from_json(V.json("dcql_credentials_alternatives.json"))
    with pytest.raises(Oid4vpError) as err:
        query.choose(lambda q: q.id == "nice_to_have")
    assert err.value.code == "oid4vp.no_credential"
    plain = DcqlQuery.from_json({"credentials": [_mdoc(), _mdoc(id="other")]})
    with pytest.raises(Oid4vpError):
        plain.choose(lambda q: q.id == "mdl")


def test_claim_sets_order_is_preference() -> None:
    query = DcqlQuery.from_json(V.json("dcql_claims_alternatives.json"))
    options = query.credentials[0].claim_options()
    assert len(options) == len(query.credentials[0].claim_sets or ())


def test_json_path_selection() -> None:
    doc = {"a": {"b": [1, 2, {"c": 3}]}, "n": None}
    assert select_json_path(doc, ["a", "b", 2, "c"]) == [3]
    assert select_json_path(doc, ["a", "b", None]) == [1, 2, {"c": 3}]
    with pytest.raises(Oid4vpError) as err:
        select_json_path(doc, ["missing"])
    assert err.value.code == "oid4vp.claim_missing"
    with pytest.raises(Oid4vpError) as err:
        select_json_path(doc, ["a", 0])
    assert err.value.code == "oid4vp.dcql_invalid"


def test_values_match_type_and_value() -> None:
    query = DcqlQuery.from_json({"credentials": [_mdoc(claims=[{"path": ["n", "e"], "values": [True, 19]}])]})
    claim = (query.credentials[0].claims or ())[0]
    assert claim.accepts(True) and claim.accepts(19)
    assert not claim.accepts(1) and not claim.accepts("19") and not claim.accepts(False)


_ids = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ids, min_size=1, max_size=5, unique=True), st.booleans())
def test_round_trip_property(ids: list[str], with_sets: bool) -> None:
    raw: dict[str, Any] = {"credentials": [
        {"id": i, "format": "dc+sd-jwt", "meta": {"vct_values": [f"urn:{i}"]}, "claims": [{"path": [i, 0]}]}
        for i in ids]}
    if with_sets:
        raw["credential_sets"] = [{"options": [[i] for i in ids]}, {"options": [ids[:1]], "required": False}]
    query = DcqlQuery.from_json(copy.deepcopy(raw))
    assert query.to_json() == raw
