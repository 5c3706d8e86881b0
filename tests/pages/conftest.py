"""AppTest fixtures: a seeded SQLite world per test module, and ``app_as(username)``.

The real server reads a signed HttpOnly cookie; AppTest cannot send cookies, so the same signed
token (of a real session row, ``make_session_token``) goes into ``st.session_state[TOKEN_STATE_KEY]``.
The app builds its runtime from the environment (``GIAOVIEC_*``), cached by ``get_settings``
(lru_cache) and ``st.cache_resource``; a world points the environment at its own directory and
clears both caches when it becomes active, and again when it is torn down.

Dates are relative to today (the pages use today): ``T`` below is today in Vietnam.

Seeded data (``world``), with ``T`` = today:

=====  ===============  ==========  =========  ==========================================
key    lead unit        doc (date)  deadline   history
=====  ===============  ==========  =========  ==========================================
a1     Sở Tài chính     101 (T-10)  T-2        open → overdue
a2     Sở Y tế          101 (T-10)  T+2        open → due soon
b1     Sở Tài chính     102 (T-8)   T+2        open → due soon
b2     Sở Tài chính     102 (T-8)   T+20       open, coordinated by Sở Y tế
c1     Sở Tài chính     103 (T-20)  T-10       reply T-12, confirmed done T-11 → on time
c2     UBND TP Pleiku   103 (T-20)  T-15       reply T-12, confirmed done T-11 → late
c3     Sở Tài chính     103 (T-20)  T+5        reply T-3, waiting for confirmation
d1     Sở Y tế          104 (T-15)  T-1        open → overdue
=====  ===============  ==========  =========  ==========================================

Open tasks wait at the first step of their unit's flow ("Chờ văn thư vào sổ"). A reply is no
longer a free form: ``World.reply`` walks the lead unit's short workflow (vào sổ → bút phê →
dự thảo → duyệt) with the unit's clerk, leader and specialist (``STAFF``), then the clerk
issues the reply; ``World.walk`` stops before a given step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
import time_machine
from sqlmodel import Session, col, func, select
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from demo.seed import UnitStaff, process_in_unit
from models import ConfirmOutcome, Document, Flow, OrgUnit, Role, Task, TaskEvent
from models.schemas import AssignmentCreate, ConfirmationCreate, ReplyCreate, TaskCreate
from services.access.accounts import create_user
from services.access.permissions import Actor, build_actor
from services.access.sessions import make_session_token
from services.infra import settings as settings_module
from services.infra.clock import local_date, now_utc
from services.infra.settings import ROOT
from services.runtime import Runtime, get_runtime, start
from services.tasks.assignment import create_assignment
from tests.actions import confirm_task, decide_wrong_unit, fire, request_wrong_unit
from tests.conftest import FINANCE, HEALTH, OFFICE, PASSWORD, PLEIKU, at
from ui import public_cache
from ui.runtime import TOKEN_STATE_KEY

SECRET = "pages-test-secret"
INFO_TECH = "000.00.11.H21"  # Sở TT&TT (the admin's unit)
BUDGET = "000.01.05.H21"  # P. QLNS, sub-unit of Sở Tài chính
INVESTMENT = "000.02.05.H21"  # P. TCĐT, sub-unit of Sở Tài chính (nobody works there in these tests)

# username -> (role, unit code, full name)
USERS: dict[str, tuple[Role, str, str]] = {
    "vp.theodoi": (Role.TRACKER, OFFICE, "Nguyễn Văn Theo Dõi"),
    "vp.lanhdao": (Role.LEADER, OFFICE, "Trần Lãnh Đạo VP"),
    "stc.vanthu": (Role.CLERK, FINANCE, "Lê Thị Văn Thư"),
    "stc.lanhdao": (Role.LEADER, FINANCE, "Phạm Lãnh Đạo STC"),
    "stc.chuyenvien": (Role.SPECIALIST, FINANCE, "Võ Chuyên Viên"),
    "syt.vanthu": (Role.CLERK, HEALTH, "Đỗ Văn Thư Y Tế"),
    "syt.lanhdao": (Role.LEADER, HEALTH, "Ngô Lãnh Đạo Y Tế"),
    "syt.chuyenvien": (Role.SPECIALIST, HEALTH, "Đinh Chuyên Viên Y Tế"),
    "pleiku.vanthu": (Role.CLERK, PLEIKU, "Siu Văn Thư Pleiku"),
    "pleiku.lanhdao": (Role.LEADER, PLEIKU, "Hồ Lãnh Đạo Pleiku"),
    "pleiku.chuyenvien": (Role.SPECIALIST, PLEIKU, "Ksor Chuyên Viên Pleiku"),
    "admin": (Role.ADMIN, INFO_TECH, "Quản Trị Viên"),
    # P. QLNS, a sub-unit of Sở Tài chính (internal routing, Điều 5.1.e)
    "qlns.vanthu": (Role.CLERK, BUDGET, "Lò Văn Thư QLNS"),
    "qlns.lanhdao": (Role.LEADER, BUDGET, "Mai Trưởng Phòng QLNS"),
    "qlns.chuyenvien": (Role.SPECIALIST, BUDGET, "Y Chuyên Viên QLNS"),
}

# unit code -> (clerk, leader, specialist): who walks the unit's steps in the seeded data
STAFF: dict[str, tuple[str, str, str]] = {
    FINANCE: ("stc.vanthu", "stc.lanhdao", "stc.chuyenvien"),
    PLEIKU: ("pleiku.vanthu", "pleiku.lanhdao", "pleiku.chuyenvien"),
    HEALTH: ("syt.vanthu", "syt.lanhdao", "syt.chuyenvien"),  # not in SEED_USERS: list them in WORLD_USERS
}

# Users the standard data needs (they act in it): always created.
SEED_USERS = ["vp.theodoi", *STAFF[FINANCE], *STAFF[PLEIKU]]

# app.py's pages and their addresses (``st.Page(..., url_path=...)``), read from its text: a page
# opened in a test is asked for by its address, as a bookmark asks for it.
URL_PATHS: dict[str, str] = {}
_PAGE = re.compile(r'st\.Page\(\s*"(pages/[a-z_]+\.py)".*?url_path="([^"]+)"', re.S)
for _file, _path in _PAGE.findall((ROOT / "app.py").read_text("utf-8")):
    URL_PATHS.setdefault(_file, _path)  # the first: change_password.py's own, not the first login's


_active: list[World | None] = [None]


def clear_caches() -> None:
    settings_module.get_settings.cache_clear()
    get_runtime.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    public_cache.clear()  # Giám sát's public table (keyed by database too; cleared for a clean start)


@dataclass
class World:
    """One data directory + SQLite file + the users and tasks seeded into it."""

    root: Path
    monkeypatch: pytest.MonkeyPatch
    today: date
    runtime: Runtime | None = None
    user_ids: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    documents_made: int = 0

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'pages.db'}"

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def activate(self) -> None:
        """Point the app's environment at this world (idempotent; clears caches on a switch)."""
        if _active[0] is self:
            return
        mp = self.monkeypatch
        mp.setenv("GIAOVIEC_DATA_DIR", str(self.root))
        mp.setenv("GIAOVIEC_DATABASE_URL", self.db_url)
        mp.setenv("GIAOVIEC_SECRET_KEY", SECRET)
        mp.setenv("GIAOVIEC_CONFIG_DIR", str(ROOT / "config"))
        mp.delenv("DATABASE_URL", raising=False)
        mp.chdir(ROOT)
        clear_caches()
        _active[0] = self

    def start(self) -> Runtime:
        self.activate()
        self.runtime = start()
        return self.runtime

    def session(self) -> Session:
        assert self.runtime is not None
        return Session(self.runtime.engine, expire_on_commit=False)

    def actor(self, username: str) -> Actor:
        assert self.runtime is not None
        with self.session() as s:
            actor = build_actor(session=s, config=self.runtime.config, user_id=self.user_ids[username])
        assert actor is not None
        return actor

    def create_users(self, names: list[str] | None = None) -> None:
        with self.session() as s:
            for username in names or list(USERS):
                role, unit, full_name = USERS[username]
                user = create_user(
                    session=s, username=username, full_name=full_name, password=PASSWORD, role=role, unit_code=unit
                )
                assert user.id is not None
                self.user_ids[username] = user.id

    def token(self, username: str) -> str:
        """A new login session of ``username`` (a real ``auth_session`` row), as the cookie's value."""
        with self.session() as s:
            return make_session_token(session=s, user_id=self.user_ids[username], secret=SECRET)

    def app_as(self, username: str | None, page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
        """The app run as ``username`` (None: anonymous) on ``page`` if given, else on its first page.

        A page is opened as a bookmark opens it: the first run asks for the page's own address
        (``url_path`` in app.py), so the user's landing page (Giám sát, for most) is not drawn first
        for nothing. A page the user's menu does not offer ends on another page; ``switch_page``
        then refuses it with a ValueError, as it would after any run."""
        self.activate()
        at_ = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        if username is not None:
            at_.session_state[TOKEN_STATE_KEY] = self.token(username)
        if page is None:
            return at_.run()
        wanted = calc_hash(URL_PATHS[page])
        at_._page_hash = wanted  # what a browser asks for at /<url_path>
        if query:
            at_.query_params.update(query)
        at_.run()
        if at_._finished_page_script_hash != wanted:  # not in this user's menu
            at_.switch_page(page)
            at_.run()
        return at_

    # --- data helpers ---------------------------------------------------------------------------

    def assign(self, code: str, offset: int, tasks: list[TaskCreate], summary: str = "V/v nhiệm vụ") -> list[int]:
        """Create an assignment dated today+offset; return its task ids in order."""
        assert self.runtime is not None
        doc_date = self.day(offset)
        with self.session() as s:
            doc = create_assignment(
                session=s,
                actor=self.actor("vp.theodoi"),
                config=self.runtime.config,
                now=at(doc_date),
                data=AssignmentCreate(
                    code=code,
                    issue_date=doc_date,
                    issuer="ubnd_tinh",
                    doc_type="cong_van",
                    summary=summary,
                    signer="Chủ tịch UBND tỉnh",
                    tasks=tasks,
                ),
            )
            return list(s.exec(select(Task.id).where(Task.document_id == doc.id).order_by(Task.seq)).all())

    def new_task(self, unit_code: str, content: str, *, offset: int = -3, deadline: int = 10) -> int:
        """One task in a new document (dated today+offset) for a test of its own; returns its id."""
        self.documents_made += 1
        (task_id,) = self.assign(
            f"{900 + self.documents_made}/UBND-TH",
            offset,
            [TaskCreate(content=content, lead_unit_code=unit_code, deadline=self.day(deadline))],
        )
        return task_id

    def staff(self, task_id: int) -> UnitStaff:
        """The clerk, leader and specialist of the task's lead unit (``STAFF``)."""
        with self.session() as s:
            task = s.get(Task, task_id)
            assert task is not None
            unit = s.get(OrgUnit, task.lead_unit_id)
            assert unit is not None
        clerk, leader, specialist = STAFF[unit.code]
        return UnitStaff(clerk=self.actor(clerk), leader=self.actor(leader), specialist=self.actor(specialist))

    def walk(self, task_id: int, until: str, offset: int = -1, reply: ReplyCreate | None = None) -> None:
        """Walk the lead unit's short workflow up to (not including) step ``until``, on day ``offset``.

        Yesterday by default: 09:00 today (Vietnam) may still be ahead of the clock, and the journal
        is ordered by time.
        """
        assert self.runtime is not None
        with self.session() as s:
            process_in_unit(
                session=s,
                config=self.runtime.config,
                task_id=task_id,
                staff=self.staff(task_id),
                now=at(self.day(offset)),
                until=until,
                reply=reply,
            )

    def flow_id(self, task_id: int, unit_code: str | None = None) -> int:
        """The id of the task's active flow at ``unit_code`` (default: the lead unit's main flow)."""
        with self.session() as s:
            query = select(Flow).where(Flow.task_id == task_id, Flow.active == True)  # noqa: E712
            if unit_code is None:
                query = query.where(col(Flow.parent_flow_id).is_(None))
            else:
                unit = s.exec(select(OrgUnit).where(OrgUnit.code == unit_code)).one()
                query = query.where(Flow.unit_id == unit.id)
            flow = s.exec(query.order_by(col(Flow.id).desc())).first()
        assert flow is not None and flow.id is not None
        return flow.id

    def step(
        self,
        username: str,
        task_id: int,
        transition: str,
        *,
        unit_code: str | None = None,
        workflow: str | None = None,
        offset: int = -1,
        **kwargs: Any,
    ) -> None:
        """Fire one transition of the task's flow at ``unit_code`` (default: the main flow)."""
        assert self.runtime is not None
        flow = self.flow_id(task_id, unit_code)
        with self.session() as s:
            fire(
                session=s,
                actor=self.actor(username),
                config=self.runtime.config,
                flow_id=flow,
                transition=transition,
                workflow=workflow,
                now=at(self.day(offset)),
                **kwargs,
            )

    def reply(self, task_id: int, code: str, offset: int, result: str = "Đã thực hiện xong") -> None:
        """The lead unit walks every step and its clerk issues the reply, all on day ``offset``."""
        data = ReplyCreate(code=code, issue_date=self.day(offset), summary="Báo cáo kết quả", result=result)
        self.walk(task_id, "ban_hanh", offset, reply=data)

    def confirm_done(self, task_id: int, offset: int) -> None:
        assert self.runtime is not None
        with self.session() as s:
            confirm_task(
                session=s,
                actor=self.actor("vp.theodoi"),
                config=self.runtime.config,
                task_id=task_id,
                now=at(self.day(offset)),
                data=ConfirmationCreate(outcome=ConfirmOutcome.DONE),
            )

    def taken_back_as_wrong_unit(self, content: str, *, moved_to: str = PLEIKU) -> int:
        """A new task of Sở Tài chính that its leader says is not theirs (2 days ago) and VP UBND
        takes back and gives to ``moved_to`` (yesterday): closed for Sở Tài chính, to file away."""
        assert self.runtime is not None
        task_id = self.new_task(FINANCE, content)
        with self.session() as s:
            request = request_wrong_unit(
                session=s,
                actor=self.actor("stc.lanhdao"),
                task_id=task_id,
                reason="Thuộc chức năng của UBND TP Pleiku",
                now=at(self.day(-2)),
            )
            assert request.id is not None
            decide_wrong_unit(
                session=s,
                actor=self.actor("vp.theodoi"),
                config=self.runtime.config,
                request_id=request.id,
                accept=True,
                new_lead_unit_code=moved_to,
                now=at(self.day(-1)),
            )
        return task_id

    def count(self, model: type) -> int:
        with self.session() as s:
            return int(s.exec(select(func.count()).select_from(model)).one())

    def events(self, task_id: int) -> list[TaskEvent]:
        with self.session() as s:
            return list(s.exec(select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)).all())

    def documents(self) -> list[Document]:
        with self.session() as s:
            return list(s.exec(select(Document).order_by(Document.id)).all())


