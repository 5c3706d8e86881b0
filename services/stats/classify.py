"""The one definition of a task's class as of a date (docs/statistics.md).

Every figure (dashboard, exports, public page, colours in lists) goes through ``classify``.
Only history dated on or before the as-of date exists for it, so a report for a past period
gives the same figures whenever it is run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BindParameter, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models import Confirmation, ConfirmOutcome, Document, DocumentKind, Extension, Task, TaskClass
from models.tables import TaskLeadChange
from services.infra.clock import local_date


@dataclass(frozen=True)
class ReplyFact:
    reply_id: int
    reply_date: date


@dataclass(frozen=True)
class ConfirmationFact:
    reply_id: int
    outcome: ConfirmOutcome
    confirmed_on: date


@dataclass(frozen=True)
class ExtensionFact:
    extension_id: int
    new_deadline: date
    granted_on: date


@dataclass(frozen=True)
class LeadChangeFact:
    """From ``changed_on`` on, the task is no longer ``from_unit_id``'s (a merge of units)."""

    change_id: int
    from_unit_id: int
    changed_on: date


@dataclass(frozen=True)
class TaskFacts:
    """What classification needs to know about one task."""

    task_id: int
    document_id: int
    lead_unit_id: int
    assigned_on: date  # the assignment document's date
    deadline: date  # original deadline
    replies: tuple[ReplyFact, ...] = ()
    confirmations: tuple[ConfirmationFact, ...] = ()
    extensions: tuple[ExtensionFact, ...] = ()
    closed_on: date | None = None  # closed administratively (wrong unit, revoked, replaced)
    # earlier lead units (``lead_unit_id`` is the unit leading it now): ``lead_unit_as_of``
    lead_changes: tuple[LeadChangeFact, ...] = ()


@dataclass(frozen=True)
class TaskState:
    task_class: TaskClass
    deadline: date  # deadline in force as of the date
    awaiting_confirmation: bool
    reply_date: date | None  # the reply that decides the class, if any

    @property
    def is_done(self) -> bool:
        return self.task_class in (TaskClass.DONE_ON_TIME, TaskClass.DONE_LATE)


def deadline_as_of(facts: TaskFacts, as_of: date) -> date:
    """The latest extension granted on or before ``as_of``, else the original deadline."""
    if not facts.extensions:
        return facts.deadline
    granted = [e for e in facts.extensions if e.granted_on <= as_of]
    if not granted:
        return facts.deadline
    return max(granted, key=lambda e: (e.granted_on, e.extension_id)).new_deadline


def lead_unit_as_of(facts: TaskFacts, as_of: date) -> int:
    """The unit that led the task on ``as_of``: the unit it passed from at the first change after
    that day, else the lead unit now. A merge moves a task to the successor from the merge day
    on; the days before stay the merged unit's, so a past report never changes its units."""
    later = [c for c in facts.lead_changes if c.changed_on > as_of]
    if not later:
        return facts.lead_unit_id
    return min(later, key=lambda c: (c.changed_on, c.change_id)).from_unit_id


def done_on(facts: TaskFacts) -> date | None:
    """The date the task was confirmed done, if it was."""
    dates = [c.confirmed_on for c in facts.confirmations if c.outcome is ConfirmOutcome.DONE]
    return min(dates) if dates else None


def classify(facts: TaskFacts, as_of: date) -> TaskState:
    """Class of the task as of ``as_of``; the deadline day itself is on time.

    A reply is judged against the deadline in force on the reply's own date: an extension
    granted after a reply never turns it from late to on time. An open task with no reply
    waiting is judged against the deadline in force on ``as_of``.
    """
    replies = {r.reply_id: r for r in facts.replies if r.reply_date <= as_of}
    verdicts = {c.reply_id: c for c in facts.confirmations if c.confirmed_on <= as_of and c.reply_id in replies}
    done = [replies[c.reply_id] for c in verdicts.values() if c.outcome is ConfirmOutcome.DONE]
    if done:
        reply = min(done, key=lambda r: r.reply_date)
        deadline = deadline_as_of(facts, reply.reply_date)
        cls = TaskClass.DONE_ON_TIME if reply.reply_date <= deadline else TaskClass.DONE_LATE
        return TaskState(cls, deadline, False, reply.reply_date)
    pending = [r for rid, r in replies.items() if rid not in verdicts]
    if pending:
        reply = max(pending, key=lambda r: (r.reply_date, r.reply_id))
        deadline = deadline_as_of(facts, reply.reply_date)
        cls = TaskClass.OPEN_ON_TIME if reply.reply_date <= deadline else TaskClass.OPEN_OVERDUE
        return TaskState(cls, deadline, True, reply.reply_date)
    deadline = deadline_as_of(facts, as_of)
    cls = TaskClass.OPEN_ON_TIME if as_of <= deadline else TaskClass.OPEN_OVERDUE
    return TaskState(cls, deadline, False, None)


