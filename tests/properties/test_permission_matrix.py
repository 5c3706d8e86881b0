"""The whole permission matrix: every action of the registry, and every step of the workflows.

**Every action of ``REGISTRY``** (``test_every_registry_action_role_unit_and_situation``): each
key × each role × each unit relation to the task (its lead unit, the sub-unit it was routed to,
a child it was not routed to, the lead's parent, a sibling, a coordinating unit, an unrelated
unit, VP UBND) × each situation of the task (``examples.SITUATIONS``: new, routed, at the reply
step, replied, wrong-unit request pending, closed as wrong unit, done, revoked), in two scenes
(``situations.SCENES``: Sở TT&TT routing to P. CNTT; UBND TX An Khê, without phòng). The
expected answer comes from ``expect.expected``: roles.yaml and the entry's ``permission`` and
``scope``, visibility as the README states it, the example table's situations the action is
meant for, and for steps the transition-level rule below. ``refusal_of`` must give exactly it,
without input and with the example input; ``offers`` must hold exactly the keys whose guard
passes; ``perform`` must raise the same refusal and commit nothing, or, allowed, succeed,
journal and bump the task's version once. An action added to the registry is covered once
``examples.EXAMPLES`` has its line (a test fails until then).

**Every step of the workflows** (``test_every_role_unit_and_transition``, the ``Scope.WORKFLOW``
part in depth): rows: every transition of every workflow of ``config/workflows.yaml``. Columns:
every role (clerk, leader, specialist, tracker, admin) in every unit relative to the unit holding the flow
— its own unit, its parent, a sibling (another child of the same parent for sub flows, another
top-level unit for main flows; for sub flows also the sibling the task was routed to as well),
a child (for main flows of units with sub-units), an unrelated unit and VP UBND — plus, in the
own unit, "same role, not the assignee" (a second specialist and a second tracker).

For each cell a flow is put in the transition's ``from`` state by firing the real transitions
with the right actors (one prepared SQLite file per placement, copied again whenever a cell
changed it), then ``fire`` is tried as that actor. The expected answer is derived here, from
the YAML itself (roles, actor_unit, assignee) and ``config/org.yaml`` (parents, the office),
not from the engine's ``_actor_may``. Allowed cells must succeed with the transition's effects;
every other cell must raise PermissionDenied (or NotFound) and change nothing.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import ActionKey, Document, EventAction, Flow, Role, Task, TaskEvent, TaskStatus
from models.schemas import AssignmentCreate, ReplyCreate, TaskCreate
from services.access.permissions import Actor, build_actor
from services.actions.base import AnyAction
from services.actions.registry import REGISTRY, offers, perform, refusal_of
from services.config.loader import AppConfig
from services.config.workflows import WorkflowsConfig
from services.infra.database import make_engine
from services.infra.errors import NotFound, PermissionDenied, ServiceError
from services.tasks.assignment import create_assignment
from services.workflow.engine import main_flow
from tests.actions import available_actions, fire
from tests.conftest import at
from tests.properties.conftest import STAFF, Template, fresh_database, template
from tests.properties.examples import EXAMPLES, MISSING_EXAMPLE, SITUATIONS, InputContext
from tests.properties.expect import TaskFacts, Who, expected, facts_of, may_see
from tests.properties.rules import (
    AN_KHE,
    CHU_PAH_HOME,
    FINANCE,
    HEALTH,
    ICT,
    ICT_CENTRE,
    ICT_IT,
    ICT_POST,
    JUSTICE,
    OFFICE,
    PARENT_OF,
    PLEIKU,
    PLK_ENV,
    PLK_FIN,
    PLK_URBAN,
    WORKFLOWS,
    fitting_main_workflows,
    from_states,
    nearest_final,
    path_to,
    step_allowed,
)
from tests.properties.situations import SCENES, Scene, SceneMaker

ROLE_LABELS = ("clerk", "leader", "specialist", "tracker", "admin")  # one user per role in each unit
OTHER_LABELS = ("specialist2", "tracker2")  # own unit only: same role as the assignee, not them
ISSUED = date(2026, 3, 2)
WORKED = date(2026, 3, 5)


# --- placements: where the flow under test lives, and who stands around it --------------------


@dataclass(frozen=True)
class Placement:
    name: str
    workflow: str  # whose transitions are walked
    lead: str  # the task's lead unit (holds the main flow)
    main_workflow: str  # the lead unit's workflow (the same as ``workflow`` for main placements)
    flow_unit: str  # the unit holding the flow under test
    relations: dict[str, str]  # relation -> unit code ("own" is the flow's unit)
    routed: tuple[str, ...] = ()  # sub-units the main flow is routed to at bút phê
    main_assignee: str = "specialist"  # whom the lead unit's leader hands the main flow to


PLACEMENTS = (
    Placement(
        "ngan @ Sở Y tế (no sub-units, no parent)",
        "ngan",
        HEALTH,
        "ngan",
        HEALTH,
        {"own": HEALTH, "sibling": JUSTICE, "unrelated": CHU_PAH_HOME, "office": OFFICE},
    ),
    Placement(  # a phòng never leads (services.org.units.LEAD_KINDS): a district without phòng does
        "ngan @ UBND TX An Khê (a district without phòng)",
        "ngan",
        AN_KHE,
        "ngan",
        AN_KHE,
        {"own": AN_KHE, "sibling": PLEIKU, "a sibling's phòng": PLK_FIN, "unrelated": ICT_IT, "office": OFFICE},
    ),
    Placement(
        "truong_hop_1 @ Sở TT&TT",
        "truong_hop_1",
        ICT,
        "truong_hop_1",
        ICT,
        {"own": ICT, "child": ICT_IT, "sibling": FINANCE, "unrelated": PLK_FIN, "office": OFFICE},
        routed=(ICT_IT, ICT_CENTRE),
        main_assignee="tracker",
    ),
    Placement(
        "truong_hop_1_truc_thuoc @ P. CNTT (Sở TT&TT)",
        "truong_hop_1_truc_thuoc",
        ICT,
        "truong_hop_1",
        ICT_IT,
        {
            "own": ICT_IT,
            "parent": ICT,
            "sibling_routed": ICT_CENTRE,
            "sibling": ICT_POST,
            "unrelated": PLK_FIN,
            "office": OFFICE,
        },
        routed=(ICT_IT, ICT_CENTRE),
        main_assignee="tracker",
    ),
    Placement(
        "truong_hop_2 @ UBND TP Pleiku",
        "truong_hop_2",
        PLEIKU,
        "truong_hop_2",
        PLEIKU,
        {"own": PLEIKU, "child": PLK_FIN, "sibling": AN_KHE, "unrelated": ICT_IT, "office": OFFICE},
        routed=(PLK_FIN, PLK_ENV),
    ),
    Placement(
        "truong_hop_2_truc_thuoc @ P. TC-KH (TP Pleiku)",
        "truong_hop_2_truc_thuoc",
        PLEIKU,
        "truong_hop_2",
        PLK_FIN,
        {
            "own": PLK_FIN,
            "parent": PLEIKU,
            "sibling_routed": PLK_ENV,
            "sibling": PLK_URBAN,
            "unrelated": ICT_IT,
            "office": OFFICE,
        },
        routed=(PLK_FIN, PLK_ENV),
    ),
)

CODE_OF: dict[int, str] = {}  # unit id -> code, filled from the template


def actors_of(placement: Placement) -> list[tuple[str, str]]:
    """(relation, staff label) columns of one placement."""
    columns = [(rel, label) for rel in placement.relations for label in ROLE_LABELS]
    return columns + [("own", label) for label in OTHER_LABELS]


# --- driving flows with the right actors -------------------------------------------------------


@dataclass
class Prepared:
    """One task per ``from`` state of the placement's workflow, in that state."""

    path: Path
    flows: dict[str, tuple[int, int]] = field(default_factory=dict)  # state -> (task id, flow id)
    configs: dict[str, AppConfig] = field(default_factory=dict)  # state -> config it was reached with
    setup_failures: list[str] = field(default_factory=list)


