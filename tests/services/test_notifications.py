"""Thông báo, services: who hears of what (per role, never of one's own act, nothing for a refused
action), and the read marks (one's own only); on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from models import ActionKey, EventAction, Notification, NotificationKind, ReminderLevel, TaskEvent
from models.extensions import ExtensionGrantInput, ExtensionRequestInput
from models.schemas import RemindInput
from services.access.permissions import Actor
from services.actions.registry import perform
from services.infra.errors import Conflict, NotFound
from services.notifications.center import list_notifications, mark_all_read, mark_read, unread_count
from services.runtime import Runtime
from services.workflow.engine import main_flow
from tests.actions import fire
from tests.conftest import FINANCE, at
from tests.services.support import assign, confirm, reply, task

D = date(2026, 3, 16)


def _heard(session: Session, task_id: int) -> list[tuple[NotificationKind, int, EventAction]]:
    """(kind, user, the journal action it tells of), in the order written."""
    rows = session.exec(
        select(Notification.kind, Notification.user_id, TaskEvent.action)
        .join(TaskEvent, col(TaskEvent.id) == col(Notification.event_id))
        .where(Notification.task_id == task_id)
        .order_by(col(Notification.id))
    ).all()
    return [(NotificationKind(k), u, EventAction(a)) for k, u, a in rows]


def test_who_hears_of_what(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    tracker, clerk, leader, specialist = (actors[k] for k in ("tracker", "clerk", "leader", "specialist"))
    _, (task_id,) = assign(
        runtime, session, tracker, code="3/UBND-TH", issued=date(2026, 3, 2), tasks=[task("Báo cáo quý I", FINANCE, D)]
    )
    # a new task: the lead unit's văn thư and leader; not its specialist, not VP UBND, not Pleiku
    assert _heard(session, task_id) == [
        (NotificationKind.NEW_TASK, clerk.user_id, EventAction.ASSIGNED),
        (NotificationKind.NEW_TASK, leader.user_id, EventAction.ASSIGNED),
    ]
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.id is not None
    # vào sổ by the clerk: bút phê waits for the leader
    fire(
        session=session,
        actor=clerk,
        config=runtime.config,
        flow_id=flow.id,
        transition="vao_so",
        now=at(D - timedelta(days=12)),
    )
    assert _heard(session, task_id)[2:] == [(NotificationKind.STEP_WAITING, leader.user_id, EventAction.STEP)]
    # bút phê to the specialist: the draft waits for that specialist only
    fire(
        session=session,
        actor=leader,
        config=runtime.config,
        flow_id=flow.id,
        transition="but_phe",
        assignee_id=specialist.user_id,
        now=at(D - timedelta(days=11)),
    )
    assert _heard(session, task_id)[3:] == [(NotificationKind.STEP_WAITING, specialist.user_id, EventAction.STEP)]
    # the tracker's reminder: văn thư, leader, and the specialist holding the main flow
    perform(
        session=session,
        actor=tracker,
        config=runtime.config,
        task_id=task_id,
        action=ActionKey.REMIND,
        data=RemindInput(level=ReminderLevel.NOTICE),
        now=at(D - timedelta(days=3)),
    )
    assert sorted(u for k, u, _ in _heard(session, task_id)[4:]) == sorted(
        [clerk.user_id, leader.user_id, specialist.user_id]
    )
    assert {k for k, _, _ in _heard(session, task_id)[4:]} == {NotificationKind.REMINDER}
    # a refused action notifies nobody
    before = len(_heard(session, task_id))
    with pytest.raises(Conflict):
        perform(
            session=session,
            actor=tracker,
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.REMIND,
            data=RemindInput(level=ReminderLevel.NOTICE),
            now=at(D - timedelta(days=2)),
        )
    assert len(_heard(session, task_id)) == before
    # Xin gia hạn: the request to the task's tracker; the decision to the văn thư and the leader
    perform(
        session=session,
        actor=leader,
        config=runtime.config,
        task_id=task_id,
        action=ActionKey.EXTENSION_REQUEST,
        data=ExtensionRequestInput(requested_deadline=D + timedelta(days=14), reason="Chờ số liệu Kho bạc"),
        now=at(D - timedelta(days=2)),
    )
    assert _heard(session, task_id)[before:] == [
        (NotificationKind.EXTENSION, tracker.user_id, EventAction.EXTENSION_REQUESTED)
    ]
    perform(
        session=session,
        actor=tracker,
        config=runtime.config,
        task_id=task_id,
        action=ActionKey.EXTENSION_GRANT,
        data=ExtensionGrantInput(note="Đồng ý"),
        now=at(D - timedelta(days=1)),
    )
    assert _heard(session, task_id)[before + 1 :] == [
        (NotificationKind.EXTENSION, clerk.user_id, EventAction.EXTENSION_GRANTED),
        (NotificationKind.EXTENSION, leader.user_id, EventAction.EXTENSION_GRANTED),
    ]
    # the reply, then the verdict: văn thư and leader hear of the verdict
    reply(runtime, session, task_id, code="8/STC", on=D + timedelta(days=5))
    heard = len(_heard(session, task_id))
    confirm(runtime, session, tracker, task_id, on=D + timedelta(days=6))
    assert _heard(session, task_id)[heard:] == [
        (NotificationKind.VERDICT, clerk.user_id, EventAction.CONFIRMED_DONE),
        (NotificationKind.VERDICT, leader.user_id, EventAction.CONFIRMED_DONE),
    ]
    # nobody was told of their own act
    own = session.exec(
        select(Notification.id)
        .join(TaskEvent, col(TaskEvent.id) == col(Notification.event_id))
        .where(col(TaskEvent.actor_id) == col(Notification.user_id))
    ).all()
    assert own == []


def test_read_marks_are_ones_own(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    tracker, clerk, leader = actors["tracker"], actors["clerk"], actors["leader"]
    assign(
        runtime,
        session,
        tracker,
        code="4/UBND-TH",
        issued=date(2026, 3, 2),
        tasks=[task(f"Nhiệm vụ {n}", FINANCE, D) for n in range(1, 4)],
    )
    assert unread_count(session=session, user_id=clerk.user_id) == 3
    page = list_notifications(session=session, actor=clerk, config=runtime.config)
    assert [i.task_content for i in page.items] == ["Nhiệm vụ 3", "Nhiệm vụ 2", "Nhiệm vụ 1"]  # newest first
    assert (page.total, page.unread) == (3, 3)
    assert page.items[0].kind_label == "Nhiệm vụ mới giao cho đơn vị"
    assert page.items[0].action_label == "Giao nhiệm vụ" and page.items[0].actor_name == tracker.full_name
    newest = page.items[0].id

    # the leader may not mark the clerk's: not found, nothing changes
    with pytest.raises(NotFound, match=f"Không tìm thấy thông báo #{newest}."):
        mark_read(session=session, actor=leader, notification_id=newest, now=at(D))
    assert unread_count(session=session, user_id=clerk.user_id) == 3
    mark_read(session=session, actor=clerk, notification_id=newest, now=at(D))
    mark_read(session=session, actor=clerk, notification_id=newest, now=at(D, 10))  # again: no change
    assert unread_count(session=session, user_id=clerk.user_id) == 2
    unread = list_notifications(session=session, actor=clerk, config=runtime.config, unread_only=True)
    assert [i.task_content for i in unread.items] == ["Nhiệm vụ 2", "Nhiệm vụ 1"]
    assert (unread.total, unread.unread) == (2, 2)
    assert unread_count(session=session, user_id=leader.user_id) == 3  # the leader's own are untouched
    assert mark_all_read(session=session, actor=clerk, now=at(D)) == 2
    assert mark_all_read(session=session, actor=clerk, now=at(D)) == 0
    assert unread_count(session=session, user_id=clerk.user_id) == 0
    assert unread_count(session=session, user_id=leader.user_id) == 3
    assert list_notifications(session=session, actor=clerk, config=runtime.config).total == 3