def _chunks(ids: list[int], size: int = 900) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


_IDS: BindParameter[list[int]] = bindparam("task_ids", expanding=True)
# The five statements, built once (building them cost more than running them for one task, and
# every write rebuilds its task's spans through here): every task, or those of ``task_ids``.
_TASK_FACTS = sa_select(  # eight columns: beyond sqlmodel.select's typed overloads
    col(Task.id),
    col(Task.document_id),
    col(Task.lead_unit_id),
    col(Task.deadline),
    col(Document.issue_date),
    col(Task.closed_on),
    col(Task.replaces_task_id),
    col(Task.created_at),
).join(Document, col(Task.document_id) == col(Document.id))
_REPLY_FACTS = sa_select(col(Document.id), col(Document.task_id), col(Document.issue_date)).where(
    col(Document.kind) == DocumentKind.REPLY
)
_CONFIRMATION_FACTS = sa_select(
    col(Confirmation.task_id), col(Confirmation.reply_id), col(Confirmation.outcome), col(Confirmation.confirmed_on)
)
_EXTENSION_FACTS = sa_select(
    col(Extension.id), col(Extension.task_id), col(Extension.new_deadline), col(Extension.granted_on)
)
_CHANGE_FACTS = sa_select(
    col(TaskLeadChange.id),
    col(TaskLeadChange.task_id),
    col(TaskLeadChange.from_unit_id),
    col(TaskLeadChange.changed_on),
)
_EVERY = (_TASK_FACTS, _REPLY_FACTS, _CONFIRMATION_FACTS, _EXTENSION_FACTS, _CHANGE_FACTS)
_OF_IDS = (
    _TASK_FACTS.where(col(Task.id).in_(_IDS)),
    _REPLY_FACTS.where(col(Document.task_id).in_(_IDS)),
    _CONFIRMATION_FACTS.where(col(Confirmation.task_id).in_(_IDS)),
    _EXTENSION_FACTS.where(col(Extension.task_id).in_(_IDS)),
    _CHANGE_FACTS.where(col(TaskLeadChange.task_id).in_(_IDS)),
)


def load_facts(*, session: Session, task_ids: Collection[int] | None = None) -> dict[int, TaskFacts]:
    """Facts of the given tasks (``None``: every task) from plain column queries.

    Five queries over whole tables when ``task_ids`` is None (the statistics path), else the
    same five per chunk of ids; no ORM objects are built, which keeps 20 000 tasks fast.
    """
    if task_ids is None:
        id_groups: list[list[int] | None] = [None]
    else:
        id_groups = list(_chunks(sorted(set(task_ids))))
    rows: list[tuple[int, int, int, date, date, date | None, int | None, datetime]] = []
    replies: dict[int, list[ReplyFact]] = defaultdict(list)
    confirmations: dict[int, list[ConfirmationFact]] = defaultdict(list)
    extensions: dict[int, list[ExtensionFact]] = defaultdict(list)
    lead_changes: dict[int, list[LeadChangeFact]] = defaultdict(list)
    for ids in id_groups:
        task_query, reply_query, confirmation_query, extension_query, change_query = _EVERY if ids is None else _OF_IDS
        binds = {} if ids is None else {"task_ids": ids}
        rows.extend(tuple(row) for row in session.execute(task_query, binds))  # type: ignore[misc]
        for rid, tid, rdate in session.execute(reply_query, binds):
            if rid is not None and tid is not None:
                replies[tid].append(ReplyFact(rid, rdate))
        for tid, rid, outcome, confirmed_on in session.execute(confirmation_query, binds):
            confirmations[tid].append(ConfirmationFact(rid, ConfirmOutcome(outcome), confirmed_on))
        for eid, tid, new_deadline, granted_on in session.execute(extension_query, binds):
            if eid is not None:
                extensions[tid].append(ExtensionFact(eid, new_deadline, granted_on))
        for cid, tid, from_unit, changed_on in session.execute(change_query, binds):
            if cid is not None:
                lead_changes[tid].append(LeadChangeFact(cid, from_unit, changed_on))
    return {
        tid: TaskFacts(
            task_id=tid,
            document_id=did,
            lead_unit_id=uid,
            assigned_on=assigned,
            deadline=deadline,
            replies=tuple(replies.get(tid, ())),
            confirmations=tuple(confirmations.get(tid, ())),
            extensions=tuple(extensions.get(tid, ())),
            closed_on=closed_on,
            lead_changes=tuple(lead_changes.get(tid, ())),
        )
        for tid, did, uid, deadline, issued, closed_on, replaces, created in rows
        # a re-routed or replacing task exists from the day it was created, not the document's date
        for assigned in [local_date(created) if replaces is not None else issued]
    }
