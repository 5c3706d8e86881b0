"""The workflow engine: runs the routing templates of ``config/workflows.yaml`` (Điều 5.1.e).

``resolve_step`` is a step's guard (state, role, unit, assignee, sub flows); ``apply_step``
applies the transition and its effects (hand to a specialist, start sub-unit flows, archive-close
them) and journals it. Neither commits: a step is one action of ``services.actions.registry``,
which checks, applies, journals and commits it together with the task's version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from models import EventAction, Flow, OrgUnit, Role, Task, TaskEvent, TaskStatus, User
from services.access.permissions import Actor
from services.config import store
from services.config.loader import AppConfig
from services.config.workflows import ActorUnit, TransitionDef, WorkflowDef
from services.infra.bulk import memo
from services.infra.clock import local_date
from services.infra.errors import Conflict, NotFound, PermissionDenied
from services.infra.text import clean_text
from services.infra.validation import FieldErrors
from services.journal.events import record_event

ASSIGNEE_ROLES = (Role.SPECIALIST, Role.TRACKER)


@dataclass(frozen=True)
class StepOption:
    """A transition the actor may fire now on one flow of a task."""

    flow_id: int
    unit_name: str
    workflow: str
    transition: str
    label: str
    step: int
    choose_assignee: bool
    start_subflows: bool
    issue_reply: bool
    note_required: bool
    routing_choice: bool


@dataclass(frozen=True)
class FlowView:
    """Where a task stands in one unit ("đang ở bước …")."""

    flow_id: int
    unit_id: int
    unit_name: str
    parent_flow_id: int | None
    workflow: str
    workflow_label: str
    state: str
    state_label: str
    final: bool
    active: bool
    assignee_name: str


# --- reading -----------------------------------------------------------------------------------


def _workflow(config: AppConfig, key: str) -> WorkflowDef:
    return config.workflows.workflows[key]


def config_at_version(*, session: Session, config: AppConfig, version_id: int | None) -> AppConfig:
    """``config`` with the workflows of stored version ``version_id`` (None: the seed, which is
    ``config`` itself while no version is stored). A flow runs on the version it started on."""
    workflows = store.workflows_at(session, config.workflows, version_id)
    return config if workflows is config.workflows else config.model_copy(update={"workflows": workflows})


def flow_config(*, session: Session, config: AppConfig, flow: Flow) -> AppConfig:
    """The configuration a flow runs on: its workflows are those of the version it started on
    (``Flow.config_version_id``), whatever was changed since; the rest is ``config``'s."""
    return config_at_version(session=session, config=config, version_id=flow.config_version_id)


def unit_main_workflows(*, session: Session, config: AppConfig, unit_id: int) -> dict[str, WorkflowDef]:
    """The main workflows this unit may run (shared ones and its own variants, see ``mains_for``)."""
    workflows = config.workflows

    def read() -> tuple[object, dict[str, WorkflowDef]]:
        unit = session.get(OrgUnit, unit_id)
        has_subunits = bool(subunits_of(session=session, unit_id=unit_id))
        return workflows, workflows.mains_for(unit.code if unit else "", has_subunits=has_subunits)

    # kept per unit and per workflows object (a flow's own version has its own): the kept value
    # holds the object, so another version can never be taken for it
    kept, mains = memo(session, ("unit_main_workflows", unit_id, id(workflows)), read)
    return mains if kept is workflows else read()[1]


def default_main_workflow(*, session: Session, config: AppConfig, unit_id: int) -> str:
    """The workflow a new flow starts in: the unit's first that needs no sub-units (its own
    variant of the short workflow if it has one). Steps before bút phê are shared by all."""
    mains = unit_main_workflows(session=session, config=config, unit_id=unit_id)
    return next(k for k, w in mains.items() if not w.requires_subunits)


def subunits_of(*, session: Session, unit_id: int) -> list[OrgUnit]:
    """The unit's active sub-units (read once per import: ``services.infra.bulk.memo``)."""

    def read() -> list[OrgUnit]:
        query = select(OrgUnit).where(OrgUnit.parent_id == unit_id, OrgUnit.active == True)  # noqa: E712
        return list(session.exec(query.order_by(col(OrgUnit.sort_order))).all())

    return list(memo(session, ("subunits_of", unit_id), read))


def assignee_candidates(*, session: Session, unit_id: int) -> list[User]:
    """Who a leader may hand a flow to: the unit's active specialists and trackers."""

    def read() -> list[User]:
        query = select(User).where(User.unit_id == unit_id, User.active == True, col(User.role).in_(ASSIGNEE_ROLES))  # noqa: E712
        return list(session.exec(query.order_by(col(User.full_name))).all())

    return list(memo(session, ("assignee_candidates", unit_id), read))


