"""README's "Demo accounts" is what `make run` seeds: every account of its table exists in a freshly
seeded demo database with the role and unit the table says, and the demo tasks it points at are
where it says (the tasks sent back, Trường hợp 1 half-way through its sub-units, the pending
"not our remit" request). The README still opens with the two commands, and the port it
documents is the Makefile's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, col, select

from demo.seed import seed_demo
from models import ExtensionRequest, Flow, OrgUnit, RequestStatus, Role, Task, TaskStatus, User, WrongUnitRequest
from services.access.permissions import build_actor
from services.infra.clock import local_date, now_utc
from services.infra.settings import ROOT, Settings
from services.runtime import Runtime, start
from services.tasks.queries import get_task_detail

README = ROOT / "README.md"
ROW = re.compile(r"^\| `(?P<username>[^`]+)` \| (?P<role>[^|]+?) \((?P<key>[a-z]+)\) \| (?P<unit>[^|]+?) \|")


SUBUNIT_ROW = re.compile(
    r"^\| (?P<unit>[^|`]+?) \| `(?P<clerk>[^`]+)` \| `(?P<leader>[^`]+)` \| `(?P<specialist>[^`]+)` \|$"
)


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("\n## Demo accounts\n") : text.index("\n## What each role can do\n")]


def demo_table() -> dict[str, tuple[Role, str]]:
    """username -> (role, unit) of both tables of the "## Demo accounts" section: one account a
    line, then one phòng a line with its văn thư, lãnh đạo and chuyên viên."""
    rows = {}
    for line in _section().splitlines():
        if line.startswith("| `"):
            found = ROW.match(line)
            assert found is not None, f"a line of the table the test cannot read: {line}"
            rows[found["username"]] = (Role(found["key"]), found["unit"].strip())
        elif (phong := SUBUNIT_ROW.match(line)) is not None and phong["unit"].strip() != "Phòng":
            for key, role in (("clerk", Role.CLERK), ("leader", Role.LEADER), ("specialist", Role.SPECIALIST)):
                rows[phong[key]] = (role, phong["unit"].strip())
    return rows


def test_every_phong_of_the_org_has_its_accounts_listed() -> None:
    org = yaml.safe_load((ROOT / "config" / "org.yaml").read_text(encoding="utf-8"))
    subunits = [u for u in org["units"] if u.get("kind") == "subunit"]
    assert subunits
    table = demo_table()
    for unit in subunits:
        for prefix in ("vt", "ld", "cv"):
            username = f"{prefix}.{unit['code'].lower()}"
            assert table.get(username, (None, ""))[1] == unit["short_name"], username


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """`manage.py migrate` and `manage.py seed-demo` into a fresh SQLite file."""
    folder = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=folder, config_dir=ROOT / "config", secret_key="readme-test")
    runtime = start(settings=settings, database_url=f"sqlite:///{folder / 'demo.db'}")
    with Session(runtime.engine) as session:
        assert seed_demo(session=session, config=runtime.config, today=local_date(now_utc())) == 43
    yield runtime
    runtime.engine.dispose()


def test_the_table_lists_every_account_a_routing_case_needs() -> None:
    table = demo_table()
    # the short workflow at Sở Tài chính and at Pleiku, Trường hợp 1 at Sở TT&TT and both its phòng
    for prefix in ("vt", "ld", "cv"):
        for code in ("000.00.11.h21", "000.01.11.h21", "000.02.11.h21"):
            assert f"{prefix}.{code}" in table
    for username in ("stc.vanthu", "stc.lanhdao", "stc.chuyenvien", "vt.000.00.31.h21", "pleiku.lanhdao"):
        assert username in table
    assert {role for role, _ in table.values()} == set(Role)


def test_every_listed_account_exists_with_its_role_and_unit(demo: Runtime) -> None:
    table = demo_table()
    with Session(demo.engine) as session:
        units = {u.id: u for u in session.exec(select(OrgUnit)).all()}
        users = {u.username: u for u in session.exec(select(User)).all()}
        for username, (role, unit) in table.items():
            assert username in users, f"{username} is in the README but not in the demo"
            user = users[username]
            assert user.role is role, (username, user.role, role)
            assert unit in (units[user.unit_id].short_name, units[user.unit_id].name), (username, unit)
            assert user.active, username


def test_the_demo_tasks_are_where_the_readme_says(demo: Runtime) -> None:
    today = local_date(now_utc())
    with Session(demo.engine) as session:
        clerk = session.exec(select(User).where(User.username == "stc.vanthu")).one()
        actor = build_actor(session=session, config=demo.config, user_id=clerk.id or 0)
        assert actor is not None
        for task_id in (6, 13):  # "tasks #6 and #13 were sent back"
            detail = get_task_detail(session=session, actor=actor, task_id=task_id, today=today, due_soon_days=3)
            assert detail.sent_back and detail.row.lead_unit_name == "Sở Tài chính", task_id
        # "Trường hợp 1 (task #43)": P. CNTT's part done, TT CNTT-TT waiting for its văn thư
        flows = session.exec(select(Flow).where(Flow.task_id == 43, Flow.active == True).order_by(col(Flow.id))).all()  # noqa: E712
        names = {u.id: u.short_name for u in session.exec(select(OrgUnit)).all()}
        assert [(names[f.unit_id], f.workflow, f.state) for f in flows] == [
            ("Sở TT&TT", "truong_hop_1", "cho_don_vi_truc_thuoc"),
            ("P. CNTT (Sở TT&TT)", "truong_hop_1_truc_thuoc", "da_gui_don_vi_cha"),
            ("TT CNTT-TT (Sở TT&TT)", "truong_hop_1_truc_thuoc", "cho_tiep_nhan"),
        ]
        specialist = session.exec(select(User).where(User.username == "cv.000.00.11.h21")).one()
        assert flows[0].assignee_id == specialist.id  # "the chuyên viên theo dõi of #43"
        # "the 'not our remit' request on task #44", asked by Sở TT&TT's leader
        request = session.exec(select(WrongUnitRequest).where(WrongUnitRequest.task_id == 44)).one()
        leader = session.exec(select(User).where(User.username == "ld.000.00.11.h21")).one()
        assert (request.status, request.requested_by) == (RequestStatus.PENDING, leader.id)
        task = session.get(Task, 44)
        assert task is not None and task.status is TaskStatus.OPEN
        # "one request waiting: stc.lanhdao asked ten more days for #36, a Sở Tài chính task"
        (asked,) = session.exec(select(ExtensionRequest)).all()
        finance_leader = session.exec(select(User).where(User.username == "stc.lanhdao")).one()
        assert (asked.task_id, asked.status, asked.requested_by) == (36, RequestStatus.PENDING, finance_leader.id)
        due = session.get(Task, 36)
        assert due is not None and due.status is TaskStatus.OPEN
        assert (asked.requested_deadline - due.deadline).days == 10


def test_the_readme_opens_with_the_two_commands_and_names_the_port() -> None:
    text = README.read_text(encoding="utf-8")
    assert re.match(r"# Giao việc\n\n```\nmake run {5}# [^\n]*\nmake test {4}# [^\n]*\n```\n", text)
    makefile = Path(ROOT / "Makefile").read_text(encoding="utf-8")
    port = re.search(r"^PORT\s+\?=\s+(\d+)$", makefile, re.MULTILINE)
    assert port is not None
    section = text[text.index("\n## Demo accounts\n") : text.index("\n## What each role can do\n")]
    assert f"http://localhost:{port[1]}" in section and "`make run PORT=8502`" in section
