"""No traceback ever reaches a user: hand-edited URLs and unexpected errors (README "Bad input").

A number in a URL is 1 to 9 ASCII digits; anything else ("²", which ``str.isdigit`` accepts, or
twenty digits, which overflow a database integer) shows a Vietnamese message or the default. An
unexpected exception anywhere in a page becomes "Đã có lỗi không mong muốn. Mã sự cố: …" with an
8-hex-digit id, and the full trace is logged under that id; Streamlit's own st.stop / st.rerun /
st.switch_page still work.
"""

from __future__ import annotations

import logging
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import World, values
from ui.errors import INCIDENT_MESSAGE
from ui.url_state import parse_url_date, url_int

WORLD_USERS = ["vp.theodoi", "stc.vanthu"]
DETAIL = "pages/task_detail.py"
CONFIRM = "pages/confirm.py"
BAD_ID = "Đường dẫn không đúng: mã nhiệm vụ phải là một số. Hãy mở nhiệm vụ từ danh sách."
INCIDENT = re.compile(
    re.escape(INCIDENT_MESSAGE).replace(re.escape("{incident}"), "(?P<id>[0-9a-f]{8})")
)


def _page(world: World, username: str, page: str, query: dict[str, str]) -> AppTest:
    at = world.app_as(username, page, query)
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("12", 12),
        ("999999999", 999999999),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: int() takes them
        ("1_000", None),  # so does this
        (" 12", None),
        ("+12", None),
        ("-1", None),
        ("1e3", None),
        ("99999999999999999999", None),
        ("", None),
        (None, None),
    ],
)
def test_url_numbers_are_ascii_digits_only(raw: str | None, number: int | None) -> None:
    assert url_int(raw) == number


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "2026-1-1", "20260101", "２０２６-01-01", "x"])
def test_url_dates_outside_the_plain_form_or_range_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_url_date(raw)


@pytest.mark.parametrize("raw", ["²", "99999999999999999999", "12a", "-1", "١٢"])
def test_task_page_with_a_bad_id_says_so(world: World, raw: str) -> None:
    at = _page(world, "stc.vanthu", DETAIL, {"id": raw})
    assert values(at.title) == ["Chi tiết nhiệm vụ"]
    assert values(at.warning) == [BAD_ID]
    assert values(at.error) == []


def test_task_page_without_id_asks_to_choose(world: World) -> None:
    at = _page(world, "stc.vanthu", DETAIL, {})
    assert values(at.warning) == ["Chưa chọn nhiệm vụ. Hãy mở nhiệm vụ từ danh sách."]


def test_task_page_with_an_unknown_id_is_not_found(world: World) -> None:
    at = _page(world, "stc.vanthu", DETAIL, {"id": "999999999"})
    assert values(at.error) == ["Không tìm thấy nhiệm vụ #999999999 hoặc bạn không có quyền xem."]


@pytest.mark.parametrize("raw", ["²", "99999999999999999999", "abc"])
def test_confirm_page_with_a_bad_task_shows_the_first(world: World, raw: str) -> None:
    at = _page(world, "vp.theodoi", CONFIRM, {"task": raw})
    assert values(at.error) == []
    (choice,) = [s for s in at.selectbox if s.label == "Nhiệm vụ cần xác nhận"]
    assert choice.index == 0


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("pages/unit_tasks.py", {"unit": "²"}),
        ("pages/unit_tasks.py", {"unit": "99999999999999999999"}),
        ("pages/monitor.py", {"page": "99999999999999999999", "per_page": "٥٠", "unit": "²"}),
        ("pages/monitor.py", {"overdue_page": "²", "overdue_per_page": "-50"}),
        ("pages/monitor.py", {"from": "0001-01-01", "to": "9999-12-31"}),
    ],
)
def test_list_pages_with_bad_parameters_use_the_defaults(world: World, page: str, query: dict[str, str]) -> None:
    at = _page(world, "vp.theodoi", page, query)
    assert values(at.error) == []


def test_an_unexpected_error_shows_an_incident_id_and_logs_the_trace(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A service raising something no page expects: the page shows the incident message, no
    exception element (no traceback), and the log has the id with the full trace."""

    def broken(**_: object) -> object:
        raise RuntimeError("hỏng ở tầng dịch vụ: chi tiết nội bộ")

    monkeypatch.setattr("services.tasks.queries.get_task_detail", broken)
    caplog.set_level(logging.ERROR, logger="giaoviec.incident")
    at = _page(world, "stc.vanthu", DETAIL, {"id": str(world.tasks["b1"])})
    assert not at.exception
    (message,) = values(at.error)
    match = INCIDENT.fullmatch(message)
    assert match is not None, message
    assert "hỏng ở tầng dịch vụ" not in str(at)  # nothing of the error itself reaches the page
    (record,) = [r for r in caplog.records if r.name == "giaoviec.incident"]
    assert match["id"] in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "hỏng ở tầng dịch vụ" in caplog.text and "Traceback" in caplog.text


def test_each_incident_gets_its_own_id(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**_: object) -> object:
        raise ZeroDivisionError

    monkeypatch.setattr("services.tasks.queries.get_task_detail", broken)
    caplog.set_level(logging.ERROR, logger="giaoviec.incident")
    ids = set()
    for _ in range(2):
        at = _page(world, "stc.vanthu", DETAIL, {"id": str(world.tasks["b1"])})
        match = INCIDENT.fullmatch(values(at.error)[0])
        assert match is not None
        ids.add(match["id"])
    assert len(ids) == 2


def test_streamlit_control_flow_is_not_an_incident(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """st.stop (a bad id), st.switch_page (the home page's redirect, a row chosen in a list) and
    st.rerun are Streamlit's own: they pass through, and nothing is logged as an incident."""
    caplog.set_level(logging.ERROR, logger="giaoviec.incident")
    at = world.app_as("stc.vanthu")  # "/" switches to the unit's work list
    assert not at.exception and values(at.error) == []
    _page(world, "stc.vanthu", DETAIL, {"id": "²"})  # st.stop
    assert [r for r in caplog.records if r.name == "giaoviec.incident"] == []


def _reported_through_the_server_hook() -> None:
    """What Streamlit does with ``st.App(on_script_error=…)`` (asgi.py) for an error run_page
    cannot catch (a widget callback, a fragment's own rerun); then run_page meets the same error
    again (a fragment's error re-raised in a full run)."""
    import streamlit as st

    from ui.errors import on_script_error, run_page

    error = RuntimeError("lỗi trong một fragment")
    st.session_state["suppressed"] = on_script_error(error)

    def page() -> None:
        raise error

    run_page(page)


def test_an_error_seen_by_the_server_hook_is_one_incident(caplog: pytest.LogCaptureFixture) -> None:
    import asgi
    from ui.errors import on_script_error

    caplog.set_level(logging.ERROR, logger="giaoviec.incident")
    at = AppTest.from_function(_reported_through_the_server_hook).run()
    assert not at.exception
    assert at.session_state["suppressed"] is True  # Streamlit draws nothing of its own
    (message,) = values(at.error)  # one message, not one per report
    assert INCIDENT.fullmatch(message) is not None
    assert len([r for r in caplog.records if r.name == "giaoviec.incident"]) == 1
    assert asgi.app._on_script_error is on_script_error  # the server really has the hook
