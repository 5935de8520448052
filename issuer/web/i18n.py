"""Console texts in Korean (default) and English. Add a language by adding a column."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "title": {"ko": "모바일 신분증 발급 창구", "en": "mobileid issuing counter"},
    "login": {"ko": "로그인", "en": "Sign in"},
    "username": {"ko": "아이디", "en": "Username"},
    "password": {"ko": "비밀번호", "en": "Password"},
    "logout": {"ko": "로그아웃", "en": "Sign out"},
    "bad_login": {"ko": "아이디 또는 비밀번호가 올바르지 않습니다.", "en": "Wrong username or password."},
    "locked": {"ko": "로그인 시도가 너무 많습니다. 잠시 후 다시 시도하세요.",
               "en": "Too many attempts. Try again later."},
    "search": {"ko": "신청인 찾기", "en": "Find applicant"},
    "search_hint": {"ko": "이름 또는 주민등록번호", "en": "Name or resident registration number"},
    "results": {"ko": "검색 결과", "en": "Results"},
    "no_results": {"ko": "찾은 사람이 없습니다.", "en": "No one found."},
    "name": {"ko": "이름", "en": "Name"},
    "birth_date": {"ko": "생년월일", "en": "Date of birth"},
    "resident_number": {"ko": "주민등록번호", "en": "Resident number"},
    "address": {"ko": "주소", "en": "Address"},
    "licence": {"ko": "운전면허", "en": "Driver's licence"},
    "none": {"ko": "없음", "en": "none"},
    "check": {"ko": "본인 확인 기록", "en": "Record the identity check"},
    "document_kind": {"ko": "제시한 신분증", "en": "Document presented"},
    "id_card": {"ko": "주민등록증", "en": "Resident ID card"},
    "passport": {"ko": "여권", "en": "Passport"},
    "driver_licence": {"ko": "운전면허증", "en": "Driver's licence"},
    "alien_registration_card": {"ko": "외국인등록증", "en": "Alien registration card"},
    "document_number": {"ko": "신분증 번호", "en": "Document number"},
    "photo_match": {"ko": "사진과 본인이 일치함", "en": "Photo matches the applicant"},
    "notes": {"ko": "메모", "en": "Notes"},
    "credentials_to_offer": {"ko": "발급할 증명", "en": "Credentials to offer"},
    "submit_check": {"ko": "확인하고 발급 QR 만들기", "en": "Confirm and create the offer QR"},
    "offer": {"ko": "발급 QR", "en": "Offer QR"},
    "open_in_wallet": {"ko": "이 기기의 지갑에서 열기", "en": "Open in a wallet on this device"},
    "offer_help": {"ko": "신청인이 휴대폰 지갑 앱으로 이 QR을 찍고 아래 6자리 번호를 입력합니다.",
                   "en": "The applicant scans this QR with the wallet app and enters the 6 digits below."},
    "tx_code": {"ko": "거래 확인 번호", "en": "Transaction code"},
    "expires": {"ko": "유효 시간", "en": "Valid until"},
    "audit": {"ko": "감사 기록", "en": "Audit log"},
    "error": {"ko": "요청을 처리할 수 없습니다", "en": "The request could not be handled"},
    "skip": {"ko": "본문으로 건너뛰기", "en": "Skip to content"},
    "language": {"ko": "English", "en": "한국어"},
}


def translator(lang: str):  # type: ignore[no-untyped-def]
    lang = lang if lang in ("ko", "en") else "ko"
    return lambda key: MESSAGES.get(key, {}).get(lang, key)
