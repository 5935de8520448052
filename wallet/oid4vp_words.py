"""An online request in plain words, Korean or English: who asks (and whether that is checked), for what,
and which card will answer (OpenID4VP 1.0 §6.4.3 leaves the words to the wallet; §15.1 asks for consent).

Everything the requester supplies (its claimed name, client_id) passes through ``safe_text`` and is
marked unverified unless its certificate chains to a reader root the wallet trusts."""

from __future__ import annotations

from specs.catalogue import Catalogue, DocumentType
from specs.claims import claim_name
from specs.errors import CatalogueError
from specs.oid4vp import FORMAT_MDOC, CredentialQuery
from wallet.oid4vp import ReceivedRequest, ResponsePlan, safe_text

__all__ = ["describe_plan", "describe_request", "requester_line"]

_T = {
    "trusted": {"ko": "{name} (확인된 요청자)", "en": "{name} (verified requester)"},
    "untrusted": {"ko": "\"{name}\" — 요청자가 주장하는 이름이며 확인되지 않았습니다",
                  "en": "\"{name}\" — the name the requester claims, NOT verified"},
    "unsigned": {"ko": "서명되지 않은 요청 — 요청자를 확인할 수 없습니다 ({name})",
                 "en": "unsigned request — the requester cannot be identified ({name})"},
    "asks": {"ko": "다음을 요청합니다:", "en": "asks for:"},
    "from": {"ko": "  {card}에서: {elements}", "en": "  from your {card}: {elements}"},
    "answer": {"ko": "    → 답하는 카드: 보유한 {card} (1회용 사본)",
               "en": "    → answered with your {card} (a single-use copy)"},
    "option": {"ko": "  요청에 대안이 있습니다: {n}개 중 {k}번째 선택지를 사용합니다 (처음으로 충족 가능한 것)",
               "en": "  the request offers alternatives: using option {k} of {n} (the first you can satisfy)"},
    "optional": {"ko": "  선택 항목은 제외됩니다 (보유하지 않음)", "en": "  an optional item is left out (not held)"},
    "claim_set": {"ko": "  {card}: 요청자가 허용한 {n}개 조합 중 {k}번째를 보냅니다",
                  "en": "  {card}: sending combination {k} of the {n} the requester accepts"},
    "to": {"ko": "응답은 암호화되어 {uri} 로 전송됩니다", "en": "the answer is encrypted and sent to {uri}"},
    "plain": {"ko": "응답은 암호화되지 않고 {uri} 로 전송됩니다", "en": "the answer is sent UNENCRYPTED to {uri}"},
}


def _t(key: str, lang: str, **values: object) -> str:
    return _T[key].get(lang, _T[key]["en"]).format(**values)


def requester_line(received: ReceivedRequest, lang: str = "en") -> str:
    requester = received.requester
    name = safe_text(requester.name or requester.client_id, 80)
    return _t(requester.trust, lang, name=name)


def _doc_type(catalogue: Catalogue, query: CredentialQuery) -> DocumentType | None:
    for identifier in query.type_identifiers:
        try:
            return catalogue.find(identifier)
        except CatalogueError:
            continue
    return None


def _elements(doc_type: DocumentType | None, query: CredentialQuery, lang: str, option: int = 0) -> str:
    names = []
    for claim in query.claim_options()[option]:
        namespace = str(claim.path[0]) if query.format == FORMAT_MDOC else None
        element = str(claim.path[1] if query.format == FORMAT_MDOC else claim.path[0])
        names.append(safe_text(claim_name(doc_type, element, lang, namespace), 40))
    return ", ".join(names) or ("-" if lang == "en" else "없음")


def describe_request(received: ReceivedRequest, lang: str = "en", catalogue: Catalogue | None = None) -> list[str]:
    """Every credential query, for a request the wallet cannot (or will not) answer."""
    catalogue = Catalogue.load_default() if catalogue is None else catalogue
    lines = [requester_line(received, lang), _t("asks", lang)]
    for query in received.request.dcql_query.credentials:
        doc_type = _doc_type(catalogue, query)
        card = doc_type.display_name(lang) if doc_type else safe_text(", ".join(query.type_identifiers), 60)
        lines.append(_t("from", lang, card=card, elements=_elements(doc_type, query, lang)))
    return lines


def describe_plan(plan: ResponsePlan, lang: str = "en") -> list[str]:
    """What will be shared, with which card, and which alternatives were taken."""
    request = plan.received.request
    lines = [requester_line(plan.received, lang), _t("asks", lang)]
    for item in plan.credentials:
        card = item.doc_type.display_name(lang)
        lines.append(_t("from", lang, card=card, elements=_elements(item.doc_type, item.query, lang, item.option)))
        lines.append(_t("answer", lang, card=card))
        if item.options > 1:
            lines.append(_t("claim_set", lang, card=card, k=item.option + 1, n=item.options))
    for chosen in plan.choice.sets:
        if chosen.option is None:
            lines.append(_t("optional", lang))
        elif chosen.options > 1:
            lines.append(_t("option", lang, k=chosen.option + 1, n=chosen.options))
    if request.response_uri:
        lines.append(_t("to" if request.encrypted else "plain", lang, uri=safe_text(request.response_uri, 120)))
    return lines
