"""Going live: private files, the production starts (``manage.py serve``, ``scripts/serve.py``)
refusing the demo accounts, and the server listening on loopback only.

The starts run as real processes, as an operator runs them; ``manage.py serve`` on a clean
database really starts the app (one ``streamlit run``), which is then stopped.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from demo.seed import ensure_demo_accounts
from models import User
from services.infra.database import make_engine, migrate
from services.infra.settings import ROOT, Settings
from services.runtime import start
from tests import postgres_server
from tests.server import free_port, healthy, listening, stop_group

PYTHON = sys.executable
START_TIMEOUT_S = 60.0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: the modes must not depend on the operator's."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_the_database_and_the_secret_key_are_private(tmp_path: Path, open_umask: None) -> None:
    settings = Settings(data_dir=tmp_path / "data", config_dir=ROOT / "config", secret_key="")
    url = settings.resolved_database_url()
    assert mode(tmp_path / "data") == 0o700
    engine = make_engine(url)
    try:
        migrate(engine)
        with engine.connect():
            files = sorted(p.name for p in (tmp_path / "data").iterdir())
            assert files == ["giaoviec.db", "giaoviec.db-shm", "giaoviec.db-wal"]
            assert {name: mode(tmp_path / "data" / name) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        engine.dispose()

    key = settings.resolved_secret_key()
    assert len(key) >= 60
    assert mode(tmp_path / "data" / "secret.key") == 0o600
    assert Settings(data_dir=tmp_path / "data", secret_key="").resolved_secret_key() == key
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["giaoviec.db", "secret.key"]


def test_an_older_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    database = tmp_path / "giaoviec.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    engine.dispose()
    database.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o600


def _environment(tmp_path: Path, database_url: str | None = None) -> dict[str, str]:
    """An operator's environment: the data directory, and PostgreSQL's URL if any (SQLite: the
    default file in the data directory)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIAOVIEC_") and k != "DATABASE_URL"}
    env.update(GIAOVIEC_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    if database_url is not None:
        env["GIAOVIEC_DATABASE_URL"] = database_url
    return env


def _with_demo_accounts(tmp_path: Path, database_url: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", config_dir=ROOT / "config", secret_key="x")
    runtime = start(settings=settings, database_url=database_url)
    try:
        with Session(runtime.engine) as session:
            ensure_demo_accounts(session=session, config=runtime.config)
    finally:
        runtime.engine.dispose()


def test_manage_serve_refuses_the_demo_accounts_and_starts_nothing(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    _with_demo_accounts(tmp_path, f"sqlite:///{tmp_path / 'data' / 'giaoviec.db'}")
    port = free_port()
    done = subprocess.run(
        [PYTHON, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(
        "Không khởi động: 8 tài khoản còn mật khẩu mẫu công khai 'giaoviec2026' (in trong README): admin, "
    )
    assert "python manage.py lock --demo" in done.stderr
    assert not listening(port)


def _tcp_listeners(port: int) -> list[str]:
    """The local addresses (hex, as the kernel writes them) of the sockets listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as lines:
            next(lines)
            for line in lines:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.append(address)
    return found


@pytest.mark.parametrize(
    ("bind_address", "listener", "shown"),
    [(None, "0100007F", "127.0.0.1"), ("0.0.0.0", "00000000", "0.0.0.0")],
    ids=["loopback-by-default", "GIAOVIEC_BIND_ADDRESS"],
)
def test_manage_serve_starts_without_demo_data_where_it_is_told(
    tmp_path: Path, bind_address: str | None, listener: str, shown: str
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'giaoviec.db'}"
    port = free_port()
    log = tmp_path / "serve.log"
    env = _environment(tmp_path)
    if bind_address is not None:
        env["GIAOVIEC_BIND_ADDRESS"] = bind_address
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PYTHON, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not healthy(f"http://127.0.0.1:{port}"):
            assert proc.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.2)
        assert _tcp_listeners(port) == [listener]  # by default 127.0.0.1, nothing on 0.0.0.0 or ::
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=30) as response:
            assert response.status == 200
        text = log.read_text(encoding="utf-8")
        assert "Cơ sở dữ liệu đã được cập nhật; không còn tài khoản nào có mật khẩu mẫu." in text
        assert f"Khởi động ứng dụng trên http://{shown}:{port}" in text
    finally:
        stop_group(proc)
    data = tmp_path / "data"
    assert mode(data / "giaoviec.db") == 0o600
    assert mode(data / "secret.key") == 0o600  # the login form's start-up created it
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert session.exec(select(func.count()).select_from(User)).one() == 0  # no demo accounts
    finally:
        engine.dispose()


def test_the_layout_behind_nginx_refuses_the_demo_accounts_before_starting_anything(tmp_path: Path) -> None:
    server = postgres_server.start_server()
    try:
        url = server.url(server.create_database())
        _with_demo_accounts(tmp_path, url)
        # As root, nginx's workers must be able to enter the runtime directory (pytest's is private).
        run_dir = Path(tempfile.mkdtemp(prefix="giaoviec-serve-demo-"))
        run_dir.chmod(0o755)
        port = free_port()
        done = subprocess.run(
            [PYTHON, "scripts/serve.py", "--processes", "1", "--port", str(port), "--runtime-dir", str(run_dir)],
            cwd=ROOT,
            env=_environment(tmp_path, url),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1
        assert "Không khởi động: 8 tài khoản còn mật khẩu mẫu công khai 'giaoviec2026'" in done.stderr
        assert "manage.py check thất bại (mã 1); không khởi động." in done.stderr
        assert "Khởi động 1 tiến trình" not in done.stdout
        assert not listening(port) and not listening(port + 1)
        assert sorted(p.name for p in run_dir.iterdir()) == []  # no nginx config written
        run_dir.rmdir()
    finally:
        server.stop()
