"""Extension requests (Xin gia hạn) as data: a task's pending one and its history, the Office's queue.

The actions that create and decide them are in ``services.actions.extensions``. A request waits
for VP UBND while its task is in the unit's hands (status ``open``): a task that has replied is
judged on "Xác nhận kết quả" first, and comes back to the queue if the verdict is "not done".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Document, ExtensionRequest, Permission, RequestStatus, Task, TaskStatus, User
from services.access.permissions import Actor, require
from services.org.units import unit_names
from services.stats.classify import deadline_as_of, load_facts
from services.tasks.queries import get_visible_task

ONLY_TRACKER = "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh quyết định gia hạn."


def pending_extension(*, session: Session, task_id: int) -> ExtensionRequest | None:
    """The task's request still waiting for VP UBND (at most one: a second is refused)."""
    return session.exec(
        select(ExtensionRequest).where(
            ExtensionRequest.task_id == task_id, ExtensionRequest.status == RequestStatus.PENDING
        )
    ).first()


def requests_made(*, session: Session, task_id: int) -> int:
    """How many requests the task has had, decided or not (``extension_requests.max_per_task``)."""
    return session.exec(
        select(func.count()).select_from(ExtensionRequest).where(ExtensionRequest.task_id == task_id)
    ).one()


@dataclass(frozen=True)
class ExtensionView:
    """One request as the task page and the queue show it."""

    request_id: int
    task_id: int
    status: RequestStatus
    requested_deadline: date
    deadline_before: date  # in force on the day it was asked
    reason: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    granted_deadline: date | None
    moot: bool = False  # still pending, but the task is done or closed: nobody will decide it


@dataclass(frozen=True)
class PendingExtension:
    """A request in the Office's queue: the task, the unit, the deadline in force now and the one asked."""

    request: ExtensionView
    unit_name: str
    assignment_code: str
    content: str
    deadline_now: date
    task_version: int  # sent back with the decision: a page drawn before someone else acted is refused


def _views(session: Session, requests: list[ExtensionRequest]) -> list[ExtensionView]:
    people = {r.requested_by for r in requests} | {r.decided_by for r in requests if r.decided_by is not None}
    names = (
        {u.id: u.full_name for u in session.exec(select(User).where(col(User.id).in_(people))).all()} if people else {}
    )
    return [
        ExtensionView(
            request_id=r.id or 0,
            task_id=r.task_id,
            status=r.status,
            requested_deadline=r.requested_deadline,
            deadline_before=r.deadline_before,
            reason=r.reason,
            requested_by=names.get(r.requested_by, "?"),
            requested_at=r.requested_at,
            decided_by=names.get(r.decided_by) if r.decided_by is not None else None,
            decided_at=r.decided_at,
            decision_note=r.decision_note,
            granted_deadline=r.granted_deadline,
        )
        for r in requests
    ]


def extension_history(*, session: Session, task_id: int) -> list[ExtensionView]:
    """Every request of the task, oldest first. Visibility is the caller's (the task page's service)."""
    rows = session.exec(
        select(ExtensionRequest).where(ExtensionRequest.task_id == task_id).order_by(col(ExtensionRequest.id))
    ).all()
    return _views(session, list(rows))


def task_extensions(*, session: Session, actor: Actor, task_id: int) -> list[ExtensionView]:
    """The task page's "Gia hạn": every request of a task the actor may see (else NotFound)."""
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    history = extension_history(session=session, task_id=task_id)
    if task.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        return [replace(v, moot=v.status is RequestStatus.PENDING) for v in history]
    return history


def count_pending_extensions(*, session: Session) -> int:
    """The requests VP UBND can decide now (the menu's count on "Xác nhận kết quả")."""
    return session.exec(
        select(func.count())
        .select_from(ExtensionRequest)
        .join(Task, col(Task.id) == col(ExtensionRequest.task_id))
        .where(ExtensionRequest.status == RequestStatus.PENDING, Task.status == TaskStatus.OPEN)
    ).one()


def list_pending_extensions(*, session: Session, actor: Actor, today: date) -> list[PendingExtension]:
    """The requests VP UBND can decide now, asked longest ago first."""
    require(actor, Permission.TASK_CONFIRM, ONLY_TRACKER)
    requests = list(
        session.exec(
            select(ExtensionRequest)
            .join(Task, col(Task.id) == col(ExtensionRequest.task_id))
            .where(ExtensionRequest.status == RequestStatus.PENDING, Task.status == TaskStatus.OPEN)
            .order_by(col(ExtensionRequest.requested_at), col(ExtensionRequest.id))
        ).all()
    )
    if not requests:
        return []
    task_ids = [r.task_id for r in requests]
    tasks = {t.id: t for t in session.exec(select(Task).where(col(Task.id).in_(task_ids))).all()}
    docs = {
        d.id: d
        for d in session.exec(
            select(Document).where(col(Document.id).in_({t.document_id for t in tasks.values()}))
        ).all()
    }
    facts = load_facts(session=session, task_ids=task_ids)
    names = unit_names(session=session)
    found: list[PendingExtension] = []
    for view in _views(session, requests):
        task = tasks[view.task_id]
        found.append(
            PendingExtension(
                request=view,
                unit_name=names.get(task.lead_unit_id, "?"),
                assignment_code=docs[task.document_id].code,
                content=task.content,
                deadline_now=deadline_as_of(facts[view.task_id], today),
                task_version=task.version,
            )
        )
    return found
