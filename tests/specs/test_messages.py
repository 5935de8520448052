"""specs/messages.py: every code raised anywhere has plain words in Korean and English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from specs.errors import CredentialStatusError, MobileIdError, QrError
from specs.messages import LANGUAGES, _checked, entry_for, language_from_env, message, table

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("specs", "verifier", "wallet", "issuer", "mobileid", "app")
CODE = re.compile(r"^[a-z][a-z0-9]*(\.[a-z0-9_]+)+$")  # dotted: the MobileIdError codes (not console rule names)


def _strings(node: ast.AST) -> list[tuple[str, bool]]:
    """Literal strings under ``node``; an f-string gives its literal head, marked as a family prefix."""
    found: list[tuple[str, bool]] = []
    inside_f = {id(part) for inner in ast.walk(node) if isinstance(inner, ast.JoinedStr) for part in inner.values}
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str) and id(inner) not in inside_f:
            found.append((inner.value, False))
        elif isinstance(inner, ast.JoinedStr) and inner.values and isinstance(inner.values[0], ast.Constant):
            found.append((str(inner.values[0].value), True))
    return found


def collect_codes(root: Path = ROOT) -> tuple[dict[str, str], dict[str, str]]:
    """Codes in the source: ``code="..."`` arguments, ``code = "..."`` class defaults and assignments
    (both arms of a conditional), and the literal heads of codes built at run time (``f"x509.profile.{rule}"``)."""
    codes: dict[str, str] = {}
    families: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            where = str(path.relative_to(root))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                value: ast.AST | None = None
                if isinstance(node, ast.keyword) and node.arg == "code":
                    value = node.value
                elif isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if any(isinstance(t, ast.Name) and t.id == "code" for t in targets):
                        value = node.value
                for text, family in _strings(value) if value is not None else ():
                    if family and CODE.match(text.rstrip("._")):
                        families.setdefault(text.rstrip("._"), where)
                    elif not family and CODE.match(text):
                        codes.setdefault(text, where)
    return codes, families


def _error_classes(cls: type[MobileIdError] = MobileIdError) -> list[type[MobileIdError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_error_classes(sub))
    return out


def test_the_scan_finds_codes_of_every_kind() -> None:
    codes, families = collect_codes()
    assert {"qr.base45_invalid", "status.revoked", "status.suspended", "mobileid.error"} <= set(codes)
    assert {"x509.profile", "status.value", "credential.issuance"} <= set(families)
    assert len(codes) > 150  # a broken scan that finds nothing must not pass vacuously


def test_the_scan_sees_every_way_a_code_is_written(tmp_path: Path) -> None:
    (tmp_path / "wallet").mkdir()
    (tmp_path / "wallet" / "x.py").write_text(
        'class E(Exception):\n    code = "zz.default"\n'
        'def f(ok, rule):\n'
        '    raise E("m", code="zz.keyword" if ok else "zz.other_arm")\n'
        '    raise E("m", code=f"zz.family_{rule}")\n'
        '    code: str = "zz.annotated"\n'
        '    raise E("not a code: no dot", code="plain")\n', encoding="utf-8")
    codes, families = collect_codes(tmp_path)
    assert set(codes) == {"zz.default", "zz.keyword", "zz.other_arm", "zz.annotated"}
    assert set(families) == {"zz.family"}
    assert not any(code in table() for code in codes)  # what the real test would report missing


def test_every_code_raised_anywhere_has_words_in_korean_and_english() -> None:
    codes, families = collect_codes()
    # the app's own codes for network failures (app/problems.py)
    codes.update({c: "app/problems.py" for c in ("net.offline", "net.timeout", "net.server")})
    # the default code of every error class, imported or not by the scan's modules
    codes.update({cls.code: cls.__module__ for cls in _error_classes() if CODE.match(cls.code)})
    missing = sorted(f"{code} ({where})" for code, where in codes.items() if code not in table())
    missing += sorted(f"{family}* ({where})" for family, where in families.items() if family not in table())
    assert not missing, "codes without plain words in specs/messages.toml:\n" + "\n".join(missing)
    for code in codes:
        for lang in LANGUAGES:
            assert table()[code][lang].strip(), (code, lang)


def test_korean_is_korean_and_english_is_not() -> None:
    hangul = re.compile(r"[\uac00-\ud7a3]")
    for code, texts in table().items():
        assert hangul.search(texts["ko"]), code
        assert not hangul.search(texts["en"]), code


def test_revoked_says_revoked_and_suspended_says_suspended() -> None:
    assert "revoked" in message("status.revoked", "en")
    assert "suspended" in message("status.suspended", "en")
    assert "취소" in message("status.revoked", "ko")
    assert "정지" in message("status.suspended", "ko")
    assert message("status.revoked") != message("status.suspended")


def test_shop_words_not_parser_words() -> None:
    text = message("qr.base45_invalid", "ko")
    assert text.startswith("이 QR 코드는 손상되었거나 일부만 읽혔습니다")
    for code, texts in table().items():
        for word in ("base45", "CBOR", "x5chain", "issuerAuth", "bits", "KB-JWT", "digest"):
            assert word not in texts["en"], (code, word)


@pytest.mark.parametrize(("code", "entry"), [
    ("x509.profile.key_usage", "x509.profile"),
    ("status.value_3", "status.value"),
    ("credential.issuance_nonce", "credential.issuance"),
    ("credential.issuance_token", "credential.issuance_token"),
    ("qr.frame_something_new", "qr.invalid"),  # no listed prefix: the family's own ".invalid"
    ("nothing.we.know", "mobileid.error"),
    ("", "mobileid.error"),
])
def test_a_code_made_at_run_time_finds_its_family(code: str, entry: str) -> None:
    assert entry_for(code) == entry


def test_language_tags_and_fallback() -> None:
    assert message("qr.replay", "ko_KR.UTF-8") == message("qr.replay", "ko")
    assert message("qr.replay", "EN-gb") == message("qr.replay", "en")
    assert "hsm.closed" in table() and "vi" not in table()["hsm.closed"]
    assert message("hsm.closed", "vi") == message("hsm.closed", "en")  # no Vietnamese text: English
    assert message("qr.replay", "vi") == table()["qr.replay"]["vi"] != message("qr.replay", "en")


def test_error_json_keeps_code_words_and_detail() -> None:
    error = CredentialStatusError("the credential has status 0x02", code="status.suspended")
    assert error.to_json("ko") == {"code": "status.suspended", "message": message("status.suspended", "ko"),
                                   "detail": "the credential has status 0x02"}
    assert QrError("base45 final pair exceeds 8 bits", code="qr.base45_invalid").to_json()["message"] == \
        "This QR code is damaged or was only partly read. Scan it again."


@pytest.mark.parametrize(("environ", "lang"), [
    ({}, "en"),
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "ko_KR.UTF-8", "MOBILEID_LANG": "en"}, "en"),
    ({"LC_ALL": "de_DE.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
    ({"LANG": "", "LC_MESSAGES": "ko"}, "ko"),
])
def test_cli_language_from_the_environment(environ: dict[str, str], lang: str) -> None:
    assert language_from_env(environ) == lang


@pytest.mark.parametrize("raw", [
    {"x.y": {"ko": "가"}},
    {"x.y": {"en": "a"}},
    {"x.y": {"ko": "가", "en": ""}},
    {"x.y": "text"},
])
def test_an_entry_without_both_languages_is_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"x\.y"):
        _checked(raw)
