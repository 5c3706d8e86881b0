"""Trả lời trên chính luồng (Điều 4.2) and progress notes: who may write what, when, and the
database guarantees behind them (a reply is always linked; the journal only grows)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from models import Document, DocumentKind, EventAction, Role, Task, TaskEvent, TaskStatus
from models.schemas import ReplyCreate
from services.access.permissions import Actor
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from services.journal.events import events_of
from services.runtime import Runtime
from services.workflow.engine import main_flow
from tests.actions import add_note, issue_reply
from tests.conftest import FINANCE, OFFICE, PLEIKU, at
from tests.services.support import assign, confirm, flow_snapshot, reply, row_counts, task, unit_id, walk_to_issue

ASSIGNED = date(2026, 3, 2)
DEADLINE = date(2026, 3, 10)
REPLY_DAY = date(2026, 3, 9)


@pytest.fixture
def flow(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> dict[str, int]:
    """Document 10/UBND-KT of 02/03/2026: two Sở Tài chính tasks (the first coordinated by
    Pleiku) and one Pleiku task, all due 10/03/2026."""
    doc, (fin1, pleiku1, fin2) = assign(
        runtime,
        session,
        actors["tracker"],
        code="10/UBND-KT",
        issued=ASSIGNED,
        tasks=[
            task("Rà soát dự toán", FINANCE, DEADLINE, coordinators=[PLEIKU]),
            task("Báo cáo đô thị", PLEIKU, DEADLINE),
            task("Quyết toán vốn", FINANCE, DEADLINE),
        ],
    )
    assert doc.id is not None
    return {"doc": doc.id, "fin1": fin1, "pleiku1": pleiku1, "fin2": fin2}


def _reply_data(**overrides: Any) -> ReplyCreate:
    fields: dict[str, Any] = {
        "code": "55/STC-VP",
        "issue_date": REPLY_DAY,
        "summary": "Báo cáo kết quả rà soát",
        "result": "Đã rà soát xong",
        "signer": "Trần Thị B",
    }
    fields.update(overrides)
    return ReplyCreate(**fields)


def _assert_reply_refused(
    runtime: Runtime,
    session: Session,
    actor: Actor,
    task_id: int,
    data: ReplyCreate,
    error: type[ServiceError],
    fragment: str,
    *,
    day: date = REPLY_DAY,
    walk: bool = True,
) -> None:
    """The lead unit's flow is first walked to its last step (văn thư ban hành), so the refusal
    comes from the rule under test, not from the flow; then nothing at all may change: no row,
    no flow state, and nothing left pending in the session (checked before the rollback)."""
    if walk:
        walk_to_issue(runtime, session, task_id, now=at(day))
    before = row_counts(session)
    flows_before = flow_snapshot(session)
    status_before = session.get(Task, task_id).status  # type: ignore[union-attr]
    with pytest.raises(error) as caught:
        issue_reply(session=session, actor=actor, config=runtime.config, task_id=task_id, data=data, now=at(day))
    assert fragment in caught.value.message, caught.value.message
    assert row_counts(session) == before
    assert flow_snapshot(session) == flows_before
    session.rollback()
    assert row_counts(session) == before
    assert flow_snapshot(session) == flows_before
    assert session.get(Task, task_id).status is status_before  # type: ignore[union-attr]


def _assert_note_refused(
    session: Session, actor: Actor, task_id: int, note: str, error: type[ServiceError], fragment: str
) -> None:
    before = row_counts(session)
    with pytest.raises(error) as caught:
        add_note(session=session, actor=actor, task_id=task_id, note=note, now=at(REPLY_DAY))
    assert fragment in caught.value.message, caught.value.message
    assert row_counts(session) == before


def test_coordinating_unit_cannot_reply_for_the_lead(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """Pleiku sees the Finance task it coordinates, but only the lead unit replies: PermissionDenied."""
    _assert_reply_refused(
        runtime,
        session,
        actors["other_leader"],
        flow["fin1"],
        _reply_data(code="7/UBND-VP"),
        PermissionDenied,
        "Chỉ đơn vị chủ trì được trả lời nhiệm vụ này.",
    )


def test_unrelated_unit_cannot_reply_and_does_not_learn_the_task_exists(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """Finance replying to a Pleiku task it has nothing to do with is refused, nothing saved.

    The service answers NotFound rather than PermissionDenied on purpose (services/tasks.py:
    an invisible task is 'not found' so its existence does not leak)."""
    _assert_reply_refused(
        runtime,
        session,
        actors["clerk"],
        flow["pleiku1"],
        _reply_data(),
        NotFound,
        f"Không tìm thấy nhiệm vụ #{flow['pleiku1']} hoặc bạn không có quyền xem.",
    )


@pytest.mark.parametrize("who", ["specialist", "tracker", "office_leader", "admin"])
def test_roles_without_task_reply_cannot_reply(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int], who: str
) -> None:
    """Only clerk and leader of a unit hold task.reply."""
    _assert_reply_refused(
        runtime,
        session,
        actors[who],
        flow["fin1"],
        _reply_data(),
        PermissionDenied,
        "Chỉ văn thư hoặc lãnh đạo đơn vị được ban hành văn bản trả lời.",
    )


def test_specialist_can_add_a_note(session: Session, actors: dict[str, Actor], flow: dict[str, int]) -> None:
    """A specialist cannot reply but records progress: exactly one 'note' event, nothing else."""
    before = row_counts(session)
    add_note(
        session=session,
        actor=actors["specialist"],
        task_id=flow["fin1"],
        note="Đã làm việc với các phòng, đang tổng hợp số liệu",
        now=at(date(2026, 3, 4)),
    )
    after = row_counts(session)
    assert after == {**before, "TaskEvent": before["TaskEvent"] + 1}
    last = events_of(session=session, task_id=flow["fin1"])[-1]
    assert last.action is EventAction.NOTE
    assert last.note == "Đã làm việc với các phòng, đang tổng hợp số liệu"
    assert (last.actor_name, last.actor_role) == ("Stc.Chuyenvien", Role.SPECIALIST)
    assert session.get(Task, flow["fin1"]).status is TaskStatus.OPEN  # type: ignore[union-attr]


def test_note_refusals(session: Session, actors: dict[str, Actor], flow: dict[str, int]) -> None:
    """Notes: only the lead unit's users (or a sub-unit it routed to) with task.note, non-empty (only
    invisible characters is empty). Pleiku only coordinates fin1: refused."""
    _assert_note_refused(
        session,
        actors["other_leader"],
        flow["fin1"],
        "Pleiku góp ý",
        PermissionDenied,
        "Chỉ đơn vị chủ trì (hoặc phòng, đơn vị trực thuộc được chuyển) cập nhật tiến độ.",
    )
    _assert_note_refused(
        session, actors["tracker"], flow["fin1"], "Ghi chú", PermissionDenied, "Vai trò của bạn không được cập nhật"
    )
    _assert_note_refused(
        session, actors["clerk"], flow["fin1"], "   ", InvalidInput, "Nội dung cập nhật không được để trống."
    )
    _assert_note_refused(
        session,
        actors["clerk"],
        flow["fin1"],
        "\u200b\u00ad\n\u202e",  # only invisible characters
        InvalidInput,
        "Nội dung cập nhật không được để trống.",
    )


def test_reply_dated_before_the_assignment_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    _assert_reply_refused(
        runtime,
        session,
        actors["clerk"],
        flow["fin1"],
        _reply_data(issue_date=date(2026, 3, 1)),
        InvalidInput,
        "Ngày văn bản trả lời 01/03/2026 trước ngày văn bản giao 02/03/2026.",
    )


def test_reply_dated_in_the_future_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    _assert_reply_refused(
        runtime,
        session,
        actors["clerk"],
        flow["fin1"],
        _reply_data(issue_date=date(2026, 3, 6)),
        InvalidInput,
        "Ngày văn bản trả lời 06/03/2026 sau ngày hôm nay.",
        day=date(2026, 3, 5),
    )


def test_reply_on_the_assignment_day_is_accepted(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    walk_to_issue(runtime, session, flow["fin1"], now=at(ASSIGNED, hour=15))
    doc = issue_reply(
        session=session,
        actor=actors["clerk"],
        config=runtime.config,
        task_id=flow["fin1"],
        data=_reply_data(issue_date=ASSIGNED),
        now=at(ASSIGNED, hour=16),
    )
    assert doc.issue_date == ASSIGNED


def test_second_reply_while_pending_is_a_conflict(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=REPLY_DAY)
    _assert_reply_refused(
        runtime,
        session,
        actors["leader"],
        flow["fin1"],
        _reply_data(code="56/STC-VP"),
        Conflict,
        "Nhiệm vụ đã có văn bản trả lời đang chờ Văn phòng UBND tỉnh xác nhận.",
        walk=False,
    )
    _assert_reply_refused(
        runtime,
        session,
        actors["clerk"],
        flow["fin1"],
        _reply_data(code="56/STC-VP"),
        Conflict,
        "Nhiệm vụ đã có văn bản trả lời đang chờ Văn phòng UBND tỉnh xác nhận.",
        walk=False,
    )


def test_reply_after_done_is_a_conflict(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=REPLY_DAY)
    confirm(runtime, session, actors["tracker"], flow["fin1"], on=date(2026, 3, 11))
    _assert_reply_refused(
        runtime,
        session,
        actors["clerk"],
        flow["fin1"],
        _reply_data(code="57/STC-VP"),
        Conflict,
        "Nhiệm vụ đã kết thúc.",
        day=date(2026, 3, 12),
        walk=False,
    )
    _assert_note_refused(
        session, actors["clerk"], flow["fin1"], "Bổ sung", Conflict, "Nhiệm vụ đã được xác nhận hoàn thành."
    )


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        pytest.param({"result": ""}, "Kết quả thực hiện không được để trống.", id="empty-result"),
        pytest.param({"result": "  \n "}, "Kết quả thực hiện không được để trống.", id="blank-result"),
        pytest.param({"summary": ""}, "Trích yếu không được để trống.", id="empty-summary"),
        pytest.param({"code": ""}, "Số/ký hiệu văn bản trả lời không được để trống.", id="empty-code"),
        pytest.param({"result": "\u200b\u200b"}, "Kết quả thực hiện không được để trống.", id="invisible-result"),
    ],
)
def test_reply_text_is_validated(
    runtime: Runtime,
    session: Session,
    actors: dict[str, Actor],
    flow: dict[str, int],
    overrides: dict[str, Any],
    fragment: str,
) -> None:
    """Required fields (a text of only invisible characters is empty); refused with nothing saved.
    Markup-like text or a leading = + - @ is ordinary text now (tests/services/test_normalised_input.py)."""
    _assert_reply_refused(
        runtime, session, actors["clerk"], flow["fin1"], _reply_data(**overrides), InvalidInput, fragment
    )


def test_signer_of_a_reply_is_optional(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    walk_to_issue(runtime, session, flow["fin1"], now=at(REPLY_DAY))
    doc = issue_reply(
        session=session,
        actor=actors["clerk"],
        config=runtime.config,
        task_id=flow["fin1"],
        data=_reply_data(signer=""),
        now=at(REPLY_DAY),
    )
    assert doc.signer == ""


def test_reply_code_unique_per_unit_and_year(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """'55/STC-VP' twice in 2026 for Sở Tài chính is refused (also spelt '55 / stc-vp'); the same
    code is fine for another unit, or for Sở Tài chính in 2027."""
    reply(runtime, session, flow["fin1"], code="55/STC-VP", on=REPLY_DAY)
    _assert_reply_refused(
        runtime,
        session,
        actors["clerk"],
        flow["fin2"],
        _reply_data(code="55 / stc-vp"),
        InvalidInput,
        "Số/ký hiệu văn bản trả lời '55 / stc-vp' đã có trong năm 2026 của cơ quan ban hành này.",
    )
    pleiku_reply = reply(runtime, session, flow["pleiku1"], code="55/STC-VP", on=REPLY_DAY)
    assert pleiku_reply.issuer == PLEIKU
    next_year = reply(runtime, session, flow["fin2"], code="55/STC-VP", on=date(2027, 1, 5))
    assert (next_year.issuer, next_year.issue_year, next_year.code_key) == (FINANCE, 2027, "55/STC-VP")


def test_reply_is_linked_to_its_assignment_and_task(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """The reply document: kind=reply, reply_to_id = the assignment, task_id = the task, issued by the
    unit at the last step of its flow (journaled once: the reply, on the flow's last step)."""
    walk_to_issue(runtime, session, flow["fin1"], now=at(date(2026, 3, 9), 9))
    before = row_counts(session)
    doc = issue_reply(
        session=session,
        actor=actors["clerk"],
        config=runtime.config,
        task_id=flow["fin1"],
        data=_reply_data(),
        now=at(date(2026, 3, 9), 10),
    )
    assert row_counts(session) == {
        **before,
        "Document": before["Document"] + 1,
        "TaskEvent": before["TaskEvent"] + 1,
    }
    assert main_flow(session=session, task_id=flow["fin1"]).state == "da_ban_hanh"  # type: ignore[union-attr]
    stored = session.exec(select(Document).where(Document.id == doc.id)).one()
    assert stored.kind is DocumentKind.REPLY
    assert stored.reply_to_id == flow["doc"]
    assert stored.task_id == flow["fin1"]
    assert stored.unit_id == unit_id(session, FINANCE)
    assert (stored.issuer, stored.code, stored.issue_date, stored.result, stored.signer) == (
        FINANCE,
        "55/STC-VP",
        REPLY_DAY,
        "Đã rà soát xong",
        "Trần Thị B",
    )
    assert stored.created_by == actors["clerk"].user_id
    assert session.get(Task, flow["fin1"]).status is TaskStatus.REPLIED  # type: ignore[union-attr]
    last = events_of(session=session, task_id=flow["fin1"])[-1]
    assert (last.action, last.transition, last.step) == (EventAction.REPLIED, "ban_hanh", 5)
    assert last.actor_name == "Stc.Vanthu"
    assert last.from_state == "cho_ban_hanh"
    assert (last.from_unit_id, last.to_unit_id) == (unit_id(session, FINANCE), unit_id(session, OFFICE))
    assert last.note == "Văn bản 55/STC-VP ngày 09/03/2026: Đã rà soát xong"


def _raw_document(**overrides: Any) -> Document:
    fields: dict[str, Any] = {
        "kind": DocumentKind.REPLY,
        "issuer": FINANCE,
        "code": "99/STC",
        "code_key": "99/STC",
        "issue_date": REPLY_DAY,
        "issue_year": 2026,
        "summary": "Trả lời không liên kết",
        "created_at": at(REPLY_DAY),
    }
    fields.update(overrides)
    return Document(**fields)


@pytest.mark.parametrize(
    "link",
    [
        pytest.param({"reply_to_id": None, "task_id": "fin1"}, id="reply-without-assignment"),
        pytest.param({"reply_to_id": "doc", "task_id": None}, id="reply-without-task"),
        pytest.param({"reply_to_id": None, "task_id": None}, id="reply-without-anything"),
    ],
)
def test_unlinked_reply_is_impossible_in_the_database(
    session: Session, actors: dict[str, Actor], flow: dict[str, int], link: dict[str, str | None]
) -> None:
    """Bypassing the services, the check constraint still refuses a reply not linked to its assignment."""
    before = row_counts(session)
    resolved = {key: (flow[value] if value else None) for key, value in link.items()}
    session.add(_raw_document(created_by=actors["clerk"].user_id, unit_id=unit_id(session, FINANCE), **resolved))
    with pytest.raises(IntegrityError, match=r"(?i)check constraint"):
        session.flush()
    session.rollback()
    assert row_counts(session) == before


def test_assignment_document_cannot_carry_reply_links(
    session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """The same constraint keeps assignments free of reply_to_id/task_id."""
    session.add(
        _raw_document(
            kind=DocumentKind.ASSIGNMENT,
            issuer="ubnd_tinh",
            reply_to_id=flow["doc"],
            created_by=actors["tracker"].user_id,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_journal_grows_by_one_event_per_action(
    runtime: Runtime, session: Session, actors: dict[str, Actor], flow: dict[str, int]
) -> None:
    """assign, note, each workflow step, reply, confirm: one journal line each, in order, nothing
    else touched. Issuing the reply is the last step (văn thư ban hành): one entry, the reply."""
    tid = flow["fin1"]
    assert [e.action for e in events_of(session=session, task_id=tid)] == [EventAction.ASSIGNED]
    total = row_counts(session)["TaskEvent"]

    add_note(session=session, actor=actors["leader"], task_id=tid, note="Giao phòng QLNS", now=at(date(2026, 3, 3)))
    assert row_counts(session)["TaskEvent"] == total + 1
    walk_to_issue(runtime, session, tid, now=at(date(2026, 3, 4)))  # vào sổ, bút phê, dự thảo, duyệt
    assert row_counts(session)["TaskEvent"] == total + 5
    issue_reply(
        session=session,
        actor=actors["clerk"],
        config=runtime.config,
        task_id=tid,
        data=_reply_data(),
        now=at(REPLY_DAY),
    )
    assert row_counts(session)["TaskEvent"] == total + 6
    confirm(runtime, session, actors["tracker"], tid, on=date(2026, 3, 11))
    assert row_counts(session)["TaskEvent"] == total + 7
    journal = events_of(session=session, task_id=tid)
    assert [(e.action, e.step) for e in journal] == [
        (EventAction.ASSIGNED, None),
        (EventAction.NOTE, None),
        (EventAction.STEP, 1),
        (EventAction.STEP, 2),
        (EventAction.STEP, 3),
        (EventAction.STEP, 4),
        (EventAction.REPLIED, 5),
        (EventAction.CONFIRMED_DONE, None),
    ]
    # the other tasks' journals are untouched
    assert [e.action for e in events_of(session=session, task_id=flow["fin2"])] == [EventAction.ASSIGNED]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE task_event SET note = 'sửa lịch sử'",
        "UPDATE task_event SET actor_name = 'Người khác' WHERE id = (SELECT min(id) FROM task_event)",
        "DELETE FROM task_event",
        "DELETE FROM task_event WHERE id = (SELECT max(id) FROM task_event)",
    ],
)
def test_journal_rows_cannot_be_updated_or_deleted(
    session: Session, actors: dict[str, Actor], flow: dict[str, int], statement: str
) -> None:
    """The database itself refuses UPDATE and DELETE on task_event (append-only)."""
    add_note(session=session, actor=actors["clerk"], task_id=flow["fin1"], note="Đang làm", now=at(date(2026, 3, 3)))
    before = [(e.id, e.note, e.actor_name) for e in session.exec(select(TaskEvent).order_by(TaskEvent.id)).all()]  # type: ignore[arg-type]
    with pytest.raises(DBAPIError, match="append-only"):
        session.exec(text(statement))  # type: ignore[call-overload]
    session.rollback()
    session.expire_all()
    after = [(e.id, e.note, e.actor_name) for e in session.exec(select(TaskEvent).order_by(TaskEvent.id)).all()]  # type: ignore[arg-type]
    assert after == before
    assert len(after) == 4