class Driver:
    def __init__(self, session: Session, tpl: Template, config: AppConfig, placement: Placement) -> None:
        self.session, self.tpl, self.config, self.placement = session, tpl, config, placement
        self.numbers = 0
        self._actors: dict[int, Actor] = {}

    def actor(self, user_id: int) -> Actor:
        if user_id not in self._actors:
            built = build_actor(session=self.session, config=self.config, user_id=user_id)
            assert built is not None
            self._actors[user_id] = built
        return self._actors[user_id]

    def user(self, label: str, code: str) -> int:
        return self.tpl.user_ids[(label, code)]

    def new_task(self, tag: str) -> int:
        self.numbers += 1
        document = create_assignment(
            session=self.session,
            actor=self.actor(self.user("tracker", OFFICE)),
            config=self.config,
            now=at(ISSUED),
            data=AssignmentCreate(
                code=f"{self.numbers}/UBND-{tag}",
                issue_date=ISSUED,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary="V/v kiểm tra ma trận quyền",
                signer="Nguyễn Văn A",
                tasks=[TaskCreate(content="Nhiệm vụ thử", lead_unit_code=self.placement.lead, deadline=ISSUED)],
            ),
        )
        task = self.session.exec(select(Task).where(Task.document_id == document.id)).one()
        assert task.id is not None
        return task.id

    def assignee_label(self, flow: Flow) -> str:
        return self.placement.main_assignee if flow.parent_flow_id is None else "specialist"

    def fire_step(self, flow_id: int, workflow: str, key: str) -> None:
        """Fire ``key`` with the actor the YAML names (the assignee where there is one)."""
        flow = self.session.get(Flow, flow_id)
        assert flow is not None
        tr = WORKFLOWS[workflow]["transitions"][key]
        if tr.get("wait_subflows"):
            self.finish_children(flow_id)
        code = CODE_OF[flow.unit_id]
        unit = code if tr.get("actor_unit", "flow") == "flow" else PARENT_OF[code]
        assert unit is not None
        if tr.get("assignee") and flow.assignee_id is not None:
            user_id = flow.assignee_id
        else:
            user_id = self.user(tr["roles"][0], unit)
        fire(session=self.session, actor=self.actor(user_id), config=self.config, **self.inputs(flow, workflow, key))

    def inputs(self, flow: Flow, workflow: str, key: str) -> dict[str, Any]:
        """What the step asks for (assignee, sub-units, reply, note) and the workflow choice."""
        assert flow.id is not None
        tr = WORKFLOWS[workflow]["transitions"][key]
        self.numbers += 1
        kwargs: dict[str, Any] = {
            "flow_id": flow.id,
            "transition": key,
            "workflow": workflow_choice(flow, workflow, key),
            "note": "Ý kiến xử lý của bước",
            "now": at(WORKED),
        }
        if tr.get("choose_assignee"):
            kwargs["assignee_id"] = self.user(self.assignee_label(flow), CODE_OF[flow.unit_id])
        if tr.get("start_subflows"):
            kwargs["subunit_ids"] = [self.tpl.unit_ids[c] for c in self.placement.routed]
        if tr.get("issue_reply"):
            kwargs["reply"] = ReplyCreate(
                code=f"{self.numbers}/TL", issue_date=WORKED, summary="Báo cáo kết quả", result="Đã thực hiện"
            )
        return kwargs

    def drive(self, flow_id: int, workflow: str, goal: str) -> None:
        flow = self.session.get(Flow, flow_id)
        assert flow is not None
        for key in path_to(workflow, flow.state, goal):
            self.fire_step(flow_id, workflow, key)

    def finish_children(self, flow_id: int) -> None:
        children = self.session.exec(select(Flow).where(Flow.parent_flow_id == flow_id, Flow.active == True)).all()  # noqa: E712
        for child in children:
            assert child.id is not None
            for key in nearest_final(child.workflow, child.state):
                self.fire_step(child.id, child.workflow, key)

    def prepare(self, state: str) -> tuple[int, int]:
        """A new task whose flow under test is in ``state`` (children final if a step waits)."""
        p = self.placement
        task_id = self.new_task(state.upper()[:12])
        main = main_flow(session=self.session, task_id=task_id)
        assert main is not None and main.id is not None
        if p.workflow == p.main_workflow:
            flow_id = main.id
            self.drive(flow_id, p.workflow, state)
        else:
            starter = next(k for k, t in WORKFLOWS[p.main_workflow]["transitions"].items() if t.get("start_subflows"))
            self.drive(main.id, p.main_workflow, WORKFLOWS[p.main_workflow]["transitions"][starter]["to"])
            own = self.session.exec(
                select(Flow).where(Flow.parent_flow_id == main.id, Flow.unit_id == self.tpl.unit_ids[p.flow_unit])
            ).one()
            assert own.id is not None
            flow_id = own.id
            self.drive(flow_id, p.workflow, state)
        leaving = [t for t in WORKFLOWS[p.workflow]["transitions"].values() if state in from_states(t)]
        if any(t.get("wait_subflows") for t in leaving):
            self.finish_children(flow_id)
        return task_id, flow_id


