"""Input models of the services (the "Create" members of each model family).

They carry raw user input; the services validate it and answer in Vietnamese.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.enums import ConfirmOutcome


class TaskCreate(BaseModel):
    content: str
    lead_unit_code: str = ""  # mã định danh of the one lead unit
    coordinating_unit_codes: list[str] = Field(default_factory=list)
    deadline: date | None = None  # a calendar date ...
    working_days: int | None = None  # ... or N working days after the document date


class AssignmentCreate(BaseModel):
    code: str  # số/ký hiệu
    issue_date: date
    issuer: str  # key of config app.yaml issuers
    doc_type: str  # key of config app.yaml document_types
    summary: str  # trích yếu
    signer: str
    tasks: list[TaskCreate]


class ReplyCreate(BaseModel):
    code: str
    issue_date: date
    summary: str
    result: str
    signer: str = ""


class ConfirmationCreate(BaseModel):
    outcome: ConfirmOutcome
    reason: str = ""
    new_deadline: date | None = None
