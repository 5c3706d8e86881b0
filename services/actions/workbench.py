"""Everything a user may do on one task page, gathered for the page (no rule lives in pages).

The workflow steps come from the engine (``services/workflow.py``); the other actions
(wrong unit, contribution, VP UBND's changes) from their services' own guards.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from models import CloseReason, EventAction, Permission, Task, TaskCoordinator, TaskEvent, TaskStatus, WrongUnitRequest
from services.access.permissions import Actor, can_view_task
from services.actions.wrong_unit import pending_request
from services.config.loader import AppConfig
from services.infra.errors import NotFound
from services.workflow.engine import (
    Action,
    FlowView,
    assignee_candidates,
    available_actions,
    flow_views,
    subunits_of,
)


@dataclass(frozen=True)
class Choice:
    value: int
    label: str


@dataclass(frozen=True)
class TaskWorkbench:
    flows: list[FlowView]
    actions: list[Action]
    assignees: dict[int, list[Choice]]  # flow id -> people a leader may hand it to
    subunits: dict[int, list[Choice]]  # flow id -> sub-units it may be routed to
    pending_wrong_unit: WrongUnitRequest | None
    can_request_wrong_unit: bool
    can_decide_wrong_unit: bool
    can_archive: bool
    can_contribute: bool
    can_change: bool  # VP UBND: revoke, update, replace


def task_workbench(*, session: Session, actor: Actor, config: AppConfig, task_id: int) -> TaskWorkbench:
    task = session.get(Task, task_id)
    if task is None or task.id is None or not can_view_task(session=session, actor=actor, task=task):
        raise NotFound(f"Không tìm thấy nhiệm vụ #{task_id} hoặc bạn không có quyền xem.")
    actions = available_actions(session=session, actor=actor, config=config, task_id=task_id)
    flows = flow_views(session=session, config=config, task_id=task_id)
    units_of_flow = {f.flow_id: f.unit_id for f in flows}
    assignees = {
        a.flow_id: [
            Choice(u.id or 0, f"{u.full_name} ({config.role_label(u.role)})")
            for u in assignee_candidates(session=session, unit_id=units_of_flow[a.flow_id])
        ]
        for a in actions
        if a.choose_assignee
    }
    subunits = {
        a.flow_id: [
            Choice(u.id or 0, u.short_name) for u in subunits_of(session=session, unit_id=units_of_flow[a.flow_id])
        ]
        for a in actions
        if a.start_subflows
    }
    pending = pending_request(session=session, task_id=task_id)
    lead = task.lead_unit_id == actor.unit_id
    archived = (
        session.exec(
            select(TaskEvent.id).where(TaskEvent.task_id == task_id, TaskEvent.action == EventAction.ARCHIVED)
        ).first()
        is not None
    )
    return TaskWorkbench(
        flows=flows,
        actions=actions,
        assignees=assignees,
        subunits=subunits,
        pending_wrong_unit=pending,
        can_request_wrong_unit=lead
        and actor.can(Permission.TASK_WRONG_UNIT)
        and task.status is TaskStatus.OPEN
        and pending is None,
        can_decide_wrong_unit=actor.can(Permission.TASK_CONFIRM) and pending is not None,
        can_archive=lead
        and actor.can(Permission.UNIT_TASKS_VIEW)
        and task.closed_reason is CloseReason.WRONG_UNIT
        and not archived,
        can_contribute=actor.can(Permission.TASK_CONTRIBUTE)
        and session.get(TaskCoordinator, (task_id, actor.unit_id)) is not None
        and task.status in (TaskStatus.OPEN, TaskStatus.REPLIED),
        can_change=actor.can(Permission.TASK_ASSIGN) and task.status in (TaskStatus.OPEN, TaskStatus.REPLIED),
    )
