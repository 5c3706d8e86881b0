"""Wrong unit on the task page: the lead unit's leader asks, VP UBND's tracker decides.

Accepted: the task closes ("không đúng đơn vị"), a new task goes to the right unit, and the
former unit's clerk may archive-close it. Refused: the unit keeps the task, with the reason.
"""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import CloseReason, RequestStatus, Task, TaskStatus, WrongUnitRequest
from tests.conftest import FINANCE, HEALTH
from tests.pages.conftest import World, by_label, values
from tests.pages.steps import step_forms

WORLD_USERS = ["syt.vanthu"]
PAGE = "pages/task_detail.py"
EXPANDER = "Nhiệm vụ không thuộc chức năng của đơn vị?"
REASON = "Lý do (nêu rõ để Văn phòng UBND tỉnh điều chỉnh) *"
DECISION = "Quyết định"
RIGHT_UNIT = "Đơn vị đúng chức năng *"
REMARK = "Ý kiến"  # optional when accepting; "Ý kiến *" when refusing
SEND = "Gửi đề nghị điều chỉnh"
DECIDE = "Lưu quyết định"
ARCHIVE = "Lưu kết thúc văn bản (không thuộc chức năng của đơn vị)"
WHY = "Kiểm tra an toàn thực phẩm thuộc chức năng của Sở Y tế."


def open_task(world: World, username: str, task_id: int) -> AppTest:
    at = world.app_as(username, PAGE, {"id": str(task_id)})
    assert not at.exception
    return at


def _request(world: World, task_id: int) -> WrongUnitRequest:
    with world.session() as s:
        return s.exec(select(WrongUnitRequest).where(WrongUnitRequest.task_id == task_id)).one()


def _task(world: World, task_id: int) -> Task:
    with world.session() as s:
        task = s.get(Task, task_id)
        assert task is not None
        return task


def ask(world: World, task_id: int, reason: str = WHY) -> AppTest:
    at = open_task(world, "stc.lanhdao", task_id)
    by_label(at.text_area, REASON).input(reason)
    by_label(at.button, SEND).click().run()
    assert not at.exception
    return at


def test_only_the_lead_units_leader_has_the_request_form(world: World) -> None:
    task = world.new_task(FINANCE, "Kiểm tra bếp ăn bán trú")
    at = open_task(world, "stc.lanhdao", task)
    assert [e.label for e in at.expander if e.label == EXPANDER] == [EXPANDER]
    assert by_label(at.button, SEND).form_id == "wrong_unit_request"
    for username in ("stc.vanthu", "stc.chuyenvien", "vp.theodoi"):
        at = open_task(world, username, task)
        assert SEND not in [b.label for b in at.button], username
        assert EXPANDER not in [e.label for e in at.expander]


def test_request_without_reason_is_refused(world: World) -> None:
    task = world.new_task(FINANCE, "Kiểm tra bếp ăn tập thể khu công nghiệp")
    at = ask(world, task, reason="   ")
    assert values(at.error) == ["Lý do không thuộc chức năng, nhiệm vụ không được để trống."]
    with world.session() as s:
        assert s.exec(select(WrongUnitRequest).where(WrongUnitRequest.task_id == task)).first() is None


def test_leader_asks_and_the_task_shows_the_pending_request(world: World) -> None:
    task = world.new_task(FINANCE, "Kiểm tra cơ sở giết mổ gia súc")
    at = ask(world, task)
    assert values(at.error) == []
    assert values(at.success) == ["Đã gửi đề nghị điều chỉnh đến Văn phòng UBND tỉnh."]
    assert values(at.warning) == [f"Đơn vị đề nghị điều chỉnh: {WHY}"]
    assert SEND not in [b.label for b in at.button]  # one request at a time
    assert _request(world, task).status is RequestStatus.PENDING
    # the unit still holds the task meanwhile (its clerk may vào sổ)
    assert _task(world, task).status is TaskStatus.OPEN
    assert step_forms(open_task(world, "stc.vanthu", task))


