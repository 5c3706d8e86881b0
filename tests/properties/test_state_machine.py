"""Random lives of tasks: a hypothesis state machine over the real services and a fresh database.

Each example copies the template database, then runs random steps: VP UBND assigns, the units'
staff fire the workflow steps (right actors, and wrong ones that must be refused), issue replies,
VP UBND confirms (done / not done, with or without an extension), wrong-unit requests and
decisions, revocations, deadline updates, progress notes, archive-closing, and the fake clock
moves on. Refused actions must change nothing. After every step the invariants hold, and the
statistics equal the classes computed here from a model of the tasks kept by this test.

Besides these precise rules, ``any_action`` draws any key of ``REGISTRY`` (an action added later
is drawn too), a task, the right actor or anyone, and the example input of
``tests/properties/examples.py`` or a variation of it (a text emptied, a date in the past), and
checks ``perform`` against ``refusal_of`` asked just before. What a successful action changes in
the model is ``MODEL_EFFECTS``; an action missing there changes only the task's version, and the
invariants say so if it changes more.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    ActionKey,
    Confirmation,
    ConfirmOutcome,
    Document,
    DocumentKind,
    EventAction,
    Extension,
    ExtensionRequest,
    Flow,
    RequestStatus,
    Task,
    TaskClass,
    TaskEvent,
    WrongUnitRequest,
)
from models.schemas import (
    AssignmentCreate,
    ConfirmationCreate,
    ReplaceInput,
    ReplyCreate,
    TaskCreate,
)
from services.access.permissions import Actor, build_actor
from services.actions.registry import REGISTRY, ActionResult, offers, perform, refusal_of
from services.infra.clock import local_date
from services.infra.errors import InvalidInput, NotFound, ServiceError
from services.stats.statistics import make_period, unit_statistics
from services.tasks.assignment import create_assignment
from tests.actions import (
    add_note,
    archive_wrong_unit,
    available_actions,
    confirm_task,
    decide_wrong_unit,
    fire,
    issue_reply,
    list_pending_requests,
    request_wrong_unit,
    revoke_task,
    update_task,
)
from tests.conftest import at
from tests.properties.conftest import fresh_database, template
from tests.properties.examples import EXAMPLES, MISSING_EXAMPLE, InputContext, situation_of, vary
from tests.properties.expect import Who, facts_of, may_fire, who_may
from tests.properties.rules import (
    CHILDREN_OF,
    FIN_BUDGET,
    FIN_INVEST,
    FINANCE,
    HEALTH,
    ICT,
    ICT_CENTRE,
    ICT_IT,
    ICT_POST,
    OFFICE,
    PARENT_OF,
    PLEIKU,
    PLK_ENV,
    PLK_FIN,
    PLK_URBAN,
    WORKFLOWS,
    fitting_main_workflows,
    from_states,
    is_final,
    step_allowed,
)

YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)
FIRST_DAY = date(2026, 1, 5)
LEADS = (FINANCE, ICT, PLEIKU, HEALTH)  # with and without sub-units (a phòng never leads)
POOL_UNITS = (
    *(OFFICE, FINANCE, FIN_BUDGET, FIN_INVEST, ICT, ICT_IT, ICT_CENTRE, ICT_POST),
    *(PLEIKU, PLK_FIN, PLK_ENV, PLK_URBAN, HEALTH),
)
POOL_LABELS = ("clerk", "leader", "specialist", "specialist2", "tracker", "tracker2")

OPEN, REPLIED, DONE, CLOSED = "open", "replied", "done", "closed"
_REFUSED = object()  # what ``attempt`` returns when the service refused


@dataclass
class ModelTask:
    """What this test believes about a task, kept from the actions it saw succeed."""

    lead: str
    document_id: int
    assigned_on: date
    original_deadline: date
    deadline: date  # in force (the latest extension, else the original)
    status: str = OPEN
    closed_on: date | None = None
    closed_reason: str | None = None
    reply_date: date | None = None  # the newest reply
    not_done_on: date | None = None  # the last "not done" verdict: a new reply cannot be dated before it
    pending_request: int | None = None
    archived: bool = False
    version: int = 0  # the successful actions on the task since it was created (each bumps it once)
    grants: list[tuple[date, date]] = field(default_factory=list)  # (granted on, new deadline), in order

    def deadline_on(self, day: date) -> date:
        """The deadline in force on ``day``: the latest grant made on or before it, else the original."""
        in_force = [deadline for granted, deadline in self.grants if granted <= day]
        return in_force[-1] if in_force else self.original_deadline


class TaskLives(RuleBasedStateMachine):
    examples: ClassVar[int] = 0
    steps: ClassVar[int] = 0
    refused: ClassVar[int] = 0
    done: ClassVar[dict[str, int]] = {}
    registry: ClassVar[dict[str, Counter[str]]] = {}  # any_action: key -> outcome -> count

    def __init__(self) -> None:
        super().__init__()
        type(self).examples += 1
        tpl = template()
        self.config = tpl.config
        self.folder = Path(tempfile.mkdtemp(prefix="giaoviec-machine-"))
        self.engine = fresh_database(self.folder / "machine.db")
        self.session = Session(self.engine, expire_on_commit=False)
        self.today = FIRST_DAY
        self.numbers = 0
        self.unit_id = dict(tpl.unit_ids)
        self.code_of = {uid: code for code, uid in tpl.unit_ids.items()}
        self.actors: dict[int, Actor] = {}
        for (label, code), user_id in tpl.user_ids.items():
            if code in POOL_UNITS and (label in POOL_LABELS or (label == "admin" and code == ICT)):
                actor = build_actor(session=self.session, config=self.config, user_id=user_id)
                assert actor is not None
                self.actors[user_id] = actor
        self.pool = sorted(self.actors)
        self.office_trackers = [tpl.user_ids[("tracker", OFFICE)], tpl.user_ids[("tracker2", OFFICE)]]
        self.user_ids = tpl.user_ids
        self.model: dict[int, ModelTask] = {}
        self.events: dict[int, tuple[Any, ...]] = {}

    def teardown(self) -> None:
        self.session.close()
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------------

    def count(self, what: str) -> None:
        type(self).steps += 1
        type(self).done[what] = type(self).done.get(what, 0) + 1

    def unit_of(self, actor: Actor) -> str:
        return self.code_of[actor.unit_id]

    def next_number(self) -> int:
        self.numbers += 1
        return self.numbers

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything a refused action must leave as it was (seen through the acting session)."""
        s = self.session
        tasks = s.exec(
            select(Task.id, Task.status, Task.lead_unit_id, Task.deadline, Task.content, Task.closed_on, Task.version)
        ).all()
        flows = s.exec(select(Flow.id, Flow.state, Flow.workflow, Flow.committed, Flow.assignee_id, Flow.active)).all()
        requests = s.exec(select(WrongUnitRequest.id, WrongUnitRequest.status)).all()
        totals = [
            s.exec(select(func.count()).select_from(m)).one()  # type: ignore[call-overload]
            for m in (Document, Confirmation, Extension, TaskEvent)
        ]
        return (tuple(tasks), tuple(flows), tuple(requests), tuple(totals))

    def attempt(self, what: str, expected: bool | None, call: Any, task_id: int | None = None) -> Any:
        """Run ``call``; it must succeed iff ``expected`` (None: either); refused, it changes nothing.
        ``task_id``: the task ``call`` performs an action on (its version goes up by one)."""
        self.count(what)
        before = self.fingerprint()
        try:
            result = call()
        except ServiceError as exc:
            after = self.fingerprint()
            self.session.rollback()
            assert expected is not True, f"{what}: expected success, refused: {type(exc).__name__}: {exc}"
            assert after == before, f"{what}: refused ({exc}) but the database changed"
            type(self).refused += 1
            return _REFUSED
        assert expected is not False, f"{what}: expected a refusal, but it succeeded"
        if task_id is not None:
            self.model[task_id].version += 1
        return result

    def draw_task(self, data: st.DataObject, prefer: str | None = None) -> int | None:
        if not self.model:
            return None
        ids = sorted(self.model)
        preferred = [t for t in ids if self.model[t].status == prefer]
        if preferred and data.draw(st.booleans(), label="prefer"):
            ids = preferred
        return data.draw(st.sampled_from(ids), label="task")

    def draw_actor(self, data: st.DataObject, right: list[int]) -> Actor:
        """One of the right users most of the time, anyone of the pool otherwise."""
        if right and data.draw(st.integers(0, 3), label="right?") > 0:
            return self.actors[data.draw(st.sampled_from(sorted(right)), label="right actor")]
        return self.actors[data.draw(st.sampled_from(self.pool), label="any actor")]

    def users(self, code: str, roles: tuple[str, ...] | list[str]) -> list[int]:
        return [u for u, a in self.actors.items() if self.unit_of(a) == code and a.role.value in roles]

    def flows(self, task_id: int) -> list[Flow]:
        return list(self.session.exec(select(Flow).where(Flow.task_id == task_id).order_by(col(Flow.id))).all())

    def active_main(self, task_id: int) -> list[Flow]:
        return [f for f in self.flows(task_id) if f.parent_flow_id is None and f.active]

    def candidates(self, flow: Flow) -> list[tuple[str, str]]:
        """(workflow, transition) the YAML lets leave the flow's state."""
        if flow.parent_flow_id is None and not flow.committed:
            workflows = fitting_main_workflows(self.code_of[flow.unit_id], flow.state)
        else:
            workflows = [flow.workflow]
        return [
            (w, k) for w in workflows for k, t in WORKFLOWS[w]["transitions"].items() if flow.state in from_states(t)
        ]

    def right_users(self, flow: Flow, tr: dict[str, Any]) -> list[int]:
        if tr.get("assignee") and flow.assignee_id is not None:
            return [flow.assignee_id] if flow.assignee_id in self.actors else []
        code = self.code_of[flow.unit_id]
        unit = code if tr.get("actor_unit", "flow") == "flow" else PARENT_OF[code]
        return self.users(unit, tr["roles"]) if unit else []

    def step_inputs(self, data: st.DataObject, flow: Flow, tr: dict[str, Any], task_id: int) -> dict[str, Any]:
        code = self.code_of[flow.unit_id]
        inputs: dict[str, Any] = {"note": "Ý kiến: " + data.draw(st.sampled_from(["đồng ý", "xem lại", "gấp"]))}
        if tr.get("choose_assignee"):
            staff = self.users(code, ("specialist", "tracker"))
            inputs["assignee_id"] = data.draw(st.sampled_from(staff), label="assignee")
        if tr.get("start_subflows"):
            children = CHILDREN_OF[code] or [ICT_IT]  # a wrong sub-unit when the unit has none
            chosen = data.draw(st.lists(st.sampled_from(children), min_size=1, unique=True), label="sub-units")
            inputs["subunit_ids"] = [self.unit_id[c] for c in chosen]
        if tr.get("issue_reply"):
            inputs["reply"] = self.draw_reply(data, task_id)
        return inputs

    def draw_reply(self, data: st.DataObject, task_id: int, *, reason: bool = True) -> ReplyCreate:
        """A reply dated between the earliest day the rules allow and today: not before the task
        was assigned, the last "not done" verdict, nor the approval of its draft (the step that
        brought the main flow to the reply); dated back further than ``reply_backdate_limit_days``
        it carries "Lý do ghi lùi ngày" (unless ``reason`` is False: then it must be refused)."""
        m = self.model[task_id]
        earliest = max(m.assigned_on, m.not_done_on or m.assigned_on, self.approved_on(task_id) or m.assigned_on)
        back = data.draw(st.integers(0, max(0, (self.today - earliest).days)), label="reply age")
        behind = back > self.config.app.reply_backdate_limit_days
        return ReplyCreate(
            code=f"{self.next_number()}/BC",
            issue_date=self.today - timedelta(days=back),
            summary="Báo cáo kết quả",
            result="Đã thực hiện",
            backdate_reason="Văn bản ký trước, vào sổ sau" if behind and reason else "",
        )

    def approved_on(self, task_id: int) -> date | None:
        """The day of the latest step on the task's active main flow, as the journal has it."""
        mains = self.active_main(task_id)
        if not mains:
            return None
        moment = self.session.exec(
            select(TaskEvent.at)
            .where(TaskEvent.flow_id == mains[-1].id, TaskEvent.action == EventAction.STEP)
            .order_by(col(TaskEvent.at).desc(), col(TaskEvent.id).desc())
        ).first()
        return local_date(moment) if moment is not None else None

    # --- what a successful action changes in the model (the precise rules and any_action) ---------

    def replied(self, task_id: int, reply: ReplyCreate) -> None:
        m = self.model[task_id]
        m.status, m.reply_date = REPLIED, reply.issue_date
        m.pending_request = None  # the unit answered after all: its "not our remit" request is dropped

    def confirmed(self, task_id: int, verdict: ConfirmationCreate) -> None:
        m = self.model[task_id]
        done = verdict.outcome is ConfirmOutcome.DONE
        m.status = DONE if done else OPEN
        if not done:
            m.not_done_on = self.today
        if verdict.new_deadline is not None:
            m.deadline = verdict.new_deadline
            m.grants.append((self.today, verdict.new_deadline))

    def requested(self, task_id: int) -> None:
        request = self.session.exec(
            select(WrongUnitRequest.id)
            .where(WrongUnitRequest.task_id == task_id)
            .order_by(col(WrongUnitRequest.id).desc())
        ).first()
        assert request is not None
        self.model[task_id].pending_request = request

    def decided(self, task_id: int) -> None:
        self.model[task_id].pending_request = None

    def closed(self, task_id: int, reason: str) -> None:
        m = self.model[task_id]
        m.status, m.closed_on, m.closed_reason = CLOSED, self.today, reason
        m.pending_request = None  # a closed task takes its pending request with it

    def rerouted(self, task_id: int, new_task_id: int | None, lead: str, deadline: date | None) -> None:
        """Closed as wrong unit, and a new task of the same document at ``lead``, with the new deadline
        or the one in force (the app re-routes with the deadline in force, not the original)."""
        m = self.model[task_id]
        assert new_task_id is not None
        in_force = deadline or m.deadline
        self.closed(task_id, "wrong_unit")
        self.model[new_task_id] = ModelTask(lead, m.document_id, m.assigned_on, in_force, in_force)

    def replaced(self, task_id: int, new_task_id: int | None, data: ReplaceInput) -> None:
        m = self.model[task_id]
        assert new_task_id is not None and data.deadline is not None
        self.closed(task_id, "replaced")
        lead = data.lead_unit_code.strip()
        self.model[new_task_id] = ModelTask(lead, m.document_id, m.assigned_on, data.deadline, data.deadline)

    def archived(self, task_id: int) -> None:
        self.model[task_id].archived = True

    def deadline_changed(self, task_id: int, deadline: date | None) -> None:
        if deadline is not None:
            self.model[task_id].deadline = deadline
            self.model[task_id].grants.append((self.today, deadline))

    # --- rules -------------------------------------------------------------------------------------

    @initialize(data=st.data())
    def first_document(self, data: st.DataObject) -> None:
        """Every life starts with one document entered by VP UBND's tracker."""
        self.enter_document(data, self.actors[self.office_trackers[0]])

    @rule(data=st.data())
    def assign(self, data: st.DataObject) -> None:
        """VP UBND's tracker enters a document with one or two tasks (others are refused)."""
        self.enter_document(data, self.draw_actor(data, self.office_trackers))

    def enter_document(self, data: st.DataObject, actor: Actor) -> None:
        leads = data.draw(st.lists(st.sampled_from(LEADS), min_size=1, max_size=2), label="leads")
        back = data.draw(st.integers(0, 5), label="document age")
        issued = max(YEAR_START, self.today - timedelta(days=back))
        deadlines = [issued + timedelta(days=data.draw(st.integers(0, 30), label="days")) for _ in leads]
        others = [[u for u in POOL_UNITS if u not in (OFFICE, lead)] for lead in leads]
        coordinators = [
            data.draw(st.lists(st.sampled_from(units), max_size=2, unique=True), label="coordinators")
            for units in others
        ]
        number = self.next_number()
        payload = AssignmentCreate(
            code=f"{number}/UBND-KT",
            issue_date=issued,
            issuer="ubnd_tinh",
            doc_type="cong_van",
            summary=f"V/v văn bản số {number}",
            signer="Nguyễn Văn A",
            tasks=[
                TaskCreate(
                    content=f"Nhiệm vụ {i} của văn bản {number}",
                    lead_unit_code=lead,
                    coordinating_unit_codes=units,
                    deadline=deadline,
                )
                for i, (lead, units, deadline) in enumerate(zip(leads, coordinators, deadlines, strict=True), start=1)
            ],
        )
        document = self.attempt(
            "assign",
            actor.user_id in self.office_trackers,
            lambda: create_assignment(
                session=self.session, actor=actor, config=self.config, data=payload, now=at(self.today)
            ),
        )
        if document is _REFUSED:
            return
        tasks = self.session.exec(select(Task).where(Task.document_id == document.id).order_by(col(Task.seq))).all()
        assert [self.code_of[t.lead_unit_id] for t in tasks] == leads
        for task, deadline in zip(tasks, deadlines, strict=True):
            assert task.id is not None
            self.model[task.id] = ModelTask(leads[task.seq - 1], document.id, issued, deadline, deadline)

    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """A right user fires one of the steps offered on a task (several in a row)."""
        task_id = self.draw_task(data, prefer=OPEN)
        if task_id is None:
            return
        for _ in range(data.draw(st.integers(1, 8), label="burst")):
            wanted: dict[int, set[tuple[int, str]]] = {}  # user -> (flow, transition) the YAML gives them
            flows = {f.id: f for f in self.flows(task_id)}
            for flow in flows.values():
                for wf_key, key in self.candidates(flow):
                    for user_id in self.right_users(flow, WORKFLOWS[wf_key]["transitions"][key]):
                        wanted.setdefault(user_id, set()).add((flow.id or 0, key))
            offered: list[tuple[Flow, Actor, Any]] = [
                (flows[a.flow_id], self.actors[user_id], a)
                for user_id, pairs in wanted.items()
                for a in available_actions(
                    session=self.session, actor=self.actors[user_id], config=self.config, task_id=task_id
                )
                if (a.flow_id, a.transition) in pairs
            ]
            if self.model[task_id].status == OPEN:
                assert offered, f"task {task_id} is open but no step is offered to anyone: stuck"
            if not offered:
                return
            offered.sort(key=lambda o: (o[2].step, o[0].id or 0, o[1].user_id, o[2].workflow))
            forward = [o for o in offered if not o[2].note_required]  # returning a draft goes back
            if forward and data.draw(st.integers(0, 3), label="forward?") > 0:
                offered = forward
            flow, actor, action = data.draw(st.sampled_from(offered), label="step")
            self.fire_offered(data, task_id, flow, actor, action)

    def fire_offered(self, data: st.DataObject, task_id: int, flow: Flow, actor: Actor, action: Any) -> None:
        tr = WORKFLOWS[action.workflow]["transitions"][action.transition]
        assert step_allowed(
            tr,
            actor_unit=self.unit_of(actor),
            actor_role=actor.role.value,
            actor_id=actor.user_id,
            flow_unit=self.code_of[flow.unit_id],
            assignee_id=flow.assignee_id,
        ), f"{action} offered to {actor.username}, whom the YAML does not allow"
        inputs = self.step_inputs(data, flow, tr, task_id)
        assert flow.id is not None
        flow_id = flow.id
        self.attempt(
            f"fire {action.transition}",
            True,
            lambda: fire(
                session=self.session,
                actor=actor,
                config=self.config,
                flow_id=flow_id,
                transition=action.transition,
                workflow=action.workflow,
                now=at(self.today),
                **inputs,
            ),
            task_id=task_id,
        )
        fired = self.session.get(Flow, flow_id)
        assert fired is not None and fired.state == tr["to"]
        if tr.get("issue_reply"):
            self.replied(task_id, inputs["reply"])

    @rule(data=st.data())
    def wrong_step(self, data: st.DataObject) -> None:
        """Anyone tries any transition on any flow: it works iff the engine offers it to them."""
        task_id = self.draw_task(data)
        if task_id is None:
            return
        flow = data.draw(st.sampled_from(self.flows(task_id)), label="flow")
        pairs = self.candidates(flow) or [(flow.workflow, k) for k in WORKFLOWS[flow.workflow]["transitions"]]
        wf_key, key = data.draw(st.sampled_from(pairs), label="transition")
        actor = self.actors[data.draw(st.sampled_from(self.pool), label="anyone")]
        offered = [
            a
            for a in available_actions(session=self.session, actor=actor, config=self.config, task_id=task_id)
            if a.flow_id == flow.id and a.transition == key
        ]
        if offered:
            self.fire_offered(data, task_id, flow, actor, data.draw(st.sampled_from(offered)))
            return
        tr = WORKFLOWS[wf_key]["transitions"][key]
        inputs = self.step_inputs(data, flow, tr, task_id)
        assert flow.id is not None
        flow_id = flow.id
        self.attempt(
            f"refused {key}",
            False,
            lambda: fire(
                session=self.session,
                actor=actor,
                config=self.config,
                flow_id=flow_id,
                transition=key,
                workflow=wf_key,
                now=at(self.today),
                **inputs,
            ),
            task_id=task_id,
        )

    @rule(data=st.data())
    def reply(self, data: st.DataObject) -> None:
        """The lead unit's clerk issues the reply at the last step (anyone else is refused)."""
        task_id = self.draw_task(data, prefer=OPEN)
        if task_id is None:
            return
        m = self.model[task_id]
        actor = self.draw_actor(data, self.users(m.lead, ("clerk",)))
        at_last_step = any(
            WORKFLOWS[wf_key]["transitions"][key].get("issue_reply")
            and step_allowed(
                WORKFLOWS[wf_key]["transitions"][key],
                actor_unit=self.unit_of(actor),
                actor_role=actor.role.value,
                actor_id=actor.user_id,
                flow_unit=self.code_of[flow.unit_id],
                assignee_id=flow.assignee_id,
            )
            for flow in self.active_main(task_id)
            for wf_key, key in self.candidates(flow)
        )
        withhold = data.draw(st.integers(0, 4), label="withhold the backdate reason?") == 0
        data_reply = self.draw_reply(data, task_id, reason=not withhold)
        unexplained = (self.today - data_reply.issue_date).days > self.config.app.reply_backdate_limit_days and (
            not data_reply.backdate_reason
        )
        done = self.attempt(
            "issue_reply",
            m.status == OPEN and at_last_step and not unexplained,
            lambda: issue_reply(
                session=self.session,
                actor=actor,
                config=self.config,
                task_id=task_id,
                data=data_reply,
                now=at(self.today),
            ),
            task_id=task_id,
        )
        if done is not _REFUSED:
            self.replied(task_id, data_reply)

    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        """VP UBND confirms a reply: done, or not done with a reason and maybe a new deadline."""
        task_id = self.draw_task(data, prefer=REPLIED)
        if task_id is None:
            return
        m = self.model[task_id]
        actor = self.draw_actor(data, self.office_trackers)
        done = data.draw(st.booleans(), label="done?")
        extension = None
        if not done and data.draw(st.booleans(), label="extend?"):
            extension = self.today + timedelta(days=data.draw(st.integers(0, 20), label="extension"))
        verdict = ConfirmationCreate(
            outcome=ConfirmOutcome.DONE if done else ConfirmOutcome.NOT_DONE,
            reason="" if done else "Báo cáo chưa đủ số liệu",
            new_deadline=extension,
        )
        result = self.attempt(
            "confirm",
            actor.user_id in self.office_trackers and m.status == REPLIED,
            lambda: confirm_task(
                session=self.session, actor=actor, config=self.config, task_id=task_id, data=verdict, now=at(self.today)
            ),
            task_id=task_id,
        )
        if result is not _REFUSED:
            self.confirmed(task_id, verdict)

    @rule(data=st.data())
    def ask_wrong_unit(self, data: st.DataObject) -> None:
        """The lead unit's leader says the task is not theirs."""
        task_id = self.draw_task(data, prefer=OPEN)
        if task_id is None:
            return
        m = self.model[task_id]
        actor = self.draw_actor(data, self.users(m.lead, ("leader",)))
        request = self.attempt(
            "request_wrong_unit",
            actor.role.value == "leader"
            and self.unit_of(actor) == m.lead
            and m.status == OPEN
            and m.pending_request is None,
            lambda: request_wrong_unit(
                session=self.session, actor=actor, task_id=task_id, reason="Không thuộc chức năng", now=at(self.today)
            ),
            task_id=task_id,
        )
        if request is not _REFUSED:
            self.requested(task_id)

    @rule(data=st.data())
    def decide_wrong_unit(self, data: st.DataObject) -> None:
        """VP UBND accepts (closes, re-routes) or refuses a pending wrong-unit request."""
        pending = sorted(t for t, m in self.model.items() if m.pending_request is not None)
        if not pending:
            self.count("decide_wrong_unit: none pending")
            return
        task_id = data.draw(st.sampled_from(pending), label="request of task")
        m = self.model[task_id]
        request_id = m.pending_request
        assert request_id is not None
        actor = self.draw_actor(data, self.office_trackers)
        accept = data.draw(st.booleans(), label="accept?")
        new_lead = data.draw(st.sampled_from(LEADS), label="new lead")
        new_deadline = None
        if data.draw(st.booleans(), label="new deadline?"):
            new_deadline = self.today + timedelta(days=data.draw(st.integers(-2, 20), label="days"))
        deadline = new_deadline or m.deadline  # the app re-routes with the deadline in force (see rerouted)
        # A request is decided while the task is still in the unit's hands (open): once replied,
        # confirmed done or closed it is no longer the unit's to give back.
        ok = actor.user_id in self.office_trackers and m.status == OPEN
        if accept:
            ok = ok and new_lead != m.lead and deadline >= self.today
        new_task = self.attempt(
            f"decide_wrong_unit accept={accept} status={m.status}",
            ok,
            lambda: decide_wrong_unit(
                session=self.session,
                actor=actor,
                config=self.config,
                request_id=request_id,
                accept=accept,
                note="" if accept else "Đúng chức năng của đơn vị",
                new_lead_unit_code=new_lead,
                new_deadline=new_deadline,
                now=at(self.today),
            ),
            task_id=task_id,
        )
        if new_task is _REFUSED:
            return
        self.decided(task_id)
        if accept:
            assert isinstance(new_task, Task)
            self.rerouted(task_id, new_task.id, new_lead, new_deadline)

    @rule(data=st.data())
    def archive(self, data: st.DataObject) -> None:
        """The former lead unit archive-closes a task VP UBND took back (once)."""
        task_id = self.draw_task(data, prefer=CLOSED)
        if task_id is None:
            return
        m = self.model[task_id]
        actor = self.draw_actor(data, self.users(m.lead, ("clerk",)))
        ok = (
            self.unit_of(actor) == m.lead
            and actor.unit_id != self.unit_id[OFFICE]
            and m.closed_reason == "wrong_unit"
            and not m.archived
        )
        self.attempt(
            "archive_wrong_unit",
            ok,
            lambda: archive_wrong_unit(session=self.session, actor=actor, task_id=task_id, now=at(self.today)),
            task_id=task_id,
        )
        if ok:
            self.archived(task_id)

    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        task_id = self.draw_task(data)
        if task_id is None:
            return
        m = self.model[task_id]
        actor = self.draw_actor(data, self.office_trackers)
        ok = actor.user_id in self.office_trackers and m.status in (OPEN, REPLIED)
        self.attempt(
            "revoke",
            ok,
            lambda: revoke_task(
                session=self.session, actor=actor, task_id=task_id, reason="Thu hồi để sửa", now=at(self.today)
            ),
            task_id=task_id,
        )
        if ok:
            self.closed(task_id, "revoked")

    @rule(data=st.data())
    def update_deadline(self, data: st.DataObject) -> None:
        task_id = self.draw_task(data)
        if task_id is None:
            return
        m = self.model[task_id]
        actor = self.draw_actor(data, self.office_trackers)
        deadline = self.today + timedelta(days=data.draw(st.integers(-3, 20), label="days"))
        ok = actor.user_id in self.office_trackers and m.status in (OPEN, REPLIED) and deadline >= self.today
        self.attempt(
            "update_deadline",
            ok,
            lambda: update_task(
                session=self.session,
                actor=actor,
                task_id=task_id,
                reason="Điều chỉnh hạn",
                deadline=deadline,
                now=at(self.today),
            ),
            task_id=task_id,
        )
        if ok:
            self.deadline_changed(task_id, deadline)

    @rule(data=st.data())
    def note(self, data: st.DataObject) -> None:
        task_id = self.draw_task(data)
        if task_id is None:
            return
        m = self.model[task_id]
        holders = {self.code_of[f.unit_id] for f in self.flows(task_id)}
        actor = self.draw_actor(data, self.users(m.lead, ("clerk", "leader", "specialist", "tracker")))
        ok = (
            self.unit_of(actor) != OFFICE
            and (self.unit_of(actor) == m.lead or self.unit_of(actor) in holders)
            and m.status in (OPEN, REPLIED)
        )
        self.attempt(
            "note",
            ok,
            lambda: add_note(
                session=self.session, actor=actor, task_id=task_id, note="Đang thực hiện", now=at(self.today)
            ),
            task_id=task_id,
        )

    @rule(data=st.data())
    def any_action(self, data: st.DataObject) -> None:
        """A few actions drawn from REGISTRY, each judged against ``refusal_of`` asked just before."""
        for _ in range(data.draw(st.integers(1, 12), label="actions")):
            task_id = self.draw_task(data, prefer=OPEN)
            if task_id is not None:
                self.registry_action(data, task_id)

    def who(self, actor: Actor) -> Who:
        return Who(self.unit_of(actor), actor.role.value, actor.user_id)

    def registry_action(self, data: st.DataObject, task_id: int) -> None:
        """Any key of REGISTRY on any task, by one of the actors the configuration allows (or anyone),
        with the example input or a variation of it. ``perform`` is refused iff ``refusal_of`` said
        so (the same error), or with InvalidInput from the input alone; a refusal changes nothing;
        ``refusal_of`` refuses whom the configuration refuses, and ``offers`` agrees with it."""
        missing = sorted(set(REGISTRY) - set(EXAMPLES))
        assert not missing, MISSING_EXAMPLE.format(keys=", ".join(missing))
        facts = facts_of(self.session, task_id, self.code_of)
        situation = situation_of(facts)
        # any key; or one meant for the task's situation; or one meant for it and for the fewest others
        # (the reply at the reply step, confirm once replied: rare moments, taken when they come)
        meant = [k for k in sorted(REGISTRY) if situation in EXAMPLES[k].possible]
        fewest = min((len(EXAMPLES[k].possible) for k in meant), default=0)
        keys = {
            "any": sorted(REGISTRY),
            "meant": meant,
            "most specific": [k for k in meant if len(EXAMPLES[k].possible) == fewest],
        }
        which = data.draw(st.sampled_from(["any", "meant", "most specific"]), label="keys")
        key = data.draw(st.sampled_from(keys[which] or keys["any"]), label="action")
        entry, example = REGISTRY[key], EXAMPLES[key]

        def pick(label: str, options: Sequence[Any]) -> Any:
            return data.draw(st.sampled_from(list(options)), label=label)

        context = InputContext(
            facts=facts,
            today=self.today,
            number=self.next_number(),
            user=lambda label, code: self.user_ids[(label, code)],
            unit_id=self.unit_id.__getitem__,
            units=LEADS,
            pick=pick,
        )
        variation, payload = vary(example.build(context), self.today, pick)
        transition = example.transition(facts, payload)
        right = [
            user_id
            for user_id, a in self.actors.items()
            if who_may(entry, self.who(a), facts) is None and (transition is None or may_fire(self.who(a), *transition))
        ]
        anyone = not right or data.draw(st.integers(0, 3), label="anyone?") == 3
        actor = self.actors[data.draw(st.sampled_from(self.pool if anyone else right), label="actor")]
        what = f"{key} by {actor.username} on task {task_id} ({situation}), input {variation}: {payload!r}"
        self.count(f"any {key}")
        asked: dict[str, Any] = {
            "session": self.session,
            "actor": actor,
            "config": self.config,
            "task_id": task_id,
            "action": key,
            "now": at(self.today),
        }
        without, said = refusal_of(**asked), refusal_of(**asked, data=payload)
        judged = who_may(entry, self.who(actor), facts)
        if judged is not None:
            assert type(without) is judged and type(said) is judged, (
                f"{what}: the configuration says {judged.__name__}, refusal_of said {without!r} / {said!r}"
            )
        self.offers_agree(what, key, asked, without)
        before = self.fingerprint()
        tally = type(self).registry.setdefault(str(key), Counter())
        try:
            result = perform(**asked, data=payload)
        except ServiceError as exc:
            after = self.fingerprint()
            self.session.rollback()
            assert after == before, f"{what}: refused ({exc!r}) but the database changed"
            if said is None:
                assert isinstance(exc, InvalidInput), f"{what}: refusal_of said it may, perform raised {exc!r}"
            else:
                assert (type(exc), str(exc)) == (type(said), str(said)), (
                    f"{what}: refusal_of said {said!r}, perform raised {exc!r}"
                )
            type(self).refused += 1
            tally[type(exc).__name__] += 1
            return
        assert said is None and without is None, f"{what}: performed, but refusal_of said {said!r} / {without!r}"
        tally["performed"] += 1
        self.model[task_id].version += 1
        effect = MODEL_EFFECTS.get(key)
        if effect is not None:
            effect(self, task_id, payload, result)

    def offers_agree(self, what: str, key: ActionKey, asked: dict[str, Any], without: ServiceError | None) -> None:
        """The page offers the action iff its guard passes without input."""
        try:
            offered = {
                o.key
                for o in offers(
                    session=self.session,
                    actor=asked["actor"],
                    config=self.config,
                    task_id=asked["task_id"],
                    now=asked["now"],
                )
            }
        except NotFound:
            assert isinstance(without, NotFound), f"{what}: offers says not found, refusal_of said {without!r}"
            return
        assert (key in offered) == (without is None), f"{what}: offers {sorted(offered)}, refusal_of said {without!r}"

    @rule(days=st.integers(0, 10))
    def tick(self, days: int) -> None:
        self.count("tick")
        self.today = min(YEAR_END, self.today + timedelta(days=days))

    # --- invariants ----------------------------------------------------------------------------------

    @invariant()
    def tasks_match_the_model(self) -> None:
        rows = {t.id: t for t in self.session.exec(select(Task)).all()}
        assert set(rows) == set(self.model)
        for task_id, m in self.model.items():
            row = rows[task_id]
            assert row.status.value == m.status, f"task {task_id}: {row.status} != model {m.status}"
            assert self.code_of[row.lead_unit_id] == m.lead
            assert row.closed_on == m.closed_on
            assert row.version == m.version, f"task {task_id}: version {row.version}, {m.version} successful actions"

    @invariant()
    def one_lead_unit_and_one_active_main_flow(self) -> None:
        for task_id, m in self.model.items():
            mains = self.active_main(task_id)
            if m.status == CLOSED:
                assert not [f for f in self.flows(task_id) if f.active], f"closed task {task_id} has active flows"
                continue
            assert len(mains) == 1, f"task {task_id} ({m.status}) has {len(mains)} active main flows"
            assert self.code_of[mains[0].unit_id] == m.lead, f"task {task_id}: main flow not at the lead unit"
            final = is_final(mains[0].workflow, mains[0].state)
            if m.status in (REPLIED, DONE):
                assert final, f"task {task_id} is {m.status} but its main flow is at {mains[0].state}"
            else:
                assert not final, f"task {task_id} is open but its main flow is final ({mains[0].state})"

    @invariant()
    def pending_requests_are_decidable(self) -> None:
        """VP UBND's queue of wrong-unit requests holds only requests it can decide (open tasks)."""
        pending = self.session.exec(
            select(WrongUnitRequest.task_id).where(WrongUnitRequest.status == RequestStatus.PENDING)
        ).all()
        assert sorted(pending) == sorted(t for t, m in self.model.items() if m.pending_request is not None)
        for task_id in pending:
            status = self.model[task_id].status
            assert status == OPEN, f"task {task_id} is {status} but its wrong-unit request is pending"

    @invariant()
    def replies_linked_to_their_assignment(self) -> None:
        for reply in self.session.exec(select(Document).where(Document.kind == DocumentKind.REPLY)).all():
            assert reply.task_id is not None
            task = self.session.get(Task, reply.task_id)
            assert task is not None and reply.reply_to_id == task.document_id

    @invariant()
    def journal_only_grows(self) -> None:
        rows = {
            e.id: (e.task_id, e.action, e.note, e.actor_id, e.at)
            for e in self.session.exec(select(TaskEvent)).all()
            if e.id is not None
        }
        assert len(rows) >= len(self.events)
        for event_id, before in self.events.items():
            assert rows.get(event_id) == before, f"journal entry {event_id} changed or vanished"
        self.events = rows

    @invariant()
    def flow_states_exist(self) -> None:
        for flow in self.session.exec(select(Flow)).all():
            assert flow.state in WORKFLOWS[flow.workflow]["states"], f"flow {flow.id}: {flow.workflow}.{flow.state}"

    @invariant()
    def statistics_match_the_model(self) -> None:
        period = make_period(date_from=YEAR_START, date_to=self.today, today=self.today)
        report = unit_statistics(session=self.session, period=period)
        expected = {c: 0 for c in TaskClass}
        per_unit: dict[int, int] = {}
        awaiting = 0
        for m in self.model.values():
            if m.assigned_on > self.today or (m.closed_on is not None and m.closed_on <= self.today):
                continue
            assert m.lead != OFFICE
            if m.status in (DONE, REPLIED):
                assert m.reply_date is not None
                on_time = m.reply_date <= m.deadline_on(m.reply_date)  # judged by the reply's own date
            else:
                on_time = self.today <= m.deadline
            if m.status == DONE:
                expected[TaskClass.DONE_ON_TIME if on_time else TaskClass.DONE_LATE] += 1
            else:
                expected[TaskClass.OPEN_ON_TIME if on_time else TaskClass.OPEN_OVERDUE] += 1
            awaiting += m.status == REPLIED
            per_unit[self.unit_id[m.lead]] = per_unit.get(self.unit_id[m.lead], 0) + 1
        assert report.total.counts == expected, f"statistics {report.total.counts} != model {expected}"
        assert report.total.total == sum(expected.values())
        assert report.total.awaiting_confirmation == awaiting
        assert {r.unit_id: r.total for r in report.rows} == per_unit


