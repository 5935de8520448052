"""The publisher's status change logs (``issuer.changelog``): from the previous publication and the earliest of
each recent period to the new one, named in the signed index, exactly what turns the lists then (or at any later
publication) into the lists now; bounded; none when the lists then are unknown."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from issuer.keys import IssuerKeys, load_keys
from issuer.publish import ListSource, PublishReport, publish
from specs.status import StatusList
from specs.trust.changes import StatusChangeLog, verify_change_log
from specs.trust.index import TrustIndex, verify_trust_index
from specs.x509 import TrustStore

from .conftest import ISSUER_URL, Service


@pytest.fixture
def keys(service: Service) -> IssuerKeys:
    with service.session() as session:
        return load_keys(session, service.settings.data_dir)


def _lists(*lists: StatusList) -> list[ListSource]:
    return [ListSource(f"{ISSUER_URL}/status/{n}", s) for n, s in enumerate(lists, start=1)]


class Publisher:
    def __init__(self, service: Service, keys: IssuerKeys, folder: Path) -> None:
        self.service, self.keys, self.folder = service, keys, folder
        self.roots = TrustStore.of([keys.iaca])

    def __call__(self, *lists: StatusList, keep_logs: int = 24, log_spacing: int = 3600) -> PublishReport:
        self.service.clock.advance(minutes=5)
        return publish(self.folder, self.keys, public_url=ISSUER_URL, lists=_lists(*lists), now=self.service.clock.now,
                       keep_logs=keep_logs, log_spacing=log_spacing)

    def index(self) -> TrustIndex:
        return verify_trust_index((self.folder / "trust/index").read_bytes(), self.roots, now=self.service.clock.now)

    def log(self, start: int) -> StatusChangeLog:
        index = self.index()
        entry = index.changes_from(start)
        assert entry is not None, f"no log from {start}"
        data = (self.folder / entry.path(index.sequence)).read_bytes()
        assert len(data) == entry.size
        return verify_change_log(data, self.roots, now=self.service.clock.now, issuer=ISSUER_URL,
                                 from_sequence=start, to_sequence=index.sequence)


@pytest.fixture
def publisher(service: Service, keys: IssuerKeys, tmp_path: Path) -> Publisher:
    return Publisher(service, keys, tmp_path / "publish")


def _apply(lists: list[StatusList], log: StatusChangeLog) -> list[StatusList]:
    out = list(lists)
    for changes in log.lists:
        out[changes.number - 1] = out[changes.number - 1].with_statuses(dict(changes.changes))
    return out


def test_logs_from_each_earlier_sequence_lead_to_the_new_lists(publisher: Publisher) -> None:
    v1 = [StatusList.empty(1024, 2), StatusList.empty(2048, 2)]
    first = publisher(*v1)
    assert publisher.index().changes == ()  # nothing to start from yet
    v2 = [v1[0].with_statuses({5: 1, 900: 2}), v1[1]]
    second = publisher(*v2)
    assert [c.from_sequence for c in publisher.index().changes] == [first.sequence]
    step = publisher.log(first.sequence)
    assert [(c.number, c.changes) for c in step.lists] == [(1, ((5, 1), (900, 2)))]
    assert step.expires_at == publisher.service.clock.now + dt.timedelta(hours=24)

    v3 = [v2[0].with_statuses({5: 0}), v2[1].with_statuses({2047: 3})]  # a reinstatement, a change elsewhere
    third = publisher(*v3)
    assert [c.from_sequence for c in publisher.index().changes] == [first.sequence, second.sequence]
    assert _apply(v1, publisher.log(first.sequence)) == v3 and _apply(v2, publisher.log(second.sequence)) == v3
    names = sorted(p.name for p in (publisher.folder / "trust/changes").iterdir())
    assert names == [f"{first.sequence}-{third.sequence}", f"{second.sequence}-{third.sequence}"]  # older pruned


def test_keep_bounds_the_logs_and_zero_writes_none(publisher: Publisher) -> None:
    lists = [StatusList.empty(1024, 2)]
    publisher(*lists)
    for k in range(3):
        lists = [lists[0].with_statuses({k: 1})]
        publisher(*lists, keep_logs=2, log_spacing=1)  # every publication a period of its own
    assert len(publisher.index().changes) == 2
    publisher(lists[0].with_statuses({9: 1}), keep_logs=0)
    assert publisher.index().changes == () and not list((publisher.folder / "trust/changes").iterdir())


def test_frequent_publications_keep_one_start_a_period(publisher: Publisher) -> None:
    """Publishing every 5 minutes for three hours: logs start at the earliest publication of each hour (and at the
    previous one), and the log from a start brings the lists of any later publication to the newest."""
    clock = publisher.service.clock
    clock.now = clock.now.replace(minute=1, second=0) + dt.timedelta(hours=1)  # sequences: Unix seconds, hours
    lists = [StatusList.empty(1024, 2)]
    history: list[tuple[int, list[StatusList]]] = []
    for k in range(35):  # at minutes 6, 11, ... 176 after the hour: three hours
        lists = [lists[0].with_statuses({k: 1 + k % 3})]
        history.append((publisher(*lists).sequence, lists))
    *periodic, previous = [c.from_sequence for c in publisher.index().changes]
    assert previous == history[-2][0] and len(periodic) == 3 and len({s // 3600 for s in periodic}) == 3
    assert all(min(s for s, _ in history if s // 3600 == start // 3600) == start for start in periodic)
    for sequence, then in history[:-1]:
        entry = publisher.index().changes_from(sequence)
        assert entry is not None and entry.from_sequence <= sequence
        assert _apply(then, publisher.log(entry.from_sequence)) == lists


def test_a_republication_for_age_alone_offers_an_empty_step(publisher: Publisher) -> None:
    lists = [StatusList.empty(1024, 2)]
    first = publisher(*lists)
    publisher.service.clock.advance(hours=13)  # past half the tokens' lifetime: all signed again, no change
    publisher(*lists)
    assert publisher.log(first.sequence).lists == ()


def test_no_log_when_the_lists_then_are_unknown(publisher: Publisher) -> None:
    one = StatusList.empty(1024, 2)
    publisher(one)
    added = publisher(one, StatusList.empty(1024, 2))  # a list appeared: no log can say that
    assert publisher.index().changes == ()
    publisher(one.with_statuses({1: 1}), StatusList.empty(1024, 2))  # logs resume from there
    assert [c.from_sequence for c in publisher.index().changes] == [added.sequence]

    # an interrupted publication rewrote a CWT without recording it: the file is not what the state says
    shutil.copy(publisher.folder / "status/2.cwt", publisher.folder / "status/1.cwt")
    publisher(one.with_statuses({2: 1}), StatusList.empty(1024, 2))
    assert publisher.index().changes == ()

    state = publisher.folder / ".state.json"  # a lost state: nothing known of the lists before
    state.write_text(json.dumps({}))
    publisher(one.with_statuses({3: 1}), StatusList.empty(1024, 2))
    assert publisher.index().changes == ()