def _candidate_workflows(session: Session, config: AppConfig, flow: Flow) -> list[str]:
    """The flow's workflow once chosen; before that every main workflow that fits the unit."""
    if flow.committed or flow.parent_flow_id is not None:
        return [flow.workflow]
    mains = unit_main_workflows(session=session, config=config, unit_id=flow.unit_id)
    return [key for key, wf in mains.items() if flow.state in wf.states]


def _parent_unit_id(session: Session, unit_id: int) -> int | None:
    unit = session.get(OrgUnit, unit_id)
    return unit.parent_id if unit else None


def _actor_may(session: Session, actor: Actor, flow: Flow, tr: TransitionDef) -> bool:
    """Role, unit (the flow's or its parent) and, where the step says so, the assignee."""
    if actor.at_office or actor.role not in tr.roles:
        return False
    if tr.actor_unit is ActorUnit.FLOW:
        unit_ok = actor.unit_id == flow.unit_id
    else:
        unit_ok = actor.unit_id == _parent_unit_id(session, flow.unit_id)
    if not unit_ok:
        return False
    return not (tr.assignee and flow.assignee_id is not None and flow.assignee_id != actor.user_id)


def _children(session: Session, flow: Flow) -> list[Flow]:
    return list(session.exec(select(Flow).where(Flow.parent_flow_id == flow.id, Flow.active == True)).all())  # noqa: E712


def _unfinished_children(session: Session, config: AppConfig, flow: Flow) -> list[Flow]:
    return [c for c in _children(session, flow) if not _workflow(config, c.workflow).states[c.state].final]


def _archivable(session: Session, config: AppConfig, flow: Flow, tr: TransitionDef) -> list[tuple[Flow, TransitionDef]]:
    """The sub flows a step's ``archive_subflows`` closes, each with its lưu kết thúc transition."""
    if tr.archive_subflows is None:
        return []
    found = []
    for child in _children(session, flow):
        sub_tr = _workflow(config, child.workflow).transitions.get(tr.archive_subflows)
        if sub_tr is not None and child.state in sub_tr.from_states:
            found.append((child, sub_tr))
    return found


def _archive_refused(session: Session, config: AppConfig, actor: Actor, flow: Flow, tr: TransitionDef) -> str | None:
    """Why the actor may not lưu kết thúc a sub flow this step would close, else None.

    Lưu kết thúc is a transition of its own in workflows.yaml, with its own ``roles`` and
    ``actor_unit``; fired as the effect of a parent step it must still be fired by whom it names,
    or a step offered to one role would close documents the configuration reserves for another.
    """
    for child, sub_tr in _archivable(session, config, flow, tr):
        if not _actor_may(session, actor, child, sub_tr):
            roles = ", ".join(config.role_label(r) for r in sub_tr.roles)
            where = "đơn vị cha" if sub_tr.actor_unit is ActorUnit.PARENT else "đơn vị đang xử lý"
            return f"Bước “{tr.label}” lưu kết thúc văn bản của đơn vị trực thuộc, việc dành cho {roles} của {where}."
    return None


def _task_open(task: Task, flow: Flow) -> bool:
    if not flow.active or task.status in (TaskStatus.DONE, TaskStatus.CLOSED):
        return False
    # the main flow rests while VP UBND confirms the reply
    return not (flow.parent_flow_id is None and task.status is TaskStatus.REPLIED)


def _transitions_from(session: Session, config: AppConfig, flow: Flow) -> list[tuple[str, str, TransitionDef]]:
    """(workflow, key, transition) leaving the flow's state, one per distinct choice."""
    seen: dict[tuple[str, str], tuple[str, str, TransitionDef]] = {}
    for wf_key in _candidate_workflows(session, config, flow):
        for key, tr in _workflow(config, wf_key).transitions.items():
            if flow.state not in tr.from_states or tr.only_as_effect:
                continue
            identity = (key, tr.model_dump_json())  # only identical steps merge (vào sổ), not bút phê
            if identity not in seen or wf_key == flow.workflow:
                seen[identity] = (wf_key, key, tr)
    return list(seen.values())


