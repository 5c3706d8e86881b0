"""Waiting work: what the menu counts ("Việc chờ tôi xử lý (3)") and where a user goes next.

The menu is drawn on every page run, so the counts must be cheap and per user (never cached
across users: they follow the user's own role, unit and assignments). A unit user's waiting
tasks are exactly ``services.workflow.engine.inbox_task_ids``; here the flows are first narrowed
in memory to those with a step the user's role could take from the flow's state, in the unit the
step names, and assigned to them where the step says so, so the full check (``available_steps``,
a few queries a task) runs only on tasks that very likely wait for the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Document, DocumentKind, Flow, Permission, RequestStatus, Task, TaskStatus, WrongUnitRequest
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.config.workflows import ActorUnit, TransitionDef
from services.stats.rows import build_rows, sort_urgent_first
from services.tasks.extension_requests import count_pending_extensions
from services.workflow.engine import available_steps, flow_config, subunits_of


@dataclass(frozen=True)
class WaitingCounts:
    """The figures beside the menu's pages; 0 where the page is not the user's."""

    inbox: int = 0  # tasks with a step waiting for the user (unit users)
    replies: int = 0  # replies waiting for VP UBND's verdict (who confirms)
    wrong_unit: int = 0  # "not our remit" requests waiting for VP UBND's decision (who confirms)
    extensions: int = 0  # extension requests (Xin gia hạn) waiting for VP UBND's decision (who confirms)


@dataclass(frozen=True)
class NextTask:
    """The next piece of work waiting for the user, and whether it is done on "Xác nhận kết quả"."""

    task_id: int
    content: str
    to_confirm: bool = False


def _may_fire(actor: Actor, flow: Flow, own_unit: bool, tr: TransitionDef) -> bool:
    """The cheap part of the engine's ``_actor_may``: role, unit of the step, assignee."""
    if tr.only_as_effect or flow.state not in tr.from_states or actor.role not in tr.roles:
        return False
    if (tr.actor_unit is ActorUnit.FLOW) != own_unit:
        return False
    return not (tr.assignee and flow.assignee_id is not None and flow.assignee_id != actor.user_id)


def _candidates(session: Session, actor: Actor, config: AppConfig) -> dict[int, list[Flow]]:
    """Open tasks with an active flow in the user's unit or a sub-unit from which a step of the
    user's role leaves (a superset of the inbox, in task id order), with those flows."""
    units = [actor.unit_id, *(u.id for u in subunits_of(session=session, unit_id=actor.unit_id) if u.id)]
    flows = session.exec(
        select(Flow)
        .join(Task, col(Task.id) == col(Flow.task_id))
        .where(col(Flow.unit_id).in_(units), Flow.active == True, Task.status == TaskStatus.OPEN)  # noqa: E712
    ).all()
    found: dict[int, list[Flow]] = {}
    for flow in sorted(flows, key=lambda f: (f.task_id, f.id or 0)):
        workflows = flow_config(session=session, config=config, flow=flow).workflows.workflows  # its own version
        # before the leader's choice at bút phê a main flow may still become any main workflow
        keys: Iterable[str] = [flow.workflow] if flow.committed or flow.parent_flow_id is not None else list(workflows)
        own = flow.unit_id == actor.unit_id
        steps = (tr for key in keys if key in workflows for tr in workflows[key].transitions.values())
        if any(_may_fire(actor, flow, own, tr) for tr in steps):
            found.setdefault(flow.task_id, []).append(flow)
    return found


def waiting_steps(*, session: Session, actor: Actor, config: AppConfig) -> dict[int, list[str]]:
    """task id -> where it waits for the user, in words: the state of each flow on which the user
    can take a step now ("Chờ văn thư vào sổ"), with the sub-unit's name when the flow is not in the
    user's own unit. The tasks are exactly ``inbox_task_ids``'s, read more cheaply."""
    if actor.at_office or not actor.can(Permission.UNIT_TASKS_VIEW):
        return {}
    waiting: dict[int, list[str]] = {}
    for task_id, flows in _candidates(session, actor, config).items():
        options = available_steps(session=session, actor=actor, config=config, task_id=task_id)
        if not options:
            continue
        by_id = {f.id: f for f in flows}
        names = {o.flow_id: o.unit_name for o in options}
        words = []
        for flow_id, unit_name in names.items():
            flow = by_id.get(flow_id)
            if flow is None:
                continue
            on = flow_config(session=session, config=config, flow=flow).workflows.workflows  # its own version
            if flow.workflow not in on or flow.state not in on[flow.workflow].states:
                continue
            state = on[flow.workflow].states[flow.state].label
            words.append(state if flow.unit_id == actor.unit_id else f"{state} · {unit_name}")
        waiting[task_id] = words
    return waiting


def waiting_task_ids(*, session: Session, actor: Actor, config: AppConfig) -> list[int]:
    """The tasks on which the user can take a step now (``inbox_task_ids``), in task id order."""
    return list(waiting_steps(session=session, actor=actor, config=config))


def waiting_counts(*, session: Session, actor: Actor, config: AppConfig) -> WaitingCounts:
    """Everything the menu counts for this user, read fresh (one call per page run)."""
    replies = wrong_unit = extensions = 0
    if actor.can(Permission.TASK_CONFIRM):
        # a replied task has exactly one reply without a verdict (the Office's queue)
        replies = session.exec(select(func.count()).select_from(Task).where(Task.status == TaskStatus.REPLIED)).one()
        wrong_unit = session.exec(
            select(func.count()).select_from(WrongUnitRequest).where(WrongUnitRequest.status == RequestStatus.PENDING)
        ).one()
        extensions = count_pending_extensions(session=session)
    inbox = len(waiting_task_ids(session=session, actor=actor, config=config))
    return WaitingCounts(inbox=inbox, replies=replies, wrong_unit=wrong_unit, extensions=extensions)


def next_waiting_task(
    *, session: Session, actor: Actor, config: AppConfig, today: date, due_soon_days: int, after: int
) -> NextTask | None:
    """The task to open after acting on task ``after``: the top of the user's waiting list
    without it (a unit user's inbox, urgent first; VP UBND: the oldest "not our remit" request,
    decided on the task page, then the oldest reply waiting on "Xác nhận kết quả")."""
    if actor.can(Permission.TASK_CONFIRM):
        request = session.exec(
            select(WrongUnitRequest.task_id, Task.content)
            .join(Task, col(Task.id) == col(WrongUnitRequest.task_id))
            .where(WrongUnitRequest.status == RequestStatus.PENDING, WrongUnitRequest.task_id != after)
            .order_by(col(WrongUnitRequest.requested_at))
        ).first()
        if request is not None:
            return NextTask(*request)
        # the queue's order: the reply entered longest ago first
        replied = session.exec(
            select(col(Task.id), col(Task.content))
            .join(Document, col(Task.id) == col(Document.task_id))
            .where(Task.status == TaskStatus.REPLIED, Document.kind == DocumentKind.REPLY, Task.id != after)
            .group_by(col(Task.id), col(Task.content))
            .order_by(func.max(Document.created_at), col(Task.id))
        ).first()
        if replied is None or replied[0] is None:
            return None
        return NextTask(replied[0], replied[1], to_confirm=True)
    ids = [t for t in waiting_task_ids(session=session, actor=actor, config=config) if t != after]
    if not ids:
        return None
    rows = sort_urgent_first(build_rows(session=session, task_ids=ids, today=today, due_soon_days=due_soon_days))
    return NextTask(rows[0].task_id, rows[0].content)
