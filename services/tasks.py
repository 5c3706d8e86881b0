"""Reading tasks: a unit's list, one task with its journal, and the overdue/due-soon flags.

Visibility is decided here: VP UBND and admin see every task, a unit sees its own (and, read
only, those it coordinates); anything else is "not found" to avoid leaking that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import Document, OrgUnit, Permission, Task, TaskClass, TaskCoordinator, TaskStatus
from services.classify import TaskState, classify, load_facts
from services.errors import NotFound, PermissionDenied
from services.journal import TimelineEntry, events_of
from services.permissions import Actor, can_view_task
from services.text import matches


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


@dataclass(frozen=True)
class ReplyInfo:
    reply_id: int
    code: str
    issue_date: date
    summary: str
    result: str
    signer: str
    unit_name: str


@dataclass(frozen=True)
class TaskDetail:
    row: TaskRow
    document: Document
    coordinating_units: list[str]
    replies: list[ReplyInfo]
    timeline: list[TimelineEntry]
    can_note: bool
    can_reply: bool
    can_confirm: bool


def build_rows(*, session: Session, tasks: list[Task], today: date, due_soon_days: int) -> list[TaskRow]:
    """Task rows classified as of ``today`` (the one classification code path)."""
    facts = load_facts(session=session, tasks=tasks)
    docs = {
        d.id: d
        for d in session.exec(select(Document).where(col(Document.id).in_({t.document_id for t in tasks}))).all()
    }
    units = {u.id: u.short_name for u in session.exec(select(OrgUnit)).all()}
    rows: list[TaskRow] = []
    for t in tasks:
        assert t.id is not None
        state = classify(facts[t.id], today)
        days_left = (state.deadline - today).days
        due_soon = (
            not state.is_done
            and not state.awaiting_confirmation
            and state.task_class is TaskClass.OPEN_ON_TIME
            and days_left <= due_soon_days
        )
        doc = docs[t.document_id]
        rows.append(
            TaskRow(
                task_id=t.id,
                document_id=t.document_id,
                document_code=doc.code,
                document_date=doc.issue_date,
                summary=doc.summary,
                content=t.content,
                lead_unit_id=t.lead_unit_id,
                lead_unit_name=units.get(t.lead_unit_id, "?"),
                status=t.status,
                state=state,
                due_soon=due_soon,
                days_left=days_left,
            )
        )
    return rows


def sort_urgent_first(rows: list[TaskRow]) -> list[TaskRow]:
    """Overdue first (most overdue on top), then due soon, then open, then done."""

    def key(r: TaskRow) -> tuple[int, int, int]:
        if r.state.is_done:
            rank = 3
        elif r.state.task_class is TaskClass.OPEN_OVERDUE:
            rank = 0
        elif r.due_soon:
            rank = 1
        else:
            rank = 2
        return (rank, r.days_left, r.task_id)

    return sorted(rows, key=key)


def list_unit_tasks(
    *,
    session: Session,
    actor: Actor,
    today: date,
    due_soon_days: int,
    unit_id: int | None = None,
    query: str = "",
    include_done: bool = True,
) -> list[TaskRow]:
    """Tasks led by a unit (default: the actor's), urgent first; ``query`` ignores accents."""
    target = unit_id if unit_id is not None else actor.unit_id
    if target != actor.unit_id and not actor.can(Permission.TASKS_VIEW_ALL):
        raise PermissionDenied("Bạn chỉ xem được nhiệm vụ của đơn vị mình.")
    if target == actor.unit_id and not (actor.can(Permission.UNIT_TASKS_VIEW) or actor.can(Permission.TASKS_VIEW_ALL)):
        raise PermissionDenied("Vai trò của bạn không xem danh sách nhiệm vụ của đơn vị.")
    tasks = list(session.exec(select(Task).where(Task.lead_unit_id == target)).all())
    rows = build_rows(session=session, tasks=tasks, today=today, due_soon_days=due_soon_days)
    if query.strip():
        rows = [r for r in rows if matches(query, r.document_code, r.summary, r.content)]
    if not include_done:
        rows = [r for r in rows if not r.state.is_done]
    return sort_urgent_first(rows)


def coordinated_tasks(*, session: Session, actor: Actor, today: date, due_soon_days: int) -> list[TaskRow]:
    """Tasks where the actor's unit coordinates (read-only, never counted)."""
    ids = session.exec(select(TaskCoordinator.task_id).where(TaskCoordinator.unit_id == actor.unit_id)).all()
    tasks = list(session.exec(select(Task).where(col(Task.id).in_(ids))).all()) if ids else []
    return sort_urgent_first(build_rows(session=session, tasks=tasks, today=today, due_soon_days=due_soon_days))


def get_visible_task(*, session: Session, actor: Actor, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or not can_view_task(session=session, actor=actor, task=task):
        raise NotFound(f"Không tìm thấy nhiệm vụ #{task_id} hoặc bạn không có quyền xem.")
    return task


def get_task_detail(*, session: Session, actor: Actor, task_id: int, today: date, due_soon_days: int) -> TaskDetail:
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    row = build_rows(session=session, tasks=[task], today=today, due_soon_days=due_soon_days)[0]
    document = session.get(Document, task.document_id)
    assert document is not None
    units = {u.id: u.short_name for u in session.exec(select(OrgUnit)).all()}
    coordinators = [
        units[c.unit_id] for c in session.exec(select(TaskCoordinator).where(TaskCoordinator.task_id == task_id)).all()
    ]
    replies = [
        ReplyInfo(
            reply_id=d.id or 0,
            code=d.code,
            issue_date=d.issue_date,
            summary=d.summary,
            result=d.result,
            signer=d.signer,
            unit_name=units.get(d.unit_id or 0, "?"),
        )
        for d in session.exec(
            select(Document).where(Document.task_id == task_id).order_by(Document.issue_date, Document.id)  # type: ignore[arg-type]
        ).all()
    ]
    own = task.lead_unit_id == actor.unit_id
    return TaskDetail(
        row=row,
        document=document,
        coordinating_units=coordinators,
        replies=replies,
        timeline=events_of(session=session, task_id=task_id),
        can_note=own and actor.can(Permission.TASK_NOTE) and task.status is not TaskStatus.DONE,
        can_reply=own and actor.can(Permission.TASK_REPLY) and task.status is TaskStatus.OPEN,
        can_confirm=actor.can(Permission.TASK_CONFIRM) and task.status is TaskStatus.REPLIED,
    )