def seed_standard(w: World) -> None:
    """The data in the module docstring."""
    a1, a2 = w.assign(
        "101/UBND-KT",
        -10,
        [
            TaskCreate(
                content="Báo cáo tình hình thu chi ngân sách quý", lead_unit_code=FINANCE, deadline=w.day(-2)
            ),
            TaskCreate(content="Kiểm tra an toàn thực phẩm", lead_unit_code=HEALTH, deadline=w.day(2)),
        ],
        summary="V/v tăng cường quản lý ngân sách",
    )
    b1, b2 = w.assign(
        "102/UBND-VX",
        -8,
        [
            TaskCreate(content="Rà soát đề án đầu tư công", lead_unit_code=FINANCE, deadline=w.day(2)),
            TaskCreate(
                content="Tổng hợp ý kiến các sở",
                lead_unit_code=FINANCE,
                coordinating_unit_codes=[HEALTH],
                deadline=w.day(20),
            ),
        ],
        summary="V/v đầu tư công năm nay",
    )
    c1, c2, c3 = w.assign(
        "103/UBND-KT",
        -20,
        [
            TaskCreate(content="Xây dựng kế hoạch chuyển đổi số", lead_unit_code=FINANCE, deadline=w.day(-10)),
            TaskCreate(content="Chỉnh trang đô thị trung tâm", lead_unit_code=PLEIKU, deadline=w.day(-15)),
            TaskCreate(content="Lập hồ sơ quyết toán", lead_unit_code=FINANCE, deadline=w.day(5)),
        ],
        summary="V/v chuyển đổi số",
    )
    w.reply(c1, "11/STC-VP", -12)
    w.reply(c2, "22/UBND-PL", -12)
    w.confirm_done(c1, -11)
    w.confirm_done(c2, -11)
    w.reply(c3, "33/STC-VP", -3, result="Đã lập xong hồ sơ quyết toán")
    (d1,) = w.assign(
        "104/UBND-VX",
        -15,
        [TaskCreate(content="Phòng chống dịch sốt xuất huyết", lead_unit_code=HEALTH, deadline=w.day(-1))],
        summary="V/v phòng chống dịch",
    )
    w.tasks.update(a1=a1, a2=a2, b1=b1, b2=b2, c1=c1, c2=c2, c3=c3, d1=d1)


