"""Wrong unit (Điều 4.2): the unit says the task is not within its remit; VP UBND decides.

Accepted: the task is completed administratively (closed, counted for nobody from that day),
the unit's clerk may archive-close it, and VP UBND re-routes it as a new task of the same document to
the right unit, linked to the old one. Refused: the unit keeps it, with VP UBND's reason.
"""

from __future__ import annotations

from sqlmodel import select

from models import (
    ActionKey,
    CloseReason,
    EventAction,
    OrgUnit,
    Permission,
    RequestStatus,
    Task,
    TaskCoordinator,
    TaskEvent,
    TaskStatus,
    WrongUnitRequest,
)
from models.schemas import ArchiveInput, WrongUnitAcceptInput, WrongUnitRefuseInput, WrongUnitRequestInput
from services.actions.base import ActionContext, ActionOutcome, Scope, TaskAction
from services.infra.clock import fmt_date
from services.infra.errors import Conflict, ServiceError
from services.infra.text import clean_text
from services.infra.validation import FieldErrors, check_date, date_bounds
from services.journal.events import record_event
from services.org.units import office_unit, resolve_lead_unit
from services.stats.classify import deadline_as_of, load_facts
from services.tasks.requests import pending_request
from services.workflow.engine import close_flows, start_main_flow

_ONLY_TRACKER = "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh quyết định điều chỉnh."


# --- the unit's request ------------------------------------------------------------------------


def _check_request(ctx: ActionContext, data: WrongUnitRequestInput | None) -> ServiceError | None:
    if ctx.task.status is not TaskStatus.OPEN:
        return Conflict("Chỉ đề nghị điều chỉnh khi nhiệm vụ đang thực hiện (chưa trả lời, chưa kết thúc).")
    if pending_request(session=ctx.session, task_id=ctx.task_id) is not None:
        return Conflict("Đã có đề nghị điều chỉnh đang chờ Văn phòng UBND tỉnh xem xét.")
    return None


def _apply_request(ctx: ActionContext, data: WrongUnitRequestInput) -> ActionOutcome:
    text = clean_text(data.reason, label="Lý do không thuộc chức năng, nhiệm vụ", field="reason")
    ctx.session.add(
        WrongUnitRequest(task_id=ctx.task_id, reason=text, requested_by=ctx.actor.user_id, requested_at=ctx.now)
    )
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.WRONG_UNIT_REQUESTED,
        at=ctx.now,
        note=text,
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=office_unit(session=ctx.session).id,
    )
    return ActionOutcome("Đã gửi đề nghị điều chỉnh đến Văn phòng UBND tỉnh.")


# --- VP UBND's decision ------------------------------------------------------------------------


def _check_decision(ctx: ActionContext, data: object) -> ServiceError | None:
    if pending_request(session=ctx.session, task_id=ctx.task_id) is None:
        return Conflict("Nhiệm vụ không có đề nghị điều chỉnh đang chờ xem xét.")
    if ctx.task.status is not TaskStatus.OPEN:
        return Conflict(
            "Nhiệm vụ không còn ở đơn vị (đã trả lời, đã kết thúc hoặc đã bị thu hồi); không điều chỉnh được."
        )
    return None


def _apply_refuse(ctx: ActionContext, data: WrongUnitRefuseInput) -> ActionOutcome:
    request = pending_request(session=ctx.session, task_id=ctx.task_id)
    assert request is not None
    text = clean_text(data.note, label="Ý kiến của Văn phòng UBND tỉnh", field="note")
    request.status = RequestStatus.REFUSED
    request.decided_by, request.decided_at, request.decision_note = ctx.actor.user_id, ctx.now, text
    ctx.session.add(request)
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.WRONG_UNIT_REFUSED,
        at=ctx.now,
        note=text,
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=ctx.task.lead_unit_id,
    )
    return ActionOutcome("Đã trả lời đơn vị: không chấp nhận đề nghị điều chỉnh.")


