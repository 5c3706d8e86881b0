"""Workflow steps inside a unit (Điều 5.1.e), and the step that issues the reply (Điều 4.2).

Who may fire a step comes from its transition in ``config/workflows.yaml`` (roles, unit,
assignee); the guard is the engine's ``resolve_step``. The reply is the transition marked
``issue_reply``: its own action, because it carries the reply document, linked to the task and
its assignment ("trên chính luồng").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from models import (
    ActionKey,
    AttachmentOwner,
    Confirmation,
    ConfirmOutcome,
    Document,
    DocumentKind,
    EventAction,
    Flow,
    OrgUnit,
    Permission,
    Task,
    TaskStatus,
)
from models.schemas import ReplyCreate, ReplyInput, StepInput
from services.access.permissions import Actor
from services.actions.base import ActionContext, ActionOutcome, Offer, Scope, TaskAction
from services.attachments import CheckedFile, attach, check_uploads, with_journal_line
from services.config.loader import AppConfig
from services.config.workflows import TransitionDef
from services.infra.clock import fmt_date, local_date
from services.infra.errors import Conflict, InvalidInput, PermissionDenied, ServiceError
from services.infra.text import clean_text
from services.infra.validation import FieldErrors, check_date
from services.journal.events import record_event
from services.org.units import office_unit
from services.stats.rows import BACKDATED_REPLY
from services.tasks.assignment import ensure_unique_code
from services.tasks.incoming import register_incoming, registers_incoming
from services.tasks.requests import drop_pending_request
from services.workflow.engine import (
    StepOption,
    apply_step,
    available_steps,
    draft_approval,
    flow_config,
    main_flow,
    resolve_step,
)


def _offer(key: ActionKey, option: StepOption, *, registers: bool = False) -> Offer:
    return Offer(
        key=key,
        label=option.label,
        flow_id=option.flow_id,
        workflow=option.workflow,
        transition=option.transition,
        step=option.step,
        unit_name=option.unit_name,
        choose_assignee=option.choose_assignee,
        start_subflows=option.start_subflows,
        note_required=option.note_required,
        routing_choice=option.routing_choice,
        register_incoming=registers,
    )


def _options(ctx: ActionContext) -> list[StepOption]:
    """The actor's steps now; read once per action (the guard and the effect both ask)."""
    if "options" not in ctx.read:
        ctx.read["options"] = available_steps(
            session=ctx.session, actor=ctx.actor, config=ctx.config, task_id=ctx.task_id
        )
    options: list[StepOption] = ctx.read["options"]
    return options


def _resolve(
    ctx: ActionContext, flow_id: int, transition: str, workflow: str | None
) -> tuple[Flow, str, TransitionDef]:
    """``resolve_step``; a step the guard resolved is not resolved again by its effect."""
    key = f"step:{flow_id}:{transition}:{workflow}"
    if key not in ctx.read:
        ctx.read[key] = resolve_step(
            session=ctx.session,
            actor=ctx.actor,
            config=ctx.config,
            task=ctx.task,
            flow_id=flow_id,
            transition=transition,
            workflow=workflow,
        )
    resolved: tuple[Flow, str, TransitionDef] = ctx.read[key]
    return resolved


# --- step --------------------------------------------------------------------------------------


def _registers(ctx: ActionContext, option: StepOption) -> bool:
    flow = ctx.session.get(Flow, option.flow_id)
    if flow is None:
        return False
    on = flow_config(session=ctx.session, config=ctx.config, flow=flow)  # the flow's own version
    tr = on.workflows.workflows[option.workflow].transitions[option.transition]
    return registers_incoming(config=on, flow=flow, workflow=option.workflow, tr=tr)


def _step_offers(ctx: ActionContext) -> list[Offer]:
    return [
        _offer(ActionKey.STEP, o, registers=_registers(ctx, o)) for o in _options(ctx) if not o.issue_reply
    ]


def _check_step(ctx: ActionContext, data: StepInput | None) -> ServiceError | None:
    if data is None:
        return None if _step_offers(ctx) else Conflict("Lúc này không có bước xử lý nào dành cho bạn.")
    try:
        _, _, tr = _resolve(ctx, data.flow_id, data.transition, data.workflow)
    except ServiceError as refusal:
        return refusal
    if tr.issue_reply:
        return InvalidInput("Bước này ban hành văn bản trả lời: dùng thao tác “reply” kèm văn bản.", field="transition")
    return None


