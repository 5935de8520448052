"""The shop's own log of its checks: when, which kind of document, and the verdict: the answer to the shop's
question as the verdict screen gave it (``verifier.verdict.Headline``: its tone and the key of its words, so
the log shows "Under 19: do not sell" in the language of the day). Never a claim (no name, no birth date, no
number): a shop needs to answer "did we check IDs last night?", not to keep a register of its customers. A
bounded JSON file in the verifier folder, newest last, written atomically."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from specs.io.files import atomic_write
from verifier.verdict import WORDS, Headline, Tone

_TONES: tuple[Tone, ...] = get_args(Tone)

__all__ = ["MAX_ENTRIES", "ScanEntry", "ScanLog"]

MAX_ENTRIES = 200


def _earlier(valid: bool) -> Headline:
    """An entry logged before answers were kept: its ``valid`` meant "genuine" then."""
    return Headline("yes", "genuine.yes") if valid else Headline("no", "genuine.not_verified")


@dataclass(frozen=True, slots=True)
class ScanEntry:
    at: dt.datetime
    document: str  # the catalogue type id ("mdl", "age_attestation"), or "" when nothing could be read
    valid: bool  # authentic and accepted (``VerificationResult.valid``)
    answer: Headline | None = None  # the verdict's headline; None: from ``valid`` as entries before it read

    @property
    def headline(self) -> Headline:
        return self.answer if self.answer is not None else _earlier(self.valid)

    def to_json(self) -> dict[str, object]:
        head = self.headline
        return {"at": self.at.isoformat(), "document": self.document, "valid": self.valid,
                "answer": {"tone": head.tone, "key": head.key, "params": {k: str(v) for k, v in head.params.items()}}}

    @classmethod
    def from_json(cls, doc: object) -> ScanEntry | None:
        if not isinstance(doc, dict):
            return None
        at, document, valid = doc.get("at"), doc.get("document"), doc.get("valid")
        if not isinstance(at, str) or not isinstance(document, str) or not isinstance(valid, bool):
            return None
        try:
            return cls(dt.datetime.fromisoformat(at), document[:64], valid, _answer(doc.get("answer")))
        except ValueError:
            return None


def _answer(doc: object) -> Headline | None:
    """A logged headline, only when it names known words whose placeholders it fills (the file is outside
    input: a wrong one falls back to the entry's ``valid``)."""
    if not isinstance(doc, dict):
        return None
    tone = next((t for t in _TONES if t == doc.get("tone")), None)
    key, params = doc.get("key"), doc.get("params", {})
    if tone is None or not isinstance(key, str) or key not in WORDS or not isinstance(params, dict):
        return None
    values = {str(k): str(v)[:40] for k, v in params.items() if isinstance(v, str)}
    try:
        WORDS[key]["en"].format(**values)
    except (KeyError, IndexError, ValueError):
        return None
    return Headline(tone, key, values)


class ScanLog:
    FILE = "scan-log.json"

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / self.FILE

    def entries(self) -> tuple[ScanEntry, ...]:
        """Newest first; an unreadable file (or entry) is skipped rather than blocking the scanner."""
        try:
            items = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return ()
        found = [ScanEntry.from_json(item) for item in items] if isinstance(items, list) else []
        return tuple(reversed([e for e in found if e is not None]))

    def add(self, entry: ScanEntry) -> None:
        kept = [*reversed(self.entries()), entry][-MAX_ENTRIES:]
        atomic_write(self.path, json.dumps([e.to_json() for e in kept]).encode("utf-8"))