def workflow_choice(flow: Flow, workflow: str, key: str) -> str | None:
    """What a page passes as ``workflow``: none on a step every fitting main workflow shares.

    Before bút phê the lead unit's flow has not chosen its workflow yet; a step such as vào sổ
    is the same in all of them and is offered once.
    """
    if flow.parent_flow_id is not None or flow.committed:
        return workflow
    fitting = fitting_main_workflows(CODE_OF[flow.unit_id], flow.state)
    mine = WORKFLOWS[workflow]["transitions"][key]
    shared = all(
        (t := WORKFLOWS[w]["transitions"].get(key)) is not None
        and flow.state in from_states(t)
        and t["to"] == mine["to"]
        for w in fitting
    )
    return None if shared else workflow


def without_truong_hop_1(config: AppConfig) -> AppConfig:
    """The shipped config minus Trường hợp 1: the work-around that makes Trường hợp 2 reachable."""
    kept = {k: w for k, w in config.workflows.workflows.items() if k != "truong_hop_1"}
    return config.model_copy(update={"workflows": WorkflowsConfig(workflows=kept)})


def prepare_placement(tpl: Template, placement: Placement, folder: Path) -> Prepared:
    path = folder / "prepared.db"
    engine = fresh_database(path)
    prepared = Prepared(path=path)
    needed = sorted({s for t in WORKFLOWS[placement.workflow]["transitions"].values() for s in from_states(t)})
    try:
        with Session(engine, expire_on_commit=False) as session:
            for state in needed:
                try:
                    prepared.flows[state] = Driver(session, tpl, tpl.config, placement).prepare(state)
                    prepared.configs[state] = tpl.config
                except ServiceError as exc:
                    session.rollback()
                    prepared.setup_failures.append(
                        f"{placement.name}: state {state} not reachable by its real transitions "
                        f"with the shipped config: {type(exc).__name__}: {exc}"
                    )
                    workaround = without_truong_hop_1(tpl.config)
                    driver = Driver(session, tpl, workaround, placement)
                    driver.numbers = 1000 + len(prepared.setup_failures) * 100
                    prepared.flows[state] = driver.prepare(state)
                    prepared.configs[state] = workaround
    finally:
        engine.dispose()
    return prepared


