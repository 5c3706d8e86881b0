"""Fixtures of the property tests: one migrated template database with staff in every unit.

The real ``start()`` (config validated, Alembic migration, org sync) runs once per test session
into a template SQLite file, and every unit gets a clerk, a leader, two specialists, two trackers
and an admin (cheap argon2 hash; ``create_user`` is otherwise unchanged). Tests copy the file
(``fresh_database``) so each prepared state starts from the same bytes. The template is also
reachable without pytest fixtures (``template()``), because a hypothesis state machine builds
its database in ``__init__``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from unittest import mock

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import OrgUnit, Role, User
from services.access.accounts import create_user
from services.config.loader import AppConfig
from services.infra.database import make_engine
from services.infra.settings import ROOT, Settings
from services.runtime import start

_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "mat-khau-test"

# (label, role): the staff every unit gets; the "2" ones are "same role, not the assignee".
STAFF: tuple[tuple[str, Role], ...] = (
    ("clerk", Role.CLERK),
    ("leader", Role.LEADER),
    ("specialist", Role.SPECIALIST),
    ("specialist2", Role.SPECIALIST),
    ("tracker", Role.TRACKER),
    ("tracker2", Role.TRACKER),
    ("admin", Role.ADMIN),
)


def username(label: str, unit_code: str) -> str:
    return f"{label}.{unit_code}".lower()


@dataclass(frozen=True)
class Template:
    config: AppConfig
    path: Path
    folder: Path
    unit_ids: dict[str, int]  # unit code -> id
    user_ids: dict[tuple[str, str], int]  # (label, unit code) -> user id


@lru_cache(maxsize=1)
def template() -> Template:
    folder = Path(tempfile.mkdtemp(prefix="giaoviec-properties-"))
    atexit.register(shutil.rmtree, folder, True)
    database = folder / "template.db"
    settings = Settings(data_dir=folder, config_dir=ROOT / "config", secret_key="test-secret")
    runtime = start(settings=settings, database_url=f"sqlite:///{database}")
    with (
        mock.patch("services.access.accounts.hash_password", _FAST.hash),
        Session(runtime.engine, expire_on_commit=False) as session,
    ):
        units = list(session.exec(select(OrgUnit)).all())
        for unit in units:
            for label, role in STAFF:
                create_user(
                    session=session,
                    username=username(label, unit.code),
                    full_name=f"{label} {unit.short_name}",
                    password=PASSWORD,
                    role=role,
                    unit_code=unit.code,
                )
        unit_ids = {u.code: u.id for u in units if u.id is not None}
        codes = {u.id: u.code for u in units}
        user_ids = {
            (user.username.split(".", 1)[0], codes[user.unit_id]): user.id
            for user in session.exec(select(User)).all()
            if user.id is not None
        }
    runtime.engine.dispose()  # last connection closed: the WAL is checkpointed into the file
    return Template(config=runtime.config, path=database, folder=folder, unit_ids=unit_ids, user_ids=user_ids)


def fresh_database(target: Path, source: Path | None = None) -> Engine:
    """A byte copy of ``source`` (default: the template) at ``target``, with its own engine."""
    shutil.copyfile(source or template().path, target)
    return make_engine(f"sqlite:///{target}")


@pytest.fixture
def template_session(tmp_path: Path) -> Iterator[Session]:
    """A session on a fresh copy of the template (staff in every unit, no task yet)."""
    engine = fresh_database(tmp_path / "test.db")
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()
