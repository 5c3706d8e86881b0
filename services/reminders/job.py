"""The daily reminders: every open task that has reached a level gets it, once.

``manage.py remind`` calls ``send_due_reminders`` once a day (cron or a systemd timer, README
"Đôn đốc"). It has no rule of its own: it picks the tasks whose deadline in force is near or past
(from the statistics' spans: the span holding today says the deadline in force and whether a
reply waits for the Office), and sends each the highest level it has reached through the registry's
``remind`` action as the system account, exactly as the tracker's form does. A task already
reminded at that level, or a higher one, for the same deadline is left alone; a run that meets a
reminder another run has just sent gets the action's refusal and goes on. So the job may run twice,
even at the same moment, and nothing is sent twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from models import (
    ActionKey,
    ExtensionRequest,
    Reminder,
    ReminderLevel,
    RequestStatus,
    Task,
    TaskClass,
    TaskSpan,
    TaskStatus,
    WrongUnitRequest,
)
from models.schemas import RemindInput
from services.actions.registry import perform
from services.config.loader import AppConfig
from services.infra.clock import local_date
from services.infra.errors import ServiceError
from services.reminders.levels import level_reached
from services.reminders.system import system_actor

_ORDER = {level: index for index, level in enumerate(ReminderLevel)}
_CHUNK = 500


@dataclass(frozen=True)
class DueReminder:
    task_id: int
    level: ReminderLevel
    deadline: date


@dataclass
class RemindRun:
    """What one run did: the reminders it sent, and those another run (or the tracker) sent first."""

    sent: list[DueReminder] = field(default_factory=list)
    already_sent: list[tuple[DueReminder, str]] = field(default_factory=list)  # with the refusal


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def due_reminders(*, session: Session, config: AppConfig, today: date) -> list[DueReminder]:
    """The reminders due on ``today``: for each open task in the unit's hands (no reply waiting for
    the verdict, no request waiting for VP UBND's decision) whose deadline in force has reached a
    level, the highest level reached, unless that level or a higher one was already sent for that
    deadline. Ordered by task id."""
    levels = config.app.reminders
    first_days = levels.levels[next(iter(ReminderLevel))].days
    rows = session.exec(
        select(col(TaskSpan.task_id), col(TaskSpan.deadline))
        .join(Task, col(Task.id) == col(TaskSpan.task_id))
        .where(
            col(TaskSpan.valid_from) <= today,
            col(TaskSpan.valid_to) >= today,
            col(TaskSpan.task_class).in_([TaskClass.OPEN_ON_TIME, TaskClass.OPEN_OVERDUE]),
            col(TaskSpan.awaiting).is_(False),
            col(TaskSpan.deadline) <= today - timedelta(days=first_days),
            col(Task.status) == TaskStatus.OPEN,
        )
        .order_by(col(TaskSpan.task_id))
    ).all()
    deadlines = {task_id: deadline for task_id, deadline in rows}
    # A unit waiting for VP UBND's answer (not our remit; more time) is not reminded by the job: the
    # next move is the Office's. The tracker may still remind it by hand.
    for model in (WrongUnitRequest, ExtensionRequest):
        for ids in _chunks(list(deadlines)):
            waiting = session.exec(
                select(col(model.task_id)).where(
                    col(model.task_id).in_(ids), col(model.status) == RequestStatus.PENDING
                )
            ).all()
            for task_id in waiting:
                deadlines.pop(task_id, None)
    sent: dict[tuple[int, date], set[ReminderLevel]] = defaultdict(set)
    for ids in _chunks(list(deadlines)):
        for task_id, sent_level, deadline in session.exec(
            select(col(Reminder.task_id), col(Reminder.level), col(Reminder.deadline)).where(
                col(Reminder.task_id).in_(ids)
            )
        ).all():
            sent[(task_id, deadline)].add(ReminderLevel(sent_level))
    due: list[DueReminder] = []
    for task_id, deadline in deadlines.items():
        level = level_reached(reminders=levels, deadline=deadline, today=today)
        if level is None:
            continue
        if any(_ORDER[done] >= _ORDER[level] for done in sent[(task_id, deadline)]):
            continue
        due.append(DueReminder(task_id=task_id, level=level, deadline=deadline))
    return due


def send_due_reminders(*, session: Session, config: AppConfig, now: datetime) -> RemindRun:
    """Send today's due reminders as the system account, each through ``perform`` (journaled,
    counted, notified); one that another run sent meanwhile is refused by the action and listed."""
    today = local_date(now)
    actor = system_actor(session=session, config=config, now=now)
    run = RemindRun()
    for due in due_reminders(session=session, config=config, today=today):
        try:
            perform(
                session=session,
                actor=actor,
                config=config,
                task_id=due.task_id,
                action=ActionKey.REMIND,
                data=RemindInput(level=due.level),
                now=now,
            )
        except ServiceError as refusal:
            run.already_sent.append((due, refusal.message))
            continue
        run.sent.append(due)
    return run
