"""Nhiệm vụ của đơn vị a page at a time: "Tất cả đơn vị" for VP UBND, the page and its size in the
URL (?page=&per_page=), a change of unit, search or "Hiện nhiệm vụ đã hoàn thành" back to page 1,
the metrics of the whole list (not of the page), and the closed tasks apart.

The standard data has 8 tasks, so the choices of a page's size are made small here (2, 5, 100)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from services.org.units import unit_names
from tests.pages.conftest import World, by_label, values

PAGE = "pages/unit_tasks.py"
SEARCH = "Tìm theo số văn bản, trích yếu, nội dung"
DONE = "Hiện nhiệm vụ đã hoàn thành"
CLOSED = "Nhiệm vụ đã đóng (thu hồi, không đúng đơn vị, thay thế)"


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ui.task_list.PER_PAGE_CHOICES", (2, 5, 100))


def _ids(at_: AppTest, index: int = 0) -> list[int]:
    return [int(v) for v in at_.dataframe[index].value["Mã"]]


def _metrics(at_: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at_.metric}


def _every(world: World) -> list[int]:
    t = world.tasks
    return [t["a1"], t["d1"], t["a2"], t["b1"], t["c3"], t["b2"], t["c2"], t["c1"]]


def test_every_unit_a_page_at_a_time(world: World) -> None:
    every = _every(world)
    at_ = world.app_as("vp.theodoi", PAGE, {"per_page": "2"})
    assert not at_.exception
    assert _ids(at_) == every[:2]  # never more than a page in the browser
    assert "Hiển thị 1–2 / 8 nhiệm vụ" in values(at_.caption)
    # the metrics are the whole list's
    assert _metrics(at_) == {"Đang thực hiện": "6", "Quá hạn": "2", "Sắp đến hạn": "2", "Chờ xác nhận": "1"}
    at_.button(key="unit_tasks_next").click().run()
    assert _ids(at_) == every[2:4]
    assert (at_.query_params["page"], at_.query_params["per_page"]) == ("2", "2")
    at_.number_input(key="unit_tasks_page").set_value(4).run()
    assert _ids(at_) == every[6:8]
    assert at_.button(key="unit_tasks_next").disabled


def test_a_link_opens_its_page_and_a_page_past_the_last_shows_the_last(world: World) -> None:
    every = _every(world)
    at_ = world.app_as("vp.theodoi", PAGE, {"page": "3", "per_page": "2"})
    assert _ids(at_) == every[4:6]
    at_ = world.app_as("vp.theodoi", PAGE, {"page": "99", "per_page": "5"})
    assert _ids(at_) == every[5:]
    assert at_.query_params["page"] == "2"


def test_a_new_unit_search_or_done_filter_goes_back_to_page_one(world: World) -> None:
    t = world.tasks
    at_ = world.app_as("vp.theodoi", PAGE, {"page": "2", "per_page": "2"})
    by_label(at_.text_input, SEARCH).input("bao cao").run()  # accents ignored, over every unit
    assert not at_.exception
    assert at_.query_params["page"] == "1"
    assert _ids(at_) == [t["a1"]]
    assert _metrics(at_) == {"Đang thực hiện": "1", "Quá hạn": "1", "Sắp đến hạn": "0", "Chờ xác nhận": "0"}

    at_ = world.app_as("vp.theodoi", PAGE, {"page": "2", "per_page": "2"})
    by_label(at_.toggle, DONE).set_value(False).run()
    assert at_.query_params["page"] == "1"
    assert "Hiển thị 1–2 / 6 nhiệm vụ" in values(at_.caption)

    at_ = world.app_as("vp.theodoi", PAGE, {"page": "2", "per_page": "2"})
    with world.session() as s:
        finance = next(i for i, name in unit_names(session=s).items() if name == "Sở Tài chính")
    by_label(at_.selectbox, "Đơn vị").set_value(finance).run()  # the options are unit ids
    assert not at_.exception
    assert at_.query_params["page"] == "1"
    assert _ids(at_) == [t["a1"], t["b1"]]
    assert "Hiển thị 1–2 / 5 nhiệm vụ" in values(at_.caption)


def test_a_closed_task_leaves_the_list_and_is_listed_apart_for_the_clerk(world: World) -> None:
    """VP UBND took a task back as not Sở Tài chính's: it counts for nobody from that day, so it is
    neither in the unit's list nor its metrics; the văn thư finds it under "Nhiệm vụ đã đóng" to
    open it and file it away (lưu kết thúc)."""
    task_id = world.taken_back_as_wrong_unit("Kiểm tra nhà văn hóa thôn")
    at_ = world.app_as("stc.vanthu", PAGE)
    assert not at_.exception
    assert task_id not in _ids(at_)
    assert _metrics(at_)["Đang thực hiện"] == "4"  # as before the task was assigned
    assert [e.label for e in at_.expander] == [CLOSED]
    closed = at_.dataframe[-1].value
    assert list(closed["Mã"]) == [task_id]
    assert list(closed["Ngày đóng"]) == [f"{world.day(-1):%d/%m/%Y}"]
    assert list(closed["Lý do"]) == ["không đúng đơn vị (đã chuyển đúng đơn vị)"]
    # a search looks in the list only: the closed ones are not offered beside it
    by_label(at_.text_input, SEARCH).input("nha van hoa").run()
    assert not at_.expander
    assert "Không có nhiệm vụ nào." in values(at_.info)
