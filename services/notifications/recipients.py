"""Who should hear of a journal entry: one ``notification`` row per person, written at commit.

Every write path journals through ``record_event`` and commits through the session, so the
session itself notes the new journal entries of each flush (like the statistics' spans,
``services.stats.spans``) and, before the commit, adds their notifications in the same
transaction: an action that rolls back notifies nobody, and no page or action has to remember to.
A bulk load that bypasses the ORM (``manage.py generate``) writes afterwards what is left to
act on (``notify_what_is_left``). Nobody is notified of their
own act.

Who gets what (README "Thông báo"):

* a task assigned, re-routed or replacing another (``assigned``, ``rerouted``): the lead unit's
  clerks (văn thư, who vào sổ it) and leaders: ``new_task``;
* a step (``step``): whoever the flows it moved now wait for: the flow's assignee when the next
  step is the assignee's, else the active accounts of the unit (the flow's, or its parent's, as
  ``actor_unit`` says) whose role may take one of the next steps of ``config/workflows.yaml``:
  ``step_waiting``;
* a reminder (``reminded``): the lead unit's clerks and leaders, and the specialist holding its
  main flow: ``reminder``;
* a verdict on the reply (``confirmed_done``, ``confirmed_not_done``): the lead unit's clerks and
  leaders: ``verdict``;
* a deadline extended (``extended``) or an extension request decided: the lead unit's clerks and
  leaders; an extension requested: the task's tracker, or every tracker of VP UBND when it has
  none: ``extension``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, event, func, insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, col, select

from models import (
    EventAction,
    Flow,
    Notification,
    NotificationKind,
    OrgUnit,
    Role,
    Task,
    TaskEvent,
    TaskStatus,
    UnitKind,
    User,
)
from services.config.errors import ConfigError
from services.config.store import workflows_at
from services.config.workflows import ActorUnit, WorkflowsConfig, load_workflows
from services.infra.bulk import bulk_of
from services.infra.settings import get_settings

# Xin gia hạn (services/actions/extensions.py): a request goes to VP UBND, a decision to the unit.
EXTENSION_REQUESTED_EVENTS = frozenset({EventAction.EXTENSION_REQUESTED})
EXTENSION_DECIDED_EVENTS = frozenset({EventAction.EXTENSION_GRANTED, EventAction.EXTENSION_REFUSED})

_TO_LEAD_UNIT: dict[EventAction, NotificationKind] = {
    EventAction.ASSIGNED: NotificationKind.NEW_TASK,
    EventAction.REROUTED: NotificationKind.NEW_TASK,
    EventAction.REMINDED: NotificationKind.REMINDER,
    EventAction.CONFIRMED_DONE: NotificationKind.VERDICT,
    EventAction.CONFIRMED_NOT_DONE: NotificationKind.VERDICT,
    EventAction.EXTENDED: NotificationKind.EXTENSION,
    **dict.fromkeys(EXTENSION_DECIDED_EVENTS, NotificationKind.EXTENSION),
}
_LEAD_ROLES = (Role.CLERK, Role.LEADER)
NOTIFIED = frozenset({*_TO_LEAD_UNIT, EventAction.STEP, *EXTENSION_REQUESTED_EVENTS})

_EVENTS = "giaoviec.notify_events"
_FLOWS = "giaoviec.notify_flows"


class _Audience:
    """The accounts a commit's notifications go to, each (unit, roles) read once per commit: a
    commit with many entries (an import, an assignment of many tasks) asks the same few questions."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._users: dict[tuple[int, tuple[Role, ...]], set[int]] = {}

    def users(self, unit_id: int | None, roles: Iterable[Role]) -> set[int]:
        if unit_id is None:
            return set()
        key = (unit_id, tuple(roles))
        if key not in self._users:
            query = select(User.id).where(
                User.unit_id == unit_id,
                col(User.role).in_(list(key[1])),
                User.active == True,  # noqa: E712
            )
            self._users[key] = {i for i in self.session.exec(query).all() if i is not None}
        return set(self._users[key])


@lru_cache(maxsize=4)
def _seed_workflows(config_dir: Path) -> WorkflowsConfig:
    return load_workflows(config_dir)


