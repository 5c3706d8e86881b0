"""Xếp hạng và xu hướng (pages/trends.py) per role, on the standard data of tests/pages/conftest.py.

Sở Tài chính has 5 tasks (1 done on time, 1 open overdue), Sở Y tế 2, UBND TP Pleiku 1: with the
shipped ``ranking_min_tasks`` (5) only Sở Tài chính is ranked, the others are listed apart. The
chart's months are checked against ``unit_statistics`` of each month.

The default period is "Cả năm", and the data lies in the last 20 days: from 1 to 20 January it
would straddle two years and the figures would be cut in two. So this module's world, and its page
runs, live on 15 June of the current year (``WORLD_CLOCK``: every clock of the process moves there,
the services', the pages' and the data's alike, and runs on from it).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
from sqlmodel import select
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from models import OrgUnit, TaskClass
from services.stats.statistics import unit_statistics
from services.stats.trends import month_periods
from tests.pages.conftest import World, by_label, values
from ui.trends import PROVINCE, month_label

WORLD_USERS = ["syt.vanthu", "vp.lanhdao", "admin", "qlns.chuyenvien"]
PAGE = "pages/trends.py"
TITLE = "Xếp hạng và xu hướng"


# 9:00 on 15 June of this year in Việt Nam: the last 20 days lie inside "Cả năm"
WORLD_CLOCK = datetime.combine(date(date.today().year, 6, 15), time(9), tzinfo=timezone(timedelta(hours=7)))


def test_the_module_lives_in_june(world: World) -> None:
    assert world.today == date(date.today().year, 6, 15)


def open_trends(world: World, username: str, query: dict[str, str] | None = None) -> AppTest:
    at = world.app_as(username, PAGE, query)
    assert not at.exception, at.exception
    assert values(at.title) == [TITLE]
    return at


def _unit_id(world: World, short_name: str) -> int:
    with world.session() as s:
        uid = s.exec(select(OrgUnit.id).where(OrgUnit.short_name == short_name)).one()
    assert uid is not None
    return uid


def _chart_data(at: AppTest) -> tuple[dict[str, Any], pd.DataFrame]:
    (chart,) = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    if chart.proto.datasets:
        frame = convert_arrow_bytes_to_pandas_df(chart.proto.datasets[0].data.data)
    else:
        frame = pd.DataFrame(next(iter(spec["datasets"].values())))
    return spec, frame


def test_the_ranking_and_the_units_listed_apart(world: World) -> None:
    at = open_trends(world, "vp.theodoi")
    ranked = at.dataframe[0].value
    assert list(ranked.columns) == [
        "Hạng",
        "Đơn vị",
        "Tổng số nhiệm vụ",
        "Hoàn thành đúng hạn",
        "Chưa hoàn thành quá hạn",
        "Tỷ lệ hoàn thành đúng hạn",
    ]
    assert ranked.values.tolist() == [["1", "Sở Tài chính", 5, 1, 1, "20,0 %"]]
    assert "**Chưa đủ số nhiệm vụ để xếp hạng**" in values(at.markdown)
    apart = at.dataframe[1].value
    assert apart.values.tolist() == [["Sở Y tế", 2, 0, 1, "0,0 %"], ["UBND TP Pleiku", 1, 0, 0, "0,0 %"]]
    assert any("ít nhất 5 nhiệm vụ" in c for c in values(at.caption))
    # the tracker is not a unit user: the ranked units are drawn (fewer than seven: all of them)
    assert at.multiselect[0].value == [_unit_id(world, "Sở Tài chính")]


def test_each_month_of_the_chart_is_the_table_of_that_month(world: World) -> None:
    at = open_trends(world, "syt.vanthu")
    health = _unit_id(world, "Sở Y tế")
    # a unit user: their own unit pre-selected (even unranked), against the province
    assert at.multiselect[0].value == [health, PROVINCE]
    spec, frame = _chart_data(at)
    assert spec["encoding"]["x"]["title"] == "Tháng" and spec["encoding"]["y"]["title"].startswith("Tỷ lệ")
    assert spec["encoding"]["color"]["legend"]["title"] == "Đơn vị"
    months = month_periods(today=world.today)
    assert spec["encoding"]["x"]["sort"] == [month_label(p.date_from) for p in months]
    assert set(frame["unit"]) == {"Sở Y tế", "Toàn tỉnh"}
    with world.session() as s:
        for period in months:
            report = unit_statistics(session=s, period=period)
            rows = {r.unit_name: r for r in report.rows}
            for name, stats in (("Sở Y tế", rows.get("Sở Y tế")), ("Toàn tỉnh", report.total)):
                point = frame[(frame["unit"] == name) & (frame["month"] == month_label(period.date_from))]
                assert len(point) == 1
                tasks = stats.total if stats else 0
                assert int(point["tasks"].iloc[0]) == tasks
                on_time = stats.counts[TaskClass.DONE_ON_TIME] if stats else 0
                assert int(point["on_time"].iloc[0]) == on_time
                rate = point["rate"].iloc[0]
                assert (pd.isna(rate) and tasks == 0) or rate == round(on_time / tasks * 100, 1)
    assert frame["tasks"].sum() > 0


def test_a_sub_unit_user_sees_the_unit_above_and_may_choose_others(world: World) -> None:
    at = open_trends(world, "qlns.chuyenvien")  # P. QLNS, inside Sở Tài chính
    finance, pleiku = _unit_id(world, "Sở Tài chính"), _unit_id(world, "UBND TP Pleiku")
    assert at.multiselect[0].value == [finance, PROVINCE]
    at.multiselect[0].set_value([pleiku]).run()
    assert not at.exception
    _, frame = _chart_data(at)
    assert set(frame["unit"]) == {"UBND TP Pleiku"}
    at.multiselect[0].set_value([]).run()
    assert "Chọn ít nhất một đơn vị để xem xu hướng." in values(at.info)


def test_office_leader_and_admin_open_it(world: World) -> None:
    for user in ("vp.lanhdao", "admin"):
        at = open_trends(world, user)
        assert at.dataframe[0].value["Đơn vị"].tolist() == ["Sở Tài chính"]
        assert at.multiselect[0].value == [_unit_id(world, "Sở Tài chính")]


def test_the_period_comes_from_the_link_and_a_bad_one_falls_back(world: World) -> None:
    at = open_trends(world, "vp.theodoi", {"ky": "nam-truoc"})
    assert by_label(at.selectbox, "Kỳ xếp hạng").value.value == "nam-truoc"
    assert "Chưa có đơn vị nào đủ số nhiệm vụ để xếp hạng trong kỳ này." in values(at.info)
    bad = open_trends(world, "vp.theodoi", {"ky": "<b>quy-9</b>"})
    assert by_label(bad.selectbox, "Kỳ xếp hạng").value.value == "ca-nam"
    assert bad.dataframe[0].value["Đơn vị"].tolist() == ["Sở Tài chính"]


def test_a_unit_leader_sees_their_own_unit_first(world: World) -> None:
    at = open_trends(world, "pleiku.lanhdao")
    pleiku = _unit_id(world, "UBND TP Pleiku")
    assert at.multiselect[0].value == [pleiku, PROVINCE]
    _, frame = _chart_data(at)
    assert set(frame["unit"]) == {"UBND TP Pleiku", "Toàn tỉnh"}
    assert frame[frame["unit"] == "UBND TP Pleiku"]["tasks"].sum() >= 1
