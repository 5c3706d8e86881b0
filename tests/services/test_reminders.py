"""Đôn đốc: levels reached by dates, the daily job (once, even twice at once), the tracker's
reminder by hand (refused to others), the counts per unit and level; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from models import (
    ActionKey,
    EventAction,
    Notification,
    NotificationKind,
    Reminder,
    ReminderLevel,
    Role,
    TaskEvent,
    User,
)
from models.reminders import SYSTEM_NAME, SYSTEM_USERNAME
from models.schemas import RemindInput
from services.access.auth import authenticate
from services.access.permissions import Actor, build_actor
from services.actions.registry import offers, perform
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.reminders.counts import reminders_per_unit, reminders_per_unit_and_level
from services.reminders.job import due_reminders, send_due_reminders
from services.reminders.levels import level_reached
from services.runtime import Runtime
from services.stats.period import make_period
from tests.actions import decide_extension, request_extension, request_wrong_unit
from tests.conftest import FINANCE, PLEIKU, at
from tests.services.support import assign, reply, task, unit_id

D = date(2026, 3, 16)  # a Monday: the deadline of the first task


def _tasks(runtime: Runtime, session: Session, tracker: Actor) -> list[int]:
    """Finance: due D, due D+10, due D (replied, waiting for the verdict); Pleiku: due D."""
    _, ids = assign(
        runtime,
        session,
        tracker,
        code="12/UBND-TH",
        issued=date(2026, 3, 2),
        tasks=[
            task("Báo cáo quý I", FINANCE, D),
            task("Kế hoạch năm", FINANCE, D + timedelta(days=10)),
            task("Rà soát dự toán", FINANCE, D),
            task("Báo cáo đô thị", PLEIKU, D),
        ],
    )
    reply(runtime, session, ids[2], code="5/STC", on=date(2026, 3, 10))
    return ids


def test_levels_reached_by_dates(runtime: Runtime) -> None:
    levels = runtime.config.app.reminders
    assert level_reached(reminders=levels, deadline=D, today=D - timedelta(days=4)) is None
    assert level_reached(reminders=levels, deadline=D, today=D - timedelta(days=3)) is ReminderLevel.NOTICE
    assert level_reached(reminders=levels, deadline=D, today=D) is ReminderLevel.NOTICE
    assert level_reached(reminders=levels, deadline=D, today=D + timedelta(days=1)) is ReminderLevel.CRITICISM
    assert level_reached(reminders=levels, deadline=D, today=D + timedelta(days=6)) is ReminderLevel.CRITICISM
    assert level_reached(reminders=levels, deadline=D, today=D + timedelta(days=7)) is ReminderLevel.REVIEW
    assert level_reached(reminders=levels, deadline=D, today=D + timedelta(days=300)) is ReminderLevel.REVIEW


def _reminders(session: Session) -> list[tuple[int, ReminderLevel, date, date, int | None]]:
    rows = session.exec(select(Reminder).order_by(col(Reminder.id))).all()
    return [(r.task_id, r.level, r.deadline, r.sent_on, r.sent_by) for r in rows]


def test_the_job_sends_each_level_once_as_the_system(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    first, later, replied, pleiku = _tasks(runtime, session, actors["tracker"])
    assert send_due_reminders(session=session, config=runtime.config, now=at(D - timedelta(days=4))).sent == []

    run = send_due_reminders(session=session, config=runtime.config, now=at(D - timedelta(days=3)))
    assert [(d.task_id, d.level) for d in run.sent] == [(first, ReminderLevel.NOTICE), (pleiku, ReminderLevel.NOTICE)]
    again = send_due_reminders(session=session, config=runtime.config, now=at(D - timedelta(days=3), 15))
    assert again.sent == [] and again.already_sent == []
    # days later, still nhắc nhở: nothing new; the first overdue day: phê bình
    assert send_due_reminders(session=session, config=runtime.config, now=at(D)).sent == []
    run = send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=1)))
    assert [(d.task_id, d.level) for d in run.sent] == [
        (first, ReminderLevel.CRITICISM),
        (pleiku, ReminderLevel.CRITICISM),
    ]
    # the later task (due D+10) reaches nhắc nhở three days before its own deadline
    run = send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=7)))
    assert [(d.task_id, d.level) for d in run.sent] == [
        (first, ReminderLevel.REVIEW),
        (later, ReminderLevel.NOTICE),
        (pleiku, ReminderLevel.REVIEW),
    ]
    # a job that did not run for weeks sends only the highest level reached, once
    run = send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=30)))
    assert [(d.task_id, d.level) for d in run.sent] == [(later, ReminderLevel.REVIEW)]
    assert send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=31))).sent == []
    assert replied not in {r[0] for r in _reminders(session)}  # a reply waits for the verdict: no reminder
    assert len(_reminders(session)) == 8
    assert all(sent_by is None for *_, sent_by in _reminders(session))

    entries = session.exec(
        select(TaskEvent)
        .where(TaskEvent.task_id == first, TaskEvent.action == EventAction.REMINDED)
        .order_by(col(TaskEvent.id))
    ).all()
    assert [e.actor_name for e in entries] == [SYSTEM_NAME] * 3
    assert entries[0].note == "Đôn đốc mức “Nhắc nhở”: hạn xử lý 16/03/2026 (còn 3 ngày)."
    assert entries[1].note == "Đôn đốc mức “Phê bình”: hạn xử lý 16/03/2026 (quá hạn 1 ngày)."
    # the lead unit's clerk and leader hear of each, the tracker does not
    kinds = session.exec(
        select(Notification.user_id, Notification.kind).where(
            Notification.task_id == first, Notification.kind == NotificationKind.REMINDER
        )
    ).all()
    assert sorted(user for user, _ in kinds) == sorted([actors["clerk"].user_id, actors["leader"].user_id] * 3)


def test_a_new_deadline_starts_the_levels_again(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    first, *_ = _tasks(runtime, session, actors["tracker"])
    send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=2)))
    perform(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        task_id=first,
        action=ActionKey.UPDATE,
        data={"reason": "Gia hạn theo đề nghị", "deadline": D + timedelta(days=20)},
        now=at(D + timedelta(days=3)),
    )
    early = due_reminders(session=session, config=runtime.config, today=D + timedelta(days=16))
    assert [d for d in early if d.task_id == first] == []
    due = due_reminders(session=session, config=runtime.config, today=D + timedelta(days=17))
    assert [(d.task_id, d.level, d.deadline) for d in due if d.task_id == first] == [
        (first, ReminderLevel.NOTICE, D + timedelta(days=20))
    ]


def test_two_runs_at_once_send_once(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _tasks(runtime, session, actors["tracker"])
    results = []
    barrier = threading.Barrier(2)

    def run() -> None:
        with Session(runtime.engine, expire_on_commit=False) as own:
            barrier.wait()
            results.append(send_due_reminders(session=own, config=runtime.config, now=at(D + timedelta(days=1))))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sorted((d.task_id, d.level) for r in results for d in r.sent)
    stored = _reminders(session)
    assert len(stored) == 2 == len(sent) == len(set(sent))
    assert sorted((t, level) for t, level, *_ in stored) == sent
    journal = session.exec(select(TaskEvent).where(TaskEvent.action == EventAction.REMINDED)).all()
    assert len(journal) == 2
    # the system account was created once
    assert len(session.exec(select(User).where(User.username == SYSTEM_USERNAME)).all()) == 1


def test_the_tracker_reminds_by_hand_others_are_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    first, _later, replied, pleiku = _tasks(runtime, session, actors["tracker"])
    now = at(D - timedelta(days=10))
    assert ActionKey.REMIND in {
        o.key for o in offers(session=session, actor=actors["tracker"], config=runtime.config, task_id=first, now=now)
    }
    for who in ("clerk", "leader", "specialist", "office_leader", "admin"):
        assert ActionKey.REMIND not in {
            o.key for o in offers(session=session, actor=actors[who], config=runtime.config, task_id=first, now=now)
        }
        with pytest.raises(PermissionDenied, match="Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh"):
            perform(
                session=session,
                actor=actors[who],
                config=runtime.config,
                task_id=first,
                action=ActionKey.REMIND,
                data=RemindInput(level=ReminderLevel.NOTICE),
                now=now,
            )
    with pytest.raises(NotFound):  # another unit's task: not found, as ever
        perform(
            session=session,
            actor=actors["other_leader"],
            config=runtime.config,
            task_id=first,
            action=ActionKey.REMIND,
            data=RemindInput(level=ReminderLevel.NOTICE),
            now=now,
        )
    with pytest.raises(InvalidInput, match="Dữ liệu không hợp lệ ở trường “level”: phải là một trong các giá trị"):
        perform(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            task_id=first,
            action=ActionKey.REMIND,
            data={"level": "=cmd|' /C calc'!A0"},
            now=now,
        )
    with pytest.raises(InvalidInput) as too_long:
        perform(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            task_id=first,
            action=ActionKey.REMIND,
            data=RemindInput(level=ReminderLevel.NOTICE, note="Khẩn " * 500),
            now=now,
        )
    assert too_long.value.field == "note" and "Nội dung đôn đốc" in too_long.value.message
    assert session.exec(select(TaskEvent).where(TaskEvent.action == EventAction.REMINDED)).all() == []
    with pytest.raises(Conflict, match="đang chờ xác nhận kết quả"):
        perform(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            task_id=replied,
            action=ActionKey.REMIND,
            data=RemindInput(level=ReminderLevel.NOTICE),
            now=now,
        )
    assert _reminders(session) == []

    result = perform(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        task_id=first,
        action=ActionKey.REMIND,
        data=RemindInput(level=ReminderLevel.CRITICISM, note="<b>Khẩn</b> =SUM(A1)"),
        now=now,
    )
    assert result.outcome.message == f"Đã đôn đốc mức “Phê bình” đơn vị chủ trì nhiệm vụ #{first}."
    assert _reminders(session) == [(first, ReminderLevel.CRITICISM, D, now.date(), actors["tracker"].user_id)]
    entry = session.exec(select(TaskEvent).where(TaskEvent.action == EventAction.REMINDED)).one()
    assert entry.note == "Đôn đốc mức “Phê bình”: hạn xử lý 16/03/2026 (còn 10 ngày).\n<b>Khẩn</b> =SUM(A1)"
    assert entry.actor_name == actors["tracker"].full_name
    with pytest.raises(Conflict, match="Đã đôn đốc mức “Phê bình” cho hạn xử lý 16/03/2026"):
        perform(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            task_id=first,
            action=ActionKey.REMIND,
            data=RemindInput(level=ReminderLevel.CRITICISM),
            now=now,
        )
    assert len(_reminders(session)) == 1
    # the job then leaves phê bình alone (sent by hand) and sends kiểm điểm when it is reached
    assert (
        send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=2))).sent[0].task_id
        == pleiku
    )
    run = send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=7)))
    assert (first, ReminderLevel.REVIEW) in [(d.task_id, d.level) for d in run.sent]


def test_counts_per_unit_and_level(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _tasks(runtime, session, actors["tracker"])
    send_due_reminders(session=session, config=runtime.config, now=at(D - timedelta(days=2)))  # 2 notices
    send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=1)))  # 2 criticisms
    send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=40)))  # 3 reviews, in April
    finance, pleiku = unit_id(session, FINANCE), unit_id(session, PLEIKU)
    march = make_period(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), today=date(2026, 5, 1))
    assert reminders_per_unit(session=session, period=march) == {finance: 2, pleiku: 2}
    assert reminders_per_unit_and_level(session=session, period=march) == {
        finance: {ReminderLevel.NOTICE: 1, ReminderLevel.CRITICISM: 1},
        pleiku: {ReminderLevel.NOTICE: 1, ReminderLevel.CRITICISM: 1},
    }
    spring = make_period(date_from=date(2026, 3, 17), date_to=date(2026, 4, 30), today=date(2026, 5, 1))
    assert reminders_per_unit(session=session, period=spring) == {finance: 3, pleiku: 2}
    january = make_period(date_from=date(2026, 1, 1), date_to=date(2026, 1, 31), today=date(2026, 5, 1))
    assert reminders_per_unit(session=session, period=january) == {}


def test_the_system_account_never_logs_in(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _tasks(runtime, session, actors["tracker"])
    send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=1)))
    account = session.exec(select(User).where(User.username == SYSTEM_USERNAME)).one()
    assert (account.full_name, account.role, account.active) == (SYSTEM_NAME, Role.TRACKER, False)
    for password in ("", "!", account.password_hash):
        assert authenticate(session=session, username=SYSTEM_USERNAME, password=password) is None
    assert build_actor(session=session, config=runtime.config, user_id=account.id or 0) is None


def test_the_job_waits_while_the_office_has_to_answer(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    first, later, _, pleiku = _tasks(runtime, session, actors["tracker"])
    request_wrong_unit(session=session, actor=actors["other_leader"], task_id=pleiku, reason="Không thuộc chức năng")
    request_extension(
        session=session,
        actor=actors["leader"],
        task_id=first,
        requested_deadline=D + timedelta(days=14),
        reason="Chờ số liệu",
        now=at(D - timedelta(days=5)),
    )
    due = due_reminders(session=session, config=runtime.config, today=D + timedelta(days=8))
    assert [(d.task_id, d.level) for d in due] == [(later, ReminderLevel.NOTICE)]
    decide_extension(
        session=session, actor=actors["tracker"], task_id=first, grant=False, note="Đủ thời gian", now=at(D)
    )
    due = due_reminders(session=session, config=runtime.config, today=D + timedelta(days=8))
    assert [(d.task_id, d.level) for d in due] == [(first, ReminderLevel.REVIEW), (later, ReminderLevel.NOTICE)]
