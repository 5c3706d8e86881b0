"""Vào sổ: the clerk enters the assignment in the unit's register of incoming documents.

The register (sổ đăng ký văn bản đến) gives each incoming document a number, số đến, running
from 1 each year in each unit, and the day it arrived, ngày đến. The step that does it is the
first step of the lead unit's main flow, the one leaving the workflows' shared first state
(``vao_so`` in ``config/workflows.yaml``; all main workflows share that state, the config
check makes sure), whatever a unit's own variant calls it. Without a number the next one of the
register is taken; without a date, today. Ngày đến lies between the document's issue date (a
document does not arrive before it is issued; for a task re-routed or replacing another, the day
it was given to the unit) and today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Document, Flow, IncomingEntry, OrgUnit, Task
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.config.workflows import TransitionDef
from services.infra.clock import fmt_date, local_date
from services.infra.errors import InvalidInput
from services.infra.validation import check_date
from services.tasks.queries import get_visible_task

MAX_NUMBER = 999_999


def registers_incoming(*, config: AppConfig, flow: Flow, workflow: str, tr: TransitionDef) -> bool:
    """True for the vào sổ step: on a lead unit's main flow, the step leaving its first state."""
    return flow.parent_flow_id is None and config.workflows.workflows[workflow].initial in tr.from_states


def next_number(*, session: Session, unit_id: int, year: int) -> int:
    """The next số đến of the unit's register for ``year``."""
    highest = session.exec(
        select(func.max(IncomingEntry.number)).where(IncomingEntry.unit_id == unit_id, IncomingEntry.year == year)
    ).one()
    return int(highest or 0) + 1


def register_incoming(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    task: Task,
    flow: Flow,
    number: int | None,
    received_on: date | None,
    now: datetime,
) -> IncomingEntry:
    """Check số đến and ngày đến and add the register's entry (no commit: the step's transaction)."""
    assert task.id is not None and flow.id is not None
    today = local_date(now)
    document = session.get(Document, task.document_id)
    assert document is not None
    received = received_on or today
    check_date(received, label="Ngày đến", field="incoming_date", today=today, limits=config.app)
    if received > today:
        raise InvalidInput(f"Ngày đến {fmt_date(received)} sau ngày hôm nay.", field="incoming_date")
    if received < document.issue_date:
        raise InvalidInput(
            f"Ngày đến {fmt_date(received)} trước ngày ban hành văn bản giao {fmt_date(document.issue_date)}: "
            "văn bản không thể đến trước khi được ban hành.",
            field="incoming_date",
        )
    given_on = local_date(task.created_at)
    if task.replaces_task_id is not None and received < given_on:
        raise InvalidInput(
            f"Ngày đến {fmt_date(received)} trước ngày nhiệm vụ được giao cho đơn vị ({fmt_date(given_on)}).",
            field="incoming_date",
        )
    if number is None:
        number = next_number(session=session, unit_id=flow.unit_id, year=received.year)
    elif not 1 <= number <= MAX_NUMBER:
        raise InvalidInput(f"Số đến phải từ 1 đến {MAX_NUMBER}.", field="incoming_number")
    else:
        clash = session.exec(
            select(IncomingEntry.task_id).where(
                IncomingEntry.unit_id == flow.unit_id,
                IncomingEntry.year == received.year,
                IncomingEntry.number == number,
            )
        ).first()
        if clash is not None:
            raise InvalidInput(
                f"Số đến {number} đã có trong sổ văn bản đến năm {received.year} của đơn vị "
                f"(nhiệm vụ #{clash}). Số tiếp theo là "
                f"{next_number(session=session, unit_id=flow.unit_id, year=received.year)}.",
                field="incoming_number",
            )
    entry = IncomingEntry(
        task_id=task.id,
        flow_id=flow.id,
        unit_id=flow.unit_id,
        number=number,
        year=received.year,
        received_on=received,
        recorded_by=actor.user_id,
        recorded_at=now,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class IncomingView:
    """One vào sổ of a task, as the task page shows it."""

    unit_name: str
    number: int
    received_on: date
    recorded_at: datetime


def incoming_entries(*, session: Session, task_id: int) -> list[IncomingView]:
    """The task's entries in its units' registers, oldest first (visibility: the caller's service)."""
    rows = session.exec(
        select(IncomingEntry, OrgUnit.short_name)
        .join(OrgUnit, col(OrgUnit.id) == col(IncomingEntry.unit_id))
        .where(IncomingEntry.task_id == task_id)
        .order_by(col(IncomingEntry.recorded_at), col(IncomingEntry.id))
    ).all()
    return [
        IncomingView(unit_name=name, number=e.number, received_on=e.received_on, recorded_at=e.recorded_at)
        for e, name in rows
    ]


def task_incoming(*, session: Session, actor: Actor, task_id: int) -> list[IncomingView]:
    """``incoming_entries`` of a task the actor may see; NotFound otherwise (as every task read)."""
    get_visible_task(session=session, actor=actor, task_id=task_id)
    return incoming_entries(session=session, task_id=task_id)
