"""Nhập nhiệm vụ: assignment documents and their tasks from a spreadsheet, with their history.

One row is one task. Rows with the same số/ký hiệu (same issuer, same year) are the tasks of one
document, in the order of the rows. A row may carry the task's past: the reply of the lead unit
(số, ngày, kết quả) and VP UBND's verdict (ngày xác nhận, Hoàn thành / Chưa hoàn thành with a
reason and a new deadline). That past is rebuilt through the same services as the pages, each
step with its historical date as ``now``: ``create_assignment`` on the document's date, the lead
unit's steps up to the reply (vào sổ, bút phê, dự thảo, duyệt, ban hành) on the reply's date by
the unit's own accounts, the verdict by the chosen VP UBND tracker on its date. The statistics of
past periods are then right from the first day, and each task's journal tells how it got there.

Who acts: the import is an administrator's (``Permission.ADMIN``), but ``create_assignment`` and
the verdict are VP UBND's tracker's (``Permission.TASK_ASSIGN``/``TASK_CONFIRM``): the admin chooses
the tracker account the documents are entered as (``tracker_username``); the admin journal row
names the admin, the file and that tracker.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import (
    ActionKey,
    AdminEntity,
    ConfirmOutcome,
    Document,
    DocumentKind,
    OrgUnit,
    Permission,
    Role,
    Task,
    UnitKind,
    User,
)
from models.schemas import AssignmentCreate, ConfirmationCreate, ReplyInput, StepInput, TaskCreate
from services.access.permissions import Actor, build_actor, require
from services.actions.registry import perform
from services.admin import journal
from services.config.loader import AppConfig
from services.config.workflows import WorkflowDef
from services.imports.common import (
    Checked,
    ImportRefused,
    ImportResult,
    Progress,
    local_moment,
    one_transaction,
    refusal_problem,
    tick,
)
from services.imports.reading import UnreadableFile, read_sheet
from services.imports.schemas import (
    OUTCOME_NOT_DONE,
    T_CODE,
    T_CONFIRM_DATE,
    T_CONTENT,
    T_COORD,
    T_DATE,
    T_DEADLINE,
    T_ISSUER,
    T_LEAD,
    T_NEW_DEADLINE,
    T_OUTCOME,
    T_REASON,
    T_REPLY_CODE,
    T_REPLY_DATE,
    T_RESULT,
    T_SIGNER,
    T_SUMMARY,
    T_TYPE,
    TASK_COLUMNS,
    TASK_SHEET,
    Problem,
    Row,
    TaskContext,
    choice_key,
    day_of,
    document_key,
    records,
    split_codes,
    task_rules,
)
from services.infra.validation import date_bounds
from services.org.units import LEAD_KINDS
from services.workflow.engine import ASSIGNEE_ROLES, default_main_workflow, main_flow

ADMIN_ONLY = "Chỉ quản trị hệ thống được nhập dữ liệu."
ACTION = "import_tasks"
STATE_OPEN = "Đang xử lý"
STATE_REPLIED = "Đã trả lời, chờ xác nhận"
STATE_DONE = "Hoàn thành"


def _choices(mapping: dict[str, str]) -> dict[str, str]:
    """Key or label (any case, any accents) -> key."""
    found: dict[str, str] = {}
    for key, label in mapping.items():
        found[choice_key(key)] = key
        found[choice_key(label)] = key
    return found


def staffed_units(session: Session) -> set[str]:
    """Codes of the units that have an active clerk, leader and specialist (or tracker)."""
    rows = session.exec(
        select(OrgUnit.code, User.role)
        .join(User, col(User.unit_id) == col(OrgUnit.id))
        .where(col(User.active), col(OrgUnit.active))
    ).all()
    roles: dict[str, set[Role]] = {}
    for code, role in rows:
        roles.setdefault(code, set()).add(Role(role))
    return {
        code
        for code, held in roles.items()
        if Role.CLERK in held and Role.LEADER in held and held & set(ASSIGNEE_ROLES)
    }


def task_context(*, session: Session, config: AppConfig, today: date) -> TaskContext:
    earliest, latest = date_bounds(today=today, limits=config.app)
    units = session.exec(select(OrgUnit).where(col(OrgUnit.active))).all()
    existing = session.exec(
        select(Document.issuer, Document.issue_year, Document.code_key).where(Document.kind == DocumentKind.ASSIGNMENT)
    ).all()
    return TaskContext(
        today=today,
        earliest=earliest,
        latest=latest,
        issuers=_choices(config.app.issuers),
        doc_types=_choices(config.app.document_types),
        lead_codes={u.code for u in units if u.kind in LEAD_KINDS},
        coordinating_codes={u.code for u in units if u.kind is not UnitKind.OFFICE},
        existing={(issuer, int(year), key) for issuer, year, key in existing},
        staffed=staffed_units(session),
        issuer_hint="; ".join(config.app.issuers.values()),
        doc_type_hint="; ".join(config.app.document_types.values()),
    )


def _state_after(row: Row) -> str:
    if row[T_OUTCOME]:
        if choice_key(row[T_OUTCOME]) == choice_key(OUTCOME_NOT_DONE):
            return f"Chưa hoàn thành, gia hạn đến {row[T_NEW_DEADLINE]}"
        return STATE_DONE
    if row[T_REPLY_CODE]:
        return STATE_REPLIED
    return STATE_OPEN


def _preview(frame: pd.DataFrame, names: dict[str, str]) -> tuple[pd.DataFrame, dict[str, int]]:
    rows = records(frame).values()
    states = pd.Series([_state_after(r) for r in rows], dtype=object)
    preview = pd.DataFrame(
        {
            "Dòng": frame.index,
            T_CODE: frame[T_CODE].values,
            T_DATE: frame[T_DATE].values,
            T_LEAD: [names.get(c, c) for c in frame[T_LEAD]],
            T_CONTENT: frame[T_CONTENT].values,
            T_DEADLINE: frame[T_DEADLINE].values,
            "Tình trạng sau khi nhập": states.values,
        }
    )
    documents = len({(r[T_ISSUER], r[T_DATE][-4:], r[T_CODE]) for r in rows})
    summary = {
        "rows": len(frame),
        "documents": int(documents),
        "open": int((states == STATE_OPEN).sum()),
        "replied": int((states == STATE_REPLIED).sum()),
        "done": int((states == STATE_DONE).sum()),
        "not_done_extended": int(states.str.startswith("Chưa").sum()),
    }
    return preview, summary


def check_tasks(*, session: Session, config: AppConfig, data: bytes, file_name: str, today: date) -> Checked:
    """Read and check the file; nothing is written. ``Checked.problems`` lists every error."""
    try:
        sheet = read_sheet(data, file_name=file_name, sheet=TASK_SHEET, columns=TASK_COLUMNS)
    except UnreadableFile as refusal:
        return Checked("tasks", file_name, None, [Problem(0, TASK_SHEET, "", refusal.message)])
    ctx = task_context(session=session, config=config, today=today)
    rules, schema = task_rules(sheet.frame, ctx)
    problems = rules.problems(schema, sheet.frame)
    for problem in problems:
        if not problem.sheet:
            object.__setattr__(problem, "sheet", sheet.name)
    names = {u.code: u.short_name for u in session.exec(select(OrgUnit)).all()}
    preview, summary = _preview(sheet.frame, names)
    return Checked("tasks", file_name, sheet, problems, preview, summary)


# --- walking a lead unit's workflow up to its reply --------------------------------------


@dataclass(frozen=True)
class _Staff:
    by_role: dict[Role, Actor]
    assignee: Actor  # who bút phê hands the flow to (a specialist, else a tracker of the unit)
    workflow: str  # the unit's default main workflow (read once per unit, not once per task)
    path: tuple[str, ...]  # its transitions up to the reply


def _unit_staff(session: Session, config: AppConfig, unit_id: int) -> _Staff:
    users = session.exec(select(User).where(User.unit_id == unit_id, col(User.active)).order_by(col(User.id))).all()
    by_role: dict[Role, Actor] = {}
    for user in users:
        role = Role(user.role)
        if role not in by_role and user.id is not None:
            actor = build_actor(session=session, config=config, user_id=user.id)
            if actor is not None:
                by_role[role] = actor
    assignee = next((by_role[r] for r in ASSIGNEE_ROLES if r in by_role), None)
    if assignee is None or Role.CLERK not in by_role or Role.LEADER not in by_role:
        raise ImportRefused([Problem(0, TASK_SHEET, T_LEAD, "Đơn vị chủ trì chưa có đủ tài khoản để ghi trả lời.")])
    workflow = default_main_workflow(session=session, config=config, unit_id=unit_id)
    return _Staff(by_role, assignee, workflow, tuple(_path_to_reply(config.workflows.workflows[workflow])))


def _path_to_reply(workflow: WorkflowDef) -> list[str]:
    """The shortest run of plain transitions from the workflow's first state through the one that
    issues the reply (no sub flows, no returned drafts)."""
    start = workflow.initial
    queue: deque[tuple[str, list[str]]] = deque([(start, [])])
    seen = {start}
    while queue:
        state, path = queue.popleft()
        for key, tr in workflow.transitions.items():
            if (
                state not in tr.from_states
                or tr.start_subflows
                or tr.wait_subflows
                or tr.note_required
                or tr.only_as_effect
            ):
                continue
            if tr.issue_reply:
                return [*path, key]
            if tr.to not in seen:
                seen.add(tr.to)
                queue.append((tr.to, [*path, key]))
    raise ValueError(f"workflow without a plain path to its reply: {workflow.label}")


def _walk_to_reply(
    *, session: Session, config: AppConfig, task: Task, staff: _Staff, reply: ReplyInput, now: datetime, at: datetime
) -> None:
    assert task.id is not None
    key = staff.workflow
    workflow = config.workflows.workflows[key]
    flow = main_flow(session=session, task_id=task.id)
    assert flow is not None and flow.id is not None
    for transition in staff.path:
        tr = workflow.transitions[transition]
        if tr.issue_reply:
            actor = next(staff.by_role[r] for r in tr.roles if r in staff.by_role)
            perform(
                session=session, actor=actor, config=config, task_id=task.id, action=ActionKey.REPLY, data=reply, now=at
            )
            return
        actor = staff.assignee if tr.assignee else next(staff.by_role[r] for r in tr.roles if r in staff.by_role)
        step = StepInput(
            flow_id=flow.id,
            transition=transition,
            workflow=key,
            assignee_id=staff.assignee.user_id if tr.choose_assignee else None,
        )
        perform(session=session, actor=actor, config=config, task_id=task.id, action=ActionKey.STEP, data=step, now=now)


# --- the import ------------------------------------------------------------------------------


def tracker_accounts(*, session: Session, config: AppConfig) -> list[User]:
    """VP UBND's active accounts that may assign and confirm: who an import may act as."""
    users = session.exec(
        select(User)
        .join(OrgUnit, col(OrgUnit.id) == col(User.unit_id))
        .where(col(User.active), OrgUnit.kind == UnitKind.OFFICE)  # only VP UBND assigns and confirms
        .order_by(col(User.username))
    ).all()
    found = []
    for user in users:
        actor = build_actor(session=session, config=config, user_id=user.id or 0)
        if actor is not None and actor.can(Permission.TASK_ASSIGN) and actor.can(Permission.TASK_CONFIRM):
            found.append(user)
    return found


