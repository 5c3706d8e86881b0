"""Input models of the services (the "Create" members of each model family).

They carry raw user input; the services validate it and answer in Vietnamese.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from models.enums import ConfirmOutcome, TaskClass, TaskStatus


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


# --- reading ---------------------------------------------------------------------------------


class TaskFilters(BaseModel):
    """What a task search asks for (``services.tasks.queries.search_tasks``; the API's query string).

    With a period (``from``/``to``, either one) the scope is the statistics' one: tasks assigned
    in the period plus those carried over still open, classified as of ``to`` (today if later);
    a missing ``from`` is 1 January of ``to``'s year, a missing ``to`` is today. Without a
    period: every visible task, classified as of today.
    """

    model_config = ConfigDict(populate_by_name=True)

    unit: str | None = Field(default=None, description="Mã định danh của đơn vị chủ trì, ví dụ 000.00.05.H21")
    task_class: TaskClass | None = Field(
        default=None,
        alias="class",
        description="Loại theo thống kê: done_on_time, done_late, open_on_time, open_overdue",
    )
    status: TaskStatus | None = Field(default=None, description="Tình trạng hiện tại: open, replied, done, closed")
    date_from: date | None = Field(default=None, alias="from", description="Kỳ báo cáo từ ngày (YYYY-MM-DD)")
    date_to: date | None = Field(default=None, alias="to", description="Kỳ báo cáo đến ngày (YYYY-MM-DD)")
    q: str = Field(default="", max_length=200, description="Tìm trong số/ký hiệu, trích yếu, nội dung (không dấu)")
    deadline_from: date | None = Field(default=None, description="Hạn xử lý (đang áp dụng) từ ngày")
    deadline_to: date | None = Field(default=None, description="Hạn xử lý (đang áp dụng) đến ngày")
    page: int = Field(default=1, ge=1, description="Trang, bắt đầu từ 1")
    per_page: int = Field(default=50, ge=1, le=200, description="Số nhiệm vụ mỗi trang (tối đa 200)")
