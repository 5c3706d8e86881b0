"""The production layout: two app processes behind nginx (``scripts/serve.py``), in a real browser.

A throwaway PostgreSQL server gets the demo data (``manage.py seed-demo``, which migrates first);
``scripts/serve.py --processes 2`` starts on free ports and writes where everything listens into
``serve.json``. Then:

(a) through nginx: the login form, Giám sát công việc with its table, and a reload that keeps the
    login. Every figure arrives over the websocket, so the page proves the upgrade is proxied;
    the login proves every process accepts the cookie (the login POST and the requests after it
    may reach different processes: the cookie is the sticky key);
(b) process 2 (its own port) shows Giám sát, which caches the official table under the current
    data version; VP UBND's tracker confirms a reply through process 1's JSON API; the next page
    run of process 2 shows the new figures: one more done on time, one fewer open on time and
    awaiting confirmation, each asserted exactly against process 1's /api/v1/statistics;
(c) SIGTERM to serve.py: it exits 0 and nothing listens any more on nginx's port or the app ports;
    and a process that dies makes serve.py stop everything else and exit 1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from models import Role, User
from services.access.permissions import build_actor
from services.access.tokens import create_token
from services.infra.settings import Settings
from services.runtime import start
from tests.postgres_server import PostgresServer, start_server
from tests.server import free_block, listening

from .accounts import Account
from .ui import login, metric, open_page, settle, shot, sidebar, vn_today, wait_clear_of_midnight

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(Path(sys.executable))
START_TIMEOUT_S = 90.0
TIMEOUT_MS = 20_000  # as in conftest.py (not imported: mypy would check that file too)
MONITOR = "Giám sát công việc"
_tracker = next(a for a in DEMO_ACCOUNTS if a.role is Role.TRACKER)
TRACKER = Account(_tracker.username, _tracker.full_name, "tracker", "", DEMO_PASSWORD)
# The metrics of Giám sát and the field of /api/v1/statistics' total row each one shows.
FIGURES = {
    "Tổng số nhiệm vụ": "tasks",
    "Hoàn thành đúng hạn": "done_on_time",
    "Hoàn thành trễ hạn": "done_late",
    "Đang thực hiện trong hạn": "open_on_time",
    "Đang thực hiện quá hạn": "open_overdue",
    "Đã trả lời, chờ xác nhận": "awaiting_confirmation",
}


@dataclass(frozen=True)
class Demo:
    """The seeded database: the environment that points the app at it, and a tracker's API token."""

    env: dict[str, str]
    token: str
    folder: Path


