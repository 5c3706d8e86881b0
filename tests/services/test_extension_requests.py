"""Xin gia hạn: the lead unit's leader asks for a later deadline, VP UBND grants or refuses it.

The task under test: document 70/UBND-KT of 02/03/2026, "Báo cáo tiến độ giải ngân" led by Sở Tài
chính, due 20/03/2026. The shipped limits (config/app.yaml ``extension_requests``): two requests per
task, at most 30 days beyond the deadline in force, none once it has passed. A grant is an
``Extension`` granted that day: the deadline in force, the class, the spans and the official table
follow it from that day, and a reply dated before it stays judged against the old deadline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from models import (
    ActionKey,
    AdminChange,
    AdminEntity,
    ConfirmOutcome,
    EventAction,
    Extension,
    ExtensionRequest,
    RequestStatus,
    Role,
    TaskClass,
    TaskEvent,
)
from models.extensions import ExtensionGrantInput, ExtensionRefuseInput, ExtensionRequestInput
from models.schemas import ConfirmationCreate
from services.access.permissions import Actor
from services.actions import registry
from services.actions.registry import offers, perform
from services.admin import config_admin
from services.admin.config_admin import SettingsEdit
from services.config import store
from services.infra.errors import (
    STALE_MESSAGE,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
    StaleState,
)
from services.infra.settings import ROOT
from services.runtime import Runtime
from services.stats.classify import classify, load_facts
from services.stats.statistics import make_period, unit_statistics
from services.tasks.counters import waiting_counts
from services.tasks.extension_requests import extension_history, list_pending_extensions, task_extensions
from tests.actions import issue_reply, revoke_task
from tests.conftest import FINANCE, OFFICE, at
from tests.services.support import assign, confirm, make_actor, reply, reply_data, task, unit_id, walk_to_issue

ISSUED = date(2026, 3, 2)
DEADLINE = date(2026, 3, 20)
ASKED_ON = date(2026, 3, 10)
WANTED = date(2026, 3, 30)
GRANTED_ON = date(2026, 3, 15)
REASON = "Chờ số liệu quyết toán của Kho bạc"
DEFAULT_DAY = date(2026, 4, 15)


def _task(runtime: Runtime, session: Session, tracker: Actor, code: str = "70/UBND-KT") -> int:
    _, [task_id] = assign(
        runtime,
        session,
        tracker,
        code=code,
        issued=ISSUED,
        tasks=[task("Báo cáo tiến độ giải ngân", FINANCE, DEADLINE)],
    )
    return task_id


def _act(
    runtime: Runtime,
    session: Session,
    actor: Actor,
    task_id: int,
    key: ActionKey,
    data: Any,
    on: date,
    **extra: Any,
) -> str:
    result = perform(
        session=session, actor=actor, config=runtime.config, task_id=task_id, action=key, data=data, now=at(on), **extra
    )
    return result.outcome.message


def _ask(
    runtime: Runtime, session: Session, leader: Actor, task_id: int, *, wanted: date = WANTED, on: date = ASKED_ON
) -> str:
    data = ExtensionRequestInput(requested_deadline=wanted, reason=REASON)
    return _act(runtime, session, leader, task_id, ActionKey.EXTENSION_REQUEST, data, on)


def _counts(session: Session) -> dict[str, int]:
    tables: tuple[type[SQLModel], ...] = (ExtensionRequest, Extension, TaskEvent)
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in tables}  # type: ignore[call-overload]


def _refused(session: Session, error: type[ServiceError], message: str, call: Callable[[], Any]) -> ServiceError:
    """Refused with exactly ``message``; no request, extension or journal entry written."""
    before = _counts(session)
    with pytest.raises(error) as caught:
        call()
    assert caught.value.message == message, caught.value.message
    session.rollback()
    assert _counts(session) == before
    return caught.value


def _state(session: Session, task_id: int, day: date) -> tuple[TaskClass, date]:
    state = classify(load_facts(session=session, task_ids=[task_id])[task_id], day)
    return state.task_class, state.deadline


def _finance_row(session: Session, as_of: date) -> tuple[int, int, int, int]:
    """Sở Tài chính's (done on time, done late, open on time, open overdue) in [01/03/2026, as_of],
    from the spans (the figures Giám sát shows)."""
    report = unit_statistics(
        session=session, period=make_period(date_from=date(2026, 3, 1), date_to=as_of, today=DEFAULT_DAY)
    )
    [row] = [r for r in report.rows if r.unit_id == unit_id(session, FINANCE)]
    c = row.counts
    return c[TaskClass.DONE_ON_TIME], c[TaskClass.DONE_LATE], c[TaskClass.OPEN_ON_TIME], c[TaskClass.OPEN_OVERDUE]


def _journal(session: Session, task_id: int, *actions: EventAction) -> list[tuple[EventAction, str, str]]:
    rows = session.exec(
        select(TaskEvent)
        .where(TaskEvent.task_id == task_id, col(TaskEvent.action).in_(actions))
        .order_by(col(TaskEvent.id))
    ).all()
    return [(e.action, e.actor_name, e.note) for e in rows]


# --- the request, the grant, and the deadline in force -----------------------------------------------


def test_a_granted_request_moves_the_deadline_from_the_day_it_is_granted(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    leader, tracker = actors["leader"], actors["tracker"]
    task_id = _task(runtime, session, tracker)
    assert {
        o.key for o in offers(session=session, actor=leader, config=runtime.config, task_id=task_id, now=at(ASKED_ON))
    } >= {ActionKey.EXTENSION_REQUEST}
    assert (
        _ask(runtime, session, leader, task_id)
        == "Đã gửi đề nghị gia hạn đến 30/03/2026; chờ Văn phòng UBND tỉnh xem xét."
    )
    [request] = session.exec(select(ExtensionRequest)).all()
    assert (request.status, request.requested_deadline, request.deadline_before, request.reason) == (
        RequestStatus.PENDING,
        WANTED,
        DEADLINE,
        REASON,
    )
    # pending: nothing moved yet; the Office sees it in its queue and in the menu's count
    assert _state(session, task_id, date(2026, 3, 25)) == (TaskClass.OPEN_OVERDUE, DEADLINE)
    assert _finance_row(session, date(2026, 3, 25)) == (0, 0, 0, 1)
    [queued] = list_pending_extensions(session=session, actor=tracker, today=date(2026, 3, 12))
    assert (queued.request.task_id, queued.deadline_now, queued.request.requested_deadline, queued.unit_name) == (
        task_id,
        DEADLINE,
        WANTED,
        "Sở Tài chính",
    )
    assert waiting_counts(session=session, actor=tracker, config=runtime.config).extensions == 1
    assert waiting_counts(session=session, actor=leader, config=runtime.config).extensions == 0
    grant_offered = offers(session=session, actor=tracker, config=runtime.config, task_id=task_id, now=at(GRANTED_ON))
    assert {ActionKey.EXTENSION_GRANT, ActionKey.EXTENSION_REFUSE} <= {o.key for o in grant_offered}

    message = _act(runtime, session, tracker, task_id, ActionKey.EXTENSION_GRANT, ExtensionGrantInput(), GRANTED_ON)
    assert message == f"Đã đồng ý gia hạn nhiệm vụ #{task_id} đến 30/03/2026."
    session.refresh(request)
    [extension] = session.exec(select(Extension).where(Extension.task_id == task_id)).all()
    assert (extension.new_deadline, extension.granted_on, extension.actor_id) == (WANTED, GRANTED_ON, tracker.user_id)
    assert (request.status, request.granted_deadline, request.extension_id, request.decided_by) == (
        RequestStatus.ACCEPTED,
        WANTED,
        extension.id,
        tracker.user_id,
    )
    # in force from the day it was granted: before it the old deadline, after it the new one
    assert _state(session, task_id, date(2026, 3, 14)) == (TaskClass.OPEN_ON_TIME, DEADLINE)
    assert _state(session, task_id, date(2026, 3, 25)) == (TaskClass.OPEN_ON_TIME, WANTED)
    assert _state(session, task_id, date(2026, 3, 31)) == (TaskClass.OPEN_OVERDUE, WANTED)
    assert _finance_row(session, date(2026, 3, 25)) == (0, 0, 1, 0)
    assert _finance_row(session, date(2026, 3, 31)) == (0, 0, 0, 1)
    assert list_pending_extensions(session=session, actor=tracker, today=GRANTED_ON) == []
    assert waiting_counts(session=session, actor=tracker, config=runtime.config).extensions == 0
    assert _journal(session, task_id, EventAction.EXTENSION_REQUESTED, EventAction.EXTENSION_GRANTED) == [
        (
            EventAction.EXTENSION_REQUESTED,
            leader.full_name,
            f"Xin gia hạn đến 30/03/2026 (hạn xử lý hiện tại 20/03/2026). Lý do: {REASON}",
        ),
        (EventAction.EXTENSION_GRANTED, tracker.full_name, "Gia hạn đến 30/03/2026 (hạn trước đó 20/03/2026)."),
    ]
    [view] = extension_history(session=session, task_id=task_id)
    assert (view.status, view.granted_deadline, view.requested_by, view.decided_by) == (
        RequestStatus.ACCEPTED,
        WANTED,
        leader.full_name,
        tracker.full_name,
    )


def test_the_tracker_may_grant_an_earlier_date_never_a_later_one(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    leader, tracker = actors["leader"], actors["tracker"]
    task_id = _task(runtime, session, tracker)
    _ask(runtime, session, leader, task_id)
    later = ExtensionGrantInput(granted_deadline=date(2026, 4, 2))
    _refused(
        session,
        InvalidInput,
        "Gia hạn đến ngày 02/04/2026 sau ngày đơn vị xin (30/03/2026): chỉ gia hạn đến ngày đơn vị xin hoặc sớm hơn.",
        lambda: _act(runtime, session, tracker, task_id, ActionKey.EXTENSION_GRANT, later, GRANTED_ON),
    )
    same = ExtensionGrantInput(granted_deadline=DEADLINE)
    _refused(
        session,
        InvalidInput,
        "Gia hạn đến ngày 20/03/2026 phải sau hạn xử lý hiện tại (20/03/2026).",
        lambda: _act(runtime, session, tracker, task_id, ActionKey.EXTENSION_GRANT, same, GRANTED_ON),
    )
    earlier = ExtensionGrantInput(granted_deadline=date(2026, 3, 25), note="Đủ thời gian <b>tổng hợp</b>")
    message = _act(runtime, session, tracker, task_id, ActionKey.EXTENSION_GRANT, earlier, GRANTED_ON)
    assert message == f"Đã đồng ý gia hạn nhiệm vụ #{task_id} đến 25/03/2026."
    assert _state(session, task_id, date(2026, 3, 25)) == (TaskClass.OPEN_ON_TIME, date(2026, 3, 25))
    assert _state(session, task_id, date(2026, 3, 26)) == (TaskClass.OPEN_OVERDUE, date(2026, 3, 25))
    [(_, _, note)] = _journal(session, task_id, EventAction.EXTENSION_GRANTED)
    assert note == (
        "Gia hạn đến 25/03/2026 (hạn trước đó 20/03/2026; đơn vị xin đến 30/03/2026). "
        "Ý kiến: Đủ thời gian <b>tổng hợp</b>"
    )


def test_a_refusal_needs_a_reason_and_changes_no_deadline(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    leader, tracker = actors["leader"], actors["tracker"]
    task_id = _task(runtime, session, tracker)
    _ask(runtime, session, leader, task_id)
    _refused(
        session,
        InvalidInput,
        "Lý do không đồng ý không được để trống.",
        lambda: _act(
            runtime, session, tracker, task_id, ActionKey.EXTENSION_REFUSE, ExtensionRefuseInput(note=" "), GRANTED_ON
        ),
    )
    message = _act(
        runtime,
        session,
        tracker,
        task_id,
        ActionKey.EXTENSION_REFUSE,
        ExtensionRefuseInput(note="Đủ thời gian"),
        GRANTED_ON,
    )
    assert message == f"Đã trả lời đơn vị: không đồng ý gia hạn nhiệm vụ #{task_id} (hạn xử lý vẫn là 20/03/2026)."
    [request] = session.exec(select(ExtensionRequest)).all()
    assert (request.status, request.decision_note, request.granted_deadline, request.extension_id) == (
        RequestStatus.REFUSED,
        "Đủ thời gian",
        None,
        None,
    )
    assert session.exec(select(Extension)).all() == []
    assert _state(session, task_id, date(2026, 3, 25)) == (TaskClass.OPEN_OVERDUE, DEADLINE)
    assert _journal(session, task_id, EventAction.EXTENSION_REFUSED) == [
        (
            EventAction.EXTENSION_REFUSED,
            tracker.full_name,
            "Không đồng ý gia hạn đến 30/03/2026; hạn xử lý vẫn là 20/03/2026. Lý do: Đủ thời gian",
        )
    ]
    # a decided request no longer waits: deciding it again is refused, whoever asks
    _refused(
        session,
        Conflict,
        "Nhiệm vụ không có đề nghị gia hạn đang chờ xem xét (có thể đã được quyết định).",
        lambda: _act(runtime, session, tracker, task_id, ActionKey.EXTENSION_GRANT, ExtensionGrantInput(), GRANTED_ON),
    )
    # the second request of the task is allowed (limit 2), the third is not
    _ask(runtime, session, leader, task_id, wanted=date(2026, 3, 28), on=date(2026, 3, 16))
    _act(
        runtime,
        session,
        tracker,
        task_id,
        ActionKey.EXTENSION_REFUSE,
        ExtensionRefuseInput(note="Không"),
        date(2026, 3, 17),
    )
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã xin gia hạn 2 lần: mỗi nhiệm vụ được xin tối đa 2 lần.",
        lambda: _ask(runtime, session, leader, task_id, on=date(2026, 3, 18)),
    )


# --- refusals of the request: nothing changes -------------------------------------------------------


def test_who_may_ask(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    task_id = _task(runtime, session, actors["tracker"])
    for who in ("clerk", "specialist"):
        _refused(
            session,
            PermissionDenied,
            "Chỉ lãnh đạo đơn vị chủ trì xin gia hạn.",
            lambda who=who: _ask(runtime, session, actors[who], task_id),
        )
    for who in ("tracker", "office_leader"):
        _refused(
            session,
            PermissionDenied,
            "Chỉ lãnh đạo đơn vị chủ trì xin gia hạn.",
            lambda who=who: _ask(runtime, session, actors[who], task_id),
        )
    _refused(
        session,
        NotFound,
        f"Không tìm thấy nhiệm vụ #{task_id} hoặc bạn không có quyền xem.",
        lambda: _ask(runtime, session, actors["other_leader"], task_id),
    )
    # and only VP UBND's tracker decides
    _ask(runtime, session, actors["leader"], task_id)
    for who in ("leader", "office_leader"):
        _refused(
            session,
            PermissionDenied,
            "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh quyết định gia hạn.",
            lambda who=who: _act(
                runtime, session, actors[who], task_id, ActionKey.EXTENSION_GRANT, ExtensionGrantInput(), GRANTED_ON
            ),
        )


def test_bad_dates_and_reasons_are_refused_together(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    leader = actors["leader"]
    task_id = _task(runtime, session, actors["tracker"])

    def ask(data: Any, on: date = ASKED_ON) -> str:
        return _act(runtime, session, leader, task_id, ActionKey.EXTENSION_REQUEST, data, on)

    error = _refused(
        session,
        InvalidInput,
        "Lý do xin gia hạn không được để trống. "
        "Ngày xin gia hạn đến 20/03/2026 phải sau hạn xử lý hiện tại (20/03/2026).",
        lambda: ask({"requested_deadline": "2026-03-20", "reason": "  "}),
    )
    assert [e.field for e in error.errors] == ["reason", "requested_deadline"]  # type: ignore[attr-defined]
    _refused(session, InvalidInput, "Nhập ngày xin gia hạn đến (dd/mm/yyyy).", lambda: ask({"reason": REASON}))
    _refused(
        session,
        InvalidInput,
        "Ngày xin gia hạn đến 09/03/2026 đã qua: chỉ nhận ngày từ hôm nay (10/03/2026) đến 10/03/2036.",
        lambda: ask({"requested_deadline": "2026-03-09", "reason": REASON}),
    )
    before = _counts(session)
    with pytest.raises(InvalidInput) as wrong:  # 31/02 through the API: refused by the input model
        ask({"requested_deadline": "2026-02-31", "reason": REASON})
    session.rollback()
    assert _counts(session) == before
    assert [e.field for e in wrong.value.errors] == ["requested_deadline"]
    assert wrong.value.message == "Dữ liệu không hợp lệ ở trường “requested_deadline”: phải là ngày dạng YYYY-MM-DD."
    # at most max_days (30) beyond the deadline in force: 19/04 is the last day
    _refused(
        session,
        InvalidInput,
        "Ngày xin gia hạn đến 20/04/2026 quá xa: chỉ được xin tối đa 30 ngày sau hạn xử lý hiện tại (20/03/2026), "
        "tức đến 19/04/2026.",
        lambda: ask({"requested_deadline": "2026-04-20", "reason": REASON}),
    )
    assert ask({"requested_deadline": "2026-04-19", "reason": '=HYPERLINK("x") <script>'}).startswith("Đã gửi")
    [request] = session.exec(select(ExtensionRequest)).all()
    assert request.reason == '=HYPERLINK("x") <script>'  # stored as typed; escaped where shown
    _refused(
        session,
        Conflict,
        "Đã có đề nghị gia hạn đến 19/04/2026 đang chờ Văn phòng UBND tỉnh xem xét.",
        lambda: ask({"requested_deadline": "2026-03-30", "reason": REASON}),
    )


def test_no_request_once_the_deadline_passed_unless_configured(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    leader = actors["leader"]
    task_id = _task(runtime, session, actors["tracker"])
    late = date(2026, 3, 21)
    _refused(
        session,
        Conflict,
        "Hạn xử lý 20/03/2026 đã qua: không xin gia hạn sau khi nhiệm vụ đã quá hạn.",
        lambda: _ask(runtime, session, leader, task_id, on=late),
    )
    assert ActionKey.EXTENSION_REQUEST not in {
        o.key for o in offers(session=session, actor=leader, config=runtime.config, task_id=task_id, now=at(late))
    }
    # the deadline day itself is still in time
    assert _ask(runtime, session, leader, task_id, on=DEADLINE).startswith("Đã gửi")
    other = _task(runtime, session, actors["tracker"], code="71/UBND-KT")
    app = runtime.config.app
    lenient = runtime.config.model_copy(
        update={
            "app": app.model_copy(
                update={"extension_requests": app.extension_requests.model_copy(update={"allow_after_deadline": True})}
            )
        }
    )
    result = perform(
        session=session,
        actor=leader,
        config=lenient,
        task_id=other,
        action=ActionKey.EXTENSION_REQUEST,
        data=ExtensionRequestInput(requested_deadline=date(2026, 3, 30), reason=REASON),
        now=at(late),
    )
    assert result.outcome.message == "Đã gửi đề nghị gia hạn đến 30/03/2026; chờ Văn phòng UBND tỉnh xem xét."


def test_no_request_nor_decision_on_a_task_replied_done_or_closed(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    leader, tracker = actors["leader"], actors["tracker"]
    replied = _task(runtime, session, tracker, code="72/UBND-KT")
    _ask(runtime, session, leader, replied)  # asked while it was open
    reply(runtime, session, replied, code="12/STC-KH", on=date(2026, 3, 12))
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã có văn bản trả lời chờ Văn phòng UBND tỉnh xác nhận; không xin gia hạn được.",
        lambda: _ask(runtime, session, leader, replied, on=date(2026, 3, 13)),
    )
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã có văn bản trả lời chờ xác nhận: xác nhận kết quả trước; đề nghị gia hạn được xem xét khi "
        "nhiệm vụ trở lại đơn vị.",
        lambda: _act(
            runtime, session, tracker, replied, ActionKey.EXTENSION_GRANT, ExtensionGrantInput(), date(2026, 3, 13)
        ),
    )
    # replied: out of the Office's extension queue (it is judged on "Xác nhận kết quả" first)
    assert list_pending_extensions(session=session, actor=tracker, today=date(2026, 3, 13)) == []
    assert waiting_counts(session=session, actor=tracker, config=runtime.config).extensions == 0
    # "not done": the task is back with the unit, and so is its request
    confirm(runtime, session, tracker, replied, on=date(2026, 3, 14), done=False, reason="Thiếu số liệu")
    assert [
        p.request.task_id for p in list_pending_extensions(session=session, actor=tracker, today=date(2026, 3, 14))
    ] == [replied]
    confirm_done = ConfirmationCreate(outcome=ConfirmOutcome.DONE)
    reply(runtime, session, replied, code="13/STC-KH", on=date(2026, 3, 16))
    _act(runtime, session, tracker, replied, ActionKey.CONFIRM, confirm_done, date(2026, 3, 17))
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã hoàn thành; không xin gia hạn được.",
        lambda: _ask(runtime, session, leader, replied, on=date(2026, 3, 18)),
    )
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã hoàn thành hoặc đã kết thúc; không gia hạn được.",
        lambda: _act(
            runtime,
            session,
            tracker,
            replied,
            ActionKey.EXTENSION_REFUSE,
            ExtensionRefuseInput(note="x"),
            date(2026, 3, 18),
        ),
    )
    # still pending, but nobody will decide it now: the task page says so
    [view] = task_extensions(session=session, actor=leader, task_id=replied)
    assert (view.status, view.moot) == (RequestStatus.PENDING, True)
    revoked = _task(runtime, session, tracker, code="73/UBND-KT")
    revoke_task(session=session, actor=tracker, task_id=revoked, reason="Thu hồi", now=at(ASKED_ON))
    _refused(
        session,
        Conflict,
        "Nhiệm vụ đã kết thúc (không đúng đơn vị, thu hồi hoặc thay thế); không xin gia hạn được.",
        lambda: _ask(runtime, session, leader, revoked),
    )


# --- the definition's rule: a reply is judged against the deadline in force on its own date ------------


def test_a_grant_after_a_late_reply_leaves_it_late(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Both tasks ask on 10/03 for 30/03 and are granted on 23/03, after their deadline of 20/03. The
    first one's reply is dated 22/03 (entered 24/03, after the grant): late against the 20/03 in force
    that day, before and after the grant. The second one's is dated 23/03, the grant's day: on time."""
    leader, tracker = actors["leader"], actors["tracker"]
    late, in_time = _task(runtime, session, tracker, "74/UBND-KT"), _task(runtime, session, tracker, "75/UBND-KT")
    granted_on = date(2026, 3, 23)
    for task_id, reply_on in ((late, date(2026, 3, 22)), (in_time, granted_on)):
        _ask(runtime, session, leader, task_id)
        team = walk_to_issue(runtime, session, task_id, now=at(reply_on))
        _act(runtime, session, tracker, task_id, ActionKey.EXTENSION_GRANT, ExtensionGrantInput(), granted_on)
        issue_reply(
            session=session,
            actor=team.clerk,
            config=runtime.config,
            task_id=task_id,
            now=at(date(2026, 3, 24)),
            data=reply_data(f"{task_id}/STC-KH", reply_on),
        )
    assert _state(session, late, date(2026, 3, 24)) == (TaskClass.OPEN_OVERDUE, DEADLINE)
    assert _state(session, in_time, date(2026, 3, 24)) == (TaskClass.OPEN_ON_TIME, WANTED)
    for task_id in (late, in_time):
        confirm(runtime, session, tracker, task_id, on=date(2026, 3, 25))
    assert _state(session, late, date(2026, 3, 31)) == (TaskClass.DONE_LATE, DEADLINE)
    assert _state(session, in_time, date(2026, 3, 31)) == (TaskClass.DONE_ON_TIME, WANTED)
    assert _finance_row(session, date(2026, 3, 31)) == (1, 1, 0, 0)
    [(_, _, verdict)] = [e for e in _journal(session, late, EventAction.CONFIRMED_DONE)]
    assert verdict.startswith("Hoàn thành trễ hạn (văn bản")


