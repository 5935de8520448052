"""The app's own preferences (not secrets): language, large text, high contrast, mode, auto-lock delay, the
shop's name in verifier mode."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from specs.io.files import atomic_write

__all__ = ["AppSettings"]

FILE = "app-settings.json"


@dataclass(frozen=True, slots=True)
class AppSettings:
    language: str = "ko"
    large_text: bool = False
    high_contrast: bool = False
    mode: str = "wallet"  # "wallet" | "verifier"
    lock_seconds: int = 120
    onboarded: bool = False
    shop_name: str = ""  # verifier mode: the business's own name, put in its requests
    check: str = "genuine"  # verifier mode: the question asked (a policy preset, verifier.verdict.MODES)

    @classmethod
    def load(cls, folder: Path) -> AppSettings:
        path = folder / FILE
        try:
            doc: Any = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(doc, dict):
            return cls()
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        try:
            return replace(cls(), **known)
        except TypeError:
            return cls()

    def save(self, folder: Path) -> None:
        atomic_write(folder / FILE, json.dumps(asdict(self), indent=1).encode("utf-8"))
