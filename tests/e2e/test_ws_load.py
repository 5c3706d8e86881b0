"""The websocket load client (``scripts/ws_load.py``) against a real server on fresh demo data.

The client is only worth its figures if it really runs the page as the logged-in user: so the
deltas of a run must hold the page's title, the tracker's name from the sidebar and a figure of
the dashboard, and a page the server does not have, or a wrong password, must show as errors.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from demo.seed import seed_demo
from services.infra.clock import local_date, now_utc
from services.infra.settings import ROOT
from services.runtime import Runtime
from tests.server import running_server

# As scripts/bench.py sees it (its own directory first on sys.path): the module is ``ws_load``.
sys.path.insert(0, str(ROOT / "scripts"))
from ws_load import LoadError, load, main

pytestmark = pytest.mark.e2e

TRACKER = "vp.theodoi"
TRACKER_NAME = "Nguyễn Thị Thu Hà"  # demo/seed.py
DEMO_PASSWORD = "giaoviec2026"  # demo/seed.py
PAGE = "giam-sat"
TITLE = "Giám sát công việc"


@pytest.fixture(scope="module")
def demo_server(app_env: dict[str, str], backend: Runtime) -> Iterator[str]:
    """The demo data (``make seed``'s ``seed_demo``, in this process: no second start-up) in the
    module's temporary database, then the server on it."""
    with Session(backend.engine) as session:
        assert seed_demo(session=session, config=backend.config, today=local_date(now_utc())) > 0
    with running_server(app_env, Path(app_env["GIAOVIEC_DATA_DIR"]) / "server.log") as base_url:
        yield base_url


def test_sessions_run_the_page_as_the_tracker(demo_server: str) -> None:
    result = load(demo_server, user=TRACKER, password=DEMO_PASSWORD, page=PAGE, sessions=[1, 3], runs=2)

    assert [level.sessions for level in result.levels] == [1, 3]
    # Not even the server's very first run answers page_not_found (asgi.py turns off Streamlit's
    # pages/-folder mode before the first session).
    assert result.levels[0].warnings == 0 and result.levels[1].warnings == 0
    for level in result.levels:
        assert level.errors == 0, level.first_errors
        assert level.completed == level.sessions * 2
        assert len(level.latencies_s) == level.completed
        assert min(level.latencies_s) > 0
        assert level.runs_per_s > 0
        assert level.p95_s >= level.p50_s > 0
        assert level.bytes_per_run > 1000
        assert level.server_rss_bytes is not None and level.server_rss_bytes > 0
        texts = "\n".join(level.texts)
        assert TITLE in level.texts
        assert TRACKER_NAME in texts  # the sidebar: the run was the tracker's, not the login page
        assert "Tổng số nhiệm vụ" in level.texts  # the dashboard's first metric
        assert "Biểu thống kê theo đơn vị" in level.texts
    assert "runs/s" in result.table()


def test_a_page_the_server_does_not_have_counts_as_errors(demo_server: str) -> None:
    result = load(demo_server, user=TRACKER, password=DEMO_PASSWORD, page="khong-co-trang-nay", sessions=1, runs=1)

    level = result.levels[0]
    assert level.completed == 0
    assert level.errors == 1
    assert level.error_kinds == {"wrong page": 1}  # the server fell back to the tracker's main page
    assert level.first_error is not None and "khong-co-trang-nay" in level.first_error


def test_wrong_password_fails_with_a_clear_message(demo_server: str) -> None:
    with pytest.raises(LoadError, match="wrong user name or password"):
        load(demo_server, user=TRACKER, password="not-the-password", page=PAGE, sessions=1, runs=1)


def test_command_line_prints_one_line_per_level(demo_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--url", demo_server, "--user", TRACKER, "--password", DEMO_PASSWORD, "--sessions", "1,2", "--runs", "1"]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert "sessions" in lines[1] and "p95 ms" in lines[1]
    assert [line.split()[0] for line in lines[2:4]] == ["1", "2"]
