"""The configuration as data: every save of the "Quản trị" configuration is a new version.

One row per version: when, by whom, why (a save from the form, a restore of an older version, an
import of YAML files, or the seed read from ``config/*.yaml``), and the whole configuration as the
YAML text of each versioned file. The newest row is the configuration in force; rows are never
changed or deleted (a restore writes a new row with an older row's files).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class ConfigVersion(SQLModel, table=True):
    """One version of the configuration (append-only; the highest id is the current one)."""

    __tablename__ = "config_version"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    author_user_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: the seed, a command
    action: str = Field(max_length=20)  # seed, save, restore, import
    note: str = Field(default="", max_length=500)
    restored_from: int | None = None  # a restore: the version whose files it copies
    files: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))  # file name -> YAML text
