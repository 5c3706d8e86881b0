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


# --- inputs of the task actions (services.actions.registry), one model per action -------------


class NoteInput(BaseModel):
    note: str


class ContributionInput(BaseModel):
    note: str


class StepInput(BaseModel):
    """One workflow transition of one flow: what the step form sends."""

    flow_id: int
    transition: str
    workflow: str | None = None  # needed only where two workflows offer the same key (bút phê)
    note: str = ""
    assignee_id: int | None = None  # choose_assignee steps
    subunit_ids: list[int] = Field(default_factory=list)  # start_subflows steps


class ReplyInput(ReplyCreate):
    """The reply document, issued by the step that has ``issue_reply`` (văn thư ban hành)."""

    note: str = ""


class WrongUnitRequestInput(BaseModel):
    reason: str


class WrongUnitAcceptInput(BaseModel):
    new_lead_unit_code: str = ""
    new_deadline: date | None = None  # empty: the deadline in force today
    note: str = ""


class WrongUnitRefuseInput(BaseModel):
    note: str


class ArchiveInput(BaseModel):
    pass


class RevokeInput(BaseModel):
    reason: str


class UpdateInput(BaseModel):
    reason: str
    content: str | None = None
    deadline: date | None = None


class ReplaceInput(BaseModel):
    reason: str
    content: str
    lead_unit_code: str
    deadline: date | None = None
