"""Xác nhận kết quả: VP UBND's tracker judges each reply (Điều 5.2).

On time or late is never typed: it follows from the reply date and the deadline in force.
"Not done" needs a reason and may grant a new deadline (an Extension, history kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists
from sqlmodel import Session, col, select

from models import (
    ActionKey,
    Confirmation,
    ConfirmOutcome,
    Document,
    EventAction,
    Extension,
    Permission,
    Task,
    TaskStatus,
)
from models.schemas import ConfirmationCreate
from services.access.permissions import Actor, require
from services.actions.base import ActionContext, ActionOutcome, Scope, TaskAction
from services.infra.clock import fmt_date, local_date
from services.infra.errors import Conflict, ServiceError
from services.infra.text import clean_text
from services.infra.validation import FieldErrors, check_date, date_bounds
from services.journal.events import record_event
from services.org.units import unit_names
from services.stats.classify import classify, load_facts
from services.workflow.engine import restart_main_flow


@dataclass(frozen=True)
class PendingReply:
    """A reply waiting for confirmation, with its age in days."""

    task_id: int
    reply_id: int
    unit_name: str
    assignment_code: str
    content: str
    deadline: date
    reply_code: str
    reply_date: date
    result: str
    age_days: int
    on_time: bool
    entered_on: date  # the day the reply was entered: beside reply_date, it shows a backdated reply
    backdate_reason: str | None  # the clerk's "Lý do ghi lùi ngày": the reply is flagged (None: it is not)

    @property
    def backdated(self) -> bool:
        """Dated further back than the configuration lets a reply be without a reason."""
        return self.backdate_reason is not None


def _latest_unconfirmed_reply(session: Session, task_id: int) -> Document | None:
    """The task's newest reply that no verdict answered yet (one query: the guard and the verdict
    both ask, in the transaction a tracker waits for)."""
    confirmed = select(Confirmation.id).where(
        Confirmation.task_id == task_id, col(Confirmation.reply_id) == col(Document.id)
    )
    return session.exec(
        select(Document)
        .where(Document.task_id == task_id, ~exists(confirmed))
        .order_by(col(Document.id).desc())
        .limit(1)
    ).first()


def list_pending(*, session: Session, actor: Actor, today: date) -> list[PendingReply]:
    """Replies awaiting confirmation, oldest first."""
    require(actor, Permission.TASK_CONFIRM, "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được xác nhận kết quả.")
    tasks = list(session.exec(select(Task).where(Task.status == TaskStatus.REPLIED)).all())
    facts = load_facts(session=session, task_ids=[t.id for t in tasks if t.id is not None])
    names = unit_names(session=session)
    doc_ids = {t.document_id for t in tasks}
    docs = {d.id: d for d in session.exec(select(Document).where(col(Document.id).in_(doc_ids))).all()}
    pending: list[PendingReply] = []
    for t in tasks:
        assert t.id is not None
        reply = _latest_unconfirmed_reply(session, t.id)
        if reply is None or reply.id is None:
            continue
        state = classify(facts[t.id], today)
        pending.append(
            PendingReply(
                task_id=t.id,
                reply_id=reply.id,
                unit_name=names.get(t.lead_unit_id, "?"),
                assignment_code=docs[t.document_id].code,
                content=t.content,
                deadline=state.deadline,
                reply_code=reply.code,
                reply_date=reply.issue_date,
                result=reply.result,
                age_days=(today - local_date(reply.created_at)).days,
                on_time=reply.issue_date <= state.deadline,
                entered_on=reply.entered_on or local_date(reply.created_at),
                backdate_reason=reply.backdate_reason,
            )
        )
    return sorted(pending, key=lambda p: (-p.age_days, p.task_id))


def _backdated_words(reply: Document) -> str:
    """The verdict on a backdated reply says so: the figure it makes rests on the clerk's reason."""
    if reply.backdate_reason is None:
        return ""
    entered = reply.entered_on or local_date(reply.created_at)
    return f"; trả lời ghi lùi ngày, nhập ngày {fmt_date(entered)}"


def _pending_reply(ctx: ActionContext) -> Document | None:
    """``_latest_unconfirmed_reply``, read once per action: the guard reads it, the verdict judges it."""
    if "pending_reply" not in ctx.read:
        ctx.read["pending_reply"] = _latest_unconfirmed_reply(ctx.session, ctx.task_id)
    found: Document | None = ctx.read["pending_reply"]
    return found


def _check_confirm(ctx: ActionContext, data: ConfirmationCreate | None) -> ServiceError | None:
    if ctx.task.status is TaskStatus.DONE:
        return Conflict("Nhiệm vụ đã được xác nhận hoàn thành.")
    if ctx.task.status is TaskStatus.CLOSED:
        return Conflict("Nhiệm vụ đã kết thúc (không đúng đơn vị, thu hồi hoặc thay thế).")
    if ctx.task.status is not TaskStatus.REPLIED or _pending_reply(ctx) is None:
        return Conflict("Nhiệm vụ chưa có văn bản trả lời nên chưa thể xác nhận.")
    return None


