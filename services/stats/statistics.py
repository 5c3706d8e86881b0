"""Giám sát công việc: per-unit statistics, one definition everywhere (docs/statistics.md).

For a period [from, to] a unit's tasks are those assigned in the period plus those assigned
earlier and still open at ``from`` (``in_scope``); each is classed by ``classify`` as of ``to``
(today if ``to`` is in the future). Those two functions are the specification; the figures and
the lists behind them are read from the task spans they were sampled into
(``services.stats.spans``, ``span_figures``), which the property tests hold equal to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlmodel import Session, select

from models import OrgUnit, Permission, TaskClass, UnitKind
from services.access.permissions import Actor, require
from services.infra.errors import InvalidInput, PermissionDenied
from services.infra.text import fold
from services.stats import span_figures
from services.stats.classify import TaskState
from services.stats.period import Period, in_scope, make_period, period_or_default
from services.stats.rows import TaskRow, mark_backdated, task_row

__all__ = [  # the period and its scope live in services.stats.period; readers find them here too
    "Dashboard",
    "Period",
    "RowPage",
    "StatisticsReport",
    "TableOrder",
    "UnitStats",
    "dashboard",
    "in_scope",
    "make_period",
    "ordered_rows",
    "period_or_default",
    "tasks_behind",
    "unit_statistics",
]

PER_PAGE_CHOICES = (20, 50, 100)  # rows per page a list of Giám sát offers
MAX_PER_PAGE = 200


@dataclass
class UnitStats:
    unit_id: int
    unit_name: str  # the short name, as the table and the chart's axis show it
    documents: int = 0  # distinct assignment documents
    counts: dict[TaskClass, int] = field(default_factory=lambda: {c: 0 for c in TaskClass})
    awaiting_confirmation: int = 0
    full_name: str = ""  # the unit's full name (the chart's tooltip); "" for the total row

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


def fmt_percent(rate: float | None) -> str:
    """A rate as Vietnamese officials write it: 14,3 % (comma decimal); '—' when there is no task.
    The one way the screen, the public page and the report write a rate."""
    return "—" if rate is None else f"{rate * 100:.1f} %".replace(".", ",")


@dataclass(frozen=True)
class StatisticsReport:
    period: Period
    rows: list[UnitStats]  # units with at least one task, in org order
    total: UnitStats
    # read with the table, so a page of a list names its units without another query
    unit_names: Mapping[int, str] = field(default_factory=dict)  # every unit, inactive ones too
    offices: frozenset[int] = frozenset()  # VP UBND's own units: it assigns and tracks, not in the table


class TableOrder(StrEnum):
    """How the official table's unit lines may be ordered (Giám sát's "Sắp xếp theo", in the URL
    as ``sort``). What matters first: the units with the most overdue tasks; the total row is apart.
    Ties go to the unit with more tasks, then to the order of ``config/org.yaml``."""

    OVERDUE = "overdue"  # Chưa hoàn thành — Quá hạn, most first (the default)
    TOTAL = "total"  # Tổng số nhiệm vụ, most first
    DOCUMENTS = "documents"  # Tổng số văn bản, most first
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OPEN_ON_TIME = "open_on_time"
    RATE = "rate"  # Tỷ lệ hoàn thành đúng hạn, lowest first (a unit with no task last)
    RATE_DESC = "rate_desc"  # highest first
    NAME = "name"  # Cơ quan thực hiện, A–Z ignoring accents
    ORG = "org"  # the order of config/org.yaml


def ordered_rows(report: StatisticsReport, order: TableOrder) -> list[UnitStats]:
    """The table's unit lines in ``order`` (a new list; the report keeps the org order)."""
    position = {row.unit_id: i for i, row in enumerate(report.rows)}

    def tie(row: UnitStats) -> tuple[int, int]:
        return (-row.total, position[row.unit_id])

    classes = {
        TableOrder.OVERDUE: TaskClass.OPEN_OVERDUE,
        TableOrder.DONE_ON_TIME: TaskClass.DONE_ON_TIME,
        TableOrder.DONE_LATE: TaskClass.DONE_LATE,
        TableOrder.OPEN_ON_TIME: TaskClass.OPEN_ON_TIME,
    }
    rows = report.rows
    if order in classes:
        cls = classes[order]
        return sorted(rows, key=lambda r: (-r.counts[cls], *tie(r)))
    if order is TableOrder.TOTAL:
        return sorted(rows, key=lambda r: (-r.total, -r.counts[TaskClass.OPEN_OVERDUE], position[r.unit_id]))
    if order is TableOrder.DOCUMENTS:
        return sorted(rows, key=lambda r: (-r.documents, *tie(r)))
    if order in (TableOrder.RATE, TableOrder.RATE_DESC):
        sign = 1 if order is TableOrder.RATE else -1
        return sorted(rows, key=lambda r: (r.rate is None, sign * (r.rate or 0.0), *tie(r)))
    if order is TableOrder.NAME:
        return sorted(rows, key=lambda r: (fold(r.unit_name), position[r.unit_id]))
    return list(rows)


