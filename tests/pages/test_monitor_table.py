"""Giám sát at a province's size: the table sorted by what matters (its order in the URL), a grid
that scrolls inside itself with the total first, the printed copy, the chart limited to the units
with most overdue tasks (full names in the tooltip, the legend on top, a click selects a bar), and
the print stylesheet. The clicks themselves are in tests/e2e/test_monitor_many_units.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.proto.Dataframe_pb2 import Dataframe as DataframeProto
from streamlit.testing.v1 import AppTest

from services.config.loader import AppSettingsConfig
from tests.pages.conftest import World, by_label, values
from ui import public_cache

PAGE = "pages/monitor.py"
WORLD_USERS = ["syt.vanthu"]

# Standard data (tests/pages/conftest.py), period today-60 .. today: units and their figures
# (documents, total, done on time, done late, open on time, open overdue, rate)
FINANCE = ["Sở Tài chính", 3, 5, 1, 0, 3, 1, "20,0 %"]
HEALTH = ["Sở Y tế", 2, 2, 0, 0, 1, 1, "0,0 %"]
PLEIKU = ["UBND TP Pleiku", 1, 1, 0, 1, 0, 0, "0,0 %"]
TOTAL = ["Tổng cộng", 4, 8, 1, 1, 4, 2, "12,5 %"]


def _open(world: World, username: str = "vp.theodoi", **query: str) -> AppTest:
    base = {"from": world.day(-60).isoformat(), "to": world.today.isoformat()}
    at = world.app_as(username, PAGE, {**base, **query})
    assert not at.exception
    return at


def _lines(frame: Any) -> list[list[Any]]:
    return [[v.item() if hasattr(v, "item") else v for v in row] for row in frame.values.tolist()]


def _grid(at: AppTest) -> list[list[Any]]:
    """The screen's grid: the first dataframe, the total row first."""
    return _lines(at.dataframe[0].value)


def _printed(at: AppTest) -> list[list[Any]]:
    return _lines(at.table[0].value)


def test_the_table_opens_sorted_by_overdue_with_the_total_first_on_screen_and_last_on_paper(world: World) -> None:
    at = _open(world)
    assert by_label(at.selectbox, "Sắp xếp theo").value == "overdue"
    # most overdue first (1, 1, 0), a tie goes to the unit with more tasks (5 before 2)
    assert _grid(at) == [["", *TOTAL], ["1", *FINANCE], ["2", *HEALTH], ["3", *PLEIKU]]
    assert _printed(at) == [["1", *FINANCE], ["2", *HEALTH], ["3", *PLEIKU], ["", *TOTAL]]
    assert "3 đơn vị có nhiệm vụ trong kỳ; dòng đầu là Tổng cộng." in values(at.caption)[1]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("total", [FINANCE, HEALTH, PLEIKU]),
        ("done_late", [PLEIKU, FINANCE, HEALTH]),
        ("rate", [HEALTH, PLEIKU, FINANCE]),  # 0,0 % twice: the unit with more tasks first
        ("rate_desc", [FINANCE, HEALTH, PLEIKU]),
        ("name", [FINANCE, HEALTH, PLEIKU]),
        ("org", [FINANCE, HEALTH, PLEIKU]),
        ("open_on_time", [FINANCE, HEALTH, PLEIKU]),
    ],
)
def test_any_column_can_order_the_table_and_stt_counts_the_lines_as_shown(
    world: World, order: str, expected: list[list[Any]]
) -> None:
    at = _open(world, sort=order)
    assert by_label(at.selectbox, "Sắp xếp theo").value == order
    numbered = [[str(i), *line] for i, line in enumerate(expected, start=1)]
    assert _grid(at) == [["", *TOTAL], *numbered]
    assert _printed(at) == [*numbered, ["", *TOTAL]]


def test_the_order_is_kept_in_the_url_and_a_made_up_one_falls_back(world: World) -> None:
    at = _open(world)
    by_label(at.selectbox, "Sắp xếp theo").set_value("done_late").run()
    assert not at.exception
    assert at.query_params["sort"] == "done_late"
    assert _grid(at)[1][1] == "UBND TP Pleiku"
    at = _open(world, sort="=HYPERLINK()")
    assert by_label(at.selectbox, "Sắp xếp theo").value == "overdue"
    assert at.query_params["sort"] == "overdue"