def _extension_granted(m: TaskLives, task_id: int, data: Any, result: ActionResult) -> None:
    """Xin gia hạn granted: the deadline the tracker gave (the one asked when none was typed)."""
    granted = m.session.exec(
        select(ExtensionRequest.granted_deadline)
        .where(ExtensionRequest.task_id == task_id, ExtensionRequest.status == RequestStatus.ACCEPTED)
        .order_by(col(ExtensionRequest.id).desc())
    ).first()
    m.deadline_changed(task_id, granted)


# What a successful action changes in the model besides the task's version; an action of REGISTRY
# missing here changes nothing the model tracks (status, deadline, lead, requests, archive).
Effect = Callable[[TaskLives, int, Any, ActionResult], None]
MODEL_EFFECTS: dict[ActionKey, Effect] = {
    ActionKey.REPLY: lambda m, task_id, data, result: m.replied(task_id, data),
    ActionKey.CONFIRM: lambda m, task_id, data, result: m.confirmed(task_id, data),
    ActionKey.WRONG_UNIT_REQUEST: lambda m, task_id, data, result: m.requested(task_id),
    ActionKey.WRONG_UNIT_REFUSE: lambda m, task_id, data, result: m.decided(task_id),
    ActionKey.WRONG_UNIT_ACCEPT: lambda m, task_id, data, result: m.rerouted(
        task_id, result.outcome.created_task_id, data.new_lead_unit_code.strip(), data.new_deadline
    ),
    ActionKey.ARCHIVE: lambda m, task_id, data, result: m.archived(task_id),
    ActionKey.REVOKE: lambda m, task_id, data, result: m.closed(task_id, "revoked"),
    ActionKey.UPDATE: lambda m, task_id, data, result: m.deadline_changed(task_id, data.deadline),
    ActionKey.REPLACE: lambda m, task_id, data, result: m.replaced(task_id, result.outcome.created_task_id, data),
    ActionKey.EXTENSION_GRANT: _extension_granted,
}


