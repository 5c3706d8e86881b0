"""Điều 4.2: a task that is not the unit's (wrong unit), VP UBND's changes to a task already sent
(thu hồi, cập nhật, thay thế), and the coordinating units' contributions — with the statistics
that must follow each of them (docs/statistics.md).

The task under test: document 90/UBND-KT of 02/03/2026, "Rà soát dự toán" led by Sở Tài chính,
coordinated by Sở Y tế, due 20/03/2026. Reports use the period [01/03/2026, 31/03/2026].
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, select

from models import (
    ActionKey,
    CloseReason,
    EventAction,
    Extension,
    Flow,
    RequestStatus,
    Task,
    TaskClass,
    TaskEvent,
    TaskStatus,
    WrongUnitRequest,
)
from models.schemas import TaskCreate
from services.access.permissions import Actor
from services.actions.workbench import task_workbench
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from services.runtime import Runtime
from services.stats.statistics import UnitStats, make_period, tasks_behind, unit_statistics
from services.tasks.queries import get_task_detail, list_unit_tasks
from services.workflow.engine import main_flow
from tests.actions import (
    add_note,
    archive_wrong_unit,
    available_actions,
    contribute,
    decide_wrong_unit,
    fire,
    issue_reply,
    list_pending_requests,
    replace_task,
    request_wrong_unit,
    revoke_task,
    update_task,
)
from tests.conftest import FINANCE, HEALTH, OFFICE, PLEIKU, at
from tests.services.support import (
    assign,
    confirm,
    flow_snapshot,
    reply,
    reply_data,
    row_counts,
    staff,
    task,
    unit_id,
)

ICT = "000.00.11.H21"
ICT_IT, ICT_CENTRE = "000.01.11.H21", "000.02.11.H21"
FINANCE_BUDGET = "000.01.05.H21"  # P. QLNS, a sub-unit of Sở Tài chính

ASSIGNED = date(2026, 3, 2)
DEADLINE = date(2026, 3, 20)
DECIDED = date(2026, 3, 10)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
NOT_OPEN = "Nhiệm vụ không còn ở bước xử lý trong đơn vị (đã trả lời, đã kết thúc hoặc đã bị thu hồi)."
ONLY_TRACKER_CHANGES = "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh thay đổi nhiệm vụ đã giao."

# (unit, documents, done on time, done late, open on time, open overdue, awaiting, total)
Row = tuple[str, int, int, int, int, int, int, int]


def _row(stats: UnitStats) -> Row:
    c = stats.counts
    return (
        stats.unit_name,
        stats.documents,
        c[TaskClass.DONE_ON_TIME],
        c[TaskClass.DONE_LATE],
        c[TaskClass.OPEN_ON_TIME],
        c[TaskClass.OPEN_OVERDUE],
        stats.awaiting_confirmation,
        stats.total,
    )


def _table(session: Session, date_to: date, *, today: date = date(2026, 4, 15)) -> list[Row]:
    """The official table for [01/03/2026, date_to], total row last."""
    report = unit_statistics(session=session, period=make_period(date_from=MARCH[0], date_to=date_to, today=today))
    return [*(_row(r) for r in report.rows), _row(report.total)]


def _refused(session: Session, error: type[ServiceError], message: str, call: Callable[[], Any]) -> None:
    """Refused with exactly ``message``; no row and no flow changed (before and after rollback)."""
    before, flows = row_counts(session), flow_snapshot(session)
    with pytest.raises(error) as caught:
        call()
    assert caught.value.message == message
    assert (row_counts(session), flow_snapshot(session)) == (before, flows)
    session.rollback()
    assert (row_counts(session), flow_snapshot(session)) == (before, flows)


def _events(session: Session, task_id: int, since: int = 0) -> list[tuple[Any, ...]]:
    """(action, from unit id, to unit id, actor name, note) of a task's journal after event ``since``."""
    rows = session.exec(
        select(TaskEvent).where(TaskEvent.task_id == task_id, col(TaskEvent.id) > since).order_by(col(TaskEvent.id))
    ).all()
    return [(e.action, e.from_unit_id, e.to_unit_id, e.actor_name, e.note) for e in rows]


def _last_event_id(session: Session) -> int:
    return max(i for i in session.exec(select(TaskEvent.id)).all() if i is not None)


