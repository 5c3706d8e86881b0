"""Nhiệm vụ của đơn vị: a unit sees its own tasks, urgent first, with accent-free search."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services.org.units import unit_names
from tests.pages.conftest import World, by_label, values

WORLD_USERS = ["vp.lanhdao", "syt.vanthu"]
PAGE = "pages/unit_tasks.py"
SEARCH = "Tìm theo số văn bản, trích yếu, nội dung"


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _ids(at: AppTest, index: int = 0) -> list[int]:
    return [int(v) for v in at.dataframe[index].value["Mã"]]


def test_clerk_sees_own_unit_tasks_overdue_first(world: World) -> None:
    t = world.tasks
    at = world.app_as("stc.vanthu", PAGE)
    assert not at.exception
    assert values(at.title) == ["Nhiệm vụ của đơn vị"]
    assert values(at.caption)[0] == "Sở Tài chính"
    # overdue, then due soon, then the other open ones by deadline, done last
    assert _ids(at) == [t["a1"], t["b1"], t["c3"], t["b2"], t["c1"]]
    frame = at.dataframe[0].value
    assert set(frame["Đơn vị chủ trì"]) == {"Sở Tài chính"}
    for other in ("a2", "c2", "d1"):  # Sở Y tế / UBND TP Pleiku
        assert t[other] not in _ids(at)
    assert "Kiểm tra an toàn thực phẩm" not in set(frame["Nội dung nhiệm vụ"])
    first = frame.iloc[0]
    assert first["Nội dung nhiệm vụ"] == "Báo cáo tình hình thu chi ngân sách quý"
    assert first["Hạn xử lý"] == f"{world.day(-2):%d/%m/%Y}"
    assert first["Thời hạn"] == "quá 2 ngày"
    assert list(frame["Thời hạn"]) == ["quá 2 ngày", "còn 2 ngày", "đã trả lời", "còn 20 ngày", ""]
    assert _metrics(at) == {"Đang thực hiện": "4", "Quá hạn": "1", "Sắp đến hạn": "1", "Chờ xác nhận": "1"}
    # Sở Tài chính coordinates nothing: no read-only section
    assert "Nhiệm vụ đơn vị phối hợp (chỉ xem)" not in values(at.subheader)


def _search(world: World, text: str) -> AppTest:
    at = world.app_as("stc.vanthu", PAGE)
    by_label(at.text_input, SEARCH).input(text).run()
    assert not at.exception
    return at


def test_search_without_accents_finds_accented_text(world: World) -> None:
    at = _search(world, "bao cao")
    assert _ids(at) == [world.tasks["a1"]]
    assert list(at.dataframe[0].value["Nội dung nhiệm vụ"]) == ["Báo cáo tình hình thu chi ngân sách quý"]
    assert _metrics(at)["Quá hạn"] == "1"
    assert _metrics(at)["Sắp đến hạn"] == "0"
    assert at.query_params["q"] == "bao cao"  # the search survives a reload


def test_search_covers_document_number_and_summary(world: World) -> None:
    t = world.tasks
    assert _ids(_search(world, "102/ubnd")) == [t["b1"], t["b2"]]
    assert _ids(_search(world, "chuyen doi so")) == [t["c3"], t["c1"]]  # summary of 103 / content of c1
    at = _search(world, "an toan thuc pham")  # another unit's task
    assert not at.dataframe
    assert "Không có nhiệm vụ nào." in values(at.info)


def test_search_query_from_the_url(world: World) -> None:
    at = world.app_as("stc.vanthu", PAGE, {"q": "quyet toan"})
    assert by_label(at.text_input, SEARCH).value == "quyet toan"
    assert _ids(at) == [world.tasks["c3"]]


def test_search_can_be_changed_a_second_time(world: World) -> None:
    """Typing a second search must apply it (not fall back to the first one)."""
    at = _search(world, "bao cao")
    assert _ids(at) == [world.tasks["a1"]]
    by_label(at.text_input, SEARCH).input("102/ubnd").run()
    assert by_label(at.text_input, SEARCH).value == "102/ubnd"
    assert _ids(at) == [world.tasks["b1"], world.tasks["b2"]]


def test_hide_done_tasks(world: World) -> None:
    at = world.app_as("stc.vanthu", PAGE)
    by_label(at.toggle, "Hiện nhiệm vụ đã hoàn thành").set_value(False).run()
    assert _ids(at) == [world.tasks["a1"], world.tasks["b1"], world.tasks["c3"], world.tasks["b2"]]
    assert at.query_params["done"] == "0"


def test_done_toggle_can_be_switched_back_on(world: World) -> None:
    at = world.app_as("stc.vanthu", PAGE)
    by_label(at.toggle, "Hiện nhiệm vụ đã hoàn thành").set_value(False).run()
    assert world.tasks["c1"] not in _ids(at)
    by_label(at.toggle, "Hiện nhiệm vụ đã hoàn thành").set_value(True).run()
    assert by_label(at.toggle, "Hiện nhiệm vụ đã hoàn thành").value is True
    assert world.tasks["c1"] in _ids(at)
    assert at.query_params["done"] == "1"


def test_coordinating_unit_sees_task_read_only_in_its_own_section(world: World) -> None:
    t = world.tasks
    at = world.app_as("syt.vanthu", PAGE)
    assert not at.exception
    assert values(at.caption)[0] == "Sở Y tế"
    assert _ids(at, 0) == [t["d1"], t["a2"]]
    assert _metrics(at) == {"Đang thực hiện": "2", "Quá hạn": "1", "Sắp đến hạn": "1", "Chờ xác nhận": "0"}
    assert "Nhiệm vụ đơn vị phối hợp (chỉ xem)" in values(at.subheader)
    assert _ids(at, 1) == [t["b2"]]


def test_office_leader_chooses_the_unit(world: World) -> None:
    at = world.app_as("vp.lanhdao", PAGE)
    assert not at.exception
    unit = by_label(at.selectbox, "Đơn vị")
    assert (unit.options[0], unit.value) == ("Tất cả đơn vị", 0)  # first and the default: every unit's tasks
    assert unit.options[1] == "Sở Nội vụ"  # then the units in config order
    t = world.tasks
    # every unit's tasks, overdue first (a1 two days, d1 one), due soon, the other open ones, done last
    assert _ids(at) == [t["a1"], t["d1"], t["a2"], t["b1"], t["c3"], t["b2"], t["c2"], t["c1"]]
    assert _metrics(at) == {"Đang thực hiện": "6", "Quá hạn": "2", "Sắp đến hạn": "2", "Chờ xác nhận": "1"}
    assert "VP UBND tỉnh" not in unit.options
    assert {"Sở Tài chính", "Sở Y tế", "UBND TP Pleiku"} <= set(unit.options)
    unit.set_value(_unit_id(world, "Sở Y tế")).run()  # the options are unit ids shown as short names
    assert not at.exception
    assert _ids(at) == [world.tasks["d1"], world.tasks["a2"]]
    assert "Nhiệm vụ đơn vị phối hợp (chỉ xem)" not in values(at.subheader)


def _unit_id(world: World, short_name: str) -> int:
    with world.session() as s:
        return next(i for i, name in unit_names(session=s).items() if name == short_name)


def test_office_leader_can_change_the_unit_twice(world: World) -> None:
    at = world.app_as("vp.lanhdao", PAGE)
    by_label(at.selectbox, "Đơn vị").set_value(_unit_id(world, "Sở Y tế")).run()
    assert _ids(at) == [world.tasks["d1"], world.tasks["a2"]]
    by_label(at.selectbox, "Đơn vị").set_value(_unit_id(world, "UBND TP Pleiku")).run()
    assert by_label(at.selectbox, "Đơn vị").value == _unit_id(world, "UBND TP Pleiku")
    assert _ids(at) == [world.tasks["c2"]]
