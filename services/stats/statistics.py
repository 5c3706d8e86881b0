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

from sqlmodel import Session, col, select

from models import OrgUnit, Permission, Task, TaskClass, UnitKind
from services.access.permissions import Actor, require
from services.infra.errors import InvalidInput, PermissionDenied
from services.stats.classify import TaskFacts, TaskState, classify, done_on, load_facts
from services.stats.rows import TaskRow, build_rows, sort_urgent_first, urgency_key

PER_PAGE_CHOICES = (20, 50, 100)  # rows per page a list of Giám sát offers
MAX_PER_PAGE = 200


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


Scope = list[tuple[TaskFacts, TaskState]]


def _scoped(session: Session, period: Period, *, lead_unit_id: int | None = None) -> Scope:
    """Every task in the period's scope with its class as of the period's as-of date
    (``lead_unit_id``: only that unit's tasks, read alone)."""
    if lead_unit_id is None:
        facts = load_facts(session=session)
    else:
        ids = session.exec(select(col(Task.id)).where(col(Task.lead_unit_id) == lead_unit_id)).all()
        facts = load_facts(session=session, task_ids=[i for i in ids if i is not None])
    return [(f, classify(f, period.as_of)) for f in facts.values() if in_scope(f, period)]


def unit_statistics(*, session: Session, period: Period, include_empty: bool = False) -> StatisticsReport:
    """The official table: one row per unit, a total row. Aggregates are public information."""
    return _report(session, period, _scoped(session, period), include_empty=include_empty)


def _report(session: Session, period: Period, scoped: Scope, *, include_empty: bool = False) -> StatisticsReport:
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
    return _behind(session, period, _scoped(session, period, lead_unit_id=unit_id), due_soon_days, unit_id, task_class)


