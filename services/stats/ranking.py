"""Xếp hạng đơn vị: the units of the official table ranked by their on-time rate.

The rate is the table's own (done on time / all, README "How the figures are defined"), read from
the same ``StatisticsReport`` Giám sát shows, so a rank never disagrees with the table beside it.
A unit with very few tasks would rank first or last on one reply, so a unit needs at least
``ranking_min_tasks`` tasks in the period (``config/app.yaml``) to be ranked; the others are
listed apart ("Chưa đủ số nhiệm vụ để xếp hạng"), in the order of ``config/org.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import TaskClass
from services.stats.period import Period
from services.stats.statistics import StatisticsReport, UnitStats


@dataclass(frozen=True)
class RankedUnit:
    """One line of the ranking. ``rank`` is shared by units tied on all three keys (1, 2, 2, 4)."""

    rank: int
    stats: UnitStats


@dataclass(frozen=True)
class Ranking:
    period: Period
    min_tasks: int
    ranked: tuple[RankedUnit, ...]  # best first
    unranked: tuple[UnitStats, ...]  # fewer than ``min_tasks`` tasks, in org order


def rank_key(row: UnitStats) -> tuple[float, int, int]:
    """Higher rate first; on the same rate, fewer open overdue tasks ("Chưa hoàn thành — Quá hạn",
    what the table puts first); then more tasks (the same rate over more work weighs more)."""
    return (-(row.rate or 0.0), row.counts[TaskClass.OPEN_OVERDUE], -row.total)


def rank_units(report: StatisticsReport, *, min_tasks: int) -> Ranking:
    """The ranking of ``report``'s units (units with no task in the period are in neither list, as
    they are not in the table). Units tied on ``rank_key`` share a rank and keep the org order."""
    position = {row.unit_id: i for i, row in enumerate(report.rows)}
    eligible = [row for row in report.rows if row.total >= min_tasks]
    eligible.sort(key=lambda r: (*rank_key(r), position[r.unit_id]))
    ranked: list[RankedUnit] = []
    for i, row in enumerate(eligible):
        tied = ranked and rank_key(ranked[-1].stats) == rank_key(row)
        ranked.append(RankedUnit(ranked[-1].rank if tied else i + 1, row))
    unranked = tuple(row for row in report.rows if row.total < min_tasks)
    return Ranking(period=report.period, min_tasks=min_tasks, ranked=tuple(ranked), unranked=unranked)