def _apply_step(ctx: ActionContext, data: StepInput) -> ActionOutcome:
    flow, workflow, tr = _resolve(ctx, data.flow_id, data.transition, data.workflow)
    on = flow_config(session=ctx.session, config=ctx.config, flow=flow)
    if registers_incoming(config=on, flow=flow, workflow=workflow, tr=tr):
        # vào sổ: số đến and ngày đến in the unit's register (the timeline shows them under this step)
        register_incoming(
            session=ctx.session,
            actor=ctx.actor,
            config=ctx.config,
            task=ctx.task,
            flow=flow,
            number=data.incoming_number,
            received_on=data.incoming_date,
            now=ctx.now,
        )
    elif data.incoming_number is not None or data.incoming_date is not None:
        raise InvalidInput("Số đến, ngày đến chỉ ghi ở bước vào sổ.", field="incoming_number")
    apply_step(
        session=ctx.session,
        actor=ctx.actor,
        config=ctx.config,
        task=ctx.task,
        flow=flow,
        workflow=workflow,
        transition=data.transition,
        tr=tr,
        now=ctx.now,
        note=data.note,
        assignee_id=data.assignee_id,
        subunit_ids=data.subunit_ids,
    )
    return ActionOutcome(f"Đã thực hiện: {tr.label}.")


# --- reply -------------------------------------------------------------------------------------


def _reply_offers(ctx: ActionContext) -> list[Offer]:
    return [_offer(ActionKey.REPLY, o) for o in _options(ctx) if o.issue_reply]


def _may_reply(ctx: ActionContext) -> ServiceError | None:
    """Only the lead unit replies, once per round, to a task still open."""
    task = ctx.task
    if task.status is TaskStatus.REPLIED:
        return Conflict("Nhiệm vụ đã có văn bản trả lời đang chờ Văn phòng UBND tỉnh xác nhận.")
    if task.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        return Conflict("Nhiệm vụ đã kết thúc.")
    return None


def _check_reply(ctx: ActionContext, data: ReplyInput | None) -> ServiceError | None:
    refusal = _may_reply(ctx)
    if refusal is not None:
        return refusal
    if any(o.issue_reply for o in _options(ctx)):
        return None
    flow = main_flow(session=ctx.session, task_id=ctx.task_id)
    on = flow_config(session=ctx.session, config=ctx.config, flow=flow) if flow is not None else ctx.config
    if flow is not None:
        for tr in on.workflows.workflows[flow.workflow].transitions.values():
            if tr.issue_reply and flow.state in tr.from_states:
                roles = ", ".join(ctx.config.role_label(r) for r in tr.roles)
                return PermissionDenied(f"Bước “{tr.label}” dành cho {roles} của đơn vị đang xử lý.")
    where = on.workflows.workflows[flow.workflow].states[flow.state].label if flow else "?"
    return Conflict(f"Chưa đến bước ban hành văn bản trả lời: nhiệm vụ đang ở bước “{where}”.")


def _backdate_reason(*, config: AppConfig, data: ReplyCreate, today: date) -> str | None:
    """The reason a reply dated well before the day it is entered must carry, else None.

    Whether a task counts as done on time follows from the reply's date, and the clerk types it:
    a reply entered today with a date before the deadline turns a task overdue for weeks into
    "đúng hạn". Within ``reply_backdate_limit_days`` (a letter signed on Friday, entered on
    Monday) nothing is asked; beyond it the reply is refused without "Lý do ghi lùi ngày" and
    flagged with it, so the person who judges the figure sees both dates and the reason.
    """
    limit = config.app.reply_backdate_limit_days
    behind = (today - data.issue_date).days
    reason = clean_text(data.backdate_reason, label="Lý do ghi lùi ngày", field="backdate_reason", required=False)
    if behind <= limit:
        return None
    if not reason:
        raise InvalidInput(
            f"Văn bản trả lời ghi lùi ngày: ngày văn bản {fmt_date(data.issue_date)} sớm hơn ngày nhập "
            f"{fmt_date(today)} {behind} ngày (quá {limit} ngày). Nhập “Lý do ghi lùi ngày”: Văn phòng UBND "
            "tỉnh sẽ thấy cả hai ngày và lý do khi xác nhận kết quả.",
            field="backdate_reason",
        )
    return reason


