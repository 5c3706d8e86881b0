"""The figures of a period and the tasks behind them, read from ``task_span`` by the database.

The same definition as ``in_scope`` + ``classify`` (docs/statistics.md): a task counts for a
period [from, to] when its span holds the as-of date (so it was assigned by then and not closed)
and it was assigned in the period or not confirmed done before ``from``; the span says its class.
Only the spans that hold the as-of date are read (the indexes start with the unit and
``valid_to``), so the cost follows the tasks in play, not every task ever entered; nothing but
one row per unit comes back for the table, and one page of rows for a list.

``tests/services/test_span_figures_property.py`` checks these equal ``classify`` on random
histories and periods, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, func, literal, or_, select, true, union_all
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from models import Document, Task, TaskClass, TaskSpan, TaskStatus
from models.types import DayNumber
from services.stats.period import Period

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


def _day(key: str, value: date) -> Any:
    """A date parameter (a day number in the database), named so a statement built once can be run
    again with other dates (``_list_query``)."""
    return bindparam(key, value, type_=DayNumber())


def in_period(period: Period, *, skip_units: Collection[int] = (), unit_id: int | None = None) -> ColumnElement[bool]:
    """The spans of the tasks a report of ``period`` counts, as they stood on its as-of date.

    ``skip_units``: lead units left out of the table (VP UBND itself); ``unit_id``: one unit only.
    Parameters: ``as_of``, ``date_from``, ``skip_units``, ``unit_id``.
    """
    as_of = _day("as_of", period.as_of)
    conditions: list[ColumnElement[bool]] = [
        span.c.valid_to >= as_of,
        span.c.valid_from <= as_of,
        # assigned in the period, or not confirmed done before it began
        span.c.scope_until >= _day("date_from", period.date_from),
    ]
    if skip_units:
        conditions.append(span.c.lead_unit_id.not_in(bindparam("skip_units", sorted(skip_units), expanding=True)))
    if unit_id is not None:
        conditions.append(span.c.lead_unit_id == bindparam("unit_id", unit_id))
    return and_(*conditions)


def _single(several: Any) -> Any:
    """How many spans are a document of their own (``several`` false): each counts one document."""
    return func.sum(case((several, 0), else_=1))


def statistics_query(period: Period, *, skip_units: Collection[int] = ()) -> Any:
    """Per unit: the documents with no other task in the unit (resp. at all), the four classes,
    the replies awaiting a verdict. No COUNT(DISTINCT), so the database aggregates in one pass
    (PostgreSQL by hashing; SQLite from the unit-first covering index, unit by unit, no sort)."""
    return (
        select(
            span.c.lead_unit_id,
            _single(span.c.several_in_unit),
            _single(span.c.several_in_document),
            *(func.sum(case((span.c.task_class == cls.value, 1), else_=0)) for cls in TaskClass),
            func.sum(case((span.c.awaiting, 1), else_=0)),
        )
        .with_hint(span, "INDEXED BY ix_task_span_unit_stab", "sqlite")
        .where(in_period(period, skip_units=skip_units))
        .group_by(span.c.lead_unit_id)
    )


def shared_documents_query(period: Period, *, skip_units: Collection[int] = (), per_unit: bool) -> Any:
    """The documents that task several units (``per_unit`` False, for the total row) or one unit
    several times (True, per unit), counted once each: only those spans are read (partial indexes)."""
    several = span.c.several_in_unit if per_unit else span.c.several_in_document
    index = "ix_task_span_several_in_unit" if per_unit else "ix_task_span_several_in_document"
    columns = [span.c.lead_unit_id] if per_unit else []
    query = (
        select(*columns, func.count(func.distinct(span.c.document_id)))
        .with_hint(span, f"INDEXED BY {index}", "sqlite")
        .where(several == true(), in_period(period, skip_units=skip_units))
    )
    return query.group_by(span.c.lead_unit_id) if per_unit else query


def unit_figures(*, session: Session, period: Period, skip_units: Collection[int] = ()) -> Figures:
    """The table of ``period``: each unit's line and the total row (one pass over the spans in
    play, and two over those of shared documents)."""
    units: dict[int, UnitFigures] = {}
    total = UnitFigures()
    for unit_id, single_in_unit, single_in_document, *rest in session.execute(
        statistics_query(period, skip_units=skip_units)
    ):
        *counts, awaiting = (int(n or 0) for n in rest)
        line = UnitFigures(
            counts=dict(zip(TaskClass, counts, strict=True)),
            documents=int(single_in_unit or 0),
            awaiting_confirmation=awaiting,
        )
        units[int(unit_id)] = line
        for cls in TaskClass:
            total.counts[cls] += line.counts[cls]
        total.awaiting_confirmation += awaiting
        total.documents += int(single_in_document or 0)
    if units:
        for unit_id, shared in session.execute(shared_documents_query(period, skip_units=skip_units, per_unit=True)):
            units[int(unit_id)].documents += int(shared or 0)
        # one assignment document can task several units: counted once in the total row
        total.documents += int(
            session.execute(shared_documents_query(period, skip_units=skip_units, per_unit=False)).scalar_one() or 0
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


@dataclass(frozen=True)
class _Segment:
    """A stretch of ``rows.sort_urgent_first``'s order that one index range gives in a few reads."""

    rank: int
    task_class: TaskClass
    condition: ColumnElement[bool]


