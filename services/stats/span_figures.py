"""The figures of a period and the tasks behind them, read from ``task_span`` by the database.

The same definition as ``in_scope`` + ``classify`` (docs/statistics.md): a task counts for a
period [from, to] when its span holds the as-of date (so it was assigned by then and not closed)
and it was assigned in the period or not confirmed done before ``from``; the span says its class.
Only the spans that hold the as-of date are read (the index ``ix_task_span_stab`` starts with
``valid_to``), so the cost follows the tasks in play, not every task ever entered; nothing but
one row per unit comes back for the table, and one page of rows for a list.

``tests/services/test_span_figures_property.py`` checks these equal ``classify`` on random
histories and periods, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from models import Document, Task, TaskClass, TaskSpan, TaskStatus

if TYPE_CHECKING:
    from services.stats.statistics import Period

span = TaskSpan.__table__  # type: ignore[attr-defined]
task = Task.__table__  # type: ignore[attr-defined]
document = Document.__table__  # type: ignore[attr-defined]


@dataclass
class UnitFigures:
    """One line of the official table (a unit, or the total row)."""

    counts: dict[TaskClass, int] = field(default_factory=lambda: {c: 0 for c in TaskClass})
    documents: int = 0  # distinct assignment documents
    awaiting_confirmation: int = 0


@dataclass(frozen=True)
class Figures:
    units: dict[int, UnitFigures]  # lead units with at least one task in scope
    total: UnitFigures


def in_period(period: Period, *, skip_units: Collection[int] = (), unit_id: int | None = None) -> ColumnElement[bool]:
    """The spans of the tasks a report of ``period`` counts, as they stood on its as-of date.

    ``skip_units``: lead units left out of the table (VP UBND itself); ``unit_id``: one unit only.
    """
    as_of = literal(period.as_of)
    date_from = literal(period.date_from)
    conditions: list[ColumnElement[bool]] = [
        span.c.valid_to >= as_of,
        span.c.valid_from <= as_of,
        # assigned in the period, or not confirmed done before it began (done_on is FOREVER until then)
        or_(span.c.assigned_on >= date_from, span.c.done_on >= date_from),
    ]
    if skip_units:
        conditions.append(span.c.lead_unit_id.not_in(sorted(skip_units)))
    if unit_id is not None:
        conditions.append(span.c.lead_unit_id == unit_id)
    return and_(*conditions)


def statistics_query(period: Period, *, skip_units: Collection[int] = ()) -> Any:
    """Per unit: distinct documents, the four classes, the replies awaiting a verdict."""
    return (
        select(
            span.c.lead_unit_id,
            func.count(func.distinct(span.c.document_id)),
            *(func.sum(case((span.c.task_class == cls.value, 1), else_=0)) for cls in TaskClass),
            func.sum(case((span.c.awaiting, 1), else_=0)),
        )
        .where(in_period(period, skip_units=skip_units))
        .group_by(span.c.lead_unit_id)
    )


def unit_figures(*, session: Session, period: Period, skip_units: Collection[int] = ()) -> Figures:
    """The table of ``period``: each unit's line and the total row (two indexed reads)."""
    units: dict[int, UnitFigures] = {}
    total = UnitFigures()
    for unit_id, documents, *rest in session.execute(statistics_query(period, skip_units=skip_units)):
        *counts, awaiting = (int(n or 0) for n in rest)
        line = UnitFigures(
            counts=dict(zip(TaskClass, counts, strict=True)),
            documents=int(documents or 0),
            awaiting_confirmation=awaiting,
        )
        units[int(unit_id)] = line
        for cls in TaskClass:
            total.counts[cls] += line.counts[cls]
        total.awaiting_confirmation += awaiting
    if units:
        # one assignment document can task several units: count it once in the total row
        total.documents = int(
            session.execute(
                select(func.count(func.distinct(span.c.document_id))).where(in_period(period, skip_units=skip_units))
            ).scalar_one()
        )
    return Figures(units=units, total=total)


@dataclass(frozen=True)
class SpanRow:
    """What a list line needs: the task's class as of the as-of date, and its words."""

    task_id: int
    document_id: int
    lead_unit_id: int
    task_class: TaskClass
    awaiting: bool
    deadline: date
    reply_date: date | None
    content: str
    status: TaskStatus
    document_code: str
    document_date: date
    summary: str


def _chosen(
    period: Period, skip_units: Collection[int], unit_id: int | None, task_class: TaskClass | None
) -> ColumnElement[bool]:
    condition = in_period(period, skip_units=skip_units, unit_id=unit_id)
    if task_class is not None:
        condition = and_(condition, span.c.task_class == task_class.value)
    return condition


def count_tasks(
    *,
    session: Session,
    period: Period,
    skip_units: Collection[int] = (),
    unit_id: int | None = None,
    task_class: TaskClass | None = None,
) -> int:
    """How many tasks a list behind a figure holds: the figure itself."""
    query = select(func.count()).select_from(span).where(_chosen(period, skip_units, unit_id, task_class))
    return int(session.execute(query).scalar_one())


def urgency(period: Period, due_soon_days: int) -> list[Any]:
    """``rows.sort_urgent_first`` as an ORDER BY: overdue, due soon, open, done; then by deadline
    (days left), then task id."""
    due_soon_by = literal(period.as_of + timedelta(days=due_soon_days))
    rank = case(
        (span.c.task_class == TaskClass.OPEN_OVERDUE.value, 0),
        (
            and_(
                span.c.task_class == TaskClass.OPEN_ON_TIME.value,
                span.c.awaiting.is_(False),
                span.c.deadline <= due_soon_by,
            ),
            1,
        ),
        (span.c.task_class == TaskClass.OPEN_ON_TIME.value, 2),
        else_=3,
    )
    return [rank, span.c.deadline, span.c.task_id]


def list_tasks(
    *,
    session: Session,
    period: Period,
    due_soon_days: int,
    skip_units: Collection[int] = (),
    unit_id: int | None = None,
    task_class: TaskClass | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[SpanRow]:
    """The tasks behind a figure, urgent first, sorted and cut by the database."""
    query = (
        select(
            span.c.task_id,
            span.c.document_id,
            span.c.lead_unit_id,
            span.c.task_class,
            span.c.awaiting,
            span.c.deadline,
            span.c.reply_date,
            task.c.content,
            task.c.status,
            document.c.code,
            document.c.issue_date,
            document.c.summary,
        )
        .select_from(span.join(task, task.c.id == span.c.task_id).join(document, document.c.id == span.c.document_id))
        .where(_chosen(period, skip_units, unit_id, task_class))
        .order_by(*urgency(period, due_soon_days))
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        SpanRow(
            task_id=row[0],
            document_id=row[1],
            lead_unit_id=row[2],
            task_class=TaskClass(row[3]),
            awaiting=bool(row[4]),
            deadline=row[5],
            reply_date=row[6],
            content=row[7],
            status=TaskStatus(row[8]),
            document_code=row[9],
            document_date=row[10],
            summary=row[11],
        )
        for row in session.execute(query)
    ]
