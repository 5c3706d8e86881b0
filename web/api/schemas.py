"""Response models of the JSON API, and how a service's result becomes one.

Inputs are the services' own models (``models.schemas``); these only shape what goes out. The
conversions read what the services returned and compute nothing: every figure, class and offer
comes from the service call.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models import ActionKey, AttachmentOwner, CloseReason, EventAction, Role, TaskClass, TaskStatus
from services.actions.base import Offer
from services.actions.workbench import Choice, TaskWorkbench
from services.attachments import AttachmentGroup, DownloadView
from services.config.loader import AppConfig
from services.custom_fields import ShownValue
from services.journal.events import TimelineEntry
from services.journal.timeline import TimelineItem
from services.stats.rows import TaskRow
from services.stats.statistics import StatisticsReport, UnitStats
from services.tasks.queries import TaskDetail
from services.workflow.engine import FlowView


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class ErrorDetail(_Out):
    code: str = Field(description="Mã lỗi ổn định: invalid_input, permission_denied, not_found, conflict, …")
    message: str = Field(description="Thông báo tiếng Việt, hiển thị được cho người dùng")
    field: str | None = Field(default=None, description="Trường dữ liệu gây lỗi, nếu có")


class ErrorOut(_Out):
    error: ErrorDetail


ERROR_TEXT: dict[int, str] = {
    401: "unauthenticated — thiếu khóa API, khóa sai, đã thu hồi hoặc hết hạn (kèm WWW-Authenticate: Bearer)",
    403: "permission_denied — tài khoản của khóa không có quyền này",
    404: "not_found — không có, hoặc tài khoản không được xem",
    409: "conflict — nhiệm vụ đã thay đổi (expected_version cũ) hoặc thao tác không hợp với tình trạng",
    422: "invalid_input — dữ liệu không hợp lệ; field nêu trường",
    429: "rate_limited — quá số yêu cầu cho phép; Retry-After nêu số giây phải chờ",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each error status it may answer, with the error body."""
    return {status: {"model": ErrorOut, "description": ERROR_TEXT[status]} for status in (401, 429, *statuses)}


# --- tasks --------------------------------------------------------------------------------------


class TaskItem(_Out):
    id: int
    document_id: int
    document_code: str = Field(description="Số/ký hiệu văn bản giao")
    document_date: date
    summary: str = Field(description="Trích yếu văn bản")
    content: str = Field(description="Nội dung nhiệm vụ")
    lead_unit_code: str = Field(description="Mã định danh đơn vị chủ trì")
    lead_unit_name: str
    status: TaskStatus
    task_class: TaskClass = Field(alias="class", description="Loại theo thống kê, tính đến ngày as_of")
    deadline: date = Field(description="Hạn xử lý đang áp dụng (kể cả gia hạn)")
    days_left: int = Field(description="Số ngày còn lại đến hạn; âm khi đã quá hạn")
    due_soon: bool
    awaiting_confirmation: bool = Field(description="Đã trả lời, chờ Văn phòng UBND xác nhận")
    reply_date: date | None
    backdated_reply: bool = Field(
        description="Văn bản trả lời quyết định loại thống kê là trả lời ghi lùi ngày (nhập muộn quá "
        "reply_backdate_limit_days ngày so với ngày văn bản, có lý do)"
    )


class TaskList(_Out):
    items: list[TaskItem]
    total: int = Field(description="Số nhiệm vụ khớp bộ lọc, trên mọi trang")
    page: int
    per_page: int
    as_of: date = Field(description="Ngày tính loại nhiệm vụ")


class DocumentOut(_Out):
    id: int
    code: str
    issue_date: date
    issuer: str
    issuer_label: str
    doc_type: str
    doc_type_label: str
    summary: str
    signer: str


class ReplyOut(_Out):
    id: int
    code: str
    issue_date: date
    summary: str
    result: str
    signer: str
    unit_name: str
    entered_on: date | None = Field(description="Ngày nhập văn bản trả lời vào phần mềm")
    backdate_reason: str | None = Field(description="Lý do ghi lùi ngày; có: trả lời ghi lùi ngày")


class FlowOut(_Out):
    flow_id: int
    unit_id: int
    unit_name: str
    parent_flow_id: int | None
    workflow: str
    workflow_label: str
    state: str
    state_label: str = Field(description="Đang ở bước")
    final: bool
    active: bool
    assignee_name: str


class JournalEntryOut(_Out):
    at: datetime
    action: EventAction
    actor_id: int
    actor_name: str
    actor_role: Role
    actor_unit_id: int
    from_unit_id: int | None
    to_unit_id: int | None
    note: str
    step: int | None
    flow_id: int | None
    transition: str | None
    from_state: str | None
    to_user_name: str | None


class TimelineOut(_Out):
    at: datetime
    title: str
    actor_name: str
    actor_role: str
    actor_unit: str
    route: str
    details: list[str]
    note: str