def _apply_accept(ctx: ActionContext, data: WrongUnitAcceptInput) -> ActionOutcome:
    """Close the task administratively and re-route it as a new task linked to the old one."""
    session, actor, task, now, today = ctx.session, ctx.actor, ctx.task, ctx.now, ctx.today
    request = pending_request(session=session, task_id=ctx.task_id)
    assert request is not None
    errors = FieldErrors()  # every field refused together
    text = errors.take(
        lambda: clean_text(data.note, label="Ý kiến của Văn phòng UBND tỉnh", field="note", required=False), ""
    )
    new_lead: OrgUnit | None = None
    if not data.new_lead_unit_code:
        errors.add("Chọn đơn vị đúng chức năng để chuyển nhiệm vụ.", field="new_lead")
    else:
        new_lead = errors.take(
            lambda: resolve_lead_unit(session=session, code=data.new_lead_unit_code, label="Đơn vị chuyển đến"), None
        )
    if new_lead is not None and new_lead.id == task.lead_unit_id:
        errors.add("Đơn vị chuyển đến phải khác đơn vị đã đề nghị điều chỉnh.", field="new_lead")
    in_force = deadline_as_of(load_facts(session=session, task_ids=[ctx.task_id])[ctx.task_id], today)
    deadline = data.new_deadline or in_force
    if deadline < today:
        latest = date_bounds(today=today, limits=ctx.config.app)[1]
        errors.add(
            f"Hạn xử lý mới {fmt_date(deadline)} đã qua; chọn hạn từ hôm nay ({fmt_date(today)}) "
            f"đến {fmt_date(latest)}.",
            field="new_deadline",
        )
    else:
        errors.take(
            lambda: check_date(
                deadline, label="Hạn xử lý mới", field="new_deadline", today=today, limits=ctx.config.app
            ),
            None,
        )
    errors.raise_any()
    assert new_lead is not None
    old_unit = task.lead_unit_id
    task.status = TaskStatus.CLOSED
    task.closed_reason = CloseReason.WRONG_UNIT
    task.closed_on = today
    session.add(task)
    close_flows(session=session, task_id=ctx.task_id, now=now)
    new_task = Task(
        document_id=task.document_id,
        seq=task.seq,
        content=task.content,
        lead_unit_id=new_lead.id or 0,
        deadline=deadline,
        tracker_id=actor.user_id,
        created_by=actor.user_id,
        created_at=now,
        replaces_task_id=task.id,
    )
    session.add(new_task)
    session.flush()
    assert new_task.id is not None
    for coordinator in session.exec(select(TaskCoordinator).where(TaskCoordinator.task_id == task.id)).all():
        if coordinator.unit_id != new_lead.id:
            session.add(TaskCoordinator(task_id=new_task.id, unit_id=coordinator.unit_id))
    start_main_flow(session=session, config=ctx.config, task=new_task, now=now)
    request.status = RequestStatus.ACCEPTED
    request.decided_by, request.decided_at, request.decision_note = actor.user_id, now, text
    request.new_task_id = new_task.id
    session.add(request)
    record_event(
        session=session,
        actor=actor,
        task=task,
        action=EventAction.WRONG_UNIT_ACCEPTED,
        at=now,
        note=f"Đã hoàn thành về thủ tục (không tính cho đơn vị); chuyển {new_lead.short_name} "
        f"(nhiệm vụ #{new_task.id}). {text}".strip(),
        from_unit_id=actor.unit_id,
        to_unit_id=old_unit,
    )
    record_event(
        session=session,
        actor=actor,
        task=new_task,
        action=EventAction.REROUTED,
        at=now,
        note=f"Chuyển từ nhiệm vụ #{task.id} (không đúng đơn vị); hạn xử lý {fmt_date(deadline)}",
        from_unit_id=actor.unit_id,
        to_unit_id=new_lead.id,
    )
    return ActionOutcome(
        f"Đã chấp nhận đề nghị; nhiệm vụ chuyển {new_lead.short_name} (nhiệm vụ #{new_task.id}).",
        created_task_id=new_task.id,
    )


# --- the former lead unit's lưu kết thúc (its văn thư: task.archive in config/roles.yaml) ------------


def _check_archive(ctx: ActionContext, data: ArchiveInput | None) -> ServiceError | None:
    if ctx.task.closed_reason is not CloseReason.WRONG_UNIT:
        return Conflict("Chỉ lưu kết thúc khi Văn phòng UBND tỉnh đã chấp nhận điều chỉnh đơn vị.")
    archived = ctx.session.exec(
        select(TaskEvent.id).where(TaskEvent.task_id == ctx.task_id, TaskEvent.action == EventAction.ARCHIVED)
    ).first()
    if archived is not None:
        return Conflict("Văn bản đã được lưu kết thúc.")
    return None


def _apply_archive(ctx: ActionContext, data: ArchiveInput) -> ActionOutcome:
    record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.ARCHIVED,
        at=ctx.now,
        note="Lưu kết thúc văn bản giao nhiệm vụ (không thuộc chức năng của đơn vị)",
        from_unit_id=ctx.actor.unit_id,
    )
    return ActionOutcome("Đã lưu kết thúc văn bản.")


WRONG_UNIT_REQUEST = TaskAction(
    key=ActionKey.WRONG_UNIT_REQUEST,
    input_model=WrongUnitRequestInput,
    permission=Permission.TASK_WRONG_UNIT,
    scope=Scope.LEAD_UNIT,
    denied="Chỉ lãnh đạo đơn vị chủ trì đề nghị điều chỉnh đơn vị thực hiện.",
    outside="Chỉ đơn vị chủ trì đề nghị điều chỉnh đơn vị thực hiện.",
    check=_check_request,
    apply=_apply_request,
)
WRONG_UNIT_ACCEPT = TaskAction(
    key=ActionKey.WRONG_UNIT_ACCEPT,
    input_model=WrongUnitAcceptInput,
    permission=Permission.TASK_CONFIRM,
    scope=Scope.VISIBLE,
    denied=_ONLY_TRACKER,
    outside="",
    check=_check_decision,
    apply=_apply_accept,
)
WRONG_UNIT_REFUSE = TaskAction(
    key=ActionKey.WRONG_UNIT_REFUSE,
    input_model=WrongUnitRefuseInput,
    permission=Permission.TASK_CONFIRM,
    scope=Scope.VISIBLE,
    denied=_ONLY_TRACKER,
    outside="",
    check=_check_decision,
    apply=_apply_refuse,
)
ARCHIVE = TaskAction(
    key=ActionKey.ARCHIVE,
    input_model=ArchiveInput,
    # the roles config/roles.yaml grants it (the văn thư, who keeps the register), not everyone
    # who may read the unit's tasks: filing a document away is a step of its own
    permission=Permission.TASK_ARCHIVE,
    scope=Scope.LEAD_UNIT,  # the former lead unit of a task closed as wrong unit
    denied="Vai trò của bạn không lưu kết thúc văn bản.",
    outside="Chỉ đơn vị đã được giao lưu kết thúc văn bản này.",
    check=_check_archive,
    apply=_apply_archive,
)