def _check_reply_date(
    *, session: Session, config: AppConfig, task: Task, flow: Flow, data: ReplyCreate, today: date
) -> None:
    """The reply's date, or InvalidInput on ``issue_date``: in range, not in the future, and not
    before anything the journal says happened first (see ``prepare_reply``)."""
    assignment = session.get(Document, task.document_id)
    assert assignment is not None
    check_date(data.issue_date, label="Ngày văn bản trả lời", field="issue_date", today=today, limits=config.app)
    if data.issue_date > today:
        raise InvalidInput(f"Ngày văn bản trả lời {fmt_date(data.issue_date)} sau ngày hôm nay.", field="issue_date")
    if data.issue_date < assignment.issue_date:
        raise InvalidInput(
            f"Ngày văn bản trả lời {fmt_date(data.issue_date)} trước ngày văn bản giao "
            f"{fmt_date(assignment.issue_date)}.",
            field="issue_date",
        )
    given_on = local_date(task.created_at)  # a re-routed or replacing task is assigned the day it is created
    if task.replaces_task_id is not None and data.issue_date < given_on:
        raise InvalidInput(
            f"Ngày văn bản trả lời {fmt_date(data.issue_date)} trước ngày nhiệm vụ được giao cho đơn vị "
            f"({fmt_date(given_on)}).",
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
    approval = draft_approval(session=session, config=config, flow=flow)
    if approval is not None and data.issue_date < approval.on:
        raise InvalidInput(
            f"Ngày văn bản trả lời {fmt_date(data.issue_date)} trước ngày dự thảo được duyệt: "
            f"Bước {approval.step} · {approval.label} ngày {fmt_date(approval.on)}. Văn bản trả lời "
            "chỉ ban hành được từ ngày đó.",
            field="issue_date",
        )


def prepare_reply(
    *, session: Session, actor: Actor, config: AppConfig, task: Task, flow: Flow, data: ReplyCreate, now: datetime
) -> Document:
    """Validate the reply and build its document, linked to the task and its assignment.

    Its date is typed, and it decides the figures, so it may not lie before anything the
    journal says happened first: the assignment (or the day a re-routed task was given to this
    unit), a "not done" verdict, the approval of its draft; and far behind the day it is
    entered only with a reason, which flags it (``_backdate_reason``).
    """
    today = local_date(now)
    assignment = session.get(Document, task.document_id)
    unit = session.get(OrgUnit, actor.unit_id)
    assert assignment is not None and assignment.id is not None and unit is not None and task.id is not None
    # Every field is checked and every refusal reported together (the clerk's form shows them all).
    errors = FieldErrors()
    code = errors.take(
        lambda: clean_text(data.code, label="Số/ký hiệu văn bản trả lời", field="code", max_len=100, multiline=False),
        "",
    )
    errors.take(
        lambda: _check_reply_date(session=session, config=config, task=task, flow=flow, data=data, today=today),
        None,
    )
    backdate_reason: str | None = None
    if errors.ok("issue_date"):
        backdate_reason = errors.take(lambda: _backdate_reason(config=config, data=data, today=today), None)
    summary = errors.take(lambda: clean_text(data.summary, label="Trích yếu", field="summary"), "")
    result = errors.take(lambda: clean_text(data.result, label="Kết quả thực hiện", field="result", max_len=4000), "")
    signer = errors.take(
        lambda: clean_text(
            data.signer, label="Người ký", field="signer", required=False, max_len=255, multiline=False
        ),
        "",
    )
    key = ""
    if errors.ok("code", "issue_date"):
        key = errors.take(
            lambda: ensure_unique_code(
                session=session,
                issuer=unit.code,
                year=data.issue_date.year,
                code=code,
                label="Số/ký hiệu văn bản trả lời",
            ),
            "",
        )
    errors.raise_any()
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
        entered_on=today,
        backdate_reason=backdate_reason,
    )


