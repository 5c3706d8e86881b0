"""The workflow engine (config/workflows.yaml, services/workflow.py): routing inside a unit
(Điều 5.1.e) and the reply on the same flow (Điều 4.2).

Units used:
* Sở Y tế (000.00.16.H21) has no sub-unit: it only ever runs the short workflow "ngan".
* Sở TT&TT (000.00.11.H21) has three sub-units: P. CNTT (000.01.11.H21), TT CNTT-TT
  (000.02.11.H21) and P. BCVT (000.03.11.H21) — Trường hợp 1.
* UBND TP Pleiku (000.00.31.H21) has three sub-units: P. TC-KH (000.01.31.H21), P. TN&MT
  (000.02.31.H21), P. QLĐT (000.03.31.H21) — Trường hợp 2.

Every unit's staff (clerk, leader, specialist) comes from ``demo.seed.unit_staff``; their
names are "Văn thư <unit>", "Lãnh đạo <unit>", "Chuyên viên <unit>".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, select

from demo.seed import UnitStaff
from models import Document, DocumentKind, EventAction, Flow, OrgUnit, Role, Task, TaskEvent, TaskStatus
from services.access.permissions import Actor
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from services.journal.events import events_of
from services.journal.timeline import describe_timeline
from services.runtime import Runtime
from services.tasks.queries import get_task_detail, routed_tasks
from services.workflow.engine import flow_views, main_flow
from tests.actions import available_actions, fire, issue_reply
from tests.conftest import FINANCE, HEALTH, OFFICE, PLEIKU, at
from tests.services.support import assign, flow_snapshot, reply_data, row_counts, staff, task, unit_id

ICT = "000.00.11.H21"
ICT_IT, ICT_CENTRE, ICT_POST = "000.01.11.H21", "000.02.11.H21", "000.03.11.H21"
PLEIKU_FIN, PLEIKU_ENV, PLEIKU_URBAN = "000.01.31.H21", "000.02.31.H21", "000.03.31.H21"
FINANCE_BUDGET = "000.01.05.H21"  # a sub-unit of Sở Tài chính

ASSIGNED = date(2026, 3, 2)
DEADLINE = date(2026, 3, 20)
DAY = date(2026, 3, 5)

NOT_OPEN = "Nhiệm vụ không còn ở bước xử lý trong đơn vị (đã trả lời, đã kết thúc hoặc đã bị thu hồi)."


# --- helpers -----------------------------------------------------------------------------------


@dataclass
class Case:
    """One task of one lead unit, and the tools to drive it."""

    runtime: Runtime
    session: Session
    task_id: int
    team: UnitStaff

    @property
    def flow(self) -> Flow:
        flow = main_flow(session=self.session, task_id=self.task_id)
        assert flow is not None
        return flow

    def fire(self, actor: Actor, transition: str, *, flow_id: int | None = None, hour: int = 9, **kw: Any) -> Flow:
        return fire(
            session=self.session,
            actor=actor,
            config=self.runtime.config,
            flow_id=flow_id if flow_id is not None else self.flow.id or 0,
            transition=transition,
            now=at(DAY, hour),
            **kw,
        )

    def actions(self, actor: Actor) -> list[tuple[int, str, str]]:
        """(flow id, workflow, transition) the actor may fire now, in the engine's order."""
        return [
            (a.flow_id, a.workflow, a.transition)
            for a in available_actions(
                session=self.session, actor=actor, config=self.runtime.config, task_id=self.task_id
            )
        ]

    def refused(self, error: type[ServiceError], message: str, actor: Actor, transition: str, **kw: Any) -> None:
        """The step is refused with exactly ``message``, and nothing changed, not even in the session."""
        before, flows = row_counts(self.session), flow_snapshot(self.session)
        with pytest.raises(error) as caught:
            self.fire(actor, transition, **kw)
        assert caught.value.message == message
        assert (row_counts(self.session), flow_snapshot(self.session)) == (before, flows)
        self.session.rollback()
        assert (row_counts(self.session), flow_snapshot(self.session)) == (before, flows)

    def journal(self, since: int = 0) -> list[tuple[Any, ...]]:
        """(action, transition, step, from unit code, to unit code, actor name, flow id) after event id ``since``."""
        codes = {u.id: u.code for u in self.session.exec(select(OrgUnit)).all()}
        rows = self.session.exec(
            select(TaskEvent)
            .where(TaskEvent.task_id == self.task_id, col(TaskEvent.id) > since)
            .order_by(col(TaskEvent.id))
        ).all()
        return [
            (
                e.action,
                e.transition,
                e.step,
                codes.get(e.from_unit_id),
                codes.get(e.to_unit_id),
                e.actor_name,
                e.flow_id,
            )
            for e in rows
        ]

    def notes(self, since: int = 0) -> list[str]:
        rows = self.session.exec(
            select(TaskEvent.note)
            .where(TaskEvent.task_id == self.task_id, col(TaskEvent.id) > since)
            .order_by(col(TaskEvent.id))
        ).all()
        return list(rows)

    def last_event_id(self) -> int:
        ids = self.session.exec(select(TaskEvent.id).where(TaskEvent.task_id == self.task_id)).all()
        return max(i for i in ids if i is not None)

    def sub_flows(self) -> dict[str, Flow]:
        codes = {u.id: u.code for u in self.session.exec(select(OrgUnit)).all()}
        flows = self.session.exec(
            select(Flow).where(Flow.task_id == self.task_id, col(Flow.parent_flow_id).is_not(None))
        ).all()
        return {codes[f.unit_id]: f for f in flows}