def _waiting_for(audience: _Audience, flow: Flow) -> set[int]:
    """The accounts a flow waits for in its state: those who may take one of its next steps."""
    session = audience.session
    try:
        workflows = workflows_at(session, _seed_workflows(get_settings().config_dir), flow.config_version_id)
    except ConfigError:  # a notification never stops the action it tells of
        return set()
    workflow = workflows.workflows.get(flow.workflow)
    state = workflow.states.get(flow.state) if workflow is not None else None
    if workflow is None or state is None or state.final:
        return set()
    users: set[int] = set()
    for transition in workflow.transitions.values():
        if flow.state not in transition.from_states or transition.only_as_effect:
            continue
        if transition.assignee and flow.assignee_id is not None:
            users.add(flow.assignee_id)
            continue
        unit_id: int | None = flow.unit_id
        if transition.actor_unit is ActorUnit.PARENT:
            unit = session.get(OrgUnit, flow.unit_id)
            unit_id = unit.parent_id if unit else None
        users |= audience.users(unit_id, transition.roles)
    return users


def _recipients(audience: _Audience, entry: TaskEvent, flows: list[Flow]) -> tuple[NotificationKind, set[int]] | None:
    """``flows``: the flows of the entry's task this transaction wrote."""
    session = audience.session
    task = session.get(Task, entry.task_id)
    if task is None:
        return None
    if entry.action in _TO_LEAD_UNIT:
        users = audience.users(task.lead_unit_id, _LEAD_ROLES)
        if entry.action is EventAction.REMINDED:
            main = session.exec(
                select(Flow.assignee_id).where(
                    Flow.task_id == task.id,
                    col(Flow.parent_flow_id).is_(None),
                    col(Flow.active).is_(True),
                )
            ).first()
            if main is not None:
                users.add(main)
        return _TO_LEAD_UNIT[entry.action], users
    if entry.action in EXTENSION_REQUESTED_EVENTS:
        if task.tracker_id is not None:
            return NotificationKind.EXTENSION, {task.tracker_id}
        office = session.exec(select(OrgUnit.id).where(OrgUnit.kind == UnitKind.OFFICE)).first()
        return NotificationKind.EXTENSION, audience.users(office, (Role.TRACKER,))
    if entry.action is EventAction.STEP and task.status is TaskStatus.OPEN:
        users = set()
        for flow in flows:
            if flow.active:
                users |= _waiting_for(audience, flow)
        return NotificationKind.STEP_WAITING, users
    return None


def _still_to_act_on(session: Session, events: list[TaskEvent]) -> list[TaskEvent]:
    """In a bulk write (the task import, ``services.infra.bulk``): only the latest entries of each
    task left open, the ones a person must still act on (its assignment, or the "Chưa hoàn thành"
    verdict that sent it back); a past that ended in a reply or a verdict notifies nobody."""
    latest: dict[int, list[TaskEvent]] = {}
    for entry in events:
        kept = latest.setdefault(entry.task_id, [])
        if kept and entry.at > kept[0].at:
            kept.clear()
        if not kept or entry.at == kept[0].at:
            kept.append(entry)
    ids = sorted(latest)
    found: list[TaskEvent] = []
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        query = select(col(Task.id)).where(col(Task.id).in_(chunk), Task.status == TaskStatus.OPEN)
        for task_id in session.exec(query).all():
            found.extend(latest[task_id or 0])
    return sorted(found, key=lambda e: e.id or 0)


def _after_flush(session: OrmSession, _context: UOWTransaction) -> None:
    """Note the journal entries and the flows this flush wrote (their ids are known now)."""
    events: list[TaskEvent] = session.info.setdefault(_EVENTS, [])
    flows: dict[int, Flow] = session.info.setdefault(_FLOWS, {})
    for obj in session.new:
        if isinstance(obj, TaskEvent) and obj.action in NOTIFIED:
            events.append(obj)
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Flow) and obj.id is not None:
            flows[obj.id] = obj