def _segments(period: Period, due_soon_days: int) -> list[_Segment]:
    """``rows.sort_urgent_first``'s ranks as conditions: overdue; due soon (on time, no reply
    waiting, deadline within ``due_soon_days``: parameter ``due_soon_by``); the other open tasks;
    done (on time and late, merged by deadline)."""
    due_soon_by = _day("due_soon_by", period.as_of + timedelta(days=due_soon_days))
    open_on_time = span.c.task_class == TaskClass.OPEN_ON_TIME.value
    due_soon = and_(span.c.awaiting.is_(False), span.c.deadline <= due_soon_by)
    return [
        _Segment(0, TaskClass.OPEN_OVERDUE, span.c.task_class == TaskClass.OPEN_OVERDUE.value),
        _Segment(1, TaskClass.OPEN_ON_TIME, and_(open_on_time, due_soon)),
        _Segment(2, TaskClass.OPEN_ON_TIME, and_(open_on_time, ~due_soon)),
        _Segment(3, TaskClass.DONE_ON_TIME, span.c.task_class == TaskClass.DONE_ON_TIME.value),
        _Segment(3, TaskClass.DONE_LATE, span.c.task_class == TaskClass.DONE_LATE.value),
    ]


def _index_for(task_class: TaskClass, one_unit: bool) -> str:
    """The index a segment reads on SQLite (named: the planner has no figures to choose by).

    An open task's span that holds the as-of date has not ended by then (``valid_to`` first: only
    the spans still running are read, however long the history); a done task counts while
    ``scope_until`` is on or after the period's start (only the period's done tasks are read)."""
    kind = "done" if task_class in (TaskClass.DONE_ON_TIME, TaskClass.DONE_LATE) else "open"
    return f"ix_task_span_{'unit_' if one_unit else ''}{kind}_list"


_BLOCKS = (  # the classes whose figures add up to each stretch of the order, in order
    (TaskClass.OPEN_OVERDUE,),
    (TaskClass.OPEN_ON_TIME,),
    (TaskClass.DONE_ON_TIME, TaskClass.DONE_LATE),
)


_DONE = (TaskClass.DONE_ON_TIME, TaskClass.DONE_LATE)


def _listed(cls: TaskClass, task_class: TaskClass | None, open_only: bool) -> bool:
    """Whether a list of ``task_class`` (None: every class), open tasks only or not, holds ``cls``."""
    return task_class in (None, cls) and not (open_only and cls in _DONE)


def _wanted(
    task_class: TaskClass | None,
    *,
    offset: int,
    limit: int,
    counts: Mapping[TaskClass, int] | None,
    open_only: bool = False,
) -> tuple[tuple[tuple[int, int], ...], int]:
    """Which segments (by position in ``_segments``) a page reads, each with the position in the
    whole order where its stretch begins, and how many rows come before the first of them.

    With ``counts`` (the table's figures of the classes, which the list adds up to) the stretches
    wholly outside the page are not read at all: the first page of a province's list is its most
    overdue tasks, read from the overdue spans alone."""
    wanted: list[tuple[int, int]] = []
    position = 0
    for block in _BLOCKS:
        members = [i for i, cls in enumerate(_SEGMENT_CLASSES) if cls in block and _listed(cls, task_class, open_only)]
        if not members:
            continue
        size = None if counts is None else sum(counts.get(c, 0) for c in block if _listed(c, task_class, open_only))
        if size is None or (size and position < offset + limit and position + size > offset):
            wanted.extend((i, position) for i in members)
        position += size or 0
    before = wanted[0][1] if wanted and counts is not None else 0
    return tuple(wanted), before


