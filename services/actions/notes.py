"""Progress notes of the unit holding a task, and contributions of coordinating units (Điều 4.2).

Both are journaled and never counted.
"""

from __future__ import annotations

from models import ActionKey, EventAction, Permission, TaskCoordinator, TaskStatus
from models.schemas import ContributionInput, NoteInput
from services.actions.base import ActionContext, ActionOutcome, TaskAction
from services.infra.errors import Conflict, PermissionDenied, ServiceError
from services.infra.text import clean_text
from services.tasks.journal import record_event
from services.workflow.engine import unit_holds_task


def _finished(ctx: ActionContext) -> ServiceError | None:
    if ctx.task.status is TaskStatus.DONE:
        return Conflict("Nhiệm vụ đã được xác nhận hoàn thành.")
    if ctx.task.status is TaskStatus.CLOSED:
        return Conflict("Nhiệm vụ đã kết thúc.")
    return None


def _check_note(ctx: ActionContext, data: NoteInput | None) -> ServiceError | None:
    actor, task = ctx.actor, ctx.task
    if not actor.can(Permission.TASK_NOTE):
        return PermissionDenied("Vai trò của bạn không được cập nhật tiến độ.")
    if task.lead_unit_id != actor.unit_id and not unit_holds_task(
        session=ctx.session, unit_id=actor.unit_id, task_id=ctx.task_id
    ):
        return PermissionDenied("Chỉ đơn vị chủ trì (hoặc phòng, đơn vị trực thuộc được chuyển) cập nhật tiến độ.")
    return _finished(ctx)


def _apply_note(ctx: ActionContext, data: NoteInput) -> ActionOutcome:
    text = clean_text(data.note, label="Nội dung cập nhật", field="note")
    record_event(session=ctx.session, actor=ctx.actor, task=ctx.task, action=EventAction.NOTE, at=ctx.now, note=text)
    return ActionOutcome("Đã lưu cập nhật tiến độ.")


def _check_contribution(ctx: ActionContext, data: ContributionInput | None) -> ServiceError | None:
    if not ctx.actor.can(Permission.TASK_CONTRIBUTE):
        return PermissionDenied("Vai trò của bạn không gửi ý kiến phối hợp.")
    if ctx.session.get(TaskCoordinator, (ctx.task_id, ctx.actor.unit_id)) is None:
        return PermissionDenied("Chỉ đơn vị phối hợp gửi ý kiến phối hợp cho đơn vị chủ trì.")
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
    who="task.note (roles.yaml), in the lead unit or a unit the task was routed to",
    check=_check_note,
    apply=_apply_note,
)
CONTRIBUTE = TaskAction(
    key=ActionKey.CONTRIBUTE,
    input_model=ContributionInput,
    who="task.contribute (roles.yaml), in a coordinating unit",
    check=_check_contribution,
    apply=_apply_contribution,
)
