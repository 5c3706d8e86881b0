"""Giám sát công việc: the official table with exact figures, the chart, overdue and drill-down lists.

The period is set through the URL (?from=&to=) so the figures do not depend on the day of the
year the suite runs (the default period starts on 1 January).
"""

from __future__ import annotations

import json
from typing import Any

from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from models import TaskClass
from services.org.units import unit_names
from tests.pages.conftest import World, by_label, values

WORLD_USERS = ["syt.vanthu"]
PAGE = "pages/monitor.py"

# The official table (docs/statistics.md): one row per unit, the total row last.
COLUMNS = [
    "STT",
    "Cơ quan thực hiện",
    "Tổng số văn bản",
    "Tổng số nhiệm vụ",
    "Đã hoàn thành — Đúng hạn",
    "Đã hoàn thành — Quá hạn",
    "Chưa hoàn thành — Trong hạn",
    "Chưa hoàn thành — Quá hạn",
    "Tỷ lệ hoàn thành đúng hạn",
]
# Standard data (tests/pages/conftest.py) as of today, period today-60 .. today.
TODAY_ROWS = [
    ["1", "Sở Tài chính", 3, 5, 1, 0, 3, 1, "20,0 %"],
    ["2", "Sở Y tế", 2, 2, 0, 0, 1, 1, "0,0 %"],
    ["3", "UBND TP Pleiku", 1, 1, 0, 1, 0, 0, "0,0 %"],
    ["", "Tổng cộng", 4, 8, 1, 1, 4, 2, "12,5 %"],
]


def open_monitor(world: World, username: str, from_offset: int = -60, to_offset: int = 0) -> AppTest:
    at = world.app_as(
        username, PAGE, {"from": world.day(from_offset).isoformat(), "to": world.day(to_offset).isoformat()}
    )
    assert not at.exception
    assert values(at.title) == ["Giám sát công việc"]
    return at


def _stats_rows(at: AppTest) -> list[list[Any]]:
    frame = at.table[0].value  # drawn with st.table (static, prints as shown)
    assert list(frame.columns) == COLUMNS
    return [[v.item() if hasattr(v, "item") else v for v in row] for row in frame.values.tolist()]


def _ids(at: AppTest, index: int) -> list[int]:
    """The ids of the ``index``-th task list (the overdue list, then the drill-down's)."""
    lists = [frame for frame in at.dataframe if "Mã" in frame.value.columns]
    return [int(v) for v in lists[index].value["Mã"]]


def test_official_table_has_exact_figures_and_total_last(world: World) -> None:
    at = open_monitor(world, "vp.theodoi")
    assert _stats_rows(at) == TODAY_ROWS
    assert values(at.caption)[0].startswith(
        f"Kỳ báo cáo {world.day(-60):%d/%m/%Y} – {world.today:%d/%m/%Y}; số liệu tính đến ngày {world.today:%d/%m/%Y}."
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Tổng số nhiệm vụ": "8",
        "Tỷ lệ hoàn thành đúng hạn": "12,5 %",
        "Đã trả lời, chờ xác nhận": "1",
        "Hoàn thành đúng hạn": "1",
        "Hoàn thành trễ hạn": "1",
        "Đang thực hiện trong hạn": "4",
        "Đang thực hiện quá hạn": "2",
    }


def test_a_past_period_uses_only_history_up_to_its_end(world: World) -> None:
    """As of today-9: 102 not yet issued, c3 not yet replied, a1/d1 not yet overdue."""
    at = open_monitor(world, "vp.theodoi", -60, -9)
    assert _stats_rows(at) == [
        ["1", "Sở Tài chính", 2, 3, 1, 0, 2, 0, "33,3 %"],
        ["2", "Sở Y tế", 2, 2, 0, 0, 2, 0, "0,0 %"],
        ["3", "UBND TP Pleiku", 1, 1, 0, 1, 0, 0, "0,0 %"],
        ["", "Tổng cộng", 3, 6, 1, 1, 4, 0, "16,7 %"],
    ]


