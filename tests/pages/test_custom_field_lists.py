"""Trường tùy chỉnh in every task list (issue 10), through AppTest: on Việc chờ tôi xử lý and on
Giám sát's overdue list and drill-down, a field switched on as a column shows each row's value,
a choice field's value filters the rows, both come back from the URL, and a field whose roles
leave the viewer out is neither a column nor in the URL's choice.

Values (task fields): Nguồn vốn (a choice, every role) a1 = ODA, b1 = Ngân sách, b2 = ODA, d1 =
Ngân sách; Ghi chú lãnh đạo (text, tracker and leader only) a1 = "<b>Mật</b> =cmd".
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

import ui.custom_fields
from models import CustomValue, Task
from services.admin import custom_fields as admin_fields
from services.custom_fields import all_fields as admin_fields_all_of
from services.reports.csv_files import tasks_csv
from services.tasks.queries import list_unit_tasks
from tests.pages.conftest import World, by_label, values

WORLD_USERS = ["admin", "syt.vanthu"]
COLUMNS = "Cột bổ sung (trường tùy chỉnh)"
FILTER = "Lọc theo trường tùy chỉnh"
SECRET = "<b>Mật</b> =cmd"


@pytest.fixture(scope="module", autouse=True)
def fields(world: World) -> None:
    admin = world.actor("admin")
    t = world.tasks
    with world.session() as s:
        source = admin_fields.create_field(
            session=s, actor=admin, key="nguon_von", label="Nguồn vốn", kind="choice", target="task",
            choices=["Ngân sách", "ODA"], roles=["clerk", "leader", "specialist", "tracker", "admin"],
        )
        note = admin_fields.create_field(
            session=s, actor=admin, key="ghi_chu_ld", label="Ghi chú lãnh đạo", kind="text", target="task",
            roles=["tracker", "leader"],
        )
        for task, value in (("a1", "ODA"), ("b1", "Ngân sách"), ("b2", "ODA"), ("d1", "Ngân sách")):
            s.add(CustomValue(field_id=source.field_id, task_id=t[task], value=value))
        s.add(CustomValue(field_id=note.field_id, task_id=t["a1"], value=SECRET))
        s.commit()


def _ids(frame: Any) -> list[int]:
    return [int(v) for v in frame["Mã"]]


# --- Việc chờ tôi xử lý -------------------------------------------------------------------------


def test_inbox_column_and_filter(world: World) -> None:
    t = world.tasks
    at = world.app_as("stc.vanthu", "pages/inbox.py")
    assert not at.exception
    assert by_label(at.multiselect, COLUMNS).options == ["Nguồn vốn"]  # the leaders' field is not offered
    by_label(at.multiselect, COLUMNS).select("nguon_von").run()
    frame = at.dataframe[0].value
    assert _ids(frame) == [t["a1"], t["b1"], t["b2"]]
    assert list(frame["Nguồn vốn"]) == ["ODA", "Ngân sách", "ODA"]
    assert "Ghi chú lãnh đạo" not in frame.columns
    assert at.query_params["columns"] == "nguon_von"
    by_label(at.selectbox, FILTER).select("nguon_von").run()
    by_label(at.selectbox, "Giá trị").select("ODA").run()
    assert not at.exception
    assert _ids(at.dataframe[0].value) == [t["a1"], t["b2"]]
    assert "2 trong 3 nhiệm vụ đang chờ bạn ở một bước xử lý. Chọn một dòng để mở và xử lý." in values(at.caption)
    assert (at.query_params["field"], at.query_params["value"]) == ("nguon_von", "ODA")


def test_inbox_from_a_link_drops_a_field_the_role_may_not_see(world: World) -> None:
    t = world.tasks
    link = {"columns": "ghi_chu_ld,nguon_von", "field": "nguon_von", "value": "Ngân sách"}
    at = world.app_as("stc.vanthu", "pages/inbox.py", link)
    assert not at.exception
    assert by_label(at.multiselect, COLUMNS).value == ["nguon_von"]
    frame = at.dataframe[0].value
    assert _ids(frame) == [t["b1"]] and list(frame.columns).count("Nguồn vốn") == 1
    assert "Ghi chú lãnh đạo" not in frame.columns
    # a value not in the list (a hand-edited link) is the list's first value, never an error
    at = world.app_as("stc.vanthu", "pages/inbox.py", {"field": "nguon_von", "value": "Vay"})
    assert by_label(at.selectbox, "Giá trị").value == "Ngân sách"
    # the leader sees the field (an empty inbox: nothing else to show)
    leader = world.app_as("stc.lanhdao", "pages/inbox.py")
    assert by_label(leader.multiselect, COLUMNS).options == ["Nguồn vốn", "Ghi chú lãnh đạo"]


def test_unit_tasks_from_a_link_same_rules(world: World) -> None:
    t = world.tasks
    link = {"columns": "ghi_chu_ld,nguon_von", "field": "nguon_von", "value": "ODA"}
    at = world.app_as("stc.vanthu", "pages/unit_tasks.py", link)
    assert not at.exception
    assert by_label(at.multiselect, COLUMNS).value == ["nguon_von"]
    frame = at.dataframe[0].value
    assert (_ids(frame), list(frame["Nguồn vốn"])) == ([t["a1"], t["b2"]], ["ODA", "ODA"])
    assert "Ghi chú lãnh đạo" not in frame.columns
    leader = world.app_as("stc.lanhdao", "pages/unit_tasks.py", link)
    assert list(leader.dataframe[0].value["Ghi chú lãnh đạo"]) == [SECRET, ""]


# --- Giám sát công việc -------------------------------------------------------------------------


def _monitor(world: World, username: str = "vp.theodoi", **query: str) -> AppTest:
    base = {"from": world.day(-60).isoformat(), "to": world.today.isoformat()}
    at = world.app_as(username, "pages/monitor.py", {**base, **query})
    assert not at.exception
    return at


def test_monitor_lists_column_and_filter(world: World) -> None:
    t = world.tasks
    at = _monitor(world, columns="nguon_von,ghi_chu_ld")
    overdue, drill = at.dataframe[1].value, at.dataframe[-1].value  # [0]: the official table
    assert _ids(overdue) == [t["a1"], t["d1"]]
    assert list(overdue["Nguồn vốn"]) == ["ODA", "Ngân sách"]
    assert list(overdue["Ghi chú lãnh đạo"]) == [SECRET, ""]  # as typed, in a cell that shows text
    assert dict(zip(_ids(drill), drill["Nguồn vốn"], strict=True))[t["b2"]] == "ODA"
    by_label(at.selectbox, FILTER).select("nguon_von").run()
    by_label(at.selectbox, "Giá trị").select("ODA").run()
    assert not at.exception
    assert _ids(at.dataframe[1].value) == [t["a1"]]  # the overdue list: d1 is Ngân sách
    assert sorted(_ids(at.dataframe[-1].value)) == sorted([t["a1"], t["b2"]])
    figure = next(c for c in values(at.caption) if "khớp bộ lọc trường tùy chỉnh" in c)
    assert figure.endswith("nhiệm vụ, 2 nhiệm vụ khớp bộ lọc trường tùy chỉnh")
    assert (at.query_params["field"], at.query_params["value"]) == ("nguon_von", "ODA")
    # the drill-down on Sở Y tế: only d1 there, and it is Ngân sách
    at = _monitor(world, field="nguon_von", value="Ngân sách", unit=str(_unit_id(world, "d1")))
    assert _ids(at.dataframe[-1].value) == [t["d1"]]


def test_monitor_a_unit_clerk_does_not_see_the_leaders_field(world: World) -> None:
    at = _monitor(world, "stc.vanthu", columns="ghi_chu_ld,nguon_von")
    assert by_label(at.multiselect, COLUMNS).options == ["Nguồn vốn"]
    assert by_label(at.multiselect, COLUMNS).value == ["nguon_von"]
    assert all("Ghi chú lãnh đạo" not in frame.value.columns for frame in at.dataframe)
    assert list(at.dataframe[1].value["Nguồn vốn"]) == ["ODA"]  # a1, Sở Tài chính's overdue task


def _unit_id(world: World, task: str) -> int:
    with world.session() as s:
        return s.exec(select(Task.lead_unit_id).where(Task.id == world.tasks[task])).one()


def test_monitor_looks_the_values_up_for_the_rows_shown_only(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ui.task_list.PER_PAGE_CHOICES", (2, 5, 100))
    asked: list[list[int]] = []
    real = ui.custom_fields.values_for_tasks

    def spy(**kwargs: Any) -> dict[int, dict[str, str]]:
        asked.append(list(kwargs["task_ids"]))
        return real(**kwargs)

    monkeypatch.setattr("ui.custom_fields.values_for_tasks", spy)
    at = _monitor(world, columns="nguon_von", per_page="2", overdue_per_page="2")
    overdue, drill = _ids(at.dataframe[1].value), _ids(at.dataframe[-1].value)
    assert len(drill) == 2 and at.dataframe[-1].value["Nguồn vốn"] is not None
    assert asked == [overdue, drill]  # a page each, never every task of the figure


def test_a_lists_csv_carries_the_columns_the_role_sees(world: World) -> None:
    """The file's columns (``file_columns``, read in the file's own session when "Tải CSV" is
    pressed): the values of every row of the file, a leaders-only field left out for the văn thư."""
    assert world.runtime is not None
    t = world.tasks
    clerk = world.actor("stc.vanthu")
    with world.session() as s:
        every = admin_fields_all_of(session=s)  # every field: the role's rule is the lookup's
        rows = list_unit_tasks(session=s, actor=clerk, today=world.today, due_soon_days=3)
        make = ui.custom_fields.file_columns(clerk, every)
        assert make is not None
        extra = make(s, rows)
    lines = list(csv.reader(io.StringIO(tasks_csv(rows, world.runtime.config, extra=extra).decode("utf-8-sig"))))
    assert lines[0][-1] == "Nguồn vốn" and "Ghi chú lãnh đạo" not in lines[0]
    assert {int(line[0]): line[-1] for line in lines[1:]} == {
        r.task_id: {t["a1"]: "ODA", t["b1"]: "Ngân sách", t["b2"]: "ODA"}.get(r.task_id, "") for r in rows
    }
