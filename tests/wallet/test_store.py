"""CredentialStore: encrypted records, integrity on load, atomic writes, batches, concurrency."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from specs.errors import PinError, StoreCorruptedError, WalletError
from tests.conftest import Vectors
from tests.wallet.conftest import PIN
from wallet.history import SharedEntry
from wallet.keystore import SoftwareKeyStore
from wallet.pin import WalletKey
from wallet.store import CredentialFormat, CredentialRecord, CredentialStatus, CredentialStore

T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def _mdoc(iso: Vectors, cid: str, *, group: str | None = None, at: datetime = T0) -> CredentialRecord:
    return CredentialRecord(
        id=cid, format=CredentialFormat.MSO_MDOC, type_id="org.iso.18013.5.1.mDL",
        credential=iso.hex("device_response.hex"), issuer="https://issuer.example", received_at=at,
        device_key_alias="mdl-1", batch_group=group,
    )


def _sdjwt(sd: Vectors, cid: str) -> CredentialRecord:
    return CredentialRecord(
        id=cid, format=CredentialFormat.SD_JWT_VC, type_id="urn:eudi:pid:1",
        credential=sd.text("sd_jwt_vc_pid_issuance.txt"), issuer="https://pid.example", received_at=T0,
        device_key_alias="pid-1",
    )


@pytest.fixture
def key(keystore: SoftwareKeyStore) -> WalletKey:
    return keystore.unlock(PIN)


@pytest.fixture
def store(keystore: SoftwareKeyStore, key: WalletKey) -> CredentialStore:
    return CredentialStore(Path(keystore.folder) / "credentials", key)


def test_round_trip_public_vectors(store: CredentialStore, key: WalletKey, iso_vectors: Vectors,
                                   sdjwt_vectors: Vectors) -> None:
    mdoc, sdjwt = _mdoc(iso_vectors, "m1"), _sdjwt(sdjwt_vectors, "s1")
    store.add(mdoc)
    store.add(sdjwt)
    reopened = CredentialStore(store.folder, key)
    assert reopened.get("m1") == mdoc
    assert reopened.get("s1") == sdjwt
    assert reopened.get("m1").credential == iso_vectors.hex("device_response.hex")
    assert reopened.list() == (mdoc, sdjwt)
    assert reopened.list("urn:eudi:pid:1") == (sdjwt,)


def test_empty_store(store: CredentialStore) -> None:
    assert store.list() == ()
    assert store.next_unused("org.iso.18013.5.1.mDL") is None


def test_no_plaintext_on_disk(store: CredentialStore, iso_vectors: Vectors, sdjwt_vectors: Vectors) -> None:
    store.add(_mdoc(iso_vectors, "m1"))
    store.add(_sdjwt(sdjwt_vectors, "s1"))
    raw_mdoc = iso_vectors.hex("device_response.hex")
    sd = sdjwt_vectors.text("sd_jwt_vc_pid_issuance.txt")
    needles = [raw_mdoc[:32], raw_mdoc[-32:], base64.b64encode(raw_mdoc[:48]), sd[:40].encode(),
               sd.split("~")[1].encode(), b"org.iso.18013.5.1.mDL", b"issuer.example", b"mdl-1"]
    for path in Path(store.folder).parent.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for needle in needles:
                assert needle not in blob


def test_duplicate_id(store: CredentialStore, iso_vectors: Vectors) -> None:
    store.add(_mdoc(iso_vectors, "m1"))
    with pytest.raises(WalletError) as err:
        store.add(_mdoc(iso_vectors, "m1"))
    assert err.value.code == "wallet.duplicate_id"


@pytest.mark.parametrize("op", ["get", "mark_used", "delete"])
def test_unknown_id(store: CredentialStore, op: str) -> None:
    with pytest.raises(WalletError) as err:
        getattr(store, op)("nope")
    assert err.value.code == "wallet.not_found"


def test_find_by_unique_prefix(store: CredentialStore, iso_vectors: Vectors) -> None:
    """As git does for commits: the whole id, or a prefix of 6+ characters naming exactly one credential."""
    for cid in ("e870460c1ce65a01", "e870460c1ce65a02", "0badc0ffee000001", "0bad"):
        store.add(_mdoc(iso_vectors, cid))
    assert store.find("0badc0").id == "0badc0ffee000001"
    assert store.find("0bad").id == "0bad"  # a whole id, however short
    assert store.find("e870460c1ce65a02").id == "e870460c1ce65a02"
    for text, code in (("e870460c1ce65", "wallet.ambiguous_id"), ("0badc", "wallet.not_found"),
                       ("ffffff", "wallet.not_found"), ("", "wallet.not_found")):
        with pytest.raises(WalletError) as err:
            store.find(text)
        assert err.value.code == code
        assert "e870460c1ce65a0" not in err.value.message  # an ambiguity names no candidate


def test_record_validation(iso_vectors: Vectors) -> None:
    with pytest.raises(WalletError) as err:
        _mdoc(iso_vectors, "m1", at=datetime(2026, 1, 1))
    assert err.value.code == "wallet.record_invalid"
    with pytest.raises(WalletError) as err:
        _mdoc(iso_vectors, "")
    assert err.value.code == "wallet.record_invalid"


def test_batch_single_use(store: CredentialStore, iso_vectors: Vectors) -> None:
    for i in range(3):
        store.add(_mdoc(iso_vectors, f"m{i}", group="batch-1", at=T0 + timedelta(seconds=i)))
    seen = []
    while (record := store.next_unused("org.iso.18013.5.1.mDL")) is not None:
        seen.append(record.id)
        store.mark_used(record.id)
    assert seen == ["m0", "m1", "m2"]
    assert all(r.used and r.batch_group == "batch-1" for r in store.list())


def test_next_unused_skips_revoked(store: CredentialStore, iso_vectors: Vectors) -> None:
    store.add(_mdoc(iso_vectors, "m0"))
    store.add(_mdoc(iso_vectors, "m1", at=T0 + timedelta(hours=1)))
    store.set_status("m0", CredentialStatus.INVALID)
    assert store.get("m0").status is CredentialStatus.INVALID
    nxt = store.next_unused("org.iso.18013.5.1.mDL")
    assert nxt is not None and nxt.id == "m1"


def test_delete(store: CredentialStore, iso_vectors: Vectors) -> None:
    store.add(_mdoc(iso_vectors, "m0"))
    store.add(_mdoc(iso_vectors, "m1"))
    store.delete("m0")
    assert [r.id for r in store.list()] == ["m1"]


def _flip(path: Path, index: int) -> None:
    data = bytearray(path.read_bytes())
    data[index] = ord("A") if data[index] != ord("A") else ord("B")
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["records", "data_key"])
def test_tampered_byte(store: CredentialStore, iso_vectors: Vectors, where: str) -> None:
    store.add(_mdoc(iso_vectors, "m0"))
    path = Path(store.folder) / "credentials.json"
    text = path.read_text()
    start = text.index(f'"{where}":"') + len(where) + 4
    _flip(path, start + 20)
    with pytest.raises(StoreCorruptedError) as err:
        store.list()
    assert err.value.code == "wallet.store_corrupted"


@pytest.mark.parametrize("keep", [0, 10, -30])
def test_truncated_file(store: CredentialStore, iso_vectors: Vectors, keep: int) -> None:
    store.add(_mdoc(iso_vectors, "m0"))
    path = Path(store.folder) / "credentials.json"
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep >= 0 else data[:keep] + b'"}')
    with pytest.raises(StoreCorruptedError) as err:
        store.get("m0")
    assert err.value.code == "wallet.store_corrupted"


def test_wrong_master_key(store: CredentialStore, iso_vectors: Vectors) -> None:
    store.add(_mdoc(iso_vectors, "m0"))
    with pytest.raises(StoreCorruptedError) as err:
        CredentialStore(store.folder, WalletKey(bytes(32))).list()
    assert err.value.code == "wallet.store_corrupted"


def test_crash_before_replace_keeps_previous_state(store: CredentialStore, iso_vectors: Vectors,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store.add(_mdoc(iso_vectors, "m0"))
    before = (Path(store.folder) / "credentials.json").read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("power lost between temp write and rename")

    monkeypatch.setattr(os, "replace", crash)
    for change in (lambda: store.add(_mdoc(iso_vectors, "m1")), lambda: store.mark_used("m0")):
        with pytest.raises(WalletError) as err:  # typed for the CLI and the app, the cause kept
            change()
        assert err.value.code == "wallet.write_failed" and "power lost" in str(err.value.__cause__)
    monkeypatch.undo()
    assert (Path(store.folder) / "credentials.json").read_bytes() == before
    assert [(r.id, r.used) for r in store.list()] == [("m0", False)]
    assert [p.name for p in Path(store.folder).iterdir() if p.name.endswith(".tmp")] == []


def test_leftover_temp_file_is_ignored(store: CredentialStore, iso_vectors: Vectors) -> None:
    # A process killed after writing the temp file (no cleanup ran) leaves garbage, not damage.
    store.add(_mdoc(iso_vectors, "m0"))
    (Path(store.folder) / ".credentials.json.x.tmp").write_bytes(b'{"v":1,"records":"trunc')
    assert [r.id for r in store.list()] == ["m0"]


def test_concurrent_instances(store: CredentialStore, key: WalletKey, iso_vectors: Vectors) -> None:
    others = [CredentialStore(store.folder, key) for _ in range(4)]
    errors: list[BaseException] = []

    def worker(n: int, instance: CredentialStore) -> None:
        try:
            for i in range(5):
                instance.add(_mdoc(iso_vectors, f"w{n}-{i}"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n, s)) for n, s in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.list()) == 20  # no lost update


def test_pin_change_keeps_credentials(keystore: SoftwareKeyStore, store: CredentialStore,
                                      iso_vectors: Vectors) -> None:
    store.add(_mdoc(iso_vectors, "m0"))
    keystore.change_pin(PIN, "246801")
    reopened = CredentialStore(store.folder, keystore.unlock("246801"))
    assert reopened.get("m0").credential == iso_vectors.hex("device_response.hex")
    with pytest.raises(PinError) as err:
        keystore.unlock(PIN)
    assert err.value.code == "wallet.wrong_pin"


def test_status_is_kept_with_when_it_was_learned(store: CredentialStore, iso_vectors: Vectors, key: WalletKey) -> None:
    store.add(_mdoc(iso_vectors, "m0"))
    store.add(_mdoc(iso_vectors, "m1"))
    assert store.get("m0").status_at is None and store.get("m0").status_known_at == T0  # as received
    later = T0 + timedelta(days=2)
    store.set_statuses({"m0": CredentialStatus.INVALID, "gone": CredentialStatus.VALID}, later)
    assert (store.get("m0").status, store.get("m0").status_at) == (CredentialStatus.INVALID, later)
    assert store.get("m1").status_at is None  # not checked: left as it was
    reopened = CredentialStore(Path(store.folder), key)
    assert reopened.get("m0").status_known_at == later
    with pytest.raises(WalletError) as err:
        CredentialRecord.from_json({**store.get("m1").to_json(), "status_at": 5})
    assert err.value.code == "wallet.store_corrupted"
    with pytest.raises(WalletError) as err:
        replace(store.get("m1"), status_at=datetime(2026, 1, 1))  # no time zone
    assert err.value.code == "wallet.record_invalid"


def test_records_from_before_status_at_still_load(store: CredentialStore, key: WalletKey,
                                                  iso_vectors: Vectors) -> None:
    old = {k: v for k, v in _mdoc(iso_vectors, "m0").to_json().items() if k != "status_at"}
    record = CredentialRecord.from_json(old)
    assert record.status_at is None and record.status_known_at == T0


def test_bad_record_structure(store: CredentialStore, key: WalletKey) -> None:
    # A record that decrypts but is malformed (e.g. written by a buggy older version).
    from wallet._files import atomic_write, b64e

    data_key = bytes(range(32))
    bad = json.dumps([{"id": "x", "format": "jwt_vc"}]).encode()
    atomic_write(Path(store.folder) / "credentials.json", {
        "v": 1,
        "data_key": b64e(key.seal(data_key, b"mobileid.wallet.datakey.v1")),
        "records": b64e(WalletKey(data_key).seal(bad, b"mobileid.wallet.records.v1")),
    })
    with pytest.raises(StoreCorruptedError) as err:
        store.list()
    assert err.value.code == "wallet.store_corrupted"


def _legacy_history(folder: Path, key: WalletKey, verifiers: list[str]) -> None:
    """An older wallet's history.json: its own sealed envelope beside credentials/."""
    from wallet._files import atomic_write, b64e

    entries = [SharedEntry(T0, v, "age_attestation", ("age_over_19",), "one-way").to_json() for v in verifiers]
    sealed = key.seal(json.dumps(entries).encode(), b"mobileid.wallet.history.v1")
    atomic_write(folder / "history.json", {"v": 1, "entries": b64e(sealed)})


