"""Per-task class spans: ``classify`` sampled wherever its answer can change, kept in ``task_span``.

Why: a figure of Giám sát is "how many tasks of this unit were in this class on the as-of date".
Classifying every task ever entered on each page run costs seconds at 100 000 tasks, and the
cost grows with history. A task's class, though, only changes on a few dates: the day it is
assigned, a reply's date, a verdict's date, the day an extension is granted, the day after a
deadline, the day it is closed. Between two such dates ``classify`` gives the same answer, so
sampling it once per date and keeping the stretches ("spans") makes any as-of date a range
lookup, and the statistics a ``GROUP BY`` over the spans that hold it.

The spans are a pure function of the task's facts (``spans_of``), and ``classify`` stays the
specification: ``tests/services/test_spans_property.py`` checks that the span holding any date
says what ``classify`` says, on random histories, on SQLite and on PostgreSQL.

They are kept in step by the session itself: every flush notes the tasks whose facts it wrote
(a task, a reply, a verdict, an extension, an assignment document's date), and the commit
rebuilds their spans in the same transaction. So no write path (an action, an assignment, the
demo seed, a data import) can leave a figure out of step with its facts, and nothing is
rebuilt for a write that rolls back. Bulk Core inserts bypass the ORM and call
``rebuild_all_spans`` themselves (``demo.generate``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, event, insert, or_
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, col, select

from models import Confirmation, DataVersion, Document, DocumentKind, Extension, Task, TaskSpan
from models.tables import FOREVER, TaskLeadChange
from services.stats.classify import TaskFacts, TaskState, classify, done_on, lead_unit_as_of, load_facts

# Bump when ``spans_of`` changes meaning: every start then rebuilds the spans from the facts.
SPANS_RULE = 1

_ONE_DAY = timedelta(days=1)
_SPAN_TABLE = TaskSpan.__table__  # type: ignore[attr-defined]
_CHUNK = 2000  # tasks rebuilt per round by ``rebuild_all_spans`` (bounded memory at a million)


@dataclass(frozen=True)
class Span:
    """``state`` is what ``classify`` answers for every as-of date from ``valid_from`` to ``valid_to``,
    and ``lead_unit_id`` what ``lead_unit_as_of`` answers (the unit the days count for)."""

    valid_from: date
    valid_to: date  # FOREVER: until a new fact ends it
    state: TaskState
    lead_unit_id: int


def _next_day(day: date) -> date | None:
    return None if day >= FOREVER else day + _ONE_DAY


def _change_days(facts: TaskFacts) -> set[date]:
    """Every date on which ``classify(facts, ·)`` may answer differently from the day before."""
    days = {r.reply_date for r in facts.replies}
    days |= {c.confirmed_on for c in facts.confirmations}
    days |= {e.granted_on for e in facts.extensions}
    days |= {c.changed_on for c in facts.lead_changes}  # from then on another unit answers for it
    for deadline in (facts.deadline, *(e.new_deadline for e in facts.extensions)):
        after = _next_day(deadline)  # the first day a task is late against this deadline
        if after is not None:
            days.add(after)
    return days


def spans_of(facts: TaskFacts) -> list[Span]:
    """The task's spans, in date order, over the days it counts in a report: from the day it was
    assigned until the day before it was closed (wrong unit, revoked, replaced), or for ever."""
    first = facts.assigned_on
    last = FOREVER if facts.closed_on is None else facts.closed_on - _ONE_DAY
    if last < first:
        return []
    starts = sorted({first, *(d for d in _change_days(facts) if first < d <= last)})
    spans: list[Span] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] - _ONE_DAY if index + 1 < len(starts) else last
        state = classify(facts, start)
        unit = lead_unit_as_of(facts, start)
        if spans and spans[-1].state == state and spans[-1].lead_unit_id == unit:
            spans[-1] = Span(spans[-1].valid_from, end, state, unit)
        else:
            spans.append(Span(start, end, state, unit))
    return spans


def span_rows(facts: TaskFacts, *, shared_units: Collection[int], several_in_document: bool) -> list[dict[str, Any]]:
    """``task_span`` rows of one task, ready for a bulk insert.

    ``shared_units``: the units that lead (or once led) another task of its document too, so a
    span of one of them is ``several_in_unit`` (its document is counted once, by COUNT DISTINCT;
    a task that changed unit may mark a few spans so needlessly, never one wrongly unmarked);
    ``several_in_document``: another task of its document exists at all."""
    finished = done_on(facts) or FOREVER
    scope_until = max(facts.assigned_on, finished)  # in_scope: assigned on/after from, or done on/after it
    return [
        {
            "task_id": facts.task_id,
            "valid_from": span.valid_from,
            "valid_to": span.valid_to,
            "scope_until": scope_until,
            "lead_unit_id": span.lead_unit_id,
            "document_id": facts.document_id,
            "several_in_unit": span.lead_unit_id in shared_units,
            "several_in_document": several_in_document,
            "task_class": span.state.task_class.value,
            "awaiting": span.state.awaiting_confirmation,
            "deadline": span.state.deadline,
            "reply_date": span.state.reply_date,
        }
        for span in spans_of(facts)
    ]


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _task_counts(session: Session, document_ids: list[int]) -> tuple[dict[tuple[int, int], int], dict[int, int]]:
    """How many tasks each (document, lead unit) pair has, counting every unit a task has led
    (now or before a merge), and how many tasks each document has."""
    leads: dict[tuple[int, int], set[int]] = {}
    per_document: dict[int, int] = {}
    now = select(col(Task.document_id), col(Task.id), col(Task.lead_unit_id)).where(
        col(Task.document_id).in_(document_ids)
    )
    for document_id, task_id, unit_id in session.exec(now).all():
        leads.setdefault((document_id, unit_id), set()).add(task_id or 0)
        per_document[document_id] = per_document.get(document_id, 0) + 1
    before = (
        select(col(Task.document_id), col(TaskLeadChange.task_id), col(TaskLeadChange.from_unit_id))
        .join(Task, col(Task.id) == col(TaskLeadChange.task_id))
        .where(col(Task.document_id).in_(document_ids))
    )
    for document_id, task_id, unit_id in session.exec(before).all():
        leads.setdefault((document_id, unit_id), set()).add(task_id)
    return {key: len(tasks) for key, tasks in leads.items()}, per_document


def _write(session: Session, task_ids: list[int], siblings: list[tuple[int, int, int]] | None = None) -> int:
    """Replace the spans of ``task_ids`` by those of their current facts; the number written.

    ``siblings``: (document, task, lead unit) of every task of the documents of ``task_ids``, all
    of them in ``task_ids`` (``rebuild_spans`` read them already); the counts of each document's
    tasks then come from them and the facts' lead changes, with no query of their own."""
    written = 0
    for ids in _chunks(task_ids, 900):  # SQLite's bound-parameter limit
        facts = load_facts(session=session, task_ids=ids)
        if siblings is not None and len(task_ids) <= 900:
            counts, per_document = _counts_of(siblings, facts)
        else:
            counts, per_document = _task_counts(session, sorted({f.document_id for f in facts.values()}))
        session.execute(_DELETE_SPANS, {"task_ids": ids})
        rows = [
            row
            for task_id in ids
            if task_id in facts
            for row in span_rows(
                facts[task_id],
                shared_units=_shared_units(counts, facts[task_id]),
                several_in_document=per_document.get(facts[task_id].document_id, 0) > 1,
            )
        ]
        if rows:
            # Core executemany on the table: one statement for every row (the ORM's bulk path
            # splits the batch wherever a row's None columns differ, ten thousand statements)
            session.execute(insert(_SPAN_TABLE), rows)
        written += len(rows)
    return written


