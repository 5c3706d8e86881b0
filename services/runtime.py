"""Start-up: validate config, open the database, migrate, synchronise the org tree.

``get_runtime`` is the one start-up of a server process, shared by the Streamlit script and the
HTTP routes (login, API); the CLI and the tests call ``start`` with their own settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.config.loader import AppConfig, load_config
from services.infra.database import make_engine, migrate
from services.infra.settings import Settings, get_settings
from services.org.units import sync_units
from services.stats.spans import ensure_spans


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    config: AppConfig
    engine: Engine


def start(
    *, settings: Settings | None = None, database_url: str | None = None, config_dir: Path | None = None
) -> Runtime:
    """Validate config (raises ConfigError), migrate the database, sync units, and build the task
    spans if an older rule built them (importing ``services.stats.spans`` also keeps them in step
    with every later write of this process)."""
    settings = settings or get_settings()
    config = load_config(config_dir or settings.config_dir)
    engine = make_engine(database_url or settings.resolved_database_url())
    migrate(engine)
    with Session(engine) as session:
        sync_units(session=session, config=config)
        ensure_spans(session=session)
    return Runtime(settings=settings, config=config, engine=engine)


@lru_cache(maxsize=1)
def get_runtime() -> Runtime:
    """This process's runtime, started once (a ConfigError is not cached: a fixed file is read again)."""
    return start()
