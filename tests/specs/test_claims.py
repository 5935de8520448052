"""specs/claims.py: one Claim per disclosed or stored claim, labelled by the catalogue, rendered for people."""

from __future__ import annotations

import datetime as dt

import cbor2
import pytest

from specs.catalogue import Catalogue
from specs.claims import Claim, build_claims, claim_label, find_claim, plain_value

JPEG = b"\xff\xd8\xff\xe0" + bytes(1088)
MDL_NS = "org.iso.18013.5.1"


def _mdl(*values: tuple[str, object]) -> tuple[Claim, ...]:
    return build_claims(Catalogue.load_default().find("mdl"), ((MDL_NS, k, v) for k, v in values))


def test_labels_come_from_the_catalogue_in_korean_and_english() -> None:
    (family,) = _mdl(("family_name", "Oh"))
    assert family.name("en") != "family_name" and family.name("en") == family.label["en"]
    assert family.name("ko") != family.name("en") and family.name("ko")
    assert family.kind == "string" and family.namespace == MDL_NS


def test_a_pattern_claim_names_its_age() -> None:
    (age,) = _mdl(("age_over_19", False))
    assert age.name("ko") == "19세 이상" and age.name("en") == "Aged 19 or over"
    assert age.render("ko") == "아니요" and age.render("en") == "No"
    assert Claim("age_over_65", True).render("ko") == "예"


def test_the_portrait_is_an_image_not_a_string() -> None:
    (portrait,) = _mdl(("portrait", JPEG))
    assert portrait.kind == "jpeg" and portrait.image == JPEG
    assert "<jpeg" not in portrait.render("en") and portrait.render("en") == "picture (1092 bytes)"
    assert portrait.render("ko") == "사진 (1092바이트)"
    assert Claim("data", b"\x00\x01").image is None  # bytes that are no picture are not drawn


def test_dates_cbor_tags_and_privileges() -> None:
    birth = cbor2.CBORTag(1004, "1990-05-01")
    privileges = [{"vehicle_category_code": "B", "issue_date": cbor2.CBORTag(1004, "2020-01-02"),
                   "expiry_date": cbor2.CBORTag(1004, "2030-01-02")}, {"vehicle_category_code": "C1"}]
    claims = _mdl(("birth_date", birth), ("driving_privileges", privileges), ("sex", 2))
    birth_claim, privileges_claim, sex = claims
    assert birth_claim.value == dt.date(1990, 5, 1) and birth_claim.render() == "1990-05-01"
    assert privileges_claim.render("en") == "B (until 2030-01-02), C1"
    assert privileges_claim.render("ko") == "B (2030-01-02까지), C1"
    assert sex.render("ko") == "여" and sex.render("en") == "Female"
    assert privileges_claim.json_value()[0]["expiry_date"] == "2030-01-02"
    assert find_claim(claims, "sex") is sex and find_claim(claims, "height") is None


def test_datetimes_render_in_utc() -> None:
    moment = dt.datetime(2026, 12, 4, 23, 5, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert Claim("issued_at", moment, kind="datetime").render() == "2026-12-04 14:05 UTC"
    assert Claim("issued_at", moment).json_value() == "2026-12-04T23:05:00+09:00"


def test_sd_jwt_dates_are_text_made_dates() -> None:
    catalogue = Catalogue.load_default()
    resident = catalogue.get("resident_card")
    date_claim = next(c for c in resident.claims if c.type == "date")
    (claim,) = build_claims(resident, [(None, date_claim.identifier, "2001-02-03")])
    assert claim.value == dt.date(2001, 2, 3)
    (text,) = build_claims(resident, [(None, "some_unknown_claim", "2001-02-03")])
    assert text.value == "2001-02-03"  # a string claim stays a string: only dates are dates


def test_an_unknown_type_or_claim_is_labelled_by_its_identifier() -> None:
    (claim,) = build_claims(None, [(None, "favourite_colour", "blue")])
    assert claim.name("ko") == claim.name("en") == "favourite_colour" and claim.render() == "blue"
    assert claim_label(Catalogue.load_default().find("mdl"), "favourite_colour") == {
        "ko": "favourite_colour", "en": "favourite_colour"}


@pytest.mark.parametrize(("value", "shown"), [
    ({"a": 1, "b": True}, "a: 1, b: Yes"),
    ([1, 2], "1, 2"),
    ("텍스트", "텍스트"),
    (7, "7"),
])
def test_render_of_plain_values(value: object, shown: str) -> None:
    assert Claim("x", plain_value(value)).render("en") == shown


def test_a_language_without_words_reads_english_words() -> None:
    assert Claim("x", True).render("de") == "Yes"
    assert Claim("x", True, label={"ko": "가", "en": "A"}).name("de") == "A"
