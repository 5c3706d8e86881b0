"""Giám sát's lists a page at a time, and its public table cached per data version.

The lists never send more than "Số dòng mỗi trang" rows to the browser: the page shows one page,
"Hiển thị a–b / N nhiệm vụ" with N the figure of the table the list opens, and the page and its
size live in the URL (?page=&per_page=, ?overdue_page=&overdue_per_page= for the overdue list).
The standard data has 8 tasks, so the choices of a page's size are made small here (2, 5, 100)."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from models import TaskClass
from services.stats import statistics as stats
from services.stats.statistics import make_period, tasks_behind
from tests.pages.conftest import World, by_label, values
from ui import public_cache

PAGE = "pages/monitor.py"


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ui.task_list.PER_PAGE_CHOICES", (2, 5, 100))


def _open(world: World, username: str = "vp.theodoi", **query: str) -> AppTest:
    base = {"from": world.day(-60).isoformat(), "to": world.today.isoformat()}
    at = world.app_as(username, PAGE, {**base, **query})
    assert not at.exception
    return at


def _drill_ids(at: AppTest) -> list[int]:
    return [int(v) for v in at.dataframe[-1].value["Mã"]]  # the drill-down is the last list


def _urgent_first(world: World, unit: str | None = None, task_class: TaskClass | None = None) -> list[int]:
    """The whole list behind a figure, from the service that still returns every row (exports)."""
    with world.session() as s:
        unit_id = None if unit is None else next(
            row.unit_id
            for row in stats.unit_statistics(session=s, period=_period(world)).rows
            if row.unit_name == unit
        )
        rows = tasks_behind(
            session=s,
            actor=world.actor("vp.theodoi"),
            period=_period(world),
            due_soon_days=3,
            unit_id=unit_id,
            task_class=task_class,
        )
    return [r.task_id for r in rows]


def _period(world: World) -> stats.Period:
    return make_period(date_from=world.day(-60), date_to=world.today, today=world.today)


def test_the_drill_down_shows_one_page_with_the_total(world: World) -> None:
    every = _urgent_first(world)
    assert len(every) == 8
    at = _open(world, per_page="2")
    assert _drill_ids(at) == every[:2]  # never more than a page in the browser
    assert "8 nhiệm vụ" in values(at.caption)  # the figure the list opens
    assert "Hiển thị 1–2 / 8 nhiệm vụ" in values(at.caption)
    assert at.number_input(key="drill_page").value == 1
    assert at.selectbox(key="drill_per_page").value == 2
    assert at.button(key="drill_prev").disabled

    at.button(key="drill_next").click().run()
    assert not at.exception
    assert _drill_ids(at) == every[2:4]
    assert "Hiển thị 3–4 / 8 nhiệm vụ" in values(at.caption)
    assert (at.query_params["page"], at.query_params["per_page"]) == ("2", "2")

    at.number_input(key="drill_page").set_value(4).run()
    assert _drill_ids(at) == every[6:8]
    assert at.button(key="drill_next").disabled
    assert at.query_params["page"] == "4"

    at.selectbox(key="drill_per_page").set_value(5).run()  # a new size starts again at page 1
    assert _drill_ids(at) == every[:5]
    assert (at.query_params["page"], at.query_params["per_page"]) == ("1", "5")
    assert "Hiển thị 1–5 / 8 nhiệm vụ" in values(at.caption)


def test_the_page_number_comes_from_the_url(world: World) -> None:
    every = _urgent_first(world)
    at = _open(world, page="3", per_page="2")
    assert _drill_ids(at) == every[4:6]
    assert "Hiển thị 5–6 / 8 nhiệm vụ" in values(at.caption)
    # a page past the last (the list shrank since the link was made) shows the last one
    at = _open(world, page="99", per_page="2")
    assert _drill_ids(at) == every[6:8]
    assert at.query_params["page"] == "4"
    # nonsense falls back to page 1 and the default size
    at = _open(world, page="-1", per_page="7")
    assert _drill_ids(at) == every[:5]
    assert (at.query_params["page"], at.query_params["per_page"]) == ("1", "5")


def test_a_filter_change_goes_back_to_page_one_and_the_total_is_the_figure(world: World) -> None:
    at = _open(world, page="2", per_page="2")
    by_label(at.selectbox, "Nhóm").set_value(TaskClass.OPEN_ON_TIME.value).run()
    assert at.query_params["page"] == "1"
    # "Chưa hoàn thành — Trong hạn" of the total row is 4: the list's total is that figure
    assert "4 nhiệm vụ" in values(at.caption)
    assert "Hiển thị 1–2 / 4 nhiệm vụ" in values(at.caption)
    assert _drill_ids(at) == _urgent_first(world, task_class=TaskClass.OPEN_ON_TIME)[:2]
    table = at.table[0].value
    total_row = table[table["Cơ quan thực hiện"] == "Tổng cộng"].iloc[0]
    assert int(total_row["Chưa hoàn thành — Trong hạn"]) == 4


def test_the_overdue_list_is_paged_on_its_own(world: World) -> None:
    overdue = _urgent_first(world, task_class=TaskClass.OPEN_OVERDUE)
    at = _open(world, overdue_per_page="2", overdue_page="1", per_page="5")
    assert [int(v) for v in at.dataframe[1].value["Mã"]] == overdue[:2]  # [0]: the official table
    assert "Hiển thị 1–2 / 2 nhiệm vụ" in values(at.caption)
    assert at.query_params["overdue_page"] == "1"


def test_a_write_while_the_lists_are_read_gives_one_reading_for_table_and_lists(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version moved between the cached table and the lists: the page runs again (at most three
    times in a row), and a list still adds up to its figure (the version here moves at every read)."""
    versions = iter(range(1000, 2000))
    monkeypatch.setattr("ui.public_cache.data_version", lambda session: next(versions))
    public_cache.clear()
    at = _open(world, per_page="5")
    assert "8 nhiệm vụ" in values(at.caption)
    assert "Hiển thị 1–5 / 8 nhiệm vụ" in values(at.caption)
    assert {m.label: m.value for m in at.metric}["Tổng số nhiệm vụ"] == "8"


# --- the public table, cached per data version (kept last: it changes the data) --------------


def test_the_public_table_is_computed_once_per_data_version(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs without a change reuse the cached table; a change made through ``perform`` (here
    VP UBND confirming c3) bumps the data version and the next run shows it."""
    calls: list[Any] = []
    real = stats.unit_statistics

    def counted(**kwargs: Any) -> stats.StatisticsReport:
        calls.append(kwargs["period"])
        return real(**kwargs)

    monkeypatch.setattr(stats, "unit_statistics", counted)
    public_cache.clear()
    at = _open(world)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Hoàn thành đúng hạn"], metrics["Đã trả lời, chờ xác nhận"]) == ("1", "1")
    assert len(calls) == 1

    at.run()  # nothing changed: the same table from the cache
    assert not at.exception
    assert len(calls) == 1
    other = _open(world, "stc.vanthu")  # another viewer of the same period: the same cached table
    assert {m.label: m.value for m in other.metric} == metrics
    assert len(calls) == 1

    world.confirm_done(world.tasks["c3"], 0)  # through perform: the version moves in its transaction
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Hoàn thành đúng hạn"], metrics["Đã trả lời, chờ xác nhận"]) == ("2", "0")
    assert len(calls) == 2
    assert "Hiển thị 1–5 / 8 nhiệm vụ" in values(at.caption)
