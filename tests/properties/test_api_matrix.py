"""The cells of the permission matrix again, through the JSON API of a real server.

``streamlit run asgi.py`` serves a copy of the properties' template database (staff in every
unit); the tasks are put in their situations here, in this process, through the services (as
``tests/api`` creates its accounts and tokens), and every cell goes over loopback with the
actor's own bearer token: ``POST /api/v1/tasks/{id}/actions/{key}`` answers 200 where the
service allows the action, else the error whose ``code`` is that of the service's refusal
(``refusal_of`` asked just before, for the same actor, task and input), which must also be what
the configuration says (``expect.expected``). ``GET /api/v1/tasks/{id}`` lists exactly the
service's ``offers``. Sample: every action × every role × the lead unit, the sub-unit it was
routed to, a coordinating unit, an unrelated unit and VP UBND, in one situation the action is
meant for. The server's clock is the real one, so the dates here are relative to today.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models import ActionKey, Role
from services.access.permissions import Actor, build_actor
from services.access.tokens import create_token
from services.actions.registry import REGISTRY, offers, refusal_of
from services.infra.clock import local_date, now_utc
from services.infra.database import make_engine
from services.infra.errors import ServiceError
from services.infra.settings import ROOT
from tests.properties.conftest import Template, template
from tests.properties.examples import EXAMPLES, MISSING_EXAMPLE, ROUTED, SITUATIONS, InputContext
from tests.properties.expect import Who, expected, facts_of
from tests.properties.rules import HEALTH, JUSTICE
from tests.properties.situations import SCENES, SceneMaker

VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "api-matrix-secret-key"
SCENE = SCENES[0]  # Sở TT&TT, routed to P. CNTT
RELATIONS = ("own", "routed", "coordinator", "unrelated", "office")


@dataclass
class Server:
    base_url: str
    engine: Engine
    tpl: Template
    log: Path
    tokens: dict[int, str] = field(default_factory=dict)  # user id -> secret
    clients: dict[int, httpx.Client] = field(default_factory=dict)

    def client(self, actor: Actor) -> httpx.Client:
        if actor.user_id not in self.clients:
            with Session(self.engine, expire_on_commit=False) as session:
                _, secret = create_token(
                    session=session, actor=actor, owner_user_id=actor.user_id, name="Ma trận quyền", expires_at=None
                )
            self.clients[actor.user_id] = httpx.Client(
                base_url=f"{self.base_url}/api/v1", headers={"Authorization": f"Bearer {secret}"}, timeout=30
            )
        return self.clients[actor.user_id]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on a copy of the template database (loopback, a free port, no rate limit to speak of)."""
    tpl = template()
    data_dir = tmp_path_factory.mktemp("giaoviec-api-matrix")
    database = data_dir / "giaoviec.db"
    shutil.copyfile(tpl.path, database)
    url = f"sqlite:///{database}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GIAOVIEC_DATABASE_URL")}
    env.update(
        GIAOVIEC_DATA_DIR=str(data_dir),
        GIAOVIEC_SECRET_KEY=SECRET_KEY,
        GIAOVIEC_DATABASE_URL=url,
        GIAOVIEC_API_RATE_LIMIT="100000",
        PYTHONUNBUFFERED="1",
    )
    port = _free_port()
    log_path = data_dir / "server.log"
    command = [str(VENV_BIN / "streamlit"), "run", "asgi.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    engine = make_engine(url)
    world = Server(base_url=base_url, engine=engine, tpl=tpl, log=log_path)
    try:
        for _ in range(600):
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/_stcore/health", timeout=1).text.strip() == "ok":
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"server not healthy after 60 s:\n{log_path.read_text()}")
        yield world
    finally:
        for client in world.clients.values():
            client.close()
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        engine.dispose()


def situations_for(key: ActionKey) -> list[tuple[str, bool]]:
    """A situation the action is meant for (routed to a sub-unit where it may be, else the first)
    and the first one it is not meant for: (situation, possible)."""
    possible = EXAMPLES[key].possible
    meant = ROUTED if ROUTED in possible else min(possible, key=SITUATIONS.index)
    return [(meant, True), (next(s for s in SCENE.situations if s not in possible), False)]