def _counts_of(
    siblings: list[tuple[int, int, int]], facts: dict[int, TaskFacts]
) -> tuple[dict[tuple[int, int], int], dict[int, int]]:
    """``_task_counts`` from rows already read: every task of the documents, and their facts."""
    leads: dict[tuple[int, int], set[int]] = {}
    per_document: dict[int, int] = {}
    for document_id, task_id, unit_id in siblings:
        leads.setdefault((document_id, unit_id), set()).add(task_id)
        per_document[document_id] = per_document.get(document_id, 0) + 1
        if task_id in facts:
            for change in facts[task_id].lead_changes:
                leads.setdefault((document_id, change.from_unit_id), set()).add(task_id)
    return {key: len(tasks) for key, tasks in leads.items()}, per_document


def _shared_units(counts: dict[tuple[int, int], int], facts: TaskFacts) -> set[int]:
    units = {facts.lead_unit_id, *(c.from_unit_id for c in facts.lead_changes)}
    return {u for u in units if counts.get((facts.document_id, u), 0) > 1}


def _with_siblings(session: Session, task_ids: Collection[int]) -> list[int]:
    """The tasks and every other task of their documents: a task added to a document, or moved to
    another unit, changes whether its siblings share their document with a task of their unit."""
    ids = sorted({i for i in task_ids if i is not None})
    documents: set[int] = set()
    for chunk in _chunks(ids, 900):
        documents.update(session.exec(select(col(Task.document_id)).where(col(Task.id).in_(chunk))).all())
    return sorted(set(ids) | _tasks_of(session, documents))


