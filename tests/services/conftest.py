"""Speed-ups for the service tests only; what the tests see is unchanged.

* ``runtime``: the real ``start()`` (config validated, Alembic migration, org sync) runs once per
  test session into a template SQLite file; each test gets a byte copy of it in its own
  ``tmp_path``, the same settings as ``tests/conftest.py`` (secret "test-secret") and its own
  engine from ``services.database.make_engine`` (WAL, foreign keys on). This overrides the
  fixture of ``tests/conftest.py`` for ``tests/services`` only; deleting it changes no result,
  the suite just runs about twice as slowly.
* Users created by fixtures get a cheap argon2 hash: ``services.accounts.create_user`` normally
  hashes at production cost (~0.2 s per user) and the fixtures create several users per test.
  Verification is unchanged (``services.auth.verify_password`` reads the cost from the hash),
  and ``services.auth.hash_password`` keeps its production parameters for the auth tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from services.bootstrap import Runtime, start
from services.database import make_engine
from services.settings import ROOT, Settings

_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_SECRET = "test-secret"


@pytest.fixture(autouse=True)
def _fast_account_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.accounts.hash_password", _FAST.hash)


@pytest.fixture(scope="session")
def _template_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Path]]:
    """One real start-up: validated config and a migrated, synchronised database file."""
    folder = tmp_path_factory.mktemp("template")
    database = folder / "template.db"
    settings = Settings(data_dir=folder, config_dir=ROOT / "config", secret_key=_SECRET)
    template = start(settings=settings, database_url=f"sqlite:///{database}")
    template.engine.dispose()  # last connection closed: the WAL is checkpointed into the file
    yield template, database


@pytest.fixture
def runtime(tmp_path: Path, _template_runtime: tuple[Runtime, Path]) -> Iterator[Runtime]:
    template, database = _template_runtime
    target = tmp_path / "test.db"
    shutil.copyfile(database, target)
    settings = Settings(data_dir=tmp_path, config_dir=ROOT / "config", secret_key=_SECRET)
    engine = make_engine(f"sqlite:///{target}")
    yield Runtime(settings=settings, config=template.config, engine=engine)
    engine.dispose()
