"""Engine creation and migrations.

SQLite is the embedded default (WAL, foreign keys on); ``DATABASE_URL`` selects PostgreSQL.
The schema is owned by Alembic: ``migrate()`` runs at start and in tests.
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
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

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


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``; SQLite gets WAL, enforced foreign keys and its index hints."""
    if url.startswith("sqlite"):
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