@dataclass
class Served:
    """A running ``scripts/serve.py``: its process, nginx's URL and each app process's URL and pid."""

    proc: subprocess.Popen[bytes]
    url: str
    apps: list[dict[str, Any]]
    nginx_pid: int
    ports: list[int]
    log: Path
    run_dir: Path


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """A migrated database with the demo data, and an API token of VP UBND's tracker.

    No ``GIAOVIEC_SECRET_KEY``: serve.py must give both processes the one key file itself."""
    folder = tmp_path_factory.mktemp("giaoviec-serve")
    url = postgres.url(postgres.create_database())
    env = {k: v for k, v in os.environ.items() if k not in ("GIAOVIEC_DATABASE_URL", "GIAOVIEC_SECRET_KEY")}
    env.update(DATABASE_URL=url, GIAOVIEC_DATA_DIR=str(folder / "data"), PYTHONUNBUFFERED="1")
    seeded = subprocess.run(
        [PYTHON, "manage.py", "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert seeded.returncode == 0, f"seed-demo failed:\n{seeded.stdout}\n{seeded.stderr}"

    runtime = start(settings=Settings(data_dir=folder / "data", config_dir=ROOT / "config"), database_url=url)
    try:
        with Session(runtime.engine) as session:
            user = session.exec(select(User).where(User.username == TRACKER.username)).one()
            assert user.id is not None
            actor = build_actor(session=session, config=runtime.config, user_id=user.id)
            assert actor is not None
            _, secret = create_token(
                session=session, actor=actor, owner_user_id=user.id, name="test hai tiến trình", expires_at=None
            )
    finally:
        runtime.engine.dispose()
    return Demo(env=env, token=secret, folder=folder)


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@contextmanager
def serving(demo: Demo, name: str, processes: int = 2) -> Iterator[Served]:
    """``scripts/serve.py --processes N`` on a free block of ports, until ``serve.json`` says ready.

    Whatever the test did, the process and its children are gone afterwards."""
    # Not under pytest's temporary directory: run as root, nginx's workers (nobody) must be able to
    # enter the runtime directory, and pytest's is private to root.
    run_dir = Path(tempfile.mkdtemp(prefix=f"giaoviec-serve-{name}-"))
    run_dir.chmod(0o755)
    log = demo.folder / f"serve-{name}.log"

    def launch() -> tuple[subprocess.Popen[bytes], int]:
        port = free_block(1 + processes)
        command = [PYTHON, "scripts/serve.py", "--processes", str(processes), "--port", str(port), "--allow-demo"]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*command, "--runtime-dir", str(run_dir)], cwd=ROOT, env=demo.env, stdout=out, stderr=subprocess.STDOUT
            )
        return proc, port

    proc, port = launch()
    state_file = run_dir / "serve.json"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        retries = 2  # another test may take one of the free ports before serve.py binds it
        while not state_file.exists():
            if proc.poll() is not None and retries and "đang được dùng" in log.read_text(encoding="utf-8"):
                retries -= 1
                proc, port = launch()
                continue
            assert proc.poll() is None, f"serve.py exited with {proc.returncode}:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"serve.py not ready after {START_TIMEOUT_S:.0f} s:\n{log.read_text()}"
            time.sleep(0.2)
        state = json.loads(state_file.read_text(encoding="utf-8"))
        apps = state["processes"]
        yield Served(
            proc=proc,
            url=state["url"],
            apps=apps,
            nginx_pid=int(state["nginx_pid"]),
            ports=[port, *(int(a["port"]) for a in apps)],
            log=log,
            run_dir=run_dir,
        )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(run_dir, ignore_errors=True)


