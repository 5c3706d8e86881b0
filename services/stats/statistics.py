"""Giám sát công việc: per-unit statistics, one definition everywhere (docs/statistics.md).

For a period [from, to] a unit's tasks are those assigned in the period plus those assigned
earlier and still open at ``from``; each is classed by ``classify`` as of ``to`` (today if
``to`` is in the future). Every figure goes through ``_scoped`` and ``_report``: the
dashboard reads the scope once (``dashboard``: the table and the lists behind its figures),
one-off readers call ``unit_statistics`` and ``tasks_behind``; both give the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from models import OrgUnit, Permission, TaskClass, UnitKind
from services.access.permissions import Actor, require
from services.infra.errors import InvalidInput, PermissionDenied
from services.stats.classify import TaskFacts, TaskState, classify, done_on, load_facts
from services.stats.rows import TaskRow, build_rows, sort_urgent_first


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


@dataclass
class UnitStats:
    unit_id: int
    unit_name: str
    documents: set[int] = field(default_factory=set)
    counts: dict[TaskClass, int] = field(default_factory=lambda: {c: 0 for c in TaskClass})
    awaiting_confirmation: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts[TaskClass.DONE_ON_TIME] + self.counts[TaskClass.DONE_LATE]

    @property
    def open(self) -> int:
        return self.counts[TaskClass.OPEN_ON_TIME] + self.counts[TaskClass.OPEN_OVERDUE]

    @property
    def rate(self) -> float | None:
        """On-time done / all; None when the unit has no task."""
        return self.counts[TaskClass.DONE_ON_TIME] / self.total if self.total else None


@dataclass(frozen=True)
class StatisticsReport:
    period: Period
    rows: list[UnitStats]  # units with at least one task, in org order
    total: UnitStats


def _scoped(session: Session, period: Period) -> list[tuple[TaskFacts, TaskState]]:
    """Every task in the period's scope with its class as of the period's as-of date."""
    facts = load_facts(session=session)
    return [(f, classify(f, period.as_of)) for f in facts.values() if in_scope(f, period)]


def unit_statistics(*, session: Session, period: Period, include_empty: bool = False) -> StatisticsReport:
    """The official table: one row per unit, a total row. Aggregates are public information."""
    return _report(session, period, _scoped(session, period), include_empty=include_empty)


def _report(
    session: Session, period: Period, scoped: list[tuple[TaskFacts, TaskState]], *, include_empty: bool = False
) -> StatisticsReport:
    units = [
        u
        for u in session.exec(select(OrgUnit).order_by(OrgUnit.sort_order, OrgUnit.id)).all()  # type: ignore[arg-type]
        if u.kind is not UnitKind.OFFICE
    ]
    by_unit = {u.id: UnitStats(u.id or 0, u.short_name) for u in units}
    total = UnitStats(0, "Tổng cộng")
    for facts, state in scoped:
        stats = by_unit.get(facts.lead_unit_id)
        if stats is None:
            continue
        for target in (stats, total):
            target.documents.add(facts.document_id)
            target.counts[state.task_class] += 1
            if state.awaiting_confirmation:
                target.awaiting_confirmation += 1
    rows = [s for s in by_unit.values() if include_empty or s.total]
    return StatisticsReport(period=period, rows=rows, total=total)


def tasks_behind(
    *,
    session: Session,
    actor: Actor,
    period: Period,
    due_soon_days: int,
    unit_id: int | None = None,
    task_class: TaskClass | None = None,
) -> list[TaskRow]:
    """The tasks behind a figure of ``unit_statistics`` (same scope, same classification).

    Units see their own tasks only; VP UBND and admin see all.
    """
    _check_behind(actor, unit_id)
    return _behind(session, period, _scoped(session, period), due_soon_days, unit_id, task_class)


@dataclass(frozen=True)
class Dashboard:
    """One reading of the scope for "Giám sát công việc": the official table, and the tasks behind
    any of its figures from that same reading, so a list always adds up to the figure shown next
    to it (the page keeps it while its drill-down filters change)."""

    actor: Actor
    period: Period
    report: StatisticsReport
    scope: list[tuple[TaskFacts, TaskState]] = field(repr=False, compare=False)

    @property
    def lists_unit(self) -> int | None:
        """Whose task lists the actor may open: None for every unit (VP UBND, admin), else its own."""
        return None if self.actor.can(Permission.TASKS_VIEW_ALL) else self.actor.unit_id

    def list_units(self) -> dict[int, str]:
        """The units the drill-down offers: the table's units, or only the actor's own."""
        if self.lists_unit is None:
            return {row.unit_id: row.unit_name for row in self.report.rows}
        return {self.actor.unit_id: self.actor.unit_name}

    def figure_tasks(
        self, *, session: Session, due_soon_days: int, unit_id: int | None = None, task_class: TaskClass | None = None
    ) -> list[TaskRow]:
        """Like ``tasks_behind``, with the same permission rule, from this reading."""
        _check_behind(self.actor, unit_id)
        return _behind(session, self.period, self.scope, due_soon_days, unit_id, task_class)


def dashboard(*, session: Session, actor: Actor, period: Period) -> Dashboard:
    """Read the scope once: the table now, the lists behind its figures on demand."""
    require(actor, Permission.DASHBOARD_VIEW, _NO_DASHBOARD)
    scope = _scoped(session, period)
    return Dashboard(actor=actor, period=period, report=_report(session, period, scope), scope=scope)


_NO_DASHBOARD = "Vai trò của bạn không xem Giám sát công việc."


def _check_behind(actor: Actor, unit_id: int | None) -> None:
    require(actor, Permission.DASHBOARD_VIEW, _NO_DASHBOARD)
    if not actor.can(Permission.TASKS_VIEW_ALL) and (unit_id is None or unit_id != actor.unit_id):
        raise PermissionDenied("Bạn chỉ xem được danh sách nhiệm vụ của đơn vị mình.")


def _behind(
    session: Session,
    period: Period,
    scoped: list[tuple[TaskFacts, TaskState]],
    due_soon_days: int,
    unit_id: int | None,
    task_class: TaskClass | None,
) -> list[TaskRow]:
    chosen = {
        facts.task_id: facts
        for facts, state in scoped
        if (unit_id is None or facts.lead_unit_id == unit_id) and (task_class is None or state.task_class is task_class)
    }
    rows = build_rows(
        session=session, task_ids=chosen, today=period.as_of, due_soon_days=due_soon_days, facts=chosen
    )
    return sort_urgent_first(rows)