@pytest.fixture
def fin(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> int:
    """The Sở Tài chính task, coordinated by Sở Y tế, walked to bút phê done (chuyên viên dự thảo)."""
    _, [task_id] = assign(
        runtime,
        session,
        actors["tracker"],
        code="90/UBND-KT",
        issued=ASSIGNED,
        tasks=[task("Rà soát dự toán", FINANCE, DEADLINE, coordinators=[HEALTH])],
    )
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.id is not None
    fire(
        session=session,
        actor=actors["clerk"],
        config=runtime.config,
        flow_id=flow.id,
        transition="vao_so",
        now=at(date(2026, 3, 3)),
    )
    fire(
        session=session,
        actor=actors["leader"],
        config=runtime.config,
        flow_id=flow.id,
        transition="but_phe",
        assignee_id=actors["specialist"].user_id,
        now=at(date(2026, 3, 3)),
    )
    return task_id


def _request(
    session: Session, actors: dict[str, Actor], task_id: int, day: date = date(2026, 3, 4)
) -> WrongUnitRequest:
    return request_wrong_unit(
        session=session,
        actor=actors["leader"],
        task_id=task_id,
        reason="Nội dung thuộc chức năng quản lý đô thị của UBND TP Pleiku",
        now=at(day),
    )


def _accept(
    runtime: Runtime, session: Session, actors: dict[str, Actor], request_id: int, **overrides: Any
) -> Task | None:
    kwargs: dict[str, Any] = {
        "note": "Đồng ý, chuyển UBND TP Pleiku",
        "new_lead_unit_code": PLEIKU,
        "new_deadline": date(2026, 3, 25),
        "now": at(DECIDED),
    }
    kwargs.update(overrides)
    return decide_wrong_unit(
        session=session, actor=actors["tracker"], config=runtime.config, request_id=request_id, accept=True, **kwargs
    )


# --- the request ----------------------------------------------------------------------------------


def test_only_the_lead_units_leader_requests_an_adjustment(
    runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int
) -> None:
    health_leader = staff(runtime, session, HEALTH).leader  # Sở Y tế coordinates the task
    reason = "Không thuộc chức năng"

    def ask(actor: Actor) -> Callable[[], Any]:
        return lambda: request_wrong_unit(session=session, actor=actor, task_id=fin, reason=reason, now=at(ASSIGNED))

    only_leader = "Chỉ lãnh đạo đơn vị chủ trì đề nghị điều chỉnh đơn vị thực hiện."
    for who in ("clerk", "specialist", "tracker", "office_leader", "admin"):
        _refused(session, PermissionDenied, only_leader, ask(actors[who]))
    _refused(session, PermissionDenied, "Chỉ đơn vị chủ trì đề nghị điều chỉnh đơn vị thực hiện.", ask(health_leader))
    _refused(
        session,
        NotFound,
        f"Không tìm thấy nhiệm vụ #{fin} hoặc bạn không có quyền xem.",
        ask(actors["other_leader"]),  # Pleiku has nothing to do with it
    )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Lý do không thuộc chức năng, nhiệm vụ không được để trống."),
        ("  \n ", "Lý do không thuộc chức năng, nhiệm vụ không được để trống."),
        # only invisible characters is empty; markup-like text or a leading "=" is ordinary text now
        ("\u200b\u202e\x00", "Lý do không thuộc chức năng, nhiệm vụ không được để trống."),
    ],
)
def test_request_needs_a_plain_reason(
    session: Session, actors: dict[str, Actor], fin: int, reason: str, message: str
) -> None:
    _refused(
        session,
        InvalidInput,
        message,
        lambda: request_wrong_unit(
            session=session, actor=actors["leader"], task_id=fin, reason=reason, now=at(ASSIGNED)
        ),
    )


def test_one_pending_request_at_a_time(runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int) -> None:
    bench = task_workbench(session=session, actor=actors["leader"], config=runtime.config, task_id=fin)
    assert (bench.can(ActionKey.WRONG_UNIT_REQUEST), bench.pending_wrong_unit) == (True, None)
    start = _last_event_id(session)
    request = _request(session, actors, fin)
    stored = session.get(WrongUnitRequest, request.id)
    assert stored is not None
    assert (stored.task_id, stored.status, stored.requested_by, stored.reason) == (
        fin,
        RequestStatus.PENDING,
        actors["leader"].user_id,
        "Nội dung thuộc chức năng quản lý đô thị của UBND TP Pleiku",
    )
    assert _events(session, fin, start) == [
        (
            EventAction.WRONG_UNIT_REQUESTED,
            unit_id(session, FINANCE),
            unit_id(session, OFFICE),
            "Stc.Lanhdao",
            "Nội dung thuộc chức năng quản lý đô thị của UBND TP Pleiku",
        )
    ]
    assert session.get(Task, fin).status is TaskStatus.OPEN  # type: ignore[union-attr]
    _refused(
        session,
        Conflict,
        "Đã có đề nghị điều chỉnh đang chờ Văn phòng UBND tỉnh xem xét.",
        lambda: _request(session, actors, fin, date(2026, 3, 5)),
    )
    bench = task_workbench(session=session, actor=actors["leader"], config=runtime.config, task_id=fin)
    assert (bench.can(ActionKey.WRONG_UNIT_REQUEST), bench.pending_wrong_unit.id) == (False, request.id)  # type: ignore[union-attr]
    office = task_workbench(session=session, actor=actors["tracker"], config=runtime.config, task_id=fin)
    assert office.can(ActionKey.WRONG_UNIT_ACCEPT) and office.can(ActionKey.WRONG_UNIT_REFUSE)
    assert [r.id for r in list_pending_requests(session=session, actor=actors["tracker"])] == [request.id]
    with pytest.raises(PermissionDenied):
        list_pending_requests(session=session, actor=actors["leader"])


def test_a_replied_task_cannot_be_declared_wrong_unit(
    runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int
) -> None:
    reply(runtime, session, fin, code="55/STC-VP", on=date(2026, 3, 6))
    _refused(
        session,
        Conflict,
        "Chỉ đề nghị điều chỉnh khi nhiệm vụ đang thực hiện (chưa trả lời, chưa kết thúc).",
        lambda: _request(session, actors, fin, date(2026, 3, 7)),
    )


# --- VP UBND's decision ---------------------------------------------------------------------------


