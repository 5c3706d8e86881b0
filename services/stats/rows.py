"""Task rows: a task as a line of a list, classified as of a date by the one ``classify``.

Every list (a unit's tasks, the overdue list, the drill-down behind a figure, the API's search)
is built here, so a row always shows the class the statistics count it in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models import Confirmation, ConfirmOutcome, Document, Task, TaskClass, TaskStatus
from services.org.units import unit_names
from services.stats.classify import TaskFacts, TaskState, classify, load_facts

BACKDATED_REPLY = "Trả lời ghi lùi ngày"  # the flag's name wherever a backdated reply is shown


@dataclass(frozen=True)
class TaskRow:
    """One line of a task list."""

    task_id: int
    document_id: int
    document_code: str
    document_date: date
    summary: str
    content: str
    lead_unit_id: int
    lead_unit_name: str
    status: TaskStatus
    state: TaskState
    due_soon: bool
    days_left: int  # negative when overdue
    # The reply that decides the class was dated back beyond reply_backdate_limit_days, with the
    # clerk's reason: the lists name it ("Trả lời ghi lùi ngày") so a report can.
    backdated_reply: bool = False
    # VP UBND's last verdict (as of the list's date) was "Chưa hoàn thành" and no new reply waits:
    # the unit works on it again, and the list says so instead of a plain "đang thực hiện".
    sent_back: bool = False


def task_row(
    *,
    task_id: int,
    document_id: int,
    document_code: str,
    document_date: date,
    summary: str,
    content: str,
    lead_unit_id: int,
    lead_unit_name: str,
    status: TaskStatus,
    state: TaskState,
    today: date,
    due_soon_days: int,
    backdated_reply: bool = False,
    sent_back: bool = False,
) -> TaskRow:
    """A list line for a task in ``state`` as of ``today`` (days left and "due soon" from its deadline)."""
    days_left = (state.deadline - today).days
    return TaskRow(
        task_id=task_id,
        document_id=document_id,
        document_code=document_code,
        document_date=document_date,
        summary=summary,
        content=content,
        lead_unit_id=lead_unit_id,
        lead_unit_name=lead_unit_name,
        status=status,
        state=state,
        due_soon=_due_soon(state, days_left, due_soon_days),
        days_left=days_left,
        backdated_reply=backdated_reply,
        sent_back=sent_back,
    )


def is_sent_back(facts: TaskFacts, state: TaskState, as_of: date) -> bool:
    """VP UBND's last verdict dated on or before ``as_of`` was "not done", and the task is neither
    done, nor waiting for a verdict on a newer reply, nor closed: it is back with the unit."""
    if state.is_done or state.awaiting_confirmation or (facts.closed_on is not None and facts.closed_on <= as_of):
        return False
    replied = {r.reply_id for r in facts.replies if r.reply_date <= as_of}
    return any(
        c.outcome is ConfirmOutcome.NOT_DONE and c.confirmed_on <= as_of and c.reply_id in replied
        for c in facts.confirmations
    )


def backdated_reply_dates(*, session: Session, task_ids: Collection[int]) -> dict[int, set[date]]:
    """task id -> the dates of its replies flagged as backdated (entered with "Lý do ghi lùi ngày").

    One indexed read per 900 ids of the tasks a list shows (a page), never a whole table.
    """
    ids = sorted(set(task_ids))
    flagged: dict[int, set[date]] = {}
    for start in range(0, len(ids), 900):
        query = sa_select(col(Document.task_id), col(Document.issue_date)).where(
            col(Document.task_id).in_(ids[start : start + 900]), col(Document.backdate_reason).is_not(None)
        )
        for task_id, issued in session.execute(query):
            flagged.setdefault(task_id, set()).add(issued)
    return flagged


def _first_rejections(session: Session, task_ids: Collection[int]) -> dict[int, tuple[date, date | None]]:
    """task id -> (the day of its first "Chưa hoàn thành" verdict, the day it was closed) for the
    tasks of ``task_ids`` VP UBND ever sent back: few rows, read per 900 ids or in one pass."""
    ids = sorted(set(task_ids))
    query = (
        sa_select(col(Confirmation.task_id), func.min(col(Confirmation.confirmed_on)), col(Task.closed_on))
        .join(Task, col(Task.id) == col(Confirmation.task_id))
        .where(col(Confirmation.outcome) == ConfirmOutcome.NOT_DONE)
        .group_by(col(Confirmation.task_id), col(Task.closed_on))
    )
    groups = (
        [query]
        if len(ids) > _WHOLE_TABLE_FROM
        else [query.where(col(Confirmation.task_id).in_(ids[i : i + 900])) for i in range(0, len(ids), 900)]
    )
    return {task_id: (first, closed) for q in groups for task_id, first, closed in session.execute(q)}


def mark_sent_back(*, session: Session, rows: list[TaskRow]) -> list[TaskRow]:
    """The rows, each marked ``sent_back`` as ``is_sent_back`` would from its facts, for lists read
    from the spans (a row's as-of date is its deadline less its days left)."""
    live = [r for r in rows if not (r.state.is_done or r.state.awaiting_confirmation)]
    rejected = _first_rejections(session, [r.task_id for r in live]) if live else {}
    if not rejected:
        return rows
    marked = []
    for r in rows:
        as_of = r.state.deadline - timedelta(days=r.days_left)
        first, closed = rejected.get(r.task_id, (None, None))
        back = (
            first is not None
            and first <= as_of
            and not (r.state.is_done or r.state.awaiting_confirmation)
            and (closed is None or closed > as_of)
        )
        marked.append(replace(r, sent_back=True) if back else r)
    return marked


def mark_backdated(*, session: Session, rows: list[TaskRow]) -> list[TaskRow]:
    """The rows with the marks a list reads beside the class: each marked when the reply that
    decides its class is flagged as backdated, and when VP UBND sent it back (``mark_sent_back``:
    every list read from the spans passes here)."""
    rows = mark_sent_back(session=session, rows=rows)
    flagged = (
        backdated_reply_dates(session=session, task_ids=[r.task_id for r in rows])
        if len(rows) <= _WHOLE_TABLE_FROM
        else _flagged_everywhere(session)
    )
    if not flagged:
        return rows
    return [
        replace(r, backdated_reply=True) if r.state.reply_date in flagged.get(r.task_id, ()) else r for r in rows
    ]


def _due_soon(state: TaskState, days_left: int, due_soon_days: int) -> bool:
    """Open, on time, no reply waiting, and the deadline within ``due_soon_days``."""
    return not state.awaiting_confirmation and state.task_class is TaskClass.OPEN_ON_TIME and days_left <= due_soon_days


_WHOLE_TABLE_FROM = 3000  # ids; above this build_rows reads the task table in one pass


def build_rows(
    *,
    session: Session,
    task_ids: Collection[int],
    today: date,
    due_soon_days: int,
    facts: Mapping[int, TaskFacts] | None = None,
) -> list[TaskRow]:
    """Task rows classified as of ``today`` (the one classification code path).

    ``facts``: the caller already loaded them (the statistics' drill-down), so they are not read twice.
    """
    ids = sorted(set(task_ids))
    if facts is None:
        facts = load_facts(session=session, task_ids=ids)
    units = unit_names(session=session)
    rows: list[TaskRow] = []
    wanted = set(ids)
    base = sa_select(  # six columns: beyond sqlmodel.select's typed overloads
        col(Task.id),
        col(Task.content),
        col(Task.status),
        col(Document.code),
        col(Document.issue_date),
        col(Document.summary),
    ).join(Document, col(Task.document_id) == col(Document.id))
    # A few ids: IN lists of 900 (SQLite's parameter limit). Many (a drill-down over the whole
    # province): one pass over the table is cheaper than dozens of IN queries.
    queries = (
        [base]
        if len(ids) > _WHOLE_TABLE_FROM
        else [base.where(col(Task.id).in_(ids[start : start + 900])) for start in range(0, len(ids), 900)]
    )
    # replies flagged as backdated: those of the ids, or (many ids) every flagged one, few in all
    flagged = (
        backdated_reply_dates(session=session, task_ids=ids)
        if len(ids) <= _WHOLE_TABLE_FROM
        else _flagged_everywhere(session)
    )
    for query in queries:
        for task_id, content, status, code, issued, summary in session.execute(query):
            if task_id not in wanted:
                continue
            fact = facts[task_id]
            state = classify(fact, today)
            rows.append(
                task_row(
                    task_id=task_id,
                    document_id=fact.document_id,
                    document_code=code,
                    document_date=issued,
                    summary=summary,
                    content=content,
                    lead_unit_id=fact.lead_unit_id,
                    lead_unit_name=units.get(fact.lead_unit_id, "?"),
                    status=TaskStatus(status),
                    state=state,
                    today=today,
                    due_soon_days=due_soon_days,
                    backdated_reply=state.reply_date in flagged.get(task_id, ()),
                    sent_back=is_sent_back(fact, state, today),
                )
            )
    return rows


def _flagged_everywhere(session: Session) -> dict[int, set[date]]:
    """Every flagged reply's task and date: few rows (a flag is the exception), read in one pass."""
    flagged: dict[int, set[date]] = {}
    query = sa_select(col(Document.task_id), col(Document.issue_date)).where(col(Document.backdate_reason).is_not(None))
    for task_id, issued in session.execute(query):
        flagged.setdefault(task_id, set()).add(issued)
    return flagged


def _urgency(state: TaskState, due_soon: bool, days_left: int, task_id: int) -> tuple[int, int, int]:
    if state.is_done:
        rank = 3
    elif state.task_class is TaskClass.OPEN_OVERDUE:
        rank = 0
    elif due_soon:
        rank = 1
    else:
        rank = 2
    return (rank, days_left, task_id)


def urgency_key(task_id: int, state: TaskState, *, today: date, due_soon_days: int) -> tuple[int, int, int]:
    """The place of a task in ``sort_urgent_first`` from its class alone, before its row is built
    (a page of a long list builds only the rows it shows)."""
    days_left = (state.deadline - today).days
    return _urgency(state, _due_soon(state, days_left, due_soon_days), days_left, task_id)


def sort_urgent_first(rows: list[TaskRow]) -> list[TaskRow]:
    """Overdue first (most overdue on top), then due soon, then open, then done."""
    return sorted(rows, key=lambda r: _urgency(r.state, r.due_soon, r.days_left, r.task_id))
