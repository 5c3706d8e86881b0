"""Progress notes of the unit holding a task, and contributions of coordinating units (Điều 4.2).

Both are journaled and never counted.
"""

from __future__ import annotations

from models import ActionKey, AttachmentOwner, EventAction, Permission, TaskStatus
from models.schemas import ContributionInput, NoteInput
from services.actions.base import ActionContext, ActionOutcome, Scope, TaskAction
from services.attachments import attach, check_uploads, with_journal_line
from services.infra.errors import Conflict, ServiceError
from services.infra.text import clean_text
from services.journal.events import record_event


def _finished(ctx: ActionContext) -> ServiceError | None:
    if ctx.task.status is TaskStatus.DONE:
        return Conflict("Nhiệm vụ đã được xác nhận hoàn thành.")
    if ctx.task.status is TaskStatus.CLOSED:
        return Conflict("Nhiệm vụ đã kết thúc.")
    return None


def _check_note(ctx: ActionContext, data: NoteInput | None) -> ServiceError | None:
    return _finished(ctx)


def _apply_note(ctx: ActionContext, data: NoteInput) -> ActionOutcome:
    """The note, and its files (``services.attachments``) tied to its journal entry, which names them."""
    text = clean_text(data.note, label="Nội dung cập nhật", field="note")
    files = check_uploads(data.attachments, limits=ctx.config.app.attachments)
    event = record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.NOTE,
        at=ctx.now,
        note=with_journal_line(text, files),
    )
    if files:
        ctx.session.flush()
        attach(
            session=ctx.session,
            actor=ctx.actor,
            files=files,
            owner=AttachmentOwner.NOTE,
            now=ctx.now,
            task_id=ctx.task_id,
            event_id=event.id,
        )
        return ActionOutcome(f"Đã lưu cập nhật tiến độ kèm {len(files)} tệp đính kèm.")
    return ActionOutcome("Đã lưu cập nhật tiến độ.")


def _check_contribution(ctx: ActionContext, data: ContributionInput | None) -> ServiceError | None:
    if ctx.task.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        return Conflict("Nhiệm vụ đã kết thúc.")
    return None


def _apply_contribution(ctx: ActionContext, data: ContributionInput) -> ActionOutcome:
    text = clean_text(data.note, label="Ý kiến phối hợp", field="note")
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.CONTRIBUTION,
        at=ctx.now,
        note=text,
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=ctx.task.lead_unit_id,
    )
    return ActionOutcome("Đã gửi ý kiến phối hợp cho đơn vị chủ trì.")


NOTE = TaskAction(
    key=ActionKey.NOTE,
    input_model=NoteInput,
    permission=Permission.TASK_NOTE,
    scope=Scope.HOLDER,
    denied="Vai trò của bạn không được cập nhật tiến độ.",
    outside="Chỉ đơn vị chủ trì (hoặc phòng, đơn vị trực thuộc được chuyển) cập nhật tiến độ.",
    check=_check_note,
    apply=_apply_note,
)
CONTRIBUTE = TaskAction(
    key=ActionKey.CONTRIBUTE,
    input_model=ContributionInput,
    permission=Permission.TASK_CONTRIBUTE,
    scope=Scope.COORDINATOR,
    denied="Vai trò của bạn không gửi ý kiến phối hợp.",
    outside="Chỉ đơn vị phối hợp gửi ý kiến phối hợp cho đơn vị chủ trì.",
    check=_check_contribution,
    apply=_apply_contribution,
)