@dataclass(frozen=True)
class RowPage:
    """One page of the tasks behind a figure; ``total`` is the figure (every page together)."""

    items: list[TaskRow]
    total: int
    page: int  # from 1; a page past the last is the last
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """Position (from 1) of the first row shown; 0 when there is none."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


@dataclass(frozen=True)
class Dashboard:
    """One reading for "Giám sát công việc": the official table, and the tasks behind any of its
    figures, so a list adds up to the figure shown next to it (the page keeps it while its
    drill-down filters change).

    Built by ``dashboard``: from one reading of the scope; or around a table the caller already
    has for the current data version (``report=``, the page's cache of the public table), when
    the lists read only the scope they need: a unit's own tasks, or every task for VP UBND."""

    actor: Actor
    period: Period
    report: StatisticsReport
    scope: Scope | None = field(default=None, repr=False, compare=False)
    _unit_scopes: dict[int, Scope] = field(default_factory=dict, repr=False, compare=False)

    @property
    def lists_unit(self) -> int | None:
        """Whose task lists the actor may open: None for every unit (VP UBND, admin), else its own."""
        return None if self.actor.can(Permission.TASKS_VIEW_ALL) else self.actor.unit_id

    def list_units(self) -> dict[int, str]:
        """The units the drill-down offers: the table's units, or only the actor's own."""
        if self.lists_unit is None:
            return {row.unit_id: row.unit_name for row in self.report.rows}
        return {self.actor.unit_id: self.actor.unit_name}

    def _scope_for(self, session: Session, unit_id: int | None) -> Scope:
        if self.scope is not None:
            return self.scope
        if unit_id is None:
            object.__setattr__(self, "scope", _scoped(session, self.period))
            assert self.scope is not None
            return self.scope
        if unit_id not in self._unit_scopes:
            self._unit_scopes[unit_id] = _scoped(session, self.period, lead_unit_id=unit_id)
        return self._unit_scopes[unit_id]

    def read_scope(self, *, session: Session, unit_id: int | None) -> None:
        """Read now the scope the lists of ``unit_id`` (None: every unit) will be drawn from."""
        _check_behind(self.actor, unit_id)
        self._scope_for(session, unit_id)

    def figure(self, *, unit_id: int | None = None, task_class: TaskClass | None = None) -> int:
        """The figure of the table a list opens: a unit's (None: the total row) class (None: all)."""
        _check_behind(self.actor, unit_id)
        stats = self.report.total if unit_id is None else next(
            (row for row in self.report.rows if row.unit_id == unit_id), None
        )
        if stats is None:
            return 0
        return stats.total if task_class is None else stats.counts[task_class]

    def figure_tasks(
        self, *, session: Session, due_soon_days: int, unit_id: int | None = None, task_class: TaskClass | None = None
    ) -> list[TaskRow]:
        """Like ``tasks_behind``, with the same permission rule, from this reading: every row
        (exports)."""
        _check_behind(self.actor, unit_id)
        return _behind(session, self.period, self._scope_for(session, unit_id), due_soon_days, unit_id, task_class)

    def figure_page(
        self,
        *,
        session: Session,
        due_soon_days: int,
        unit_id: int | None = None,
        task_class: TaskClass | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> RowPage:
        """One page of ``figure_tasks`` (same order, urgent first): only its rows are built."""
        _check_behind(self.actor, unit_id)
        return _behind_page(
            session,
            self.period,
            self._scope_for(session, unit_id),
            due_soon_days,
            unit_id,
            task_class,
            page=page,
            per_page=per_page,
        )


def dashboard(
    *, session: Session, actor: Actor, period: Period, report: StatisticsReport | None = None
) -> Dashboard:
    """The table and the lists behind its figures. Without ``report``: read the scope once, the
    table now, the lists from the same reading. With ``report`` (the public table of this period,
    as of the current data version): the lists read their scope when asked."""
    require(actor, Permission.DASHBOARD_VIEW, _NO_DASHBOARD)
    if report is not None:
        if report.period != period:
            raise ValueError("the report is of another period")
        return Dashboard(actor=actor, period=period, report=report)
    scope = _scoped(session, period)
    return Dashboard(actor=actor, period=period, report=_report(session, period, scope), scope=scope)


_NO_DASHBOARD = "Vai trò của bạn không xem Giám sát công việc."


def _check_behind(actor: Actor, unit_id: int | None) -> None:
    require(actor, Permission.DASHBOARD_VIEW, _NO_DASHBOARD)
    if not actor.can(Permission.TASKS_VIEW_ALL) and (unit_id is None or unit_id != actor.unit_id):
        raise PermissionDenied("Bạn chỉ xem được danh sách nhiệm vụ của đơn vị mình.")


def _chosen(
    scoped: Scope, unit_id: int | None, task_class: TaskClass | None
) -> dict[int, tuple[TaskFacts, TaskState]]:
    return {
        facts.task_id: (facts, state)
        for facts, state in scoped
        if (unit_id is None or facts.lead_unit_id == unit_id) and (task_class is None or state.task_class is task_class)
    }


def _behind(
    session: Session,
    period: Period,
    scoped: Scope,
    due_soon_days: int,
    unit_id: int | None,
    task_class: TaskClass | None,
) -> list[TaskRow]:
    chosen = {task_id: facts for task_id, (facts, _) in _chosen(scoped, unit_id, task_class).items()}
    rows = build_rows(
        session=session, task_ids=chosen, today=period.as_of, due_soon_days=due_soon_days, facts=chosen
    )
    return sort_urgent_first(rows)


def _behind_page(
    session: Session,
    period: Period,
    scoped: Scope,
    due_soon_days: int,
    unit_id: int | None,
    task_class: TaskClass | None,
    *,
    page: int,
    per_page: int,
) -> RowPage:
    """Sort every chosen task by its class (no row built), then build the page's rows only."""
    if page < 1:
        raise InvalidInput("Trang phải từ 1 trở lên.", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"Số nhiệm vụ mỗi trang phải từ 1 đến {MAX_PER_PAGE}.", field="per_page")
    chosen = _chosen(scoped, unit_id, task_class)
    order = sorted(
        chosen,
        key=lambda task_id: urgency_key(
            task_id, chosen[task_id][1], today=period.as_of, due_soon_days=due_soon_days
        ),
    )
    total = len(order)
    page = min(page, max(1, -(-total // per_page)))
    shown = order[(page - 1) * per_page : page * per_page]
    facts = {task_id: chosen[task_id][0] for task_id in shown}
    rows = build_rows(session=session, task_ids=shown, today=period.as_of, due_soon_days=due_soon_days, facts=facts)
    return RowPage(items=sort_urgent_first(rows), total=total, page=page, per_page=per_page)