def test_the_grid_scrolls_inside_itself_and_answers_a_click_on_a_cell(world: World) -> None:
    at = _open(world)
    grid = at.dataframe[0].proto
    assert list(grid.selection_mode) == [DataframeProto.SelectionMode.SINGLE_CELL]
    assert grid.form_id == ""  # not in a form: a click reruns the page at once
    config = json.loads(grid.columns)
    assert config["Cơ quan thực hiện"]["width"] >= 150
    assert config["Chưa hoàn thành — Quá hạn"]["label"] == "Chưa HT quá hạn"
    assert config["Chưa hoàn thành — Quá hạn"]["help"] == "Chưa hoàn thành — Quá hạn"


def _chart(at: AppTest) -> tuple[dict[str, Any], Any]:
    (chart,) = at.get("vega_lite_chart")
    (dataset,) = chart.proto.datasets
    return json.loads(chart.proto.spec), convert_arrow_bytes_to_pandas_df(dataset.data.data)


def test_the_chart_names_units_in_full_has_its_legend_on_top_and_a_click_selects_a_bar(world: World) -> None:
    at = _open(world)
    spec, data = _chart(at)
    assert spec["encoding"]["color"]["legend"]["orient"] == "top"
    assert spec["encoding"]["y"]["axis"]["labelLimit"] >= 400
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == ["full_name", "class_label", "tasks"]
    names = dict(zip(data["unit_name"], data["full_name"], strict=False))
    assert names["UBND TP Pleiku"] == "UBND thành phố Pleiku"
    (param,) = spec["params"]
    assert param["select"] == {"type": "point", "fields": ["unit_id", "task_class"], "on": "click"}
    (chart,) = at.get("vega_lite_chart")
    assert list(chart.proto.selection_mode) == [param["name"]]
    assert "Hiện tất cả đơn vị" not in [t.label for t in at.toggle]  # 3 units: all drawn


def test_the_chart_draws_the_units_with_most_overdue_tasks_and_the_rest_on_request(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``monitor_chart_units`` (config/app.yaml) units are drawn, most overdue first; the toggle
    "Hiện tất cả đơn vị" (in the URL as ``chart=all``) draws every unit."""
    # the config is frozen: the class's property shadows the loaded value for this test
    monkeypatch.setattr(AppSettingsConfig, "monitor_chart_units", property(lambda self: 2), raising=False)
    at = _open(world)
    spec, data = _chart(at)
    assert spec["encoding"]["y"]["sort"] == ["Sở Tài chính", "Sở Y tế"]
    assert set(data["unit_name"]) == {"Sở Tài chính", "Sở Y tế"}
    assert "2 đơn vị có nhiều nhiệm vụ quá hạn nhất; 1 đơn vị khác ở biểu thống kê trên" in " ".join(values(at.caption))
    by_label(at.toggle, "Hiện tất cả đơn vị").set_value(True).run()
    assert not at.exception
    spec, data = _chart(at)
    assert spec["encoding"]["y"]["sort"] == ["Sở Tài chính", "Sở Y tế", "UBND TP Pleiku"]
    assert at.query_params["chart"] == "all"
    at = _open(world, chart="all")
    assert by_label(at.toggle, "Hiện tất cả đơn vị").value is True


def test_the_page_carries_its_print_stylesheet(world: World) -> None:
    at = _open(world)
    css = " ".join(h.proto.body for h in at.get("html"))
    assert "@page { size: A4 landscape;" in css
    assert '[data-testid="stSidebar"]' in css
    assert ".st-key-monitor-print-table { display: none; }" in css  # on screen: the grid instead
    assert ".st-key-monitor-grid" in css and ".st-key-monitor-lists" in css


def test_a_name_longer_than_its_column_wraps_instead_of_being_cut(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(world)
    assert at.dataframe[0].proto.row_height == 35  # the shipped short names fit on one line
    monkeypatch.setattr("ui.public_cache.NAME_MAX_PX", 100)  # "UBND TP Pleiku" no longer fits
    public_cache.clear()
    at = _open(world)
    grid = at.dataframe[0].proto
    assert grid.row_height == 66  # above 4rem: Streamlit wraps the text over up to three lines
    assert json.loads(grid.columns)["Cơ quan thực hiện"]["width"] == 100
