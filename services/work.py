"""What the lead unit does on a task: progress notes and the reply on the same flow (Điều 4.2)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models import Document, DocumentKind, EventAction, OrgUnit, Permission, TaskStatus
from models.schemas import ReplyCreate
from services.assignment import ensure_unique_code
from services.clock import fmt_date, local_date, now_utc
from services.errors import Conflict, InvalidInput, PermissionDenied
from services.journal import record_event
from services.org import office_unit
from services.permissions import Actor, require
from services.tasks import get_visible_task
from services.text import clean_text


def add_note(*, session: Session, actor: Actor, task_id: int, note: str, now: datetime | None = None) -> None:
    """Journal a progress note by the lead unit."""
    require(actor, Permission.TASK_NOTE, "Vai trò của bạn không được cập nhật tiến độ.")
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    if task.lead_unit_id != actor.unit_id:
        raise PermissionDenied("Chỉ đơn vị chủ trì được cập nhật tiến độ nhiệm vụ này.")
    if task.status is TaskStatus.DONE:
        raise Conflict("Nhiệm vụ đã được xác nhận hoàn thành.")
    text = clean_text(note, label="Nội dung cập nhật", field="note")
    record_event(session=session, actor=actor, task=task, action=EventAction.NOTE, at=now or now_utc(), note=text)
    session.commit()


def issue_reply(
    *, session: Session, actor: Actor, task_id: int, data: ReplyCreate, now: datetime | None = None
) -> Document:
    """Issue the reply document, linked to the task and its assignment document by construction."""
    require(actor, Permission.TASK_REPLY, "Chỉ văn thư hoặc lãnh đạo đơn vị được ban hành văn bản trả lời.")
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    if task.lead_unit_id != actor.unit_id:
        raise PermissionDenied("Chỉ đơn vị chủ trì được trả lời nhiệm vụ này.")
    if task.status is TaskStatus.REPLIED:
        raise Conflict("Nhiệm vụ đã có văn bản trả lời đang chờ Văn phòng UBND tỉnh xác nhận.")
    if task.status is TaskStatus.DONE:
        raise Conflict("Nhiệm vụ đã được xác nhận hoàn thành.")
    now = now or now_utc()
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
    summary = clean_text(data.summary, label="Trích yếu", field="summary")
    result = clean_text(data.result, label="Kết quả thực hiện", field="result", max_len=4000)
    signer = clean_text(data.signer, label="Người ký", field="signer", required=False, max_len=255)
    key = ensure_unique_code(
        session=session, issuer=unit.code, year=data.issue_date.year, code=code, label="Số/ký hiệu văn bản trả lời"
    )
    reply = Document(
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
    session.add(reply)
    task.status = TaskStatus.REPLIED
    session.add(task)
    record_event(
        session=session,
        actor=actor,
        task=task,
        action=EventAction.REPLIED,
        at=now,
        note=f"Văn bản {code} ngày {fmt_date(data.issue_date)}: {result}",
        from_unit_id=actor.unit_id,
        to_unit_id=office_unit(session=session).id,
    )
    session.commit()
    return reply
