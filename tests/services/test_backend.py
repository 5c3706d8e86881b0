"""The service suite really runs on the backend it was asked for (``make test`` runs it on both).

Everything else in ``tests/services`` is backend-blind: the same rules, refusals, figures and
database-level guards (the append-only journal trigger, the reply ↔ assignment constraints) are
checked on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import text

from services.infra.settings import ROOT
from services.runtime import Runtime
from tests.services.conftest import BACKEND


def test_the_run_uses_the_requested_backend(runtime: Runtime) -> None:
    assert runtime.engine.url.get_backend_name() == BACKEND
    query = "SELECT version()" if BACKEND == "postgresql" else "SELECT sqlite_version()"
    with runtime.engine.connect() as connection:
        version = str(connection.execute(text(query)).scalar())
    assert version.startswith("PostgreSQL 1") if BACKEND == "postgresql" else version.startswith("3.")


def test_the_schema_is_at_the_newest_migration(runtime: Runtime) -> None:
    newest = sorted(p.name.split("_", 1)[0] for p in (ROOT / "migrations" / "versions").glob("0*.py"))[-1]
    with runtime.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == newest
