"""VP UBND changes an assignment already sent (Điều 4.2): revoke (thu hồi), update, replace.

The change reaches every unit and sub-unit holding the task (their flows stop, or carry the
new content), is journaled, and the statistics follow at once: a revoked or replaced task
counts for nobody from the day it was closed; a new deadline is an extension with history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from models import ActionKey, CloseReason, EventAction, Extension, OrgUnit, Permission, Task, TaskStatus
from models.schemas import ReplaceInput, RevokeInput, UpdateInput
from services.actions.base import ActionContext, ActionOutcome, Scope, TaskAction
from services.infra.clock import fmt_date
from services.infra.errors import Conflict, InvalidInput, ServiceError
from services.infra.text import clean_text
from services.infra.validation import FieldErrors, check_date, date_bounds
from services.journal.events import record_event
from services.org.units import resolve_lead_unit
from services.tasks.requests import drop_pending_request
from services.workflow.engine import close_flows, start_main_flow

_ONLY_TRACKER = "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh thay đổi nhiệm vụ đã giao."


def _check_changeable(ctx: ActionContext, data: object) -> ServiceError | None:
    if ctx.task.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        return Conflict("Nhiệm vụ đã kết thúc, không thay đổi được.")
    return None


def _close(ctx: ActionContext, reason: CloseReason) -> None:
    drop_pending_request(
        session=ctx.session,
        actor=ctx.actor,
        task_id=ctx.task_id,
        why="Nhiệm vụ đã bị thu hồi hoặc thay thế.",
        now=ctx.now,
    )
    ctx.task.status = TaskStatus.CLOSED
    ctx.task.closed_reason = reason
    ctx.task.closed_on = ctx.today
    ctx.session.add(ctx.task)
    close_flows(session=ctx.session, task_id=ctx.task_id, now=ctx.now)


def _apply_revoke(ctx: ActionContext, data: RevokeInput) -> ActionOutcome:
    """Thu hồi: the task stops everywhere and counts for nobody from today."""
    text = clean_text(data.reason, label="Lý do thu hồi", field="reason")
    _close(ctx, CloseReason.REVOKED)
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.REVOKED,
        at=ctx.now,
        note=text,
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=ctx.task.lead_unit_id,
    )
    return ActionOutcome("Đã thu hồi nhiệm vụ.")


def _future_deadline(ctx: ActionContext, day: date | None, *, label: str, field: str) -> None:
    """A new deadline from today to the configured limit, or InvalidInput naming the field and
    the dates it may take."""
    assert day is not None
    if day < ctx.today:
        latest = date_bounds(today=ctx.today, limits=ctx.config.app)[1]
        raise InvalidInput(
            f"{label} {fmt_date(day)} đã qua: chỉ nhận ngày từ hôm nay ({fmt_date(ctx.today)}) đến {fmt_date(latest)}.",
            field=field,
        )
    check_date(day, label=label, field=field, today=ctx.today, limits=ctx.config.app)


def _apply_update(ctx: ActionContext, data: UpdateInput) -> ActionOutcome:
    """Correct the content and/or the deadline; a new deadline is kept as an extension."""
    task = ctx.task
    errors = FieldErrors()  # every field refused together
    text = errors.take(lambda: clean_text(data.reason, label="Lý do cập nhật", field="reason"), "")
    changes: list[str] = []
    new_content = errors.take(
        lambda: clean_text(data.content, label="Nội dung nhiệm vụ", field="content", required=False, max_len=4000),
        "",
    )
    if data.deadline is not None:
        errors.take(lambda: _future_deadline(ctx, data.deadline, label="Hạn xử lý mới", field="deadline"), None)
    if errors.ok("content", "deadline") and data.deadline is None and (not new_content or new_content == task.content):
        errors.add("Không có thay đổi nào để cập nhật.", field="content")
    errors.raise_any()
    if new_content and new_content != task.content:
        changes.append(f"nội dung: “{task.content}” → “{new_content}”")
        task.content = new_content
    if data.deadline is not None:
        ctx.session.add(
            Extension(
                task_id=ctx.task_id,
                new_deadline=data.deadline,
                granted_on=ctx.today,
                reason=f"Cập nhật nhiệm vụ: {text}",
                actor_id=ctx.actor.user_id,
                created_at=ctx.now,
            )
        )
        changes.append(f"hạn xử lý → {fmt_date(data.deadline)}")
    ctx.session.add(task)
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=task,
        action=EventAction.UPDATED,
        at=ctx.now,
        note="; ".join(changes) + f". Lý do: {text}",
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=task.lead_unit_id,
    )
    return ActionOutcome("Đã cập nhật nhiệm vụ.")


def _apply_replace(ctx: ActionContext, data: ReplaceInput) -> ActionOutcome:
    """Replace a task by a new one of the same document (linked to it); the old one closes."""
    old = ctx.task
    errors = FieldErrors()  # every field refused together
    text = errors.take(lambda: clean_text(data.reason, label="Lý do thay thế", field="reason"), "")
    content = errors.take(
        lambda: clean_text(data.content, label="Nội dung nhiệm vụ mới", field="content", max_len=4000), ""
    )
    lead: OrgUnit | None = None
    if not data.lead_unit_code.strip():
        errors.add("Nhiệm vụ thay thế phải có đúng một đơn vị chủ trì.", field="lead")
    else:
        lead = errors.take(
            lambda: resolve_lead_unit(session=ctx.session, code=data.lead_unit_code, label="Đơn vị chủ trì"), None
        )
    if data.deadline is None:
        errors.add("Nhập hạn xử lý của nhiệm vụ thay thế, từ hôm nay trở đi.", field="deadline")
    else:
        errors.take(lambda: _future_deadline(ctx, data.deadline, label="Hạn xử lý", field="deadline"), None)
    errors.raise_any()
    assert lead is not None and data.deadline is not None
    _close(ctx, CloseReason.REPLACED)
    new = Task(
        document_id=old.document_id,
        seq=old.seq,
        content=content,
        lead_unit_id=lead.id or 0,
        deadline=data.deadline,
        tracker_id=ctx.actor.user_id,
        created_by=ctx.actor.user_id,
        created_at=ctx.now,
        replaces_task_id=old.id,
    )
    ctx.session.add(new)
    ctx.session.flush()
    start_main_flow(session=ctx.session, config=ctx.config, task=new, now=ctx.now)
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=old,
        action=EventAction.REPLACED,
        at=ctx.now,
        note=f"Thay thế bằng nhiệm vụ #{new.id}. Lý do: {text}",
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=old.lead_unit_id,
    )
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=new,
        action=EventAction.ASSIGNED,
        at=ctx.now,
        note=f"Thay thế nhiệm vụ #{old.id}; hạn xử lý {fmt_date(data.deadline)}",
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=lead.id,
    )
    return ActionOutcome(f"Đã thay thế nhiệm vụ (nhiệm vụ mới #{new.id}).", created_task_id=new.id)


_WHO: dict[str, Any] = {
    "permission": Permission.TASK_ASSIGN,
    "scope": Scope.VISIBLE,
    "denied": _ONLY_TRACKER,
    "outside": "",
    "check": _check_changeable,
}
REVOKE = TaskAction(key=ActionKey.REVOKE, input_model=RevokeInput, apply=_apply_revoke, **_WHO)
UPDATE = TaskAction(key=ActionKey.UPDATE, input_model=UpdateInput, apply=_apply_update, **_WHO)
REPLACE = TaskAction(key=ActionKey.REPLACE, input_model=ReplaceInput, apply=_apply_replace, **_WHO)