# --- two trackers decide one request at once ----------------------------------------------------------


@pytest.mark.parametrize("second", [ActionKey.EXTENSION_GRANT, ActionKey.EXTENSION_REFUSE])
def test_two_trackers_decide_one_request_at_once(
    runtime: Runtime, session: Session, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch, second: ActionKey
) -> None:
    """Both read the pending request and pass the guard (a barrier holds each just before its
    first write); only one claims the task: the other gets the conflict message, nothing doubled."""
    other = make_actor(runtime, session, "vp.theodoi2", Role.TRACKER, OFFICE)
    task_id = _task(runtime, session, actors["tracker"])
    _ask(runtime, session, actors["leader"], task_id)
    gate = threading.Barrier(2, timeout=30)
    claim = registry._claim

    def held_claim(s: Session, t: Any) -> None:
        gate.wait()
        claim(s, t)

    monkeypatch.setattr(registry, "_claim", held_claim)
    inputs = {
        ActionKey.EXTENSION_GRANT: ExtensionGrantInput(),
        ActionKey.EXTENSION_REFUSE: ExtensionRefuseInput(note="Không đồng ý"),
    }
    calls = {"first": (actors["tracker"], ActionKey.EXTENSION_GRANT), "second": (other, second)}
    outcomes: dict[str, BaseException | str] = {}

    def run(name: str) -> None:
        who, key = calls[name]
        try:
            with Session(runtime.engine, expire_on_commit=False) as own:
                outcomes[name] = _act(runtime, own, who, task_id, key, inputs[key], GRANTED_ON)
        except BaseException as exc:  # judged below
            outcomes[name] = exc
            gate.abort()

    threads = [threading.Thread(target=run, args=(name,), daemon=True) for name in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    errors = [o for o in outcomes.values() if isinstance(o, BaseException)]
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], StaleState) and errors[0].message == STALE_MESSAGE
    session.expire_all()
    [request] = session.exec(select(ExtensionRequest)).all()
    assert request.status in (RequestStatus.ACCEPTED, RequestStatus.REFUSED)
    decisions = _journal(session, task_id, EventAction.EXTENSION_GRANTED, EventAction.EXTENSION_REFUSED)
    assert len(decisions) == 1
    extensions = session.exec(select(Extension)).all()
    assert len(extensions) == (1 if request.status is RequestStatus.ACCEPTED else 0)


