"""app.scan_log: each entry keeps the verdict's answer (its tone and the key of its words, never a claim),
reads back entries written before answers were kept, and refuses a tampered answer rather than showing it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app.scan_log import MAX_ENTRIES, ScanEntry, ScanLog
from verifier.verdict import WORDS, Headline

AT = dt.datetime(2026, 12, 4, 21, 30, tzinfo=dt.UTC)


def test_an_answer_round_trips_with_its_words(tmp_path: Path) -> None:
    log = ScanLog(tmp_path)
    log.add(ScanEntry(AT, "age_attestation", False, Headline("no", "age19.no")))
    log.add(ScanEntry(AT + dt.timedelta(minutes=1), "mdl", True, Headline("caution", "genuine.under", {"n": "19"})))
    newest, oldest = log.entries()
    assert oldest.headline == Headline("no", "age19.no") and not oldest.valid
    assert newest.headline.text("ko") == "진위 확인됨 / 단, 19세 이상 아님" and newest.headline.tone == "caution"
    stored = json.loads((tmp_path / ScanLog.FILE).read_text("utf-8"))
    assert stored[0] == {"at": AT.isoformat(), "document": "age_attestation", "valid": False,
                         "answer": {"tone": "no", "key": "age19.no", "params": {}}}


def test_entries_from_before_answers_read_as_genuine_or_not(tmp_path: Path) -> None:
    (tmp_path / ScanLog.FILE).write_text(json.dumps([
        {"at": AT.isoformat(), "document": "mdl", "valid": True},
        {"at": AT.isoformat(), "document": "", "valid": False}]), "utf-8")
    unreadable, genuine = ScanLog(tmp_path).entries()
    assert genuine.headline == Headline("yes", "genuine.yes") and genuine.answer is None
    assert unreadable.headline == Headline("no", "genuine.not_verified")


@pytest.mark.parametrize("answer", [
    {"tone": "yes", "key": "age19.sell_anyway", "params": {}},  # no such words
    {"tone": "green", "key": "age19.yes", "params": {}},  # no such tone
    {"tone": "caution", "key": "genuine.under", "params": {}},  # its placeholder left empty
    {"tone": "caution", "key": "genuine.under", "params": {"n": 19}},  # not text
    {"tone": "yes", "key": ["age19.yes"], "params": {}},
    "age19.yes",
])
def test_a_tampered_answer_falls_back_to_the_entry_not_to_its_text(tmp_path: Path, answer: object) -> None:
    (tmp_path / ScanLog.FILE).write_text(json.dumps([
        {"at": AT.isoformat(), "document": "mdl", "valid": False, "answer": answer}]), "utf-8")
    (entry,) = ScanLog(tmp_path).entries()
    assert entry.answer is None and entry.headline == Headline("no", "genuine.not_verified")
    assert entry.headline.key in WORDS


def test_a_long_parameter_is_cut_and_the_log_stays_bounded(tmp_path: Path) -> None:
    (tmp_path / ScanLog.FILE).write_text(json.dumps([
        {"at": AT.isoformat(), "document": "mdl", "valid": True,
         "answer": {"tone": "caution", "key": "genuine.under", "params": {"n": "9" * 500}}}]), "utf-8")
    (entry,) = ScanLog(tmp_path).entries()
    assert entry.answer is not None and len(str(entry.answer.params["n"])) == 40
    log = ScanLog(tmp_path)
    for i in range(MAX_ENTRIES + 5):
        log.add(ScanEntry(AT + dt.timedelta(seconds=i), "mdl", True, Headline("yes", "identity.yes")))
    assert len(log.entries()) == MAX_ENTRIES
