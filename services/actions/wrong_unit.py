"""Wrong unit (Điều 4.2): the unit says the task is not within its remit; VP UBND decides.

Accepted: the task is completed administratively (closed, counted for nobody from that day),
the unit may archive-close it, and VP UBND re-routes it as a new task of the same document to
the right unit, linked to the old one. Refused: the unit keeps it, with VP UBND's reason.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from models import (
    CloseReason,
    EventAction,
    Permission,
    RequestStatus,
    Task,
    TaskCoordinator,
    TaskEvent,
    TaskStatus,
    WrongUnitRequest,
)
from services.access.permissions import Actor, require
from services.config.loader import AppConfig
from services.infra.clock import fmt_date, local_date, now_utc
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.infra.text import clean_text
from services.org.units import office_unit
from services.stats.classify import deadline_as_of, load_facts
from services.tasks.assignment import resolve_lead_unit
from services.tasks.journal import record_event
from services.tasks.queries import get_visible_task
from services.workflow.engine import close_flows, start_main_flow


def pending_request(*, session: Session, task_id: int) -> WrongUnitRequest | None:
    return session.exec(
        select(WrongUnitRequest).where(
            WrongUnitRequest.task_id == task_id, WrongUnitRequest.status == RequestStatus.PENDING
        )
    ).first()


def request_wrong_unit(
    *, session: Session, actor: Actor, task_id: int, reason: str, now: datetime | None = None
) -> WrongUnitRequest:
    """The lead unit's leader states why the task is not theirs."""
    require(actor, Permission.TASK_WRONG_UNIT, "Chỉ lãnh đạo đơn vị chủ trì đề nghị điều chỉnh đơn vị thực hiện.")
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    if task.lead_unit_id != actor.unit_id:
        raise PermissionDenied("Chỉ đơn vị chủ trì đề nghị điều chỉnh đơn vị thực hiện.")
    if task.status is not TaskStatus.OPEN:
        raise Conflict("Chỉ đề nghị điều chỉnh khi nhiệm vụ đang thực hiện (chưa trả lời, chưa kết thúc).")
    if pending_request(session=session, task_id=task_id) is not None:
        raise Conflict("Đã có đề nghị điều chỉnh đang chờ Văn phòng UBND tỉnh xem xét.")
    text = clean_text(reason, label="Lý do không thuộc chức năng, nhiệm vụ", field="reason")
    now = now or now_utc()
    request = WrongUnitRequest(task_id=task_id, reason=text, requested_by=actor.user_id, requested_at=now)
    session.add(request)
    record_event(
        session=session,
        actor=actor,
        task=task,
        action=EventAction.WRONG_UNIT_REQUESTED,
        at=now,
        note=text,
        from_unit_id=actor.unit_id,
        to_unit_id=office_unit(session=session).id,
    )
    session.commit()
    return request


def list_pending_requests(*, session: Session, actor: Actor) -> list[WrongUnitRequest]:
    require(actor, Permission.TASK_CONFIRM, "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh xem đề nghị điều chỉnh.")
    return list(
        session.exec(
            select(WrongUnitRequest)
            .where(WrongUnitRequest.status == RequestStatus.PENDING)
            .order_by(col(WrongUnitRequest.requested_at))
        ).all()
    )


