"""The wallet's local log of what was shared, with whom and when — names of elements, never values.

Kept in ``history.json`` sealed under the master key (AES-256-GCM, as the credential store), so the log
itself reveals nothing without the PIN. Bounded to the last ``MAX_ENTRIES`` presentations.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from specs.errors import StoreCorruptedError
from wallet._files import atomic_write, b64d, b64e, file_lock, read_json
from wallet.pin import WalletKey

__all__ = ["History", "SharedEntry"]

MAX_ENTRIES = 500
_AAD = b"mobileid.wallet.history.v1"


@dataclass(frozen=True, slots=True)
class SharedEntry:
    at: dt.datetime
    verifier: str
    type_id: str
    elements: tuple[str, ...]
    mode: str  # "one-way" | "two-way"

    def to_json(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "verifier": self.verifier, "type_id": self.type_id,
                "elements": list(self.elements), "mode": self.mode}

    @classmethod
    def from_json(cls, doc: object) -> SharedEntry:
        try:
            assert isinstance(doc, dict)
            return cls(dt.datetime.fromisoformat(doc["at"]), str(doc["verifier"]), str(doc["type_id"]),
                       tuple(str(e) for e in doc["elements"]), str(doc["mode"]))
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            raise StoreCorruptedError("history entry is malformed") from exc


class History:
    FILE = "history.json"

    def __init__(self, folder: object, key: WalletKey) -> None:
        from pathlib import Path

        self.folder = Path(str(folder))
        self._path = self.folder / self.FILE
        self._key = key

    def entries(self) -> tuple[SharedEntry, ...]:
        if not self._path.exists():
            return ()
        doc = read_json(self._path)
        plain = self._key.open(b64d(doc.get("entries")), _AAD)
        try:
            items = json.loads(plain.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreCorruptedError("history is not valid JSON") from exc
        if not isinstance(items, list):
            raise StoreCorruptedError("history is not a list")
        return tuple(SharedEntry.from_json(i) for i in items)

    def add(self, entry: SharedEntry) -> None:
        with file_lock(self.folder):
            entries = (*self.entries(), entry)[-MAX_ENTRIES:]
            payload = json.dumps([e.to_json() for e in entries], separators=(",", ":")).encode("utf-8")
            atomic_write(self._path, {"v": 1, "entries": b64e(self._key.seal(payload, _AAD))})