def available_steps(*, session: Session, actor: Actor, config: AppConfig, task_id: int) -> list[StepOption]:
    """Everything the actor may do now on the task's flows, in step order."""
    task = session.get(Task, task_id)
    if task is None:
        return []
    names = memo(session, "unit_short_names", lambda: {u.id: u.short_name for u in session.exec(select(OrgUnit)).all()})
    actions: list[StepOption] = []
    for flow in session.exec(select(Flow).where(Flow.task_id == task_id).order_by(col(Flow.id))).all():
        if not _task_open(task, flow):
            continue
        on = flow_config(session=session, config=config, flow=flow)
        for wf_key, key, tr in _transitions_from(session, on, flow):
            if not _actor_may(session, actor, flow, tr):
                continue
            if tr.wait_subflows and _unfinished_children(session, on, flow):
                continue
            if _archive_refused(session, on, actor, flow, tr) is not None:
                continue
            assert flow.id is not None
            actions.append(
                StepOption(
                    flow_id=flow.id,
                    unit_name=names.get(flow.unit_id, "?"),
                    workflow=wf_key,
                    transition=key,
                    label=tr.label,
                    step=tr.step,
                    choose_assignee=tr.choose_assignee,
                    start_subflows=tr.start_subflows is not None,
                    issue_reply=tr.issue_reply,
                    note_required=tr.note_required,
                    routing_choice=tr.routing_choice,
                )
            )
    return sorted(actions, key=lambda a: (a.step, a.flow_id, a.transition))


def flow_views(*, session: Session, config: AppConfig, task_id: int) -> list[FlowView]:
    """Where the task stands in each unit holding it (main flow first)."""
    names = {u.id: u.short_name for u in session.exec(select(OrgUnit)).all()}
    users = {u.id: u.full_name for u in session.exec(select(User)).all()}
    views = []
    for flow in session.exec(select(Flow).where(Flow.task_id == task_id).order_by(col(Flow.id))).all():
        assert flow.id is not None
        wf = _workflow(flow_config(session=session, config=config, flow=flow), flow.workflow)
        state = wf.states[flow.state]
        views.append(
            FlowView(
                flow_id=flow.id,
                unit_id=flow.unit_id,
                unit_name=names.get(flow.unit_id, "?"),
                parent_flow_id=flow.parent_flow_id,
                workflow=flow.workflow,
                workflow_label=wf.label if flow.committed or flow.parent_flow_id else "Chưa chọn quy trình",
                state=flow.state,
                state_label=state.label,
                final=state.final,
                active=flow.active,
                assignee_name=users.get(flow.assignee_id, "") if flow.assignee_id else "",
            )
        )
    return views


def main_flow(*, session: Session, task_id: int) -> Flow | None:
    return session.exec(
        select(Flow).where(Flow.task_id == task_id, col(Flow.parent_flow_id).is_(None)).order_by(col(Flow.id).desc())
    ).first()


@dataclass(frozen=True)
class DraftApproval:
    """The step that put a flow where its reply is issued: the leader's approval of the draft
    (duyệt, phê duyệt ban hành), as the journal recorded it."""

    on: date  # the day it was taken (Vietnam)
    step: int
    label: str


def draft_approval(*, session: Session, config: AppConfig, flow: Flow) -> DraftApproval | None:
    """When the draft of the reply issued on ``flow`` was approved, from the journal.

    Only a step moves a flow, and each step writes one STEP row on that flow (sub flows started
    or closed by it write rows on their own flows), so the latest STEP row of the flow is the
    step into the state the reply is issued from, whatever a unit's own workflow calls it. A
    reply dated before it would be a document issued before anybody approved it.
    """
    if flow.id is None:
        return None
    event = session.exec(
        select(TaskEvent)  # by the task's index (a flow's entries are its task's): the journal is long
        .where(TaskEvent.task_id == flow.task_id, TaskEvent.flow_id == flow.id, TaskEvent.action == EventAction.STEP)
        .order_by(col(TaskEvent.at).desc(), col(TaskEvent.id).desc())
    ).first()
    if event is None or event.transition is None:
        return None
    tr = _workflow(flow_config(session=session, config=config, flow=flow), flow.workflow).transitions.get(
        event.transition
    )
    label = tr.label if tr is not None else event.transition
    return DraftApproval(on=local_date(event.at), step=event.step or (tr.step if tr else 0), label=label)


def unit_holds_task(*, session: Session, unit_id: int, task_id: int) -> bool:
    """True when the unit holds a flow of the task (a sub-unit routed to, for instance)."""
    return session.exec(select(Flow.id).where(Flow.task_id == task_id, Flow.unit_id == unit_id)).first() is not None


# --- changing ----------------------------------------------------------------------------------


