"""Named DCQL queries (OpenID4VP 1.0 §6) for the online verifier's ``POST /transactions``.

* ``bank_account_opening``: who you are and what you earn: the resident card (or, as the second choice,
  the driver's licence) and the income certificate (a ``credential_sets`` query, §6.2);
* ``supplier_check``: the business registration, whose status must be ``active`` (a ``values`` match, §6.3,
  which ``verifier.oid4vp.policy_for`` turns into a required value);
* ``age19``: ``age_over_19 == true`` from the age attestation, the licence or the resident card, in that order
  of preference (the least data first, §6.4.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specs.oid4vp import DcqlQuery

__all__ = ["PRESETS", "preset"]

RESIDENT_VCT = "urn:mobileid:kr:resident_card:1"
INCOME_VCT = "urn:mobileid:kr:income_certificate:1"
BUSINESS_VCT = "urn:mobileid:kr:business_registration:1"
MDL, ISO = "org.iso.18013.5.1.mDL", "org.iso.18013.5.1"
AGE, AGE_NS = "kr.mobileid.age.1", "kr.mobileid.age.1"


def _sd(query_id: str, vct: str, *claims: str, values: Mapping[str, list[Any]] | None = None) -> dict[str, Any]:
    return {"id": query_id, "format": "dc+sd-jwt", "meta": {"vct_values": [vct]},
            "claims": [{"path": [c], **({"values": values[c]} if values and c in values else {})} for c in claims]}


def _mdoc(query_id: str, doctype: str, namespace: str, *claims: str, values: Mapping[str, list[Any]] | None = None,
          ) -> dict[str, Any]:
    return {"id": query_id, "format": "mso_mdoc", "meta": {"doctype_value": doctype},
            "claims": [{"path": [namespace, c], **({"values": values[c]} if values and c in values else {})}
                       for c in claims]}


_TRUE = {"age_over_19": [True]}
PRESETS: Mapping[str, dict[str, Any]] = {
    "bank_account_opening": {
        "credentials": [
            _sd("resident_card", RESIDENT_VCT, "family_name", "given_name", "birth_date", "resident_address"),
            _mdoc("licence", MDL, ISO, "family_name", "given_name", "birth_date", "resident_address"),
            _sd("income_certificate", INCOME_VCT, "family_name", "given_name", "tax_year", "income_amount_krw",
                "income_type"),
        ],
        "credential_sets": [{"options": [["resident_card"], ["licence"]]}, {"options": [["income_certificate"]]}],
    },
    "supplier_check": {"credentials": [
        _sd("business_registration", BUSINESS_VCT, "registration_number", "business_name", "representative",
            "business_status", values={"business_status": ["active"]})]},
    "age19": {
        "credentials": [_mdoc("age_attestation", AGE, AGE_NS, "age_over_19", values=_TRUE),
                        _mdoc("licence", MDL, ISO, "age_over_19", values=_TRUE),
                        _sd("resident_card", RESIDENT_VCT, "age_over_19", values=_TRUE)],
        "credential_sets": [{"options": [["age_attestation"], ["licence"], ["resident_card"]]}],
    },
}


def preset(name: str) -> DcqlQuery:
    """The named query, parsed like any other (so a preset is held to the same rules)."""
    return DcqlQuery.from_json(PRESETS[name])