class OfferOut(_Out):
    key: ActionKey = Field(description="Dùng trong POST /tasks/{id}/actions/{key}")
    label: str
    input: str = Field(description="Tên mô hình dữ liệu gửi kèm (xem components.schemas)")
    flow_id: int | None
    workflow: str | None
    transition: str | None
    step: int | None
    unit_name: str
    choose_assignee: bool
    start_subflows: bool
    note_required: bool
    routing_choice: bool
    register_incoming: bool = Field(
        default=False, description="Bước vào sổ: có thể gửi incoming_number (số đến) và incoming_date (ngày đến)"
    )


class ChoiceOut(_Out):
    value: int | str
    label: str


class TaskChoices(_Out):
    assignees: dict[int, list[ChoiceOut]] = Field(description="flow_id → người có thể giao (assignee_id)")
    subunits: dict[int, list[ChoiceOut]] = Field(description="flow_id → đơn vị trực thuộc (subunit_ids)")
    units: list[ChoiceOut] = Field(description="Đơn vị có thể giao lại (mã định danh)")


class CustomValueOut(_Out):
    key: str = Field(description="Mã trường tùy chỉnh")
    label: str
    target: str = Field(description="document: của văn bản giao; task: của nhiệm vụ")
    kind: str = Field(description="text, long_text, number, date, choice, yes_no, unit, hoặc kiểu của phần mở rộng")
    value: Any = Field(description="Giá trị lưu: chữ, số, ngày ISO, lựa chọn, true/false, mã định danh đơn vị")
    text: str = Field(description="Giá trị như trang hiển thị")
    retired: bool = Field(description="Trường đã ngừng dùng (giá trị vẫn giữ)")


class TaskDetailOut(TaskItem):
    version: int = Field(description="Gửi lại làm expected_version (hoặc If-Match) khi thao tác")
    document: DocumentOut
    coordinating_units: list[str]
    replies: list[ReplyOut]
    flows: list[FlowOut] = Field(description="Đang ở bước: tình trạng ở từng đơn vị giữ nhiệm vụ")
    journal: list[JournalEntryOut] = Field(description="Nhật ký xử lý, cũ nhất trước")
    timeline: list[TimelineOut] = Field(description="Nhật ký như trang Chi tiết nhiệm vụ hiển thị, cũ nhất trước")
    actions: list[OfferOut] = Field(description="Các thao tác tài khoản được làm lúc này (như trang hiển thị)")
    choices: TaskChoices
    closed_reason: CloseReason | None
    replaces_task_id: int | None
    custom: list[CustomValueOut] = Field(
        default_factory=list, description="Trường tùy chỉnh của văn bản và của nhiệm vụ mà vai trò được xem"
    )


class ActionResultOut(_Out):
    task: TaskDetailOut | None = Field(description="Nhiệm vụ sau thao tác (null nếu không còn được xem)")
    message: str
    created_task_id: int | None
    document_id: int | None


class AssignmentCreatedOut(_Out):
    document_id: int
    task_ids: list[int]


# --- statistics ---------------------------------------------------------------------------------


class StatsRowOut(_Out):
    unit_id: int
    unit_code: str
    unit_name: str
    documents: int = Field(description="Tổng số văn bản")
    tasks: int = Field(description="Tổng số nhiệm vụ")
    done_on_time: int
    done_late: int
    open_on_time: int
    open_overdue: int
    awaiting_confirmation: int
    rate: float | None = Field(description="Tỷ lệ hoàn thành đúng hạn (0–1); null khi không có nhiệm vụ")


class StatisticsOut(_Out):
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    as_of: date
    rows: list[StatsRowOut]
    total: StatsRowOut


class FigureTasksOut(TaskList):
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    unit: str | None
    task_class: TaskClass | None = Field(alias="class")


# --- attachments --------------------------------------------------------------------------------


class DownloadOut(_Out):
    user_name: str = Field(description="Người tải")
    unit_name: str = Field(description="Đơn vị của người tải")
    at: datetime


class AttachmentOut(_Out):
    id: int
    file_name: str
    size: int = Field(description="Byte")
    media_type: str
    uploaded_at: datetime
    uploaded_by: str = Field(description="Người tải lên")
    download_url: str = Field(description="Địa chỉ tải về qua API (cùng khóa API)")
    downloads: list[DownloadOut] = Field(description="Các lượt tải, mới trước")


class AttachmentGroupOut(_Out):
    owner: AttachmentOwner = Field(
        description="assignment: văn bản giao; reply: văn bản trả lời; note: cập nhật tiến độ"
    )
    title: str
    items: list[AttachmentOut]


# --- conversions --------------------------------------------------------------------------------


def task_item(row: TaskRow, codes: dict[int, str]) -> TaskItem:
    return TaskItem(
        id=row.task_id,
        document_id=row.document_id,
        document_code=row.document_code,
        document_date=row.document_date,
        summary=row.summary,
        content=row.content,
        lead_unit_code=codes.get(row.lead_unit_id, ""),
        lead_unit_name=row.lead_unit_name,
        status=row.status,
        task_class=row.state.task_class,
        deadline=row.state.deadline,
        days_left=row.days_left,
        due_soon=row.due_soon,
        awaiting_confirmation=row.state.awaiting_confirmation,
        reply_date=row.state.reply_date,
        backdated_reply=row.backdated_reply,
    )