def start_main_flow(*, session: Session, config: AppConfig, task: Task, now: datetime) -> Flow:
    """The lead unit's flow, waiting at the first step (added to the session, not committed)."""
    assert task.id is not None
    # the flow finishes on this version (an import, one bulk write, reads it once)
    version = memo(session, "config_version", lambda: store.current_version_id(session)) or None
    on = config_at_version(session=session, config=config, version_id=version)
    wf_key = default_main_workflow(session=session, config=on, unit_id=task.lead_unit_id)
    flow = Flow(
        task_id=task.id,
        unit_id=task.lead_unit_id,
        workflow=wf_key,
        state=_workflow(on, wf_key).initial,
        config_version_id=version,
        created_at=now,
        updated_at=now,
    )
    session.add(flow)
    return flow


def restart_main_flow(*, session: Session, config: AppConfig, task: Task, now: datetime) -> None:
    """After "not done": the unit handles the task again from the first step."""
    assert task.id is not None
    for flow in session.exec(select(Flow).where(Flow.task_id == task.id, Flow.active == True)).all():  # noqa: E712
        flow.active = False
        flow.updated_at = now
        session.add(flow)
    start_main_flow(session=session, config=config, task=task, now=now)


def close_flows(*, session: Session, task_id: int, now: datetime) -> None:
    """The task left the unit (revoked, wrong unit): every flow, main and sub, stops."""
    for flow in session.exec(select(Flow).where(Flow.task_id == task_id, Flow.active == True)).all():  # noqa: E712
        flow.active = False
        flow.updated_at = now
        session.add(flow)


@dataclass(frozen=True)
class StepApplied:
    """What ``apply_step`` did, for the caller that journals the step itself (the reply)."""

    flow: Flow
    from_state: str
    transition: TransitionDef


def resolve_step(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    task: Task,
    flow_id: int,
    transition: str,
    workflow: str | None = None,
) -> tuple[Flow, str, TransitionDef]:
    """The guard of one step: (flow, workflow, transition) the actor may fire now, or the refusal.

    Reads only; ``services.actions.steps`` calls it as the step's check and again to apply.
    """
    flow = session.get(Flow, flow_id)
    if flow is None or flow.id is None or flow.task_id != task.id:
        raise NotFound(f"Không tìm thấy luồng xử lý #{flow_id}.")
    if not _task_open(task, flow):
        raise Conflict("Nhiệm vụ không còn ở bước xử lý trong đơn vị (đã trả lời, đã kết thúc hoặc đã bị thu hồi).")
    config = flow_config(session=session, config=config, flow=flow)
    choices = {(wf_key, key): tr for wf_key, key, tr in _transitions_from(session, config, flow)}
    wf_key = workflow or flow.workflow
    tr = choices.get((wf_key, transition))
    if tr is None:
        matches = [(w, t) for (w, k), t in choices.items() if k == transition]
        if workflow is None and len(matches) == 1:
            wf_key, tr = matches[0]
    hidden = _workflow(config, flow.workflow).transitions.get(transition)
    if tr is None and hidden is not None and hidden.only_as_effect:
        raise PermissionDenied(f"Bước “{hidden.label}” chỉ thực hiện cùng một bước của đơn vị cha, không làm riêng.")
    if tr is None:
        state_label = _workflow(config, flow.workflow).states[flow.state].label
        raise Conflict(f"Bước này không thực hiện được lúc này: nhiệm vụ đang ở bước “{state_label}”.")
    if not _actor_may(session, actor, flow, tr):
        roles = ", ".join(config.role_label(r) for r in tr.roles)
        where = "đơn vị cha" if tr.actor_unit is ActorUnit.PARENT else "đơn vị đang xử lý"
        extra = " được giao" if tr.assignee and flow.assignee_id else ""
        raise PermissionDenied(f"Bước “{tr.label}” dành cho {roles}{extra} của {where}.")
    if tr.wait_subflows:
        waiting = _unfinished_children(session, config, flow)
        if waiting:
            names = ", ".join(u.short_name for u in (session.get(OrgUnit, c.unit_id) for c in waiting) if u)
            raise Conflict(f"Còn phòng, đơn vị trực thuộc chưa xử lý xong: {names}.")
    archive_refusal = _archive_refused(session, config, actor, flow, tr)
    if archive_refusal is not None:
        raise PermissionDenied(archive_refusal)
    return flow, wf_key, tr


