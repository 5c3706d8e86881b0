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
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from models import ActionKey, Task
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.infra.clock import local_date
from services.infra.errors import ServiceError

InputT = TypeVar("InputT", bound=BaseModel)


@dataclass(frozen=True)
class ActionContext:
    """Everything a guard or an effect may read: who acts, on which task, when."""

    session: Session
    actor: Actor
    config: AppConfig
    task: Task
    now: datetime

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


@dataclass(frozen=True)
class ActionOutcome:
    """What an effect reports: a Vietnamese message for the user and what it created."""

    message: str
    created_task_id: int | None = None
    document_id: int | None = None


@dataclass(frozen=True)
class TaskAction(Generic[InputT]):
    """One entry of the registry.

    ``who`` documents where the permission comes from (a permission of config/roles.yaml, or the
    roles of a transition in config/workflows.yaml); ``check`` enforces it. ``offers`` lists the
    concrete choices (one per step); by default one offer when ``check(ctx, None)`` passes.
    """

    key: ActionKey
    input_model: type[InputT]
    who: str
    check: Callable[[ActionContext, InputT | None], ServiceError | None]
    apply: Callable[[ActionContext, InputT], ActionOutcome]
    offers: Callable[[ActionContext], list[Offer]] | None = field(default=None)

    def offers_for(self, ctx: ActionContext) -> list[Offer]:
        if self.offers is not None:
            return self.offers(ctx)
        if self.check(ctx, None) is None:
            return [Offer(key=self.key, label=ctx.config.app.task_actions[self.key])]
        return []


AnyAction = TaskAction[Any]
