"""verifier.verdict: the headline answers the shop's question; a "no" is never under a green headline."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from specs.errors import StatusTokenError
from tests.verifier.test_policy import ADULT, BUSINESS, FRESH, LICENCE, MINOR, NOW, SENIOR, _closed, mdoc
from verifier.policy import PRESETS, Policy, preset
from verifier.result import VerificationResult
from verifier.verdict import MODES, WORDS, checks, headline


@pytest.mark.parametrize(("name", "result", "tone", "ko", "en"), [
    ("age19", ADULT, "yes", "19세 이상 확인 / 판매 가능", "Aged 19 or over: may sell"),
    ("age19", MINOR, "no", "19세 미만 / 판매 불가", "Under 19: do not sell"),
    ("age65", SENIOR, "yes", "65세 이상 확인 / 할인 가능", "Aged 65 or over: discount applies"),
    ("age65", ADULT, "no", "65세 미만 / 할인 불가", "Under 65: no discount"),
    ("age65", mdoc("kr.mobileid.age.1", "kr.mobileid.age.1", age_over_19=True), "no", "요건 미충족 / 할인 불가",
     "Requirement not met: no discount"),
    ("identity", LICENCE, "yes", "신원 확인 / 사진과 얼굴을 대조하세요",
     "Identity verified: compare the photo with the face"),
    ("supplier", BUSINESS, "yes", "사업자 등록 유효 / 거래 가능", "Business registration active: may trade"),
    ("supplier", _closed(), "no", "휴업·폐업 사업자 / 거래 불가", "Business suspended or closed: do not trade"),
    ("licence", LICENCE, "yes", "운전 가능 / 유효한 면허", "May drive: licence valid"),
    ("age19", VerificationResult.failure("mdoc", StatusTokenError("revoked", code="status.revoked")), "no",
     "확인 실패 / 판매 불가", "Not verified: do not sell"),
])
def test_the_headline_is_the_answer(name: str, result: VerificationResult, tone: str, ko: str, en: str) -> None:
    for applied in (preset(name).apply(result, now=NOW), result):  # applied before, or by headline itself
        head = headline(applied, preset(name), now=NOW)
        assert (head.tone, head.text("ko"), head.text("en")) == (tone, ko, en)


def test_a_no_is_never_green_without_a_policy() -> None:
    head = headline(MINOR)
    assert head.tone == "caution" and head.text("en") == "Genuine, but NOT aged 14 or over"
    assert headline(ADULT).tone == "caution" and "65" in headline(ADULT).text("ko")  # age_over_65: false
    assert headline(mdoc("kr.mobileid.age.1", "kr.mobileid.age.1", age_over_19=True)).tone == "yes"
    # With a policy the headline answers its question, whatever else the card says.
    minor_licence = mdoc("org.iso.18013.5.1.mDL", "org.iso.18013.5.1",
                         **{**LICENCE.claims["org.iso.18013.5.1"], "age_over_19": False})
    assert headline(minor_licence, PRESETS["identity"], now=NOW).tone == "yes"
    assert headline(minor_licence, PRESETS["age19"], now=NOW).tone == "no"
    assert headline(minor_licence).tone == "caution"


def test_a_required_false_is_the_yes() -> None:
    youth = Policy.parse("age_over_19=false")  # a youth fare: under 19 is the answer wanted
    minor = mdoc("kr.mobileid.age.1", "kr.mobileid.age.1", age_over_19=False)
    head = headline(youth.apply(minor, now=NOW), youth, now=NOW)
    assert head.tone == "yes" and head.text("en") == "Requirements met"
    assert headline(youth.apply(ADULT, now=NOW), youth, now=NOW).tone == "no"


def test_checks_say_what_and_as_of_when() -> None:
    result = VerificationResult(authentic=True, format="mdoc", holder_bound=True, status="valid", issuer="Police DS",
                                status_as_of=dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC))
    listed = {c.kind: c for c in checks(result)}
    assert listed["issuer"].text("en") == "Issuer: Police DS" and listed["issuer"].text("ko") == "발급: Police DS"
    assert listed["signature"].passed and listed["device"].passed
    assert listed["status"].text("en") == "Status: valid as of 2026-12-04 10:00 UTC"
    loose = {c.kind: c for c in checks(VerificationResult(authentic=True, format="sd-jwt"))}
    assert loose["device"].passed is None and loose["status"].passed is None
    assert checks(VerificationResult.failure("mdoc", StatusTokenError("x"))) == ()
    assert FRESH < NOW


def test_every_word_is_in_both_languages() -> None:
    assert MODES == ("genuine", *PRESETS)
    for texts in WORDS.values():
        assert set(texts) == {"ko", "en"} and texts["ko"] != texts["en"]
        assert set(re.findall(r"{\w+}", texts["ko"])) == set(re.findall(r"{\w+}", texts["en"]))
