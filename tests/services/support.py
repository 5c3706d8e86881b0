"""Small helpers shared by the service tests (not a test module)."""

from __future__ import annotations

import contextlib
import shutil
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from demo.seed import UnitStaff, unit_staff
from models import (
    Confirmation,
    ConfirmOutcome,
    Document,
    Extension,
    Flow,
    OrgUnit,
    Role,
    Task,
    TaskCoordinator,
    TaskEvent,
    WrongUnitRequest,
)
from models.schemas import AssignmentCreate, ConfirmationCreate, ReplyCreate, TaskCreate
from services.access.accounts import create_user
from services.access.permissions import Actor, build_actor
from services.infra.database import make_engine
from services.infra.settings import ROOT, Settings
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from services.workflow.engine import main_flow
from tests import postgres_server
from tests.actions import confirm_task, fire, issue_reply
from tests.conftest import PASSWORD, at

# A cheap argon2 for accounts created by fixtures (see conftest.py); verification reads the cost
# from the hash, so logging in works the same.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SECRET = "test-secret"

TRACKED: tuple[type[SQLModel], ...] = (
    Document,
    Task,
    TaskEvent,
    TaskCoordinator,
    Confirmation,
    Extension,
    Flow,
    WrongUnitRequest,
)

# The short workflow ("ngan") up to the last step: state -> (transition, who of the unit fires it)
_TO_ISSUE: dict[str, tuple[str, str]] = {
    "cho_vao_so": ("vao_so", "clerk"),
    "cho_but_phe": ("but_phe", "leader"),
    "cho_du_thao": ("trinh_du_thao", "specialist"),
    "cho_duyet": ("duyet", "leader"),
}


def runtime_on_copy(database: Path | str, folder: Path, template: Runtime) -> Runtime:
    """A runtime (same settings and config as the template) on a copy of ``database``.

    SQLite: a byte copy of the file, taken after the source's engine was disposed (WAL
    checkpointed into the file). PostgreSQL: ``CREATE DATABASE … TEMPLATE <database>`` on the
    run's own server (``tests/postgres_server.py``). Modules that need a long history in every
    test build it once into such a copy and hand each test a further copy of it (see
    ``test_statistics.py``); ``release`` disposes of a copy."""
    settings = Settings(data_dir=folder, config_dir=ROOT / "config", secret_key=SECRET)
    if template.engine.url.get_backend_name() == "postgresql":
        server = postgres_server.current()
        name = server.create_database(template=str(database))
        return Runtime(settings=settings, config=template.config, engine=make_engine(server.url(name)))
    target = folder / "test.db"
    shutil.copyfile(database, target)
    return Runtime(settings=settings, config=template.config, engine=make_engine(f"sqlite:///{target}"))


def database_handle(runtime: Runtime) -> Path | str:
    """What ``runtime_on_copy`` copies: the SQLite file, or the PostgreSQL database name."""
    name = str(runtime.engine.url.database)
    return name if runtime.engine.url.get_backend_name() == "postgresql" else Path(name)


def release(runtime: Runtime) -> None:
    """Close the copy's connections; on PostgreSQL drop the database (the file goes with tmp_path)."""
    runtime.engine.dispose()
    if runtime.engine.url.get_backend_name() == "postgresql":
        postgres_server.current().drop_database(str(runtime.engine.url.database))


def make_actor(runtime: Runtime, session: Session, username: str, role: Role, unit_code: str) -> Actor:
    """Like the ``make_user`` fixture (same name and password), usable outside a test."""
    user = create_user(
        session=session,
        username=username,
        full_name=username.title(),
        password=PASSWORD,
        role=role,
        unit_code=unit_code,
    )
    actor = build_actor(session=session, config=runtime.config, user_id=user.id or 0)
    assert actor is not None
    return actor


def row_counts(session: Session) -> dict[str, int]:
    """Rows per tracked table, as seen by ``session`` (flushed but uncommitted rows included)."""
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()  # type: ignore[call-overload]
        for model in TRACKED
    }


def flow_snapshot(session: Session, task_id: int | None = None) -> list[tuple[Any, ...]]:
    """Every flow (of one task, or all) as plain values: to prove a refused step changed nothing."""
    query = select(Flow).order_by(col(Flow.id))
    if task_id is not None:
        query = query.where(Flow.task_id == task_id)
    return [
        (f.id, f.task_id, f.unit_id, f.parent_flow_id, f.workflow, f.committed, f.state, f.assignee_id, f.active)
        for f in session.exec(query).all()
    ]


def unit_id(session: Session, code: str) -> int:
    unit = session.exec(select(OrgUnit).where(OrgUnit.code == code)).one()
    assert unit.id is not None
    return unit.id


