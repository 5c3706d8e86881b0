"""Giám sát: named periods in the URL (?ky=…), an unknown one, and the report download buttons."""

from __future__ import annotations

from datetime import date

from streamlit.testing.v1 import AppTest

from services.stats.presets import PeriodPreset, preset_dates
from tests.pages.conftest import World, by_label, values

WORLD_USERS = ["syt.vanthu"]
PAGE = "pages/monitor.py"


def _dates(at: AppTest) -> tuple[date, date]:
    return by_label(at.date_input, "Từ ngày").value, by_label(at.date_input, "Đến ngày").value


def _buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.get("download_button")]


def test_a_preset_in_the_url_sets_the_period(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE, {"ky": "quy-1"})
    assert not at.exception
    first, last = preset_dates(PeriodPreset.Q1, today=world.today)
    assert by_label(at.selectbox, "Kỳ báo cáo").value == "quy-1"
    assert _dates(at) == (first, last)
    assert values(at.caption)[0].startswith(f"Kỳ báo cáo Quý I {first:%d/%m/%Y} – {last:%d/%m/%Y}; ")
    assert at.query_params["ky"] == "quy-1" and at.query_params["from"] == first.isoformat()
    # the table's files and every list's CSV, built when pressed
    assert _buttons(at) == ["Tải Excel", "Tải báo cáo (Word)", "Tải CSV", "Tải CSV", "Tải CSV"]


def test_choosing_a_preset_fills_the_dates_and_editing_them_makes_it_custom(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE, {"from": world.day(-60).isoformat(), "to": world.today.isoformat()})
    assert by_label(at.selectbox, "Kỳ báo cáo").value == ""
    by_label(at.selectbox, "Kỳ báo cáo").set_value("nam-truoc")
    by_label(at.button, "Xem thống kê").click().run()
    assert not at.exception
    year = world.today.year - 1
    assert _dates(at) == (date(year, 1, 1), date(year, 12, 31))
    assert at.query_params["ky"] == "nam-truoc"
    # the dates changed by hand: the period is "Tùy chọn", the dates win, ?ky leaves the URL
    by_label(at.date_input, "Từ ngày").set_value(date(year, 2, 1))
    by_label(at.button, "Xem thống kê").click().run()
    assert by_label(at.selectbox, "Kỳ báo cáo").value == ""
    assert _dates(at) == (date(year, 2, 1), date(year, 12, 31))
    assert "ky" not in at.query_params


def test_an_unknown_preset_is_said_and_the_default_period_shown(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE, {"ky": "quy-9<b>"})
    assert not at.exception
    [warning] = values(at.warning)
    assert warning.startswith("Không có kỳ báo cáo “quy-9")
    assert "Đang xem kỳ mặc định" in warning
    assert _dates(at) == (date(world.today.year, 1, 1), world.today)
    assert "ky" not in at.query_params


def test_from_after_to_is_refused(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE, {"from": world.today.isoformat(), "to": world.day(-5).isoformat()})
    assert values(at.error) == ["Từ ngày phải trước hoặc bằng đến ngày."]
    assert _buttons(at) == []


def test_a_units_staff_gets_the_files_too(world: World) -> None:
    at = world.app_as("syt.vanthu", PAGE, {"ky": "ca-nam"})
    assert not at.exception
    assert _buttons(at) == ["Tải Excel", "Tải báo cáo (Word)", "Tải CSV", "Tải CSV", "Tải CSV"]
