"""Pieces without a window: Korean catalogue complete and compiled, Android key store importable on a
desktop, DER -> raw ECDSA signatures, settings round trip, the first-screen screenshot CLI."""

from __future__ import annotations

import ast
import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.android_keystore import AndroidKeyStore, raw_signature
from app.i18n import DOMAIN, LANGUAGES, LOCALE_DIR
from app.settings import AppSettings
from specs.catalogue import Catalogue
from specs.errors import WalletError
from tests.conftest import Pki
from wallet.keystore import KeyStore

APP = Path(__file__).resolve().parents[2] / "app"
PLACEHOLDER = re.compile(r"\{[a-z]+\}")


def _marked() -> set[str]:
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_")
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_translated_in_every_language(lang: str) -> None:
    """Every marked string has a translation in the compiled catalogue of ``lang`` (Korean, Chinese, Vietnamese)
    that keeps its {placeholders}, and the .mo was compiled from the .po beside it."""
    catalogue = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])
    marked = _marked()
    missing = sorted(s for s in marked if catalogue.gettext(s) == s and not s.startswith("Language / "))
    assert not missing, missing
    for text in marked:
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(catalogue.gettext(text))), (lang, text)
    import polib

    source = {e.msgid: e.msgstr for e in polib.pofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "mobileid.po"))}
    assert {m: catalogue.gettext(m) for m in marked} == {m: source.get(m, m) or m for m in marked}


def test_android_key_store_is_importable_and_typed_on_desktop() -> None:
    store = AndroidKeyStore()
    assert isinstance(store, KeyStore)
    with pytest.raises(WalletError) as err:
        store.aliases()
    assert err.value.code == "wallet.no_keystore"


def test_der_signature_becomes_raw_r_s() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.sign(b"data", ec.ECDSA(hashes.SHA256()))
    raw = raw_signature(der)
    assert len(raw) == 64
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    key.public_key().verify(encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])), b"data",
                            ec.ECDSA(hashes.SHA256()))


def test_settings_round_trip_and_bad_file(tmp_path: Path) -> None:
    AppSettings(language="en", large_text=True).save(tmp_path)
    assert AppSettings.load(tmp_path) == AppSettings(language="en", large_text=True)
    (tmp_path / "app-settings.json").write_text("[1]")
    assert AppSettings.load(tmp_path) == AppSettings()


def test_screenshot_cli_renders_the_first_screen(tmp_path: Path, pki: Pki) -> None:
    out = tmp_path / "first.png"
    root = tmp_path / "root.pem"
    root.write_bytes(pki.iaca.public_bytes(serialization.Encoding.PEM))
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path / "kivy")}
    subprocess.run([sys.executable, "-m", "app", "--data-dir", str(tmp_path / "d"), "--trust-root", str(root),
                    "--screenshot", str(out)], check=True, env=env, cwd=APP.parent, timeout=120, capture_output=True)
    from PIL import Image

    with Image.open(out) as image:
        assert image.size[0] >= 400 and len(image.convert("L").getcolors(maxcolors=65536) or ()) > 10


def test_holder_name_is_written_as_people_write_it() -> None:
    from app.screens.home import display_name

    assert display_name("오", "민은", "ko") == "오민은"
    assert display_name("Oh", "Mineun", "ko") == "Oh Mineun"
    assert display_name("Oh", "Mineun", "en") == "Mineun Oh"
    assert display_name("", "Mineun", "ko") == "Mineun"


def test_device_keys_go_to_the_android_keystore_on_a_phone_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import kivy.utils

    from app.main import default_keystore

    assert default_keystore() is None  # desktop: the wallet's sealed software store
    monkeypatch.setattr(kivy.utils, "platform", "android")
    assert isinstance(default_keystore(), AndroidKeyStore)  # jnius is only touched when a key is used


def test_every_verifier_refusal_has_specific_plain_words() -> None:
    """The two-way refusals say what happened, not the generic "could not be read"."""
    from app.problems import problem_text

    generic = problem_text("qr.malformed")
    for code in ("qr.not_requested", "qr.elements_missing", "qr.replay", "qr.expired", "status.revoked"):
        assert problem_text(code) != generic, code


def test_unreadable_trust_root_is_refused_before_the_window(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from app.__main__ import _args

    (tmp_path / "text.pem").write_text("not a certificate")
    for path, words in ((tmp_path / "missing.pem", "cannot read"), (tmp_path / "text.pem", "no usable certificate")):
        with pytest.raises(SystemExit) as exit_:
            _args(["--trust-root", str(path)])
        assert exit_.value.code == 2 and words in capsys.readouterr().err
    for size in ("big", "10x10", "480x"):
        with pytest.raises(SystemExit) as exit_:
            _args(["--size", size])
        assert exit_.value.code == 2 and "--size" in capsys.readouterr().err
    assert _args(["--size", "600x1000"]).size == (600, 1000)


def test_the_shipped_font_draws_every_language_and_every_catalogue_name() -> None:
    """One face for all four languages (Kivy labels have no fallback): every character of every translation,
    every catalogue name, all Hangul syllables (names) and the Vietnamese letters are in the font that ships."""
    from fontTools.ttLib import TTFont

    from app.theme import FONT_DIR, FONT_FILES, font_files

    assert font_files() == tuple(str(FONT_DIR / name) for name in FONT_FILES), "run scripts/app_fonts.py"
    needed = {ord(ch) for po in LOCALE_DIR.glob("*/LC_MESSAGES/*.po") for ch in po.read_text("utf-8") if ch >= " "}
    needed |= set(range(0xAC00, 0xD7A4)) | {ord(ch) for ch in "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđĐơư✓•·…"}
    from specs.messages import table

    needed |= {ord(ch) for texts in table().values() for text in texts.values() for ch in text}
    for doc_type in Catalogue.load_default():
        for display in (doc_type.display, *(c.display for c in doc_type.claims)):
            assert set(display.names) >= set(LANGUAGES), (doc_type.id, display.names)
            needed |= {ord(ch) for name in display.names.values() for ch in name}
    for name in FONT_FILES:
        cmap = TTFont(str(FONT_DIR / name)).getBestCmap()
        missing = sorted(chr(cp) for cp in needed - set(cmap) if cp >= 0x20)
        assert not missing, (name, missing[:20])
    licence = (FONT_DIR / "LICENSE-NotoSansCJK.txt").read_text("utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