@dataclass(frozen=True)
class _Org:
    """The units as the table and its lists need them."""

    ordered: list[tuple[int, str, str]]  # units of the table (id, short name, full name), in org order
    names: dict[int, str]
    offices: frozenset[int]


def _org(session: Session) -> _Org:
    listed = session.exec(
        select(OrgUnit.id, OrgUnit.short_name, OrgUnit.name, OrgUnit.kind).order_by(OrgUnit.sort_order, OrgUnit.id)  # type: ignore[arg-type]
    ).all()
    offices = frozenset(uid for uid, _, _, kind in listed if uid is not None and UnitKind(kind) is UnitKind.OFFICE)
    return _Org(
        ordered=[(uid, short, full) for uid, short, full, _ in listed if uid is not None and uid not in offices],
        names={uid: short for uid, short, _, _ in listed if uid is not None},
        offices=offices,
    )


def unit_statistics(*, session: Session, period: Period, include_empty: bool = False) -> StatisticsReport:
    """The official table: one row per unit, a total row. Aggregates are public information."""
    org = _org(session)
    offices, units = org.offices, org.ordered
    figures = span_figures.unit_figures(session=session, period=period, skip_units=offices)
    rows: list[UnitStats] = []
    for uid, name, full_name in units:
        line = figures.units.get(uid)
        stats = UnitStats(uid, name, full_name=full_name)
        if line is not None:
            stats.documents = line.documents
            stats.counts = dict(line.counts)
            stats.awaiting_confirmation = line.awaiting_confirmation
        if include_empty or stats.total:
            rows.append(stats)
    total = figures.total
    return StatisticsReport(
        period=period,
        rows=rows,
        total=UnitStats(
            0,
            "Tổng cộng",
            documents=total.documents,
            counts=dict(total.counts),
            awaiting_confirmation=total.awaiting_confirmation,
        ),
        unit_names=org.names,
        offices=org.offices,
    )


def tasks_behind(
    *,
    session: Session,
    actor: Actor,
    period: Period,
    due_soon_days: int,
    unit_id: int | None = None,
    task_class: TaskClass | None = None,
) -> list[TaskRow]:
    """The tasks behind a figure of ``unit_statistics`` (same scope, same classification), urgent first.

    Units see their own tasks only; VP UBND and admin see all.
    """
    _check_behind(actor, unit_id)
    org = _org(session)
    return _rows(session, period, due_soon_days, unit_id, task_class, names=org.names, offices=org.offices)


def _rows(
    session: Session,
    period: Period,
    due_soon_days: int,
    unit_id: int | None,
    task_class: TaskClass | None,
    *,
    names: Mapping[int, str],
    offices: frozenset[int],
    offset: int = 0,
    limit: int | None = None,
    counts: dict[TaskClass, int] | None = None,
) -> list[TaskRow]:
    spans = span_figures.list_tasks(
        session=session,
        period=period,
        due_soon_days=due_soon_days,
        skip_units=offices,
        unit_id=unit_id,
        task_class=task_class,
        offset=offset,
        limit=limit,
        counts=counts,
    )
    return span_rows(session=session, spans=spans, as_of=period.as_of, due_soon_days=due_soon_days, names=names)


