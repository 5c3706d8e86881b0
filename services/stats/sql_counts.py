"""The per-unit figures of a period computed in the database, in one SQL statement.

The same definition as ``in_scope`` + ``classify`` (docs/statistics.md), written in SQLAlchemy
Core with correlated scalar subqueries and CTEs that SQLite and PostgreSQL both run:

* scope: assigned on or before ``as_of`` (a re-routed or replacing task from its creation day,
  in Vietnam time), not closed on or before ``as_of``, and assigned on or after ``from`` or not
  confirmed done before ``from``;
* class as of ``as_of``: the earliest reply confirmed done (as of ``as_of``) decides, else the
  latest reply still waiting for its verdict, else ``as_of`` itself, each judged against the
  deadline in force on its date (the latest extension granted on or before it, ties by id).

Only the tasks of the period's scope are classified; nothing is loaded into Python but one row
per unit and a total row. ``tests/services/test_sql_counts_property.py`` checks it equals
``classify`` on random histories, on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, and_, case, exists, func, literal, null, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session

from models import Confirmation, ConfirmOutcome, Document, DocumentKind, Extension, OrgUnit, Task, TaskClass, UnitKind

if TYPE_CHECKING:
    from services.stats.statistics import Period

task = Task.__table__  # type: ignore[attr-defined]
document = Document.__table__  # type: ignore[attr-defined]
confirmation = Confirmation.__table__  # type: ignore[attr-defined]
extension = Extension.__table__  # type: ignore[attr-defined]
org_unit = OrgUnit.__table__  # type: ignore[attr-defined]

_VN_OFFSET_HOURS = 7  # Asia/Ho_Chi_Minh: UTC+7 all year (no daylight saving time)


class local_day(FunctionElement[Any]):
    """The calendar date in Vietnam of a UTC moment (``services.infra.clock.local_date``)."""

    type = Date()
    inherit_cache = True
    name = "local_day"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTCDateTime as naive UTC text
    return f"date({compiler.process(element.clauses, **kw)}, '+{_VN_OFFSET_HOURS} hours')"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: Any, **kw: Any) -> str:
    # timestamptz: to UTC wall time, then the fixed offset (independent of the session's TimeZone)
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(({moment} AT TIME ZONE 'UTC') + INTERVAL '{_VN_OFFSET_HOURS} hours' AS DATE)"


@dataclass
class UnitFigures:
    """What ``statistics._report`` needs for one unit (or the total row)."""

    counts: dict[TaskClass, int] = field(default_factory=lambda: {c: 0 for c in TaskClass})
    documents: int = 0  # distinct assignment documents
    awaiting_confirmation: int = 0


@dataclass(frozen=True)
class Figures:
    units: dict[int, UnitFigures]  # units (not offices) with at least one task in scope
    total: UnitFigures


def _deadline_on(task_id: ColumnElement[Any], deadline: ColumnElement[Any], day: ColumnElement[Any]) -> Any:
    """The deadline in force on ``day``: the latest extension granted on or before it, else the task's."""
    granted = (
        select(extension.c.new_deadline)
        .where(extension.c.task_id == task_id, extension.c.granted_on <= day)
        .order_by(extension.c.granted_on.desc(), extension.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(granted, deadline)


def statement(period: Period) -> Any:
    """The one statement: rows (unit_id, documents, four class counts, awaiting); unit_id NULL
    is the total row."""
    as_of = literal(period.as_of, Date())
    date_from = literal(period.date_from, Date())
    reply = document.alias("reply")
    verdict = confirmation.alias("verdict")
    t = task.alias("t")
    assignment = document.alias("assignment")

    assigned = case((t.c.replaces_task_id.is_not(None), local_day(t.c.created_at)), else_=assignment.c.issue_date)
    # done_on(facts): the first DONE confirmation, whatever the as-of date
    done_on = (
        select(func.min(confirmation.c.confirmed_on))
        .where(confirmation.c.task_id == t.c.id, confirmation.c.outcome == ConfirmOutcome.DONE.value)
        .scalar_subquery()
    )
    in_scope = (
        select(
            t.c.id.label("task_id"),
            t.c.document_id,
            t.c.lead_unit_id,
            t.c.deadline,
        )
        .select_from(
            t.join(assignment, assignment.c.id == t.c.document_id).join(org_unit, org_unit.c.id == t.c.lead_unit_id)
        )
        .where(
            org_unit.c.kind != UnitKind.OFFICE.value,
            assigned <= as_of,
            or_(t.c.closed_on.is_(None), t.c.closed_on > as_of),
            or_(assigned >= date_from, done_on.is_(None), done_on >= date_from),
        )
        .cte("in_scope")
    )
    s = in_scope.c
    # replies known as of as_of, and their verdicts known as of as_of
    reply_known = and_(
        reply.c.task_id == s.task_id, reply.c.kind == DocumentKind.REPLY.value, reply.c.issue_date <= as_of
    )
    done_reply = (
        select(func.min(reply.c.issue_date))
        .select_from(reply.join(verdict, verdict.c.reply_id == reply.c.id))
        .where(
            reply_known,
            verdict.c.task_id == s.task_id,
            verdict.c.confirmed_on <= as_of,
            verdict.c.outcome == ConfirmOutcome.DONE.value,
        )
        .scalar_subquery()
    )
    pending_reply = (
        select(func.max(reply.c.issue_date))
        .where(
            reply_known,
            ~exists()
            .where(verdict.c.reply_id == reply.c.id, verdict.c.task_id == s.task_id, verdict.c.confirmed_on <= as_of)
            .correlate_except(verdict),  # the reply and the task of the enclosing queries
        )
        .scalar_subquery()
    )
    replied = select(
        s.task_id,
        s.document_id,
        s.lead_unit_id,
        s.deadline,
        done_reply.label("done_reply"),
        pending_reply.label("pending_reply"),
    ).cte("replied")
    r = replied.c
    judged_on = func.coalesce(r.done_reply, r.pending_reply, as_of)
    judged = select(
        r.task_id,
        r.document_id,
        r.lead_unit_id,
        r.done_reply,
        r.pending_reply,
        judged_on.label("judged_on"),
        _deadline_on(r.task_id, r.deadline, judged_on).label("deadline_then"),
    ).cte("judged")
    j = judged.c
    task_class = case(
        (and_(j.done_reply.is_not(None), j.done_reply <= j.deadline_then), TaskClass.DONE_ON_TIME.value),
        (j.done_reply.is_not(None), TaskClass.DONE_LATE.value),
        (j.judged_on <= j.deadline_then, TaskClass.OPEN_ON_TIME.value),
        else_=TaskClass.OPEN_OVERDUE.value,
    )
    classed = select(
        j.lead_unit_id,
        j.document_id,
        task_class.label("task_class"),
        case((and_(j.done_reply.is_(None), j.pending_reply.is_not(None)), 1), else_=0).label("awaiting"),
    ).cte("classed")
    c = classed.c

    def figures(unit: Any) -> list[Any]:
        return [
            unit.label("unit_id"),
            func.count(func.distinct(c.document_id)).label("documents"),
            *(func.sum(case((c.task_class == cls.value, 1), else_=0)).label(cls.value) for cls in TaskClass),
            func.sum(c.awaiting).label("awaiting"),
        ]

    per_unit = select(*figures(c.lead_unit_id)).group_by(c.lead_unit_id)
    total = select(*figures(null())).having(func.count() > 0)
    return union_all(per_unit, total)


def unit_figures(*, session: Session, period: Period) -> Figures:
    """Documents, the four classes and the replies awaiting confirmation per unit, and the total row."""
    units: dict[int, UnitFigures] = {}
    total = UnitFigures()
    for row in session.execute(statement(period)).mappings():
        figures = UnitFigures(
            counts={cls: int(row[cls.value] or 0) for cls in TaskClass},
            documents=int(row["documents"] or 0),
            awaiting_confirmation=int(row["awaiting"] or 0),
        )
        if row["unit_id"] is None:
            total = figures
        else:
            units[int(row["unit_id"])] = figures
    return Figures(units=units, total=total)


def unit_counts(*, session: Session, period: Period) -> dict[int, dict[TaskClass, int]]:
    """The four class counts of each unit with at least one task in the period's scope."""
    return {unit: figures.counts for unit, figures in unit_figures(session=session, period=period).units.items()}
