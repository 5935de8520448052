"""``benchmarks/national_scale.py`` at a small scale: the register it makes, and every code path of a run (publish,
static serving, full sync and delta syncs by change log and by files in children, lookups, encodings, the
report). No figure is judged here."""

from __future__ import annotations

import hashlib
from pathlib import Path

from benchmarks import national_scale as ns
from specs.status import StatusList


def test_register_has_the_asked_shares_and_a_day_changes_it() -> None:
    register = ns.Register.of(8192 * 3, 8192, seed=1)
    assert register.lists == 3 and register.entries == 3 * 8192
    statuses = StatusList(2, bytes(register.list_data(2)))
    values = [statuses.get(i) for i in range(8192)]
    assert values.count(1) == round(8192 * ns.REVOKED) and values.count(2) == round(8192 * ns.SUSPENDED)
    assert register.list_data(2) == ns.Register.of(8192 * 3, 8192, seed=1).list_data(2)  # same seed, same list
    assert register.list_data(2) != ns.Register.of(8192 * 3, 8192, seed=2).list_data(2)
    day = ns.Register(3, 8192, 1, {2: {5: 1, 6: 0}})
    changed = StatusList(2, bytes(day.list_data(2)))
    assert changed.get(5) == 1 and changed.get(6) == 0 and day.list_data(1) == register.list_data(1)
    changes = ns.Register.of(100_000, 8192, seed=1).with_a_day_of_changes().changes
    filled = ns.Register.of(8192 * 9, 8192, seed=1, fill=0.9)  # the issuer leaves a tenth of each list unused
    assert filled.lists == 10 and filled.credentials == 8192 * 9
    values = [StatusList(2, bytes(filled.list_data(3))).get(i) for i in range(8192)]
    assert values.count(1) == round(8192 * 0.9 * ns.REVOKED) and values.count(2) == round(8192 * 0.9 * ns.SUSPENDED)
    assert sum(len(c) for c in filled.with_a_day_of_changes().changes.values()) == round(8192 * 9 * ns.DAILY)
    assert sum(len(c) for c in changes.values()) == round(12 * 8192 * ns.DAILY)  # no two changes on one entry here


def test_rice_and_change_log_sizes() -> None:
    assert ns._rice_bits([]) == 0 and ns._rice_bits([0, 0, 0]) == 3 and ns._rice_bits([5]) == 4
    day = ns.Register(2, 8, 1, {1: {0: 1}, 2: {3: 2}})  # global positions 0 and 11: gaps 0 and 10
    assert ns.change_log_bytes(day) == -(-(ns._rice_bits([0, 10]) + 4) // 8)


def test_a_small_run_goes_through_every_step(tmp_path: Path) -> None:
    result = ns.measure(0.0001, 8192, 7, tmp_path)
    lists = result["lists"]
    published = tmp_path / "publish"
    cwts = sorted((published / "status").glob("*.cwt"))
    assert len(cwts) == lists == result["sync_full"]["fetched"] - 2  # + index + base
    names = [*cwts, published / "trust/base", published / "trust/index"]
    assert result["sync_full"]["fetched_bytes"] > 0
    changed = result["lists_changed"]
    assert result["sync_delta"]["by"] == "change log" and result["sync_delta"]["fetched"] == 2  # index + log
    assert result["sync_delta_files"]["fetched"] == changed + 1  # the index and the changed lists, nothing else
    logs = sorted((published / "trust/changes").iterdir())
    assert len(logs) == 1 and result["change_log_published_bytes"] == logs[0].stat().st_size
    assert result["republish"]["signed_files"] == 2 * changed + 2  # JWT + CWT per changed list, the log, the index
    for copy, published_names in ((tmp_path / "verifier-by-files", names),
                                  (tmp_path / "verifier", [published / "trust/index", *logs])):
        current = copy / (copy / "current").read_text().strip()
        for name in published_names:  # the verifier's copy holds byte for byte what was published last
            relative = name.relative_to(published)
            assert hashlib.sha256((current / relative).read_bytes()).digest() == hashlib.sha256(
                name.read_bytes()).digest()
    assert result["lookup"]["cached_lookup_s"] > 0 and result["lookup"]["first_lookup_s"] > 0
    encodings = result["encodings"]
    assert encodings["entropy_bytes"] < encodings["zlib_2bit_bytes"]
    text = ns.report(result)
    assert "goal <= 20.00 MB" in text and "goal <= 1.00 MB" in text and "load average" in text
