"""The shop's own log of its checks: when, which kind of document, and the verdict. Never a claim (no name,
no birth date, no number): a shop needs to answer "did we check IDs last night?", not to keep a register of
its customers. A bounded JSON file in the verifier folder, newest last, written atomically."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from specs.io.files import atomic_write

__all__ = ["MAX_ENTRIES", "ScanEntry", "ScanLog"]

MAX_ENTRIES = 200


@dataclass(frozen=True, slots=True)
class ScanEntry:
    at: dt.datetime
    document: str  # the catalogue type id ("mdl", "age_attestation"), or "" when nothing could be read
    valid: bool

    def to_json(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "document": self.document, "valid": self.valid}

    @classmethod
    def from_json(cls, doc: object) -> ScanEntry | None:
        if not isinstance(doc, dict):
            return None
        at, document, valid = doc.get("at"), doc.get("document"), doc.get("valid")
        if not isinstance(at, str) or not isinstance(document, str) or not isinstance(valid, bool):
            return None
        try:
            return cls(dt.datetime.fromisoformat(at), document[:64], valid)
        except ValueError:
            return None


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
