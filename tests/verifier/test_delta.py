"""Sync by status change log (``verifier.delta``) against the real issuer: a suspension made at the issuer is
answered by the verifier after fetching one small file; a tampered, replayed or skipping log is refused and the
sync falls back to the files, or keeps the old copy when they fail too; compaction after ``max_logs``."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from issuer.keys import load_keys
from specs.errors import MobileIdError
from specs.trust.changes import StatusChangeLog, sign_change_log
from specs.trust.index import ChangesEntry, TrustIndex, sign_trust_index, verify_trust_index
from specs.x509 import TrustStore
from tests.issuer.conftest import ISSUER_URL, Service
from tests.verifier.test_sync import Network, _copy_files, _lists, _set, _status
from verifier.copy import ANCHOR_PATH, copy_dir
from verifier.sync import sync


@pytest.fixture
def network(service: Service) -> Network:
    _lists(service, 3)
    return Network(service.client)


def _logs_in_copy(folder: Path) -> list[str]:
    where = copy_dir(folder)
    assert where is not None
    return sorted(p.name for p in (where / "trust/changes").glob("*")) if (where / "trust/changes").is_dir() else []


def test_a_suspension_at_the_issuer_shows_after_a_delta_sync(service: Service, network: Network,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    first = sync(network, ISSUER_URL, folder, now=service.clock.now)
    service.clock.advance(minutes=1)
    _set(service, 2, 7, 2)  # suspended
    network.paths.clear()
    delta = sync(network, ISSUER_URL, folder, now=service.clock.now)
    log_path = f"trust/changes/{first.sequence}-{delta.sequence}"
    assert network.paths == ["trust/index", log_path] and delta.by == "change log" and delta.fetched == 2
    assert delta.fetched_bytes < 2000
    assert _status(folder, service, 2, 7) == 2 and _status(folder, service, 2, 8) == 0
    assert _status(folder, service, 1, 7) == 0 and _logs_in_copy(folder) == [log_path.rsplit("/", 1)[1]]

    # past the tokens' own expiry the logs keep the lists current: the issuer re-signs, the verifier does not
    for hours, value in ((13, 1), (13, 0)):  # revoked, then (for the test) set back
        service.clock.advance(hours=hours)
        _set(service, 3, 100, value)
        _set(service, 2, 7, 0)  # reinstated
        report = sync(network, ISSUER_URL, folder, now=service.clock.now)
        assert report.by == "change log"
        assert _status(folder, service, 3, 100) == value and _status(folder, service, 2, 7) == 0
    assert len(_logs_in_copy(folder)) == 3


def test_a_tampered_or_replayed_log_falls_back_to_the_files(service: Service, network: Network,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    first = sync(network, ISSUER_URL, folder, now=service.clock.now)
    service.clock.advance(minutes=1)
    _set(service, 2, 9, 1)
    second_index = service.client.get("/trust/index").content
    sequence = _sequence(service, second_index)
    path = f"trust/changes/{first.sequence}-{sequence}"
    genuine = service.client.get(f"/{path}").content
    network.rewrite[path] = genuine[:-1] + bytes([genuine[-1] ^ 1])
    report = sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert report.by == "files (change log refused: trust.bundle_signature)" and "status/2.cwt" in network.paths
    where = copy_dir(folder)
    assert where is not None and not (where / ANCHOR_PATH).exists() and _logs_in_copy(folder) == []
    assert _status(folder, service, 2, 9) == 1

    service.clock.advance(minutes=1)  # replay: the earlier (genuine, signed) log served for the new one
    _set(service, 2, 10, 2)
    network.rewrite = {f"trust/changes/{sequence}-{_sequence(service, service.client.get('/trust/index').content)}":
                       genuine}
    report = sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert report.by == "files (change log refused: trust.bundle_signature)" and _status(folder, service, 2, 10) == 2


def test_a_refused_log_keeps_the_old_copy_when_the_files_fail_too(service: Service, network: Network,
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    first = sync(network, ISSUER_URL, folder, now=service.clock.now)
    before = _copy_files(folder)
    service.clock.advance(minutes=1)
    _set(service, 3, 1, 1)
    path = f"trust/changes/{first.sequence}-{_sequence(service, service.client.get('/trust/index').content)}"
    network.rewrite[path] = b"\xa0"
    genuine = service.client.get("/status/3.cwt").content
    network.rewrite["status/3.cwt"] = genuine[:-1] + bytes([genuine[-1] ^ 1])
    with pytest.raises(MobileIdError) as refused:
        sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert refused.value.code == "trust.bundle_signature" and _copy_files(folder) == before
    assert _status(folder, service, 3, 1) == 0


def test_a_log_from_another_sequence_is_refused(service: Service, network: Network, tmp_path: Path) -> None:
    """A validly signed index and log (the issuer's own keys) whose log skips: it starts where the copy is not."""
    folder = tmp_path / "trust"
    first = sync(network, ISSUER_URL, folder, now=service.clock.now)
    service.clock.advance(minutes=1)
    _set(service, 1, 4, 1)
    with service.session() as session:
        keys = load_keys(session, service.settings.data_dir)
    assert keys.vical_signer is not None and keys.vical is not None
    index = verify_trust_index(service.client.get("/trust/index").content, TrustStore.of([keys.iaca]),
                               now=service.clock.now)
    skipping = StatusChangeLog(ISSUER_URL, service.clock.now, first.sequence - 1, index.sequence,
                               service.clock.now + dt.timedelta(hours=24), ())
    log = sign_change_log(skipping, keys.vical_signer, (keys.vical,))
    forged = TrustIndex(index.issuer, index.issued_at, index.next_update, index.sequence, index.base,
                        index.status_base, index.status_lists,
                        (ChangesEntry(first.sequence, hashlib.sha256(log).digest(), len(log)),))
    network.rewrite = {"trust/index": sign_trust_index(forged, keys.vical_signer, (keys.vical,)),
                       f"trust/changes/{first.sequence}-{index.sequence}": log}
    report = sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert report.by == "files (change log refused: trust.bundle_changes)" and _status(folder, service, 1, 4) == 1


def _sequence(service: Service, index_bytes: bytes) -> int:
    with service.session() as session:
        keys = load_keys(session, service.settings.data_dir)
    return verify_trust_index(index_bytes, TrustStore.of([keys.iaca]), now=service.clock.now).sequence


def test_a_copy_between_two_starts_uses_the_latest_before_it(service: Service, network: Network,
                                                             tmp_path: Path) -> None:
    """The issuer keeps a log from the earliest publication of each hour and from the previous one; a copy at a
    publication in between takes the log starting latest before it (new values: it applies on top)."""
    service.clock.now = service.clock.now.replace(minute=1, second=0) + dt.timedelta(hours=1)
    folder = tmp_path / "trust"
    first = sync(network, ISSUER_URL, folder, now=service.clock.now)
    service.clock.advance(minutes=5)
    _set(service, 1, 1, 1)
    middle = sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert middle.by == "change log"
    for k in (2, 3):  # two more publications the verifier does not see
        service.clock.advance(minutes=5)
        _set(service, 1, k, 2)
        service.client.get("/trust/index")
    _set(service, 1, 1, 0)  # reinstated since the copy's sequence
    service.clock.advance(minutes=5)
    network.paths.clear()
    last = sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert last.by == "change log" and network.paths[1] == f"trust/changes/{first.sequence}-{last.sequence}"
    assert [_status(folder, service, 1, k) for k in (1, 2, 3, 4)] == [0, 2, 2, 0]
    assert _logs_in_copy(folder) == [f"{first.sequence}-{middle.sequence}", f"{first.sequence}-{last.sequence}"]


@pytest.mark.parametrize(("hours", "max_logs", "expected"), [
    (0.02, 2, ["change log", "change log", "files"]),  # after max_logs logs on the same tokens
    (23, 100, ["change log"] * 7 + ["files"]),  # once the tokens are a week old
])
def test_compaction(service: Service, network: Network, tmp_path: Path, hours: float, max_logs: int,
                    expected: list[str]) -> None:
    folder = tmp_path / "trust"
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    bys = []
    for k in range(len(expected)):
        service.clock.advance(hours=hours)
        _set(service, 1, k, 1)
        bys.append(sync(network, ISSUER_URL, folder, now=service.clock.now, max_logs=max_logs).by)
        assert _status(folder, service, 1, k) == 1
    assert bys == expected and _logs_in_copy(folder) == []