def decide_wrong_unit(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    request_id: int,
    accept: bool,
    note: str = "",
    new_lead_unit_code: str | None = None,
    new_deadline: date | None = None,
    now: datetime | None = None,
) -> Task | None:
    """VP UBND accepts (close + re-route, returns the new task) or refuses (reason required)."""
    require(actor, Permission.TASK_CONFIRM, "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh quyết định điều chỉnh.")
    request = session.get(WrongUnitRequest, request_id)
    if request is None or request.id is None:
        raise NotFound(f"Không tìm thấy đề nghị #{request_id}.")
    if request.status is not RequestStatus.PENDING:
        raise Conflict("Đề nghị này đã được xử lý.")
    task = session.get(Task, request.task_id)
    assert task is not None and task.id is not None
    if task.status is not TaskStatus.OPEN:
        raise Conflict(
            "Nhiệm vụ không còn ở đơn vị (đã trả lời, đã kết thúc hoặc đã bị thu hồi); không điều chỉnh được."
        )
    now = now or now_utc()
    today = local_date(now)
    text = clean_text(note, label="Ý kiến của Văn phòng UBND tỉnh", field="note", required=not accept)
    if not accept:
        request.status = RequestStatus.REFUSED
        request.decided_by, request.decided_at, request.decision_note = actor.user_id, now, text
        session.add(request)
        record_event(
            session=session,
            actor=actor,
            task=task,
            action=EventAction.WRONG_UNIT_REFUSED,
            at=now,
            note=text,
            from_unit_id=actor.unit_id,
            to_unit_id=task.lead_unit_id,
        )
        session.commit()
        return None
    if not new_lead_unit_code:
        raise InvalidInput("Chọn đơn vị đúng chức năng để chuyển nhiệm vụ.", field="new_lead")
    new_lead = resolve_lead_unit(session=session, code=new_lead_unit_code, label="Đơn vị chuyển đến")
    if new_lead.id == task.lead_unit_id:
        raise InvalidInput("Đơn vị chuyển đến phải khác đơn vị đã đề nghị điều chỉnh.", field="new_lead")
    in_force = deadline_as_of(load_facts(session=session, task_ids=[task.id])[task.id], today)
    deadline = new_deadline or in_force
    if deadline < today:
        raise InvalidInput(f"Hạn xử lý mới {fmt_date(deadline)} đã qua; chọn hạn từ hôm nay.", field="new_deadline")
    old_unit = task.lead_unit_id
    task.status = TaskStatus.CLOSED
    task.closed_reason = CloseReason.WRONG_UNIT
    task.closed_on = today
    session.add(task)
    close_flows(session=session, task_id=task.id, now=now)
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
    start_main_flow(session=session, config=config, task=new_task, now=now)
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
    session.commit()
    return new_task


def archive_wrong_unit(*, session: Session, actor: Actor, task_id: int, now: datetime | None = None) -> None:
    """The former lead unit's clerk archive-closes (lưu kết thúc) the task VP UBND took back."""
    require(actor, Permission.UNIT_TASKS_VIEW, "Vai trò của bạn không lưu kết thúc văn bản.")
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    if task.lead_unit_id != actor.unit_id:
        raise PermissionDenied("Chỉ đơn vị đã được giao lưu kết thúc văn bản này.")
    if task.closed_reason is not CloseReason.WRONG_UNIT:
        raise Conflict("Chỉ lưu kết thúc khi Văn phòng UBND tỉnh đã chấp nhận điều chỉnh đơn vị.")
    if EventAction.ARCHIVED in _events(session, task_id):
        raise Conflict("Văn bản đã được lưu kết thúc.")
    record_event(
        session=session,
        actor=actor,
        task=task,
        action=EventAction.ARCHIVED,
        at=now or now_utc(),
        note="Lưu kết thúc văn bản giao nhiệm vụ (không thuộc chức năng của đơn vị)",
        from_unit_id=actor.unit_id,
    )
    session.commit()


def _events(session: Session, task_id: int) -> list[str]:
    return list(session.exec(select(TaskEvent.action).where(TaskEvent.task_id == task_id)).all())


def drop_pending_request(*, session: Session, actor: Actor, task_id: int, why: str, now: datetime) -> None:
    """A task revoked or replaced takes its pending request with it (no commit)."""
    request = pending_request(session=session, task_id=task_id)
    if request is not None:
        request.status = RequestStatus.REFUSED
        request.decided_by, request.decided_at, request.decision_note = actor.user_id, now, why
        session.add(request)
