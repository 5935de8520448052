"""The verdict in the shop's words: a headline that answers the question the verifier asked, and what was
checked, as of when. The CLI (``mobileid verify``) prints it; the app's verifier mode shows the same
headline through its own translation catalogues (its English source strings are the ``en`` words here).

The headline's ``tone`` decides its colour: ``yes`` (green) only when the presentation is authentic and the
policy holds. With a policy the headline answers its question (a licence shown for ``identity`` that also
says ``age_over_19: false`` is still the identity asked for). Without one, an ``age_over_NN`` that is false
makes the headline ``caution`` ("genuine, but NOT aged 19 or over"): an answer that is "no" is never shown
under a green headline (issue 12: a 13-year-old's check once showed a big green VALID with "19세 이상:
아니요" in small type below).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from verifier.policy import PRESETS, Policy
from verifier.result import VerificationResult

__all__ = ["QUESTIONS", "Check", "Headline", "Question", "checks", "headline"]

Tone = Literal["yes", "no", "caution"]
_AGE = re.compile(r"^age_over_(\d{2})$")


@dataclass(frozen=True, slots=True)
class Question:
    """A preset's question and its answers, each ``{"ko", "en"}``."""

    asks: Mapping[str, str]  # the mode chooser's label
    yes: Mapping[str, str]
    no: Mapping[str, str]  # the holder's answer is "no" (age_over_19: false; business_status: closed)
    refuse: Mapping[str, str]  # what the shop does when it cannot say yes ("판매 불가")


def _w(ko: str, en: str) -> Mapping[str, str]:
    return {"ko": ko, "en": en}


QUESTIONS: Mapping[str, Question] = {
    "age19": Question(_w("19세 이상 (주류·담배)", "Over 19 (alcohol, tobacco)"),
                      _w("19세 이상 확인 / 판매 가능", "Aged 19 or over: may sell"),
                      _w("19세 미만 / 판매 불가", "Under 19: do not sell"), _w("판매 불가", "do not sell")),
    "age65": Question(_w("65세 이상 (경로 할인)", "Over 65 (senior discount)"),
                      _w("65세 이상 확인 / 할인 가능", "Aged 65 or over: discount applies"),
                      _w("65세 미만 / 할인 불가", "Under 65: no discount"), _w("할인 불가", "no discount")),
    "identity": Question(_w("본인 확인 (이름·사진)", "Identity (name and photo)"),
                         _w("신원 확인 / 사진과 얼굴을 대조하세요",
                            "Identity verified: compare the photo with the face"),
                         _w("신원 확인 불가", "Identity not confirmed"),
                         _w("신원 확인 불가", "identity not confirmed")),
    "supplier": Question(_w("거래처 (사업자 등록)", "Supplier (business registration)"),
                         _w("사업자 등록 유효 / 거래 가능", "Business registration active: may trade"),
                         _w("휴업·폐업 사업자 / 거래 불가", "Business suspended or closed: do not trade"),
                         _w("거래 불가", "do not trade")),
    "licence": Question(_w("운전 자격 (면허)", "May drive (licence)"),
                        _w("운전 가능 / 유효한 면허", "May drive: licence valid"),
                        _w("운전 불가 / 면허 만료", "May not drive: licence expired"),
                        _w("운전 불가", "may not drive")),
}
assert set(QUESTIONS) == set(PRESETS)

NOT_VERIFIED = _w("확인 실패", "Not verified")
NOT_MET = _w("요건 미충족", "Requirement not met")
MET = _w("요건 충족", "Requirements met")
GENUINE = _w("진위 확인됨", "Genuine")
GENUINE_BUT = _w("진위 확인됨 / 단, {what} 아님", "Genuine, but NOT {what}")
AGED = _w("{n}세 이상", "aged {n} or over")
_LANGS = ("ko", "en")
_SEP = {"ko": " / ", "en": ": "}


@dataclass(frozen=True, slots=True)
class Headline:
    tone: Tone
    words: Mapping[str, str]  # {"ko", "en"}


def headline(result: VerificationResult, policy: Policy | None = None, *, now: dt.datetime | None = None
             ) -> Headline:
    """The answer to the question ``policy`` asks (a preset or stated requirements; None: is it genuine)."""
    question = QUESTIONS.get(policy.name) if policy is not None and PRESETS.get(policy.name) == policy else None
    if not result.authentic:
        if question is None:
            return Headline("no", NOT_VERIFIED)
        return Headline("no", {lang: f"{NOT_VERIFIED[lang]}{_SEP[lang]}{question.refuse[lang]}" for lang in _LANGS})
    if policy is not None and result.policy is None:
        result = policy.apply(result, now=now)
    if not result.accepted:
        if question is None:
            return Headline("no", NOT_MET)
        return Headline("no", question.no if policy is not None and policy.refusals(result, now=now) else
                        {lang: f"{NOT_MET[lang]}{_SEP[lang]}{question.refuse[lang]}" for lang in _LANGS})
    ages = sorted(_false_ages(result.claims)) if policy is None else []
    if ages:  # no question was asked, so the holder's "no" must not read as a yes
        return Headline("caution", {lang: GENUINE_BUT[lang].format(what=AGED[lang].format(n=ages[0]))
                                    for lang in _LANGS})
    if question is not None:
        return Headline("yes", question.yes)
    return Headline("yes", MET if policy is not None else GENUINE)


def _false_ages(claims: Mapping[str, Any]) -> set[str]:
    found = set()
    for key, value in claims.items():
        if isinstance(value, Mapping):
            found |= _false_ages(value)
        else:
            match = _AGE.match(str(key))
            if match and value is False:
                found.add(match.group(1))
    return found


@dataclass(frozen=True, slots=True)
class Check:
    """One thing that was checked: ``passed`` (None: not checked) and its words ``{"ko", "en"}``."""

    kind: Literal["issuer", "signature", "device", "status"]
    passed: bool | None
    words: Mapping[str, str]


def checks(result: VerificationResult) -> tuple[Check, ...]:
    """What an authentic result was checked for: the issuer, its signature, the device binding, the status
    (as of the trust bundle's time). An inauthentic one lists nothing as passed: its errors say why."""
    if not result.authentic:
        return ()
    issuer = result.issuer or "?"
    out = [Check("issuer", True, _w(f"발급: {issuer}", f"Issuer: {issuer}")),
           Check("signature", True, _w("발급 기관 서명 확인, 변조 없음", "Issuer signature verified, nothing altered"))]
    if result.holder_bound:
        out.append(Check("device", True, _w("발급받은 휴대폰에서 제시됨 (기기 서명 확인)",
                                            "Shown from the phone it was issued to (device signature verified)")))
    else:
        out.append(Check("device", None, _w("기기 확인 없음 (복사본일 수 있음)",
                                            "Not bound to a device (could be a copy)")))
    when = _when(result.status_as_of)
    if result.status == "valid":
        out.append(Check("status", True, _w(f"상태: 유효 ({when} 기준)" if when else "상태: 유효",
                                            f"Status: valid as of {when}" if when else "Status: valid")))
    else:
        out.append(Check("status", None, _w("상태: 확인하지 않음", "Status: not checked")))
    return tuple(out)


def _when(at: dt.datetime | None) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if at is not None else ""