def test_period_with_from_after_to_is_refused(world: World) -> None:
    at = open_monitor(world, "vp.theodoi", 0, -5)
    assert values(at.error) == ["Từ ngày phải trước hoặc bằng đến ngày."]
    assert not at.table


def test_period_form_submits_the_dates(world: World) -> None:
    at = open_monitor(world, "vp.theodoi")
    by_label(at.date_input, "Đến ngày").set_value(world.day(-9))
    by_label(at.button, "Xem thống kê").click().run()
    assert not at.exception
    assert at.query_params["to"] == world.day(-9).isoformat()
    assert _stats_rows(at)[-1] == ["", "Tổng cộng", 3, 6, 1, 1, 4, 0, "16,7 %"]


def test_period_can_be_changed_a_second_time(world: World) -> None:
    """Submitting the period form twice must apply the second period too."""
    at = open_monitor(world, "vp.theodoi")
    by_label(at.date_input, "Đến ngày").set_value(world.day(-9))
    by_label(at.button, "Xem thống kê").click().run()
    assert _stats_rows(at)[-1][3] == 6
    by_label(at.date_input, "Đến ngày").set_value(world.today)
    by_label(at.button, "Xem thống kê").click().run()
    assert by_label(at.date_input, "Đến ngày").value == world.today
    assert at.query_params["to"] == world.today.isoformat()
    assert _stats_rows(at) == TODAY_ROWS


def test_chart_is_a_stacked_bar_per_unit_with_the_table_figures(world: World) -> None:
    at = open_monitor(world, "vp.theodoi")
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    mark = spec["mark"]
    assert (mark["type"] if isinstance(mark, dict) else mark) == "bar"
    enc = spec["encoding"]
    assert enc["y"]["field"] == "unit_name"
    assert enc["y"]["sort"] == ["Sở Tài chính", "Sở Y tế", "UBND TP Pleiku"]
    assert (enc["x"]["field"], enc["x"]["aggregate"]) == ("tasks", "sum")
    assert enc["color"]["field"] == "class_label"
    assert enc["color"]["scale"]["domain"] == [
        "Hoàn thành đúng hạn",
        "Hoàn thành trễ hạn",
        "Đang thực hiện trong hạn",
        "Đang thực hiện quá hạn",
    ]
    assert enc["color"]["scale"]["range"] == ["#2e7d32", "#f9a825", "#1565c0", "#c62828"]
    (dataset,) = charts[0].proto.datasets
    data = convert_arrow_bytes_to_pandas_df(dataset.data.data)
    got = {(r["unit_name"], r["class_label"]): int(r["tasks"]) for r in data.to_dict("records")}
    assert got == {
        ("Sở Tài chính", "Hoàn thành đúng hạn"): 1,
        ("Sở Tài chính", "Đang thực hiện trong hạn"): 3,
        ("Sở Tài chính", "Đang thực hiện quá hạn"): 1,
        ("Sở Y tế", "Đang thực hiện trong hạn"): 1,
        ("Sở Y tế", "Đang thực hiện quá hạn"): 1,
        ("UBND TP Pleiku", "Hoàn thành trễ hạn"): 1,
    }


def test_office_sees_every_overdue_task(world: World) -> None:
    at = open_monitor(world, "vp.theodoi")
    assert "Nhiệm vụ quá hạn" in values(at.subheader)
    assert _ids(at, 0) == [world.tasks["a1"], world.tasks["d1"]]  # most overdue first
    assert set(at.dataframe[1].value["Đơn vị chủ trì"]) == {"Sở Tài chính", "Sở Y tế"}  # [0]: the table


