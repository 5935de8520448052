"""The holder's encrypted credential store (mdoc per ISO/IEC 18013-5 §8.3.2.1.2.2 ``IssuerSigned``,
SD-JWT VC per RFC 9901 §4 / draft-ietf-oauth-sd-jwt-vc), with single-use batches (OpenID4VCI 1.0
§8.2 ``credentials`` array: one credential per presentation to limit linkability).

``credentials.json`` holds a random data key wrapped under the PIN-protected master key and, in one
AES-256-GCM envelope, every record and the share history (``wallet.history``). The GCM tag is the integrity
check on load: a flipped or truncated byte raises ``StoreCorruptedError``. Writes are whole-file atomic
replaces under an ``flock``; each operation re-reads the file, so several store instances on one folder stay
coherent. Records and history share the file so that a presentation's two effects, a single-use copy marked
used and the share logged, are one atomic write (``update(..., shared=entry)``): a failed write loses neither
the copy nor the log entry, and never keeps one without the other. Wallets from before kept the history in
``history.json``; its entries are folded in by the first write and the file is then removed.
"""

from __future__ import annotations

import enum
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from specs.errors import StoreCorruptedError, WalletError
from wallet._files import atomic_write, b64d, b64e, file_lock, read_json
from wallet.history import MAX_ENTRIES, SharedEntry, read_legacy
from wallet.pin import WalletKey

__all__ = ["MIN_PREFIX", "CredentialFormat", "CredentialRecord", "CredentialStatus", "CredentialStore"]

_DATA_KEY_AAD = b"mobileid.wallet.datakey.v1"
_RECORDS_AAD = b"mobileid.wallet.records.v1"
MIN_PREFIX = 6  # characters of an id that ``find`` accepts as a prefix (ids are 16 hex characters)


class CredentialFormat(enum.Enum):
    """OpenID4VCI 1.0 Appendix A credential format identifiers."""

    MSO_MDOC = "mso_mdoc"
    SD_JWT_VC = "dc+sd-jwt"


class CredentialStatus(enum.Enum):
    """Last known status (Token Status List, draft-ietf-oauth-status-list §7.1 values)."""

    VALID = "valid"
    INVALID = "invalid"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """One stored credential. ``credential`` is exactly what the issuer sent (bytes for mdoc CBOR,
    text for an SD-JWT); ``batch_group`` ties single-use copies of one issuance together."""

    id: str
    format: CredentialFormat
    type_id: str
    credential: bytes | str
    issuer: str
    received_at: datetime
    device_key_alias: str
    batch_group: str | None = None
    used: bool = False
    status: CredentialStatus = CredentialStatus.VALID
    status_at: datetime | None = None  # when ``status`` was last learned from the issuer's list (None: at receipt)

    def __post_init__(self) -> None:
        if not self.id or not self.type_id:
            raise WalletError("credential record needs an id and a type id", code="wallet.record_invalid")
        if self.received_at.tzinfo is None or (self.status_at is not None and self.status_at.tzinfo is None):
            raise WalletError("received_at and status_at must be timezone-aware", code="wallet.record_invalid")

    @property
    def status_known_at(self) -> datetime:
        """When the stored status was learned: the last refresh, else the receipt (issued valid then)."""
        return self.status_at or self.received_at

    def to_json(self) -> dict[str, object]:
        raw = self.credential
        return {
            "id": self.id,
            "format": self.format.value,
            "type_id": self.type_id,
            "credential": b64e(raw) if isinstance(raw, bytes) else raw,
            "credential_is_text": isinstance(raw, str),
            "issuer": self.issuer,
            "received_at": self.received_at.isoformat(),
            "device_key_alias": self.device_key_alias,
            "batch_group": self.batch_group,
            "used": self.used,
            "status": self.status.value,
            "status_at": self.status_at.isoformat() if self.status_at else None,
        }

    @classmethod
    def from_json(cls, doc: object) -> CredentialRecord:
        if not isinstance(doc, dict):
            raise StoreCorruptedError("credential record is not an object")
        try:
            raw = doc["credential"]
            credential: bytes | str = raw if doc["credential_is_text"] is True else b64d(raw)
            if not isinstance(credential, (bytes, str)):
                raise TypeError("credential")
            group = doc["batch_group"]
            fields = (doc["id"], doc["type_id"], doc["issuer"], doc["device_key_alias"])
            if not all(isinstance(f, str) for f in fields) or not isinstance(doc["used"], bool):
                raise TypeError("field type")
            if group is not None and not isinstance(group, str):
                raise TypeError("batch_group")
            status_at = doc.get("status_at")  # absent in records written before it existed
            if status_at is not None and not isinstance(status_at, str):
                raise TypeError("status_at")
            return cls(
                id=doc["id"],
                format=CredentialFormat(doc["format"]),
                type_id=doc["type_id"],
                credential=credential,
                issuer=doc["issuer"],
                received_at=datetime.fromisoformat(doc["received_at"]),
                device_key_alias=doc["device_key_alias"],
                batch_group=group,
                used=doc["used"],
                status=CredentialStatus(doc["status"]),
                status_at=datetime.fromisoformat(status_at) if status_at else None,
            )
        except (KeyError, TypeError, ValueError, WalletError) as exc:
            if isinstance(exc, StoreCorruptedError):
                raise
            raise StoreCorruptedError("credential record has a bad structure") from exc


