"""Working days (ngày làm việc): weekends and Vietnamese public holidays are skipped.

Public holidays, lunar ones (Tết, Giỗ Tổ Hùng Vương) included, come from the ``holidays``
library; the yearly swapped days come from ``config/app.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays


def is_working_day(day: date, *, extra_days_off: Iterable[date] = (), extra_working_days: Iterable[date] = ()) -> bool:
    if day in set(extra_working_days):
        return True
    if day.weekday() >= 5 or day in set(extra_days_off):
        return False
    return day not in holidays.country_holidays("VN", years=day.year)


def add_working_days(
    start: date, days: int, *, extra_days_off: Iterable[date] = (), extra_working_days: Iterable[date] = ()
) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    if days < 1:
        raise ValueError("days must be >= 1")
    off = set(extra_days_off)
    on = set(extra_working_days)
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current, extra_days_off=off, extra_working_days=on):
            remaining -= 1
    return current