def test_refusal_needs_a_reason_and_keeps_the_task_at_the_unit(
    runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int
) -> None:
    request = _request(session, actors, fin)
    assert request.id is not None

    def refuse(actor: Actor, note: str) -> Callable[[], Any]:
        return lambda: decide_wrong_unit(
            session=session,
            actor=actor,
            config=runtime.config,
            request_id=request.id or 0,
            accept=False,
            note=note,
            now=at(date(2026, 3, 6)),
        )

    _refused(
        session, InvalidInput, "Ý kiến của Văn phòng UBND tỉnh không được để trống.", refuse(actors["tracker"], " ")
    )
    _refused(
        session,
        PermissionDenied,
        "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh quyết định điều chỉnh.",
        refuse(actors["leader"], "Tự duyệt"),
    )
    _refused(
        session,
        NotFound,
        "Không tìm thấy nhiệm vụ #0 hoặc bạn không có quyền xem.",
        lambda: decide_wrong_unit(
            session=session, actor=actors["tracker"], config=runtime.config, request_id=999, accept=False, note="x"
        ),
    )
    flows = flow_snapshot(session, fin)
    start = _last_event_id(session)
    assert refuse(actors["tracker"], "Nhiệm vụ đúng chức năng của Sở Tài chính")() is None
    stored = session.get(WrongUnitRequest, request.id)
    assert stored is not None
    assert (stored.status, stored.decided_by, stored.decision_note, stored.new_task_id) == (
        RequestStatus.REFUSED,
        actors["tracker"].user_id,
        "Nhiệm vụ đúng chức năng của Sở Tài chính",
        None,
    )
    assert _events(session, fin, start) == [
        (
            EventAction.WRONG_UNIT_REFUSED,
            unit_id(session, OFFICE),
            unit_id(session, FINANCE),
            "Vp.Theodoi",
            "Nhiệm vụ đúng chức năng của Sở Tài chính",
        )
    ]
    current = session.get(Task, fin)
    assert current is not None
    assert (current.status, current.closed_reason, current.closed_on) == (TaskStatus.OPEN, None, None)
    assert flow_snapshot(session, fin) == flows
    no_request = "Nhiệm vụ không có đề nghị điều chỉnh đang chờ xem xét."
    _refused(session, Conflict, no_request, refuse(actors["tracker"], "Lần nữa"))
    # the unit goes on: a new request is possible, and so is its reply
    assert _request(session, actors, fin, date(2026, 3, 7)).id != request.id
    assert reply(runtime, session, fin, code="56/STC-VP", on=date(2026, 3, 9)).task_id == fin
    assert _table(session, date(2026, 3, 31)) == [
        ("Sở Tài chính", 1, 0, 0, 1, 0, 1, 1),
        ("Tổng cộng", 1, 0, 0, 1, 0, 1, 1),
    ]


def test_acceptance_is_validated(runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int) -> None:
    request = _request(session, actors, fin)
    rid = request.id or 0
    for overrides, message in (
        ({"new_lead_unit_code": None}, "Chọn đơn vị đúng chức năng để chuyển nhiệm vụ."),
        ({"new_lead_unit_code": FINANCE}, "Đơn vị chuyển đến phải khác đơn vị đã đề nghị điều chỉnh."),
        ({"new_lead_unit_code": OFFICE}, "Đơn vị chuyển đến: không giao nhiệm vụ cho chính Văn phòng UBND tỉnh."),
        ({"new_lead_unit_code": "000.00.99.H21"}, "Đơn vị chuyển đến: không có đơn vị mã '000.00.99.H21'."),
        (
            {"new_deadline": date(2026, 3, 9)},
            "Hạn xử lý mới 09/03/2026 đã qua; chọn hạn từ hôm nay (10/03/2026) đến 10/03/2036.",
        ),
    ):
        _refused(session, InvalidInput, message, lambda o=overrides: _accept(runtime, session, actors, rid, **o))
    assert session.get(WrongUnitRequest, rid).status is RequestStatus.PENDING  # type: ignore[union-attr]


