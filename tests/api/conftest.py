"""A real server for the JSON API tests: ``streamlit run asgi.py`` on 127.0.0.1 and a free port.

As in production (the API is mounted in the same server as the pages), on a temporary SQLite
file (``GIAOVIEC_DATA_DIR``), never ``data/``; one server and database per test module. The
rate limit is small and its window short (``GIAOVIEC_API_RATE_LIMIT``/``…_WINDOW_SECONDS``) so
the 429 test is quick; ``Api`` waits out a 429 for every other test (it says so when it does).
Accounts and tokens are created in this process through the services, on the same database
(``backend``); everything else goes through HTTP.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlmodel import Session

from models import Role
from services.access.accounts import create_user
from services.access.permissions import Actor, build_actor
from services.access.tokens import create_token
from services.infra.settings import ROOT, Settings
from services.runtime import Runtime, start
from tests.server import running_server

SECRET_KEY = "api-tests-secret-key"
RATE_LIMIT = 20  # requests per token ...
RATE_WINDOW = 3  # ... per this many seconds
_FAST_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("mat-khau-api")

OFFICE = "000.00.01.H21"  # VP UBND tỉnh
FINANCE = "000.00.05.H21"  # Sở Tài chính (has sub-units: bút phê offers three workflows)
PLEIKU = "000.00.31.H21"  # UBND TP Pleiku
HEALTH = "000.00.16.H21"  # Sở Y tế
ICT = "000.00.11.H21"  # Sở TT&TT (the admin's unit)

# key -> username, full name, role, unit
ACCOUNTS: dict[str, tuple[str, str, Role, str]] = {
    "tracker": ("vp.theodoi", "Nguyễn Thị Theo Dõi", Role.TRACKER, OFFICE),
    "office_leader": ("vp.lanhdao", "Trần Lãnh Đạo", Role.LEADER, OFFICE),
    "clerk": ("stc.vanthu", "Lê Văn Thư", Role.CLERK, FINANCE),
    "leader": ("stc.lanhdao", "Phạm Quốc Bảo", Role.LEADER, FINANCE),
    "specialist": ("stc.chuyenvien", "Võ Thị Lan", Role.SPECIALIST, FINANCE),
    "pleiku": ("pleiku.lanhdao", "Rơ Châm Hyơ", Role.LEADER, PLEIKU),
    "health": ("syt.lanhdao", "Ngô Lãnh Đạo Y Tế", Role.LEADER, HEALTH),
    "admin": ("admin", "Quản Trị Viên", Role.ADMIN, ICT),
}




@dataclass
class World:
    base_url: str
    backend: Runtime
    actors: dict[str, Actor]
    tokens: dict[str, str] = field(default_factory=dict)  # key -> secret
    log: Path = Path()

    def session(self) -> Session:
        return Session(self.backend.engine, expire_on_commit=False)

    def new_token(self, key: str, name: str = "Khóa kiểm thử", **kwargs: Any) -> str:
        actor = self.actors[key]
        with self.session() as session:
            _, secret = create_token(
                session=session,
                actor=actor,
                owner_user_id=actor.user_id,
                name=name,
                expires_at=kwargs.pop("expires_at", None),
                **kwargs,
            )
        return secret

    def api(self, key: str) -> Api:
        if key not in self.tokens:
            self.tokens[key] = self.new_token(key)
        return Api(self.base_url, self.tokens[key])


class Api:
    """httpx over loopback with one account's token; waits out a 429 (other tests' business)."""

    def __init__(self, base_url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=base_url + "/api/v1", headers=headers, timeout=30)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(5):
            response = self.client.request(method, path, **kwargs)
            if response.status_code != 429:
                return response
            wait = int(response.headers["Retry-After"])
            print(f"rate limited on {method} {path}: waiting {wait} s")
            time.sleep(wait)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("giaoviec-api")
    url = f"sqlite:///{data_dir / 'giaoviec.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GIAOVIEC_DATABASE_URL")}
    env.update(
        GIAOVIEC_DATA_DIR=str(data_dir),
        GIAOVIEC_SECRET_KEY=SECRET_KEY,
        GIAOVIEC_DATABASE_URL=url,
        GIAOVIEC_API_RATE_LIMIT=str(RATE_LIMIT),
        GIAOVIEC_API_RATE_WINDOW_SECONDS=str(RATE_WINDOW),
        PYTHONUNBUFFERED="1",
    )
    settings = Settings(data_dir=data_dir, secret_key=SECRET_KEY, config_dir=ROOT / "config")
    backend = start(settings=settings, database_url=url)
    actors: dict[str, Actor] = {}
    with Session(backend.engine, expire_on_commit=False) as session:
        for key, (username, name, role, unit) in ACCOUNTS.items():
            user = create_user(
                session=session,
                username=username,
                full_name=name,
                password="mat-khau-api",
                role=role,
                unit_code=unit,
                password_hash=_FAST_HASH,
            )
            actor = build_actor(session=session, config=backend.config, user_id=user.id or 0)
            assert actor is not None
            actors[key] = actor

    try:
        with running_server(env, data_dir / "server.log") as base_url:
            yield World(base_url=base_url, backend=backend, actors=actors, log=data_dir / "server.log")
    finally:
        backend.engine.dispose()
