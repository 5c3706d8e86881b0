"""The registry of task actions and the one entry point that performs any of them.

Pages, the JSON API, the demo data and the tests all call ``perform``: it finds the task the
actor may see, validates the input model, runs the action's guard, claims the task's version,
applies the effect (which journals), and commits — together, or not at all. The claim is a
conditional ``UPDATE task SET version = version + 1 WHERE id = … AND version = <read>``: of two
simultaneous actions on one task only one can match, so the guard and the write of the winner
saw the same state and the other gets a clear conflict, never a corrupted flow or a duplicate.
Right after the claim it bumps the data version (``services.infra.data_version``) in the same
transaction, so a cached public table keyed by it moves exactly when the action commits.
A guard's refusal is that same conflict when the task changed while the guard was reading it:
its reads are separate statements and may mix the old and the new state (``_overtaken``).

A new action (an extension request, a reminder) is one more ``TaskAction`` in ``REGISTRY``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from models import ActionKey, Task
from services.access.permissions import Actor
from services.actions import changes, confirmation, extensions, notes, reminders, steps, wrong_unit
from services.actions.base import ActionContext, ActionOutcome, AnyAction, Offer
from services.config.loader import AppConfig
from services.infra.clock import now_utc
from services.infra.data_version import bump_data_version
from services.infra.errors import NotFound, ServiceError, StaleState
from services.infra.validation import invalid_input
from services.tasks.queries import get_visible_task

REGISTRY: Mapping[ActionKey, AnyAction] = {
    action.key: action
    for action in (
        notes.NOTE,
        notes.CONTRIBUTE,
        steps.STEP,
        steps.REPLY,
        confirmation.CONFIRM,
        wrong_unit.WRONG_UNIT_REQUEST,
        wrong_unit.WRONG_UNIT_ACCEPT,
        wrong_unit.WRONG_UNIT_REFUSE,
        wrong_unit.ARCHIVE,
        changes.REVOKE,
        changes.UPDATE,
        changes.REPLACE,
        reminders.REMIND,
        extensions.EXTENSION_REQUEST,
        extensions.EXTENSION_GRANT,
        extensions.EXTENSION_REFUSE,
    )
}


@dataclass(frozen=True)
class ActionResult:
    """The task after the action: its new version, and what the action reported."""

    task_id: int
    version: int
    outcome: ActionOutcome


def action_for(key: str | ActionKey) -> AnyAction:
    try:
        return REGISTRY[ActionKey(key)]
    except ValueError:
        raise NotFound(f"Không có thao tác “{key}”.") from None


def parse_input(action: AnyAction, data: BaseModel | Mapping[str, Any] | None) -> BaseModel:
    """The action's input model from a model or a mapping; a bad field is an InvalidInput naming it."""
    model: type[BaseModel] = action.input_model
    if isinstance(data, model):
        return data
    raw = data.model_dump() if isinstance(data, BaseModel) else dict(data or {})
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None


def _context(*, session: Session, actor: Actor, config: AppConfig, task_id: int, now: datetime) -> ActionContext:
    """The task, if the actor may see it (``can_view_task``); else NotFound, and nothing else.

    This runs before anything that reads the task's state: the input, ``expected_version``, the
    guard (its "already done", "not at this step yet", a flow's state), so a task the actor may
    not see answers exactly as a task that does not exist, whatever state it is in and whatever
    flow or input the request names. Nobody learns from a refusal where another unit's task stands.
    """
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    return ActionContext(session=session, actor=actor, config=config, task=task, now=now)


_TASK = Task.__table__  # type: ignore[attr-defined]
# Built once: every action runs the claim, and building a statement costs more than running it.
_VERSION_OF = select(_TASK.c.version).where(_TASK.c.id == bindparam("task_id"))
_CLAIM = (
    _TASK.update()
    .where(_TASK.c.id == bindparam("task_id"), _TASK.c.version == bindparam("read"))
    .values(version=bindparam("claimed"))
)


def _overtaken(session: Session, task: Task) -> bool:
    """True when another action on the task committed since ``task`` was read.

    The guard's reads are separate statements (SQLite outside a transaction, PostgreSQL in READ
    COMMITTED), so a guard that runs while someone else commits may see the task as it was and
    its flows as they are now; a refusal drawn from such a mix can name the wrong reason.
    """
    current = session.execute(_VERSION_OF, {"task_id": task.id}).scalar()
    return current != task.version


def _claim(session: Session, task: Task) -> None:
    """Take the task's version for this transaction, or refuse: someone acted since it was read."""
    result = session.execute(_CLAIM, {"task_id": task.id, "read": task.version, "claimed": task.version + 1})
    if getattr(result, "rowcount", 0) != 1:
        raise StaleState()
    set_committed_value(task, "version", task.version + 1)


def perform(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    task_id: int,
    action: str | ActionKey,
    data: BaseModel | Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Check, apply, journal and commit one action on one task; or change nothing and raise.

    ``expected_version``: the version the caller's screen showed; another one means the task
    changed since (a stale page) and the action is refused as a conflict.
    """
    entry = action_for(action)
    at = now or now_utc()
    judged_again = False
    while True:
        try:
            ctx = _context(session=session, actor=actor, config=config, task_id=task_id, now=at)
            payload = parse_input(entry, data)
            if expected_version is not None and ctx.task.version != expected_version:
                raise StaleState()
            refusal = entry.guard(ctx, payload)
            if refusal is not None:
                # judged on a state someone changed meanwhile: say so, not a reason that may not hold
                raise StaleState() if _overtaken(session, ctx.task) else refusal
            _claim(session, ctx.task)
            bump_data_version(session=session)  # figures may change: caches keyed by it move on commit
            outcome = entry.apply(ctx, payload)
            session.commit()
            return ActionResult(task_id=task_id, version=ctx.task.version, outcome=outcome)
        except ServiceError:
            session.rollback()
            raise
        except IntegrityError:
            # A unique rule that no claim guards, broken by a write committed meanwhile: one unit's
            # số/ký hiệu saved at once for two of its tasks (each claimed only its own; on PostgreSQL
            # both checked before either committed). Judged once more on the new state, the action
            # meets the answer its check gave too early ("Số/ký hiệu … đã có …"), not a conflict
            # about a task nobody else touched.
            session.rollback()
            if judged_again:
                raise StaleState() from None
            judged_again = True
        except OperationalError as exc:
            session.rollback()
            if "locked" in str(exc).lower():  # SQLite gave up waiting for another writer
                raise StaleState() from None
            raise


def refusal_of(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    task_id: int,
    action: str | ActionKey,
    data: BaseModel | Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> ServiceError | None:
    """Why ``perform`` would refuse before applying (visibility, input model, guard), else None."""
    entry = action_for(action)
    try:
        ctx = _context(session=session, actor=actor, config=config, task_id=task_id, now=now or now_utc())
        payload = parse_input(entry, data) if data is not None else None
    except ServiceError as refusal:
        return refusal
    return entry.guard(ctx, payload)


def offers(
    *, session: Session, actor: Actor, config: AppConfig, task_id: int, now: datetime | None = None
) -> list[Offer]:
    """Everything the actor may do on the task now: exactly the actions whose guard passes."""
    ctx = _context(session=session, actor=actor, config=config, task_id=task_id, now=now or now_utc())
    return [offer for entry in REGISTRY.values() for offer in entry.offers_for(ctx)]
