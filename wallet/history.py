"""The wallet's local log of what was shared, with whom and when — names of elements, never values.

Kept inside the credential store's sealed file (``wallet.store``, AES-256-GCM under the master key), so that
marking a single-use copy used and logging its share are one atomic write, and the log reveals nothing
without the PIN. Bounded to the last ``MAX_ENTRIES`` presentations. Wallets from before kept it in
``history.json`` (``read_legacy``); the store folds those entries in on its first write.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from specs.errors import StoreCorruptedError
from wallet._files import b64d, read_json
from wallet.pin import WalletKey

if TYPE_CHECKING:
    from wallet.store import CredentialStore

__all__ = ["MAX_ENTRIES", "History", "SharedEntry", "read_legacy"]

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


def read_legacy(path: Path, key: WalletKey) -> tuple[SharedEntry, ...]:
    """The entries of an older wallet's ``history.json`` (its own sealed envelope)."""
    doc = read_json(path)
    plain = key.open(b64d(doc.get("entries")), _AAD)
    try:
        items = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreCorruptedError("history is not valid JSON") from exc
    if not isinstance(items, list):
        raise StoreCorruptedError("history is not a list")
    return tuple(SharedEntry.from_json(i) for i in items)


class History:
    """The share history of the wallet in ``folder`` (read through its credential store)."""

    FILE = "history.json"  # where older wallets kept it

    def __init__(self, folder: object, key: WalletKey) -> None:
        self.folder = Path(str(folder))
        self._key = key

    def _store(self) -> CredentialStore:
        from wallet.store import CredentialStore

        return CredentialStore.of_wallet(self.folder, self._key)

    def entries(self) -> tuple[SharedEntry, ...]:
        return self._store().history()

    def add(self, entry: SharedEntry) -> None:
        """Log a share on its own (a presentation logs through ``CredentialStore.update(shared=...)``)."""
        self._store().update(lambda records: records, shared=entry)