def test_random_task_lives() -> None:
    TaskLives.examples = TaskLives.steps = TaskLives.refused = 0
    TaskLives.done = {}
    TaskLives.registry = {}
    try:
        run_state_machine_as_test(
            TaskLives,
            settings=settings(
                max_examples=int(os.environ.get("GIAOVIEC_SM_EXAMPLES", "30")),
                stateful_step_count=40,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        print(
            f"\nstate machine: {TaskLives.examples} examples, {TaskLives.steps} steps "
            f"({TaskLives.refused} refused as expected); by rule: {dict(sorted(TaskLives.done.items()))}"
        )
        print("any_action, by key: " + "; ".join(f"{k} {dict(c)}" for k, c in sorted(TaskLives.registry.items())))


# --- the minimal sequences the machine found, kept as plain tests ------------------------------------


def _actor(session: Session, label: str, code: str) -> Actor:
    actor = build_actor(session=session, config=template().config, user_id=template().user_ids[(label, code)])
    assert actor is not None
    return actor


def _assign_one(session: Session, lead: str, issued: date, deadline: date) -> Task:
    document = create_assignment(
        session=session,
        actor=_actor(session, "tracker", OFFICE),
        config=template().config,
        now=at(issued),
        data=AssignmentCreate(
            code="1/UBND-KT",
            issue_date=issued,
            issuer="ubnd_tinh",
            doc_type="cong_van",
            summary="V/v báo cáo",
            signer="Nguyễn Văn A",
            tasks=[TaskCreate(content="Báo cáo", lead_unit_code=lead, deadline=deadline)],
        ),
    )
    return session.exec(select(Task).where(Task.document_id == document.id)).one()


def _ask_wrong_unit(session: Session, task: Task, lead: str, on: date) -> WrongUnitRequest:
    assert task.id is not None
    return request_wrong_unit(
        session=session,
        actor=_actor(session, "leader", lead),
        task_id=task.id,
        reason="Không thuộc chức năng",
        now=at(on),
    )


def _walk_and_reply(session: Session, task: Task, lead: str, on: date) -> None:
    """The lead unit (no sub-units) runs its short workflow and issues its reply on ``on``."""
    config = template().config
    assert task.id is not None
    for key, label, assignee in (
        ("vao_so", "clerk", None),
        ("but_phe", "leader", "specialist"),
        ("trinh_du_thao", "specialist", None),
        ("duyet", "leader", None),
    ):
        flow = session.exec(select(Flow).where(Flow.task_id == task.id, Flow.active == True)).one()  # noqa: E712
        assert flow.id is not None
        fire(
            session=session,
            actor=_actor(session, label, lead),
            config=config,
            flow_id=flow.id,
            transition=key,
            assignee_id=template().user_ids[(assignee, lead)] if assignee else None,
            now=at(on),
        )
    issue_reply(
        session=session,
        actor=_actor(session, "clerk", lead),
        config=config,
        task_id=task.id,
        now=at(on),
        data=ReplyCreate(code=f"{task.id}/TL", issue_date=on, summary="Báo cáo", result="Đã thực hiện"),
    )


def test_accepting_a_stale_wrong_unit_request_after_revoke_is_refused(template_session: Session) -> None:
    """assign (Sở Y tế) → its leader asks "wrong unit" → VP UBND revokes the task → VP UBND
    accepts the old request: the revoked task must stay revoked, with no new task."""
    session, config, day = template_session, template().config, date(2026, 3, 2)
    task = _assign_one(session, HEALTH, day, day + timedelta(days=10))
    request = _ask_wrong_unit(session, task, HEALTH, day)
    tracker = _actor(session, "tracker", OFFICE)
    assert task.id is not None and request.id is not None
    revoke_task(session=session, actor=tracker, task_id=task.id, reason="Thu hồi", now=at(day + timedelta(days=1)))
    with pytest.raises(ServiceError):
        decide_wrong_unit(
            session=session,
            actor=tracker,
            config=config,
            request_id=request.id,
            accept=True,
            new_lead_unit_code=FINANCE,
            new_deadline=day + timedelta(days=20),
            now=at(day + timedelta(days=2)),
        )
    session.rollback()
    session.expire_all()
    assert session.get(Task, task.id).closed_reason.value == "revoked"  # type: ignore[union-attr]
    assert session.exec(select(func.count()).select_from(Task)).one() == 1  # type: ignore[call-overload]


def test_accepting_a_stale_wrong_unit_request_after_done_keeps_the_statistics(template_session: Session) -> None:
    """assign (Sở Y tế) → "wrong unit" asked → the unit replies anyway → VP UBND confirms done →
    VP UBND accepts the old request: the done task must keep counting as done on time."""
    session, config, day = template_session, template().config, date(2026, 3, 2)
    task = _assign_one(session, HEALTH, day, day + timedelta(days=10))
    request = _ask_wrong_unit(session, task, HEALTH, day)
    assert task.id is not None and request.id is not None
    _walk_and_reply(session, task, HEALTH, day + timedelta(days=3))
    tracker = _actor(session, "tracker", OFFICE)
    confirm_task(
        session=session,
        actor=tracker,
        config=config,
        task_id=task.id,
        data=ConfirmationCreate(outcome=ConfirmOutcome.DONE),
        now=at(day + timedelta(days=4)),
    )
    later = day + timedelta(days=6)
    period = make_period(date_from=YEAR_START, date_to=later, today=later)
    before = unit_statistics(session=session, period=period).total.counts
    assert before[TaskClass.DONE_ON_TIME] == 1 and sum(before.values()) == 1
    with pytest.raises(ServiceError):
        decide_wrong_unit(
            session=session,
            actor=tracker,
            config=config,
            request_id=request.id,
            accept=True,
            new_lead_unit_code=FINANCE,
            new_deadline=later + timedelta(days=10),
            now=at(day + timedelta(days=5)),
        )
    session.rollback()
    assert unit_statistics(session=session, period=period).total.counts == before


def test_a_request_left_pending_when_the_task_is_done_leaves_the_queue(template_session: Session) -> None:
    """assign (Sở Y tế) → its leader asks "wrong unit" → the unit replies anyway → VP UBND confirms
    done: the request can no longer be decided (the task is not open), so it must not stay in VP
    UBND's queue of pending requests for ever."""
    session, config, day = template_session, template().config, date(2026, 3, 2)
    task = _assign_one(session, HEALTH, day, day + timedelta(days=10))
    request = _ask_wrong_unit(session, task, HEALTH, day)
    _walk_and_reply(session, task, HEALTH, day + timedelta(days=3))
    tracker = _actor(session, "tracker", OFFICE)
    assert task.id is not None
    confirm_task(
        session=session,
        actor=tracker,
        config=config,
        task_id=task.id,
        data=ConfirmationCreate(outcome=ConfirmOutcome.DONE),
        now=at(day + timedelta(days=4)),
    )
    assert request.id not in [r.id for r in list_pending_requests(session=session, actor=tracker)]
