"""The notification centre: a person's counter, their list, and the read marks.

Only one's own notifications are ever read or marked (the actor's id is in every query); another
person's notification answers as one that does not exist. The counter runs on every page run of
every user: one indexed count (``ix_notification_user_unread``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Document, EventAction, Notification, NotificationKind, OrgUnit, Task, TaskEvent
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.infra.errors import NotFound
from services.notifications import recipients  # noqa: F401  (the app's first run registers the journal's hook)


@dataclass(frozen=True)
class NotificationItem:
    """One line of "Thông báo": what happened, on which task, when, by whom, read or not."""

    id: int
    kind: NotificationKind
    kind_label: str
    task_id: int
    task_content: str
    document_code: str
    lead_unit_name: str
    action_label: str
    note: str
    actor_name: str
    at: datetime
    read: bool


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationItem]
    total: int
    unread: int


def unread_count(*, session: Session, user_id: int) -> int:
    """The sidebar's counter: one count over the person's unread rows of the index."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        ).one()
    )


def list_notifications(
    *, session: Session, actor: Actor, config: AppConfig, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> NotificationPage:
    """The actor's notifications, newest first, with what the list shows of their task."""
    mine = col(Notification.user_id) == actor.user_id
    query = (
        sa_select(Notification, TaskEvent, Task, Document, OrgUnit)  # five entities: beyond sqlmodel.select
        .join(TaskEvent, col(TaskEvent.id) == col(Notification.event_id))
        .join(Task, col(Task.id) == col(Notification.task_id))
        .join(Document, col(Document.id) == col(Task.document_id))
        .join(OrgUnit, col(OrgUnit.id) == col(Task.lead_unit_id))
        .where(mine)
        .order_by(col(Notification.id).desc())
        .limit(limit)
        .offset(offset)
    )
    counted = select(func.count()).select_from(Notification).where(mine)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
        counted = counted.where(col(Notification.read_at).is_(None))
    items = [
        NotificationItem(
            id=n.id or 0,
            kind=n.kind,
            kind_label=config.app.notifications.kinds[n.kind],
            task_id=n.task_id,
            task_content=task.content,
            document_code=document.code,
            lead_unit_name=unit.short_name,
            action_label=config.app.event_actions.get(EventAction(entry.action), str(entry.action)),
            note=entry.note,
            actor_name=entry.actor_name,
            at=n.created_at,
            read=n.read_at is not None,
        )
        for n, entry, task, document, unit in session.execute(query).all()
    ]
    total = int(session.exec(counted).one())
    return NotificationPage(items=items, total=total, unread=unread_count(session=session, user_id=actor.user_id))


def mark_read(*, session: Session, actor: Actor, notification_id: int, now: datetime) -> None:
    """Mark one of the actor's notifications read (again: nothing changes); another's is not found."""
    found = session.exec(
        select(Notification).where(col(Notification.id) == notification_id, col(Notification.user_id) == actor.user_id)
    ).first()
    if found is None:
        raise NotFound(f"Không tìm thấy thông báo #{notification_id}.")
    if found.read_at is None:
        found.read_at = now
        session.add(found)
        session.commit()


def mark_all_read(*, session: Session, actor: Actor, now: datetime) -> int:
    """Mark every unread notification of the actor read; how many were."""
    result = session.execute(
        update(Notification)
        .where(col(Notification.user_id) == actor.user_id, col(Notification.read_at).is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
