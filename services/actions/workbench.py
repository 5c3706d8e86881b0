"""What the task page needs to draw its forms: the registry's offers and the choices they take.

No rule lives here: which actions are shown is exactly ``registry.offers``; this only adds the
lists a form picks from (specialists, sub-units, units) and the version the page sends back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models import ActionKey, WrongUnitRequest
from services.access.permissions import Actor
from services.actions.base import Offer
from services.actions.registry import offers
from services.config.loader import AppConfig
from services.org.units import lead_units, unit_search_text
from services.tasks.queries import get_visible_task
from services.tasks.requests import pending_request
from services.workflow.engine import FlowView, assignee_candidates, flow_views, subunits_of


@dataclass(frozen=True)
class Choice:
    value: int | str
    label: str
    search: str = ""  # what a picker's search also looks in (a unit's full name and code)


@dataclass(frozen=True)
class TaskWorkbench:
    version: int  # sent back with every action: a stale page is refused as a conflict
    flows: list[FlowView]
    offers: list[Offer]
    assignees: dict[int, list[Choice]]  # flow id -> people a leader may hand it to
    subunits: dict[int, list[Choice]]  # flow id -> sub-units it may be routed to
    units: list[Choice]  # units a task may be re-routed to (codes), for accept and replace
    pending_wrong_unit: WrongUnitRequest | None

    def offered(self, key: ActionKey) -> list[Offer]:
        return [o for o in self.offers if o.key is key]

    def can(self, key: ActionKey) -> bool:
        return any(o.key is key for o in self.offers)


def task_workbench(*, session: Session, actor: Actor, config: AppConfig, task_id: int) -> TaskWorkbench:
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    available = offers(session=session, actor=actor, config=config, task_id=task_id)
    flows = flow_views(session=session, config=config, task_id=task_id)
    units_of_flow = {f.flow_id: f.unit_id for f in flows}
    assignees = {
        o.flow_id: [
            Choice(u.id or 0, f"{u.full_name} ({config.role_label(u.role)})")
            for u in assignee_candidates(session=session, unit_id=units_of_flow[o.flow_id])
        ]
        for o in available
        if o.choose_assignee and o.flow_id is not None
    }
    subunits = {
        o.flow_id: [
            Choice(u.id or 0, u.short_name) for u in subunits_of(session=session, unit_id=units_of_flow[o.flow_id])
        ]
        for o in available
        if o.start_subflows and o.flow_id is not None
    }
    rerouting = any(o.key in (ActionKey.WRONG_UNIT_ACCEPT, ActionKey.REPLACE) for o in available)
    # only units that may lead (never a phòng): the services refuse the others anyway
    units = (
        [Choice(u.code, u.short_name, unit_search_text(u)) for u in lead_units(session=session)] if rerouting else []
    )
    return TaskWorkbench(
        version=task.version,
        flows=flows,
        offers=available,
        assignees=assignees,
        subunits=subunits,
        units=units,
        pending_wrong_unit=pending_request(session=session, task_id=task_id),
    )
