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
from dataclasses import dataclass, field
from typing import Any, Literal

from verifier.policy import PRESETS, Policy
from verifier.result import VerificationResult

__all__ = ["MODES", "WORDS", "Check", "Headline", "Tone", "checks", "headline", "words"]

Tone = Literal["yes", "no", "caution"]
_AGE = re.compile(r"^age_over_(\d{2})$")

# Every word the verdict uses, by key: ``{"ko", "en"}`` templates (``{n}``, ``{issuer}``, ``{when}``). The app
# shows the same keys through its gettext catalogues (its English msgids are the ``en`` texts here).
WORDS: Mapping[str, Mapping[str, str]] = {
    # the mode chooser: the question each preset asks
    "age19.asks": {"ko": "19세 이상 (주류·담배)", "en": "Over 19 (alcohol, tobacco)"},
    "age65.asks": {"ko": "65세 이상 (경로 할인)", "en": "Over 65 (senior discount)"},
    "identity.asks": {"ko": "본인 확인 (이름·사진)", "en": "Identity (name and photo)"},
    "supplier.asks": {"ko": "거래처 (사업자 등록)", "en": "Supplier (business registration)"},
    "licence.asks": {"ko": "운전 자격 (면허)", "en": "May drive (licence)"},
    "genuine.asks": {"ko": "진위만 확인", "en": "Only check it is genuine"},
    # the answers
    "age19.yes": {"ko": "19세 이상 확인 / 판매 가능", "en": "Aged 19 or over: may sell"},
    "age19.no": {"ko": "19세 미만 / 판매 불가", "en": "Under 19: do not sell"},
    "age19.not_met": {"ko": "요건 미충족 / 판매 불가", "en": "Requirement not met: do not sell"},
    "age19.not_verified": {"ko": "확인 실패 / 판매 불가", "en": "Not verified: do not sell"},
    "age65.yes": {"ko": "65세 이상 확인 / 할인 가능", "en": "Aged 65 or over: discount applies"},
    "age65.no": {"ko": "65세 미만 / 할인 불가", "en": "Under 65: no discount"},
    "age65.not_met": {"ko": "요건 미충족 / 할인 불가", "en": "Requirement not met: no discount"},
    "age65.not_verified": {"ko": "확인 실패 / 할인 불가", "en": "Not verified: no discount"},
    "identity.yes": {"ko": "신원 확인 / 사진과 얼굴을 대조하세요",
                     "en": "Identity verified: compare the photo with the face"},
    "identity.no": {"ko": "신원 확인 불가", "en": "Identity not confirmed"},
    "identity.not_met": {"ko": "요건 미충족 / 신원 확인 불가", "en": "Requirement not met: identity not confirmed"},
    "identity.not_verified": {"ko": "확인 실패 / 신원 확인 불가", "en": "Not verified: identity not confirmed"},
    "supplier.yes": {"ko": "사업자 등록 유효 / 거래 가능", "en": "Business registration active: may trade"},
    "supplier.no": {"ko": "휴업·폐업 사업자 / 거래 불가", "en": "Business suspended or closed: do not trade"},
    "supplier.not_met": {"ko": "요건 미충족 / 거래 불가", "en": "Requirement not met: do not trade"},
    "supplier.not_verified": {"ko": "확인 실패 / 거래 불가", "en": "Not verified: do not trade"},
    "licence.yes": {"ko": "운전 가능 / 유효한 면허", "en": "May drive: licence valid"},
    "licence.no": {"ko": "운전 불가 / 면허 만료", "en": "May not drive: licence expired"},
    "licence.not_met": {"ko": "요건 미충족 / 운전 불가", "en": "Requirement not met: may not drive"},
    "licence.not_verified": {"ko": "확인 실패 / 운전 불가", "en": "Not verified: may not drive"},
    "genuine.yes": {"ko": "진위 확인됨", "en": "Genuine"},
    "genuine.under": {"ko": "진위 확인됨 / 단, {n}세 이상 아님", "en": "Genuine, but NOT aged {n} or over"},
    "genuine.not_verified": {"ko": "확인 실패", "en": "Not verified"},
    "stated.yes": {"ko": "요건 충족", "en": "Requirements met"},
    "stated.not_met": {"ko": "요건 미충족", "en": "Requirement not met"},
    # what was checked
    "check.issuer": {"ko": "발급: {issuer}", "en": "Issuer: {issuer}"},
    "check.signature": {"ko": "발급 기관 서명 확인, 변조 없음", "en": "Issuer signature verified, nothing altered"},
    "check.device": {"ko": "발급받은 휴대폰에서 제시됨 (기기 서명 확인)",
                     "en": "Shown from the phone it was issued to (device signature verified)"},
    "check.no_device": {"ko": "기기 확인 없음 (복사본일 수 있음)", "en": "Not bound to a device (could be a copy)"},
    "check.status_as_of": {"ko": "상태: 유효 ({when} 기준)", "en": "Status: valid as of {when}"},
    "check.status": {"ko": "상태: 유효", "en": "Status: valid"},
    "check.no_status": {"ko": "상태: 확인하지 않음", "en": "Status: not checked"},
}
MODES = ("genuine", *PRESETS)  # the mode chooser's order: no question first, then the presets
assert all(f"{m}.{k}" in WORDS for m in PRESETS for k in ("asks", "yes", "no", "not_met", "not_verified"))


