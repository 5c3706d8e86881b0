"""Xin gia hạn: the lead unit's leader asks VP UBND for a later deadline; VP UBND grants or refuses.

A grant adds an ``Extension`` granted today, exactly as a "not done" verdict with a new deadline
does: the deadline in force changes from that day (``services.stats.classify.deadline_as_of``),
the spans are rebuilt at commit, and every figure follows by the rule it already has. A reply is
still judged against the deadline in force on its own date, so a grant never turns a reply dated
before it from late to on time.

The limits of ``extension_requests`` (config/app.yaml) bound what may be asked: requests per
task, days beyond the deadline in force, and whether a unit may ask once it has passed. The
tracker grants the date asked or an earlier one (never a later one: the unit asked for no more).
"""

from __future__ import annotations

from datetime import date, timedelta

from models import ActionKey, EventAction, Extension, ExtensionRequest, Permission, RequestStatus, TaskStatus
from models.extensions import ExtensionGrantInput, ExtensionRefuseInput, ExtensionRequestInput
from services.actions.base import ActionContext, ActionOutcome, Scope, TaskAction
from services.infra.clock import fmt_date
from services.infra.errors import Conflict, ServiceError
from services.infra.text import clean_text
from services.infra.validation import FieldErrors, check_date, date_bounds
from services.journal.events import record_event
from services.org.units import office_unit
from services.stats.classify import deadline_as_of, load_facts
from services.tasks.extension_requests import ONLY_TRACKER, pending_extension, requests_made

REQUESTED_LABEL = "Ngày xin gia hạn đến"
GRANTED_LABEL = "Gia hạn đến ngày"


def _in_force(ctx: ActionContext) -> date:
    """The deadline in force today (the original one, or the latest extension granted by today)."""
    return deadline_as_of(load_facts(session=ctx.session, task_ids=[ctx.task_id])[ctx.task_id], ctx.today)


def _later_deadline(
    ctx: ActionContext, errors: FieldErrors, day: date | None, *, label: str, field: str, in_force: date
) -> None:
    """A new deadline: given, not past, after the one in force, within the dates a person may enter."""
    if day is None:
        errors.add(f"Nhập {label.lower()} (dd/mm/yyyy).", field=field)
    elif day < ctx.today:
        latest = date_bounds(today=ctx.today, limits=ctx.config.app)[1]
        errors.add(
            f"{label} {fmt_date(day)} đã qua: chỉ nhận ngày từ hôm nay ({fmt_date(ctx.today)}) đến {fmt_date(latest)}.",
            field=field,
        )
    elif day <= in_force:
        errors.add(
            f"{label} {fmt_date(day)} phải sau hạn xử lý hiện tại ({fmt_date(in_force)}).",
            field=field,
        )
    else:
        errors.take(lambda: check_date(day, label=label, field=field, today=ctx.today, limits=ctx.config.app), None)


# --- the unit's request ------------------------------------------------------------------------


def _check_request(ctx: ActionContext, data: ExtensionRequestInput | None) -> ServiceError | None:
    status = ctx.task.status
    if status is TaskStatus.REPLIED:
        return Conflict("Nhiệm vụ đã có văn bản trả lời chờ Văn phòng UBND tỉnh xác nhận; không xin gia hạn được.")
    if status is TaskStatus.DONE:
        return Conflict("Nhiệm vụ đã hoàn thành; không xin gia hạn được.")
    if status is TaskStatus.CLOSED:
        return Conflict("Nhiệm vụ đã kết thúc (không đúng đơn vị, thu hồi hoặc thay thế); không xin gia hạn được.")
    pending = pending_extension(session=ctx.session, task_id=ctx.task_id)
    if pending is not None:
        return Conflict(
            f"Đã có đề nghị gia hạn đến {fmt_date(pending.requested_deadline)} đang chờ Văn phòng UBND tỉnh xem xét."
        )
    limits = ctx.config.app.extension_requests
    made = requests_made(session=ctx.session, task_id=ctx.task_id)
    if made >= limits.max_per_task:
        return Conflict(f"Nhiệm vụ đã xin gia hạn {made} lần: mỗi nhiệm vụ được xin tối đa {limits.max_per_task} lần.")
    if not limits.allow_after_deadline:
        in_force = _in_force(ctx)
        if ctx.today > in_force:
            return Conflict(f"Hạn xử lý {fmt_date(in_force)} đã qua: không xin gia hạn sau khi nhiệm vụ đã quá hạn.")
    return None


def _apply_request(ctx: ActionContext, data: ExtensionRequestInput) -> ActionOutcome:
    in_force = _in_force(ctx)
    limits = ctx.config.app.extension_requests
    errors = FieldErrors()  # the date and the reason, refused together
    reason = errors.take(lambda: clean_text(data.reason, label="Lý do xin gia hạn", field="reason"), "")
    wanted = data.requested_deadline
    _later_deadline(ctx, errors, wanted, label=REQUESTED_LABEL, field="requested_deadline", in_force=in_force)
    furthest = in_force + timedelta(days=limits.max_days)
    if errors.ok("requested_deadline") and wanted is not None and wanted > furthest:
        errors.add(
            f"{REQUESTED_LABEL} {fmt_date(wanted)} quá xa: chỉ được xin tối đa {limits.max_days} ngày sau hạn "
            f"xử lý hiện tại ({fmt_date(in_force)}), tức đến {fmt_date(furthest)}.",
            field="requested_deadline",
        )
    errors.raise_any()
    assert wanted is not None
    ctx.session.add(
        ExtensionRequest(
            task_id=ctx.task_id,
            requested_deadline=wanted,
            deadline_before=in_force,
            reason=reason,
            requested_by=ctx.actor.user_id,
            requested_at=ctx.now,
        )
    )
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.EXTENSION_REQUESTED,
        at=ctx.now,
        note=f"Xin gia hạn đến {fmt_date(wanted)} (hạn xử lý hiện tại {fmt_date(in_force)}). Lý do: {reason}",
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=office_unit(session=ctx.session).id,
    )
    return ActionOutcome(f"Đã gửi đề nghị gia hạn đến {fmt_date(wanted)}; chờ Văn phòng UBND tỉnh xem xét.")