@dataclass(frozen=True, slots=True)
class _Contents:
    data_key: bytes = field(repr=False)
    records: tuple[CredentialRecord, ...]
    history: tuple[SharedEntry, ...]
    legacy_merged: bool  # the old history.json's entries are in ``history`` (the file may still exist)


class CredentialStore:
    """Encrypted, crash-safe credential records and share history in ``folder/credentials.json``.

    ``legacy_history``: where a wallet from before kept its history (``<wallet>/history.json``)."""

    FILE = "credentials.json"

    def __init__(self, folder: Path, key: WalletKey, *, legacy_history: Path | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._path = self.folder / self.FILE
        self._key = key
        self._legacy = legacy_history

    @classmethod
    def of_wallet(cls, wallet_folder: Path, key: WalletKey) -> CredentialStore:
        """The store of the wallet in ``wallet_folder`` (``credentials/``; older wallets' ``history.json``)."""
        return cls(Path(wallet_folder) / "credentials", key, legacy_history=Path(wallet_folder) / "history.json")

    # --- file envelope -----------------------------------------------------------------------------
    def _load(self) -> _Contents:
        legacy = self._legacy is not None and self._legacy.exists()
        if not self._path.exists():
            old = read_legacy(self._legacy, self._key) if legacy and self._legacy else ()
            return _Contents(secrets.token_bytes(32), (), old, True)
        doc = read_json(self._path)
        if doc.get("v") != 1:
            raise StoreCorruptedError("credential store: unknown version")
        data_key = self._key.open(b64d(doc.get("data_key")), _DATA_KEY_AAD)
        plain = WalletKey(data_key).open(b64d(doc.get("records")), _RECORDS_AAD)
        try:
            items = json.loads(plain.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreCorruptedError("credential store: bad payload") from exc
        if isinstance(items, list):  # before the history moved in: the records alone
            items = {"records": items, "history": [], "legacy_merged": False}
        if not isinstance(items, dict) or not isinstance(items.get("records"), list) or not isinstance(
                items.get("history"), list) or not isinstance(items.get("legacy_merged"), bool):
            raise StoreCorruptedError("credential store: bad payload")
        history = tuple(SharedEntry.from_json(e) for e in items["history"])
        merged = items["legacy_merged"]
        if not merged and legacy and self._legacy:
            history = (*read_legacy(self._legacy, self._key), *history)
        return _Contents(data_key, tuple(CredentialRecord.from_json(r) for r in items["records"]), history,
                         merged or legacy)

    def _save(self, contents: _Contents) -> None:
        payload = json.dumps({"records": [r.to_json() for r in contents.records],
                              "history": [e.to_json() for e in contents.history[-MAX_ENTRIES:]],
                              "legacy_merged": True}, separators=(",", ":")).encode("utf-8")
        doc: dict[str, object] = {
            "v": 1,
            "data_key": b64e(self._key.seal(contents.data_key, _DATA_KEY_AAD)),
            "records": b64e(WalletKey(contents.data_key).seal(payload, _RECORDS_AAD)),
        }
        try:
            atomic_write(self._path, doc)
        except OSError as exc:  # a full or failing disk: the previous file is untouched (wallet._files)
            raise WalletError(f"the wallet could not save its changes ({exc.strerror or 'write failed'}); nothing "
                              "was changed", code="wallet.write_failed") from exc
        if self._legacy is not None:
            self._legacy.unlink(missing_ok=True)  # its entries are in the file just written

    def update(self, change: Callable[[tuple[CredentialRecord, ...]], tuple[CredentialRecord, ...]], *,
               shared: SharedEntry | None = None) -> None:
        """One atomic write: the records as ``change`` makes them and, with ``shared``, one more history entry."""
        with file_lock(self.folder):
            contents = self._load()
            history = contents.history if shared is None else (*contents.history, shared)
            self._save(replace(contents, records=change(contents.records), history=history))

    def history(self) -> tuple[SharedEntry, ...]:
        """What was shared, oldest first (the last ``MAX_ENTRIES``)."""
        with file_lock(self.folder):
            return self._load().history[-MAX_ENTRIES:]

    # --- operations --------------------------------------------------------------------------------
    def add(self, record: CredentialRecord) -> None:
        def change(records: tuple[CredentialRecord, ...]) -> tuple[CredentialRecord, ...]:
            if any(r.id == record.id for r in records):
                raise WalletError("credential id already stored", code="wallet.duplicate_id")
            return (*records, record)

        self.update(change)

    def list(self, type_id: str | None = None) -> tuple[CredentialRecord, ...]:
        with file_lock(self.folder):
            records = self._load().records
        return tuple(r for r in records if type_id is None or r.type_id == type_id)

    def get(self, credential_id: str) -> CredentialRecord:
        for record in self.list():
            if record.id == credential_id:
                return record
        raise WalletError("no credential with this id", code="wallet.not_found")

    def find(self, id_or_prefix: str) -> CredentialRecord:
        """The credential whose id is ``id_or_prefix`` or, as git does, the one whose id starts with it
        (at least :data:`MIN_PREFIX` characters). Several matches are refused (``wallet.ambiguous_id``)."""
        records = self.list()
        for record in records:
            if record.id == id_or_prefix:
                return record
        if len(id_or_prefix) < MIN_PREFIX:
            raise WalletError(f"no credential with this id (give the id or at least {MIN_PREFIX} of its first "
                              "characters)", code="wallet.not_found")
        matches = [r for r in records if r.id.startswith(id_or_prefix)]
        if len(matches) > 1:
            raise WalletError(f"{len(matches)} credentials have ids starting with these characters; give more "
                              "of the id", code="wallet.ambiguous_id")
        if not matches:
            raise WalletError("no credential with this id", code="wallet.not_found")
        return matches[0]

    def _replace(self, credential_id: str, edit: Callable[[CredentialRecord], CredentialRecord | None]) -> None:
        def change(records: tuple[CredentialRecord, ...]) -> tuple[CredentialRecord, ...]:
            if not any(r.id == credential_id for r in records):
                raise WalletError("no credential with this id", code="wallet.not_found")
            edited = (edit(r) if r.id == credential_id else r for r in records)
            return tuple(r for r in edited if r is not None)

        self.update(change)

    def mark_used(self, credential_id: str) -> None:
        """Flag a single-use batch copy as presented, so ``next_unused`` never hands it out again."""
        self._replace(credential_id, lambda r: replace(r, used=True))

    def set_status(self, credential_id: str, status: CredentialStatus, *, at: datetime | None = None) -> None:
        self._replace(credential_id, lambda r: replace(r, status=status, status_at=at or r.status_at))

    def set_statuses(self, learned: Mapping[str, CredentialStatus], at: datetime) -> None:
        """Store what a status refresh learned at ``at`` for each id in one write (ids gone since are skipped)."""
        self.update(lambda records: tuple(replace(r, status=learned[r.id], status_at=at) if r.id in learned else r
                                          for r in records))

    def delete(self, credential_id: str) -> None:
        self._replace(credential_id, lambda r: None)

    def next_unused(self, type_id: str) -> CredentialRecord | None:
        """The oldest unused, VALID credential of ``type_id`` (None when the batch is exhausted)."""
        candidates = [
            r for r in self.list(type_id) if not r.used and r.status is CredentialStatus.VALID
        ]
        return min(candidates, key=lambda r: r.received_at) if candidates else None