@pytest.fixture
def new_case(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> Callable[[str], Case]:
    """A task of document 15/UBND-KT (02/03/2026, due 20/03/2026) for the given lead unit."""
    counter = iter(range(15, 100))

    def make(lead: str) -> Case:
        _, [task_id] = assign(
            runtime,
            session,
            actors["tracker"],
            code=f"{next(counter)}/UBND-KT",
            issued=ASSIGNED,
            tasks=[task("Báo cáo chuyển đổi số", lead, DEADLINE)],
        )
        return Case(runtime, session, task_id, staff(runtime, session, lead))

    return make


def _walk_ngan(case: Case, until: str) -> None:
    """Fire the short workflow's steps in order up to (not including) ``until``."""
    t = case.team
    for transition, actor, extra in (
        ("vao_so", t.clerk, {}),
        ("but_phe", t.leader, {"assignee_id": t.specialist.user_id}),
        ("trinh_du_thao", t.specialist, {}),
        ("duyet", t.leader, {}),
    ):
        if transition == until:
            return
        case.fire(actor, transition, **extra)


def _sub_walk_th1(case: Case, code: str, *, stop_before: str | None = None) -> UnitStaff:
    """Steps 3–7 of Trường hợp 1 inside one sub-unit, by that sub-unit's own staff."""
    sub = staff(case.runtime, case.session, code)
    flow_id = case.sub_flows()[code].id
    for transition, actor, extra in (
        ("tiep_nhan", sub.clerk, {}),
        ("phan_cong", sub.leader, {"assignee_id": sub.specialist.user_id}),
        ("trinh_du_thao", sub.specialist, {}),
        ("duyet", sub.leader, {}),
        ("gui_don_vi_cha", sub.clerk, {"note": "Báo cáo số 12/CNTT"}),
    ):
        if transition == stop_before:
            break
        case.fire(actor, transition, flow_id=flow_id, hour=10, **extra)
    return sub


# --- the short workflow ("ngan"), step by step -------------------------------------------------


def test_short_workflow_step_by_step(new_case: Callable[[str], Case]) -> None:
    """Sở Y tế: vào sổ (clerk) → bút phê (leader, picks the specialist) → trình dự thảo (that
    specialist) → trả lại (leader, with a note) → trình lại → duyệt (leader) → ban hành (clerk,
    the reply). Each step: one journal line, the new state, and who may act next."""
    case = new_case(HEALTH)
    t, s = case.team, case.session
    health = unit_id(s, HEALTH)
    flow = case.flow
    assert (flow.unit_id, flow.parent_flow_id, flow.workflow, flow.state, flow.assignee_id, flow.active) == (
        health,
        None,
        "ngan",
        "cho_vao_so",
        None,
        True,
    )
    fid = flow.id
    assert [case.actions(a) for a in (t.clerk, t.leader, t.specialist)] == [[(fid, "ngan", "vao_so")], [], []]
    start = case.last_event_id()

    def state() -> tuple[str, int | None, TaskStatus]:
        task_now = s.get(Task, case.task_id)
        assert task_now is not None
        return case.flow.state, case.flow.assignee_id, task_now.status

    # Bước 1 — văn thư vào sổ
    case.fire(t.clerk, "vao_so")
    assert state() == ("cho_but_phe", None, TaskStatus.OPEN)
    assert [case.actions(a) for a in (t.clerk, t.leader, t.specialist)] == [[], [(fid, "ngan", "but_phe")], []]

    # Bước 2 — lãnh đạo bút phê, chuyển chuyên viên
    case.fire(t.leader, "but_phe", assignee_id=t.specialist.user_id, note="Giao chuyên viên tham mưu")
    assert state() == ("cho_du_thao", t.specialist.user_id, TaskStatus.OPEN)
    assert [case.actions(a) for a in (t.clerk, t.leader, t.specialist)] == [[], [], [(fid, "ngan", "trinh_du_thao")]]

    # Bước 3 — chuyên viên trình dự thảo; lãnh đạo trả lại (ý kiến bắt buộc); trình lại
    case.fire(t.specialist, "trinh_du_thao")
    assert state() == ("cho_duyet", t.specialist.user_id, TaskStatus.OPEN)
    assert case.actions(t.leader) == [(fid, "ngan", "tra_lai_du_thao"), (fid, "ngan", "duyet")]
    assert case.actions(t.specialist) == [] and case.actions(t.clerk) == []
    case.fire(t.leader, "tra_lai_du_thao", note="Bổ sung số liệu quý I")
    assert state() == ("cho_du_thao", t.specialist.user_id, TaskStatus.OPEN)
    case.fire(t.specialist, "trinh_du_thao", hour=14)
    assert state() == ("cho_duyet", t.specialist.user_id, TaskStatus.OPEN)

    # Bước 4 — lãnh đạo duyệt, chuyển văn thư
    case.fire(t.leader, "duyet", hour=15)
    assert state() == ("cho_ban_hanh", t.specialist.user_id, TaskStatus.OPEN)
    [issue] = available_actions(session=s, actor=t.clerk, config=case.runtime.config, task_id=case.task_id)
    assert (issue.transition, issue.step, issue.issue_reply, issue.label) == (
        "ban_hanh",
        5,
        True,
        "Ban hành văn bản trả lời, gửi UBND tỉnh",
    )
    assert case.actions(t.leader) == [] and case.actions(t.specialist) == []

    # Bước 5 — văn thư ban hành văn bản trả lời trên chính luồng
    doc = issue_reply(
        session=s,
        actor=t.clerk,
        config=case.runtime.config,
        task_id=case.task_id,
        data=reply_data("21/SYT-VP", DAY),
        now=at(DAY, 16),
    )
    assert state() == ("da_ban_hanh", t.specialist.user_id, TaskStatus.REPLIED)
    assert (doc.kind, doc.task_id, doc.unit_id, doc.issuer) == (DocumentKind.REPLY, case.task_id, health, HEALTH)
    # the flow rests while VP UBND confirms: nobody may act on it
    assert [case.actions(a) for a in (t.clerk, t.leader, t.specialist)] == [[], [], []]
    case.refused(Conflict, NOT_OPEN, t.clerk, "ban_hanh")

    clerk, leader, specialist = "Văn thư Sở Y tế", "Lãnh đạo Sở Y tế", "Chuyên viên Sở Y tế"
    assert case.journal(start) == [
        (EventAction.STEP, "vao_so", 1, HEALTH, HEALTH, clerk, fid),
        (EventAction.STEP, "but_phe", 2, HEALTH, HEALTH, leader, fid),
        (EventAction.STEP, "trinh_du_thao", 3, HEALTH, HEALTH, specialist, fid),
        (EventAction.STEP, "tra_lai_du_thao", 3, HEALTH, HEALTH, leader, fid),
        (EventAction.STEP, "trinh_du_thao", 3, HEALTH, HEALTH, specialist, fid),
        (EventAction.STEP, "duyet", 4, HEALTH, HEALTH, leader, fid),
        # the step that issues the reply is one entry: the reply, on its flow and step
        (EventAction.REPLIED, "ban_hanh", 5, HEALTH, OFFICE, clerk, fid),
    ]
    # the note holds only what the person wrote; the state before and the specialist are columns
    assert case.notes(start) == [
        "",
        "Giao chuyên viên tham mưu",
        "",
        "Bổ sung số liệu quý I",
        "",
        "",
        "Văn bản 21/SYT-VP ngày 05/03/2026: Đã thực hiện",
    ]
    details = s.exec(
        select(TaskEvent.from_state, TaskEvent.to_user_name)
        .where(TaskEvent.task_id == case.task_id, col(TaskEvent.id) > start)
        .order_by(col(TaskEvent.id))
    ).all()
    assert [tuple(d) for d in details] == [
        ("cho_vao_so", None),
        ("cho_but_phe", "Chuyên viên Sở Y tế"),
        ("cho_du_thao", None),
        ("cho_duyet", None),
        ("cho_du_thao", None),
        ("cho_duyet", None),
        ("cho_ban_hanh", None),
    ]
    [view] = flow_views(session=s, config=case.runtime.config, task_id=case.task_id)
    assert (view.unit_name, view.state_label, view.final, view.active, view.assignee_name) == (
        "Sở Y tế",
        "Đã ban hành văn bản trả lời",
        True,
        True,
        "Chuyên viên Sở Y tế",
    )


# --- refusals: who, where, when ----------------------------------------------------------------


NOT_VISIBLE = "not visible"


@pytest.mark.parametrize(
    ("until", "who", "transition", "message"),
    [
        pytest.param(
            "vao_so",
            "leader",
            "vao_so",
            "Bước “Vào sổ, chuyển lãnh đạo” dành cho Văn thư của đơn vị đang xử lý.",
            id="wrong-role",
        ),
        pytest.param(
            "vao_so",
            "finance_clerk",
            "vao_so",
            NOT_VISIBLE,
            id="wrong-unit",
        ),
        pytest.param(
            "but_phe",
            "finance_leader",
            "but_phe",
            NOT_VISIBLE,
            id="wrong-unit-leader",
        ),
        pytest.param(
            "vao_so",
            "office_tracker",
            "vao_so",
            "Bước “Vào sổ, chuyển lãnh đạo” dành cho Văn thư của đơn vị đang xử lý.",
            id="office",
        ),
        pytest.param(
            "trinh_du_thao",
            "other_specialist",
            "trinh_du_thao",
            "Bước “Trình dự thảo văn bản trả lời” dành cho Chuyên viên, Chuyên viên theo dõi được giao "
            "của đơn vị đang xử lý.",
            id="not-the-assigned-specialist",
        ),
        pytest.param(
            "trinh_du_thao",
            "clerk",
            "trinh_du_thao",
            "Bước “Trình dự thảo văn bản trả lời” dành cho Chuyên viên, Chuyên viên theo dõi được giao "
            "của đơn vị đang xử lý.",
            id="clerk-drafting",
        ),
        pytest.param(
            "duyet",
            "specialist",
            "duyet",
            "Bước “Duyệt, chuyển văn thư ban hành” dành cho Lãnh đạo của đơn vị đang xử lý.",
            id="specialist-approving",
        ),
    ],
)
def test_step_by_the_wrong_person_is_refused_and_changes_nothing(
    new_case: Callable[[str], Case],
    actors: dict[str, Actor],
    make_user: Callable[[str, Role, str], Actor],
    until: str,
    who: str,
    transition: str,
    message: str,
) -> None:
    case = new_case(HEALTH)
    _walk_ngan(case, until)
    people = {
        "leader": case.team.leader,
        "clerk": case.team.clerk,
        "specialist": case.team.specialist,
        "finance_clerk": actors["clerk"],
        "finance_leader": actors["leader"],
        "office_tracker": actors["tracker"],
        "other_specialist": make_user("cv2.syt", Role.SPECIALIST, HEALTH),
    }
    extra = {"assignee_id": case.team.specialist.user_id} if transition == "but_phe" else {}
    if message == NOT_VISIBLE:  # another unit's task: "not found", never "forbidden" (it must not leak)
        error: type[ServiceError] = NotFound
        message = f"Không tìm thấy nhiệm vụ #{case.task_id} hoặc bạn không có quyền xem."
    else:
        error = PermissionDenied
    case.refused(error, message, people[who], transition, **extra)
    assert case.actions(people[who]) == []


def test_step_out_of_order_is_a_conflict(new_case: Callable[[str], Case]) -> None:
    """A step that does not leave the current state (or belongs to another workflow) is refused."""
    case = new_case(HEALTH)
    t = case.team
    waiting = "Bước này không thực hiện được lúc này: nhiệm vụ đang ở bước “{}”."
    case.refused(Conflict, waiting.format("Chờ văn thư vào sổ"), t.leader, "but_phe", assignee_id=t.specialist.user_id)
    case.refused(
        Conflict,
        "Chưa đến bước ban hành văn bản trả lời: nhiệm vụ đang ở bước “Chờ văn thư vào sổ”.",
        t.clerk,
        "ban_hanh",
        reply=reply_data("1/SYT", DAY),
    )
    case.refused(Conflict, waiting.format("Chờ văn thư vào sổ"), t.clerk, "bay_qua")
    case.refused(Conflict, waiting.format("Chờ văn thư vào sổ"), t.clerk, "tiep_nhan_bao_cao")  # Trường hợp 1 only
    case.fire(t.clerk, "vao_so")
    case.refused(Conflict, waiting.format("Chờ lãnh đạo bút phê"), t.clerk, "vao_so")
    case.fire(t.leader, "but_phe", assignee_id=t.specialist.user_id)
    case.refused(Conflict, waiting.format("Chuyên viên đang dự thảo"), t.leader, "duyet")
    case.refused(Conflict, waiting.format("Chuyên viên đang dự thảo"), t.leader, "tra_lai_du_thao", note="Sửa")
    # the order is checked before the person: a wrong person out of order hears about the order
    case.refused(Conflict, waiting.format("Chuyên viên đang dự thảo"), t.clerk, "ban_hanh")


def test_unknown_flow_is_not_found(new_case: Callable[[str], Case]) -> None:
    case = new_case(HEALTH)
    case.refused(
        NotFound, "Không tìm thấy nhiệm vụ #0 hoặc bạn không có quyền xem.", case.team.clerk, "vao_so", flow_id=9999
    )


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "Ý kiến xử lý không được để trống."),
        ("   ", "Ý kiến xử lý không được để trống."),
        ("\u200b\u2060\x00", "Ý kiến xử lý không được để trống."),  # only invisible characters
    ],
)
def test_returning_a_draft_needs_a_note(new_case: Callable[[str], Case], note: str, message: str) -> None:
    case = new_case(HEALTH)
    _walk_ngan(case, "duyet")
    case.refused(InvalidInput, message, case.team.leader, "tra_lai_du_thao", note=note)
    assert case.flow.state == "cho_duyet"