def _tracker(session: Session, config: AppConfig, username: str) -> Actor:
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    actor = None if user is None or user.id is None else build_actor(session=session, config=config, user_id=user.id)
    if actor is None or not (actor.can(Permission.TASK_ASSIGN) and actor.can(Permission.TASK_CONFIRM)):
        raise ImportRefused(
            [
                Problem(
                    0,
                    TASK_SHEET,
                    "",
                    f"“{username}” không phải tài khoản chuyên viên theo dõi đang hoạt động của Văn phòng UBND tỉnh: "
                    "chọn tài khoản mà các văn bản được nhập thay.",
                )
            ]
        )
    return actor


def _document(rows: list[Row], ctx: TaskContext) -> AssignmentCreate:
    first = rows[0]
    issued = day_of(first[T_DATE])
    assert issued is not None
    return AssignmentCreate(
        code=first[T_CODE],
        issue_date=issued,
        issuer=ctx.issuers[choice_key(first[T_ISSUER])],
        doc_type=ctx.doc_types[choice_key(first[T_TYPE])],
        summary=first[T_SUMMARY],
        signer=first[T_SIGNER],
        tasks=[
            TaskCreate(
                content=row[T_CONTENT],
                lead_unit_code=row[T_LEAD],
                coordinating_unit_codes=split_codes(row[T_COORD]),
                deadline=day_of(row[T_DEADLINE]),
            )
            for row in rows
        ],
    )