def make_world(root: Path, seed: Callable[[World], None] | None, users: list[str] | None = None) -> Iterator[World]:
    """Set up a world (env, caches, migrated DB, users, data); undo it all afterwards."""
    root.mkdir(parents=True, exist_ok=True)
    mp = pytest.MonkeyPatch()
    w = World(root=root, monkeypatch=mp, today=local_date(now_utc()))
    try:
        w.start()
        w.create_users(users)
        if seed is not None:
            seed(w)
        yield w
    finally:
        mp.undo()
        clear_caches()
        _active[0] = None


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A module-wide world with the standard data; users are created once per module.

    A module may list the users it needs in ``WORLD_USERS`` (argon2 costs ~0.25 s a user), and
    set ``WORLD_CLOCK`` (an aware datetime) to build and use its world at that moment: every clock
    of the process moves there (``time_machine``) and runs on from it.
    """
    extra = getattr(request.module, "WORLD_USERS", None)
    users = None if extra is None else list(dict.fromkeys([*SEED_USERS, *extra]))
    clock: datetime | None = getattr(request.module, "WORLD_CLOCK", None)
    with time_machine.travel(clock, tick=True) if clock is not None else nullcontext():
        yield from make_world(tmp_path_factory.mktemp("world"), seed_standard, users)


@pytest.fixture
def app_as(world: World) -> Callable[..., AppTest]:
    return world.app_as


def by_label(widgets: Sequence[Any], label: str) -> Any:
    """The one widget of a list with this label (fails listing the labels present)."""
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, f"{len(found)} widgets labelled {label!r}; labels: {[w.label for w in widgets]}"
    return found[0]


def values(elements: Sequence[Any]) -> list[Any]:
    return [e.value for e in elements]