def test_unit_user_sees_only_own_overdue_tasks(world: World) -> None:
    at = open_monitor(world, "stc.vanthu")
    assert "Nhiệm vụ quá hạn của Sở Tài chính" in values(at.subheader)
    assert _ids(at, 0) == [world.tasks["a1"]]
    # the public aggregate table is the same for everybody
    assert _stats_rows(at) == TODAY_ROWS
    # the drill-down offers the own unit only
    assert by_label(at.selectbox, "Đơn vị").options == ["Sở Tài chính"]
    assert "5 nhiệm vụ" in values(at.caption)

    at = open_monitor(world, "syt.vanthu")
    assert "Nhiệm vụ quá hạn của Sở Y tế" in values(at.subheader)
    assert _ids(at, 0) == [world.tasks["d1"]]

    at = open_monitor(world, "pleiku.lanhdao")
    assert "Nhiệm vụ quá hạn của UBND TP Pleiku" in values(at.subheader)
    assert "Không có nhiệm vụ nào." in values(at.info)
    assert _ids(at, 0) == [world.tasks["c2"]]  # the only table left is the drill-down


def test_drill_down_lists_the_tasks_behind_a_figure(world: World) -> None:
    at = open_monitor(world, "vp.theodoi")
    assert "8 nhiệm vụ" in values(at.caption)
    unit = by_label(at.selectbox, "Đơn vị")
    assert unit.options == ["Tất cả đơn vị", "Sở Tài chính", "Sở Y tế", "UBND TP Pleiku"]
    assert by_label(at.selectbox, "Nhóm").options == [
        "Tất cả",
        "Hoàn thành đúng hạn",
        "Hoàn thành trễ hạn",
        "Đang thực hiện trong hạn",
        "Đang thực hiện quá hạn",
    ]
    by_label(at.selectbox, "Nhóm").set_value(TaskClass.OPEN_ON_TIME.value).run()
    assert "4 nhiệm vụ" in values(at.caption)
    assert set(_ids(at, 1)) == {world.tasks[k] for k in ("a2", "b1", "b2", "c3")}

    # Sở Tài chính × "Chưa hoàn thành — Trong hạn" = 3 in the table: the same 3 tasks
    by_label(at.selectbox, "Đơn vị").set_value(_unit_id(world, "Sở Tài chính")).run()
    assert not at.exception
    assert "3 nhiệm vụ" in values(at.caption)
    assert _ids(at, 1) == [world.tasks["b1"], world.tasks["c3"], world.tasks["b2"]]


def _unit_id(world: World, short_name: str) -> int:
    with world.session() as s:
        return next(i for i, name in unit_names(session=s).items() if name == short_name)


def test_drill_down_filters_live_in_the_url(world: World) -> None:
    """A link with ?unit=…&class=… opens the drill-down on that figure; changing a filter writes
    the URL; a unit the user may not see, or a made-up class, falls back to the default."""
    finance = _unit_id(world, "Sở Tài chính")
    query = {"from": world.day(-60).isoformat(), "to": world.today.isoformat()}
    at = world.app_as("vp.theodoi", PAGE, {**query, "unit": str(finance), "class": TaskClass.OPEN_ON_TIME.value})
    assert not at.exception
    assert by_label(at.selectbox, "Đơn vị").value == finance
    assert by_label(at.selectbox, "Nhóm").value == TaskClass.OPEN_ON_TIME.value
    assert "3 nhiệm vụ" in values(at.caption)
    assert _ids(at, 1) == [world.tasks["b1"], world.tasks["c3"], world.tasks["b2"]]

    by_label(at.selectbox, "Nhóm").set_value("").run()
    assert (at.query_params["unit"], at.query_params["class"]) == (str(finance), "")
    assert "5 nhiệm vụ" in values(at.caption)

    # Sở Tài chính's clerk cannot open Sở Y tế's drill-down by editing the link
    health = _unit_id(world, "Sở Y tế")
    at = world.app_as("stc.vanthu", PAGE, {**query, "unit": str(health), "class": "=cmd()"})
    assert not at.exception
    assert by_label(at.selectbox, "Đơn vị").value == finance
    assert by_label(at.selectbox, "Nhóm").value == ""
    assert "5 nhiệm vụ" in values(at.caption)