def _history(
    *,
    session: Session,
    config: AppConfig,
    tracker: Actor,
    task: Task,
    row: Row,
    staff: dict[int, _Staff],
) -> None:
    """The row's reply and verdict, each on its own date."""
    replied = day_of(row[T_REPLY_DATE])
    if replied is None:
        return
    if task.lead_unit_id not in staff:
        staff[task.lead_unit_id] = _unit_staff(session, config, task.lead_unit_id)
    reply = ReplyInput(
        code=row[T_REPLY_CODE],
        issue_date=replied,
        summary=f"Báo cáo thực hiện văn bản {row[T_CODE]}",
        result=row[T_RESULT],
    )
    _walk_to_reply(
        session=session,
        config=config,
        task=task,
        staff=staff[task.lead_unit_id],
        reply=reply,
        now=local_moment(replied, 10),
        at=local_moment(replied, 15),
    )
    confirmed = day_of(row[T_CONFIRM_DATE])
    if confirmed is None:
        return
    not_done = choice_key(row[T_OUTCOME]) == choice_key(OUTCOME_NOT_DONE)
    verdict = ConfirmationCreate(
        outcome=ConfirmOutcome.NOT_DONE if not_done else ConfirmOutcome.DONE,
        reason=row[T_REASON] if not_done else "",
        new_deadline=day_of(row[T_NEW_DEADLINE]) if not_done else None,
    )
    assert task.id is not None
    perform(
        session=session,
        actor=tracker,
        config=config,
        task_id=task.id,
        action=ActionKey.CONFIRM,
        data=verdict,
        now=local_moment(confirmed, 16),
    )