def _before_commit(session: OrmSession) -> None:
    """Add the notifications of the noted entries: they commit with them."""
    session.flush()
    events: list[TaskEvent] = session.info.pop(_EVENTS, [])
    flows: dict[int, Flow] = session.info.pop(_FLOWS, {})
    if not events:
        return
    assert isinstance(session, Session), "the app's sessions are sqlmodel sessions"
    if bulk_of(session) is not None:
        events = _still_to_act_on(session, events)
    flows_of: dict[int, list[Flow]] = {}
    for flow in flows.values():
        flows_of.setdefault(flow.task_id, []).append(flow)
    for row in _notification_rows(session, events, flows_of):
        session.add(Notification(**row))  # through the ORM: the plugins' channels hear of them
    session.flush()


def _notification_rows(
    session: Session, events: Iterable[TaskEvent], flows_of: dict[int, list[Flow]]
) -> list[dict[str, Any]]:
    """The notification rows of these journal entries (``flows_of``: the flows of each entry's task
    to ask who waits), each person once per entry, nobody of their own act."""
    audience = _Audience(session)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    with session.no_autoflush:
        for entry in events:
            assert entry.id is not None
            found = _recipients(audience, entry, flows_of.get(entry.task_id, []))
            if found is None:
                continue
            kind, users = found
            for user_id in sorted(users - {entry.actor_id}):
                if (user_id, entry.id) not in seen:
                    seen.add((user_id, entry.id))
                    row = {"user_id": user_id, "task_id": entry.task_id, "event_id": entry.id, "kind": kind}
                    rows.append({**row, "created_at": entry.at})
    return rows


def notify_what_is_left(*, session: Session) -> int:
    """The notifications a load that bypassed the ORM (``manage.py generate``) would have left:
    every open task notifies as its latest notified journal entries would have, the rule of a bulk
    write (``_still_to_act_on``): its assignment not yet entered, the step it waits at (whoever its
    active flows wait for now), the "Chưa hoàn thành" verdict that sent it back, an extension asked
    for. A task replied, done or closed notifies nobody; nobody hears of their own act. Written in
    this session's transaction (not committed) as plain rows, so no plugin channel is called for a
    history nobody lived. An entry already notified is left as it is (a second load adds only its
    own). Returns how many were written."""
    notified = [action.value for action in NOTIFIED]
    latest = (
        select(col(TaskEvent.task_id).label("task_id"), func.max(TaskEvent.at).label("at"))
        .where(col(TaskEvent.action).in_(notified))
        .group_by(col(TaskEvent.task_id))
        .subquery()
    )
    entries = session.exec(
        select(TaskEvent)
        .join(latest, and_(col(TaskEvent.task_id) == latest.c.task_id, col(TaskEvent.at) == latest.c.at))
        .join(Task, col(Task.id) == col(TaskEvent.task_id))
        .where(Task.status == TaskStatus.OPEN, col(TaskEvent.action).in_(notified))
        .order_by(col(TaskEvent.id))
    ).all()
    told = set(session.exec(select(Notification.event_id).distinct()).all())  # a second load: not twice
    entries = [entry for entry in entries if entry.id not in told]
    ids = sorted({entry.task_id for entry in entries})
    held: list[object] = []  # the tasks and flows stay in the identity map while they are asked for
    flows_of: dict[int, list[Flow]] = {}
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        held.extend(session.exec(select(Task).where(col(Task.id).in_(chunk))).all())
        for flow in session.exec(select(Flow).where(col(Flow.task_id).in_(chunk), col(Flow.active))).all():
            flows_of.setdefault(flow.task_id, []).append(flow)
    rows = _notification_rows(session, entries, flows_of)
    for start in range(0, len(rows), 5000):  # plain rows: no plugin channel is called
        session.execute(insert(Notification), rows[start : start + 5000])
    del held
    return len(rows)


def _forget(session: OrmSession, *_: object) -> None:
    session.info.pop(_EVENTS, None)
    session.info.pop(_FLOWS, None)


event.listen(OrmSession, "after_flush", _after_flush)
event.listen(OrmSession, "before_commit", _before_commit)
event.listen(OrmSession, "after_rollback", _forget)

# the plugins' notification channels hear of the notifications above: registered after these
from services.notifications import channels as _channels  # noqa: E402, F401
