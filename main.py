"""The app's entry point on a phone: python-for-android starts ``main.py`` in the build's source folder.

Desktops run ``python -m app`` (``app/__main__.py``) with the same options; here the data folder is the app's
private storage (``ANDROID_PRIVATE``) and the issuer is the one this build is made for
(``MOBILEID_ISSUER`` at build time, else ``app.main.DEFAULT_ISSUER``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def phone_arguments() -> list[str]:
    from app.main import DEFAULT_ISSUER

    private = os.environ.get("ANDROID_PRIVATE")
    folder = Path(private) / "mobileid" if private else Path.home() / ".mobileid-app"
    return ["--data-dir", str(folder), "--issuer", os.environ.get("MOBILEID_ISSUER", DEFAULT_ISSUER)]


if __name__ == "__main__":
    from app.__main__ import main

    sys.exit(main(phone_arguments()))