def api(base_url: str, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One JSON API call with the tracker's token (a POST when there is a body)."""
    request = urllib.request.Request(
        f"{base_url}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def statistics_total(base_url: str, token: str, today: date) -> dict[str, int]:
    """The total row of the official table for Giám sát's default period (1 January – today)."""
    report = api(base_url, token, f"/statistics?from={today.year}-01-01&to={today.isoformat()}")
    assert (report["from"], report["to"]) == (f"{today.year}-01-01", today.isoformat())
    return {key: int(report["total"][key]) for key in FIGURES.values()}


def expect_figures(page: Page, total: dict[str, int]) -> None:
    for label, key in FIGURES.items():
        expect(metric(page, label)).to_have_text(str(total[key]))


def new_page(browser: Browser, base_url: str) -> tuple[BrowserContext, Page]:
    """A fresh browser profile (no cookies) on ``base_url``, as in the other browser tests."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def monitor_through_nginx(browser: Browser, served: Served, screenshots: Path) -> None:
    """(a) login, Giám sát with its table, and a reload that keeps the login, all through nginx."""
    context, page = new_page(browser, served.url)
    try:
        # Not a deep link to /giam-sat: as the first session of a fresh process, it shows Streamlit's
        # "Page not found" dialog over the right page (also without nginx; see docs/deploy.md).
        login(page, TRACKER)
        open_page(page, MONITOR)
        table = page.get_by_test_id("stTable").locator("table")
        expect(table.locator("tbody tr").last).to_contain_text("Tổng cộng")
        assert table.locator("tbody tr").count() > 2  # units with tasks, then the total
        page.reload()
        expect(sidebar(page).get_by_text(TRACKER.name)).to_be_visible()
        expect(page.get_by_role("heading", name=MONITOR, level=1)).to_be_visible()
        expect(table.locator("tbody tr").last).to_contain_text("Tổng cộng")
        shot(page, screenshots / "giam-sat-nginx.png")
    finally:
        context.close()
    # Sticky: from the login on, every request of this browser (pages, assets, the websocket) went
    # to one process. nginx's access log names the process of each request (upstream=…).
    lines = (served.run_dir / "access.log").read_text(encoding="utf-8").splitlines()
    login_at = max(i for i, line in enumerate(lines) if '"POST /auth/login ' in line)
    after = [line for line in lines[login_at + 1 :] if "/_stcore/health" not in line]
    assert any('"GET /_stcore/stream ' in line and " 101 " in line for line in after), after
    upstreams = {line.rsplit("upstream=", 1)[1].split()[0] for line in after}
    assert len(upstreams) == 1 and upstreams <= {f"127.0.0.1:{p}" for p in served.ports[1:]}, upstreams


def change_shows_on_other_process(browser: Browser, served: Served, token: str, today: date) -> None:
    """(b) a confirmation through process 1 is on process 2's next page run."""
    first, second = (str(a["url"]) for a in served.apps)
    before = statistics_total(first, token, today)
    assert before["awaiting_confirmation"] > 0, before

    context, page = new_page(browser, second)
    try:
        login(page, TRACKER)
        open_page(page, MONITOR)
        expect_figures(page, before)  # computed by process 2, now cached under this data version

        # A reply sent in time and waiting for VP UBND: open on time until confirmed.
        waiting = api(
            first,
            token,
            f"/tasks?status=replied&class=open_on_time&from={today.year}-01-01&to={today.isoformat()}&per_page=1",
        )
        assert waiting["total"] > 0, waiting
        task_id = int(waiting["items"][0]["id"])
        result = api(first, token, f"/tasks/{task_id}/actions/confirm", {"outcome": "done"})
        assert result["task"]["status"] == "done", result

        after = dict(before)
        after["done_on_time"] += 1
        after["open_on_time"] -= 1
        after["awaiting_confirmation"] -= 1
        assert statistics_total(first, token, today) == after

        # The next page run of the same session on process 2 ("Xem thống kê" reruns the page).
        page.get_by_role("button", name="Xem thống kê").click()
        settle(page)
        expect_figures(page, after)
    finally:
        context.close()


def stops_everything(served: Served) -> None:
    """(c) SIGTERM: exit 0, no process left, no port still listening."""
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=20) == 0, served.log.read_text()
    assert [p for p in served.ports if listening(p)] == []
    pids = [served.nginx_pid, *(int(a["pid"]) for a in served.apps)]
    assert [p for p in pids if alive(p)] == []
    assert "Đã dừng." in served.log.read_text()


def test_two_processes_behind_nginx(browser: Browser, demo: Demo, screenshots: Path) -> None:
    wait_clear_of_midnight()
    today = vn_today()
    with serving(demo, "main") as served:
        assert len(served.apps) == 2
        assert served.ports[1:] == [served.ports[0] + 1, served.ports[0] + 2]  # consecutive internal ports
        monitor_through_nginx(browser, served, screenshots)
        change_shows_on_other_process(browser, served, demo.token, today)
        stops_everything(served)


def test_a_dead_process_stops_everything(demo: Demo) -> None:
    """An app process killed outright: serve.py says so, stops nginx (and any other), exits 1.

    One process is enough for the path and starts faster than two."""
    with serving(demo, "crash", processes=1) as served:
        victim = int(served.apps[0]["pid"])
        os.kill(victim, signal.SIGKILL)
        assert served.proc.wait(timeout=20) == 1
        log = served.log.read_text()
        assert "tiến trình 1" in log and "đã dừng bất thường" in log, log
        assert [p for p in served.ports if listening(p)] == []
        assert not alive(served.nginx_pid)
