"""The answer an action of the registry should give, derived here, not by the services.

From the configuration (``config/roles.yaml``'s ``at_office``/``at_unit``, ``config/workflows.yaml``,
``config/org.yaml``) and the data each registry entry declares (``permission``, ``scope``), an
actor (unit, role, user) and the facts of a task (lead unit, status, coordinators, flows, read
from the database), in the order ``TaskAction.guard`` promises: whoever cannot see the task gets
``NotFound`` (``perform`` looks the task up first); then the permission, then the unit scope
(``PermissionDenied``); then the state of the task. Which states an action is meant for is the
example table's (``tests/properties/examples.py``); a step's own rule is its transition's
``roles``/``actor_unit``/``assignee`` (``rules.step_allowed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models import (
    CloseReason,
    Document,
    Extension,
    ExtensionRequest,
    Flow,
    RequestStatus,
    Task,
    TaskCoordinator,
    TaskStatus,
    WrongUnitRequest,
)
from services.actions.base import AnyAction, Scope
from services.infra.errors import Conflict, NotFound, PermissionDenied, ServiceError
from tests.properties.rules import (
    PARENT_OF,
    WORKFLOWS,
    fitting_main_workflows,
    from_states,
    is_final,
    permissions_of,
    step_allowed,
)

Refusal = type[ServiceError] | None


@dataclass(frozen=True)
class FlowFact:
    id: int
    unit: str  # code of the unit holding the flow
    parent_flow_id: int | None
    workflow: str
    committed: bool
    state: str
    assignee_id: int | None
    active: bool

    @property
    def main(self) -> bool:
        return self.parent_flow_id is None


@dataclass(frozen=True)
class TaskFacts:
    """A task as the expectations read it."""

    task_id: int
    lead: str
    status: TaskStatus
    closed_reason: CloseReason | None
    issued: date  # the assignment document's date
    coordinators: frozenset[str]
    flows: tuple[FlowFact, ...]
    pending_request: bool  # a "not our remit" request waits for VP UBND
    version: int
    pending_extension: bool  # a request for a later deadline (Xin gia hạn) waits for VP UBND
    deadline: date  # the latest deadline granted (none is granted ahead of its day here), else the original

    @property
    def holders(self) -> frozenset[str]:
        """Units holding a flow of the task (active or not: a closed task stays theirs to see)."""
        return frozenset(f.unit for f in self.flows)

    def main(self) -> FlowFact | None:
        mains = [f for f in self.flows if f.main and f.active]
        return mains[-1] if mains else None

    def flow(self, flow_id: int) -> FlowFact | None:
        return next((f for f in self.flows if f.id == flow_id), None)

    def children(self, flow: FlowFact) -> list[FlowFact]:
        return [f for f in self.flows if f.parent_flow_id == flow.id and f.active]


def facts_of(session: Session, task_id: int, code_of: Mapping[int, str]) -> TaskFacts:
    task = session.get(Task, task_id)
    assert task is not None and task.id is not None
    document = session.get(Document, task.document_id)
    assert document is not None
    coordinators = session.exec(select(TaskCoordinator.unit_id).where(TaskCoordinator.task_id == task_id)).all()
    flows = session.exec(select(Flow).where(Flow.task_id == task_id).order_by(col(Flow.id))).all()
    pending = session.exec(
        select(WrongUnitRequest.id).where(
            WrongUnitRequest.task_id == task_id, WrongUnitRequest.status == RequestStatus.PENDING
        )
    ).first()
    asked = session.exec(
        select(ExtensionRequest.id).where(
            ExtensionRequest.task_id == task_id, ExtensionRequest.status == RequestStatus.PENDING
        )
    ).first()
    latest = session.exec(
        select(Extension.new_deadline)
        .where(Extension.task_id == task_id)
        .order_by(col(Extension.granted_on).desc(), col(Extension.id).desc())
    ).first()
    return TaskFacts(
        task_id=task.id,
        pending_extension=asked is not None,
        deadline=latest or task.deadline,
        lead=code_of[task.lead_unit_id],
        status=task.status,
        closed_reason=task.closed_reason,
        pending_request=pending is not None,
        version=task.version,
        issued=document.issue_date,
        coordinators=frozenset(code_of[u] for u in coordinators),
        flows=tuple(
            FlowFact(
                f.id or 0,
                code_of[f.unit_id],
                f.parent_flow_id,
                f.workflow,
                f.committed,
                f.state,
                f.assignee_id,
                f.active,
            )
            for f in flows
        ),
    )


@dataclass(frozen=True)
class Who:
    """An actor as the expectations read it: the code of their unit, their role, their user id."""

    unit: str
    role: str
    user_id: int

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_of(self.role, self.unit)


def may_see(who: Who, facts: TaskFacts) -> bool:
    """Office and admin see every task; a unit its lead tasks, those it coordinates, those routed
    to it, and those of its sub-units (a flow held by a unit whose parent it is)."""
    if "tasks.view_all" in who.permissions:
        return True
    if "unit_tasks.view" not in who.permissions:
        return False
    return (
        who.unit == facts.lead
        or who.unit in facts.coordinators
        or who.unit in facts.holders
        or any(PARENT_OF[holder] == who.unit for holder in facts.holders)
    )


def in_scope(scope: Scope, who: Who, facts: TaskFacts) -> bool:
    if scope is Scope.LEAD_UNIT:
        return who.unit == facts.lead
    if scope is Scope.HOLDER:
        return who.unit == facts.lead or who.unit in facts.holders
    if scope is Scope.COORDINATOR:
        return who.unit in facts.coordinators
    if scope in (Scope.VISIBLE, Scope.WORKFLOW):
        return True
    raise AssertionError(f"Scope.{scope.name} is new: say in tests/properties/expect.py which units it admits")


def step_choices(flow: FlowFact) -> list[tuple[str, str, dict[str, Any]]]:
    """(workflow, key, transition) the YAML lets leave the flow's state, its own workflow first;
    a main flow that has not chosen yet may still follow every main workflow that fits its unit."""
    if flow.main and not flow.committed:
        fitting = fitting_main_workflows(flow.unit, flow.state)
        workflows = [flow.workflow, *(w for w in fitting if w != flow.workflow)]
    else:
        workflows = [flow.workflow]
    return [
        (w, key, tr)
        for w in workflows
        for key, tr in WORKFLOWS[w]["transitions"].items()
        if flow.state in from_states(tr) and not tr.get("only_as_effect")
    ]


def flow_open(facts: TaskFacts, flow: FlowFact) -> bool:
    """Steps are taken on active flows of tasks not done or closed; a main flow rests while VP UBND
    confirms its reply."""
    if not flow.active or facts.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        return False
    return not (flow.main and facts.status is TaskStatus.REPLIED)


def waiting(facts: TaskFacts, flow: FlowFact, tr: dict[str, Any]) -> bool:
    return bool(tr.get("wait_subflows")) and any(not is_final(c.workflow, c.state) for c in facts.children(flow))


def moves(facts: TaskFacts, *, replies: bool) -> list[tuple[FlowFact, str, str, dict[str, Any]]]:
    """Steps the YAML allows someone to take now (the reply steps, or the others)."""
    return [
        (flow, w, key, tr)
        for flow in facts.flows
        if flow_open(facts, flow)
        for w, key, tr in step_choices(flow)
        if bool(tr.get("issue_reply")) == replies and not waiting(facts, flow, tr)
    ]


def may_fire(who: Who, flow: FlowFact, tr: dict[str, Any]) -> bool:
    return step_allowed(
        tr,
        actor_unit=who.unit,
        actor_role=who.role,
        actor_id=who.user_id,
        flow_unit=flow.unit,
        assignee_id=flow.assignee_id,
    )


def who_may(entry: AnyAction, who: Who, facts: TaskFacts) -> Refusal:
    """The refusal the actor gets before the task's state is looked at: visibility, then the entry's
    permission (roles.yaml), then its unit scope."""
    if not may_see(who, facts):
        return NotFound
    if entry.permission is not None and entry.permission.value not in who.permissions:
        return PermissionDenied
    if not in_scope(entry.scope, who, facts):
        return PermissionDenied
    return None


def expected(
    entry: AnyAction,
    who: Who,
    facts: TaskFacts,
    *,
    possible: bool,
    data: BaseModel | None,
    transition: tuple[FlowFact, dict[str, Any]] | None,
) -> Refusal:
    """What ``refusal_of`` must answer: None, or the class of the refusal.

    ``possible``: the task is in a state the action is meant for (the example table says which);
    otherwise a permitted actor in scope meets a ``Conflict``. ``transition``: the workflow step
    whose roles also decide (a step's input names it; the reply is its flow's ``issue_reply``).
    Without input a ``Scope.WORKFLOW`` action passes iff some step is open to the actor.
    """
    refusal = who_may(entry, who, facts)
    if refusal is not None:
        return refusal
    if entry.scope is Scope.WORKFLOW and data is None:
        return None if any(may_fire(who, f, tr) for f, _, _, tr in moves(facts, replies=False)) else Conflict
    if not possible:
        return Conflict
    if transition is not None and not may_fire(who, *transition):
        return PermissionDenied
    return None