def words(key: str, lang: str, **params: object) -> str:
    return WORDS[key][lang].format(**params)


@dataclass(frozen=True, slots=True)
class Headline:
    """The answer: its ``tone`` (green, red, amber), its ``key`` in ``WORDS`` and the values it names."""

    tone: Tone
    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return words(self.key, lang, **self.params)


def headline(result: VerificationResult, policy: Policy | None = None, *, now: dt.datetime | None = None
             ) -> Headline:
    """The answer to the question ``policy`` asks (a preset or stated requirements; None: is it genuine)."""
    asks = "genuine" if policy is None else policy.name if PRESETS.get(policy.name) == policy else "stated"
    if not result.authentic:
        return Headline("no", f"{'genuine' if asks == 'stated' else asks}.not_verified")
    if policy is not None and result.policy is None:
        result = policy.apply(result, now=now)
    if not result.accepted:
        refused = asks != "stated" and policy is not None and policy.refusals(result, now=now)
        return Headline("no", f"{asks}.{'no' if refused else 'not_met'}")
    ages = sorted(_false_ages(result.claims)) if policy is None else []
    if ages:  # no question was asked, so the holder's "no" must not read as a yes
        return Headline("caution", "genuine.under", {"n": ages[0]})
    return Headline("yes", f"{asks}.yes")


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
    """One thing that was checked: ``passed`` (None: not checked), its ``key`` in ``WORDS`` and values."""

    kind: Literal["issuer", "signature", "device", "status"]
    passed: bool | None
    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return words(self.key, lang, **self.params)


def checks(result: VerificationResult) -> tuple[Check, ...]:
    """What an authentic result was checked for: the issuer, its signature, the device binding, the status
    (as of the time of the status list it was found in). An inauthentic one lists nothing: its errors say
    why. The issuer's name came from a certificate: outside text, for the face to make safe."""
    if not result.authentic:
        return ()
    out = [Check("issuer", True, "check.issuer", {"issuer": result.issuer or "?"}),
           Check("signature", True, "check.signature"),
           Check("device", True, "check.device") if result.holder_bound else
           Check("device", None, "check.no_device")]
    if result.status == "valid" and result.status_as_of is not None:
        when = result.status_as_of.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        out.append(Check("status", True, "check.status_as_of", {"when": when}))
    elif result.status == "valid":
        out.append(Check("status", True, "check.status"))
    else:
        out.append(Check("status", None, "check.no_status"))
    return tuple(out)
