"""Xu hướng: each unit's on-time rate month by month over the last twelve months.

Each month is a period of its own (its first to its last day; the current month as of today) and
its figures are ``unit_statistics`` of that period: a month's point is exactly what Giám sát shows
for that month, by the same definition (README "How the figures are defined"). Twelve table reads
are twelve ``GROUP BY`` over the task spans; the pages cache the result per data version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from models import OrgUnit, TaskClass
from services.stats.period import Period
from services.stats.statistics import StatisticsReport, unit_statistics

TREND_MONTHS = 12


@dataclass(frozen=True)
class MonthFigure:
    """One unit in one month: what the table of that month says."""

    on_time: int  # done on time
    total: int  # all its tasks of the month's period

    @property
    def rate(self) -> float | None:
        return self.on_time / self.total if self.total else None


@dataclass(frozen=True)
class UnitTrend:
    unit_id: int  # 0: the whole province (the table's total row)
    unit_name: str
    figures: tuple[MonthFigure, ...]  # one per month of ``Trends.months``, oldest first


@dataclass(frozen=True)
class Trends:
    months: tuple[Period, ...]  # oldest first; the last is the current month, as of today
    units: tuple[UnitTrend, ...]  # every unit with a task in one of the months, in org order
    total: UnitTrend  # the province


PROVINCE = 0  # the id of the "Toàn tỉnh" line (the table's total row): no unit has it


def month_periods(*, today: date, months: int = TREND_MONTHS) -> tuple[Period, ...]:
    """The ``months`` calendar months ending with today's, oldest first; each as of its last day
    (the current month's as of today)."""
    firsts: list[date] = []
    first = today.replace(day=1)
    for _ in range(months):
        firsts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    periods = []
    for start in reversed(firsts):
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        periods.append(Period(start, end, min(end, today)))
    return tuple(periods)


def _figure(counts: Mapping[TaskClass, int]) -> MonthFigure:
    return MonthFigure(on_time=counts[TaskClass.DONE_ON_TIME], total=sum(counts.values()))


def monthly_trends(*, session: Session, today: date, months: int = TREND_MONTHS) -> Trends:
    """Every unit's figures in each of the last ``months`` months (aggregates only: public)."""
    periods = month_periods(today=today, months=months)
    reports: list[StatisticsReport] = [unit_statistics(session=session, period=p) for p in periods]
    empty = MonthFigure(0, 0)
    names: dict[int, str] = {}
    for report in reports:
        for row in report.rows:
            names.setdefault(row.unit_id, row.unit_name)
    by_month = [{row.unit_id: _figure(row.counts) for row in report.rows} for report in reports]
    units = tuple(
        UnitTrend(uid, names[uid], tuple(month.get(uid, empty) for month in by_month))
        for uid in _org_order(session, names)
    )
    total = UnitTrend(PROVINCE, "Toàn tỉnh", tuple(_figure(report.total.counts) for report in reports))
    return Trends(months=periods, units=units, total=total)


def _org_order(session: Session, names: Mapping[int, str]) -> list[int]:
    """The units of ``names`` in the order of ``config/org.yaml`` (the table's order)."""
    ordered = session.exec(select(OrgUnit.id).order_by(OrgUnit.sort_order, OrgUnit.id)).all()  # type: ignore[arg-type]
    return [uid for uid in ordered if uid is not None and uid in names]


def own_lead_unit(*, session: Session, unit_id: int, trends: Trends) -> int | None:
    """The unit whose line a unit user sees first: their own unit, or for a user of a phòng the
    unit above it that leads tasks (the first with a line in ``trends``); None if neither has one."""
    parents = dict(session.exec(select(OrgUnit.id, OrgUnit.parent_id)).all())
    listed = {unit.unit_id for unit in trends.units}
    current: int | None = unit_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current in listed:
            return current
        seen.add(current)
        current = parents.get(current)
    return None


def default_lines(*, session: Session, unit_id: int | None, trends: Trends, ranked: Sequence[int]) -> list[int]:
    """The lines the chart opens with. A unit user (``unit_id``; None for VP UBND): their own unit
    (``own_lead_unit``) against the province. Otherwise the top and the bottom three of the ranking
    (``ranked``, best first), all of it when it has six or fewer, or the first five units when
    nobody is ranked. Only units that have a line."""
    own = None if unit_id is None else own_lead_unit(session=session, unit_id=unit_id, trends=trends)
    if own is not None:
        chosen = [own, PROVINCE]
    elif len(ranked) > 6:
        chosen = [*ranked[:3], *ranked[-3:]]
    else:
        chosen = list(ranked) or [u.unit_id for u in trends.units[:5]]
    lines = {trends.total.unit_id, *(u.unit_id for u in trends.units)}
    return [uid for uid in chosen if uid in lines]
