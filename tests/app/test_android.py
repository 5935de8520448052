"""The Android build's spec (no APK is built here: no SDK): target API, a pinned python-for-android, the
``main.py`` entry point, fonts and catalogues packaged, and every requirement either a python-for-android recipe
(checked against v2026.05.09, app/README.md) or a pure-Python package pip can install for any phone."""

from __future__ import annotations

import configparser
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# python-for-android v2026.05.09, pythonforandroid/recipes/: these requirements have a recipe there.
RECIPES = {"python3", "kivy", "pillow", "pyjnius", "android", "openssl", "cryptography", "cffi", "argon2-cffi",
           "libzbar", "pyzbar", "httpx"}
PURE = {"httpcore", "h11", "anyio", "sniffio", "idna", "certifi", "cbor2", "pyjwt", "segno", "typing-extensions"}
HAS_C_FALLBACK = {"cbor2"}  # ships a C speed-up but runs without it (5.9.0 is the last with the fallback)


def spec() -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "buildozer.spec", encoding="utf-8")
    return parser["app"]


def requirements() -> dict[str, str]:
    found = {}
    for item in spec()["requirements"].split(","):
        name, _, version = item.strip().partition("==")
        found[name.lower()] = version
    return found


def test_target_api_and_pinned_python_for_android() -> None:
    app = spec()
    assert int(app["android.api"]) >= 35  # Google Play's requirement since 2025-08-31
    assert re.fullmatch(r"v\d{4}\.\d{2}\.\d{2}", app["p4a.branch"]), app["p4a.branch"]
    assert "CAMERA" in app["android.permissions"] and "INTERNET" in app["android.permissions"]
    assert "entrypoint" not in app  # python-for-android starts main.py


def test_every_requirement_has_a_recipe_or_is_pure_python() -> None:
    wanted = requirements()
    assert set(wanted) == RECIPES | PURE, set(wanted) ^ (RECIPES | PURE)
    assert "zxing-cpp" not in wanted and "opencv" not in wanted and wanted["cbor2"] == "5.9.0"
    for name in PURE - HAS_C_FALLBACK:
        try:
            files = importlib.metadata.files(name) or []
        except importlib.metadata.PackageNotFoundError:  # not installed on this desktop (httpx's own need)
            continue
        assert not [f for f in files if f.suffix in (".so", ".pyd")], f"{name} is not pure Python"


def test_everything_the_app_imports_is_packaged() -> None:
    """Third-party modules imported by the packaged code are in the requirements (zxingcpp, jnius and android
    are imported only where they exist)."""
    import ast

    module_of = {"kivy": "kivy", "PIL": "pillow", "cryptography": "cryptography", "argon2": "argon2-cffi",
                 "pyzbar": "pyzbar", "httpx": "httpx", "cbor2": "cbor2", "jwt": "pyjwt", "segno": "segno",
                 "typing_extensions": "typing-extensions", "jnius": "pyjnius", "android": "android"}
    optional = {"zxingcpp", "numpy", "cv2"}
    wanted, unknown = requirements(), set()
    excluded = [ROOT / d for d in spec()["source.exclude_dirs"].split(",")]
    for folder in ("app", "wallet", "verifier", "specs"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name.startswith("cli"):  # the command lines are packaged but never imported by the app
                continue
            if any(path.is_relative_to(d) for d in excluded):  # not in the APK (the online verifier service)
                continue
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                for name in names:
                    top = name.split(".")[0]
                    ours = top in ("app", "wallet", "verifier", "specs")
                    if top in sys.stdlib_module_names or ours or top in optional:
                        continue
                    if module_of.get(top) not in wanted:
                        unknown.add(f"{path.relative_to(ROOT)}: {top}")
    assert not unknown, sorted(unknown)


def test_main_py_is_the_entry_point_with_the_phones_private_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    app = spec()
    patterns = app["source.include_patterns"].split(",")
    assert "main.py" in patterns and "app/fonts/*" in patterns and "app/locale/*/LC_MESSAGES/*" in patterns
    assert "otf" in app["source.include_exts"] and "mo" in app["source.include_exts"]
    sys.path.insert(0, str(ROOT))
    import main

    monkeypatch.setenv("ANDROID_PRIVATE", "/data/user/0/kr.mobileid.mobileid/files")
    args = main.phone_arguments()
    assert args[:2] == ["--data-dir", "/data/user/0/kr.mobileid.mobileid/files/mobileid"] and args[2] == "--issuer"
