"""The tasks a unit coordinates (đơn vị phối hợp), with what it may do on each now.

A coordinating unit is never counted and acts on the lead unit's task in one way only, its
contribution ("Gửi ý kiến phối hợp"); what it may do is exactly what the registry offers it
(``registry.offers``), so the inbox never promises an action the task page would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import Task, TaskCoordinator, TaskStatus
from services.access.permissions import Actor
from services.actions.registry import offers
from services.config.loader import AppConfig
from services.stats.rows import TaskRow, build_rows, sort_urgent_first


@dataclass(frozen=True)
class CoordinatedTask:
    row: TaskRow
    actions: list[str]  # labels of what the user may do there now ("Gửi ý kiến phối hợp"); [] = read only


def coordination_work(
    *, session: Session, actor: Actor, config: AppConfig, today: date, due_soon_days: int
) -> list[CoordinatedTask]:
    """The live tasks (not done, not closed) the user's unit coordinates, urgent first."""
    if actor.at_office:
        return []
    ids = session.exec(
        select(col(TaskCoordinator.task_id))
        .join(Task, col(Task.id) == col(TaskCoordinator.task_id))
        .where(
            TaskCoordinator.unit_id == actor.unit_id,
            col(Task.status).in_([TaskStatus.OPEN, TaskStatus.REPLIED]),
        )
    ).all()
    rows = sort_urgent_first(build_rows(session=session, task_ids=ids, today=today, due_soon_days=due_soon_days))
    labels = config.app.task_actions
    work = []
    for row in rows:
        keys = dict.fromkeys(o.key for o in offers(session=session, actor=actor, config=config, task_id=row.task_id))
        work.append(CoordinatedTask(row=row, actions=[labels.get(k, k.value) for k in keys]))
    return work
