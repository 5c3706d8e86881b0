"""Trường tùy chỉnh (custom fields, issue 10): fields an admin adds to the assignment document or
to each task, and the values typed into them.

A field is defined once (``custom_field``): its key (a-z0-9_, never changed), its label (may be
renamed: the values are tied to the field's id, not to its label), its type, whether it is
required, its help text, where it lives (the document or each task) and which roles see it. A
field is never deleted: a retired field is no longer offered in new forms, and its values are
still shown. Values (``custom_value``) are JSON: a text, a number, an ISO date, a choice, true or
false, a unit's mã định danh, or what a plugin's type stores.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import enum_type


class FieldTarget(StrEnum):
    """Where a custom field is filled in: once per document, or on each task."""

    DOCUMENT = "document"
    TASK = "task"


class CustomField(SQLModel, table=True):
    """The definition of one custom field (never deleted: ``retired`` instead)."""

    __tablename__ = "custom_field"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=40)  # a-z0-9_, the API's name for it; never changes
    label: str = Field(max_length=120)
    kind: str = Field(max_length=40)  # text, long_text, number, date, choice, yes_no, unit, or a plugin's type
    target: FieldTarget = Field(sa_type=enum_type(FieldTarget))
    required: bool = False
    help: str = Field(default="", max_length=500)
    choices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # kind choice
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # Role values that see it
    retired: bool = False
    sort_order: int = 0
    created_at: datetime


class CustomValue(SQLModel, table=True):
    """The value of one custom field on one document or one task (exactly one of the two)."""

    __tablename__ = "custom_value"
    __table_args__ = (
        UniqueConstraint("field_id", "document_id", name="uq_custom_value_document"),
        UniqueConstraint("field_id", "task_id", name="uq_custom_value_task"),
        CheckConstraint("(document_id IS NULL) <> (task_id IS NULL)", name="ck_custom_value_owner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    field_id: int = Field(foreign_key="custom_field.id", index=True)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