def test_but_phe_must_hand_the_flow_to_a_specialist_of_the_unit(
    new_case: Callable[[str], Case], actors: dict[str, Actor], make_user: Callable[[str, Role, str], Actor]
) -> None:
    """The assignee must be an active specialist or tracker of the unit itself."""
    case = new_case(HEALTH)
    _walk_ngan(case, "but_phe")
    message = "Chọn chuyên viên của đơn vị để chuyển xử lý."
    leader = case.team.leader
    case.refused(InvalidInput, message, leader, "but_phe")
    case.refused(InvalidInput, message, leader, "but_phe", assignee_id=case.team.clerk.user_id)
    case.refused(InvalidInput, message, leader, "but_phe", assignee_id=actors["specialist"].user_id)  # Sở Tài chính
    tracker = make_user("theodoi.syt", Role.TRACKER, HEALTH)  # a unit's own tracker may receive it
    case.fire(leader, "but_phe", assignee_id=tracker.user_id)
    assert (case.flow.state, case.flow.assignee_id) == ("cho_du_thao", tracker.user_id)
    case.refused(
        PermissionDenied,
        "Bước “Trình dự thảo văn bản trả lời” dành cho Chuyên viên, Chuyên viên theo dõi được giao "
        "của đơn vị đang xử lý.",
        case.team.specialist,
        "trinh_du_thao",
    )
    case.fire(tracker, "trinh_du_thao")
    assert case.flow.state == "cho_duyet"


