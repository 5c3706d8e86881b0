"""Attached files and the unit's register of incoming documents (sổ văn bản đến), migration 0010.

An attached file's bytes are not in the database: they are stored once per content under their
SHA-256 (``services.attachments``, ``GIAOVIEC_FILES_DIR``), and a row here says who attached which
content, under which name, to what: the assignment document, a reply document, or a progress
note's journal entry. Nothing is deleted, like the journal: a file attached stays attached.
Every download is one row of ``attachment_download``, which only grows (the database refuses
UPDATE and DELETE, as for ``task_event``).

``incoming_entry`` is the vào sổ of a task in its lead unit's book: số đến (numbered per unit and
year, as the register is) and ngày đến, one row per vào sổ (a new round after "Chưa hoàn thành"
is entered again).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import enum_type


class FileType(StrEnum):
    """The kinds of file that may be attached, by extension (``config/app.yaml`` ``attachments.types``).

    jpg and jpeg are one kind of content (JPEG) under two extensions."""

    PDF = "pdf"
    DOC = "doc"
    DOCX = "docx"
    XLS = "xls"
    XLSX = "xlsx"
    PNG = "png"
    JPG = "jpg"
    JPEG = "jpeg"


class AttachmentOwner(StrEnum):
    """What an attached file belongs to."""

    ASSIGNMENT = "assignment"  # the assignment document (document_id): every task of it
    REPLY = "reply"  # a reply document (document_id, its task_id and the reply's journal entry)
    NOTE = "note"  # a progress note: its journal entry (event_id) of one task


class Attachment(SQLModel, table=True):
    """One file attached to a document or a note; its bytes live at ``<files dir>/<sha256[:2]>/<sha256[2:]>``.

    The check constraint ties each owner to the references it needs, so a file can never be
    attached to nothing (an assignment's file has no task of its own: it is its document's)."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint(
            "(owner = 'assignment' AND document_id IS NOT NULL AND task_id IS NULL AND event_id IS NULL)"
            " OR (owner = 'reply' AND document_id IS NOT NULL AND task_id IS NOT NULL AND event_id IS NOT NULL)"
            " OR (owner = 'note' AND document_id IS NULL AND task_id IS NOT NULL AND event_id IS NOT NULL)",
            name="ck_attachment_owner",
        ),
        Index("ix_attachment_task_id", "task_id"),
        Index("ix_attachment_document_id", "document_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)  # hex: the file's name in the files directory
    size: int  # bytes
    file_name: str = Field(max_length=255)  # as the uploader's computer named it, normalised text
    media_type: str = Field(max_length=100)  # from the content, never from what the browser said
    owner: AttachmentOwner = Field(sa_type=enum_type(AttachmentOwner))
    document_id: int | None = Field(default=None, foreign_key="document.id")
    task_id: int | None = Field(default=None, foreign_key="task.id")
    event_id: int | None = Field(default=None, foreign_key="task_event.id")
    uploaded_by: int = Field(foreign_key="app_user.id")
    uploaded_at: datetime


class AttachmentDownload(SQLModel, table=True):
    """Who downloaded which file, when, from where (append-only).

    Its own table, not the task journal: a download changes nothing of the task. Written through
    the action registry it would claim the task's version (a reader would make a clerk's open form
    stale) and bump the data version (every cached Giám sát table thrown away at each download)."""

    __tablename__ = "attachment_download"

    id: int | None = Field(default=None, primary_key=True)
    attachment_id: int = Field(foreign_key="attachment.id", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    at: datetime
    ip: str = Field(default="", max_length=64)


class IncomingEntry(SQLModel, table=True):
    """Vào sổ: the task's assignment entered in its lead unit's register with số đến and ngày đến.

    Numbers run per unit and per year of ngày đến, as a register does (from 1 on 1 January); the
    unique rule makes two tasks with one number impossible, even when two clerks enter at once."""

    __tablename__ = "incoming_entry"
    __table_args__ = (UniqueConstraint("unit_id", "year", "number", name="uq_incoming_entry_unit_year_number"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    flow_id: int = Field(foreign_key="flow.id")
    unit_id: int = Field(foreign_key="org_unit.id")
    number: int  # số đến
    year: int  # the year of received_on: the register's year
    received_on: date  # ngày đến
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime
