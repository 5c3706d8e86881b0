"""Keyword helpers the tests call: each one is a single ``perform`` of the registry.

They keep the tests readable (``add_note(session=…, note=…)``) while every action still goes
through the one entry point the pages and the API use; no rule lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache

from sqlmodel import Session, col, select

from models import ActionKey, Confirmation, Document, ExtensionRequest, Flow, ReminderLevel, Task, WrongUnitRequest
from models.extensions import ExtensionGrantInput, ExtensionRefuseInput, ExtensionRequestInput
from models.schemas import (
    ConfirmationCreate,
    ContributionInput,
    NoteInput,
    RemindInput,
    ReplaceInput,
    ReplyCreate,
    ReplyInput,
    RevokeInput,
    StepInput,
    TaskCreate,
    UpdateInput,
    WrongUnitAcceptInput,
    WrongUnitRefuseInput,
    WrongUnitRequestInput,
)
from services.access.permissions import Actor
from services.actions.registry import perform
from services.config.loader import AppConfig, load_config
from services.infra.settings import ROOT
from services.tasks.requests import list_pending_requests
from services.workflow.engine import available_steps as available_actions

__all__ = [
    "add_note",
    "archive_wrong_unit",
    "available_actions",
    "confirm_task",
    "contribute",
    "decide_extension",
    "decide_wrong_unit",
    "fire",
    "issue_reply",
    "list_pending_requests",
    "remind",
    "replace_task",
    "request_extension",
    "request_wrong_unit",
    "revoke_task",
    "update_task",
]


@lru_cache(maxsize=1)
def _config() -> AppConfig:
    """The shipped config, for the helpers whose old signature took none (their actions read no
    workflow: notes, contributions, requests, archive, revoke, update)."""
    return load_config(ROOT / "config")


def add_note(*, session: Session, actor: Actor, task_id: int, note: str, now: datetime | None = None) -> None:
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.NOTE,
        data=NoteInput(note=note),
        now=now,
    )


def contribute(*, session: Session, actor: Actor, task_id: int, note: str, now: datetime | None = None) -> None:
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.CONTRIBUTE,
        data=ContributionInput(note=note),
        now=now,
    )


def fire(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    flow_id: int,
    transition: str,
    workflow: str | None = None,
    note: str = "",
    assignee_id: int | None = None,
    subunit_ids: Sequence[int] = (),
    reply: ReplyCreate | None = None,
    now: datetime | None = None,
) -> Flow:
    """One workflow step (the reply step when ``reply`` is given)."""
    flow = session.get(Flow, flow_id)
    task_id = flow.task_id if flow is not None else 0
    if reply is not None:
        perform(
            session=session,
            actor=actor,
            config=config,
            task_id=task_id,
            action=ActionKey.REPLY,
            data=ReplyInput(**reply.model_dump(), note=note),
            now=now,
        )
    else:
        perform(
            session=session,
            actor=actor,
            config=config,
            task_id=task_id,
            action=ActionKey.STEP,
            data=StepInput(
                flow_id=flow_id,
                transition=transition,
                workflow=workflow,
                note=note,
                assignee_id=assignee_id,
                subunit_ids=list(subunit_ids),
            ),
            now=now,
        )
    fresh = session.get(Flow, flow_id)
    assert fresh is not None
    return fresh


def issue_reply(
    *, session: Session, actor: Actor, config: AppConfig, task_id: int, data: ReplyCreate, now: datetime | None = None
) -> Document:
    perform(
        session=session,
        actor=actor,
        config=config,
        task_id=task_id,
        action=ActionKey.REPLY,
        data=ReplyInput(**data.model_dump()),
        now=now,
    )
    reply = session.exec(select(Document).where(Document.task_id == task_id).order_by(col(Document.id).desc())).first()
    assert reply is not None
    return reply


def confirm_task(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    task_id: int,
    data: ConfirmationCreate,
    now: datetime | None = None,
) -> Confirmation:
    perform(session=session, actor=actor, config=config, task_id=task_id, action=ActionKey.CONFIRM, data=data, now=now)
    confirmation = session.exec(
        select(Confirmation).where(Confirmation.task_id == task_id).order_by(col(Confirmation.id).desc())
    ).first()
    assert confirmation is not None
    return confirmation


def request_wrong_unit(
    *, session: Session, actor: Actor, task_id: int, reason: str, now: datetime | None = None
) -> WrongUnitRequest:
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.WRONG_UNIT_REQUEST,
        data=WrongUnitRequestInput(reason=reason),
        now=now,
    )
    request = session.exec(
        select(WrongUnitRequest).where(WrongUnitRequest.task_id == task_id).order_by(col(WrongUnitRequest.id).desc())
    ).first()
    assert request is not None
    return request


def decide_wrong_unit(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    request_id: int,
    accept: bool,
    note: str = "",
    new_lead_unit_code: str | None = None,
    new_deadline: date | None = None,
    now: datetime | None = None,
) -> Task | None:
    request = session.get(WrongUnitRequest, request_id)
    task_id = request.task_id if request is not None else 0
    if not accept:
        perform(
            session=session,
            actor=actor,
            config=config,
            task_id=task_id,
            action=ActionKey.WRONG_UNIT_REFUSE,
            data=WrongUnitRefuseInput(note=note),
            now=now,
        )
        return None
    result = perform(
        session=session,
        actor=actor,
        config=config,
        task_id=task_id,
        action=ActionKey.WRONG_UNIT_ACCEPT,
        data=WrongUnitAcceptInput(new_lead_unit_code=new_lead_unit_code or "", new_deadline=new_deadline, note=note),
        now=now,
    )
    assert result.outcome.created_task_id is not None
    return session.get(Task, result.outcome.created_task_id)


def remind(
    *, session: Session, actor: Actor, task_id: int, level: ReminderLevel, note: str = "", now: datetime | None = None
) -> None:
    """Đôn đốc by hand: VP UBND's tracker reminds the lead unit at ``level``."""
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.REMIND,
        data=RemindInput(level=level, note=note),
        now=now,
    )


def request_extension(
    *, session: Session, actor: Actor, task_id: int, requested_deadline: date, reason: str, now: datetime | None = None
) -> ExtensionRequest:
    """Xin gia hạn: the lead unit's leader asks for ``requested_deadline``."""
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.EXTENSION_REQUEST,
        data=ExtensionRequestInput(requested_deadline=requested_deadline, reason=reason),
        now=now,
    )
    request = session.exec(
        select(ExtensionRequest).where(ExtensionRequest.task_id == task_id).order_by(col(ExtensionRequest.id).desc())
    ).first()
    assert request is not None
    return request


def decide_extension(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    grant: bool,
    note: str = "",
    granted_deadline: date | None = None,
    now: datetime | None = None,
) -> None:
    """VP UBND grants the task's pending request (to ``granted_deadline``, else the date asked) or refuses it."""
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.EXTENSION_GRANT if grant else ActionKey.EXTENSION_REFUSE,
        data=ExtensionGrantInput(granted_deadline=granted_deadline, note=note)
        if grant
        else ExtensionRefuseInput(note=note),
        now=now,
    )


def archive_wrong_unit(*, session: Session, actor: Actor, task_id: int, now: datetime | None = None) -> None:
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.ARCHIVE,
        data={},
        now=now,
    )


def revoke_task(*, session: Session, actor: Actor, task_id: int, reason: str, now: datetime | None = None) -> Task:
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.REVOKE,
        data=RevokeInput(reason=reason),
        now=now,
    )
    task = session.get(Task, task_id)
    assert task is not None
    return task


def update_task(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    reason: str,
    content: str | None = None,
    deadline: date | None = None,
    now: datetime | None = None,
) -> Task:
    perform(
        session=session,
        actor=actor,
        config=_config(),
        task_id=task_id,
        action=ActionKey.UPDATE,
        data=UpdateInput(reason=reason, content=content, deadline=deadline),
        now=now,
    )
    task = session.get(Task, task_id)
    assert task is not None
    return task


def replace_task(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    task_id: int,
    data: TaskCreate,
    reason: str,
    now: datetime | None = None,
) -> Task:
    result = perform(
        session=session,
        actor=actor,
        config=config,
        task_id=task_id,
        action=ActionKey.REPLACE,
        data=ReplaceInput(
            reason=reason, content=data.content, lead_unit_code=data.lead_unit_code, deadline=data.deadline
        ),
        now=now,
    )
    assert result.outcome.created_task_id is not None
    task = session.get(Task, result.outcome.created_task_id)
    assert task is not None
    return task