def _records_only(store: CredentialStore, key: WalletKey, records: list[CredentialRecord]) -> None:
    """credentials.json as older wallets wrote it: the sealed payload is the list of records alone."""
    from wallet._files import atomic_write, b64e

    data_key = bytes(range(32))
    payload = json.dumps([r.to_json() for r in records]).encode()
    atomic_write(store.folder / "credentials.json", {
        "v": 1, "data_key": b64e(key.seal(data_key, b"mobileid.wallet.datakey.v1")),
        "records": b64e(WalletKey(data_key).seal(payload, b"mobileid.wallet.records.v1"))})


def test_older_history_file_is_folded_into_the_store_once(keystore: SoftwareKeyStore, key: WalletKey,
                                                          iso_vectors: Vectors) -> None:
    folder = Path(keystore.folder)
    store = CredentialStore.of_wallet(folder, key)
    _records_only(store, key, [_mdoc(iso_vectors, "m0")])
    _legacy_history(folder, key, ["Corner shop", "one-way QR"])
    assert [e.verifier for e in store.history()] == ["Corner shop", "one-way QR"]  # read before any write
    store.update(lambda records: records, shared=SharedEntry(T0, "Hanbit Bank", "mdl", ("family_name",), "two-way"))
    assert not (folder / "history.json").exists()
    assert [e.verifier for e in store.history()] == ["Corner shop", "one-way QR", "Hanbit Bank"]
    assert [r.id for r in store.list()] == ["m0"]
    _legacy_history(folder, key, ["Corner shop", "one-way QR"])  # a crash left the old file behind
    assert [e.verifier for e in store.history()] == ["Corner shop", "one-way QR", "Hanbit Bank"]  # not twice


def test_records_file_from_before_the_history_moved_in(store: CredentialStore, key: WalletKey,
                                                       iso_vectors: Vectors) -> None:
    """Still read; rewritten with the history beside the records on the next write."""
    _records_only(store, key, [_mdoc(iso_vectors, "m0")])
    assert [r.id for r in store.list()] == ["m0"] and store.history() == ()
    store.mark_used("m0")
    assert store.get("m0").used and store.history() == ()
