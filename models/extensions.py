"""Xin gia hạn: the lead unit's request for a later deadline, VP UBND's decision, and their inputs.

A granted request does not carry a deadline of its own: it adds an ``Extension`` (the same row a
"not done" verdict with a new deadline adds), so the deadline in force, the classes and the spans
follow it by the rule they already have. The request keeps what was asked, what was in force
then, and what was decided, for the task page, the Office's queue and the limits per task.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.enums import RequestStatus
from models.schemas import _Input
from models.types import enum_type


class ExtensionRequest(SQLModel, table=True):
    """One request of the lead unit's leader for a new deadline; pending until VP UBND decides.

    Never deleted: the requests of a task, decided or not, count against
    ``extension_requests.max_per_task`` (config/app.yaml)."""

    __tablename__ = "extension_request"
    __table_args__ = (Index("ix_extension_request_status", "status", "requested_at"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    requested_deadline: date  # the date the unit asks for
    deadline_before: date  # the deadline in force on the day it asked
    reason: str = Field(max_length=2000)
    requested_by: int = Field(foreign_key="app_user.id")
    requested_at: datetime
    status: RequestStatus = Field(default=RequestStatus.PENDING, sa_type=enum_type(RequestStatus))
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = None
    decision_note: str = Field(default="", max_length=2000)
    granted_deadline: date | None = None  # granted: the new deadline (the one asked, or earlier)
    extension_id: int | None = Field(default=None, foreign_key="extension.id")  # granted: the extension


class ExtensionRequestInput(_Input):
    """Xin gia hạn: the date asked for and why."""

    requested_deadline: date | None = None  # None: refused ("Nhập ngày xin gia hạn đến")
    reason: str = ""


class ExtensionGrantInput(_Input):
    """Đồng ý gia hạn: to the date asked (``granted_deadline`` empty) or to an earlier one."""

    granted_deadline: date | None = None
    note: str = ""


class ExtensionRefuseInput(_Input):
    """Không đồng ý gia hạn: the reason is required."""

    note: str = ""
