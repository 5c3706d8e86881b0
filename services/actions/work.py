"""What the lead unit does on a task: progress notes and the reply on the same flow (Điều 4.2)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models import (
    Confirmation,
    ConfirmOutcome,
    Document,
    DocumentKind,
    EventAction,
    OrgUnit,
    Permission,
    Task,
    TaskCoordinator,
    TaskStatus,
)
from models.schemas import ReplyCreate
from services.access.permissions import Actor, require
from services.config.loader import AppConfig
from services.infra.clock import fmt_date, local_date, now_utc
from services.infra.errors import Conflict, InvalidInput, PermissionDenied
from services.infra.text import clean_text
from services.org.units import office_unit
from services.tasks.assignment import ensure_unique_code
from services.tasks.journal import record_event
from services.tasks.queries import get_visible_task
from services.workflow.engine import available_actions, fire, main_flow, unit_holds_task


def add_note(*, session: Session, actor: Actor, task_id: int, note: str, now: datetime | None = None) -> None:
    """Journal a progress note by the lead unit."""
    require(actor, Permission.TASK_NOTE, "Vai trò của bạn không được cập nhật tiến độ.")
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    if task.lead_unit_id != actor.unit_id and not unit_holds_task(
        session=session, unit_id=actor.unit_id, task_id=task_id
    ):
        raise PermissionDenied("Chỉ đơn vị chủ trì (hoặc phòng, đơn vị trực thuộc được chuyển) cập nhật tiến độ.")
    if task.status is TaskStatus.DONE:
        raise Conflict("Nhiệm vụ đã được xác nhận hoàn thành.")
    if task.status is TaskStatus.CLOSED:
        raise Conflict("Nhiệm vụ đã kết thúc.")
    text = clean_text(note, label="Nội dung cập nhật", field="note")
    record_event(session=session, actor=actor, task=task, action=EventAction.NOTE, at=now or now_utc(), note=text)
    session.commit()


def _check_may_reply(actor: Actor, task: Task) -> None:
    """Only the lead unit replies, once per round, to a task still open."""
    if task.lead_unit_id != actor.unit_id:
        raise PermissionDenied("Chỉ đơn vị chủ trì được trả lời nhiệm vụ này.")
    if task.status is TaskStatus.REPLIED:
        raise Conflict("Nhiệm vụ đã có văn bản trả lời đang chờ Văn phòng UBND tỉnh xác nhận.")
    if task.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        raise Conflict("Nhiệm vụ đã kết thúc.")


def prepare_reply(*, session: Session, actor: Actor, task: Task, data: ReplyCreate, now: datetime) -> Document:
    """Validate the reply and build its document, linked to the task and its assignment.

    Nothing is written: the workflow's last step (``issue_reply: true``) calls this before it
    changes anything, then ``record_reply``. A reply exists only on the flow it answers.
    """
    _check_may_reply(actor, task)
    today = local_date(now)
    assignment = session.get(Document, task.document_id)
    unit = session.get(OrgUnit, actor.unit_id)
    assert assignment is not None and assignment.id is not None and unit is not None and task.id is not None
    code = clean_text(data.code, label="Số/ký hiệu văn bản trả lời", field="code", max_len=100)
    if data.issue_date > today:
        raise InvalidInput(f"Ngày văn bản trả lời {fmt_date(data.issue_date)} sau ngày hôm nay.", field="issue_date")
    if data.issue_date < assignment.issue_date:
        raise InvalidInput(
            f"Ngày văn bản trả lời {fmt_date(data.issue_date)} trước ngày văn bản giao "
            f"{fmt_date(assignment.issue_date)}.",
            field="issue_date",
        )
    last_verdict = session.exec(
        select(col(Confirmation.confirmed_on))
        .where(Confirmation.task_id == task.id, Confirmation.outcome == ConfirmOutcome.NOT_DONE)
        .order_by(col(Confirmation.confirmed_on).desc())
    ).first()
    if last_verdict is not None and data.issue_date < last_verdict:
        raise InvalidInput(
            f"Ngày văn bản trả lời {fmt_date(data.issue_date)} trước ngày Văn phòng UBND tỉnh xác nhận "
            f"chưa hoàn thành ({fmt_date(last_verdict)}); văn bản trả lời mới phải ban hành từ ngày đó.",
            field="issue_date",
        )
    summary = clean_text(data.summary, label="Trích yếu", field="summary")
    result = clean_text(data.result, label="Kết quả thực hiện", field="result", max_len=4000)
    signer = clean_text(data.signer, label="Người ký", field="signer", required=False, max_len=255)
    key = ensure_unique_code(
        session=session, issuer=unit.code, year=data.issue_date.year, code=code, label="Số/ký hiệu văn bản trả lời"
    )
    return Document(
        kind=DocumentKind.REPLY,
        issuer=unit.code,
        code=code,
        code_key=key,
        issue_date=data.issue_date,
        issue_year=data.issue_date.year,
        summary=summary,
        signer=signer,
        result=result,
        unit_id=unit.id,
        reply_to_id=assignment.id,
        task_id=task.id,
        created_by=actor.user_id,
        created_at=now,
    )


def record_reply(
    *,
    session: Session,
    actor: Actor,
    task: Task,
    reply: Document,
    now: datetime,
    note: str = "",
    flow_id: int | None = None,
    transition: str | None = None,
    step: int | None = None,
    from_state: str | None = None,
) -> None:
    """Add the prepared reply, mark the task replied and journal it (no commit).

    The workflow step that issues the reply passes its flow, transition and step, so the journal
    holds one entry for it, not a step entry and a reply entry. ``note`` is what the clerk wrote
    at that step. A pending "not our remit" request is dropped: the unit answered after all.
    """
    from services.actions.wrong_unit import drop_pending_request  # wrong_unit imports this module's neighbours

    assert task.id is not None
    drop_pending_request(session=session, actor=actor, task_id=task.id, why="Đơn vị đã trả lời nhiệm vụ.", now=now)
    session.add(reply)
    task.status = TaskStatus.REPLIED
    session.add(task)
    record_event(
        session=session,
        actor=actor,
        task=task,
        action=EventAction.REPLIED,
        at=now,
        note=f"Văn bản {reply.code} ngày {fmt_date(reply.issue_date)}: {reply.result}" + (f"\n{note}" if note else ""),
        from_unit_id=actor.unit_id,
        to_unit_id=office_unit(session=session).id,
        flow_id=flow_id,
        transition=transition,
        step=step,
        from_state=from_state,
    )


def issue_reply(
    *, session: Session, actor: Actor, config: AppConfig, task_id: int, data: ReplyCreate, now: datetime | None = None
) -> Document:
    """Issue the unit's reply: fire the last step of the lead unit's flow (văn thư ban hành)."""
    require(actor, Permission.TASK_REPLY, "Chỉ văn thư hoặc lãnh đạo đơn vị được ban hành văn bản trả lời.")
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    _check_may_reply(actor, task)
    step = next(
        (a for a in available_actions(session=session, actor=actor, config=config, task_id=task_id) if a.issue_reply),
        None,
    )
    if step is None:
        flow = main_flow(session=session, task_id=task_id)
        if flow is not None:
            for tr in config.workflows.workflows[flow.workflow].transitions.values():
                if tr.issue_reply and flow.state in tr.from_states:
                    roles = ", ".join(config.role_label(r) for r in tr.roles)
                    raise PermissionDenied(f"Bước “{tr.label}” dành cho {roles} của đơn vị đang xử lý.")
        where = config.workflows.workflows[flow.workflow].states[flow.state].label if flow else "?"
        raise Conflict(f"Chưa đến bước ban hành văn bản trả lời: nhiệm vụ đang ở bước “{where}”.")
    fire(
        session=session,
        actor=actor,
        config=config,
        flow_id=step.flow_id,
        workflow=step.workflow,
        transition=step.transition,
        reply=data,
        now=now,
    )
    reply = session.exec(select(Document).where(Document.task_id == task_id).order_by(col(Document.id).desc())).first()
    assert reply is not None
    return reply


def contribute(*, session: Session, actor: Actor, task_id: int, note: str, now: datetime | None = None) -> None:
    """A coordinating unit sends its contribution to the lead unit (journaled, never counted)."""
    require(actor, Permission.TASK_CONTRIBUTE, "Vai trò của bạn không gửi ý kiến phối hợp.")
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    if session.get(TaskCoordinator, (task_id, actor.unit_id)) is None:
        raise PermissionDenied("Chỉ đơn vị phối hợp gửi ý kiến phối hợp cho đơn vị chủ trì.")
    if task.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        raise Conflict("Nhiệm vụ đã kết thúc.")
    text = clean_text(note, label="Ý kiến phối hợp", field="note")
    record_event(
        session=session,
        actor=actor,
        task=task,
        action=EventAction.CONTRIBUTION,
        at=now or now_utc(),
        note=text,
        from_unit_id=actor.unit_id,
        to_unit_id=task.lead_unit_id,
    )
    session.commit()