def test_reply_only_at_the_last_step(new_case: Callable[[str], Case]) -> None:
    """issue_reply before "chờ văn thư ban hành" is a Conflict naming where the task stands;
    firing ban_hanh without the reply document is refused."""
    case = new_case(HEALTH)
    s, config = case.session, case.runtime.config
    for until, label in (
        ("vao_so", "Chờ văn thư vào sổ"),
        ("but_phe", "Chờ lãnh đạo bút phê"),
        ("trinh_du_thao", "Chuyên viên đang dự thảo"),
        ("duyet", "Chờ lãnh đạo duyệt dự thảo"),
    ):
        before = row_counts(s)
        with pytest.raises(Conflict) as caught:
            issue_reply(
                session=s,
                actor=case.team.clerk,
                config=config,
                task_id=case.task_id,
                data=reply_data("30/SYT", DAY),
                now=at(DAY),
            )
        assert caught.value.message == f"Chưa đến bước ban hành văn bản trả lời: nhiệm vụ đang ở bước “{label}”."
        assert row_counts(s) == before
        nxt = {
            "vao_so": (case.team.clerk, {}),
            "but_phe": (case.team.leader, {"assignee_id": case.team.specialist.user_id}),
            "trinh_du_thao": (case.team.specialist, {}),
            "duyet": (case.team.leader, {}),
        }[until]
        case.fire(nxt[0], until, **nxt[1])
    assert case.flow.state == "cho_ban_hanh"
    case.refused(
        InvalidInput,
        "Bước này ban hành văn bản trả lời: dùng thao tác “reply” kèm văn bản.",
        case.team.clerk,
        "ban_hanh",
    )
    assert s.exec(select(Document).where(Document.task_id == case.task_id)).all() == []


def test_leader_asking_to_issue_at_the_clerks_step_is_told_it_is_the_clerks(new_case: Callable[[str], Case]) -> None:
    """roles.yaml gives task.reply to clerk and leader, but the shipped workflows let only the
    clerk issue (văn thư ban hành). At "Chờ văn thư ban hành" the leader must hear that the step
    is the clerk's (PermissionDenied), not "Chưa đến bước ban hành … đang ở bước “Chờ văn thư
    ban hành”", which contradicts itself."""
    case = new_case(HEALTH)
    _walk_ngan(case, "ban_hanh")
    before = row_counts(case.session)
    with pytest.raises(PermissionDenied) as caught:
        issue_reply(
            session=case.session,
            actor=case.team.leader,
            config=case.runtime.config,
            task_id=case.task_id,
            data=reply_data("31/SYT", DAY),
            now=at(DAY),
        )
    assert (
        caught.value.message == "Bước “Ban hành văn bản trả lời, gửi UBND tỉnh” dành cho Văn thư của đơn vị đang xử lý."
    )
    assert row_counts(case.session) == before


def test_a_refused_reply_can_be_corrected_and_issued_in_the_same_session(new_case: Callable[[str], Case]) -> None:
    """fire() promises "guard, apply, journal, commit — or change nothing". A reply refused for a
    bad field must leave the flow at "Chờ văn thư ban hành" — also in the caller's session — so
    the clerk can correct it and issue; a later commit must not record a half step."""
    case = new_case(HEALTH)
    _walk_ngan(case, "ban_hanh")
    s = case.session
    with pytest.raises(InvalidInput):
        issue_reply(
            session=s,
            actor=case.team.clerk,
            config=case.runtime.config,
            task_id=case.task_id,
            data=reply_data("\u200b\u00ad", DAY),  # a số/ký hiệu of only invisible characters: empty
            now=at(DAY, 10),
        )
    assert case.flow.state == "cho_ban_hanh"
    doc = issue_reply(
        session=s,
        actor=case.team.clerk,
        config=case.runtime.config,
        task_id=case.task_id,
        data=reply_data("32/SYT", DAY),
        now=at(DAY, 11),
    )
    assert doc.code == "32/SYT"
    assert [e[1] for e in case.journal() if e[0] is EventAction.REPLIED] == ["ban_hanh"]


# --- which routing templates a unit is offered -------------------------------------------------


def test_unit_without_subunits_is_offered_only_the_short_workflow(new_case: Callable[[str], Case]) -> None:
    """Sở Y tế has no phòng/đơn vị trực thuộc: at bút phê only "ngan" is offered, and asking
    for Trường hợp 1 or 2 anyway is refused."""
    case = new_case(HEALTH)
    _walk_ngan(case, "but_phe")
    [only] = available_actions(
        session=case.session, actor=case.team.leader, config=case.runtime.config, task_id=case.task_id
    )
    assert (only.workflow, only.transition, only.start_subflows, only.choose_assignee) == (
        "ngan",
        "but_phe",
        False,
        True,
    )
    for workflow in ("truong_hop_1", "truong_hop_2"):
        case.refused(
            Conflict,
            "Bước này không thực hiện được lúc này: nhiệm vụ đang ở bước “Chờ lãnh đạo bút phê”.",
            case.team.leader,
            "but_phe",
            workflow=workflow,
            assignee_id=case.team.specialist.user_id,
            subunit_ids=[unit_id(case.session, ICT_IT)],
        )