def backdate_note(reply: Document) -> str:
    """The flag of a backdated reply in words: both dates and the clerk's reason (the journal)."""
    entered = reply.entered_on or local_date(reply.created_at)
    return (
        f"{BACKDATED_REPLY}: văn bản ngày {fmt_date(reply.issue_date)}, nhập ngày {fmt_date(entered)} "
        f"({(entered - reply.issue_date).days} ngày sau). Lý do ghi lùi ngày: {reply.backdate_reason}"
    )


def _apply_reply(ctx: ActionContext, data: ReplyInput) -> ActionOutcome:
    option = next(o for o in _options(ctx) if o.issue_reply)
    flow, workflow, tr = _resolve(ctx, option.flow_id, option.transition, option.workflow)
    errors = FieldErrors()  # the reply's fields and the note, refused together
    reply = errors.take(
        lambda: prepare_reply(
            session=ctx.session, actor=ctx.actor, config=ctx.config, task=ctx.task, flow=flow, data=data, now=ctx.now
        ),
        None,
    )
    note = errors.take(
        lambda: clean_text(data.note, label="Ý kiến xử lý", field="note", required=tr.note_required), ""
    )
    # the files too, all checked before any is kept (services.attachments)
    no_files: list[CheckedFile] = []
    files = errors.take(lambda: check_uploads(data.attachments, limits=ctx.config.app.attachments), no_files)
    errors.raise_any()
    assert reply is not None
    applied = apply_step(
        session=ctx.session,
        actor=ctx.actor,
        config=ctx.config,
        task=ctx.task,
        flow=flow,
        workflow=workflow,
        transition=option.transition,
        tr=tr,
        now=ctx.now,
        note=note,
        journal=False,  # the step that issues the reply is journaled once, as the reply itself
    )
    # A pending "not our remit" request is dropped: the unit answered after all.
    drop_pending_request(
        session=ctx.session, actor=ctx.actor, task_id=ctx.task_id, why="Đơn vị đã trả lời nhiệm vụ.", now=ctx.now
    )
    ctx.session.add(reply)
    ctx.task.status = TaskStatus.REPLIED
    ctx.session.add(ctx.task)
    ctx.session.flush()
    event = record_event(
        session=ctx.session,
        actor=ctx.actor,
        task=ctx.task,
        action=EventAction.REPLIED,
        at=ctx.now,
        note=with_journal_line(
            f"Văn bản {reply.code} ngày {fmt_date(reply.issue_date)}: {reply.result}"
            + (f"\n{backdate_note(reply)}" if reply.backdate_reason is not None else "")
            + (f"\n{note}" if note else ""),
            files,
        ),
        from_unit_id=ctx.actor.unit_id,
        to_unit_id=office_unit(session=ctx.session).id,
        flow_id=flow.id,
        transition=option.transition,
        step=tr.step,
        from_state=applied.from_state,
    )
    if files:
        ctx.session.flush()
        attach(
            session=ctx.session,
            actor=ctx.actor,
            files=files,
            owner=AttachmentOwner.REPLY,
            now=ctx.now,
            document_id=reply.id,
            task_id=ctx.task_id,
            event_id=event.id,
        )
    flagged = f" ({BACKDATED_REPLY.lower()}, đã ghi lý do)" if reply.backdate_reason is not None else ""
    flagged = (f" kèm {len(files)} tệp đính kèm" if files else "") + flagged
    return ActionOutcome(
        f"Đã ban hành văn bản trả lời {reply.code} ngày {fmt_date(reply.issue_date)}{flagged}; "
        "chờ Văn phòng UBND tỉnh xác nhận.",
        document_id=reply.id,
    )


STEP = TaskAction(
    key=ActionKey.STEP,
    input_model=StepInput,
    permission=None,
    scope=Scope.WORKFLOW,  # the transition's roles, unit and assignee: resolve_step
    denied="",
    outside="",
    check=_check_step,
    apply=_apply_step,
    offers=_step_offers,
)
REPLY = TaskAction(
    key=ActionKey.REPLY,
    input_model=ReplyInput,
    permission=Permission.TASK_REPLY,  # and the roles of the issue_reply transition (workflows.yaml)
    scope=Scope.LEAD_UNIT,
    denied="Chỉ văn thư hoặc lãnh đạo đơn vị được ban hành văn bản trả lời.",
    outside="Chỉ đơn vị chủ trì được trả lời nhiệm vụ này.",
    check=_check_reply,
    apply=_apply_reply,
    offers=_reply_offers,
)
