"""The period of a report and which tasks it counts (docs/statistics.md).

``in_scope`` is, with ``classify``, the specification of the figures: the task spans are
checked against both (``tests/services/test_span_figures_property.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.infra.errors import InvalidInput
from services.stats.classify import TaskFacts, done_on


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date
    as_of: date  # min(date_to, today)


def make_period(*, date_from: date, date_to: date, today: date, field: str = "date_from") -> Period:
    """``field``: the name the caller's input gives "từ ngày" (the JSON API calls it ``from``)."""
    if date_from > date_to:
        raise InvalidInput("Từ ngày phải trước hoặc bằng đến ngày.", field=field)
    return Period(date_from, date_to, min(date_to, today))


def period_or_default(*, date_from: date | None, date_to: date | None, today: date, field: str = "from") -> Period:
    """The period a reader asked for, with Giám sát's defaults: ``to`` today, ``from`` 1 January
    of ``to``'s year."""
    end = date_to or today
    return make_period(date_from=date_from or date(end.year, 1, 1), date_to=end, today=today, field=field)


def in_scope(facts: TaskFacts, period: Period) -> bool:
    """Assigned in the period, or assigned earlier and not yet confirmed done at ``from``.

    A task closed administratively (wrong unit, revoked, replaced) counts for nobody from the
    day it was closed; reports judged before that day still show it as it was.
    """
    if facts.assigned_on > period.as_of:
        return False
    if facts.closed_on is not None and facts.closed_on <= period.as_of:
        return False
    if facts.assigned_on >= period.date_from:
        return True
    closed = done_on(facts)
    return closed is None or closed >= period.date_from