def test_unit_with_subunits_is_offered_both_routing_templates(new_case: Callable[[str], Case]) -> None:
    """Sở TT&TT at bút phê: handle it itself ("ngan"), Trường hợp 1 or Trường hợp 2 — three
    distinct choices, before the leader picks one (Điều 5.1.e)."""
    case = new_case(ICT)
    case.fire(case.team.clerk, "vao_so")
    offered = available_actions(
        session=case.session, actor=case.team.leader, config=case.runtime.config, task_id=case.task_id
    )
    assert [(a.workflow, a.transition, a.start_subflows, a.choose_assignee) for a in offered] == [
        ("ngan", "but_phe", False, True),
        ("truong_hop_1", "but_phe", True, True),
        ("truong_hop_2", "but_phe", True, False),
    ]


def test_routing_only_to_the_units_own_subunits(new_case: Callable[[str], Case]) -> None:
    case = new_case(ICT)
    t, s = case.team, case.session
    case.fire(t.clerk, "vao_so")
    kw: dict[str, Any] = {"workflow": "truong_hop_1", "assignee_id": t.specialist.user_id}
    case.refused(
        InvalidInput,
        "Chọn ít nhất một phòng, đơn vị trực thuộc để chuyển liên thông nội bộ.",
        t.leader,
        "but_phe",
        **kw,
    )
    for foreign in ([PLEIKU_FIN], [ICT_IT, FINANCE_BUDGET], [ICT], [HEALTH]):
        case.refused(
            InvalidInput,
            "Chỉ chuyển được cho phòng, đơn vị trực thuộc của đơn vị mình.",
            t.leader,
            "but_phe",
            subunit_ids=[unit_id(s, c) for c in foreign],
            **kw,
        )
    case.refused(
        InvalidInput,
        "Chọn chuyên viên của đơn vị để chuyển xử lý.",
        t.leader,
        "but_phe",
        workflow="truong_hop_1",
        subunit_ids=[unit_id(s, ICT_IT)],
    )
    assert case.sub_flows() == {}


# --- Trường hợp 1 ------------------------------------------------------------------------------