@dataclass
class Cells:
    server: Server
    maker: SceneMaker
    session: Session
    numbers: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def actor(self, who: Who) -> Actor:
        built = build_actor(session=self.session, config=self.server.tpl.config, user_id=who.user_id)
        assert built is not None
        return built

    def data(self, key: ActionKey, task_id: int) -> BaseModel:
        self.numbers += 1
        facts = facts_of(self.session, task_id, self.maker.code_of)
        tpl = self.server.tpl
        context = InputContext(
            facts=facts,
            today=local_date(now_utc()),
            number=50_000 + self.numbers,
            user=lambda label, code: tpl.user_ids[(label, code)],
            unit_id=tpl.unit_ids.__getitem__,
            units=(JUSTICE, HEALTH),
        )
        return EXAMPLES[key].build(context)

    def post(self, actor: Actor, task_id: int, key: ActionKey, data: BaseModel) -> httpx.Response:
        return self.server.client(actor).post(f"/tasks/{task_id}/actions/{key}", json=data.model_dump(mode="json"))

    def cell(self, key: ActionKey, task_id: int, who: Who, cell: str, possible: bool) -> type[ServiceError] | None:
        """One cell: the configuration, the service and the API agree. Returns the expected refusal;
        an allowed cell is only judged here (the caller performs it on a task of its own)."""
        self.session.expire_all()
        facts = facts_of(self.session, task_id, self.maker.code_of)
        actor = self.actor(who)
        data = self.data(key, task_id)
        example = EXAMPLES[key]
        want = expected(
            REGISTRY[key], who, facts, possible=possible, data=data, transition=example.transition(facts, data)
        )
        service = refusal_of(
            session=self.session, actor=actor, config=self.server.tpl.config, task_id=task_id, action=key, data=data
        )
        self.answers[service.code if service else "ok"] += 1
        if (want is None) != (service is None) or (service is not None and type(service) is not want):
            self.problems.append(f"{cell}: the configuration says {want}, the service {service!r}")
        if service is None:
            return None
        response = self.post(actor, task_id, key, data)
        body = response.json()
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        if (response.status_code, code) != (service.status, service.code):
            self.problems.append(
                f"{cell}: the service refuses with {service.code} ({service}), the API answers "
                f"{response.status_code} {response.text[:300]}"
            )
        return want

    def offers_agree(self, task_id: int, who: Who, cell: str) -> None:
        """``GET /tasks/{id}``: not found for whoever cannot see the task, else exactly the offers."""
        self.session.expire_all()
        actor = self.actor(who)
        response = self.server.client(actor).get(f"/tasks/{task_id}")
        try:
            mine = offers(session=self.session, actor=actor, config=self.server.tpl.config, task_id=task_id)
        except ServiceError as refusal:
            if response.status_code != refusal.status or response.json()["error"]["code"] != refusal.code:
                self.problems.append(f"{cell}: offers refused ({refusal.code}), GET answers {response.text[:300]}")
            return
        if response.status_code != 200:
            self.problems.append(f"{cell}: offers {[o.key for o in mine]}, GET answers {response.text[:300]}")
            return
        api = sorted((a["key"], a.get("flow_id"), a.get("transition")) for a in response.json()["actions"])
        service = sorted((str(o.key), o.flow_id, o.transition) for o in mine)
        if api != service:
            self.problems.append(f"{cell}: the service offers {service}, the API {api}")


def test_the_api_answers_every_sampled_cell_as_the_services(server: Server) -> None:
    missing = sorted(set(REGISTRY) - set(EXAMPLES))
    assert not missing, MISSING_EXAMPLE.format(keys=", ".join(missing))
    started = time.perf_counter()
    tpl = server.tpl
    today = local_date(now_utc())
    with Session(server.engine, expire_on_commit=False) as session:
        maker = SceneMaker(
            session,
            tpl.config,
            SCENE,
            unit_ids=tpl.unit_ids,
            user_ids=tpl.user_ids,
            issued=today - timedelta(days=10),
            worked=today - timedelta(days=3),
            tag="API",
        )
        cells = Cells(server, maker, session)
        columns = [
            (
                relation,
                role,
                Who(SCENE.relations[relation], role.value, tpl.user_ids[(role.value, SCENE.relations[relation])]),
            )
            for relation in RELATIONS
            for role in Role
        ]
        judged = 0
        offered_in: set[str] = set()
        allowed_keys: set[ActionKey] = set()
        for key, (situation, possible) in ((k, s) for k in REGISTRY for s in situations_for(k)):
            task_id = maker.make(situation)
            if situation not in offered_in:  # the page's offers, once per situation and actor
                offered_in.add(situation)
                for relation, role, who in columns:
                    cells.offers_agree(task_id, who, f"GET task ({situation}) | {relation} {role.value}")
            allowed = []
            for relation, role, who in columns:
                cell = f"{key} ({situation}) | {relation} {who.unit} {role.value}"
                judged += 1
                if cells.cell(key, task_id, who, cell, possible) is None:
                    allowed.append((who, cell))
                    allowed_keys.add(key)
            for who, cell in allowed:  # each on a task of its own, in the same situation
                own_task = maker.make(situation)
                session.expire_all()
                data = cells.data(key, own_task)
                actor = cells.actor(who)
                refusal = refusal_of(
                    session=session, actor=actor, config=tpl.config, task_id=own_task, action=key, data=data
                )
                response = cells.post(actor, own_task, key, data)
                if refusal is not None or response.status_code != 200:
                    cells.problems.append(f"{cell}: the service says {refusal!r}, the API {response.text[:300]}")
    elapsed = time.perf_counter() - started
    print(
        f"\nAPI matrix: {judged} cells ({len(REGISTRY)} actions × 2 situations × {len(Role)} roles × "
        f"{len(RELATIONS)} relations) "
        f"{dict(cells.answers)}, {len(offered_in) * len(columns)} task pages; "
        f"{len(cells.problems)} wrong, {elapsed:.1f} s"
    )
    assert judged == len(REGISTRY) * 2 * len(Role) * len(RELATIONS)
    assert allowed_keys == set(REGISTRY), f"never allowed: {sorted(set(REGISTRY) - allowed_keys)}"
    assert not cells.problems, f"{len(cells.problems)} wrong cells:\n" + "\n".join(cells.problems[:30])