_SEGMENT_CLASSES = (  # the class of each of ``_segments``, in order
    TaskClass.OPEN_OVERDUE,
    TaskClass.OPEN_ON_TIME,
    TaskClass.OPEN_ON_TIME,
    TaskClass.DONE_ON_TIME,
    TaskClass.DONE_LATE,
)
_SAMPLE = Period(date_from=date(2000, 1, 1), date_to=date(2000, 1, 1), as_of=date(2000, 1, 1))


@dataclass(frozen=True)
class _Shape:
    """What a list's statement depends on, apart from its parameters (dates, units, cuts)."""

    task_class: TaskClass | None
    one_unit: bool
    skips: bool
    segments: tuple[int, ...] | None  # read for a page (positions in ``_segments``); None: every row
    open_only: bool = False  # the done classes left out (a unit's list without "đã hoàn thành")
    words: int = 0  # a search: how many words each line's folded texts must all hold


@functools.lru_cache(maxsize=512)
def _list_query(shape: _Shape) -> Any:
    """The list's statement, built once per shape (building it costs more than SQLite runs it).

    Parameters: those of ``in_period`` and ``_segments``; a page's ``offset`` and ``limit`` (of
    the whole order, past the rows before the first segment read) and ``limit_<i>`` of each
    segment read (how many of its rows the page may need)."""
    segments = _segments(_SAMPLE, 0)
    chosen = in_period(_SAMPLE, skip_units=(0,) if shape.skips else (), unit_id=0 if shape.one_unit else None)
    if shape.task_class is not None:
        chosen = and_(chosen, span.c.task_class == shape.task_class.value)
    columns = [
        span.c.task_id,
        span.c.lead_unit_id,
        span.c.document_id,
        span.c.task_class,
        span.c.awaiting,
        span.c.deadline,
        span.c.reply_date,
    ]
    if shape.segments is None:  # every row (exports): one sort
        mine = [s for s in segments if _listed(s.task_class, shape.task_class, shape.open_only)]
        rank = case(*((s.condition, literal(s.rank)) for s in mine), else_=literal(9))
        spans = select(*columns, rank.label("rank")).where(chosen, or_(*(s.condition for s in mine))).subquery()
    else:  # each segment's first rows from its own index range, merged and cut
        first = [
            select(*columns, literal(segments[i].rank).label("rank"))
            .with_hint(span, f"INDEXED BY {_index_for(segments[i].task_class, shape.one_unit)}", "sqlite")
            .where(chosen, segments[i].condition)
            .order_by(span.c.deadline, span.c.task_id)
            .limit(bindparam(f"limit_{i}", type_=Integer))
            .subquery()
            for i in shape.segments
        ]
        if not first:
            spans = select(*columns, literal(0).label("rank")).where(literal(False)).subquery()
        elif len(first) == 1:  # a page within one stretch (the first page of most lists): no union
            spans = first[0]
        else:
            spans = union_all(*(select(*part.c) for part in first)).subquery()
    order = (spans.c.rank, spans.c.deadline, spans.c.task_id)
    # the page is cut from the spans first, so only its own tasks and documents are read
    cut = select(*spans.c).order_by(*order).offset(bindparam("offset", type_=Integer))
    page = (cut if shape.segments is None else cut.limit(bindparam("limit", type_=Integer))).subquery()
    found = [  # each word in the số/ký hiệu and trích yếu, or in the content (folded, as ``matches``)
        or_(
            document.c.search_folded.like(bindparam(f"word_{i}", type_=String), escape="\\"),
            task.c.content_folded.like(bindparam(f"word_{i}", type_=String), escape="\\"),
        )
        for i in range(shape.words)
    ]
    return (
        select(
            page.c.task_id,
            page.c.document_id,
            page.c.lead_unit_id,
            page.c.task_class,
            page.c.awaiting,
            page.c.deadline,
            page.c.reply_date,
            task.c.content,
            task.c.status,
            document.c.code,
            document.c.issue_date,
            document.c.summary,
        )
        .select_from(page.join(task, task.c.id == page.c.task_id).join(document, document.c.id == page.c.document_id))
        .where(*found)
        .order_by(page.c.rank, page.c.deadline, page.c.task_id)
    )


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
    counts: Mapping[TaskClass, int] | None = None,
    open_only: bool = False,
    words: Sequence[str] = (),
) -> list[SpanRow]:
    """The tasks behind a figure, urgent first, sorted and cut by the database; only the page's
    tasks and documents are read.

    ``counts``: how many tasks of each class the list holds (the table's figures), so the parts of
    the order outside the page are skipped; without them every part is read up to the page.
    ``open_only``: the done classes left out (a unit's list with "Hiện nhiệm vụ đã hoàn thành" off).
    ``words``: a search, already folded (``models.text.fold``): only the lines whose số/ký hiệu and
    trích yếu or content hold every word, compared by the database on the stored folded texts
    (``document.search_folded``, ``task.content_folded``), so only the lines found are read."""
    if words and limit is not None:
        raise ValueError("a search lists every line it finds (no page cut before the words)")
    params: dict[str, Any] = {
        "as_of": period.as_of,
        "date_from": period.date_from,
        "due_soon_by": period.as_of + timedelta(days=due_soon_days),
    }
    if skip_units:
        params["skip_units"] = sorted(skip_units)
    if unit_id is not None:
        params["unit_id"] = unit_id
    if limit is None:
        segments, before = None, 0
    else:
        wanted, before = _wanted(task_class, offset=offset, limit=limit, counts=counts, open_only=open_only)
        segments = tuple(i for i, _ in wanted)
        params.update({f"limit_{i}": offset + limit - start for i, start in wanted})
        params["limit"] = limit
    params["offset"] = offset - before
    for i, word in enumerate(words):
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params[f"word_{i}"] = f"%{escaped}%"
    query = _list_query(_Shape(task_class, unit_id is not None, bool(skip_units), segments, open_only, len(words)))
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
        for row in session.execute(query, params)
    ]