def test_truong_hop_1_eleven_steps(new_case: Callable[[str], Case]) -> None:
    """Sở TT&TT: the leader hands the task to a tracking specialist AND routes it to P. CNTT and
    TT CNTT-TT; each runs steps 3–7 with its own staff; the parent's clerk takes their reports
    (step 8) only when both are done; the leader passes it back to the tracking specialist
    (step 9), who drafts on the original flow and archive-closes the sub-units' documents (step
    10); the leader approves and the clerk issues the one reply to VP UBND (step 11)."""
    case = new_case(ICT)
    t, s, config = case.team, case.session, case.runtime.config
    ict, it, centre = unit_id(s, ICT), unit_id(s, ICT_IT), unit_id(s, ICT_CENTRE)
    case.fire(t.clerk, "vao_so")
    start = case.last_event_id()

    # Bước 2
    case.fire(
        t.leader,
        "but_phe",
        workflow="truong_hop_1",
        assignee_id=t.specialist.user_id,
        subunit_ids=[it, centre],
        note="P. CNTT và Trung tâm báo cáo trước 12/03",
    )
    main = case.flow
    assert (main.workflow, main.committed, main.state, main.assignee_id) == (
        "truong_hop_1",
        True,
        "cho_don_vi_truc_thuoc",
        t.specialist.user_id,
    )
    subs = case.sub_flows()
    assert sorted(subs) == [ICT_IT, ICT_CENTRE]
    for code, flow in subs.items():
        assert (flow.parent_flow_id, flow.workflow, flow.committed, flow.state, flow.assignee_id, flow.active) == (
            main.id,
            "truong_hop_1_truc_thuoc",
            True,
            "cho_tiep_nhan",
            None,
            True,
        ), code
    leader = "Lãnh đạo Sở TT&TT"
    assert case.journal(start) == [
        (EventAction.STEP, "but_phe", 2, ICT, ICT, leader, main.id),
        (EventAction.STEP, "but_phe", 2, ICT, ICT_IT, leader, subs[ICT_IT].id),
        (EventAction.STEP, "but_phe", 2, ICT, ICT_CENTRE, leader, subs[ICT_CENTRE].id),
    ]
    assert case.notes(start)[1:] == ["", ""]  # a sub-unit's flow starts: nothing written by a person
    # the parent cannot go on, nor act in the sub-units' place
    assert case.actions(t.clerk) == [] and case.actions(t.leader) == []
    case.refused(
        Conflict,
        "Còn phòng, đơn vị trực thuộc chưa xử lý xong: P. CNTT (Sở TT&TT), TT CNTT-TT (Sở TT&TT).",
        t.clerk,
        "tiep_nhan_bao_cao",
    )
    case.refused(
        PermissionDenied,
        "Bước “Tiếp nhận, trình lãnh đạo phòng” dành cho Văn thư của đơn vị đang xử lý.",
        t.clerk,
        "tiep_nhan",
        flow_id=subs[ICT_IT].id,
    )
    centre_staff = staff(case.runtime, s, ICT_CENTRE)
    case.refused(
        PermissionDenied,
        "Bước “Tiếp nhận, trình lãnh đạo phòng” dành cho Văn thư của đơn vị đang xử lý.",
        centre_staff.clerk,
        "tiep_nhan",
        flow_id=subs[ICT_IT].id,
    )
    assert case.actions(centre_staff.clerk) == [(subs[ICT_CENTRE].id, "truong_hop_1_truc_thuoc", "tiep_nhan")]

    # Bước 3–7 in P. CNTT
    before_it = case.last_event_id()
    it_staff = _sub_walk_th1(case, ICT_IT)
    assert subs[ICT_IT].state == "da_gui_don_vi_cha"
    assert subs[ICT_IT].assignee_id == it_staff.specialist.user_id
    assert [e[:4] + e[5:] for e in case.journal(before_it)] == [
        (EventAction.STEP, "tiep_nhan", 3, ICT_IT, "Văn thư P. CNTT (Sở TT&TT)", subs[ICT_IT].id),
        (EventAction.STEP, "phan_cong", 4, ICT_IT, "Lãnh đạo P. CNTT (Sở TT&TT)", subs[ICT_IT].id),
        (EventAction.STEP, "trinh_du_thao", 5, ICT_IT, "Chuyên viên P. CNTT (Sở TT&TT)", subs[ICT_IT].id),
        (EventAction.STEP, "duyet", 6, ICT_IT, "Lãnh đạo P. CNTT (Sở TT&TT)", subs[ICT_IT].id),
        (EventAction.STEP, "gui_don_vi_cha", 7, ICT_IT, "Văn thư P. CNTT (Sở TT&TT)", subs[ICT_IT].id),
    ]
    assert [e[4] for e in case.journal(before_it)][:4] == [ICT_IT] * 4  # steps 3–6 stay in the sub-unit
    # the sub-unit never answers VP UBND itself
    with pytest.raises(PermissionDenied) as caught:
        issue_reply(
            session=s,
            actor=it_staff.clerk,
            config=config,
            task_id=case.task_id,
            data=reply_data("5/CNTT", DAY),
            now=at(DAY, 11),
        )
    assert caught.value.message == "Chỉ đơn vị chủ trì được trả lời nhiệm vụ này."
    s.rollback()

    # step 8 still waits for TT CNTT-TT (stopped before its step 7)
    _sub_walk_th1(case, ICT_CENTRE, stop_before="gui_don_vi_cha")
    assert subs[ICT_CENTRE].state == "cho_ban_hanh"
    case.refused(
        Conflict, "Còn phòng, đơn vị trực thuộc chưa xử lý xong: TT CNTT-TT (Sở TT&TT).", t.clerk, "tiep_nhan_bao_cao"
    )
    case.refused(
        InvalidInput,
        "Ý kiến xử lý không được để trống.",
        centre_staff.clerk,
        "gui_don_vi_cha",
        flow_id=subs[ICT_CENTRE].id,
    )
    case.fire(centre_staff.clerk, "gui_don_vi_cha", flow_id=subs[ICT_CENTRE].id, note="Báo cáo số 7/TTCNTT", hour=11)
    assert subs[ICT_CENTRE].state == "da_gui_don_vi_cha"

    # Bước 8 — văn thư đơn vị cha tiếp nhận (only the parent's clerk)
    assert case.actions(t.clerk) == [(main.id, "truong_hop_1", "tiep_nhan_bao_cao")]
    case.refused(
        PermissionDenied,
        "Bước “Tiếp nhận văn bản của đơn vị trực thuộc, chuyển lãnh đạo” dành cho Văn thư của đơn vị đang xử lý.",
        it_staff.clerk,
        "tiep_nhan_bao_cao",
    )
    case.fire(t.clerk, "tiep_nhan_bao_cao", hour=13)
    assert main.state == "cho_chuyen_theo_doi"

    # Bước 9 — lãnh đạo chuyển chuyên viên theo dõi (the one chosen at step 2)
    case.fire(t.leader, "chuyen_theo_doi", hour=14)
    assert (main.state, main.assignee_id) == ("cho_du_thao", t.specialist.user_id)

    # Bước 10 — only the tracking specialist drafts; the sub-units' documents are archive-closed
    other = staff(case.runtime, s, ICT_POST).specialist  # a specialist of a sub-unit not involved
    case.refused(  # a sub-unit the task was never routed to does not even see it
        NotFound, f"Không tìm thấy nhiệm vụ #{case.task_id} hoặc bạn không có quyền xem.", other, "trinh_du_thao"
    )
    before_10 = case.last_event_id()
    case.fire(t.specialist, "trinh_du_thao", hour=15)
    assert main.state == "cho_duyet"
    assert {code: f.state for code, f in case.sub_flows().items()} == {
        ICT_IT: "luu_ket_thuc",
        ICT_CENTRE: "luu_ket_thuc",
    }
    specialist = "Chuyên viên Sở TT&TT"
    assert case.journal(before_10) == [
        (EventAction.STEP, "trinh_du_thao", 10, ICT, ICT, specialist, main.id),
        (EventAction.ARCHIVED, "luu_ket_thuc", 10, ICT, ICT_IT, specialist, subs[ICT_IT].id),
        (EventAction.ARCHIVED, "luu_ket_thuc", 10, ICT, ICT_CENTRE, specialist, subs[ICT_CENTRE].id),
    ]
    assert case.notes(before_10)[1:] == ["", ""]

    # Bước 11 — lãnh đạo duyệt, văn thư ban hành: the only reply, issued by Sở TT&TT
    case.fire(t.leader, "duyet", hour=16)
    assert main.state == "cho_ban_hanh"
    doc = issue_reply(
        session=s,
        actor=t.clerk,
        config=config,
        task_id=case.task_id,
        data=reply_data("40/STTTT-VP", DAY),
        now=at(DAY, 17),
    )
    assert main.state == "da_ban_hanh"
    assert s.get(Task, case.task_id).status is TaskStatus.REPLIED  # type: ignore[union-attr]
    replies = s.exec(select(Document).where(Document.task_id == case.task_id)).all()
    assert [(d.id, d.kind, d.unit_id, d.issuer) for d in replies] == [(doc.id, DocumentKind.REPLY, ict, ICT)]
    assert [e[:3] for e in case.journal() if e[0] in (EventAction.STEP, EventAction.REPLIED)][-2:] == [
        (EventAction.STEP, "duyet", 11),
        (EventAction.REPLIED, "ban_hanh", 11),
    ]
    views = flow_views(session=s, config=config, task_id=case.task_id)
    assert [(v.unit_name, v.workflow, v.state_label, v.final) for v in views] == [
        ("Sở TT&TT", "truong_hop_1", "Đã ban hành văn bản trả lời", True),
        ("P. CNTT (Sở TT&TT)", "truong_hop_1_truc_thuoc", "Đơn vị cha đã lưu kết thúc", True),
        ("TT CNTT-TT (Sở TT&TT)", "truong_hop_1_truc_thuoc", "Đơn vị cha đã lưu kết thúc", True),
    ]
    # the timeline a person reads: one entry per action, titled by the regulation's step, the
    # routing to two sub-units one entry, arrows only where a document moves between units
    items = describe_timeline(session=s, config=config, entries=events_of(session=s, task_id=case.task_id))
    it_name, centre_name = "P. CNTT (Sở TT&TT)", "TT CNTT-TT (Sở TT&TT)"
    assert [(i.title, i.actor_name, i.route, i.details, i.note) for i in items] == [
        ("Giao nhiệm vụ", "Vp.Theodoi", "VP UBND tỉnh → Sở TT&TT", [], "Văn bản 15/UBND-KT; hạn xử lý 20/03/2026"),
        # vào sổ: the register's entry (số đến from 1 in the unit's year, ngày đến today), issue 9
        ("Bước 1 · Vào sổ, chuyển lãnh đạo", "Văn thư Sở TT&TT", "", ["Số đến: 1, ngày đến: 05/03/2026"], ""),
        (
            "Bước 2 · Bút phê: chuyển chuyên viên theo dõi, đồng thời chuyển đơn vị liên thông nội bộ",
            leader,
            "",
            ["Chuyển chuyên viên: Chuyên viên Sở TT&TT", f"Chuyển đến: {it_name}, {centre_name}"],
            "P. CNTT và Trung tâm báo cáo trước 12/03",
        ),
        *[
            entry
            for sub, report in ((it_name, "Báo cáo số 12/CNTT"), (centre_name, "Báo cáo số 7/TTCNTT"))
            for entry in (
                ("Bước 3 · Tiếp nhận, trình lãnh đạo phòng", f"Văn thư {sub}", "", [], ""),
                (
                    "Bước 4 · Chuyển chuyên viên xử lý",
                    f"Lãnh đạo {sub}",
                    "",
                    [f"Chuyển chuyên viên: Chuyên viên {sub}"],
                    "",
                ),
                ("Bước 5 · Trình dự thảo văn bản", f"Chuyên viên {sub}", "", [], ""),
                ("Bước 6 · Duyệt, chuyển văn thư ban hành", f"Lãnh đạo {sub}", "", [], ""),
                (
                    "Bước 7 · Ban hành văn bản đi liên thông nội bộ gửi đơn vị cha",
                    f"Văn thư {sub}",
                    f"{sub} → Sở TT&TT",
                    [],
                    report,
                ),
            )
        ],
        ("Bước 8 · Tiếp nhận văn bản của đơn vị trực thuộc, chuyển lãnh đạo", "Văn thư Sở TT&TT", "", [], ""),
        ("Bước 9 · Chuyển chuyên viên theo dõi", leader, "", [], ""),
        ("Bước 10 · Dự thảo trên chính luồng, lưu kết thúc văn bản của đơn vị trực thuộc", specialist, "", [], ""),
        (
            "Bước 10 · Lưu kết thúc văn bản của đơn vị trực thuộc",
            specialist,
            "",  # nothing leaves the unit: no arrow
            [f"Văn bản của: {it_name}, {centre_name}"],
            "",
        ),
        ("Bước 11 · Duyệt ban hành, chuyển văn thư", leader, "", [], ""),
        (
            "Bước 11 · Ban hành văn bản đi, gửi UBND tỉnh",  # one entry: the step is the reply
            "Văn thư Sở TT&TT",
            "Sở TT&TT → VP UBND tỉnh",
            [],
            "Văn bản 40/STTTT-VP ngày 05/03/2026: Đã thực hiện",
        ),
    ]


