"""Thông báo (AppTest): the menu's counter is the person's unread notifications; the tracker's
"Đôn đốc" form on the task page (nobody else has it) moves the unit clerk's counter; the list is
newest first with a link to each task; "Đánh dấu đã đọc" one by one and all at once."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from models import NotificationKind
from services.notifications.center import list_notifications, unread_count
from tests.conftest import FINANCE
from tests.pages.conftest import World, by_label, values
from tests.pages.steps import submit

DETAIL, NOTIFICATIONS = "pages/task_detail.py", "pages/notifications.py"
NOTE = "<b>Khẩn</b> *gấp* =SUM(A1)"  # user text: shown as typed


def menu(at_: AppTest) -> list[str]:
    return [p["page_name"] for p in at_._registered_pages.values()]


def unread(world: World, username: str) -> int:
    with world.session() as session:
        return unread_count(session=session, user_id=world.user_ids[username])


def titled(count: int) -> str:
    return f"Thông báo ({count})" if count else "Thông báo"


def test_the_counter_and_the_list_follow_a_reminder(world: World) -> None:
    task_id = world.new_task(FINANCE, "Báo cáo tình hình giải ngân vốn đầu tư công")
    before = unread(world, "stc.vanthu")
    assert before >= 1  # the new task itself, at least
    clerk = world.app_as("stc.vanthu")
    assert titled(before) in menu(clerk)

    # the tracker's form on the task page; the clerk's page has none
    page = world.app_as("stc.vanthu", DETAIL, {"id": str(task_id)})
    assert not page.exception
    assert not [b for b in page.button if b.form_id == "remind"]
    page = world.app_as("vp.theodoi", DETAIL, {"id": str(task_id)})
    assert not page.exception
    by_label(page.radio, "Mức đôn đốc").set_value("criticism")
    by_label(page.text_area, "Nội dung gửi đơn vị (không bắt buộc)").input(NOTE)
    submit(page, "remind")
    assert f"Đã đôn đốc mức “Phê bình” đơn vị chủ trì nhiệm vụ #{task_id}." in values(page.success)
    # the same level again: refused in Vietnamese, nothing sent twice
    by_label(page.radio, "Mức đôn đốc").set_value("criticism")
    submit(page, "remind")
    assert any("Đã đôn đốc mức “Phê bình” cho hạn xử lý" in v for v in values(page.error))
    assert unread(world, "stc.vanthu") == before + 1

    clerk = world.app_as("stc.vanthu")
    assert titled(before + 1) in menu(clerk)
    listing = world.app_as("stc.vanthu", NOTIFICATIONS)
    assert not listing.exception
    assert values(listing.title) == ["Thông báo"]
    first = listing.markdown[1].value  # after the "N chưa đọc" line
    assert first.startswith(":red-badge[Chưa đọc] **Đôn đốc nhiệm vụ của đơn vị** — ")
    assert f"Nhiệm vụ #{task_id} · văn bản" in first
    assert NOTE in values(listing.text)[0]
    with world.session() as session:
        items = list_notifications(
            session=session,
            actor=world.actor("stc.vanthu"),
            config=world.runtime.config,  # type: ignore[union-attr]
        ).items
    assert items[0].kind is NotificationKind.REMINDER and items[0].task_id == task_id
    assert f"**{before + 1}** thông báo chưa đọc" in values(listing.markdown)[0]

    # one read: the counter and the list move
    next(b for b in listing.button if b.label == "Đánh dấu đã đọc").click().run()
    assert not listing.exception
    assert unread(world, "stc.vanthu") == before
    assert not listing.markdown[1].value.startswith(":red-badge")
    assert titled(before) in menu(listing)
    # the leader's notifications are the leader's own: untouched
    assert unread(world, "stc.lanhdao") >= 1
    # only the unread ones, then all read
    listing.toggle[0].set_value(True).run()
    assert listing.query_params["chua-doc"] == ["1"] or listing.query_params["chua-doc"] == "1"
    next(b for b in listing.button if b.label == "Đánh dấu tất cả đã đọc").click().run()
    assert not listing.exception
    assert f"Đã đánh dấu {before} thông báo là đã đọc." in values(listing.success)
    assert unread(world, "stc.vanthu") == 0
    assert "Thông báo" in menu(listing)
    assert "Không có thông báo chưa đọc." in values(listing.info)


def test_the_tracker_hears_of_nothing_the_tracker_did(world: World) -> None:
    listing = world.app_as("vp.theodoi", NOTIFICATIONS)
    assert not listing.exception
    with world.session() as session:
        assert unread_count(session=session, user_id=world.user_ids["vp.theodoi"]) == 0
    assert "Chưa có thông báo nào." in values(listing.info)
    assert "Thông báo" in menu(listing)
