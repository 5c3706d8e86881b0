"""The task journal (nhật ký): every state change appends one TaskEvent in the same commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from models import EventAction, Role, Task, TaskEvent
from services.access.permissions import Actor


def record_event(
    *,
    session: Session,
    actor: Actor,
    task: Task,
    action: EventAction,
    at: datetime,
    note: str = "",
    from_unit_id: int | None = None,
    to_unit_id: int | None = None,
    flow_id: int | None = None,
    transition: str | None = None,
    step: int | None = None,
    from_state: str | None = None,
    to_user_name: str | None = None,
) -> TaskEvent:
    """Add (not commit) a journal entry; the caller commits it with the change it records."""
    assert task.id is not None
    event = TaskEvent(
        task_id=task.id,
        at=at,
        action=action,
        actor_id=actor.user_id,
        actor_name=actor.full_name,
        actor_role=actor.role,
        actor_unit_id=actor.unit_id,
        from_unit_id=from_unit_id,
        to_unit_id=to_unit_id,
        note=note,
        flow_id=flow_id,
        transition=transition,
        step=step,
        from_state=from_state,
        to_user_name=to_user_name,
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class TimelineEntry:
    """One journal row as read back; ``services.journal.timeline`` turns these into what a person reads."""

    at: datetime
    action: EventAction
    actor_id: int
    actor_name: str
    actor_role: Role
    actor_unit_id: int
    from_unit_id: int | None
    to_unit_id: int | None
    note: str
    step: int | None
    flow_id: int | None = None
    transition: str | None = None
    from_state: str | None = None
    to_user_name: str | None = None


def events_of(*, session: Session, task_id: int) -> list[TimelineEntry]:
    """The journal of one task, oldest first. Visibility is checked by the caller's service."""
    rows = session.exec(
        select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.at, TaskEvent.id)  # type: ignore[arg-type]
    ).all()
    return [
        TimelineEntry(
            at=r.at,
            action=r.action,
            actor_id=r.actor_id,
            actor_name=r.actor_name,
            actor_role=r.actor_role,
            actor_unit_id=r.actor_unit_id,
            from_unit_id=r.from_unit_id,
            to_unit_id=r.to_unit_id,
            note=r.note,
            step=r.step,
            flow_id=r.flow_id,
            transition=r.transition,
            from_state=r.from_state,
            to_user_name=r.to_user_name,
        )
        for r in rows
    ]
