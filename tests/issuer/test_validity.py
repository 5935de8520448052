"""issuer.validity: each copy's signed times move back by its own random offset within the window, never before
the document signer's certificate, keeping the period's length (profile §8.6)."""

from __future__ import annotations

import datetime as dt
import secrets

from issuer.validity import WINDOW, copy_validity

NOW = dt.datetime(2026, 6, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
UNTIL = NOW + dt.timedelta(days=90)
WHOLE_NOW = NOW.replace(microsecond=0)


def test_offset_moves_all_times_back_by_the_same_whole_seconds() -> None:
    asked: list[int] = []

    def randbelow(n: int) -> int:
        asked.append(n)
        return 3725

    start, end = copy_validity(NOW, UNTIL, earliest=NOW - dt.timedelta(days=30), randbelow=randbelow)
    assert asked == [int(WINDOW.total_seconds()) + 1]  # uniform over [0, WINDOW], whole seconds
    assert start == WHOLE_NOW - dt.timedelta(seconds=3725)
    assert end - start == dt.timedelta(days=90)  # the period keeps its length
    assert start <= NOW < end and start.microsecond == end.microsecond == 0


def test_window_never_reaches_before_the_signer_certificate() -> None:
    earliest = NOW - dt.timedelta(minutes=10)  # a certificate made ten minutes ago (with a fraction, for the test)
    start, _ = copy_validity(NOW, UNTIL, earliest=earliest, randbelow=lambda n: n - 1)  # the largest offset
    assert earliest <= start < earliest + dt.timedelta(seconds=1)

    def no_draw(n: int) -> int:
        raise AssertionError("nothing to draw from")

    assert copy_validity(NOW, UNTIL, earliest=NOW, randbelow=no_draw) == (WHOLE_NOW, UNTIL.replace(microsecond=0))


def test_copies_differ() -> None:
    starts = {copy_validity(NOW, UNTIL, earliest=NOW - WINDOW, randbelow=secrets.randbelow)[0] for _ in range(5)}
    assert len(starts) > 1  # five copies with one time: once in 86401**4 batches