def test_accepted_wrong_unit_closes_the_task_and_reroutes_it(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Sở Tài chính had already routed the task to P. QLNS (Trường hợp 1) when VP UBND accepts on
    10/03: the old task is completed administratively (closed, wrong_unit, closed on 10/03), every
    flow of it stops; a new task of the same document goes to UBND TP Pleiku, linked to the old
    one, journaled on both; only the new unit can act now; the old unit archive-closes once."""
    _, [old_id] = assign(
        runtime,
        session,
        actors["tracker"],
        code="91/UBND-KT",
        issued=ASSIGNED,
        tasks=[task("Chỉnh trang vỉa hè", FINANCE, DEADLINE, coordinators=[HEALTH])],
    )
    fin_staff = staff(runtime, session, FINANCE)
    sub_staff = staff(runtime, session, FINANCE_BUDGET)
    flow = main_flow(session=session, task_id=old_id)
    assert flow is not None and flow.id is not None
    fire(
        session=session,
        actor=fin_staff.clerk,
        config=runtime.config,
        flow_id=flow.id,
        transition="vao_so",
        now=at(date(2026, 3, 3)),
    )
    fire(
        session=session,
        actor=fin_staff.leader,
        config=runtime.config,
        flow_id=flow.id,
        transition="but_phe",
        workflow="truong_hop_1",
        assignee_id=fin_staff.specialist.user_id,
        subunit_ids=[unit_id(session, FINANCE_BUDGET)],
        now=at(date(2026, 3, 3)),
    )
    assert len(flow_snapshot(session, old_id)) == 2
    request = _request(session, actors, old_id)
    start = _last_event_id(session)

    new = _accept(runtime, session, actors, request.id or 0)
    assert new is not None and new.id is not None
    old = session.get(Task, old_id)
    assert old is not None
    assert (old.status, old.closed_reason, old.closed_on, old.lead_unit_id) == (
        TaskStatus.CLOSED,
        CloseReason.WRONG_UNIT,
        DECIDED,
        unit_id(session, FINANCE),
    )
    assert [f[-1] for f in flow_snapshot(session, old_id)] == [False, False]  # main and sub flow stopped
    assert (new.document_id, new.seq, new.content, new.deadline, new.status, new.replaces_task_id) == (
        old.document_id,
        old.seq,
        "Chỉnh trang vỉa hè",
        date(2026, 3, 25),
        TaskStatus.OPEN,
        old_id,
    )
    assert new.lead_unit_id == unit_id(session, PLEIKU)
    [new_flow] = flow_snapshot(session, new.id)
    assert new_flow[2:] == (unit_id(session, PLEIKU), None, "ngan", False, "cho_vao_so", None, True)
    stored = session.get(WrongUnitRequest, request.id)
    assert (stored.status, stored.new_task_id) == (RequestStatus.ACCEPTED, new.id)  # type: ignore[union-attr]
    office, finance, pleiku = unit_id(session, OFFICE), unit_id(session, FINANCE), unit_id(session, PLEIKU)
    assert _events(session, old_id, start) == [
        (
            EventAction.WRONG_UNIT_ACCEPTED,
            office,
            finance,
            "Vp.Theodoi",
            f"Đã hoàn thành về thủ tục (không tính cho đơn vị); chuyển UBND TP Pleiku (nhiệm vụ #{new.id}). "
            "Đồng ý, chuyển UBND TP Pleiku",
        )
    ]
    assert _events(session, new.id) == [
        (
            EventAction.REROUTED,
            office,
            pleiku,
            "Vp.Theodoi",
            f"Chuyển từ nhiệm vụ #{old_id} (không đúng đơn vị); hạn xử lý 25/03/2026",
        )
    ]
    detail = get_task_detail(session=session, actor=actors["tracker"], task_id=old_id, today=DECIDED, due_soon_days=3)
    assert (detail.closed_reason, detail.row.status) == (CloseReason.WRONG_UNIT, TaskStatus.CLOSED)
    detail = get_task_detail(session=session, actor=actors["tracker"], task_id=new.id, today=DECIDED, due_soon_days=3)
    assert (detail.replaces_task_id, detail.coordinating_units) == (old_id, ["Sở Y tế"])

    # the new unit sees it and starts its own flow
    pleiku_staff = staff(runtime, session, PLEIKU)
    rows = list_unit_tasks(session=session, actor=pleiku_staff.leader, today=DECIDED, due_soon_days=3)
    assert [r.task_id for r in rows] == [new.id]
    assert [
        a.transition
        for a in available_actions(session=session, actor=pleiku_staff.clerk, config=runtime.config, task_id=new.id)
    ] == ["vao_so"]
    with pytest.raises(NotFound):
        get_task_detail(session=session, actor=fin_staff.leader, task_id=new.id, today=DECIDED, due_soon_days=3)

    # the old unit (and its sub-unit) can no longer act on the old task
    for actor in (fin_staff.clerk, fin_staff.leader, fin_staff.specialist, sub_staff.clerk, sub_staff.leader):
        assert available_actions(session=session, actor=actor, config=runtime.config, task_id=old_id) == []
    old_flows = session.exec(select(Flow).where(Flow.task_id == old_id).order_by(col(Flow.id))).all()
    _refused(
        session,
        Conflict,
        NOT_OPEN,
        lambda: fire(
            session=session,
            actor=fin_staff.specialist,
            config=runtime.config,
            flow_id=old_flows[0].id or 0,
            transition="trinh_du_thao",
            now=at(DECIDED),
        ),
    )
    _refused(
        session,
        Conflict,
        NOT_OPEN,
        lambda: fire(
            session=session,
            actor=sub_staff.clerk,
            config=runtime.config,
            flow_id=old_flows[1].id or 0,
            transition="tiep_nhan",
            now=at(DECIDED),
        ),
    )
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã kết thúc.",
        lambda: issue_reply(
            session=session,
            actor=fin_staff.clerk,
            config=runtime.config,
            task_id=old_id,
            data=reply_data("60/STC", DECIDED),
            now=at(DECIDED),
        ),
    )
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã kết thúc.",
        lambda: add_note(session=session, actor=fin_staff.clerk, task_id=old_id, note="Bổ sung", now=at(DECIDED)),
    )
    _refused(
        session,
        Conflict,
        "Chỉ đề nghị điều chỉnh khi nhiệm vụ đang thực hiện (chưa trả lời, chưa kết thúc).",
        lambda: _request(session, actors, old_id, DECIDED),
    )

    # lưu kết thúc: by the old unit, once
    bench = task_workbench(session=session, actor=fin_staff.clerk, config=runtime.config, task_id=old_id)
    assert bench.can(ActionKey.ARCHIVE) is True
    _refused(
        session,
        PermissionDenied,
        "Vai trò của bạn không lưu kết thúc văn bản.",
        lambda: archive_wrong_unit(session=session, actor=actors["tracker"], task_id=old_id, now=at(DECIDED)),
    )
    _refused(
        session,
        NotFound,
        f"Không tìm thấy nhiệm vụ #{old_id} hoặc bạn không có quyền xem.",
        lambda: archive_wrong_unit(session=session, actor=pleiku_staff.clerk, task_id=old_id, now=at(DECIDED)),
    )
    before = _last_event_id(session)
    archive_wrong_unit(session=session, actor=fin_staff.clerk, task_id=old_id, now=at(date(2026, 3, 11)))
    assert _events(session, old_id, before) == [
        (
            EventAction.ARCHIVED,
            finance,
            None,
            "Stc.Vanthu",
            "Lưu kết thúc văn bản giao nhiệm vụ (không thuộc chức năng của đơn vị)",
        )
    ]
    _refused(
        session,
        Conflict,
        "Văn bản đã được lưu kết thúc.",
        lambda: archive_wrong_unit(session=session, actor=fin_staff.clerk, task_id=old_id, now=at(date(2026, 3, 12))),
    )
    bench = task_workbench(session=session, actor=fin_staff.clerk, config=runtime.config, task_id=old_id)
    assert bench.can(ActionKey.ARCHIVE) is False


def test_archive_only_after_acceptance(session: Session, actors: dict[str, Actor], fin: int) -> None:
    _refused(
        session,
        Conflict,
        "Chỉ lưu kết thúc khi Văn phòng UBND tỉnh đã chấp nhận điều chỉnh đơn vị.",
        lambda: archive_wrong_unit(session=session, actor=actors["clerk"], task_id=fin, now=at(DECIDED)),
    )


def test_wrong_unit_statistics(runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int) -> None:
    """Accepted on 10/03: from 10/03 the old task counts for nobody; a report judged before 10/03
    still counts it for Sở Tài chính; the new task (due 25/03) counts for UBND TP Pleiku."""
    request = _request(session, actors, fin)
    new = _accept(runtime, session, actors, request.id or 0)
    assert new is not None

    def row_of(date_to: date, name: str) -> Row | None:
        return next((r for r in _table(session, date_to) if r[0] == name), None)

    # as of 09/03 the old task was still Sở Tài chính's (open, in time)
    assert row_of(date(2026, 3, 9), "Sở Tài chính") == ("Sở Tài chính", 1, 0, 0, 1, 0, 0, 1)
    # from 10/03: Sở Tài chính has nothing; Pleiku has the new task
    assert _table(session, DECIDED) == [
        ("UBND TP Pleiku", 1, 0, 0, 1, 0, 0, 1),
        ("Tổng cộng", 1, 0, 0, 1, 0, 0, 1),
    ]
    assert _table(session, date(2026, 3, 31)) == [
        ("UBND TP Pleiku", 1, 0, 0, 0, 1, 0, 1),  # due 25/03, not answered by 31/03
        ("Tổng cộng", 1, 0, 0, 0, 1, 0, 1),
    ]
    period = make_period(date_from=MARCH[0], date_to=MARCH[1], today=date(2026, 4, 15))
    behind = tasks_behind(session=session, actor=actors["tracker"], period=period, due_soon_days=3)
    assert [(r.task_id, r.lead_unit_name, r.state.deadline) for r in behind] == [
        (new.id, "UBND TP Pleiku", date(2026, 3, 25))
    ]
    assert (
        tasks_behind(
            session=session, actor=actors["clerk"], period=period, due_soon_days=3, unit_id=unit_id(session, FINANCE)
        )
        == []
    )


@pytest.mark.parametrize("how", ["wrong_unit", "replace"])
def test_rerouting_does_not_change_a_past_report(
    runtime: Runtime, session: Session, actors: dict[str, Actor], how: str
) -> None:
    """docs/statistics.md: "a report for a past period gives the same figures whenever it is run". The
    report for [01/03, 09/03], run on 09/03, shows the task once, for Sở Tài chính. Re-routing it
    on 10/03 (wrong unit accepted, or VP UBND replacing it) creates a new task that did not exist
    on 09/03: the same report run later must still show one task, not a second one for the new
    unit."""
    _, [old_id] = assign(
        runtime,
        session,
        actors["tracker"],
        code="92/UBND-KT",
        issued=ASSIGNED,
        tasks=[task("Chỉnh trang vỉa hè", FINANCE, DEADLINE)],
    )
    before = _table(session, date(2026, 3, 9), today=date(2026, 3, 9))
    assert before == [("Sở Tài chính", 1, 0, 0, 1, 0, 0, 1), ("Tổng cộng", 1, 0, 0, 1, 0, 0, 1)]
    if how == "wrong_unit":
        request = _request(session, actors, old_id)
        assert _accept(runtime, session, actors, request.id or 0) is not None
    else:
        replace_task(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            task_id=old_id,
            data=TaskCreate(content="Chỉnh trang vỉa hè", lead_unit_code=PLEIKU, deadline=date(2026, 3, 25)),
            reason="Giao lại cho UBND TP Pleiku",
            now=at(DECIDED),
        )
    assert _table(session, date(2026, 3, 9), today=date(2026, 4, 15)) == before


def test_a_closed_task_cannot_be_rerouted(
    runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int
) -> None:
    """A request still pending when VP UBND revokes the task: accepting it afterwards must not
    re-open the revoked task as a new one (nor turn its "revoked" into "wrong unit")."""
    request = _request(session, actors, fin)
    revoke_task(
        session=session,
        actor=actors["tracker"],
        task_id=fin,
        reason="UBND tỉnh thu hồi văn bản",
        now=at(date(2026, 3, 8)),
    )
    tasks_before = row_counts(session)["Task"]
    with pytest.raises(Conflict):
        _accept(runtime, session, actors, request.id or 0)
    session.rollback()
    current = session.get(Task, fin)
    assert current is not None
    assert (current.status, current.closed_reason) == (TaskStatus.CLOSED, CloseReason.REVOKED)
    assert row_counts(session)["Task"] == tasks_before


# --- VP UBND changes a task already sent -----------------------------------------------------------


def test_only_the_office_tracker_changes_a_task(
    runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int
) -> None:
    new = TaskCreate(content="Mới", lead_unit_code=HEALTH, deadline=date(2026, 3, 30))
    for who in ("office_leader", "leader", "clerk", "admin"):
        actor = actors[who]
        for call in (
            lambda a=actor: revoke_task(session=session, actor=a, task_id=fin, reason="x", now=at(DECIDED)),
            lambda a=actor: update_task(
                session=session, actor=a, task_id=fin, reason="x", deadline=date(2026, 3, 30), now=at(DECIDED)
            ),
            lambda a=actor: replace_task(
                session=session, actor=a, config=runtime.config, task_id=fin, data=new, reason="x", now=at(DECIDED)
            ),
        ):
            _refused(session, PermissionDenied, ONLY_TRACKER_CHANGES, call)
    _refused(
        session,
        NotFound,
        "Không tìm thấy nhiệm vụ #9999 hoặc bạn không có quyền xem.",
        lambda: revoke_task(session=session, actor=actors["tracker"], task_id=9999, reason="x", now=at(DECIDED)),
    )
    _refused(
        session,
        InvalidInput,
        "Lý do thu hồi không được để trống.",
        lambda: revoke_task(session=session, actor=actors["tracker"], task_id=fin, reason=" ", now=at(DECIDED)),
    )


def test_revoked_task_stops_everywhere_and_leaves_the_statistics(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Sở TT&TT routed the task to P. CNTT and TT CNTT-TT (Trường hợp 1); P. CNTT already
    received it. Revoked on 12/03: every flow (main and sub) stops, nobody can act, and the
    task counts for nobody from 12/03 (still for Sở TT&TT in a report as of 11/03)."""
    _, [tid] = assign(
        runtime,
        session,
        actors["tracker"],
        code="93/UBND-KT",
        issued=ASSIGNED,
        tasks=[task("Chuyển đổi số", ICT, DEADLINE)],
    )
    ict = staff(runtime, session, ICT)
    it = staff(runtime, session, ICT_IT)
    flow = main_flow(session=session, task_id=tid)
    assert flow is not None and flow.id is not None
    fire(
        session=session,
        actor=ict.clerk,
        config=runtime.config,
        flow_id=flow.id,
        transition="vao_so",
        now=at(date(2026, 3, 3)),
    )
    fire(
        session=session,
        actor=ict.leader,
        config=runtime.config,
        flow_id=flow.id,
        transition="but_phe",
        workflow="truong_hop_1",
        assignee_id=ict.specialist.user_id,
        subunit_ids=[unit_id(session, ICT_IT), unit_id(session, ICT_CENTRE)],
        now=at(date(2026, 3, 3)),
    )
    it_flow = session.exec(select(Flow).where(Flow.task_id == tid, Flow.unit_id == unit_id(session, ICT_IT))).one()
    fire(
        session=session,
        actor=it.clerk,
        config=runtime.config,
        flow_id=it_flow.id or 0,
        transition="tiep_nhan",
        now=at(date(2026, 3, 4)),
    )
    start = _last_event_id(session)

    revoked = revoke_task(
        session=session,
        actor=actors["tracker"],
        task_id=tid,
        reason="UBND tỉnh thu hồi văn bản",
        now=at(date(2026, 3, 12)),
    )
    assert (revoked.status, revoked.closed_reason, revoked.closed_on) == (
        TaskStatus.CLOSED,
        CloseReason.REVOKED,
        date(2026, 3, 12),
    )
    assert [(f[6], f[8]) for f in flow_snapshot(session, tid)] == [
        ("cho_don_vi_truc_thuoc", False),
        ("cho_phan_cong", False),
        ("cho_tiep_nhan", False),
    ]
    assert _events(session, tid, start) == [
        (
            EventAction.REVOKED,
            unit_id(session, OFFICE),
            unit_id(session, ICT),
            "Vp.Theodoi",
            "UBND tỉnh thu hồi văn bản",
        )
    ]
    for actor in (ict.clerk, ict.leader, ict.specialist, it.clerk, it.leader):
        assert available_actions(session=session, actor=actor, config=runtime.config, task_id=tid) == []
    _refused(
        session,
        Conflict,
        NOT_OPEN,
        lambda: fire(
            session=session,
            actor=it.leader,
            config=runtime.config,
            flow_id=it_flow.id or 0,
            transition="phan_cong",
            assignee_id=it.specialist.user_id,
            now=at(date(2026, 3, 12)),
        ),
    )
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã kết thúc, không thay đổi được.",
        lambda: revoke_task(
            session=session, actor=actors["tracker"], task_id=tid, reason="x", now=at(date(2026, 3, 13))
        ),
    )
    assert _table(session, date(2026, 3, 11)) == [
        ("Sở TT&TT", 1, 0, 0, 1, 0, 0, 1),
        ("Tổng cộng", 1, 0, 0, 1, 0, 0, 1),
    ]
    assert _table(session, date(2026, 3, 12)) == [("Tổng cộng", 0, 0, 0, 0, 0, 0, 0)]
    assert _table(session, date(2026, 3, 31)) == [("Tổng cộng", 0, 0, 0, 0, 0, 0, 0)]


