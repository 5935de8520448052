"""The age_over_NN rule (ISO/IEC 18013-5 §7.2.5)."""

from __future__ import annotations

import datetime as dt

import pytest

from specs.mdoc.age import age_in_years, age_over_values, select_age_over


def test_age_in_years_around_birthdays() -> None:
    born = dt.date(2007, 11, 25)
    assert age_in_years(born, dt.date(2026, 11, 24)) == 18
    assert age_in_years(born, dt.date(2026, 11, 25)) == 19
    assert age_in_years(dt.date(2008, 2, 29), dt.date(2027, 2, 28)) == 18


def test_values_for_the_korean_thresholds() -> None:
    values = age_over_values(dt.date(2007, 11, 25), dt.date(2026, 11, 25), [14, 19, 65])
    assert values == {"age_over_14": True, "age_over_19": True, "age_over_65": False}
    with pytest.raises(ValueError):
        age_over_values(dt.date(2000, 1, 1), dt.date(2026, 1, 1), [100])


HELD = {"age_over_14": True, "age_over_19": True, "age_over_65": False}


@pytest.mark.parametrize(("asked", "released"), [
    ("age_over_19", "age_over_19"),  # held: released as is
    ("age_over_18", "age_over_19"),  # nearest true at or above: over 19 implies over 18
    ("age_over_12", "age_over_14"),
    ("age_over_70", "age_over_65"),  # nearest false at or below: under 65 implies under 70
])
def test_selection(asked: str, released: str | None) -> None:
    assert select_age_over(asked, HELD) == released


def test_false_answers() -> None:
    young = {"age_over_14": True, "age_over_19": False, "age_over_65": False}
    assert select_age_over("age_over_21", young) == "age_over_19"  # under 19 implies under 21
    assert select_age_over("age_over_16", young) is None  # over 14 but under 19: no element answers 16
    with pytest.raises(ValueError):
        select_age_over("age_over_x", young)
