"""Tasks put in each situation of ``examples.SITUATIONS`` by the real actions, with the right actors.

A ``Scene`` is where the task lives: its lead unit, the workflow its leader chooses at bút phê,
the sub-units it is routed to, a coordinating unit, and the units standing around it (the
columns of the matrix). ``SceneMaker.make(situation)`` enters a new assignment and walks it
there through ``perform`` (vào sổ, bút phê, the sub-units' steps, the reply, confirmation, a
wrong-unit request and its acceptance, revocation) as the YAML names the actors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from models import ActionKey, ConfirmOutcome, Task
from models.schemas import (
    AssignmentCreate,
    ConfirmationCreate,
    RevokeInput,
    TaskCreate,
    WrongUnitAcceptInput,
    WrongUnitRequestInput,
)
from services.access.permissions import Actor, build_actor
from services.actions.registry import perform
from services.config.loader import AppConfig
from services.tasks.assignment import create_assignment
from tests.conftest import at
from tests.properties.examples import (
    AT_REPLY,
    DONE,
    EXAMPLES,
    EXTENDING,
    NEW,
    REPLIED,
    REQUESTED,
    REVOKED,
    ROUTED,
    WRONG_UNIT,
    InputContext,
    step_input,
)
from tests.properties.expect import FlowFact, TaskFacts, facts_of
from tests.properties.rules import (
    AN_KHE,
    FINANCE,
    HEALTH,
    ICT,
    ICT_IT,
    ICT_POST,
    JUSTICE,
    OFFICE,
    PARENT_OF,
    PLEIKU,
    PLK_FIN,
    WORKFLOWS,
    is_final,
    nearest_final,
    path_to,
)


@dataclass(frozen=True)
class Scene:
    name: str
    lead: str
    workflow: str  # the main workflow the lead unit's leader chooses at bút phê
    routed: tuple[str, ...]  # sub-units it is routed to (a workflow with start_subflows)
    coordinator: str
    relations: dict[str, str]  # relation -> unit code: the columns of the matrix
    situations: tuple[str, ...]
    new_lead: str = JUSTICE  # where VP UBND re-routes it (wrong unit)


SCENES = (
    Scene(
        "Sở TT&TT, Trường hợp 1 to P. CNTT",
        lead=ICT,
        workflow="truong_hop_1",
        routed=(ICT_IT,),
        coordinator=HEALTH,
        relations={
            "own": ICT,
            "routed": ICT_IT,
            "child, not routed": ICT_POST,
            "sibling": FINANCE,
            "unrelated": PLEIKU,
            "coordinator": HEALTH,
            "office": OFFICE,
        },
        situations=(NEW, ROUTED, AT_REPLY, REPLIED, REQUESTED, EXTENDING, WRONG_UNIT, DONE, REVOKED),
    ),
    Scene(  # a phòng never leads (services.org.units.LEAD_KINDS): a district without phòng does
        "UBND TX An Khê (a district without phòng), short workflow",
        lead=AN_KHE,
        workflow="ngan",
        routed=(),
        coordinator=HEALTH,
        relations={
            "own": AN_KHE,
            "a sibling's phòng": PLK_FIN,
            "sibling": PLEIKU,
            "unrelated": FINANCE,
            "coordinator": HEALTH,
            "office": OFFICE,
        },
        situations=(NEW, AT_REPLY, REPLIED, REQUESTED, EXTENDING, WRONG_UNIT, DONE, REVOKED),
    ),
)


class SceneMaker:
    """Builds tasks of one scene; ``issued`` is the document's date, ``worked`` the day of the steps."""

    def __init__(
        self,
        session: Session,
        config: AppConfig,
        scene: Scene,
        *,
        unit_ids: dict[str, int],
        user_ids: dict[tuple[str, str], int],
        issued: date,
        worked: date,
        tag: str = "MT",
    ) -> None:
        self.session, self.config, self.scene = session, config, scene
        self.unit_ids, self.user_ids = unit_ids, user_ids
        self.code_of = {uid: code for code, uid in unit_ids.items()}
        self.issued, self.worked, self.tag = issued, worked, tag
        self.numbers = 0
        self._actors: dict[int, Actor] = {}

    def actor(self, label: str, code: str) -> Actor:
        user_id = self.user_ids[(label, code)]
        return self.actor_of(user_id)

    def actor_of(self, user_id: int) -> Actor:
        if user_id not in self._actors:
            built = build_actor(session=self.session, config=self.config, user_id=user_id)
            assert built is not None
            self._actors[user_id] = built
        return self._actors[user_id]

    def facts(self, task_id: int) -> TaskFacts:
        return facts_of(self.session, task_id, self.code_of)

    def context(self, task_id: int) -> InputContext:
        self.numbers += 1
        return InputContext(
            facts=self.facts(task_id),
            today=self.worked,
            number=self.numbers,
            user=lambda label, code: self.user_ids[(label, code)],
            unit_id=self.unit_ids.__getitem__,
            units=(self.scene.new_lead,),
        )

    def act(self, actor: Actor, task_id: int, key: ActionKey, data: BaseModel) -> Any:
        return perform(
            session=self.session,
            actor=actor,
            config=self.config,
            task_id=task_id,
            action=key,
            data=data,
            now=at(self.worked),
        )

    # --- the task and its steps -------------------------------------------------------------------

    def new_task(self) -> int:
        self.numbers += 1
        s = self.scene
        document = create_assignment(
            session=self.session,
            actor=self.actor("tracker", OFFICE),
            config=self.config,
            now=at(self.issued),
            data=AssignmentCreate(
                code=f"{self.numbers}/UBND-{self.tag}",
                issue_date=self.issued,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary="V/v kiểm tra thao tác theo vai trò",
                signer="Nguyễn Văn A",
                tasks=[
                    TaskCreate(
                        content="Nhiệm vụ thử",
                        lead_unit_code=s.lead,
                        coordinating_unit_codes=[s.coordinator],
                        deadline=self.issued + timedelta(days=60),
                    )
                ],
            ),
        )
        task = self.session.exec(select(Task).where(Task.document_id == document.id)).one()
        assert task.id is not None
        return task.id

    def flow(self, task_id: int, flow_id: int) -> FlowFact:
        flow = self.facts(task_id).flow(flow_id)
        assert flow is not None
        return flow

    def fire(self, task_id: int, flow_id: int, workflow: str, key: str) -> None:
        """Fire ``key`` as the YAML's first role of the acting unit (the assignee where there is one)."""
        flow = self.flow(task_id, flow_id)
        tr = WORKFLOWS[workflow]["transitions"][key]
        if tr.get("wait_subflows"):
            self.finish_children(task_id, flow)
        acting = flow.unit if tr.get("actor_unit", "flow") == "flow" else PARENT_OF[flow.unit]
        assert acting is not None
        if tr.get("assignee") and flow.assignee_id is not None:
            actor = self.actor_of(flow.assignee_id)
        else:
            actor = self.actor(tr["roles"][0], acting)
        c = self.context(task_id)
        if tr.get("issue_reply"):
            self.act(actor, task_id, ActionKey.REPLY, EXAMPLES[ActionKey.REPLY].build(c))
            return
        assignee = "tracker" if flow.main and self.scene.routed else "specialist"
        data = step_input(c, flow, workflow, key, assignee=assignee, subunits=self.scene.routed)
        self.act(actor, task_id, ActionKey.STEP, data)

    def drive(self, task_id: int, flow_id: int, workflow: str, goal: str) -> None:
        for key in path_to(workflow, self.flow(task_id, flow_id).state, goal):
            self.fire(task_id, flow_id, workflow, key)

    def finish_children(self, task_id: int, flow: FlowFact) -> None:
        for child in self.facts(task_id).children(flow):
            if not is_final(child.workflow, child.state):
                for key in nearest_final(child.workflow, child.state):
                    self.fire(task_id, child.id, child.workflow, key)

    def main(self, task_id: int) -> FlowFact:
        main = self.facts(task_id).main()
        assert main is not None
        return main

    def goal(self, which: str) -> str:
        """The main workflow's state after routing (``routed``) or before the reply (``reply``)."""
        for tr in WORKFLOWS[self.scene.workflow]["transitions"].values():
            if which == "routed" and tr.get("start_subflows"):
                return str(tr["to"])
            if which == "reply" and tr.get("issue_reply"):
                return str(tr["from"])
        raise AssertionError(f"{self.scene.workflow} has no {which} step")

    # --- the situations ------------------------------------------------------------------------------

    def make(self, situation: str) -> int:
        tracker = self.actor("tracker", OFFICE)
        task_id = self.new_task()
        main = self.main(task_id)
        if situation == NEW:
            return task_id
        if situation in (AT_REPLY, REPLIED, DONE):
            self.drive(task_id, main.id, self.scene.workflow, self.goal("reply"))
            if situation != AT_REPLY:
                self.fire(task_id, main.id, self.scene.workflow, "ban_hanh")
            if situation == DONE:
                self.act(tracker, task_id, ActionKey.CONFIRM, ConfirmationCreate(outcome=ConfirmOutcome.DONE))
            return task_id
        if self.scene.routed:
            self.drive(task_id, main.id, self.scene.workflow, self.goal("routed"))
        if situation == ROUTED:
            return task_id
        if situation == EXTENDING:  # the leader asks for a later deadline (Xin gia hạn)
            asked = EXAMPLES[ActionKey.EXTENSION_REQUEST].build(self.context(task_id))
            self.act(self.actor("leader", self.scene.lead), task_id, ActionKey.EXTENSION_REQUEST, asked)
            return task_id
        if situation == REVOKED:
            self.act(tracker, task_id, ActionKey.REVOKE, RevokeInput(reason="Thu hồi"))
            return task_id
        leader = self.actor("leader", self.scene.lead)
        self.act(leader, task_id, ActionKey.WRONG_UNIT_REQUEST, WrongUnitRequestInput(reason="Không thuộc chức năng"))
        if situation == WRONG_UNIT:
            accept = WrongUnitAcceptInput(
                new_lead_unit_code=self.scene.new_lead, new_deadline=self.worked + timedelta(days=30)
            )
            self.act(tracker, task_id, ActionKey.WRONG_UNIT_ACCEPT, accept)
        else:
            assert situation == REQUESTED, situation
        return task_id
