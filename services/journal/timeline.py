"""The task's journal as a person reads it: one entry per thing that happened, in plain words.

The journal (``task_event``) keeps one row per change, with keys (action, workflow transition,
step, units, the person a step handed to). This module turns those rows into the timeline on the
task page: the title names the step of the regulation ("Bước 4 · Chuyển chuyên viên xử lý") from
the same workflow config the engine runs, the rows written by one action at one moment are shown
as one entry (routing to three sub-units is one decision, not three), and an arrow is drawn only
where a document really moves from one unit to another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from models import EventAction, Flow, IncomingEntry
from services.config import store
from services.config.loader import AppConfig
from services.infra.clock import fmt_date
from services.journal.events import TimelineEntry
from services.org.units import unit_names

# Actions whose rows carry a document from one unit to another.
_MOVES = frozenset({EventAction.ASSIGNED, EventAction.REPLIED, EventAction.REROUTED, EventAction.STEP})


@dataclass
class TimelineItem:
    """One entry of the timeline."""

    at: datetime
    title: str
    actor_name: str
    actor_role: str  # label from config/roles.yaml
    actor_unit: str
    route: str = ""  # "P. CNTT → Sở TT&TT" when a document moves between units, else ""
    details: list[str] = field(default_factory=list)  # facts the system recorded, in words
    note: str = ""  # what the person wrote, shown as they wrote it


def _transition_label(config: AppConfig, workflow: str | None, transition: str) -> str | None:
    """The step's label in the flow's workflow, else in the first workflow that has the key."""
    workflows = config.workflows.workflows
    if workflow in workflows and transition in workflows[workflow].transitions:
        return workflows[workflow].transitions[transition].label
    for wf in workflows.values():
        if transition in wf.transitions:
            return wf.transitions[transition].label
    return None


def _same_action(group: Sequence[TimelineEntry], entry: TimelineEntry) -> bool:
    """Rows one workflow step wrote together: the step on its own flow, then one row per sub-unit
    flow it started or archive-closed (same moment, person, action, transition; other flows)."""
    first = group[0]
    return (
        first.action in (EventAction.STEP, EventAction.ARCHIVED)
        and first.transition is not None
        and (first.at, first.actor_id, first.action, first.transition, first.step)
        == (entry.at, entry.actor_id, entry.action, entry.transition, entry.step)
        and entry.flow_id not in {e.flow_id for e in group}
    )


def describe_timeline(*, session: Session, config: AppConfig, entries: Sequence[TimelineEntry]) -> list[TimelineItem]:
    """The timeline of one task, oldest first. ``entries`` come from a visibility-checked call."""
    names = unit_names(session=session)
    flow_ids = {e.flow_id for e in entries if e.flow_id is not None}
    flows = {
        f.id: f for f in session.exec(select(Flow).where(col(Flow.id).in_(sorted(flow_ids)))).all() if f.id is not None
    }
    # vào sổ: the register's entry of each flow (issue 9), shown under its step
    registered = {
        r.flow_id: r
        for r in session.exec(select(IncomingEntry).where(col(IncomingEntry.flow_id).in_(sorted(flow_ids)))).all()
    }
    items: list[TimelineItem] = []
    group: list[TimelineEntry] = []
    own: dict[int, AppConfig] = {}

    def config_of(flow_id: int | None) -> AppConfig:
        """The step's labels as the version its flow runs on has them (``Flow.config_version_id``)."""
        flow = flows.get(flow_id or 0)
        if flow is None or flow.id is None:
            return config
        if flow.id not in own:
            workflows = store.workflows_at(session, config.workflows, flow.config_version_id)
            own[flow.id] = (
                config if workflows is config.workflows else config.model_copy(update={"workflows": workflows})
            )
        return own[flow.id]

    def flush() -> None:
        if group:
            items.append(_describe(config_of(group[0].flow_id), names, flows, group, registered))
            group.clear()

    for entry in entries:
        if group and not _same_action(group, entry):
            flush()
        group.append(entry)
    flush()
    return items


def _describe(
    config: AppConfig,
    names: dict[int, str],
    flows: dict[int, Flow],
    group: Sequence[TimelineEntry],
    registered: dict[int, IncomingEntry],
) -> TimelineItem:
    first = group[0]
    item = TimelineItem(
        at=first.at,
        title=config.app.event_actions[first.action],
        actor_name=first.actor_name,
        actor_role=config.role_label(first.actor_role),
        actor_unit=names.get(first.actor_unit_id, ""),
        note=first.note,
    )
    if first.transition is not None and first.step is not None:
        flow = flows.get(first.flow_id) if first.flow_id is not None else None
        label = _transition_label(config, flow.workflow if flow else None, first.transition)
        if label is not None:
            item.title = f"Bước {first.step} · {label}"
    if first.to_user_name:
        item.details.append(f"Chuyển chuyên viên: {first.to_user_name}")
    entry = registered.get(first.flow_id or 0)
    flow_of = flows.get(first.flow_id or 0)
    if (  # the step that left the flow's first state is its vào sổ: số đến, ngày đến
        entry is not None
        and flow_of is not None
        and first.action is EventAction.STEP
        and flow_of.workflow in config.workflows.workflows  # (a flow of a workflow since removed: no register)
        and first.from_state == config.workflows.workflows[flow_of.workflow].initial
    ):
        item.details.append(f"Số đến: {entry.number}, ngày đến: {fmt_date(entry.received_on)}")
    if first.action is EventAction.ARCHIVED and first.transition is not None:
        # Lưu kết thúc closes the sub-units' documents inside the unit: nothing moves.
        archived = [names.get(e.to_unit_id or 0, "?") for e in group]
        item.details.append(f"Văn bản của: {', '.join(archived)}")
        return item
    started = [e for e in group[1:] if e.to_unit_id is not None and e.to_unit_id != first.to_unit_id]
    if started:
        item.details.append("Chuyển đến: " + ", ".join(names.get(e.to_unit_id or 0, "?") for e in started))
    if (
        first.action in _MOVES
        and first.from_unit_id is not None
        and first.to_unit_id is not None
        and first.from_unit_id != first.to_unit_id
    ):
        item.route = f"{names.get(first.from_unit_id, '?')} → {names.get(first.to_unit_id, '?')}"
    return item