@pytest.mark.parametrize("workflow", ["truong_hop_1", "truong_hop_2"])
def test_steps_that_hand_over_to_the_parent_are_journaled_to_the_parent(
    new_case: Callable[[str], Case], workflow: str
) -> None:
    """Trường hợp 1 bước 7 (the sub-unit's clerk sends its document "liên thông nội bộ gửi đến …
    Sở chủ quản") and Trường hợp 2 bước 5 (the sub-unit's leader "trình Lãnh đạo … Sở chủ quản"):
    the journal line goes from the sub-unit TO the parent unit (docs/flows.md: every step records
    from which unit to which)."""
    parent, sub_code = (ICT, ICT_IT) if workflow == "truong_hop_1" else (PLEIKU, PLEIKU_FIN)
    case = new_case(parent)
    case.fire(case.team.clerk, "vao_so")
    extra = {"assignee_id": case.team.specialist.user_id} if workflow == "truong_hop_1" else {}
    case.fire(case.team.leader, "but_phe", workflow=workflow, subunit_ids=[unit_id(case.session, sub_code)], **extra)
    if workflow == "truong_hop_1":
        _sub_walk_th1(case, sub_code)
        handover = "gui_don_vi_cha"
    else:
        sub = staff(case.runtime, case.session, sub_code)
        flow_id = case.sub_flows()[sub_code].id
        case.fire(sub.leader, "phan_cong", flow_id=flow_id, assignee_id=sub.specialist.user_id)
        case.fire(sub.specialist, "trinh_du_thao", flow_id=flow_id)
        case.fire(sub.leader, "trinh_don_vi_cha", flow_id=flow_id)
        handover = "trinh_don_vi_cha"
    last = case.journal()[-1]
    assert (last[1], last[3], last[4]) == (handover, sub_code, parent)


def test_subunit_users_see_only_what_was_routed_to_them(new_case: Callable[[str], Case]) -> None:
    """Before routing, P. CNTT does not see Sở TT&TT's task; after, the chosen sub-units see it
    (detail and "routed to us" list), the sibling P. BCVT that was not chosen does not, nor does
    a sub-unit of another unit."""
    case = new_case(ICT)
    s = case.session
    today = DAY

    def detail(actor: Actor) -> int:
        return get_task_detail(session=s, actor=actor, task_id=case.task_id, today=today, due_soon_days=3).row.task_id

    it, centre, post = (staff(case.runtime, s, c) for c in (ICT_IT, ICT_CENTRE, ICT_POST))
    pleiku_sub = staff(case.runtime, s, PLEIKU_FIN)
    hidden = f"Không tìm thấy nhiệm vụ #{case.task_id} hoặc bạn không có quyền xem."
    with pytest.raises(NotFound, match=hidden):
        detail(it.clerk)
    case.fire(case.team.clerk, "vao_so")
    case.fire(
        case.team.leader,
        "but_phe",
        workflow="truong_hop_1",
        assignee_id=case.team.specialist.user_id,
        subunit_ids=[unit_id(s, ICT_IT), unit_id(s, ICT_CENTRE)],
    )
    for actor in (it.clerk, it.leader, it.specialist, centre.clerk, case.team.clerk):
        assert detail(actor) == case.task_id
    for actor in (post.clerk, post.leader, pleiku_sub.leader):
        with pytest.raises(NotFound) as caught:
            detail(actor)
        assert caught.value.message == hidden
    assert [r.task_id for r in routed_tasks(session=s, actor=it.leader, today=today, due_soon_days=3)] == [case.task_id]
    assert routed_tasks(session=s, actor=post.leader, today=today, due_soon_days=3) == []
    assert case.actions(post.clerk) == []


# --- Trường hợp 2 ------------------------------------------------------------------------------


