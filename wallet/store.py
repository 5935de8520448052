"""The holder's encrypted credential store (mdoc per ISO/IEC 18013-5 §8.3.2.1.2.2 ``IssuerSigned``,
SD-JWT VC per RFC 9901 §4 / draft-ietf-oauth-sd-jwt-vc), with single-use batches (OpenID4VCI 1.0
§8.2 ``credentials`` array: one credential per presentation to limit linkability).

``credentials.json`` holds a random data key wrapped under the PIN-protected master key and every
record in one AES-256-GCM envelope. The GCM tag is the integrity check on load: a flipped or
truncated byte raises ``StoreCorruptedError``. Writes are whole-file atomic replaces under an
``flock``; each operation re-reads the file, so several store instances on one folder stay coherent.
"""

from __future__ import annotations

import enum
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from specs.errors import StoreCorruptedError, WalletError
from wallet._files import atomic_write, b64d, b64e, file_lock, read_json
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

    def __post_init__(self) -> None:
        if not self.id or not self.type_id:
            raise WalletError("credential record needs an id and a type id", code="wallet.record_invalid")
        if self.received_at.tzinfo is None:
            raise WalletError("received_at must be timezone-aware", code="wallet.record_invalid")

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
            )
        except (KeyError, TypeError, ValueError, WalletError) as exc:
            if isinstance(exc, StoreCorruptedError):
                raise
            raise StoreCorruptedError("credential record has a bad structure") from exc


class CredentialStore:
    """Encrypted, crash-safe credential records in ``folder/credentials.json``."""

    FILE = "credentials.json"

    def __init__(self, folder: Path, key: WalletKey) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._path = self.folder / self.FILE
        self._key = key

    # --- file envelope -----------------------------------------------------------------------------
    def _load(self) -> tuple[bytes, tuple[CredentialRecord, ...]]:
        if not self._path.exists():
            return secrets.token_bytes(32), ()
        doc = read_json(self._path)
        if doc.get("v") != 1:
            raise StoreCorruptedError("credential store: unknown version")
        data_key = self._key.open(b64d(doc.get("data_key")), _DATA_KEY_AAD)
        plain = WalletKey(data_key).open(b64d(doc.get("records")), _RECORDS_AAD)
        try:
            items = json.loads(plain.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreCorruptedError("credential store: bad payload") from exc
        if not isinstance(items, list):
            raise StoreCorruptedError("credential store: bad payload")
        return data_key, tuple(CredentialRecord.from_json(item) for item in items)

    def _save(self, data_key: bytes, records: tuple[CredentialRecord, ...]) -> None:
        payload = json.dumps([r.to_json() for r in records], separators=(",", ":")).encode("utf-8")
        doc: dict[str, object] = {
            "v": 1,
            "data_key": b64e(self._key.seal(data_key, _DATA_KEY_AAD)),
            "records": b64e(WalletKey(data_key).seal(payload, _RECORDS_AAD)),
        }
        atomic_write(self._path, doc)

    def _update(
        self, change: Callable[[tuple[CredentialRecord, ...]], tuple[CredentialRecord, ...]]
    ) -> None:
        with file_lock(self.folder):
            data_key, records = self._load()
            self._save(data_key, change(records))

    # --- operations --------------------------------------------------------------------------------
    def add(self, record: CredentialRecord) -> None:
        def change(records: tuple[CredentialRecord, ...]) -> tuple[CredentialRecord, ...]:
            if any(r.id == record.id for r in records):
                raise WalletError("credential id already stored", code="wallet.duplicate_id")
            return (*records, record)

        self._update(change)

    def list(self, type_id: str | None = None) -> tuple[CredentialRecord, ...]:
        with file_lock(self.folder):
            _, records = self._load()
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

        self._update(change)

    def mark_used(self, credential_id: str) -> None:
        """Flag a single-use batch copy as presented, so ``next_unused`` never hands it out again."""
        self._replace(credential_id, lambda r: replace(r, used=True))

    def set_status(self, credential_id: str, status: CredentialStatus) -> None:
        self._replace(credential_id, lambda r: replace(r, status=status))

    def delete(self, credential_id: str) -> None:
        self._replace(credential_id, lambda r: None)

    def next_unused(self, type_id: str) -> CredentialRecord | None:
        """The oldest unused, VALID credential of ``type_id`` (None when the batch is exhausted)."""
        candidates = [
            r for r in self.list(type_id) if not r.used and r.status is CredentialStatus.VALID
        ]
        return min(candidates, key=lambda r: r.received_at) if candidates else None