def import_tasks(
    *,
    engine: Engine,
    actor: Actor,
    config: AppConfig,
    data: bytes,
    file_name: str,
    tracker_username: str,
    today: date,
    progress: Progress | None = None,
) -> ImportResult:
    """Check the file again and create every document, task and past step in one transaction;
    or create nothing and raise ``ImportRefused`` with every problem."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    with one_transaction(engine, bulk=True) as session:
        tracker = _tracker(session, config, tracker_username)
        checked = check_tasks(session=session, config=config, data=data, file_name=file_name, today=today)
        if not checked.ok:
            raise ImportRefused(checked.problems)
        assert checked.sheet is not None
        frame = checked.sheet.frame
        ctx = task_context(session=session, config=config, today=today)
        groups: dict[tuple[str, int, str], list[int]] = {}
        rows = records(frame)
        for number, row in rows.items():
            key = document_key(row, ctx)
            assert key is not None
            groups.setdefault(key, []).append(number)
        total, done = len(frame), 0
        staff: dict[int, _Staff] = {}
        # Held for the import's length: the session's identity map keeps only objects someone holds,
        # and the services look units and accounts up by id at every step (no query while held).
        held: list[object] = [*session.exec(select(OrgUnit)).all(), *session.exec(select(User).where(col(User.active)))]
        tick(progress, 0, total)
        for numbers in groups.values():
            data_in = _document([rows[n] for n in numbers], ctx)
            try:
                document = create_assignment_at(session, tracker, config, data_in)
            except Exception as refusal:
                _refuse(refusal, numbers[0], T_CODE)
            held.append(document)  # its date is read at each reply (``session.get``: no query while held)
            tasks = session.exec(select(Task).where(Task.document_id == document.id).order_by(col(Task.seq))).all()
            for number, task in zip(numbers, tasks, strict=True):
                try:
                    _history(session=session, config=config, tracker=tracker, task=task, row=rows[number], staff=staff)
                except ImportRefused as refused:
                    raise ImportRefused([_at_row(p, number) for p in refused.problems]) from None
                except Exception as refusal:
                    _refuse(refusal, number, T_REPLY_CODE)
                done += 1
                tick(progress, done, total)
        del held
        summary = {**checked.summary, "tracker": tracker.username}
        journal.record(
            session=session,
            actor=actor,
            entity=AdminEntity.IMPORT,
            key=file_name,
            action=ACTION,
            after=summary,
            detail=(
                f"Nhập {summary['rows']} nhiệm vụ của {summary['documents']} văn bản từ {file_name}, "
                f"nhập thay chuyên viên theo dõi {tracker.username}."
            ),
        )
    return ImportResult(file_name=file_name, rows=total, summary=summary)


def create_assignment_at(session: Session, tracker: Actor, config: AppConfig, data: AssignmentCreate) -> Document:
    """``create_assignment`` on the document's own date (8:00 that day)."""
    from services.tasks.assignment import create_assignment

    return create_assignment(
        session=session, actor=tracker, config=config, data=data, now=local_moment(data.issue_date, 8)
    )


def _at_row(problem: Problem, number: int) -> Problem:
    return Problem(number, problem.sheet or TASK_SHEET, problem.column, problem.message)


def _refuse(refusal: Exception, number: int, column: str) -> None:
    from services.infra.errors import ServiceError

    if isinstance(refusal, ServiceError):
        raise ImportRefused(refusal_problem(TASK_SHEET, number, column, refusal)) from None
    raise refusal


def summary_line(summary: dict[str, object]) -> str:
    return (
        f"{summary.get('rows', 0)} nhiệm vụ của {summary.get('documents', 0)} văn bản: "
        f"{summary.get('open', 0)} đang xử lý, {summary.get('replied', 0)} đã trả lời chờ xác nhận, "
        f"{summary.get('done', 0)} hoàn thành, {summary.get('not_done_extended', 0)} chưa hoàn thành được gia hạn."
    )