def span_rows(
    *,
    session: Session,
    spans: Sequence[span_figures.SpanRow],
    as_of: date,
    due_soon_days: int,
    names: Mapping[int, str],
) -> list[TaskRow]:
    """List lines of tasks read from their spans (the class the span holds on ``as_of``), with
    the page's replies dated back named (``TaskRow.backdated_reply``)."""
    rows = [
        task_row(
            task_id=r.task_id,
            document_id=r.document_id,
            document_code=r.document_code,
            document_date=r.document_date,
            summary=r.summary,
            content=r.content,
            lead_unit_id=r.lead_unit_id,
            lead_unit_name=names.get(r.lead_unit_id, "?"),
            status=r.status,
            state=TaskState(r.task_class, r.deadline, r.awaiting, r.reply_date),
            today=as_of,
            due_soon_days=due_soon_days,
        )
        for r in spans
    ]
    return mark_backdated(session=session, rows=rows)


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
    figures, with the permission rule of who may open which list.

    The table comes from ``dashboard``: computed now, or given by the caller (``report=``, the
    page's cache of the public table for the current data version). The lists are read from the
    database when asked, a page at a time; the page checks the data version around its reads, so
    a list shown next to the table adds up to its figure."""

    actor: Actor
    period: Period
    report: StatisticsReport

    @property
    def lists_unit(self) -> int | None:
        """Whose task lists the actor may open: None for every unit (VP UBND, admin), else its own."""
        return None if self.actor.can(Permission.TASKS_VIEW_ALL) else self.actor.unit_id

    def list_units(self) -> dict[int, str]:
        """The units the drill-down offers: the table's units, or only the actor's own."""
        if self.lists_unit is None:
            return {row.unit_id: row.unit_name for row in self.report.rows}
        return {self.actor.unit_id: self.actor.unit_name}

    def figure(self, *, unit_id: int | None = None, task_class: TaskClass | None = None) -> int:
        """The figure of the table a list opens: a unit's (None: the total row) class (None: all)."""
        _check_behind(self.actor, unit_id)
        stats = (
            self.report.total
            if unit_id is None
            else next((row for row in self.report.rows if row.unit_id == unit_id), None)
        )
        if stats is None:
            return 0
        return stats.total if task_class is None else stats.counts[task_class]

    def figure_tasks(
        self, *, session: Session, due_soon_days: int, unit_id: int | None = None, task_class: TaskClass | None = None
    ) -> list[TaskRow]:
        """Like ``tasks_behind``, with the same permission rule: every row (exports)."""
        _check_behind(self.actor, unit_id)
        names, offices = self._org(session)
        return _rows(session, self.period, due_soon_days, unit_id, task_class, names=names, offices=offices)

    def _org(self, session: Session) -> tuple[Mapping[int, str], frozenset[int]]:
        """The units' names and VP UBND's units: the table's own, or read now (a table built by
        hand in a test has none)."""
        if self.report.unit_names:
            return self.report.unit_names, self.report.offices
        org = _org(session)
        return org.names, org.offices

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
        """One page of ``figure_tasks`` (same order, urgent first): the database sorts and cuts;
        only the page's rows are read. Its total is the figure the list opens."""
        _check_behind(self.actor, unit_id)
        if page < 1:
            raise InvalidInput("Trang phải từ 1 trở lên.", field="page")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidInput(f"Số nhiệm vụ mỗi trang phải từ 1 đến {MAX_PER_PAGE}.", field="per_page")
        # the list adds up to the figure it opens (the page reruns if the data moved meanwhile)
        counts = {cls: self.figure(unit_id=unit_id, task_class=cls) for cls in TaskClass if task_class in (None, cls)}
        total = sum(counts.values())
        page = min(page, max(1, -(-total // per_page)))
        names, offices = self._org(session)
        items = _rows(
            session,
            self.period,
            due_soon_days,
            unit_id,
            task_class,
            names=names,
            offices=offices,
            offset=(page - 1) * per_page,
            limit=per_page,
            counts=counts,
        )
        return RowPage(items=items, total=total, page=page, per_page=per_page)


def dashboard(*, session: Session, actor: Actor, period: Period, report: StatisticsReport | None = None) -> Dashboard:
    """The table (``report``: the caller's copy of this period's public table) and the lists behind
    its figures."""
    require(actor, Permission.DASHBOARD_VIEW, _NO_DASHBOARD)
    if report is None:
        report = unit_statistics(session=session, period=period)
    elif report.period != period:
        raise ValueError("the report is of another period")
    return Dashboard(actor=actor, period=period, report=report)


_NO_DASHBOARD = "Vai trò của bạn không xem Giám sát công việc."


def _check_behind(actor: Actor, unit_id: int | None) -> None:
    require(actor, Permission.DASHBOARD_VIEW, _NO_DASHBOARD)
    if not actor.can(Permission.TASKS_VIEW_ALL) and (unit_id is None or unit_id != actor.unit_id):
        raise PermissionDenied("Bạn chỉ xem được danh sách nhiệm vụ của đơn vị mình.")