# --- one cell ------------------------------------------------------------------------------------


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.exec(select(func.count()).select_from(model)).one()  # type: ignore[call-overload]
        for model in (Flow, TaskEvent, Document)
    )


def flows_of(session: Session, task_id: int) -> list[tuple[Any, ...]]:
    rows = session.exec(select(Flow).where(Flow.task_id == task_id).order_by(col(Flow.id))).all()
    return [(f.id, f.unit_id, f.workflow, f.committed, f.state, f.assignee_id, f.active) for f in rows]


def task_status(session: Session, task_id: int) -> TaskStatus:
    task = session.get(Task, task_id)
    assert task is not None
    return task.status


@dataclass
class Work:
    """The working copy of a placement's prepared file, copied again after any change."""

    prepared: Prepared
    folder: Path
    copies: int = 0
    engine: Engine | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        if self.engine is None:
            self.copies += 1
            target = self.folder / f"work-{self.copies}.db"
            shutil.copyfile(self.prepared.path, target)
            self.engine = make_engine(f"sqlite:///{target}")
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def spoil(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None


def check_cell(
    work: Work, tpl: Template, placement: Placement, state: str, key: str, relation: str, label: str
) -> tuple[bool, str | None]:
    """Try the cell; return (allowed, problem or None)."""
    tr = WORKFLOWS[placement.workflow]["transitions"][key]
    task_id, flow_id = work.prepared.flows[state]
    config = work.prepared.configs[state]
    unit = placement.relations[relation]
    user_id = tpl.user_ids[(label, unit)]
    cell = f"{placement.name} | {key} ({state}→{tr['to']}) | {relation} {unit} {label}"
    with work.session() as session:
        driver = Driver(session, tpl, config, placement)
        actor = driver.actor(user_id)
        flow = session.get(Flow, flow_id)
        assert flow is not None
        allowed = step_allowed(
            tr,
            actor_unit=unit,
            actor_role=actor.role.value,
            actor_id=user_id,
            flow_unit=CODE_OF[flow.unit_id],
            assignee_id=flow.assignee_id,
        )
        before_counts, before_flows = counts(session), flows_of(session, task_id)
        before_status = task_status(session, task_id)
        children_before = {f[0]: f[4] for f in before_flows if f[0] != flow_id}
        kwargs = driver.inputs(flow, placement.workflow, key)
        try:
            fire(session=session, actor=actor, config=config, **kwargs)
        except ServiceError as exc:
            if allowed:
                session.rollback()
                return allowed, f"{cell}: expected allowed, got {type(exc).__name__}: {exc}"
            problem = None
            if not isinstance(exc, PermissionDenied | NotFound):
                problem = f"{cell}: expected PermissionDenied, got {type(exc).__name__}: {exc}"
            # seen through the same session: a pending or flushed change would show here
            changed = (counts(session), flows_of(session, task_id), task_status(session, task_id)) != (
                before_counts,
                before_flows,
                before_status,
            )
            session.rollback()
            if changed:
                work.spoil()
                problem = f"{cell}: refused but the database changed"
            return allowed, problem
        work.spoil()  # the cell changed the file: the next cell gets a fresh copy
        if not allowed:
            return allowed, f"{cell}: expected PermissionDenied, but fire succeeded"
        return allowed, effects_problem(
            session, cell, key, tr, task_id, flow_id, user_id, before_counts, children_before
        )


def effects_problem(
    session: Session,
    cell: str,
    tr_key: str,
    tr: dict[str, Any],
    task_id: int,
    flow_id: int,
    user_id: int,
    before: tuple[int, int, int],
    children_before: dict[int, str],
) -> str | None:
    """The allowed cell did what the transition says, and journaled it."""
    session.expire_all()
    flow = session.get(Flow, flow_id)
    assert flow is not None
    problems: list[str] = []
    if flow.state != tr["to"]:
        problems.append(f"state {flow.state} != {tr['to']}")
    flows_now, events_now, documents_now = counts(session)
    # a step is journaled as STEP; the step that issues the reply, as the reply itself
    action = EventAction.REPLIED if tr.get("issue_reply") else EventAction.STEP
    step_events = session.exec(
        select(TaskEvent).where(TaskEvent.task_id == task_id, TaskEvent.flow_id == flow_id, TaskEvent.action == action)
    ).all()
    last = step_events[-1] if step_events else None
    if (
        last is None
        or last.actor_id != user_id
        or last.step != tr["step"]
        or last.transition != tr_key
        or events_now <= before[1]
    ):
        problems.append("no journal entry of the step by the actor")
    if tr.get("choose_assignee") and flow.assignee_id is None:
        problems.append("no assignee recorded")
    children = session.exec(select(Flow).where(Flow.parent_flow_id == flow_id)).all()
    if tr.get("start_subflows"):
        sub = WORKFLOWS[tr["start_subflows"]]
        new = [c for c in children if c.id not in children_before]
        if flows_now != before[0] + len(new) or not new or any(c.state != sub["initial"] for c in new):
            problems.append("sub flows not started in their initial state")
    elif flows_now != before[0]:
        problems.append("flow count changed")
    if tr.get("archive_subflows"):
        for child in children:
            sub_tr = WORKFLOWS[child.workflow]["transitions"].get(tr["archive_subflows"])
            if sub_tr and children_before.get(child.id or 0) in from_states(sub_tr) and child.state != sub_tr["to"]:
                problems.append(f"sub flow {child.id} not archived ({child.state})")
    if tr.get("issue_reply"):
        task = session.get(Task, task_id)
        assert task is not None
        reply = session.exec(select(Document).where(Document.task_id == task_id)).first()
        if documents_now != before[2] + 1 or task.status is not TaskStatus.REPLIED:
            problems.append("no reply issued")
        elif reply is None or reply.reply_to_id != task.document_id:
            problems.append("reply not linked to its assignment")
    elif documents_now != before[2]:
        problems.append("document count changed")
    return f"{cell}: allowed and fired, but " + "; ".join(problems) if problems else None


# --- the test -------------------------------------------------------------------------------------


def test_every_role_unit_and_transition(tmp_path: Path) -> None:
    started = time.perf_counter()
    tpl = template()
    CODE_OF.update({uid: code for code, uid in tpl.unit_ids.items()})
    assert {label for label, _ in STAFF} >= set(ROLE_LABELS) | set(OTHER_LABELS)
    problems: list[str] = []
    setup_failures: list[str] = []
    cells = allowed_cells = 0
    covered: Counter[tuple[str, str]] = Counter()
    per_placement: list[str] = []
    for number, placement in enumerate(PLACEMENTS):
        folder = tmp_path / f"p{number}"
        folder.mkdir()
        prepared = prepare_placement(tpl, placement, folder)
        setup_failures += prepared.setup_failures
        work = Work(prepared, folder)
        placement_cells = placement_allowed = 0
        for key, tr in WORKFLOWS[placement.workflow]["transitions"].items():
            for state in from_states(tr):
                for relation, label in actors_of(placement):
                    allowed, problem = check_cell(work, tpl, placement, state, key, relation, label)
                    placement_cells += 1
                    placement_allowed += allowed
                    covered[(placement.workflow, key)] += 1
                    if problem:
                        problems.append(problem)
        work.spoil()
        cells += placement_cells
        allowed_cells += placement_allowed
        per_placement.append(
            f"  {placement.name}: {len(WORKFLOWS[placement.workflow]['transitions'])} transitions × "
            f"{len(actors_of(placement))} actors = {placement_cells} cells, {placement_allowed} allowed"
        )
    every_transition = {(w, k) for w, d in WORKFLOWS.items() for k in d["transitions"]}
    elapsed = time.perf_counter() - started
    print(f"\npermission matrix: {cells} cells, {allowed_cells} allowed, {cells - allowed_cells} refused")
    print("\n".join(per_placement))
    print(f"  {len(problems)} wrong cells, {len(setup_failures)} setup failures, {elapsed:.1f} s")
    assert set(covered) == every_transition, "some transition of workflows.yaml was not walked"
    assert cells == sum(len(WORKFLOWS[p.workflow]["transitions"]) * len(actors_of(p)) for p in PLACEMENTS), (
        "a cell was skipped"
    )
    assert allowed_cells >= len(every_transition), "each transition must have at least one allowed cell"
    assert not setup_failures and not problems, summarize(setup_failures, problems)


def summarize(setup_failures: list[str], problems: list[str]) -> str:
    """Wrong cells grouped by transition and kind of error, then the first ones in full."""
    groups: Counter[str] = Counter()
    for problem in problems:
        cell, _, verdict = problem.partition(": ")
        groups[" | ".join(cell.split(" | ")[:2]) + " — " + verdict.split(":")[0]] += 1
    lines = [f"{len(problems)} wrong cells, {len(setup_failures)} states not reachable:"]
    lines += [f"  {n} × {group}" for group, n in groups.most_common()]
    lines += ["states not reachable by real transitions (checked with the work-around config):"]
    lines += [f"  {failure}" for failure in setup_failures]
    lines += ["first wrong cells:"] + [f"  {problem}" for problem in problems[:10]]
    return "\n".join(lines)


def test_truong_hop_2_can_be_chosen_at_but_phe(template_session: Session) -> None:
    """The minimal case behind the matrix's Trường hợp 2 cells: UBND TP Pleiku's clerk registers a
    task, and its leader must be offered — and able to fire — bút phê of Trường hợp 2 (route
    directly to the phòng's leaders), as well as Trường hợp 1 and the short workflow."""
    tpl = template()
    CODE_OF.update({uid: code for code, uid in tpl.unit_ids.items()})
    driver = Driver(template_session, tpl, tpl.config, PLACEMENTS[4])
    task_id = driver.new_task("TH2")
    flow = main_flow(session=template_session, task_id=task_id)
    assert flow is not None and flow.id is not None
    driver.fire_step(flow.id, "truong_hop_2", "vao_so")
    leader = driver.actor(driver.user("leader", PLEIKU))
    offered = {
        (a.workflow, a.transition)
        for a in available_actions(session=template_session, actor=leader, config=tpl.config, task_id=task_id)
    }
    assert offered == {("ngan", "but_phe"), ("truong_hop_1", "but_phe"), ("truong_hop_2", "but_phe")}
    fire(
        session=template_session,
        actor=leader,
        config=tpl.config,
        flow_id=flow.id,
        transition="but_phe",
        workflow="truong_hop_2",
        subunit_ids=[tpl.unit_ids[PLK_FIN], tpl.unit_ids[PLK_ENV]],
        now=at(WORKED),
    )
    template_session.expire_all()
    subs = template_session.exec(select(Flow).where(Flow.parent_flow_id == flow.id)).all()
    assert [(f.workflow, f.state) for f in subs] == [("truong_hop_2_truc_thuoc", "cho_phan_cong")] * 2


# --- every action of the registry: role × unit relation × situation of the task ----------------------

JUDGED = date(2026, 3, 9)  # the day the registry cells are tried (the situations were made before)


@dataclass
class Tally:
    cells: int = 0  # (action, situation, relation, role), judged without input
    with_input: int = 0  # the same cells again with the example input, where the action is meant
    performed: int = 0  # allowed cells carried out by perform
    offers: int = 0  # (situation, relation, role): the page's offers compared with the guard
    answers: Counter[str] = field(default_factory=Counter)
    allowed: Counter[str] = field(default_factory=Counter)  # action key -> allowed cells
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Allowed:
    task_id: int
    who: Who
    key: ActionKey
    cell: str


def name_of(refusal: type[ServiceError] | ServiceError | None) -> str:
    if refusal is None:
        return "allowed"
    return refusal.__name__ if isinstance(refusal, type) else type(refusal).__name__


def footprint(session: Session, task_id: int) -> tuple[Any, ...]:
    """What refused actions must leave as they were: the task and the rows around it."""
    task = session.get(Task, task_id)
    assert task is not None
    return (task.version, task.status, *counts(session), flows_of(session, task_id))


def version_of(session: Session, task_id: int) -> int:
    return session.exec(select(Task.version).where(Task.id == task_id)).one()


def input_context(facts: TaskFacts, tpl: Template, number: int) -> InputContext:
    return InputContext(
        facts=facts,
        today=JUDGED,
        number=number,
        user=lambda label, code: tpl.user_ids[(label, code)],
        unit_id=tpl.unit_ids.__getitem__,
        units=(JUSTICE, HEALTH),
    )


def prepare_scene(tpl: Template, scene: Scene, folder: Path) -> tuple[Path, dict[str, int]]:
    """One SQLite file with one task per situation of the scene, reached by the real actions."""
    path = folder / "scene.db"
    engine = fresh_database(path)
    with Session(engine, expire_on_commit=False) as session:
        maker = SceneMaker(
            session, tpl.config, scene, unit_ids=tpl.unit_ids, user_ids=tpl.user_ids, issued=ISSUED, worked=WORKED
        )
        tasks = {situation: maker.make(situation) for situation in scene.situations}
    engine.dispose()
    return path, tasks


@dataclass
class Judge:
    """The cells of one task (one situation of a scene), judged on the prepared file.

    The refused ``perform`` calls run on a copy (``spare``): their rollbacks expire what a session
    holds, so ``refusal_of`` keeps reading through a warm ``session``, and one that wrongly
    succeeds spoils only the copy.
    """

    session: Session
    spare: Work
    tpl: Template
    tally: Tally
    situation: str
    facts: TaskFacts
    allowed: list[Allowed]

    @property
    def task_id(self) -> int:
        return self.facts.task_id

    def actor(self, who: Who) -> Actor:
        built = build_actor(session=self.session, config=self.tpl.config, user_id=who.user_id)
        assert built is not None
        return built

    def cells_of(self, who: Who, cell: str) -> None:
        """Every action for one actor, then the page's offers: exactly those whose guard passed."""
        actor = self.actor(who)
        passes = {key for key, entry in REGISTRY.items() if self.cell(entry, who, actor, f"{cell} | {key}")}
        self.tally.offers += 1
        try:
            offered = offers(
                session=self.session, actor=actor, config=self.tpl.config, task_id=self.task_id, now=at(JUDGED)
            )
        except NotFound:
            if may_see(who, self.facts):
                self.tally.problems.append(f"{cell}: offers says not found, but the actor sees the task")
            return
        if {o.key for o in offered} != passes:
            keys = sorted({o.key for o in offered})
            self.tally.problems.append(f"{cell}: offers {keys}, but the guard passes for {sorted(passes)}")

    def cell(self, entry: AnyAction, who: Who, actor: Actor, cell: str) -> bool:
        """One cell without input, and with the example input where the action is meant; True when
        the guard passes without input."""
        example = EXAMPLES[entry.key]
        possible = self.situation in example.possible
        facts, tally = self.facts, self.tally
        want = expected(entry, who, facts, possible=possible, data=None, transition=example.transition(facts, None))
        got = self.refusal(actor, entry.key, None)
        tally.cells += 1
        tally.answers[name_of(got)] += 1
        if name_of(want) != name_of(got):
            tally.problems.append(f"{cell} (no input): expected {name_of(want)}, got {name_of(got)}: {got}")
        if possible:
            data = example.build(input_context(facts, self.tpl, tally.with_input))
            tally.with_input += 1
            want = expected(entry, who, facts, possible=True, data=data, transition=example.transition(facts, data))
            got_with_input = self.refusal(actor, entry.key, data)
            if name_of(want) != name_of(got_with_input):
                tally.problems.append(
                    f"{cell} {data!r}: expected {name_of(want)}, got {name_of(got_with_input)}: {got_with_input}"
                )
            if want is None:
                self.allowed.append(Allowed(self.task_id, who, entry.key, cell))
            elif want is not NotFound:  # (not found: the same look-up as refusal_of's)
                self.refused_perform(actor, entry.key, data, want, cell)
        return got is None

    def refusal(self, actor: Actor, key: ActionKey, data: BaseModel | None) -> ServiceError | None:
        return refusal_of(
            session=self.session,
            actor=actor,
            config=self.tpl.config,
            task_id=self.task_id,
            action=key,
            data=data,
            now=at(JUDGED),
        )

    def refused_perform(
        self, actor: Actor, key: ActionKey, data: BaseModel, want: type[ServiceError], cell: str
    ) -> None:
        """Refused, ``perform`` raises what ``refusal_of`` said and commits nothing."""
        with self.spare.session() as session:
            try:
                perform(
                    session=session,
                    actor=actor,
                    config=self.tpl.config,
                    task_id=self.task_id,
                    action=key,
                    data=data,
                    now=at(JUDGED),
                )
            except ServiceError as exc:
                if type(exc) is not want:
                    self.tally.problems.append(f"{cell}: expected {name_of(want)}, perform raised {exc!r}")
                if version_of(session, self.task_id) != self.facts.version:
                    self.tally.problems.append(f"{cell}: refused, but the task's version changed")
                return
        self.spare.spoil()
        self.tally.problems.append(f"{cell}: expected {name_of(want)}, perform succeeded")


def judge_scene(tpl: Template, scene: Scene, path: Path, tasks: dict[str, int], tally: Tally) -> None:
    """Every cell of one scene through ``refusal_of``, ``offers`` and (refused, with input)
    ``perform``; then the allowed cells through ``perform``."""
    allowed: list[Allowed] = []
    engine = make_engine(f"sqlite:///{path}")
    spare = Work(Prepared(path), path.parent)
    with Session(engine, expire_on_commit=False) as session:
        for situation, task_id in tasks.items():
            judge = Judge(session, spare, tpl, tally, situation, facts_of(session, task_id, CODE_OF), allowed)
            before = footprint(session, task_id)
            for relation, unit in scene.relations.items():
                for role in Role:
                    who = Who(unit, role.value, tpl.user_ids[(role.value, unit)])
                    judge.cells_of(who, f"{scene.name} | {situation} | {relation} {unit} {role.value}")
            if footprint(session, task_id) != before:
                tally.problems.append(f"{scene.name} | {situation}: the refused cells changed the database")
    engine.dispose()
    spare.spoil()
    perform_allowed(tpl, path, allowed, tally)


def perform_allowed(tpl: Template, prepared: Path, allowed: list[Allowed], tally: Tally) -> None:
    """Each allowed cell carried out: ``perform`` succeeds, bumps the task's version once and
    journals. The tasks of a scene are independent, so each round takes one cell of every task on
    one fresh copy of the prepared file."""
    by_task: dict[int, list[Allowed]] = {}
    for case in allowed:
        by_task.setdefault(case.task_id, []).append(case)
    for round_ in range(max((len(cases) for cases in by_task.values()), default=0)):
        target = prepared.parent / f"round-{round_}.db"
        engine = fresh_database(target, prepared)
        with Session(engine, expire_on_commit=False) as session:
            for cases in by_task.values():
                if round_ < len(cases):
                    tally.performed += 1
                    tally.allowed[cases[round_].key] += 1
                    problem = perform_one(session, tpl, cases[round_], tally.performed)
                    if problem:
                        tally.problems.append(problem)
        engine.dispose()
        target.unlink()


def perform_one(session: Session, tpl: Template, case: Allowed, number: int) -> str | None:
    actor = build_actor(session=session, config=tpl.config, user_id=case.who.user_id)
    assert actor is not None
    data = EXAMPLES[case.key].build(input_context(facts_of(session, case.task_id, CODE_OF), tpl, 10_000 + number))
    before = version_of(session, case.task_id)
    journal = select(func.count()).select_from(TaskEvent).where(TaskEvent.task_id == case.task_id)
    events = session.exec(journal).one()
    try:
        result = perform(
            session=session,
            actor=actor,
            config=tpl.config,
            task_id=case.task_id,
            action=case.key,
            data=data,
            now=at(JUDGED),
        )
    except ServiceError as exc:
        session.rollback()
        return f"{case.cell} {data!r}: expected allowed, perform raised {exc!r}"
    after = version_of(session, case.task_id)
    if result.version != before + 1 or after != before + 1:
        return f"{case.cell}: version {before} -> {after} (result {result.version}), not +1"
    if session.exec(journal).one() <= events:
        return f"{case.cell}: performed but not journaled"
    return None


def test_every_registry_action_has_an_input_example() -> None:
    missing = sorted(set(REGISTRY) - set(EXAMPLES))
    assert not missing, MISSING_EXAMPLE.format(keys=", ".join(missing))
    assert set(EXAMPLES) <= set(REGISTRY), f"examples of actions no longer in REGISTRY: {set(EXAMPLES) - set(REGISTRY)}"
    for key, example in EXAMPLES.items():
        assert example.possible <= set(SITUATIONS), f"{key}: unknown situations {example.possible - set(SITUATIONS)}"


def test_every_registry_action_role_unit_and_situation(tmp_path: Path) -> None:
    """Every action of REGISTRY × every role × every unit relation × every situation of two scenes:
    ``refusal_of`` answers exactly what the configuration and the entry's declared data say
    (allowed, PermissionDenied, NotFound for whoever cannot see the task, Conflict where the task is
    not in a state the action is meant for), with and without the example input; ``offers`` holds
    exactly the actions whose guard passes; refused, ``perform`` raises the same and commits
    nothing; allowed, it succeeds, journals and bumps the task's version once."""
    started = time.perf_counter()
    missing = sorted(set(REGISTRY) - set(EXAMPLES))
    assert not missing, MISSING_EXAMPLE.format(keys=", ".join(missing))
    tpl = template()
    CODE_OF.update({uid: code for code, uid in tpl.unit_ids.items()})
    tally = Tally()
    for number, scene in enumerate(SCENES):
        folder = tmp_path / f"scene{number}"
        folder.mkdir()
        path, tasks = prepare_scene(tpl, scene, folder)
        judge_scene(tpl, scene, path, tasks, tally)
    elapsed = time.perf_counter() - started
    print(
        f"\nregistry matrix: {len(REGISTRY)} actions × {len(Role)} roles × (relation, situation) = {tally.cells} "
        f"cells {dict(tally.answers)}; {tally.with_input} again with input, {tally.offers} offer lists, "
        f"{tally.performed} performed; {len(tally.problems)} wrong, {elapsed:.1f} s"
    )
    print(f"  allowed cells per action: { {str(k): n for k, n in sorted(tally.allowed.items())} }")
    expected_cells = len(REGISTRY) * len(Role) * sum(len(s.relations) * len(s.situations) for s in SCENES)
    assert tally.cells == expected_cells, "a cell was skipped"
    never = sorted(set(REGISTRY) - set(tally.allowed))
    assert not never, f"actions never allowed in any cell (is the example's `possible` right?): {never}"
    assert not tally.problems, f"{len(tally.problems)} wrong cells:\n" + "\n".join(tally.problems[:30])
