"""In-app notifications and the e-mail outbox, migration 0019.

A notification is written in the transaction of the journal entry it tells about, one row per
person who should hear of it (``services.notifications.recipients``), so the sidebar's counter is
one indexed count of a person's unread rows, however long the journal grows. A mail is a row of
the outbox before it is anything else: the job sends what is pending, keeps what an SMTP server
refused or did not answer, and tries again on its next run; a sent row is never sent again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import enum_type


class NotificationKind(StrEnum):
    """What a notification tells; labels in ``config/app.yaml`` (``notifications.kinds``)."""

    NEW_TASK = "new_task"  # a task assigned (or re-routed) to my unit
    STEP_WAITING = "step_waiting"  # a step of a flow now waits for me
    REMINDER = "reminder"  # VP UBND reminded my unit of a task
    VERDICT = "verdict"  # VP UBND judged my unit's reply
    EXTENSION = "extension"  # an extension was requested (to VP UBND) or decided (to the unit)


class Notification(SQLModel, table=True):
    """One thing one person should know, tied to the journal entry it comes from."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id", name="uq_notification_user_event"),
        # the counter (unread of one person) and the list (one person's, newest first)
        Index("ix_notification_user_unread", "user_id", "read_at"),
        Index("ix_notification_user_id", "user_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    task_id: int = Field(foreign_key="task.id")
    event_id: int = Field(foreign_key="task_event.id")
    kind: NotificationKind = Field(sa_type=enum_type(NotificationKind))
    created_at: datetime
    read_at: datetime | None = None


class MailStatus(StrEnum):
    PENDING = "pending"  # not yet accepted by the SMTP server (or refused: tried again next run)
    SENDING = "sending"  # claimed by a run; not retried before the claim is old
    SENT = "sent"  # accepted by the SMTP server: never sent again


class OutboxMail(SQLModel, table=True):
    """One e-mail of one notification to one address; at most one per notification."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", unique=True)
    to_address: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    body: str = Field(max_length=8000)
    status: MailStatus = Field(default=MailStatus.PENDING, sa_type=enum_type(MailStatus))
    attempts: int = 0
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
