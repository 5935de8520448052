"""The catalogue: every file loads, the mDL covers ISO/IEC 18013-5 Table 5, malformed files are refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.catalogue import Catalogue
from specs.errors import CatalogueError, UnknownDocumentTypeError

# ISO/IEC 18013-5:2021 Table 5, namespace org.iso.18013.5.1 (mandatory first).
TABLE_5 = [
    "family_name", "given_name", "birth_date", "issue_date", "expiry_date", "issuing_country",
    "issuing_authority", "document_number", "portrait", "driving_privileges", "un_distinguishing_sign",
    "administrative_number", "sex", "height", "weight", "eye_colour", "hair_colour", "birth_place",
    "resident_address", "portrait_capture_date", "age_in_years", "age_birth_year", "age_over_18", "age_over_21",
    "issuing_jurisdiction", "nationality", "resident_city", "resident_state", "resident_postal_code",
    "resident_country", "biometric_template_face", "family_name_national_character",
    "given_name_national_character", "signature_usual_mark",
]
MANDATORY = TABLE_5[:11]
E_CERTIFICATES = ["resident_registration_abstract", "family_relations_certificate", "business_registration",
                  "health_insurance_qualification", "school_enrollment_notice", "disability_certificate",
                  "graduation_certificate", "income_certificate"]


def test_default_catalogue() -> None:
    catalogue = Catalogue.load_default()
    mdl = catalogue.by_doctype("org.iso.18013.5.1.mDL")
    for element in TABLE_5:
        assert mdl.claim("org.iso.18013.5.1", element)
    assert {c.identifier for c in mdl.claims if c.mandatory} == set(MANDATORY)
    assert mdl.claim("kr.mobileid.mdl.1", "aptitude_test_due_date").type == "date"
    age = catalogue.get("age_attestation")
    assert sorted(c.identifier for c in age.claims) == ["age_over_14", "age_over_19", "age_over_65"]
    for type_id in E_CERTIFICATES:
        doc = catalogue.get(type_id)
        assert doc.vct and catalogue.by_vct(doc.vct) is doc
        assert doc.display_name("ko") != doc.display_name("en")
    assert catalogue.get("resident_card").doctype and catalogue.get("resident_card").vct
    assert len(catalogue) >= 11


def test_find_takes_an_id_a_doctype_or_a_vct() -> None:
    catalogue = Catalogue.load_default()
    mdl = catalogue.get("mdl")
    assert catalogue.find("mdl") is mdl
    assert catalogue.find("org.iso.18013.5.1.mDL") is mdl
    resident = catalogue.get("resident_card")
    assert resident.doctype and resident.vct
    assert catalogue.find(resident.doctype) is resident and catalogue.find(resident.vct) is resident
    for unknown in ("nope", "", "org.iso.18013.5.1.mdl", "MDL"):
        with pytest.raises(UnknownDocumentTypeError) as info:
            catalogue.find(unknown)
        assert info.value.code == "catalogue.unknown_type"


def test_an_id_that_is_another_types_vct_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", _base())
    other = _base()
    other["id"], other["formats"] = "other_type", {"dc+sd-jwt": {"vct": _base()["id"]}}
    _write(tmp_path, "b.json", other)
    with pytest.raises(CatalogueError) as info:
        Catalogue.from_folder(tmp_path)
    assert info.value.code == "catalogue.invalid_type_file" and "another type's id" in info.value.message


def test_unknown_lookups() -> None:
    catalogue = Catalogue.load_default()
    for lookup in (lambda: catalogue.get("nope"), lambda: catalogue.by_doctype("x"), lambda: catalogue.by_vct("y")):
        with pytest.raises(UnknownDocumentTypeError) as info:
            lookup()
        assert info.value.code == "catalogue.unknown_type"
    with pytest.raises(CatalogueError) as err:
        catalogue.get("mdl").claim("org.iso.18013.5.1", "favourite_colour")
    assert err.value.code == "catalogue.unknown_claim"


def test_check_values() -> None:
    mdl = Catalogue.load_default().get("mdl")
    ns = "org.iso.18013.5.1"
    good: list[tuple[str, Any]] = [("birth_date", dt.date(1990, 1, 1)), ("portrait", b"\xff\xd8\xff\xe0..."),
                                   ("height", 175), ("eye_colour", "brown"), ("age_over_19", True),
                                   ("driving_privileges", [{"vehicle_category_code": "B"}])]
    for name, value in good:
        mdl.claim(ns, name).check_value(value)
    bad: list[tuple[str, Any]] = [("birth_date", "1990-01-01"), ("portrait", b"PNG"), ("height", -1),
                                  ("eye_colour", "purple"), ("age_over_19", 1), ("driving_privileges", {"a": 1}),
                                  ("portrait_capture_date", dt.datetime(2020, 1, 1))]
    for name, value in bad:
        with pytest.raises(CatalogueError) as info:
            mdl.claim(ns, name).check_value(value)
        assert info.value.code == "catalogue.claim_type"


def test_check_claims_needs_mandatory() -> None:
    cert = Catalogue.load_default().get("business_registration")
    claims = {"registration_number": "123-45-67890", "business_name": "한빛상사", "representative": "김민준",
              "opened_on": dt.date(2020, 1, 1), "business_address": "서울", "business_status": "active",
              "issued_on": dt.date(2026, 11, 25)}
    cert.check_claims(claims, mdoc=False)
    with pytest.raises(CatalogueError) as info:
        cert.check_claims({k: v for k, v in claims.items() if k != "business_status"}, mdoc=False)
    assert info.value.code == "catalogue.claim_missing"


@given(st.text(max_size=20) | st.integers() | st.binary(max_size=8) | st.booleans())
def test_string_and_uint_checks_agree_with_python_types(value: Any) -> None:
    doc = Catalogue.load_default().get("income_certificate")
    for name, ok in (("family_name", isinstance(value, str)),
                     ("tax_year", type(value) is int and value >= 0)):
        claim = doc.claim(None, name)
        if ok:
            claim.check_value(value)
        else:
            with pytest.raises(CatalogueError):
                claim.check_value(value)


def _write(folder: Path, name: str, doc: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(doc, ensure_ascii=False))


def _base() -> dict[str, Any]:
    src = Path(__file__).parents[3] / "specs" / "catalogue" / "types" / "graduation_certificate.json"
    return json.loads(src.read_text())


@pytest.mark.parametrize("mutate", [
    lambda d: d.pop("validity_days"),
    lambda d: d.update(colour="red"),
    lambda d: d["claims"][0].update(type="float"),
    lambda d: d["claims"].append(dict(d["claims"][0])),
    lambda d: d["display"]["name"].pop("ko"),
    lambda d: d["claims"][0].update(values=["a"]),
    lambda d: d.update(presets={"x": ["no_such_claim"]}),
    lambda d: d.update(formats={"mso_mdoc": {"doctype": "x"}}),  # mdoc claims need namespaces
    lambda d: d.update(id="Bad-Id"),
])
def test_malformed_files(tmp_path: Path, mutate) -> None:  # type: ignore[no-untyped-def]
    doc = _base()
    mutate(doc)
    _write(tmp_path, "t.json", doc)
    with pytest.raises(CatalogueError) as info:
        Catalogue.from_folder(tmp_path)
    assert info.value.code == "catalogue.invalid_type_file" and "t.json" in info.value.message


def test_duplicate_type_across_files_and_adding_a_file(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", _base())
    extra = _base()
    extra["id"], extra["formats"] = "graduation_certificate_v2", {"dc+sd-jwt": {"vct": "urn:x:2"}}
    _write(tmp_path, "b.json", extra)
    assert len(Catalogue.from_folder(tmp_path)) == 2  # a new type is a new file
    _write(tmp_path, "c.json", _base())
    with pytest.raises(CatalogueError):
        Catalogue.from_folder(tmp_path)
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(CatalogueError):
        Catalogue.from_folder(tmp_path)