def test_update_content_and_deadline(runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int) -> None:
    """On 10/03 the deadline moves from 20/03 to 31/03 (kept as an extension granted 10/03) and
    the content is corrected; reports use the new deadline from 10/03 only."""
    tracker = actors["tracker"]
    _refused(
        session,
        InvalidInput,
        "Không có thay đổi nào để cập nhật.",
        lambda: update_task(
            session=session, actor=tracker, task_id=fin, reason="Sửa", content="Rà soát dự toán", now=at(DECIDED)
        ),
    )
    _refused(
        session,
        InvalidInput,
        "Hạn xử lý mới 09/03/2026 đã qua: chỉ nhận ngày từ hôm nay (10/03/2026) đến 10/03/2036.",
        lambda: update_task(
            session=session, actor=tracker, task_id=fin, reason="Sửa", deadline=date(2026, 3, 9), now=at(DECIDED)
        ),
    )
    _refused(
        session,
        InvalidInput,
        "Lý do cập nhật không được để trống.",
        lambda: update_task(session=session, actor=tracker, task_id=fin, reason="", content="Mới", now=at(DECIDED)),
    )
    start = _last_event_id(session)
    before = row_counts(session)
    flows = flow_snapshot(session, fin)
    update_task(
        session=session,
        actor=tracker,
        task_id=fin,
        reason="Văn bản đính chính",
        content="Rà soát dự toán năm 2026",
        deadline=date(2026, 3, 31),
        now=at(DECIDED),
    )
    assert row_counts(session) == {**before, "Extension": before["Extension"] + 1, "TaskEvent": before["TaskEvent"] + 1}
    assert flow_snapshot(session, fin) == flows  # the unit goes on where it was
    current = session.get(Task, fin)
    assert current is not None
    assert (current.content, current.deadline, current.status) == (
        "Rà soát dự toán năm 2026",
        DEADLINE,
        TaskStatus.OPEN,
    )
    [ext] = session.exec(select(Extension).where(Extension.task_id == fin)).all()
    assert (ext.new_deadline, ext.granted_on, ext.reason, ext.confirmation_id, ext.actor_id) == (
        date(2026, 3, 31),
        DECIDED,
        "Cập nhật nhiệm vụ: Văn bản đính chính",
        None,
        tracker.user_id,
    )
    assert _events(session, fin, start) == [
        (
            EventAction.UPDATED,
            unit_id(session, OFFICE),
            unit_id(session, FINANCE),
            "Vp.Theodoi",
            "nội dung: “Rà soát dự toán” → “Rà soát dự toán năm 2026”; hạn xử lý → 31/03/2026. "
            "Lý do: Văn bản đính chính",
        )
    ]
    # as of 25/03 the task is in time against 31/03 (it would be overdue against 20/03)
    assert _table(session, date(2026, 3, 25)) == [
        ("Sở Tài chính", 1, 0, 0, 1, 0, 0, 1),
        ("Tổng cộng", 1, 0, 0, 1, 0, 0, 1),
    ]
    early = make_period(date_from=MARCH[0], date_to=date(2026, 3, 9), today=date(2026, 4, 15))
    late = make_period(date_from=MARCH[0], date_to=date(2026, 3, 25), today=date(2026, 4, 15))
    [(_, early_deadline)] = [
        (r.task_id, r.state.deadline)
        for r in tasks_behind(session=session, actor=tracker, period=early, due_soon_days=3)
    ]
    [(_, late_deadline)] = [
        (r.task_id, r.state.deadline)
        for r in tasks_behind(session=session, actor=tracker, period=late, due_soon_days=3)
    ]
    assert (early_deadline, late_deadline) == (DEADLINE, date(2026, 3, 31))
    # a reply on 28/03 is on time against the new deadline
    reply(runtime, session, fin, code="70/STC-VP", on=date(2026, 3, 28))
    confirm(runtime, session, tracker, fin, on=date(2026, 3, 30))
    assert _table(session, date(2026, 3, 31)) == [
        ("Sở Tài chính", 1, 1, 0, 0, 0, 0, 1),
        ("Tổng cộng", 1, 1, 0, 0, 0, 0, 1),
    ]


