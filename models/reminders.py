"""Reminders (đôn đốc) of a task's lead unit, by level, migration 0019.

A reminder is about one deadline: the one in force when it was sent. The unique key
(task, level, deadline) is what makes the daily job idempotent: two runs, even at the same
moment, cannot both send the same level for the same deadline, because the database refuses the
second row. A new deadline (an extension, a "Chưa hoàn thành" verdict with a new date) starts the
levels again. Nothing here is edited or deleted: the rows are what "Số lần đôn đốc" counts.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import enum_type

# The account the daily job acts as (``services.reminders.system``): its username starts with a
# character no account the admin creates may start with, so it is never mistaken for a person.
SYSTEM_USERNAME = "~he-thong"
SYSTEM_NAME = "Hệ thống (đôn đốc tự động)"


class ReminderLevel(StrEnum):
    """The escalating levels of a reminder, in order; labels and days in ``config/app.yaml``
    (``reminders.levels``)."""

    NOTICE = "notice"  # nhắc nhở: the deadline is near
    CRITICISM = "criticism"  # phê bình: some days overdue
    REVIEW = "review"  # kiểm điểm: long overdue


class Reminder(SQLModel, table=True):
    """One reminder sent to a task's lead unit, by the tracker or by the daily job."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("task_id", "level", "deadline", name="uq_reminder_task_level_deadline"),
        # "Số lần đôn đốc" of a period: the reminders sent in it, unit by unit
        Index("ix_reminder_sent_on_unit", "sent_on", "unit_id", "level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int = Field(foreign_key="org_unit.id")  # the lead unit when it was sent (counted for it)
    level: ReminderLevel = Field(sa_type=enum_type(ReminderLevel))
    deadline: date  # the deadline in force it was about
    sent_on: date  # the day in Vietnam (the period it counts in)
    sent_at: datetime
    sent_by: int | None = Field(default=None, foreign_key="app_user.id")  # None: the daily job
    note: str = Field(default="", max_length=2000)
    event_id: int | None = Field(default=None, foreign_key="task_event.id")  # its journal entry