def _apply_confirm(ctx: ActionContext, data: ConfirmationCreate) -> ActionOutcome:
    """Record the verdict on the pending reply of a task and journal it."""
    session, actor, task, now, today = ctx.session, ctx.actor, ctx.task, ctx.now, ctx.today
    reply = _pending_reply(ctx)
    assert reply is not None and reply.id is not None
    errors = FieldErrors()  # the reason and the new deadline, refused together
    reason = errors.take(
        lambda: clean_text(
            data.reason, label="Lý do", field="reason", required=data.outcome is ConfirmOutcome.NOT_DONE
        ),
        "",
    )
    if data.outcome is ConfirmOutcome.DONE and data.new_deadline is not None:
        errors.add("Chỉ gia hạn khi xác nhận chưa hoàn thành.", field="new_deadline")
    elif data.new_deadline is not None and data.new_deadline < today:
        latest = date_bounds(today=today, limits=ctx.config.app)[1]
        errors.add(
            f"Gia hạn đến ngày {fmt_date(data.new_deadline)} đã qua: chỉ nhận ngày từ hôm nay "
            f"({fmt_date(today)}) đến {fmt_date(latest)}.",
            field="new_deadline",
        )
    elif data.new_deadline is not None:
        limits = ctx.config.app
        errors.take(
            lambda: check_date(
                data.new_deadline or today, label="Gia hạn đến ngày", field="new_deadline", today=today, limits=limits
            ),
            None,
        )
    errors.raise_any()

    confirmation = Confirmation(
        task_id=ctx.task_id,
        reply_id=reply.id,
        outcome=data.outcome,
        confirmed_on=today,
        reason=reason,
        actor_id=actor.user_id,
        created_at=now,
    )
    session.add(confirmation)
    session.flush()
    if data.outcome is ConfirmOutcome.DONE:
        task.status = TaskStatus.DONE
        state = classify(load_facts(session=session, task_ids=[ctx.task_id])[ctx.task_id], today)
        verdict = "đúng hạn" if reply.issue_date <= state.deadline else "trễ hạn"
        record_event(
            session=session,
            actor=actor,
            task=task,
            action=EventAction.CONFIRMED_DONE,
            at=now,
            note=f"Hoàn thành {verdict} (văn bản {reply.code} ngày {fmt_date(reply.issue_date)}, "
            f"hạn {fmt_date(state.deadline)}{_backdated_words(reply)}). {reason}".strip(),
        )
        message = f"Đã xác nhận nhiệm vụ #{ctx.task_id}: hoàn thành {verdict}."
    else:
        task.status = TaskStatus.OPEN
        restart_main_flow(session=session, config=ctx.config, task=task, now=now)
        record_event(
            session=session,
            actor=actor,
            task=task,
            action=EventAction.CONFIRMED_NOT_DONE,
            at=now,
            note=f"Chưa hoàn thành: {reason}",
            from_unit_id=actor.unit_id,
            to_unit_id=task.lead_unit_id,
        )
        if data.new_deadline is None:  # said outright: no date was dropped on the way
            in_force = classify(load_facts(session=session, task_ids=[ctx.task_id])[ctx.task_id], today).deadline
            message = (
                f"Đã xác nhận nhiệm vụ #{ctx.task_id}: chưa hoàn thành, không gia hạn "
                f"(hạn xử lý vẫn là {fmt_date(in_force)})."
            )
        else:
            extended = fmt_date(data.new_deadline)
            message = f"Đã xác nhận nhiệm vụ #{ctx.task_id}: chưa hoàn thành, gia hạn đến {extended}."
            session.add(
                Extension(
                    task_id=ctx.task_id,
                    new_deadline=data.new_deadline,
                    granted_on=today,
                    reason=reason,
                    confirmation_id=confirmation.id,
                    actor_id=actor.user_id,
                    created_at=now,
                )
            )
            record_event(
                session=session,
                actor=actor,
                task=task,
                action=EventAction.EXTENDED,
                at=now,
                note=f"Gia hạn đến {fmt_date(data.new_deadline)}: {reason}",
                from_unit_id=actor.unit_id,
                to_unit_id=task.lead_unit_id,
            )
    session.add(task)
    return ActionOutcome(message)


CONFIRM = TaskAction(
    key=ActionKey.CONFIRM,
    input_model=ConfirmationCreate,
    permission=Permission.TASK_CONFIRM,
    scope=Scope.VISIBLE,
    denied="Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được xác nhận kết quả.",
    outside="",
    check=_check_confirm,
    apply=_apply_confirm,
)