def test_replace_closes_the_old_task_and_creates_a_linked_one(
    runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int
) -> None:
    tracker = actors["tracker"]

    def replace(**data: Any) -> Callable[[], Any]:
        fields: dict[str, Any] = {
            "content": "Rà soát dự toán ngành y tế",
            "lead_unit_code": HEALTH,
            "deadline": date(2026, 3, 30),
        }
        fields.update(data)
        return lambda: replace_task(
            session=session,
            actor=tracker,
            config=runtime.config,
            task_id=fin,
            data=TaskCreate(**fields),
            reason="Giao lại cho Sở Y tế",
            now=at(DECIDED),
        )

    _refused(session, InvalidInput, "Nhiệm vụ thay thế phải có đúng một đơn vị chủ trì.", replace(lead_unit_code=""))
    _refused(
        session,
        InvalidInput,
        "Hạn xử lý 09/03/2026 đã qua: chỉ nhận ngày từ hôm nay (10/03/2026) đến 10/03/2036.",
        replace(deadline=date(2026, 3, 9)),
    )
    _refused(session, InvalidInput, "Nhập hạn xử lý của nhiệm vụ thay thế, từ hôm nay trở đi.", replace(deadline=None))
    _refused(session, InvalidInput, "Nội dung nhiệm vụ mới không được để trống.", replace(content=""))
    start = _last_event_id(session)
    new = replace()()
    assert new.id is not None
    old = session.get(Task, fin)
    assert old is not None
    assert (old.status, old.closed_reason, old.closed_on) == (TaskStatus.CLOSED, CloseReason.REPLACED, DECIDED)
    assert [f[-1] for f in flow_snapshot(session, fin)] == [False]
    assert (new.document_id, new.seq, new.content, new.deadline, new.replaces_task_id, new.status) == (
        old.document_id,
        old.seq,
        "Rà soát dự toán ngành y tế",
        date(2026, 3, 30),
        fin,
        TaskStatus.OPEN,
    )
    [new_flow] = flow_snapshot(session, new.id)
    assert new_flow[2:] == (unit_id(session, HEALTH), None, "ngan", False, "cho_vao_so", None, True)
    office = unit_id(session, OFFICE)
    assert _events(session, fin, start) == [
        (
            EventAction.REPLACED,
            office,
            unit_id(session, FINANCE),
            "Vp.Theodoi",
            f"Thay thế bằng nhiệm vụ #{new.id}. Lý do: Giao lại cho Sở Y tế",
        )
    ]
    assert _events(session, new.id) == [
        (
            EventAction.ASSIGNED,
            office,
            unit_id(session, HEALTH),
            "Vp.Theodoi",
            f"Thay thế nhiệm vụ #{fin}; hạn xử lý 30/03/2026",
        )
    ]
    assert _table(session, date(2026, 3, 31)) == [
        ("Sở Y tế", 1, 0, 0, 0, 1, 0, 1),
        ("Tổng cộng", 1, 0, 0, 0, 1, 0, 1),
    ]
    assert _table(session, date(2026, 3, 9))[0] == ("Sở Tài chính", 1, 0, 0, 1, 0, 0, 1)
    _refused(session, Conflict, "Nhiệm vụ đã kết thúc, không thay đổi được.", replace())


