"""The age_over_NN rule (ISO/IEC 18013-5 §7.2.5).

``age_over_NN`` (NN 00..99) is true when the holder's age is at least NN, computed at issuance. A reader
may ask for an NN the mdoc does not hold; the mdoc then releases an element whose value still answers
the question without revealing more: the nearest *true* age_over_NN' with NN' >= NN (older than NN' is
older than NN), else the nearest *false* one with NN' <= NN (younger than NN' is younger than NN).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

__all__ = ["AGE_OVER", "age_in_years", "age_over_values", "select_age_over"]

AGE_OVER = re.compile(r"^age_over_(\d{2})$")


def age_in_years(birth_date: dt.date, on: dt.date) -> int:
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def age_over_values(birth_date: dt.date, on: dt.date, thresholds: Iterable[int]) -> dict[str, bool]:
    """The age_over_NN elements for ``thresholds`` as of ``on`` (normally the issue date)."""
    age = age_in_years(birth_date, on)
    out: dict[str, bool] = {}
    for nn in sorted(set(thresholds)):
        if not 0 <= nn <= 99:
            raise ValueError("age_over_NN needs 0 <= NN <= 99")
        out[f"age_over_{nn:02d}"] = age >= nn
    return out


def select_age_over(requested: str, held: Mapping[str, bool]) -> str | None:
    """The element identifier to release for a request of ``requested`` (§7.2.5), or None."""
    match = AGE_OVER.match(requested)
    if match is None:
        raise ValueError(f"{requested!r} is not an age_over_NN identifier")
    if requested in held:
        return requested
    wanted = int(match.group(1))
    ages = {int(m.group(1)): value for key, value in held.items() if (m := AGE_OVER.match(key))}
    older = sorted(nn for nn, value in ages.items() if value and nn >= wanted)
    if older:
        return f"age_over_{older[0]:02d}"
    younger = sorted((nn for nn, value in ages.items() if not value and nn <= wanted), reverse=True)
    return f"age_over_{younger[0]:02d}" if younger else None