def _offer(offer: Offer, action_inputs: dict[ActionKey, str]) -> OfferOut:
    return OfferOut(
        key=offer.key,
        label=offer.label,
        input=action_inputs[offer.key],
        flow_id=offer.flow_id,
        workflow=offer.workflow,
        transition=offer.transition,
        step=offer.step,
        unit_name=offer.unit_name,
        choose_assignee=offer.choose_assignee,
        start_subflows=offer.start_subflows,
        note_required=offer.note_required,
        routing_choice=offer.routing_choice,
        register_incoming=offer.register_incoming,
    )


def _choices(choices: list[Choice]) -> list[ChoiceOut]:
    return [ChoiceOut(value=c.value, label=c.label) for c in choices]


def _flow(view: FlowView) -> FlowOut:
    return FlowOut(**{name: getattr(view, name) for name in FlowOut.model_fields})


def _journal(entry: TimelineEntry) -> JournalEntryOut:
    return JournalEntryOut(**{name: getattr(entry, name) for name in JournalEntryOut.model_fields})


def _timeline(item: TimelineItem) -> TimelineOut:
    return TimelineOut(**{name: getattr(item, name) for name in TimelineOut.model_fields})


def task_detail(
    *,
    detail: TaskDetail,
    bench: TaskWorkbench,
    timeline: list[TimelineItem],
    codes: dict[int, str],
    config: AppConfig,
    action_inputs: dict[ActionKey, str],
    custom: list[ShownValue] | None = None,
) -> TaskDetailOut:
    doc = detail.document
    item = task_item(detail.row, codes)
    return TaskDetailOut(
        **item.model_dump(),
        version=bench.version,
        document=DocumentOut(
            id=doc.id or 0,
            code=doc.code,
            issue_date=doc.issue_date,
            issuer=doc.issuer,
            issuer_label=config.app.issuers.get(doc.issuer, doc.issuer),
            doc_type=doc.doc_type,
            doc_type_label=config.app.document_types.get(doc.doc_type, doc.doc_type),
            summary=doc.summary,
            signer=doc.signer,
        ),
        coordinating_units=detail.coordinating_units,
        replies=[
            ReplyOut(
                id=r.reply_id,
                code=r.code,
                issue_date=r.issue_date,
                summary=r.summary,
                result=r.result,
                signer=r.signer,
                unit_name=r.unit_name,
                entered_on=r.entered_on,
                backdate_reason=r.backdate_reason,
            )
            for r in detail.replies
        ],
        flows=[_flow(f) for f in bench.flows],
        journal=[_journal(e) for e in detail.timeline],
        timeline=[_timeline(t) for t in timeline],
        actions=[_offer(o, action_inputs) for o in bench.offers],
        choices=TaskChoices(
            assignees={flow: _choices(c) for flow, c in bench.assignees.items()},
            subunits={flow: _choices(c) for flow, c in bench.subunits.items()},
            units=_choices(bench.units),
        ),
        closed_reason=detail.closed_reason,
        replaces_task_id=detail.replaces_task_id,
        custom=[
            CustomValueOut(
                key=v.key,
                label=v.label,
                target=v.target.value,
                kind=v.kind,
                value=v.value,
                text=v.text,
                retired=v.retired,
            )
            for v in custom or []
        ],
    )


def stats_row(stats: UnitStats, codes: dict[int, str]) -> StatsRowOut:
    return StatsRowOut(
        unit_id=stats.unit_id,
        unit_code=codes.get(stats.unit_id, ""),
        unit_name=stats.unit_name,
        documents=stats.documents,
        tasks=stats.total,
        done_on_time=stats.counts[TaskClass.DONE_ON_TIME],
        done_late=stats.counts[TaskClass.DONE_LATE],
        open_on_time=stats.counts[TaskClass.OPEN_ON_TIME],
        open_overdue=stats.counts[TaskClass.OPEN_OVERDUE],
        awaiting_confirmation=stats.awaiting_confirmation,
        rate=stats.rate,
    )


def statistics(report: StatisticsReport, codes: dict[int, str]) -> StatisticsOut:
    period = report.period
    return StatisticsOut(
        date_from=period.date_from,
        date_to=period.date_to,
        as_of=period.as_of,
        rows=[stats_row(r, codes) for r in report.rows],
        total=stats_row(report.total, codes),
    )


def attachment_group(group: AttachmentGroup, downloads: dict[int, list[DownloadView]]) -> AttachmentGroupOut:
    return AttachmentGroupOut(
        owner=group.owner,
        title=group.title,
        items=[
            AttachmentOut(
                id=item.id,
                file_name=item.file_name,
                size=item.size,
                media_type=item.media_type,
                uploaded_at=item.uploaded_at,
                uploaded_by=item.uploaded_by,
                download_url=f"/api/v1/attachments/{item.id}",
                downloads=[
                    DownloadOut(user_name=d.user_name, unit_name=d.unit_name, at=d.at)
                    for d in downloads.get(item.id, [])
                ],
            )
            for item in group.items
        ],
    )
