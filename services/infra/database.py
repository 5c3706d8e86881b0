"""Engine creation and migrations.

SQLite is the embedded default (WAL, foreign keys on, the file private to the app's user);
``DATABASE_URL`` selects PostgreSQL. The schema is owned by Alembic: ``migrate()`` runs at start
and in tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from services.infra.private_files import create_private, tighten

ROOT = Path(__file__).resolve().parents[2]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# Each Streamlit session runs its script in its own thread and takes a connection only for the
# length of a query; 50 sessions at once then wait their turn for one of 30, never time out.
_POOL = {"pool_size": 10, "max_overflow": 20, "pool_timeout": 60}


class _SQLiteCompiler(SQLiteCompiler):
    """SQLite's compiler, rendering a statement's table hints (``with_hint(…, "INDEXED BY ix",
    "sqlite")``), which SQLAlchemy's own drops: the statistics name the index SQLite must read,
    since a database that has not been ANALYZEd gives its planner nothing to choose by."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:") or parsed.query.get("mode") == "memory":
        return None
    return Path(parsed.database)


def _private_sqlite_file(path: Path) -> None:
    """Create the database file with mode 0600 before SQLite does (SQLite would use the umask,
    0644: every user of the machine could read the password hashes), and narrow an older one.
    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file."""
    if not create_private(path):
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            tighten(file)


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``; SQLite gets WAL, enforced foreign keys, its index hints and
    a file only the app's user may read."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None and path.parent.is_dir():
            _private_sqlite_file(path)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **_POOL)
        engine.dialect.statement_compiler = _SQLiteCompiler
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **_POOL)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed afterwards; services commit themselves."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
