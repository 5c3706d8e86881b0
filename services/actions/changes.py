"""VP UBND changes an assignment already sent (Điều 4.2): revoke (thu hồi), update, replace.

The change reaches every unit and sub-unit holding the task (their flows stop, or carry the
new content), is journaled, and the statistics follow at once: a revoked or replaced task
counts for nobody from the day it was closed; a new deadline is an extension with history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from models import CloseReason, EventAction, Extension, Permission, Task, TaskStatus
from models.schemas import TaskCreate
from services.access.permissions import Actor, require
from services.actions.wrong_unit import drop_pending_request
from services.config.loader import AppConfig
from services.infra.clock import fmt_date, local_date, now_utc
from services.infra.errors import Conflict, InvalidInput, NotFound
from services.infra.text import clean_text
from services.tasks.assignment import resolve_lead_unit
from services.tasks.journal import record_event
from services.workflow.engine import close_flows, start_main_flow

_ONLY_TRACKER = "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh thay đổi nhiệm vụ đã giao."


def _changeable(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.id is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ #{task_id}.")
    if task.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        raise Conflict("Nhiệm vụ đã kết thúc, không thay đổi được.")
    return task


def _close(session: Session, actor: Actor, task: Task, reason: CloseReason, now: datetime) -> None:
    assert task.id is not None
    drop_pending_request(
        session=session, actor=actor, task_id=task.id, why="Nhiệm vụ đã bị thu hồi hoặc thay thế.", now=now
    )
    task.status = TaskStatus.CLOSED
    task.closed_reason = reason
    task.closed_on = local_date(now)
    session.add(task)
    close_flows(session=session, task_id=task.id, now=now)


def revoke_task(*, session: Session, actor: Actor, task_id: int, reason: str, now: datetime | None = None) -> Task:
    """Thu hồi: the task stops everywhere and counts for nobody from today."""
    require(actor, Permission.TASK_ASSIGN, _ONLY_TRACKER)
    task = _changeable(session, task_id)
    text = clean_text(reason, label="Lý do thu hồi", field="reason")
    now = now or now_utc()
    _close(session, actor, task, CloseReason.REVOKED, now)
    record_event(
        session=session,
        actor=actor,
        task=task,
        action=EventAction.REVOKED,
        at=now,
        note=text,
        from_unit_id=actor.unit_id,
        to_unit_id=task.lead_unit_id,
    )
    session.commit()
    return task


def update_task(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    reason: str,
    content: str | None = None,
    deadline: date | None = None,
    now: datetime | None = None,
) -> Task:
    """Correct the content and/or the deadline; a new deadline is kept as an extension."""
    require(actor, Permission.TASK_ASSIGN, _ONLY_TRACKER)
    task = _changeable(session, task_id)
    text = clean_text(reason, label="Lý do cập nhật", field="reason")
    now = now or now_utc()
    today = local_date(now)
    changes: list[str] = []
    new_content = clean_text(content, label="Nội dung nhiệm vụ", field="content", required=False, max_len=4000)
    if new_content and new_content != task.content:
        changes.append(f"nội dung: “{task.content}” → “{new_content}”")
        task.content = new_content
    if deadline is not None:
        if deadline < today:
            raise InvalidInput(f"Hạn xử lý mới {fmt_date(deadline)} đã qua.", field="deadline")
        assert task.id is not None
        session.add(
            Extension(
                task_id=task.id,
                new_deadline=deadline,
                granted_on=today,
                reason=f"Cập nhật nhiệm vụ: {text}",
                actor_id=actor.user_id,
                created_at=now,
            )
        )
        changes.append(f"hạn xử lý → {fmt_date(deadline)}")
    if not changes:
        raise InvalidInput("Không có thay đổi nào để cập nhật.", field="content")
    session.add(task)
    record_event(
        session=session,
        actor=actor,
        task=task,
        action=EventAction.UPDATED,
        at=now,
        note="; ".join(changes) + f". Lý do: {text}",
        from_unit_id=actor.unit_id,
        to_unit_id=task.lead_unit_id,
    )
    session.commit()
    return task


def replace_task(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    task_id: int,
    data: TaskCreate,
    reason: str,
    now: datetime | None = None,
) -> Task:
    """Replace a task by a new one of the same document (linked to it); the old one closes."""
    require(actor, Permission.TASK_ASSIGN, _ONLY_TRACKER)
    old = _changeable(session, task_id)
    text = clean_text(reason, label="Lý do thay thế", field="reason")
    now = now or now_utc()
    today = local_date(now)
    content = clean_text(data.content, label="Nội dung nhiệm vụ mới", field="content", max_len=4000)
    if not data.lead_unit_code.strip():
        raise InvalidInput("Nhiệm vụ thay thế phải có đúng một đơn vị chủ trì.", field="lead")
    lead = resolve_lead_unit(session=session, code=data.lead_unit_code, label="Đơn vị chủ trì")
    if data.deadline is None or data.deadline < today:
        raise InvalidInput("Nhập hạn xử lý của nhiệm vụ thay thế, từ hôm nay trở đi.", field="deadline")
    _close(session, actor, old, CloseReason.REPLACED, now)
    new = Task(
        document_id=old.document_id,
        seq=old.seq,
        content=content,
        lead_unit_id=lead.id or 0,
        deadline=data.deadline,
        tracker_id=actor.user_id,
        created_by=actor.user_id,
        created_at=now,
        replaces_task_id=old.id,
    )
    session.add(new)
    session.flush()
    start_main_flow(session=session, config=config, task=new, now=now)
    record_event(
        session=session,
        actor=actor,
        task=old,
        action=EventAction.REPLACED,
        at=now,
        note=f"Thay thế bằng nhiệm vụ #{new.id}. Lý do: {text}",
        from_unit_id=actor.unit_id,
        to_unit_id=old.lead_unit_id,
    )
    record_event(
        session=session,
        actor=actor,
        task=new,
        action=EventAction.ASSIGNED,
        at=now,
        note=f"Thay thế nhiệm vụ #{old.id}; hạn xử lý {fmt_date(data.deadline)}",
        from_unit_id=actor.unit_id,
        to_unit_id=lead.id,
    )
    session.commit()
    return new