def test_changes_to_a_done_task_are_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int
) -> None:
    reply(runtime, session, fin, code="55/STC-VP", on=date(2026, 3, 9))
    confirm(runtime, session, actors["tracker"], fin, on=date(2026, 3, 10))
    tracker = actors["tracker"]
    done = "Nhiệm vụ đã kết thúc, không thay đổi được."
    _refused(
        session,
        Conflict,
        done,
        lambda: revoke_task(session=session, actor=tracker, task_id=fin, reason="x", now=at(DECIDED)),
    )
    _refused(
        session,
        Conflict,
        done,
        lambda: update_task(
            session=session, actor=tracker, task_id=fin, reason="x", deadline=date(2026, 3, 30), now=at(DECIDED)
        ),
    )
    _refused(
        session,
        Conflict,
        done,
        lambda: replace_task(
            session=session,
            actor=tracker,
            config=runtime.config,
            task_id=fin,
            data=TaskCreate(content="Mới", lead_unit_code=HEALTH, deadline=date(2026, 3, 30)),
            reason="x",
            now=at(DECIDED),
        ),
    )
    assert session.get(Task, fin).status is TaskStatus.DONE  # type: ignore[union-attr]


# --- coordinating units ---------------------------------------------------------------------------


def test_contribution_of_a_coordinating_unit(
    runtime: Runtime, session: Session, actors: dict[str, Actor], fin: int
) -> None:
    """Sở Y tế coordinates: its users send their contribution to the lead unit (journaled, nothing
    else changes); other units may not; a coordinating unit is never counted."""
    health = staff(runtime, session, HEALTH)
    pleiku = staff(runtime, session, PLEIKU)

    def send(actor: Actor, note: str = "Sở Y tế thống nhất số liệu") -> Callable[[], Any]:
        return lambda: contribute(session=session, actor=actor, task_id=fin, note=note, now=at(date(2026, 3, 5)))

    _refused(
        session, PermissionDenied, "Chỉ đơn vị phối hợp gửi ý kiến phối hợp cho đơn vị chủ trì.", send(actors["leader"])
    )
    _refused(session, PermissionDenied, "Vai trò của bạn không gửi ý kiến phối hợp.", send(actors["tracker"]))
    _refused(session, NotFound, f"Không tìm thấy nhiệm vụ #{fin} hoặc bạn không có quyền xem.", send(pleiku.leader))
    _refused(session, InvalidInput, "Ý kiến phối hợp không được để trống.", send(health.specialist, "  "))
    # nor may it act on the lead unit's flow
    flow = main_flow(session=session, task_id=fin)
    assert flow is not None
    _refused(
        session,
        PermissionDenied,
        "Bước “Trình dự thảo văn bản trả lời” dành cho Chuyên viên, Chuyên viên theo dõi được giao "
        "của đơn vị đang xử lý.",
        lambda: fire(
            session=session,
            actor=health.specialist,
            config=runtime.config,
            flow_id=flow.id or 0,
            transition="trinh_du_thao",
            now=at(date(2026, 3, 5)),
        ),
    )
    bench = task_workbench(session=session, actor=health.specialist, config=runtime.config, task_id=fin)
    assert [o.key for o in bench.offers] == [ActionKey.CONTRIBUTE]

    start = _last_event_id(session)
    before, flows = row_counts(session), flow_snapshot(session)
    send(health.specialist)()
    send(health.leader, "Đề nghị bổ sung chỉ tiêu y tế cơ sở")()
    assert row_counts(session) == {**before, "TaskEvent": before["TaskEvent"] + 2}
    assert flow_snapshot(session) == flows
    h, f = unit_id(session, HEALTH), unit_id(session, FINANCE)
    assert _events(session, fin, start) == [
        (EventAction.CONTRIBUTION, h, f, "Chuyên viên Sở Y tế", "Sở Y tế thống nhất số liệu"),
        (EventAction.CONTRIBUTION, h, f, "Lãnh đạo Sở Y tế", "Đề nghị bổ sung chỉ tiêu y tế cơ sở"),
    ]
    assert session.get(Task, fin).status is TaskStatus.OPEN  # type: ignore[union-attr]

    report = unit_statistics(
        session=session,
        period=make_period(date_from=MARCH[0], date_to=MARCH[1], today=date(2026, 4, 15)),
        include_empty=True,
    )
    by_name = {r.unit_name: _row(r) for r in report.rows}
    assert by_name["Sở Y tế"] == ("Sở Y tế", 0, 0, 0, 0, 0, 0, 0)
    assert by_name["Sở Tài chính"] == ("Sở Tài chính", 1, 0, 0, 0, 1, 0, 1)
    assert _row(report.total) == ("Tổng cộng", 1, 0, 0, 0, 1, 0, 1)

    # once the task is done, no more contributions
    reply(runtime, session, fin, code="55/STC-VP", on=date(2026, 3, 9))
    confirm(runtime, session, actors["tracker"], fin, on=date(2026, 3, 10))
    _refused(session, Conflict, "Nhiệm vụ đã kết thúc.", send(health.specialist))