def staff(runtime: Runtime, session: Session, code: str) -> UnitStaff:
    """The clerk, leader and specialist of a unit (created once; the Sở Tài chính and Pleiku
    accounts of the ``actors`` fixture are reused by username)."""
    unit = session.exec(select(OrgUnit).where(OrgUnit.code == code)).one()
    return unit_staff(session, runtime.config, unit)


def task_ids(session: Session, document: Document) -> list[int]:
    """Ids of a document's tasks, in their order in the document."""
    rows = session.exec(select(Task).where(Task.document_id == document.id).order_by(Task.seq)).all()  # type: ignore[arg-type]
    return [t.id for t in rows if t.id is not None]


def task(content: str, lead: str, deadline: date, coordinators: list[str] | None = None) -> TaskCreate:
    return TaskCreate(
        content=content, lead_unit_code=lead, coordinating_unit_codes=coordinators or [], deadline=deadline
    )


def assign(
    runtime: Runtime,
    session: Session,
    tracker: Actor,
    *,
    code: str,
    issued: date,
    tasks: list[TaskCreate],
    issuer: str = "ubnd_tinh",
) -> tuple[Document, list[int]]:
    """Create an assignment document dated and entered on ``issued``; return it and its task ids."""
    doc = create_assignment(
        session=session,
        actor=tracker,
        config=runtime.config,
        now=at(issued),
        data=AssignmentCreate(
            code=code,
            issue_date=issued,
            issuer=issuer,
            doc_type="cong_van",
            summary=f"V/v thực hiện văn bản {code}",
            signer="Nguyễn Văn A",
            tasks=tasks,
        ),
    )
    return doc, task_ids(session, doc)


def walk_to_issue(runtime: Runtime, session: Session, task_id: int, *, now: datetime) -> UnitStaff:
    """Fire the lead unit's short workflow from wherever its main flow stands up to "chờ văn thư
    ban hành" (vào sổ → bút phê → dự thảo → duyệt), each step by the right person; return the staff."""
    current = session.get(Task, task_id)
    assert current is not None
    code = session.get(OrgUnit, current.lead_unit_id).code  # type: ignore[union-attr]
    team = staff(runtime, session, code)
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.id is not None
    while flow.state in _TO_ISSUE:
        transition, who = _TO_ISSUE[flow.state]
        fire(
            session=session,
            actor=getattr(team, who),
            config=runtime.config,
            flow_id=flow.id,
            transition=transition,
            assignee_id=team.specialist.user_id if transition == "but_phe" else None,
            now=now,
        )
    assert flow.state == "cho_ban_hanh", flow.state
    return team


def reply_data(code: str, on: date) -> ReplyCreate:
    return ReplyCreate(code=code, issue_date=on, summary="Báo cáo kết quả", result="Đã thực hiện")


def reply(
    runtime: Runtime, session: Session, task_id: int, *, code: str, on: date, entered: date | None = None
) -> Document:
    """Walk the lead unit's flow and have its clerk issue a reply dated ``on``, entered into the
    system on ``entered`` (default the same day). The steps still to take before it are taken on
    ``on`` (a reply is never dated before its draft was approved); a reply entered more than
    ``reply_backdate_limit_days`` after its date carries a reason ("Lý do ghi lùi ngày")."""
    entered = entered or on
    team = walk_to_issue(runtime, session, task_id, now=at(on))
    behind = (entered - on).days > runtime.config.app.reply_backdate_limit_days
    return issue_reply(
        session=session,
        actor=team.clerk,
        config=runtime.config,
        task_id=task_id,
        now=at(entered),
        data=reply_data(code, on).model_copy(
            update={"backdate_reason": "Văn bản ký trước, vào sổ sau" if behind else ""}
        ),
    )


def confirm(
    runtime: Runtime,
    session: Session,
    tracker: Actor,
    task_id: int,
    *,
    on: date,
    done: bool = True,
    reason: str = "",
    new_deadline: date | None = None,
) -> Confirmation:
    return confirm_task(
        session=session,
        actor=tracker,
        config=runtime.config,
        task_id=task_id,
        now=at(on),
        data=ConfirmationCreate(
            outcome=ConfirmOutcome.DONE if done else ConfirmOutcome.NOT_DONE,
            reason=reason,
            new_deadline=new_deadline,
        ),
    )


def pause_after(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
    """Make ``owner.name`` (a function called by keyword) wait, after it returns, until a second
    thread has returned from it too, or 1.5 s: two racers then both pass it before either goes
    on, unless a lock taken before it holds the second back (the barrier then times out)."""
    met = threading.Barrier(2, timeout=1.5)
    real = getattr(owner, name)

    def then_wait(**kwargs: Any) -> Any:
        found = real(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            met.wait()
        return found

    monkeypatch.setattr(owner, name, then_wait)
