"""Shared fixtures: a real SQLite file per test, migrated by Alembic, with the shipped config.

``runtime`` gives engine + config; ``actors`` gives one Actor per demo role; ``make_user``
creates more. Dates are explicit (``now=`` on every service call) so tests never depend on
the clock.
"""

from __future__ import annotations

import os

# As asgi.py does for the server: Arrow's buffers from the C library's allocator (AppTest runs the
# pages in threads of this process too).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlmodel import Session

from models import Role
from services.access.accounts import create_user
from services.access.permissions import Actor, build_actor
from services.infra.settings import ROOT, Settings
from services.runtime import Runtime, start

FINANCE = "000.00.05.H21"  # Sở Tài chính
PLEIKU = "000.00.31.H21"  # UBND TP Pleiku
HEALTH = "000.00.16.H21"  # Sở Y tế
OFFICE = "000.00.01.H21"  # VP UBND tỉnh
PASSWORD = "mat-khau-test"

# `make test` (and CI) draws the same examples on every run, so a red build always means a change
# in the code, never luck. `make hunt` draws fresh random examples, many more of them, to look for
# new failures; a failure it finds is kept as a plain test (see tests/properties/).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
hypothesis_settings.register_profile("hunt", derandomize=False, database=None)
hypothesis_settings.load_profile(os.environ.get("GIAOVIEC_HYPOTHESIS_PROFILE", "ci"))


def at(day: date, hour: int = 9) -> datetime:
    """A moment on ``day`` in Vietnam time, as UTC."""
    return datetime.combine(day, time(hour), tzinfo=timezone(timedelta(hours=7))).astimezone(UTC)


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    settings = Settings(data_dir=tmp_path, config_dir=ROOT / "config", secret_key="test-secret")
    return start(settings=settings, database_url=f"sqlite:///{tmp_path / 'test.db'}")


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with Session(runtime.engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def make_user(runtime: Runtime, session: Session) -> Callable[[str, Role, str], Actor]:
    def _make(username: str, role: Role, unit_code: str) -> Actor:
        user = create_user(
            session=session,
            username=username,
            full_name=username.title(),
            password=PASSWORD,
            role=role,
            unit_code=unit_code,
        )
        assert user.id is not None
        actor = build_actor(session=session, config=runtime.config, user_id=user.id)
        assert actor is not None
        return actor

    return _make


@pytest.fixture
def actors(make_user: Callable[[str, Role, str], Actor]) -> dict[str, Actor]:
    """tracker/leader at VP UBND; clerk/leader/specialist at Sở Tài chính; leader at Pleiku; admin."""
    return {
        "tracker": make_user("vp.theodoi", Role.TRACKER, OFFICE),
        "office_leader": make_user("vp.lanhdao", Role.LEADER, OFFICE),
        "clerk": make_user("stc.vanthu", Role.CLERK, FINANCE),
        "leader": make_user("stc.lanhdao", Role.LEADER, FINANCE),
        "specialist": make_user("stc.chuyenvien", Role.SPECIALIST, FINANCE),
        "other_leader": make_user("pleiku.lanhdao", Role.LEADER, PLEIKU),
        "admin": make_user("admin", Role.ADMIN, "000.00.11.H21"),
    }


# The longest files first: `make test` hands whole files to its two workers in collection order
# (`--no-loadscope-reorder`: by default xdist sorts the files by their number of tests instead),
# so a long browser file collected last would run alone at the end while the other worker waits.
# Longest first (seconds on this machine, roughly) keeps both busy to the end; the order of the
# tests inside a file is kept.
_LONG_FIRST = (
    "tests/e2e/test_routing_cases.py",
    "tests/e2e/test_vietnamese_only.py",
    "tests/e2e/test_task_loop.py",
    "tests/e2e/test_two_processes.py",
    "tests/e2e/test_monitor_many_units.py",
    "tests/e2e/test_admin_units.py",
    "tests/properties/test_not_found_first.py",
    "tests/properties/test_api_matrix.py",
    "tests/properties/test_state_machine.py",
    "tests/properties/test_permission_matrix.py",
    "tests/services/test_unit_task_list.py",  # the longest of the PostgreSQL pass
    "tests/services/test_span_figures_property.py",
)
_PART_ORDER = ("tests/e2e/", "tests/properties/", "tests/api/", "tests/pages/")


def _run_order(item: pytest.Item) -> tuple[int, int]:
    path = item.nodeid.split("::", 1)[0]
    if path in _LONG_FIRST:
        return 0, _LONG_FIRST.index(path)
    part = next((i for i, prefix in enumerate(_PART_ORDER) if path.startswith(prefix)), len(_PART_ORDER))
    return 1, part


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_run_order)  # stable: a file's tests stay together and in their order