def test_truong_hop_2_six_steps(new_case: Callable[[str], Case]) -> None:
    """UBND TP Pleiku: the leader routes directly to the leaders of P. TC-KH and P. TN&MT (no
    tracking specialist); each sub-unit's leader assigns, its specialist drafts, its leader
    submits to the parent (steps 3–5); the parent's leader approves only when every sub-unit has
    submitted (step 6) and the clerk issues the reply."""
    case = new_case(PLEIKU)
    t, s, config = case.team, case.session, case.runtime.config
    fin, env = unit_id(s, PLEIKU_FIN), unit_id(s, PLEIKU_ENV)
    case.fire(t.clerk, "vao_so")
    start = case.last_event_id()
    case.fire(t.leader, "but_phe", workflow="truong_hop_2", subunit_ids=[fin, env])
    main = case.flow
    assert (main.workflow, main.committed, main.state, main.assignee_id) == (
        "truong_hop_2",
        True,
        "cho_don_vi_truc_thuoc",
        None,
    )
    subs = case.sub_flows()
    assert {c: (f.workflow, f.state, f.parent_flow_id) for c, f in subs.items()} == {
        PLEIKU_FIN: ("truong_hop_2_truc_thuoc", "cho_phan_cong", main.id),
        PLEIKU_ENV: ("truong_hop_2_truc_thuoc", "cho_phan_cong", main.id),
    }
    assert [e[:5] for e in case.journal(start)] == [
        (EventAction.STEP, "but_phe", 2, PLEIKU, PLEIKU),
        (EventAction.STEP, "but_phe", 2, PLEIKU, PLEIKU_FIN),
        (EventAction.STEP, "but_phe", 2, PLEIKU, PLEIKU_ENV),
    ]
    # no văn thư step in the sub-units: their leaders act first
    fin_staff, env_staff = staff(case.runtime, s, PLEIKU_FIN), staff(case.runtime, s, PLEIKU_ENV)
    assert case.actions(fin_staff.clerk) == []
    assert case.actions(fin_staff.leader) == [(subs[PLEIKU_FIN].id, "truong_hop_2_truc_thuoc", "phan_cong")]
    waiting = "Còn phòng, đơn vị trực thuộc chưa xử lý xong: {}."
    case.refused(Conflict, waiting.format("P. TC-KH (TP Pleiku), P. TN&MT (TP Pleiku)"), t.leader, "phe_duyet")

    for code, sub in ((PLEIKU_FIN, fin_staff), (PLEIKU_ENV, env_staff)):
        flow_id = subs[code].id
        before = case.last_event_id()
        case.fire(sub.leader, "phan_cong", flow_id=flow_id, assignee_id=sub.specialist.user_id, hour=10)
        case.fire(sub.specialist, "trinh_du_thao", flow_id=flow_id, hour=10)
        if code == PLEIKU_FIN:
            case.fire(sub.leader, "tra_lai_du_thao", flow_id=flow_id, note="Thiếu phụ lục", hour=10)
            case.fire(sub.specialist, "trinh_du_thao", flow_id=flow_id, hour=10)
            case.fire(sub.leader, "trinh_don_vi_cha", flow_id=flow_id, hour=10)
            assert [e[:4] for e in case.journal(before)] == [
                (EventAction.STEP, "phan_cong", 3, code),
                (EventAction.STEP, "trinh_du_thao", 4, code),
                (EventAction.STEP, "tra_lai_du_thao", 4, code),
                (EventAction.STEP, "trinh_du_thao", 4, code),
                (EventAction.STEP, "trinh_don_vi_cha", 5, code),
            ]
            assert subs[code].state == "da_trinh_don_vi_cha"
            # Bước 6 still waits for P. TN&MT
            case.refused(Conflict, waiting.format("P. TN&MT (TP Pleiku)"), t.leader, "phe_duyet")
            assert case.actions(t.leader) == []
        else:
            case.fire(sub.leader, "trinh_don_vi_cha", flow_id=flow_id, hour=10)

    # Bước 6 — lãnh đạo đơn vị cha phê duyệt (not the clerk), văn thư ban hành
    case.refused(
        PermissionDenied,
        "Bước “Phê duyệt ban hành, chuyển văn thư” dành cho Lãnh đạo của đơn vị đang xử lý.",
        t.clerk,
        "phe_duyet",
    )
    case.refused(
        PermissionDenied,
        "Bước “Phê duyệt ban hành, chuyển văn thư” dành cho Lãnh đạo của đơn vị đang xử lý.",
        fin_staff.leader,
        "phe_duyet",
    )
    assert case.actions(t.leader) == [(main.id, "truong_hop_2", "phe_duyet")]
    case.fire(t.leader, "phe_duyet", hour=15)
    assert main.state == "cho_ban_hanh"
    doc = issue_reply(
        session=s,
        actor=t.clerk,
        config=config,
        task_id=case.task_id,
        data=reply_data("77/UBND-VP", DAY),
        now=at(DAY, 16),
    )
    assert main.state == "da_ban_hanh"
    replies = s.exec(select(Document).where(Document.task_id == case.task_id)).all()
    assert [(d.id, d.unit_id, d.issuer) for d in replies] == [(doc.id, unit_id(s, PLEIKU), PLEIKU)]
    assert [e[:3] for e in case.journal() if e[0] in (EventAction.STEP, EventAction.REPLIED)][-2:] == [
        (EventAction.STEP, "phe_duyet", 6),
        (EventAction.REPLIED, "ban_hanh", 6),
    ]
    assert {c: f.state for c, f in case.sub_flows().items()} == {
        PLEIKU_FIN: "da_trinh_don_vi_cha",
        PLEIKU_ENV: "da_trinh_don_vi_cha",
    }


def test_finance_is_a_unit_with_subunits_but_may_still_handle_a_task_itself(new_case: Callable[[str], Case]) -> None:
    """Sở Tài chính has sub-units; choosing "ngan" at bút phê commits its flow to the short
    workflow: no sub flow, and the Trường hợp 1 steps are no longer possible."""
    case = new_case(FINANCE)
    t = case.team
    case.fire(t.clerk, "vao_so")
    assert case.flow.committed is False
    case.fire(t.leader, "but_phe", assignee_id=t.specialist.user_id)
    assert (case.flow.workflow, case.flow.committed, case.flow.state) == ("ngan", True, "cho_du_thao")
    assert case.sub_flows() == {}
    case.refused(
        Conflict,
        "Bước này không thực hiện được lúc này: nhiệm vụ đang ở bước “Chuyên viên đang dự thảo”.",
        t.clerk,
        "tiep_nhan_bao_cao",
    )
