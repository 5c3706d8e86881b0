"""The shape of a task action: what the registry holds for each thing a person can do to a task.

An action is data (Plone's DCWorkflow in spirit): a key, an input model, a guard and an effect.
``check`` reads and answers with a refusal or None; ``apply`` validates the input, writes and
journals, and never commits: ``services.actions.registry.perform`` commits it together with the
task's version, so a guard and its write always see the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from models import ActionKey, Permission, Task, TaskCoordinator
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.infra.clock import local_date
from services.infra.errors import PermissionDenied, ServiceError
from services.workflow.engine import unit_holds_task

InputT = TypeVar("InputT", bound=BaseModel)


@dataclass(frozen=True)
class ActionContext:
    """Everything a guard or an effect may read: who acts, on which task, when."""

    session: Session
    actor: Actor
    config: AppConfig
    task: Task
    now: datetime
    # What the guard read that the effect reads again, within one ``perform`` (the pending reply
    # a verdict judges): the version claim in between guarantees nobody changed it meanwhile.
    read: dict[str, Any] = field(default_factory=dict)

    @property
    def task_id(self) -> int:
        assert self.task.id is not None
        return self.task.id

    @property
    def today(self) -> date:
        return local_date(self.now)


@dataclass(frozen=True)
class Offer:
    """One thing the actor may do now: a task-level action, or one step on one flow."""

    key: ActionKey
    label: str
    flow_id: int | None = None
    workflow: str | None = None
    transition: str | None = None
    step: int | None = None
    unit_name: str = ""
    choose_assignee: bool = False
    start_subflows: bool = False
    note_required: bool = False
    routing_choice: bool = False
    register_incoming: bool = False  # vào sổ: the form asks số đến and ngày đến


@dataclass(frozen=True)
class ActionOutcome:
    """What an effect reports: a Vietnamese message for the user and what it created."""

    message: str
    created_task_id: int | None = None
    document_id: int | None = None


class Scope(StrEnum):
    """Which units' users may take an action, besides the permission (data, not code per action)."""

    VISIBLE = "visible"  # whoever sees the task (the permission decides: VP UBND's actions)
    LEAD_UNIT = "lead_unit"  # the task's lead unit
    HOLDER = "holder"  # the lead unit, or a unit holding one of the task's flows (a sub-unit routed to)
    COORDINATOR = "coordinator"  # a coordinating unit (phối hợp)
    WORKFLOW = "workflow"  # per transition, from config/workflows.yaml (roles, unit, assignee)


def in_scope(scope: Scope, ctx: ActionContext) -> bool:
    actor, task = ctx.actor, ctx.task
    if scope is Scope.LEAD_UNIT:
        return task.lead_unit_id == actor.unit_id
    if scope is Scope.HOLDER:
        return task.lead_unit_id == actor.unit_id or unit_holds_task(
            session=ctx.session, unit_id=actor.unit_id, task_id=ctx.task_id
        )
    if scope is Scope.COORDINATOR:
        return ctx.session.get(TaskCoordinator, (ctx.task_id, actor.unit_id)) is not None
    return True


@dataclass(frozen=True)
class TaskAction(Generic[InputT]):
    """One entry of the registry: who may take it (``permission`` from config/roles.yaml and
    ``scope``; the steps' roles come from config/workflows.yaml), when (``check``: the state of
    the task, given the input when there is one), and what it does (``apply``).

    ``offers`` lists the concrete choices (one per step); by default one offer when the guard
    passes without input.
    """

    key: ActionKey
    input_model: type[InputT]
    permission: Permission | None
    scope: Scope
    denied: str  # the refusal when the permission is missing
    outside: str  # the refusal when the actor's unit is outside the scope
    check: Callable[[ActionContext, InputT | None], ServiceError | None]
    apply: Callable[[ActionContext, InputT], ActionOutcome]
    offers: Callable[[ActionContext], list[Offer]] | None = field(default=None)

    def guard(self, ctx: ActionContext, data: InputT | None) -> ServiceError | None:
        """The refusal, or None: the permission, then the unit, then the task's state."""
        if self.permission is not None and not ctx.actor.can(self.permission):
            return PermissionDenied(self.denied)
        if not in_scope(self.scope, ctx):
            return PermissionDenied(self.outside)
        return self.check(ctx, data)

    def offers_for(self, ctx: ActionContext) -> list[Offer]:
        if self.guard(ctx, None) is not None:
            return []
        if self.offers is not None:
            return self.offers(ctx)
        return [Offer(key=self.key, label=ctx.config.app.task_actions[self.key])]


AnyAction = TaskAction[Any]