def apply_step(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    task: Task,
    flow: Flow,
    workflow: str,
    transition: str,
    tr: TransitionDef,
    now: datetime,
    note: str = "",
    assignee_id: int | None = None,
    subunit_ids: Sequence[int] = (),
    journal: bool = True,
) -> StepApplied:
    """Validate the step's input, then apply it and its effects (no commit: the caller commits).

    ``journal=False``: the caller journals the step itself (the reply is one entry, not two).
    """
    assert flow.id is not None and task.id is not None
    config = flow_config(session=session, config=config, flow=flow)
    errors = FieldErrors()  # the note, the specialist and the sub-units, refused together
    text = errors.take(lambda: clean_text(note, label="Ý kiến xử lý", field="note", required=tr.note_required), "")
    assignee: User | None = None
    if tr.choose_assignee:
        candidates = {u.id: u for u in assignee_candidates(session=session, unit_id=flow.unit_id)}
        if assignee_id is None or assignee_id not in candidates:
            errors.add("Chọn chuyên viên của đơn vị để chuyển xử lý.", field="assignee")
        else:
            assignee = candidates[assignee_id]
    subunits: list[OrgUnit] = []
    if tr.start_subflows is not None:
        children = {u.id: u for u in subunits_of(session=session, unit_id=flow.unit_id)}
        chosen = list(dict.fromkeys(subunit_ids))
        if not chosen:
            errors.add("Chọn ít nhất một phòng, đơn vị trực thuộc để chuyển liên thông nội bộ.", field="subunits")
        elif any(u not in children for u in chosen):
            errors.add("Chỉ chuyển được cho phòng, đơn vị trực thuộc của đơn vị mình.", field="subunits")
        else:
            subunits = [children[u] for u in chosen]
    errors.raise_any()

    previous = flow.state
    if not flow.committed and flow.parent_flow_id is None:
        main_candidates = _candidate_workflows(session, config, flow)
        same_everywhere = all(_workflow(config, other).transitions.get(transition) == tr for other in main_candidates)
        if not same_everywhere or len(main_candidates) == 1:
            flow.workflow = workflow
            flow.committed = True
    flow.state = tr.to
    flow.updated_at = now
    if assignee is not None:
        flow.assignee_id = assignee.id
    session.add(flow)
    if journal:
        hands_to_parent = tr.actor_unit is ActorUnit.PARENT or tr.to_parent
        parent_unit = _parent_unit_id(session, flow.unit_id) if hands_to_parent else None
        record_event(
            session=session,
            actor=actor,
            task=task,
            action=EventAction.STEP,
            at=now,
            note=text,
            from_unit_id=actor.unit_id,
            to_unit_id=parent_unit or flow.unit_id,
            flow_id=flow.id,
            transition=transition,
            step=tr.step,
            from_state=previous,
            to_user_name=assignee.full_name if assignee else None,
        )
    if tr.start_subflows is not None:
        sub_wf = _workflow(config, tr.start_subflows)
        for unit in subunits:
            child = Flow(
                task_id=task.id,
                unit_id=unit.id or 0,
                parent_flow_id=flow.id,
                workflow=tr.start_subflows,
                committed=True,
                state=sub_wf.initial,
                config_version_id=flow.config_version_id,  # a sub flow runs on its parent's version
                created_at=now,
                updated_at=now,
            )
            session.add(child)
            session.flush()
            record_event(  # one entry per sub-unit: its own flow starts here
                session=session,
                actor=actor,
                task=task,
                action=EventAction.STEP,
                at=now,
                from_unit_id=flow.unit_id,
                to_unit_id=unit.id,
                flow_id=child.id,
                transition=transition,
                step=tr.step,
            )
    if tr.archive_subflows is not None:
        for child, sub_tr in _archivable(session, config, flow, tr):
            archived_from = child.state
            child.state = sub_tr.to
            child.updated_at = now
            session.add(child)
            record_event(
                session=session,
                actor=actor,
                task=task,
                action=EventAction.ARCHIVED,
                at=now,
                from_unit_id=actor.unit_id,
                to_unit_id=child.unit_id,
                flow_id=child.id,
                transition=tr.archive_subflows,
                step=sub_tr.step,
                from_state=archived_from,
            )
    return StepApplied(flow=flow, from_state=previous, transition=tr)


def inbox_task_ids(*, session: Session, actor: Actor, config: AppConfig) -> list[int]:
    """Tasks on which the actor can act now ("việc chờ tôi xử lý")."""
    if actor.at_office:
        return []
    units = [actor.unit_id, *(u.id for u in subunits_of(session=session, unit_id=actor.unit_id) if u.id)]
    query = (
        select(Flow.task_id)
        .join(Task, col(Task.id) == col(Flow.task_id))
        .where(col(Flow.unit_id).in_(units), Flow.active == True, col(Task.status).in_([TaskStatus.OPEN]))  # noqa: E712
        .distinct()
    )
    task_ids = list(session.exec(query).all())
    return [t for t in task_ids if available_steps(session=session, actor=actor, config=config, task_id=t)]