# --- the limits on "Danh mục và tham số" (issue 10's parameters) ----------------------------------


def test_the_admin_edits_the_limits_and_they_apply(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"]

    def save(limits: dict[str, int | bool]) -> None:
        config_admin.save_settings(
            session=session,
            actor=admin,
            edit=SettingsEdit(extension_requests=limits),
            based_on=None,
            config_dir=ROOT / "config",
        )

    with pytest.raises(InvalidInput) as refused:
        save({"max_per_task": 0, "max_days": 400})
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("extension_requests.max_per_task", "Số lần xin gia hạn tối đa mỗi nhiệm vụ: “0” phải lớn hơn hoặc bằng 1."),
        (
            "extension_requests.max_days",
            "Số ngày tối đa được xin thêm sau hạn đang áp dụng: “400” phải nhỏ hơn hoặc bằng 365.",
        ),
    ]
    assert store.current_version_id(session) == 0  # nothing saved
    with pytest.raises(PermissionDenied):
        config_admin.save_settings(
            session=session,
            actor=actors["tracker"],
            edit=SettingsEdit(extension_requests={"max_days": 45}),
            based_on=None,
            config_dir=ROOT / "config",
        )
    save({"max_per_task": 1, "max_days": 45, "allow_after_deadline": True})
    config = runtime.current().config
    assert config.app.extension_requests.model_dump() == {
        "max_per_task": 1,
        "max_days": 45,
        "allow_after_deadline": True,
    }
    (change,) = session.exec(
        select(AdminChange).where(AdminChange.entity == AdminEntity.CONFIG, AdminChange.action == "save")
    ).all()
    assert change.after == {
        "app.extension_requests.max_per_task": 1,
        "app.extension_requests.max_days": 45,
        "app.extension_requests.allow_after_deadline": True,
    }
    # in force: 45 days, after the deadline, once
    task_id = _task(runtime, session, actors["tracker"])
    late = date(2026, 3, 25)
    result = perform(
        session=session,
        actor=actors["leader"],
        config=config,
        task_id=task_id,
        action=ActionKey.EXTENSION_REQUEST,
        data=ExtensionRequestInput(requested_deadline=DEADLINE + timedelta(days=45), reason=REASON),
        now=at(late),
    )
    assert result.outcome.message == "Đã gửi đề nghị gia hạn đến 04/05/2026; chờ Văn phòng UBND tỉnh xem xét."
    perform(
        session=session,
        actor=actors["tracker"],
        config=config,
        task_id=task_id,
        action=ActionKey.EXTENSION_REFUSE,
        data=ExtensionRefuseInput(note="Không"),
        now=at(late),
    )
    with pytest.raises(Conflict) as once:
        perform(
            session=session,
            actor=actors["leader"],
            config=config,
            task_id=task_id,
            action=ActionKey.EXTENSION_REQUEST,
            data=ExtensionRequestInput(requested_deadline=DEADLINE + timedelta(days=5), reason=REASON),
            now=at(late),
        )
    assert once.value.message == "Nhiệm vụ đã xin gia hạn 1 lần: mỗi nhiệm vụ được xin tối đa 1 lần."
