"""Report periods by name: "tháng này", "quý I", "6 tháng đầu năm", "năm trước" …

A preset is a rule, not two dates: the same link (``?ky=quy-1``) shows this year's first quarter
whenever it is opened, and "tháng trước" run by a monthly job on the 1st is the month just ended.
The dates are whole calendar months; a period reaching past today is judged as of today
(``Period.as_of``), as any period is. Labels live in ``config/app.yaml`` (``period_presets``).
"""

from __future__ import annotations

import calendar
from datetime import date

from models import PeriodPreset
from services.infra.errors import InvalidInput

__all__ = ["PeriodPreset", "parse_preset", "preset_dates", "preset_of"]

# The months a preset of the current year covers (first, last)
_MONTHS: dict[PeriodPreset, tuple[int, int]] = {
    PeriodPreset.Q1: (1, 3),
    PeriodPreset.Q2: (4, 6),
    PeriodPreset.Q3: (7, 9),
    PeriodPreset.Q4: (10, 12),
    PeriodPreset.FIRST_HALF: (1, 6),
    PeriodPreset.NINE_MONTHS: (1, 9),
    PeriodPreset.THIS_YEAR: (1, 12),
}


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def preset_dates(preset: PeriodPreset, *, today: date) -> tuple[date, date]:
    """(từ ngày, đến ngày) of ``preset`` for ``today`` (Vietnam's date)."""
    if preset is PeriodPreset.THIS_MONTH:
        return date(today.year, today.month, 1), _month_end(today.year, today.month)
    if preset is PeriodPreset.LAST_MONTH:
        year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        return date(year, month, 1), _month_end(year, month)
    if preset is PeriodPreset.LAST_YEAR:
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    first, last = _MONTHS[preset]
    return date(today.year, first, 1), _month_end(today.year, last)


def preset_of(date_from: date, date_to: date, *, today: date) -> PeriodPreset | None:
    """The preset these dates are for ``today`` (the first in the list's order), None if none."""
    return next((p for p in PeriodPreset if preset_dates(p, today=today) == (date_from, date_to)), None)


def parse_preset(text: str, *, field: str = "ky") -> PeriodPreset:
    """A preset named in a link or on the command line; an unknown one (an old link) is refused
    with the names that exist."""
    try:
        return PeriodPreset(text.strip())
    except ValueError:
        known = ", ".join(p.value for p in PeriodPreset)
        raise InvalidInput(f"Không có kỳ báo cáo “{text[:40]}”. Các kỳ có sẵn: {known}.", field=field) from None
