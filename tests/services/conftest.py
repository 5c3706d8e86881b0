"""Speed-ups for the service tests only; what the tests see is unchanged.

* ``runtime``: the real ``start()`` (config validated, Alembic migration, org sync) runs once per
  test session into a template SQLite file; each test gets a byte copy of it in its own
  ``tmp_path``, the same settings as ``tests/conftest.py`` (secret "test-secret") and its own
  engine from ``services.infra.database.make_engine`` (WAL, foreign keys on). This overrides the
  fixture of ``tests/conftest.py`` for ``tests/services`` only. ``test_statistics.py`` goes one
  step further: it builds its March history (about a hundred workflow steps) once into a copy
  of the template and gives each test a byte copy of that (``support.runtime_on_copy``).
* ``actors``: the seven accounts of ``tests/conftest.py``'s ``actors`` fixture (same usernames,
  names, roles, units, password, creation order and so ids) are created once into a second
  template; a test that uses ``actors`` gets a copy of that one and its ``actors`` are looked up
  there instead of being created again (about 60 ms saved per test).
* Users created by fixtures get a cheap argon2 hash: ``services.access.accounts.create_user`` normally
  hashes at production cost (~0.2 s per user) and the fixtures create several users per test.
  Verification is unchanged (``services.access.auth.verify_password`` reads the cost from the hash),
  and ``services.access.auth.hash_password`` keeps its production parameters for the auth tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import Role, User
from services.access.permissions import Actor, build_actor
from services.infra.settings import ROOT, Settings
from services.runtime import Runtime, start
from tests import postgres_server
from tests.conftest import FINANCE, OFFICE, PLEIKU
from tests.services.support import FAST_HASHER, SECRET, database_handle, make_actor, release, runtime_on_copy

# `make test` runs this suite twice: on SQLite, then with GIAOVIEC_TEST_BACKEND=postgresql on a
# throwaway PostgreSQL server of its own (tests/postgres_server.py).
BACKEND = os.environ.get("GIAOVIEC_TEST_BACKEND", "sqlite")

# The fixtures through which a test reaches the database (``runtime`` and all built on it, the
# server itself). A test that asks for none of them (a text rule, a password policy, a config
# check) gives the same answer on either backend: the PostgreSQL pass leaves it to the SQLite pass.
_DATABASE_FIXTURES = frozenset({"runtime", "_database_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND != "postgresql":
        return
    kept, same = [], []
    for item in items:
        (kept if _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())) else same).append(item)
    if same:
        config.hook.pytest_deselected(items=same)
        items[:] = kept


# tests/conftest.py's ``actors``, in its order: key, username, role, unit
ACTORS: tuple[tuple[str, str, Role, str], ...] = (
    ("tracker", "vp.theodoi", Role.TRACKER, OFFICE),
    ("office_leader", "vp.lanhdao", Role.LEADER, OFFICE),
    ("clerk", "stc.vanthu", Role.CLERK, FINANCE),
    ("leader", "stc.lanhdao", Role.LEADER, FINANCE),
    ("specialist", "stc.chuyenvien", Role.SPECIALIST, FINANCE),
    ("other_leader", "pleiku.lanhdao", Role.LEADER, PLEIKU),
    ("admin", "admin", Role.ADMIN, "000.00.11.H21"),
)


@pytest.fixture(autouse=True)
def _fast_account_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.access.accounts.hash_password", FAST_HASHER.hash)


@pytest.fixture(scope="session")
def _database_server() -> Iterator[postgres_server.PostgresServer | None]:
    """This process's PostgreSQL server when the run is on PostgreSQL, else None."""
    if BACKEND != "postgresql":
        yield None
        return
    server = postgres_server.start_server()
    postgres_server.set_current(server)
    yield server
    postgres_server.set_current(None)
    server.stop()


@pytest.fixture(scope="session")
def _template_runtime(
    tmp_path_factory: pytest.TempPathFactory, _database_server: postgres_server.PostgresServer | None
) -> Iterator[tuple[Runtime, Path | str]]:
    """One real start-up: validated config and a migrated, synchronised database (an SQLite
    file, or a PostgreSQL database that the tests' databases are created from)."""
    folder = tmp_path_factory.mktemp("template")
    settings = Settings(data_dir=folder, config_dir=ROOT / "config", secret_key=SECRET)
    if _database_server is None:
        url = f"sqlite:///{folder / 'template.db'}"
    else:
        url = _database_server.url(_database_server.create_database())
    template = start(settings=settings, database_url=url)
    template.engine.dispose()  # last connection closed: the WAL is checkpointed / the template is free
    yield template, database_handle(template)


@pytest.fixture(scope="session")
def _actors_database(
    tmp_path_factory: pytest.TempPathFactory, _template_runtime: tuple[Runtime, Path | str]
) -> Path | str:
    """The template plus the seven ``actors`` accounts."""
    template, database = _template_runtime
    built = runtime_on_copy(database, tmp_path_factory.mktemp("actors"), template)
    with pytest.MonkeyPatch.context() as patch, Session(built.engine, expire_on_commit=False) as session:
        patch.setattr("services.access.accounts.hash_password", FAST_HASHER.hash)
        for _, username, role, unit_code in ACTORS:
            make_actor(built, session, username, role, unit_code)
    built.engine.dispose()
    return database_handle(built)


@pytest.fixture
def runtime(
    request: pytest.FixtureRequest, tmp_path: Path, _template_runtime: tuple[Runtime, Path | str]
) -> Iterator[Runtime]:
    template, database = _template_runtime
    if "actors" in request.fixturenames:
        database = request.getfixturevalue("_actors_database")
    runtime = runtime_on_copy(database, tmp_path, template)
    yield runtime
    release(runtime)


@pytest.fixture
def actors(runtime: Runtime, session: Session) -> dict[str, Actor]:
    """Overrides ``tests/conftest.py``'s ``actors``: the same accounts, already in the database."""
    found: dict[str, Actor] = {}
    for key, username, _, _ in ACTORS:
        user = session.exec(select(User).where(User.username == username)).one()
        actor = build_actor(session=session, config=runtime.config, user_id=user.id or 0)
        assert actor is not None
        found[key] = actor
    return found
