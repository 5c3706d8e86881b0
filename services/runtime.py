"""Start-up: validate config, open the database, migrate, synchronise the org tree.

``get_runtime`` is the one start-up of a server process, shared by the Streamlit script and the
HTTP routes (login, API); the CLI and the tests call ``start`` with their own settings.

The configuration is data (``services.config.store``): the newest ``config_version`` row is in
force, the YAML of ``config/`` only when none is stored. ``Runtime.current`` gives the runtime
with the configuration in force now (one indexed read; a new version is read and validated once
per process), so an admin's save takes effect at the next page run or request of every process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.config.loader import AppConfig, load_config
from services.config.store import config_of_version, current_version_id
from services.infra.database import make_engine, migrate
from services.infra.settings import Settings, get_settings
from services.org.units import sync_units
from services.stats.spans import ensure_spans


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    config: AppConfig
    engine: Engine
    config_version: int = 0  # the stored version ``config`` is; 0: none stored, the seed YAML
    config_dir: Path | None = None  # the seed folder when not ``settings.config_dir``

    @property
    def seed_dir(self) -> Path:
        """The ``config/`` folder: the seed, the exchange format's ``org.yaml`` and the units."""
        return self.config_dir or self.settings.config_dir

    def current(self) -> Runtime:
        """This runtime with the configuration version in force now: itself when unchanged."""
        with self.engine.connect() as connection:
            version = current_version_id(connection)
        if version == self.config_version or version == 0:
            return self
        return replace(self, config=config_of_version(self.engine, version, self.seed_dir), config_version=version)


def start(
    *, settings: Settings | None = None, database_url: str | None = None, config_dir: Path | None = None
) -> Runtime:
    """Validate config (raises ConfigError), migrate the database, sync units, and build the task
    spans if an older rule built them (importing ``services.stats.spans`` also keeps them in step
    with every later write of this process). The configuration is the stored version in force,
    else the seed ``config/*.yaml``."""
    settings = settings or get_settings()
    folder = config_dir or settings.config_dir
    config = load_config(folder)  # the seed: validated even when a stored version is in force
    engine = make_engine(database_url or settings.resolved_database_url())
    migrate(engine)
    with Session(engine) as session:
        version = current_version_id(session)
    if version:
        config = config_of_version(engine, version, folder)
    with Session(engine) as session:
        sync_units(session=session, config=config)
        ensure_spans(session=session)
    return Runtime(
        settings=settings,
        config=config,
        engine=engine,
        config_version=version,
        config_dir=None if config_dir is None else folder,
    )


class _ProcessRuntime:
    """``get_runtime()``: this process's runtime, started once, with the configuration in force
    now (``Runtime.current``). A ConfigError is not kept: a fixed file is read again."""

    def __init__(self) -> None:
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Runtime:
        runtime = self._runtime
        if runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = start()
                runtime = self._runtime
        current = runtime.current()
        if current is not runtime:
            self._runtime = current
        return current

    def started(self) -> Runtime:
        """The runtime without reading the configuration version (its engine and settings)."""
        runtime = self._runtime
        return runtime if runtime is not None else self()

    def cache_clear(self) -> None:
        self._runtime = None


get_runtime = _ProcessRuntime()
