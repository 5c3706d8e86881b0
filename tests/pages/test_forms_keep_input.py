"""The task page's other forms keep what was typed after any refusal and show every error at once:
the progress note, the "not our remit" request, and VP UBND's update, replace and revoke. A
successful note starts the form empty again. ``ui.forms.run`` never lets a service commit when the
page itself could not read a field (a date that is not a date).
"""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import EventAction, Extension, Task, TaskStatus, WrongUnitRequest
from services.infra.data_version import current_data_version
from tests.conftest import FINANCE
from tests.pages.conftest import World, by_label, values

WORLD_USERS = ["syt.vanthu"]
PAGE = "pages/task_detail.py"


def open_task(world: World, username: str, task_id: int) -> AppTest:
    at = world.app_as(username, PAGE, {"id": str(task_id)})
    assert not at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    by_label(at.button, label).click().run()
    assert not at.exception
    return at


def _status(world: World, task_id: int) -> TaskStatus:
    with world.session() as s:
        task = s.get(Task, task_id)
        assert task is not None
        return task.status


def test_a_note_refused_keeps_nothing_lost_and_a_saved_one_empties_the_form(world: World) -> None:
    task = world.new_task(FINANCE, "Tổng hợp báo cáo tháng")
    at = open_task(world, "stc.vanthu", task)
    click(at, "Lưu cập nhật")
    assert values(at.error) == ["Nội dung cập nhật không được để trống."]
    by_label(at.text_area, "Nội dung cập nhật *").input("Đã họp các phòng")
    click(at, "Lưu cập nhật")
    assert values(at.success)[0] == "Đã lưu cập nhật tiến độ."
    assert by_label(at.text_area, "Nội dung cập nhật *").value == ""  # ready for the next note
    notes = [e.note for e in world.events(task) if e.action is EventAction.NOTE]
    assert notes == ["Đã họp các phòng"]


def test_the_wrong_unit_request_refused_keeps_the_form(world: World) -> None:
    task = world.new_task(FINANCE, "Kiểm tra bếp ăn tập thể")
    at = open_task(world, "stc.lanhdao", task)
    reason = by_label(at.text_area, "Lý do (nêu rõ để Văn phòng UBND tỉnh điều chỉnh) *")
    reason.input("   ")
    click(at, "Gửi đề nghị điều chỉnh")
    assert values(at.error) == ["Lý do không thuộc chức năng, nhiệm vụ không được để trống."]
    assert "Gửi đề nghị điều chỉnh" in [b.label for b in at.button]
    with world.session() as s:
        assert s.exec(select(WrongUnitRequest).where(WrongUnitRequest.task_id == task)).first() is None


def test_update_shows_every_error_and_keeps_each_value(world: World) -> None:
    task = world.new_task(FINANCE, "Rà soát định mức chi")
    at = open_task(world, "vp.theodoi", task)
    content = at.text_area(key="update_content")
    content.input("Rà soát định mức chi thường xuyên")
    at.text_input(key="update_deadline").input("30/02/2027")
    click(at, "Cập nhật nhiệm vụ")
    assert values(at.error) == [
        "Hạn xử lý mới 30/02/2027 không có thật: tháng 02/2027 chỉ có 28 ngày.",
        "Lý do cập nhật không được để trống.",
        "Chưa lưu. Sửa 2 ô được đánh dấu đỏ ở trên: “Hạn xử lý mới”, “Lý do cập nhật”.",
    ]
    assert at.text_area(key="update_content").value == "Rà soát định mức chi thường xuyên"
    assert at.text_input(key="update_deadline").value == "30/02/2027"
    with world.session() as s:
        assert s.get(Task, task).content == "Rà soát định mức chi"  # type: ignore[union-attr]
        assert s.exec(select(Extension).where(Extension.task_id == task)).all() == []
    # a past date: refused naming the dates allowed
    past = f"{world.day(-1):%d/%m/%Y}"
    at.text_input(key="update_deadline").input(past)
    at.text_input(key="update_reason").input("Điều chỉnh theo chỉ đạo")
    click(at, "Cập nhật nhiệm vụ")
    latest = world.today.replace(year=world.today.year + 10)
    assert values(at.error)[0] == (
        f"Hạn xử lý mới {past} đã qua: chỉ nhận ngày từ hôm nay ({world.today:%d/%m/%Y}) đến {latest:%d/%m/%Y}."
    )
    # corrected: saved, and the form starts empty for another update
    later = f"{world.day(30):%d/%m/%Y}"
    at.text_input(key="update_deadline").input(later)
    click(at, "Cập nhật nhiệm vụ")
    assert values(at.error) == []
    assert values(at.success)[0] == "Đã cập nhật nhiệm vụ."
    with world.session() as s:
        (extension,) = s.exec(select(Extension).where(Extension.task_id == task)).all()
    assert extension.new_deadline == world.day(30)


def test_replace_and_revoke_show_every_error_and_keep_each_value(world: World) -> None:
    task = world.new_task(FINANCE, "Khảo sát nhu cầu vốn")
    at = open_task(world, "vp.theodoi", task)
    at.text_input(key=f"replace_deadline_{task}").input("31/04/2027")
    at.text_input(key=f"replace_reason_{task}").input("Giao lại cho đúng nội dung")
    click(at, "Thay thế nhiệm vụ")
    assert values(at.error) == [
        "Nội dung nhiệm vụ mới không được để trống.",
        "Hạn xử lý 31/04/2027 không có thật: tháng 04/2027 chỉ có 30 ngày.",
        "Chưa lưu. Sửa 2 ô được đánh dấu đỏ ở trên: “Nội dung nhiệm vụ thay thế”, “Hạn xử lý”.",
    ]
    assert at.text_input(key=f"replace_deadline_{task}").value == "31/04/2027"
    assert at.text_input(key=f"replace_reason_{task}").value == "Giao lại cho đúng nội dung"
    click(at, "Thu hồi nhiệm vụ")
    assert values(at.error) == ["Lý do thu hồi không được để trống."]
    assert at.text_input(key=f"replace_reason_{task}").value == "Giao lại cho đúng nội dung"  # the other tab too
    assert _status(world, task) is TaskStatus.OPEN


def _unsaved_write() -> None:
    """A page whose own reading failed (31/02) calls a service that would write and commit."""
    import streamlit as st
    from sqlmodel import Session

    from services.infra.data_version import bump_data_version
    from ui.forms import FormErrors, TypedInput, run

    typed = TypedInput()
    day = typed.day("31/02/2027", label="Ngày", field="day")
    form = FormErrors()
    form.slot("day", "Ngày")
    form.summary_here()

    def write(session: Session) -> str:
        assert day is not None and day.year == 1  # the page hands over the unreadable marker
        bump_data_version(session=session)
        session.commit()
        return "saved"

    st.session_state["result"] = run(form, typed, write)


def test_nothing_is_committed_when_the_page_could_not_read_a_field(world: World) -> None:
    world.activate()
    with world.session() as s:
        before = current_data_version(session=s)
    at = AppTest.from_function(_unsaved_write, default_timeout=30)
    at.run()
    assert not at.exception
    assert at.session_state["result"] is None
    assert values(at.error) == ["Ngày 31/02/2027 không có thật: tháng 02/2027 chỉ có 28 ngày."]
    with world.session() as s:
        assert current_data_version(session=s) == before
