"""The synced copy on disk (``verifier.copy``): with change logs applied, every load verifies the anchor, the
chain of logs and the tokens' hashes again, and refuses a copy whose logs were altered, lost, renamed, added to,
or that no longer fit its lists."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from issuer.keys import load_keys
from specs.errors import MobileIdError
from specs.trust.changes import ListChanges, StatusChangeLog, sign_change_log, verify_change_log
from specs.x509 import TrustStore
from tests.issuer.conftest import ISSUER_URL, Service
from tests.verifier.test_sync import Network, _lists, _set, _status
from verifier.copy import copy_dir
from verifier.sync import sync


@pytest.fixture
def synced(service: Service, tmp_path: Path) -> tuple[Path, Path]:
    """A copy brought up to date by one change log: (the trust folder, that log's file in the copy)."""
    _lists(service, 3)
    network = Network(service.client)
    folder = tmp_path / "trust"
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    service.clock.advance(minutes=1)
    _set(service, 1, 3, 1)
    assert sync(network, ISSUER_URL, folder, now=service.clock.now).by == "change log"
    where = copy_dir(folder)
    assert where is not None
    return folder, next((where / "trust/changes").iterdir())


def _refused(service: Service, folder: Path, code: str) -> None:
    with pytest.raises(MobileIdError) as refused:
        _status(folder, service, 1, 3)
    assert refused.value.code == code


def test_a_patched_copy_loads_and_answers_the_new_status(service: Service, synced: tuple[Path, Path]) -> None:
    folder, log = synced
    assert _status(folder, service, 1, 3) == 1 and _status(folder, service, 1, 4) == 0
    assert (log.parent.parent / "anchor").is_file()


def test_altered_lost_renamed_or_extra_logs_are_refused(service: Service, synced: tuple[Path, Path]) -> None:
    folder, log = synced
    data = log.read_bytes()

    def replace(new: bytes, name: str = log.name) -> None:
        for path in log.parent.iterdir():
            path.unlink()  # hard-linked into later copies: never written in place
        (log.parent / name).write_bytes(new)

    replace(data[:-1] + bytes([data[-1] ^ 1]))
    _refused(service, folder, "trust.bundle_signature")
    log.unlink()  # lost: the tokens alone would answer an old status
    _refused(service, folder, "trust.bundle_signature")
    start, end = (int(x) for x in log.name.split("-"))
    replace(data, f"{start}-{end + 1}")  # renamed
    _refused(service, folder, "trust.bundle_signature")
    replace(data)
    shutil.copy(log, log.parent / f"{start - 5}-{start}")  # one more, outside the chain
    _refused(service, folder, "trust.bundle_signature")
    (log.parent / f"{start - 5}-{start}").unlink()
    assert _status(folder, service, 1, 3) == 1


@pytest.mark.parametrize(("change", "code"), [
    (lambda log: dataclasses.replace(log, lists=(ListChanges(9, 1024, 2, ((3, 1),)),)),  # a list the index lacks
     "trust.bundle_signature"),
    (lambda log: dataclasses.replace(log, lists=(ListChanges(1, 2048, 2, ((3, 1),)),)),  # another size: compared
     "status.list_malformed"),  # when the list is looked up
])
def test_a_validly_signed_log_that_does_not_fit_the_lists_is_refused(
        service: Service, synced: tuple[Path, Path], change: Callable[[StatusChangeLog], StatusChangeLog],
        code: str) -> None:
    folder, log = synced
    with service.session() as session:
        keys = load_keys(session, service.settings.data_dir)
    assert keys.vical_signer is not None and keys.vical is not None
    genuine = verify_change_log(log.read_bytes(), TrustStore.of([keys.iaca]), now=service.clock.now,
                                issuer=ISSUER_URL)
    log.unlink()
    log.write_bytes(sign_change_log(change(genuine), keys.vical_signer, (keys.vical,)))
    _refused(service, folder, code)


def test_a_copy_past_its_newest_log_is_stale(service: Service, synced: tuple[Path, Path]) -> None:
    folder, _ = synced
    service.clock.advance(hours=25)
    _refused(service, folder, "trust.bundle_stale")
    service.clock.advance(hours=-25)
    assert _status(folder, service, 1, 3) == 1