# --- VP UBND's decision ------------------------------------------------------------------------


def _check_decision(ctx: ActionContext, data: object) -> ServiceError | None:
    if pending_extension(session=ctx.session, task_id=ctx.task_id) is None:
        return Conflict("Nhiệm vụ không có đề nghị gia hạn đang chờ xem xét (có thể đã được quyết định).")
    if ctx.task.status is TaskStatus.REPLIED:
        return Conflict(
            "Nhiệm vụ đã có văn bản trả lời chờ xác nhận: xác nhận kết quả trước; đề nghị gia hạn được xem xét "
            "khi nhiệm vụ trở lại đơn vị."
        )
    if ctx.task.status is not TaskStatus.OPEN:
        return Conflict("Nhiệm vụ đã hoàn thành hoặc đã kết thúc; không gia hạn được.")
    return None


def _decided(ctx: ActionContext, request: ExtensionRequest, status: RequestStatus, note: str) -> None:
    request.status = status
    request.decided_by, request.decided_at, request.decision_note = ctx.actor.user_id, ctx.now, note
    ctx.session.add(request)


def _apply_grant(ctx: ActionContext, data: ExtensionGrantInput) -> ActionOutcome:
    request = pending_extension(session=ctx.session, task_id=ctx.task_id)
    assert request is not None
    in_force = _in_force(ctx)
    errors = FieldErrors()
    note = errors.take(lambda: clean_text(data.note, label="Ý kiến", field="note", required=False), "")
    granted = data.granted_deadline or request.requested_deadline
    if granted > request.requested_deadline:
        errors.add(
            f"{GRANTED_LABEL} {fmt_date(granted)} sau ngày đơn vị xin ({fmt_date(request.requested_deadline)}): "
            "chỉ gia hạn đến ngày đơn vị xin hoặc sớm hơn.",
            field="granted_deadline",
        )
    else:
        _later_deadline(ctx, errors, granted, label=GRANTED_LABEL, field="granted_deadline", in_force=in_force)
    errors.raise_any()
    extension = Extension(
        task_id=ctx.task_id,
        new_deadline=granted,
        granted_on=ctx.today,
        reason=f"Đơn vị xin gia hạn: {request.reason}",
        actor_id=ctx.actor.user_id,
        created_at=ctx.now,
    )
    ctx.session.add(extension)
    ctx.session.flush()
    _decided(ctx, request, RequestStatus.ACCEPTED, note)
    request.granted_deadline, request.extension_id = granted, extension.id
    asked = "" if granted == request.requested_deadline else f"; đơn vị xin đến {fmt_date(request.requested_deadline)}"
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.EXTENSION_GRANTED,
        at=ctx.now,
        note=f"Gia hạn đến {fmt_date(granted)} (hạn trước đó {fmt_date(in_force)}{asked})."
        + (f" Ý kiến: {note}" if note else ""),
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=ctx.task.lead_unit_id,
    )
    return ActionOutcome(f"Đã đồng ý gia hạn nhiệm vụ #{ctx.task_id} đến {fmt_date(granted)}.")


def _apply_refuse(ctx: ActionContext, data: ExtensionRefuseInput) -> ActionOutcome:
    request = pending_extension(session=ctx.session, task_id=ctx.task_id)
    assert request is not None
    note = clean_text(data.note, label="Lý do không đồng ý", field="note")
    in_force = _in_force(ctx)
    _decided(ctx, request, RequestStatus.REFUSED, note)
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.EXTENSION_REFUSED,
        at=ctx.now,
        note=f"Không đồng ý gia hạn đến {fmt_date(request.requested_deadline)}; hạn xử lý vẫn là "
        f"{fmt_date(in_force)}. Lý do: {note}",
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=ctx.task.lead_unit_id,
    )
    return ActionOutcome(
        f"Đã trả lời đơn vị: không đồng ý gia hạn nhiệm vụ #{ctx.task_id} (hạn xử lý vẫn là {fmt_date(in_force)})."
    )


EXTENSION_REQUEST = TaskAction(
    key=ActionKey.EXTENSION_REQUEST,
    input_model=ExtensionRequestInput,
    # the lead unit leader's request to VP UBND, as "not our remit" is (config/roles.yaml: the leader)
    permission=Permission.TASK_WRONG_UNIT,
    scope=Scope.LEAD_UNIT,
    denied="Chỉ lãnh đạo đơn vị chủ trì xin gia hạn.",
    outside="Chỉ đơn vị chủ trì xin gia hạn.",
    check=_check_request,
    apply=_apply_request,
)
EXTENSION_GRANT = TaskAction(
    key=ActionKey.EXTENSION_GRANT,
    input_model=ExtensionGrantInput,
    permission=Permission.TASK_CONFIRM,
    scope=Scope.VISIBLE,
    denied=ONLY_TRACKER,
    outside="",
    check=_check_decision,
    apply=_apply_grant,
)
EXTENSION_REFUSE = TaskAction(
    key=ActionKey.EXTENSION_REFUSE,
    input_model=ExtensionRefuseInput,
    permission=Permission.TASK_CONFIRM,
    scope=Scope.VISIBLE,
    denied=ONLY_TRACKER,
    outside="",
    check=_check_decision,
    apply=_apply_refuse,
)
