"""Xác nhận kết quả (Điều 5.2): VP UBND's tracker judges each reply; on time or late follows
from the reply date and the deadline in force, never from what anyone types."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import Session, select

from models import Confirmation, ConfirmOutcome, EventAction, Extension, Task, TaskClass, TaskStatus
from models.schemas import ConfirmationCreate
from services.access.permissions import Actor
from services.actions.confirmation import list_pending
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from services.journal.events import events_of
from services.runtime import Runtime
from services.stats.statistics import make_period, unit_statistics
from services.tasks.queries import list_unit_tasks
from services.workflow.engine import main_flow
from tests.actions import confirm_task, issue_reply, update_task
from tests.conftest import FINANCE, PLEIKU, at
from tests.services.support import (
    assign,
    confirm,
    flow_snapshot,
    reply,
    reply_data,
    row_counts,
    task,
    unit_id,
)

ASSIGNED = date(2026, 3, 2)
DEADLINE = date(2026, 3, 10)


@pytest.fixture
def flow(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> dict[str, int]:
    """Document 20/UBND-TH of 02/03/2026: two Finance tasks due 10/03, one Pleiku task due 05/03."""
    doc, (fin1, fin2, pleiku1) = assign(
        runtime,
        session,
        actors["tracker"],
        code="20/UBND-TH",
        issued=ASSIGNED,
        tasks=[
            task("Rà soát dự toán", FINANCE, DEADLINE),
            task("Quyết toán vốn", FINANCE, DEADLINE),
            task("Báo cáo đô thị", PLEIKU, date(2026, 3, 5)),
        ],
    )
    assert doc.id is not None
    return {"doc": doc.id, "fin1": fin1, "fin2": fin2, "pleiku1": pleiku1}


def _assert_confirm_refused(
    runtime: Runtime,
    session: Session,
    actor: Actor,
    task_id: int,
    data: ConfirmationCreate,
    error: type[ServiceError],
    fragment: str,
    *,
    day: date = date(2026, 3, 12),
) -> None:
    before = row_counts(session)
    status = session.get(Task, task_id).status  # type: ignore[union-attr]
    with pytest.raises(error) as caught:
        confirm_task(session=session, actor=actor, config=runtime.config, task_id=task_id, data=data, now=at(day))
    assert fragment in caught.value.message, caught.value.message
    assert row_counts(session) == before
    session.rollback()
    assert row_counts(session) == before
    assert session.get(Task, task_id).status is status  # type: ignore[union-attr]


def _last_event_note(session: Session, task_id: int) -> str:
    return events_of(session=session, task_id=task_id)[-1].note


@pytest.mark.parametrize("outcome", [ConfirmOutcome.DONE, ConfirmOutcome.NOT_DONE])
def test_task_without_reply_cannot_be_confirmed(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int], outcome: ConfirmOutcome
) -> None:
    _assert_confirm_refused(
        runtime,
        session,
        actors["tracker"],
        flow["fin1"],
        ConfirmationCreate(outcome=outcome, reason="Chưa đạt"),
        Conflict,
        "Nhiệm vụ chưa có văn bản trả lời nên chưa thể xác nhận.",
    )


def test_unknown_task_is_not_found(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    before = row_counts(session)
    with pytest.raises(NotFound, match=re.escape("Không tìm thấy nhiệm vụ #99999 hoặc bạn không có quyền xem.")):
        confirm_task(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            task_id=99999,
            data=ConfirmationCreate(outcome=ConfirmOutcome.DONE),
            now=at(date(2026, 3, 12)),
        )
    assert row_counts(session) == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_not_done_requires_a_reason(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int], reason: str
) -> None:
    """'Chưa hoàn thành' without a reason is refused; the reply stays pending."""
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=date(2026, 3, 9))
    _assert_confirm_refused(
        runtime,
        session,
        actors["tracker"],
        flow["fin1"],
        ConfirmationCreate(outcome=ConfirmOutcome.NOT_DONE, reason=reason),
        InvalidInput,
        "Lý do không được để trống.",
    )
    pending = list_pending(session=session, actor=actors["tracker"], today=date(2026, 3, 12))
    assert [p.task_id for p in pending] == [flow["fin1"]]


def test_another_units_leader_does_not_even_find_the_task(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=date(2026, 3, 9))
    _assert_confirm_refused(
        runtime,
        session,
        actors["other_leader"],
        flow["fin1"],
        ConfirmationCreate(outcome=ConfirmOutcome.DONE),
        NotFound,
        f"Không tìm thấy nhiệm vụ #{flow['fin1']} hoặc bạn không có quyền xem.",
    )


@pytest.mark.parametrize("who", ["office_leader", "clerk", "leader", "specialist", "admin"])
def test_only_the_office_tracker_confirms(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int], who: str
) -> None:
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=date(2026, 3, 9))
    message = "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được xác nhận kết quả."
    _assert_confirm_refused(
        runtime,
        session,
        actors[who],
        flow["fin1"],
        ConfirmationCreate(outcome=ConfirmOutcome.DONE),
        PermissionDenied,
        message,
    )
    with pytest.raises(PermissionDenied, match=re.escape(message)):
        list_pending(session=session, actor=actors[who], today=date(2026, 3, 12))


def test_done_with_a_new_deadline_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=date(2026, 3, 9))
    _assert_confirm_refused(
        runtime,
        session,
        actors["tracker"],
        flow["fin1"],
        ConfirmationCreate(outcome=ConfirmOutcome.DONE, new_deadline=date(2026, 3, 30)),
        InvalidInput,
        "Chỉ gia hạn khi xác nhận chưa hoàn thành.",
    )


def test_new_deadline_in_the_past_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=date(2026, 3, 9))
    _assert_confirm_refused(
        runtime,
        session,
        actors["tracker"],
        flow["fin1"],
        ConfirmationCreate(outcome=ConfirmOutcome.NOT_DONE, reason="Thiếu số liệu", new_deadline=date(2026, 3, 11)),
        InvalidInput,
        "Gia hạn đến ngày 11/03/2026 đã qua: chỉ nhận ngày từ hôm nay (12/03/2026) đến 12/03/2036.",
        day=date(2026, 3, 12),
    )


def test_reply_on_the_deadline_day_is_done_on_time(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """Reply dated 10/03 for a deadline of 10/03: đúng hạn, even when confirmed ten days later."""
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=DEADLINE)
    before = row_counts(session)
    confirmation = confirm(runtime, session, actors["tracker"], flow["fin1"], on=date(2026, 3, 20))
    assert row_counts(session) == {
        **before,
        "Confirmation": before["Confirmation"] + 1,
        "TaskEvent": before["TaskEvent"] + 1,
    }
    assert (confirmation.outcome, confirmation.confirmed_on, confirmation.task_id) == (
        ConfirmOutcome.DONE,
        date(2026, 3, 20),
        flow["fin1"],
    )
    assert session.get(Task, flow["fin1"]).status is TaskStatus.DONE  # type: ignore[union-attr]
    last = events_of(session=session, task_id=flow["fin1"])[-1]
    assert last.action is EventAction.CONFIRMED_DONE
    assert last.note == "Hoàn thành đúng hạn (văn bản 55/STC-VP ngày 10/03/2026, hạn 10/03/2026)."
    [row] = [
        r
        for r in list_unit_tasks(session=session, actor=actors["clerk"], today=date(2026, 3, 31), due_soon_days=3)
        if r.task_id == flow["fin1"]
    ]
    assert row.state.task_class is TaskClass.DONE_ON_TIME


def test_reply_one_day_late_is_done_late(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """Reply dated 11/03 for a deadline of 10/03: trễ hạn."""
    reply(runtime, session, flow["fin2"], code="56/STC-VP", on=date(2026, 3, 11))
    confirm(runtime, session, actors["tracker"], flow["fin2"], on=date(2026, 3, 11))
    assert _last_event_note(session, flow["fin2"]) == (
        "Hoàn thành trễ hạn (văn bản 56/STC-VP ngày 11/03/2026, hạn 10/03/2026)."
    )
    [row] = [
        r
        for r in list_unit_tasks(session=session, actor=actors["clerk"], today=date(2026, 3, 31), due_soon_days=3)
        if r.task_id == flow["fin2"]
    ]
    assert row.state.task_class is TaskClass.DONE_LATE


def test_not_done_with_extension_reopens_the_task(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """'Chưa hoàn thành' + new deadline: an Extension row, the task open again, a new reply judged
    against the new deadline."""
    tid = flow["fin1"]
    first = reply(runtime, session, tid, code="55/STC-VP", on=date(2026, 3, 12))  # late vs 10/03
    before = row_counts(session)
    verdict = confirm(
        runtime,
        session,
        actors["tracker"],
        tid,
        on=date(2026, 3, 13),
        done=False,
        reason="Thiếu số liệu quý I",
        new_deadline=date(2026, 3, 25),
    )
    assert row_counts(session) == {
        **before,
        "Confirmation": before["Confirmation"] + 1,
        "Extension": before["Extension"] + 1,
        "TaskEvent": before["TaskEvent"] + 2,  # the verdict and the extension, each journaled
        "Flow": before["Flow"] + 1,  # the unit's main flow starts again from the first step
    }
    assert (verdict.outcome, verdict.reply_id, verdict.reason) == (
        ConfirmOutcome.NOT_DONE,
        first.id,
        "Thiếu số liệu quý I",
    )
    [ext] = session.exec(select(Extension).where(Extension.task_id == tid)).all()
    assert (ext.new_deadline, ext.granted_on, ext.reason, ext.confirmation_id, ext.actor_id) == (
        date(2026, 3, 25),
        date(2026, 3, 13),
        "Thiếu số liệu quý I",
        verdict.id,
        actors["tracker"].user_id,
    )
    assert session.get(Task, tid).status is TaskStatus.OPEN  # type: ignore[union-attr]
    assert session.get(Task, tid).deadline == DEADLINE  # type: ignore[union-attr]  # original kept
    journal = events_of(session=session, task_id=tid)
    assert [e.action for e in journal[-2:]] == [EventAction.CONFIRMED_NOT_DONE, EventAction.EXTENDED]
    assert journal[-2].note == "Chưa hoàn thành: Thiếu số liệu quý I"
    assert journal[-1].note == "Gia hạn đến 25/03/2026: Thiếu số liệu quý I"

    [row] = [
        r
        for r in list_unit_tasks(session=session, actor=actors["clerk"], today=date(2026, 3, 14), due_soon_days=3)
        if r.task_id == tid
    ]
    assert (row.status, row.state.deadline, row.state.task_class) == (
        TaskStatus.OPEN,
        date(2026, 3, 25),
        TaskClass.OPEN_ON_TIME,
    )

    second = reply(runtime, session, tid, code="60/STC-VP", on=date(2026, 3, 24))
    assert second.reply_to_id == flow["doc"]
    confirm(runtime, session, actors["tracker"], tid, on=date(2026, 3, 26))
    assert _last_event_note(session, tid) == "Hoàn thành đúng hạn (văn bản 60/STC-VP ngày 24/03/2026, hạn 25/03/2026)."
    assert session.get(Task, tid).status is TaskStatus.DONE  # type: ignore[union-attr]


def test_new_deadline_today_is_accepted(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """'Not before today' allows today itself."""
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=date(2026, 3, 9))
    confirm(
        runtime,
        session,
        actors["tracker"],
        flow["fin1"],
        on=date(2026, 3, 12),
        done=False,
        reason="Bổ sung",
        new_deadline=date(2026, 3, 12),
    )
    [ext] = session.exec(select(Extension).where(Extension.task_id == flow["fin1"])).all()
    assert ext.new_deadline == date(2026, 3, 12)


def test_not_done_without_extension_keeps_the_old_deadline(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """No extension: open again against 10/03; a reply on 15/03 is then done late."""
    tid = flow["fin1"]
    reply(runtime, session, tid, code="55/STC-VP", on=date(2026, 3, 9))
    before = row_counts(session)
    [old_flow] = flow_snapshot(session, tid)
    confirm(runtime, session, actors["tracker"], tid, on=date(2026, 3, 10), done=False, reason="Chưa đủ nội dung")
    assert row_counts(session) == {
        **before,
        "Confirmation": before["Confirmation"] + 1,
        "TaskEvent": before["TaskEvent"] + 1,
        "Flow": before["Flow"] + 1,
    }
    assert session.get(Task, tid).status is TaskStatus.OPEN  # type: ignore[union-attr]
    # the old flow stops where it was (Sở Tài chính has sub-units: bút phê committed it to "ngan");
    # a new main flow, its workflow not chosen yet, waits at the first step (vào sổ)
    fin = unit_id(session, FINANCE)
    specialist = actors["specialist"].user_id
    old_id = old_flow[0]
    assert flow_snapshot(session, tid) == [
        (old_id, tid, fin, None, "ngan", True, "da_ban_hanh", specialist, False),
        (old_id + 3, tid, fin, None, "ngan", False, "cho_vao_so", None, True),
    ]
    assert main_flow(session=session, task_id=tid).id == old_id + 3  # type: ignore[union-attr]
    with pytest.raises(Conflict) as caught:
        issue_reply(
            session=session,
            actor=actors["clerk"],
            config=runtime.config,
            task_id=tid,
            data=reply_data("57/STC-VP", date(2026, 3, 11)),
            now=at(date(2026, 3, 11)),
        )
    assert caught.value.message == (
        "Chưa đến bước ban hành văn bản trả lời: nhiệm vụ đang ở bước “Chờ văn thư vào sổ”."
    )
    reply(runtime, session, tid, code="58/STC-VP", on=date(2026, 3, 15))
    confirm(runtime, session, actors["tracker"], tid, on=date(2026, 3, 16))
    assert _last_event_note(session, tid) == "Hoàn thành trễ hạn (văn bản 58/STC-VP ngày 15/03/2026, hạn 10/03/2026)."


def test_confirmed_reply_cannot_be_confirmed_again(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=date(2026, 3, 9))
    confirm(runtime, session, actors["tracker"], flow["fin1"], on=date(2026, 3, 10), done=False, reason="Chưa đạt")
    _assert_confirm_refused(
        runtime,
        session,
        actors["tracker"],
        flow["fin1"],
        ConfirmationCreate(outcome=ConfirmOutcome.DONE),
        Conflict,
        "Nhiệm vụ chưa có văn bản trả lời nên chưa thể xác nhận.",
    )


def test_pending_queue_oldest_first_with_age_from_entry_date(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """The queue is ordered by how long each reply has waited since it was entered (created_at),
    not by the date printed on the reply."""
    # Pleiku: dated 06/03 (late vs 05/03), entered 06/03      -> waited 10 days on 16/03
    reply(runtime, session, flow["pleiku1"], code="12/UBND-VP", on=date(2026, 3, 6))
    # Finance 1: dated 09/03, entered 09/03                   -> waited 7 days
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=date(2026, 3, 9))
    # Finance 2: dated 05/03 but entered only on 11/03        -> waited 5 days
    reply(runtime, session, flow["fin2"], code="50/STC-VP", on=date(2026, 3, 5), entered=date(2026, 3, 11))

    pending = list_pending(session=session, actor=actors["tracker"], today=date(2026, 3, 16))
    assert [(p.task_id, p.age_days) for p in pending] == [
        (flow["pleiku1"], 10),
        (flow["fin1"], 7),
        (flow["fin2"], 5),
    ]
    first = pending[0]
    assert (first.unit_name, first.assignment_code, first.reply_code, first.reply_date, first.deadline) == (
        "UBND TP Pleiku",
        "20/UBND-TH",
        "12/UBND-VP",
        date(2026, 3, 6),
        date(2026, 3, 5),
    )
    assert [p.on_time for p in pending] == [False, True, True]

    # confirmed replies leave the queue; a new reply after "not done" joins it again
    confirm(runtime, session, actors["tracker"], flow["pleiku1"], on=date(2026, 3, 16))
    confirm(runtime, session, actors["tracker"], flow["fin1"], on=date(2026, 3, 16), done=False, reason="Chưa đạt")
    assert [p.task_id for p in list_pending(session=session, actor=actors["tracker"], today=date(2026, 3, 16))] == [
        flow["fin2"]
    ]
    reply(runtime, session, flow["fin1"], code="59/STC-VP", on=date(2026, 3, 17))
    pending = list_pending(session=session, actor=actors["tracker"], today=date(2026, 3, 18))
    assert [(p.task_id, p.reply_code, p.age_days) for p in pending] == [
        (flow["fin2"], "50/STC-VP", 7),
        (flow["fin1"], "59/STC-VP", 1),
    ]
    assert [c.reply_id for c in session.exec(select(Confirmation)).all()].count(pending[1].reply_id) == 0


def test_a_new_reply_cannot_be_backdated_before_the_not_done_verdict(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """Late reply, 'not done' on 13/03: a second reply dated 09/03 (before the deadline 10/03)
    would turn a late task into 'done on time'; it is refused and nothing changes."""
    tid = flow["fin1"]
    reply(runtime, session, tid, code="55/STC-VP", on=date(2026, 3, 12))
    confirm(runtime, session, actors["tracker"], tid, on=date(2026, 3, 13), done=False, reason="Thiếu số liệu")
    with pytest.raises(InvalidInput) as refused:
        reply(runtime, session, tid, code="56/STC-VP", on=date(2026, 3, 9), entered=date(2026, 3, 15))
    assert "trước ngày Văn phòng UBND tỉnh xác nhận chưa hoàn thành (13/03/2026)" in refused.value.message
    session.rollback()
    accepted = reply(runtime, session, tid, code="57/STC-VP", on=date(2026, 3, 13), entered=date(2026, 3, 15))
    assert accepted.issue_date == date(2026, 3, 13)


def test_a_deadline_moved_after_a_late_reply_does_not_make_it_on_time(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """Deadline 10/03, reply 12/03 (late); VP UBND moves the deadline to 20/03 on 15/03 while the
    reply waits; confirmed on 16/03: done LATE, the queue said late, the journal says late."""
    reply(runtime, session, flow["fin1"], code="56/STC-VP", on=date(2026, 3, 12))
    update_task(
        session=session,
        actor=actors["tracker"],
        task_id=flow["fin1"],
        reason="Điều chỉnh tiến độ chung",
        deadline=date(2026, 3, 20),
        now=at(date(2026, 3, 15)),
    )
    queue = list_pending(session=session, actor=actors["tracker"], today=date(2026, 3, 15))
    [waiting] = [p for p in queue if p.task_id == flow["fin1"]]
    assert (waiting.deadline, waiting.on_time) == (DEADLINE, False)
    confirm(runtime, session, actors["tracker"], flow["fin1"], on=date(2026, 3, 16))
    last = events_of(session=session, task_id=flow["fin1"])[-1]
    assert last.note == "Hoàn thành trễ hạn (văn bản 56/STC-VP ngày 12/03/2026, hạn 10/03/2026)."
    period = make_period(date_from=ASSIGNED, date_to=date(2026, 3, 31), today=date(2026, 3, 31))
    [finance] = [r for r in unit_statistics(session=session, period=period).rows if r.unit_name == "Sở Tài chính"]
    assert (finance.counts[TaskClass.DONE_ON_TIME], finance.counts[TaskClass.DONE_LATE]) == (0, 1)