def test_tracker_accepts_and_routes_to_the_right_unit(world: World) -> None:
    task = world.new_task(FINANCE, "Kiểm tra an toàn thực phẩm Tết")
    ask(world, task)
    at = open_task(world, "vp.theodoi", task)
    assert values(at.warning) == [f"Đơn vị đề nghị điều chỉnh: {WHY}"]
    assert "**Xử lý đề nghị điều chỉnh đơn vị**" in values(at.markdown)
    decision = by_label(at.radio, DECISION)
    assert decision.value is None  # a decision is never preselected
    assert DECIDE not in [b.label for b in at.button]  # its form comes with the choice
    decision.set_value(True).run()
    # accepting needs the right unit; the remark typed stays
    by_label(at.text_area, REMARK).input("Đồng ý chuyển Sở Y tế")
    by_label(at.button, DECIDE).click().run()
    assert values(at.error) == [
        "Chọn đơn vị đúng chức năng để chuyển nhiệm vụ.",
        "Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “Đơn vị đúng chức năng”.",
    ]
    assert _request(world, task).status is RequestStatus.PENDING
    assert by_label(at.radio, DECISION).value is True
    assert by_label(at.text_area, REMARK).value == "Đồng ý chuyển Sở Y tế"

    by_label(at.selectbox, RIGHT_UNIT).set_value(HEALTH)
    by_label(at.button, DECIDE).click().run()
    assert not at.exception
    assert values(at.error) == []
    new_id = _request(world, task).new_task_id
    assert values(at.success) == [f"Đã chấp nhận đề nghị; nhiệm vụ chuyển Sở Y tế (nhiệm vụ #{new_id})."]
    assert "Nhiệm vụ đã đóng: không đúng đơn vị (đã chuyển đúng đơn vị); không tính vào thống kê của đơn vị." in (
        values(at.info)
    )
    assert DECIDE not in [b.label for b in at.button]
    request = _request(world, task)
    assert request.status is RequestStatus.ACCEPTED
    old = _task(world, task)
    assert (old.status, old.closed_reason) == (TaskStatus.CLOSED, CloseReason.WRONG_UNIT)
    assert request.new_task_id is not None
    new = _task(world, request.new_task_id)
    assert (new.content, new.replaces_task_id, new.deadline) == (old.content, task, old.deadline)

    # Sở Y tế now holds the new task at its first step; its page says what it replaces
    at = open_task(world, "syt.vanthu", request.new_task_id)
    assert f"Nhiệm vụ này thay cho nhiệm vụ #{task}." in values(at.caption)
    assert step_forms(at)

    # Sở Tài chính's clerk archive-closes the old one, once; no step is left for the unit
    at = open_task(world, "stc.vanthu", task)
    assert step_forms(at) == []
    by_label(at.button, ARCHIVE).click().run()
    assert not at.exception
    assert values(at.success) == ["Đã lưu kết thúc văn bản."]
    assert ARCHIVE not in [b.label for b in at.button]


def test_tracker_refuses_with_a_reason(world: World) -> None:
    task = world.new_task(FINANCE, "Báo cáo tình hình an toàn thực phẩm")
    ask(world, task)
    at = open_task(world, "vp.theodoi", task)
    by_label(at.radio, DECISION).set_value(False).run()
    assert RIGHT_UNIT not in [b.label for b in at.selectbox]  # refusing asks no unit
    by_label(at.button, DECIDE).click().run()
    assert values(at.error) == ["Ý kiến của Văn phòng UBND tỉnh không được để trống."]
    assert by_label(at.radio, DECISION).value is False  # the choice stays
    by_label(at.text_area, REMARK + " *").input("Sở Tài chính chủ trì về kinh phí")
    by_label(at.button, DECIDE).click().run()
    assert values(at.error) == []
    assert values(at.success) == ["Đã trả lời đơn vị: không chấp nhận đề nghị điều chỉnh."]
    assert values(at.warning) == []
    assert _request(world, task).status is RequestStatus.REFUSED
    assert _task(world, task).status is TaskStatus.OPEN
    # the unit may ask again (with better reasons)
    assert SEND in [b.label for b in open_task(world, "stc.lanhdao", task).button]


def test_accepting_shows_every_error_at_once_and_keeps_the_typed_date(world: World) -> None:
    task = world.new_task(FINANCE, "Kiểm tra an toàn thực phẩm trường học")
    ask(world, task)
    at = open_task(world, "vp.theodoi", task)
    by_label(at.radio, DECISION).set_value(True).run()
    past = f"{world.day(-1):%d/%m/%Y}"
    at.text_input(key=f"wrong_unit_deadline_{task}").input(past)
    by_label(at.button, DECIDE).click().run()
    latest = world.today.replace(year=world.today.year + 10)
    assert values(at.error) == [
        "Chọn đơn vị đúng chức năng để chuyển nhiệm vụ.",
        f"Hạn xử lý mới {past} đã qua; chọn hạn từ hôm nay ({world.today:%d/%m/%Y}) đến {latest:%d/%m/%Y}.",
        "Chưa lưu. Sửa 2 ô được đánh dấu đỏ ở trên: “Đơn vị đúng chức năng”, “Hạn xử lý mới”.",
    ]
    assert at.text_input(key=f"wrong_unit_deadline_{task}").value == past
    assert _request(world, task).status is RequestStatus.PENDING
    assert _task(world, task).status is TaskStatus.OPEN