@dataclass(frozen=True)
class ListCounts:
    """How many tasks of each class a list holds, and its open tasks' flags (a unit's metrics)."""

    counts: dict[TaskClass, int]
    awaiting: int  # a reply waits for the Office's verdict
    due_soon: int  # open on time, no reply waiting, deadline within ``due_soon_days``

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def open(self) -> int:
        return self.counts[TaskClass.OPEN_ON_TIME] + self.counts[TaskClass.OPEN_OVERDUE]


def list_counts(
    *,
    session: Session,
    period: Period,
    due_soon_days: int,
    skip_units: Collection[int] = (),
    unit_id: int | None = None,
) -> ListCounts:
    """The figures of ``list_tasks`` over the same spans, counted by the database: one row per
    class, read from the list's own covering index (no task, document or text is read)."""
    due_soon = and_(
        span.c.task_class == TaskClass.OPEN_ON_TIME.value,
        span.c.awaiting.is_(False),
        span.c.deadline <= _day("due_soon_by", period.as_of + timedelta(days=due_soon_days)),
    )
    index = "ix_task_span_unit_open_list" if unit_id is not None else "ix_task_span_open_list"
    query = (
        select(
            span.c.task_class,
            func.count(),
            func.sum(case((span.c.awaiting, 1), else_=0)),
            func.sum(case((due_soon, 1), else_=0)),
        )
        .with_hint(span, f"INDEXED BY {index}", "sqlite")
        .where(in_period(period, skip_units=skip_units, unit_id=unit_id))
        .group_by(span.c.task_class)
    )
    counts = {c: 0 for c in TaskClass}
    awaiting = soon = 0
    for task_class, number, waiting, close in session.execute(query):
        counts[TaskClass(task_class)] = int(number)
        awaiting += int(waiting or 0)
        soon += int(close or 0)
    return ListCounts(counts=counts, awaiting=awaiting, due_soon=soon)
