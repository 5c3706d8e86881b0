"""The administration journal: every change an admin makes through the "Quản trị" forms.

One row per change: who, when, what kind of thing (a unit, an account, a catalogue, the
configuration), which one, and the values before and after as JSON. Like the task journal and
the login audit log it only grows: the database refuses UPDATE and DELETE (migration 0011).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from models.types import enum_type


class AdminEntity(StrEnum):
    """What an administration change is about (labels: ``services.admin.journal.ENTITY_LABELS``)."""

    UNIT = "unit"
    USER = "user"
    CONFIG = "config"  # catalogues, parameters, the calendar, labels: a configuration version
    WORKFLOW = "workflow"
    CUSTOM_FIELD = "custom_field"
    IMPORT = "import"
    ROLE = "role"  # Vai trò và quyền: a role's label and permissions (a configuration version)


class AdminChange(SQLModel, table=True):
    """One change made by an admin (append-only)."""

    __tablename__ = "admin_change"
    __table_args__ = (Index("ix_admin_change_entity_key", "entity", "entity_key"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: a manage.py command
    entity: AdminEntity = Field(sa_type=enum_type(AdminEntity))
    entity_key: str = Field(max_length=100)  # the unit's code, the user name, the config version…
    action: str = Field(max_length=40)  # create, rename, move, deactivate, merge, lock, reset_password…
    before: dict[str, object] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, object] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    detail: str = Field(default="", max_length=500)
