"""Input models of the services (the "Create" members of each model family).

They carry raw user input; the services validate it and answer in Vietnamese. Every string
field is normalised as it enters (``_Input``): whatever way the text came (a page, the JSON API, a
script), control and invisible characters never reach a service or the database.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from models.enums import ConfirmOutcome, TaskClass, TaskStatus
from models.reminders import ReminderLevel
from models.text import normalise_text

# One-line fields: codes, names, keys. A line break or tab in them becomes a space; every other
# string field is a text area's (notes, reasons, content), where line breaks and tabs stay.
_ONE_LINE_FIELDS = frozenset(
    {"code", "signer", "issuer", "doc_type", "lead_unit_code", "coordinating_unit_codes", "new_lead_unit_code"}
    | {"transition", "workflow", "unit", "q", "file_name"}
)


class _Input(BaseModel):
    """Base of the input models: every ``str`` (and list of ``str``) field through
    ``normalise_text``, so no control, format or invisible character is ever stored."""

    @field_validator("*", mode="after")
    @classmethod
    def _normalised(cls, value: object, info: ValidationInfo) -> object:
        multiline = info.field_name not in _ONE_LINE_FIELDS
        if type(value) is str:  # not the str enums (ConfirmOutcome …): they are exact already
            return normalise_text(value, multiline=multiline)
        if isinstance(value, list):
            return [normalise_text(v, multiline=multiline) if type(v) is str else v for v in value]
        return value


def _file_bytes(value: object) -> object:
    """Bytes as they are (a page hands the uploaded file over); text is base64 (the JSON API)."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("Nội dung tệp phải được mã hóa base64.") from None
    return value


FileBytes = Annotated[
    bytes,
    BeforeValidator(_file_bytes),
    PlainSerializer(lambda data: base64.b64encode(data).decode("ascii"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64", "description": "Nội dung tệp, mã hóa base64"}),
]


class AttachmentUpload(_Input):
    """One file to attach, as its uploader's computer named it; ``services.attachments`` checks
    its type from its first bytes, its size and its name, and stores it by its SHA-256."""

    file_name: str
    content: FileBytes = Field(repr=False)  # never printed whole: a log line is not 20 MB


# Trường tùy chỉnh: field key -> value (services.custom_fields checks each by its field's type)
CustomValues = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]},
            "description": "Trường tùy chỉnh: mã trường → giá trị (chữ; số; ngày YYYY-MM-DD hoặc dd/mm/yyyy; "
            "một lựa chọn; true/false; mã định danh đơn vị)",
        }
    ),
]


class TaskCreate(_Input):
    content: str
    lead_unit_code: str = ""  # mã định danh of the one lead unit
    coordinating_unit_codes: list[str] = Field(default_factory=list)
    deadline: date | None = None  # a calendar date ...
    working_days: int | None = None  # ... or N working days after the document date
    custom: CustomValues = Field(default_factory=dict)  # trường tùy chỉnh of each task


class AssignmentCreate(_Input):
    code: str  # số/ký hiệu
    issue_date: date
    issuer: str  # key of config app.yaml issuers
    doc_type: str  # key of config app.yaml document_types
    summary: str  # trích yếu
    signer: str
    tasks: list[TaskCreate]
    attachments: list[AttachmentUpload] = Field(default_factory=list)  # files of the document itself
    custom: CustomValues = Field(default_factory=dict)  # trường tùy chỉnh of the document


class ReplyCreate(_Input):
    code: str
    issue_date: date
    summary: str
    result: str
    signer: str = ""
    # Lý do ghi lùi ngày: required when issue_date is more than reply_backdate_limit_days before
    # the day the reply is entered (config/app.yaml); the reply is then flagged as backdated.
    backdate_reason: str = ""


class ConfirmationCreate(_Input):
    outcome: ConfirmOutcome
    reason: str = ""
    new_deadline: date | None = None


# --- inputs of the task actions (services.actions.registry), one model per action -------------


class RemindInput(_Input):
    """Đôn đốc by hand: the level the tracker chooses, and an optional note to the unit."""

    level: ReminderLevel
    note: str = ""


class NoteInput(_Input):
    note: str
    attachments: list[AttachmentUpload] = Field(default_factory=list)


class ContributionInput(_Input):
    note: str


class StepInput(_Input):
    """One workflow transition of one flow: what the step form sends."""

    flow_id: int
    transition: str
    workflow: str | None = None  # needed only where two workflows offer the same key (bút phê)
    note: str = ""
    assignee_id: int | None = None  # choose_assignee steps
    subunit_ids: list[int] = Field(default_factory=list)  # start_subflows steps
    # vào sổ only (the step leaving a main flow's first state): số đến (None: the next number of
    # the unit's register for the year) and ngày đến (None: today)
    incoming_number: int | None = None
    incoming_date: date | None = None


class ReplyInput(ReplyCreate):
    """The reply document, issued by the step that has ``issue_reply`` (văn thư ban hành)."""

    note: str = ""
    attachments: list[AttachmentUpload] = Field(default_factory=list)


class WrongUnitRequestInput(_Input):
    reason: str


class WrongUnitAcceptInput(_Input):
    new_lead_unit_code: str = ""
    new_deadline: date | None = None  # empty: the deadline in force today
    note: str = ""


class WrongUnitRefuseInput(_Input):
    note: str


class ArchiveInput(_Input):
    pass


class RevokeInput(_Input):
    reason: str


class UpdateInput(_Input):
    reason: str
    content: str | None = None
    deadline: date | None = None


class ReplaceInput(_Input):
    reason: str
    content: str
    lead_unit_code: str
    deadline: date | None = None


# --- reading ---------------------------------------------------------------------------------


class TaskFilters(_Input):
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
    custom_field: str | None = Field(
        default=None, description="Lọc theo trường tùy chỉnh (mã trường kiểu chọn từ danh sách hoặc có/không)"
    )
    custom_value: str | None = Field(default=None, description="Giá trị của custom_field: một lựa chọn, hoặc có/không")
