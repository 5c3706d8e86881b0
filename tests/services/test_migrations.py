"""Alembic owns the schema: the migrations go down and up again, and end where the models are.

Run on both backends by ``make test`` (SQLite, then PostgreSQL).
"""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from services.infra.database import ROOT
from services.runtime import Runtime

TABLES = {
    "admin_change",
    "alembic_version",
    "api_token",
    "app_user",
    "attachment",
    "attachment_download",
    "auth_event",
    "auth_session",
    "config_version",
    "confirmation",
    "custom_field",
    "custom_value",
    "data_version",
    "document",
    "extension",
    "extension_request",
    "flow",
    "incoming_entry",
    "login_throttle",
    "mail_outbox",
    "notification",
    "org_unit",
    "reminder",
    "task",
    "task_coordinator",
    "task_event",
    "task_lead_change",
    "task_span",
    "wrong_unit_request",
}


def _alembic(runtime: Runtime, action: str, revision: str) -> None:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    with runtime.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        getattr(command, action)(cfg, revision)


def _tables(runtime: Runtime) -> set[str]:
    return set(inspect(runtime.engine).get_table_names())


def test_down_to_nothing_and_up_again(runtime: Runtime) -> None:
    assert _tables(runtime) == TABLES
    _alembic(runtime, "downgrade", "base")
    assert _tables(runtime) == {"alembic_version"}
    _alembic(runtime, "upgrade", "head")
    assert _tables(runtime) == TABLES


def test_each_step_down_and_up(runtime: Runtime) -> None:
    steps = (
        ("downgrade", "0003"), ("downgrade", "0002"), ("downgrade", "0001"), ("upgrade", "0003"), ("upgrade", "head")
    )
    for action, revision in steps:
        _alembic(runtime, action, revision)
        assert _at(runtime) == (_head() if revision == "head" else revision)


def _head() -> str:
    """The newest revision in ``migrations/versions`` (one head: the chain never forks)."""
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def _at(runtime: Runtime) -> str:
    with runtime.engine.connect() as connection:
        return str(MigrationContext.configure(connection).get_current_revision())


def test_the_models_match_the_migrated_schema(runtime: Runtime) -> None:
    """What autogenerate would add: nothing (a model change without its migration fails here).

    One known exception, on SQLite only: SQLite cannot add a foreign key to an existing table
    (ALTER TABLE ADD CONSTRAINT), so the two references that migration 0002 added to existing
    tables are enforced by the services there and by the database on PostgreSQL."""
    with runtime.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences: list[Any] = compare_metadata(context, SQLModel.metadata)
    described = [
        (d[0], d[1].parent.name, tuple(c.name for c in d[1].columns)) if d[0] == "add_fk" else d for d in differences
    ]
    expected = (
        []
        if runtime.engine.url.get_backend_name() == "postgresql"
        else [("add_fk", "task", ("replaces_task_id",)), ("add_fk", "task_event", ("flow_id",))]
    )
    assert sorted(described, key=str) == expected