def _tasks_of(session: Session, documents: Collection[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(documents), 900):
        found.update(i for i in session.exec(select(col(Task.id)).where(col(Task.document_id).in_(chunk))).all() if i)
    return found


_SIBLING = Task.__table__.alias("sibling")  # type: ignore[attr-defined]
_TASK_TABLE = Task.__table__  # type: ignore[attr-defined]
# Built once, run in every transaction that writes a task: (document, task, lead unit) of every
# task of the given documents and of the documents of the given tasks. The OR is inside the
# subquery (two index lookups) and a plain semi-join outside: an OR of two INs outside made
# PostgreSQL read every task.
_SIBLINGS = select(_TASK_TABLE.c.document_id, _TASK_TABLE.c.id, _TASK_TABLE.c.lead_unit_id).where(
    _TASK_TABLE.c.document_id.in_(
        select(_SIBLING.c.document_id).where(
            or_(
                _SIBLING.c.id.in_(bindparam("task_ids", expanding=True)),
                _SIBLING.c.document_id.in_(bindparam("document_ids", expanding=True)),
            )
        )
    )
)
_DELETE_SPANS = delete(TaskSpan).where(col(TaskSpan.task_id).in_(bindparam("task_ids", expanding=True)))


def _siblings(session: Session, task_ids: list[int], document_ids: list[int]) -> list[tuple[int, int, int]]:
    """(document, task, lead unit) of every task of these documents and of the documents of these
    tasks: one query where ``_with_siblings``, ``_tasks_of`` and ``_task_counts`` take four
    (each is a round trip on PostgreSQL, in every action's transaction)."""
    rows = session.execute(_SIBLINGS, {"task_ids": task_ids, "document_ids": document_ids}).all()
    return [(d, t, u) for d, t, u in rows]


def rebuild_spans(*, session: Session, task_ids: Collection[int], document_ids: Collection[int] = ()) -> None:
    """Rebuild the spans of these tasks, of the tasks of these documents, and of their documents'
    other tasks inside the caller's transaction (not committed)."""
    ids = sorted({i for i in task_ids if i is not None})
    documents = sorted(set(document_ids))
    if len(ids) + len(documents) <= 900:  # one statement's parameters (SQLite's limit)
        siblings = _siblings(session, ids, documents)
        every = sorted(set(ids) | {task for _, task, _ in siblings})
        if every:
            _write(session, every, siblings if len(every) <= 900 else None)
        return
    every = _with_siblings(session, set(ids) | _tasks_of(session, documents))
    if every:
        _write(session, every)


def rebuild_all_spans(*, session: Session) -> int:
    """Rebuild every task's spans and record the rule that built them; commits. The number of spans.

    For a new rule, a restore, or data written by bulk inserts that the session did not see."""
    session.execute(delete(TaskSpan))
    ids = [i for i in session.exec(select(col(Task.id)).order_by(col(Task.id))).all() if i is not None]
    written = sum(_write(session, chunk) for chunk in _chunks(ids, _CHUNK))
    session.execute(
        DataVersion.__table__.update().where(DataVersion.__table__.c.id == 1).values(spans_rule=SPANS_RULE)  # type: ignore[attr-defined]
    )
    session.commit()
    return written


def ensure_spans(*, session: Session) -> bool:
    """At start: rebuild the spans when an older rule (or none, right after migration 0006) built them.

    On PostgreSQL the data_version row is locked first, so processes starting together rebuild once.
    """
    query = select(col(DataVersion.spans_rule)).where(col(DataVersion.id) == 1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    rule = session.exec(query).first()
    if rule is not None and rule >= SPANS_RULE:
        session.rollback()
        return False
    rebuild_all_spans(session=session)
    return True


# --- keeping the spans in step with the facts, inside every transaction that writes them --------

_TASKS = "giaoviec.span_tasks"
_DOCUMENTS = "giaoviec.span_documents"


def _touched(instances: Iterable[object], tasks: set[int], documents: set[int]) -> None:
    for obj in instances:
        if isinstance(obj, Task):
            if obj.id is not None:
                tasks.add(obj.id)
        elif isinstance(obj, Confirmation | Extension | TaskLeadChange):
            tasks.add(obj.task_id)
        elif isinstance(obj, Document):
            if obj.kind is DocumentKind.REPLY and obj.task_id is not None:
                tasks.add(obj.task_id)
            elif obj.kind is DocumentKind.ASSIGNMENT and obj.id is not None:
                documents.add(obj.id)  # its date is the assigned-on day of each of its tasks


def _after_flush(session: OrmSession, _context: UOWTransaction) -> None:
    """Note the tasks whose facts this flush wrote (the collections still hold the flushed objects)."""
    tasks: set[int] = session.info.setdefault(_TASKS, set())
    documents: set[int] = session.info.setdefault(_DOCUMENTS, set())
    _touched([*session.new, *session.dirty, *session.deleted], tasks, documents)


def _before_commit(session: OrmSession) -> None:
    """Rebuild the noted tasks' spans, so they commit with the facts they come from."""
    session.flush()
    tasks: set[int] = session.info.pop(_TASKS, set())
    documents: set[int] = session.info.pop(_DOCUMENTS, set())
    if not tasks and not documents:
        return
    assert isinstance(session, Session), "the app's sessions are sqlmodel sessions"
    rebuild_spans(session=session, task_ids=tasks, document_ids=documents)


def _forget(session: OrmSession, *_: object) -> None:
    """A rollback drops what the flushes noted: their writes are gone too."""
    session.info.pop(_TASKS, None)
    session.info.pop(_DOCUMENTS, None)


event.listen(OrmSession, "after_flush", _after_flush)
event.listen(OrmSession, "before_commit", _before_commit)
event.listen(OrmSession, "after_rollback", _forget)
