"""A throwaway PostgreSQL server for the test run (Debian's postgresql, loopback only).

The service tests run a second time on PostgreSQL (``GIAOVIEC_TEST_BACKEND=postgresql``, see
``make test``): each pytest worker starts its own cluster in a fresh directory, on a free port,
with fsync off (nothing here must survive the run), and stops and deletes it at the end. Each
test gets its own database, created from a migrated template database (``CREATE DATABASE …
TEMPLATE …``), the PostgreSQL twin of the byte copy the SQLite run makes.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user that
Debian's package creates (STACK-NOTES §6).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

PASSWORD = "giaoviec-test"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (make test installs Debian's postgresql).")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """One throw-away server. A test's database is a ``CREATE DATABASE … TEMPLATE`` copy (about a
    third of a second: PostgreSQL copies every block, catalogs included), so the copy the next test
    will ask for is made in the background while this test runs, and a finished test's database is
    dropped in the background too; what a test sees is the same fresh copy either way."""

    folder: Path
    port: int
    as_postgres: list[str]
    bindir: Path
    _names: itertools.count[int] = field(default_factory=itertools.count)
    _engine: Engine | None = None
    _background: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1))
    _next_copy: dict[str, Future[str]] = field(default_factory=dict)

    def url(self, database: str) -> str:
        return URL.create(
            "postgresql+psycopg", username="postgres", password=PASSWORD, host="127.0.0.1", port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def _admin(self, statement: str) -> None:
        if self._engine is None:  # one pool for the run: a new connection costs a password exchange
            self._engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT", pool_size=2)
        with self._engine.connect() as connection:
            connection.execute(text(statement))

    def _create(self, template: str | None) -> str:
        name = f"gv_{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``, which nobody may be connected to, and
        which must not change any more: the next copy of it is made ahead of time)."""
        if template is None:
            return self._create(None)
        ahead = self._next_copy.pop(template, None)
        name = ahead.result() if ahead is not None else self._create(template)
        self._next_copy[template] = self._background.submit(self._create, template)
        return name

    def drop_database(self, name: str) -> None:
        """Dropped in the background (after the copies asked for before it); nobody reuses a name."""
        self._background.submit(self._admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._background.shutdown(wait=True, cancel_futures=True)
        if self._engine is not None:
            self._engine.dispose()
        subprocess.run(
            [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
            cwd=self.folder,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_server() -> PostgresServer:
    """initdb + pg_ctl start on 127.0.0.1 and a free port; about 3 s."""
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="giaoviec-pg-"))
    (folder / "pw").write_text(PASSWORD + "\n", encoding="utf-8")
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(folder / "pw", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> None:
        # cwd: the postgres user may not enter the directory the tests run from
        done = subprocess.run([*as_postgres, *args], capture_output=True, text=True, check=False, cwd=folder)
        if done.returncode != 0:
            log = (folder / "pg.log").read_text(encoding="utf-8") if (folder / "pg.log").exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}{log}")

    run(
        str(bindir / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", f"--pwfile={folder / 'pw'}", "-E", "UTF8", "--locale=C.UTF-8",
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    run(str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "pg.log"), "-w", "-t", "30",
        "-o", options, "start")
    return PostgresServer(folder=folder, port=port, as_postgres=as_postgres, bindir=bindir)


_current: PostgresServer | None = None


def current() -> PostgresServer:
    """The server of this test process (started by ``tests/services/conftest.py``)."""
    if _current is None:
        raise RuntimeError("No PostgreSQL server started for this test process.")
    return _current


def set_current(server: PostgresServer | None) -> None:
    global _current
    _current = server
