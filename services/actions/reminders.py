"""Đôn đốc: VP UBND reminds a task's lead unit, at a level, about the deadline in force.

The tracker sends one by hand from the task page (any open task, any level, a note optional); the
daily job (``services.reminders.job``) sends the level a task has reached, as the system account,
through this same action. Either way the reminder is one row of ``reminder`` (counted for the
lead unit of the day, "Số lần đôn đốc") and one journal entry, and the unique key (task, level,
deadline) refuses the same level twice for one deadline: the guard says so in Vietnamese, and two
runs at once meet the database's refusal, which ``perform`` judges again into that same answer.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from models import ActionKey, EventAction, Permission, Reminder, ReminderLevel, TaskStatus
from models.reminders import SYSTEM_USERNAME
from models.schemas import RemindInput
from services.actions.base import ActionContext, ActionOutcome, Scope, TaskAction
from services.infra.clock import fmt_date, fmt_datetime
from services.infra.errors import Conflict, ServiceError
from services.infra.text import clean_text
from services.journal.events import record_event
from services.notifications import recipients  # noqa: F401  (the journal's notifications, at commit)
from services.stats.classify import deadline_as_of, load_facts


def deadline_in_force(*, session: Session, task_id: int, today: date) -> date:
    """The statistics' deadline in force (``deadline_as_of``): a reminder and the figures agree."""
    facts = load_facts(session=session, task_ids=[task_id])[task_id]
    return deadline_as_of(facts, today)


def describe_lateness(*, deadline: date, today: date) -> str:
    """ "còn 2 ngày", "đến hạn hôm nay", "quá hạn 3 ngày": how the journal says it."""
    days = (deadline - today).days
    if days > 0:
        return f"còn {days} ngày"
    if days == 0:
        return "đến hạn hôm nay"
    return f"quá hạn {-days} ngày"


def _already_sent(session: Session, task_id: int, level: ReminderLevel, deadline_day: date) -> Reminder | None:
    return session.exec(
        select(Reminder).where(Reminder.task_id == task_id, Reminder.level == level, Reminder.deadline == deadline_day)
    ).first()


def _check(ctx: ActionContext, data: RemindInput | None) -> ServiceError | None:
    if ctx.task.status is TaskStatus.REPLIED:
        return Conflict("Đơn vị đã trả lời, nhiệm vụ đang chờ xác nhận kết quả: không cần đôn đốc.")
    if ctx.task.status is not TaskStatus.OPEN:
        return Conflict("Nhiệm vụ đã kết thúc: không còn gì để đôn đốc.")
    if data is None:
        return None
    deadline = deadline_in_force(session=ctx.session, task_id=ctx.task_id, today=ctx.today)
    sent = _already_sent(ctx.session, ctx.task_id, data.level, deadline)
    if sent is not None:
        label = ctx.config.app.reminders.label(data.level)
        return Conflict(
            f"Đã đôn đốc mức “{label}” cho hạn xử lý {fmt_date(deadline)} lúc {fmt_datetime(sent.sent_at)}; "
            "mỗi mức chỉ gửi một lần cho một hạn xử lý."
        )
    return None


def _apply(ctx: ActionContext, data: RemindInput) -> ActionOutcome:
    note = clean_text(data.note, label="Nội dung đôn đốc", field="note", required=False)
    deadline = deadline_in_force(session=ctx.session, task_id=ctx.task_id, today=ctx.today)
    label = ctx.config.app.reminders.label(data.level)
    lateness = describe_lateness(deadline=deadline, today=ctx.today)
    line = f"Đôn đốc mức “{label}”: hạn xử lý {fmt_date(deadline)} ({lateness})."
    event = record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.REMINDED,
        at=ctx.now,
        note=f"{line}\n{note}" if note else line,
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=ctx.task.lead_unit_id,
    )
    ctx.session.flush()
    ctx.session.add(
        Reminder(
            task_id=ctx.task_id,
            unit_id=ctx.task.lead_unit_id,
            level=data.level,
            deadline=deadline,
            sent_on=ctx.today,
            sent_at=ctx.now,
            sent_by=None if ctx.actor.username == SYSTEM_USERNAME else ctx.actor.user_id,  # None: the job
            note=note,
            event_id=event.id,
        )
    )
    return ActionOutcome(f"Đã đôn đốc mức “{label}” đơn vị chủ trì nhiệm vụ #{ctx.task_id}.")


REMIND = TaskAction(
    key=ActionKey.REMIND,
    input_model=RemindInput,
    permission=Permission.TASK_CONFIRM,
    scope=Scope.VISIBLE,
    denied="Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được đôn đốc nhiệm vụ.",
    outside="Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được đôn đốc nhiệm vụ.",
    check=_check,
    apply=_apply,
)
