"""The one definition of a task's class as of a date (PRODUCT.md, "Statistics").

Every figure (dashboard, exports, public page, colours in lists) goes through ``classify``.
Only history dated on or before the as-of date exists for it, so a report for a past period
gives the same figures whenever it is run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import Confirmation, ConfirmOutcome, Document, DocumentKind, Extension, Task, TaskClass


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
    granted = [e for e in facts.extensions if e.granted_on <= as_of]
    if not granted:
        return facts.deadline
    return max(granted, key=lambda e: (e.granted_on, e.extension_id)).new_deadline


def done_on(facts: TaskFacts) -> date | None:
    """The date the task was confirmed done, if it was."""
    dates = [c.confirmed_on for c in facts.confirmations if c.outcome is ConfirmOutcome.DONE]
    return min(dates) if dates else None


def classify(facts: TaskFacts, as_of: date) -> TaskState:
    """Class of the task as of ``as_of``; the deadline day itself is on time."""
    deadline = deadline_as_of(facts, as_of)
    replies = {r.reply_id: r for r in facts.replies if r.reply_date <= as_of}
    verdicts = {c.reply_id: c for c in facts.confirmations if c.confirmed_on <= as_of and c.reply_id in replies}
    done = [replies[c.reply_id] for c in verdicts.values() if c.outcome is ConfirmOutcome.DONE]
    if done:
        reply = min(done, key=lambda r: r.reply_date)
        cls = TaskClass.DONE_ON_TIME if reply.reply_date <= deadline else TaskClass.DONE_LATE
        return TaskState(cls, deadline, False, reply.reply_date)
    pending = [r for rid, r in replies.items() if rid not in verdicts]
    if pending:
        reply = max(pending, key=lambda r: (r.reply_date, r.reply_id))
        cls = TaskClass.OPEN_ON_TIME if reply.reply_date <= deadline else TaskClass.OPEN_OVERDUE
        return TaskState(cls, deadline, True, reply.reply_date)
    cls = TaskClass.OPEN_ON_TIME if as_of <= deadline else TaskClass.OPEN_OVERDUE
    return TaskState(cls, deadline, False, None)


def load_facts(*, session: Session, tasks: Iterable[Task]) -> dict[int, TaskFacts]:
    """Facts for the given tasks, in four queries whatever their number."""
    task_list = [t for t in tasks if t.id is not None]
    if not task_list:
        return {}
    ids = [t.id for t in task_list]
    doc_dates: dict[int | None, date] = dict(
        session.exec(
            select(col(Document.id), col(Document.issue_date)).where(
                col(Document.id).in_({t.document_id for t in task_list})
            )
        ).all()
    )
    replies: dict[int, list[ReplyFact]] = defaultdict(list)
    for rid, tid, rdate in session.exec(
        select(col(Document.id), col(Document.task_id), col(Document.issue_date)).where(
            Document.kind == DocumentKind.REPLY, col(Document.task_id).in_(ids)
        )
    ).all():
        if tid is not None and rid is not None:
            replies[tid].append(ReplyFact(rid, rdate))
    confirmations: dict[int, list[ConfirmationFact]] = defaultdict(list)
    for c in session.exec(select(Confirmation).where(col(Confirmation.task_id).in_(ids))).all():
        confirmations[c.task_id].append(ConfirmationFact(c.reply_id, c.outcome, c.confirmed_on))
    extensions: dict[int, list[ExtensionFact]] = defaultdict(list)
    for e in session.exec(select(Extension).where(col(Extension.task_id).in_(ids))).all():
        assert e.id is not None
        extensions[e.task_id].append(ExtensionFact(e.id, e.new_deadline, e.granted_on))
    result: dict[int, TaskFacts] = {}
    for t in task_list:
        assert t.id is not None
        result[t.id] = TaskFacts(
            task_id=t.id,
            document_id=t.document_id,
            lead_unit_id=t.lead_unit_id,
            assigned_on=doc_dates[t.document_id],
            deadline=t.deadline,
            replies=tuple(replies[t.id]),
            confirmations=tuple(confirmations[t.id]),
            extensions=tuple(extensions[t.id]),
        )
    return result
