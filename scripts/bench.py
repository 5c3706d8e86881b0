"""Benchmark: statistics and task lists on a generated data set (``make bench``).

Generates N tasks (default 20 000) across all units straight into a fresh SQLite file (bulk
inserts; the journal is not generated), then reports the median time of each read path.
Run: ``.venv/bin/python scripts/bench.py [N] [--postgres]``; ``--postgres`` runs the same on a
throwaway PostgreSQL server (the one the tests use, ``tests/postgres_server.py``).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert
from sqlmodel import Session, select

from models import (
    ActionKey,
    Confirmation,
    ConfirmOutcome,
    Document,
    DocumentKind,
    OrgUnit,
    Role,
    Task,
    TaskClass,
    TaskStatus,
    UnitKind,
    User,
)
from models.schemas import NoteInput
from services.access.permissions import Actor, build_actor
from services.actions.registry import perform
from services.infra.data_version import current_data_version
from services.infra.settings import ROOT, Settings
from services.runtime import start
from services.stats.statistics import (
    Period,
    StatisticsReport,
    dashboard,
    make_period,
    tasks_behind,
    unit_statistics,
)
from services.tasks.queries import list_unit_tasks

if TYPE_CHECKING:
    from tests.postgres_server import PostgresServer

TODAY = date(2026, 11, 23)


def generate(session: Session, n: int) -> None:
    rng = random.Random(1)
    units = [u.id for u in session.exec(select(OrgUnit)).all() if u.kind is not UnitKind.OFFICE]
    now = datetime(2026, 11, 23, tzinfo=UTC)
    session.add(User(username="bench", full_name="Bench", password_hash="x", role=Role.TRACKER, unit_id=1))
    session.commit()
    docs, tasks, replies, confirmations = [], [], [], []
    for i in range(1, n + 1):
        issued = TODAY - timedelta(days=rng.randint(0, 400))
        deadline = issued + timedelta(days=rng.randint(3, 60))
        docs.append(
            dict(
                id=i,
                kind=DocumentKind.ASSIGNMENT,
                issuer="ubnd_tinh",
                code=f"{i}/UBND",
                code_key=f"{i}/UBND",
                issue_date=issued,
                issue_year=issued.year,
                doc_type="cong_van",
                summary="x",
                signer="x",
                result="",
                created_by=1,
                created_at=now,
            )
        )
        status = TaskStatus.OPEN
        roll = rng.random()
        reply_date = issued + timedelta(days=rng.randint(1, 70))
        if roll < 0.6 and reply_date <= TODAY:
            replies.append(
                dict(
                    id=n + i,
                    kind=DocumentKind.REPLY,
                    issuer=f"u{i}",
                    code=f"{i}/R",
                    code_key=f"{i}/R",
                    issue_date=reply_date,
                    issue_year=reply_date.year,
                    doc_type="",
                    summary="r",
                    signer="",
                    result="ok",
                    reply_to_id=i,
                    task_id=i,
                    created_by=1,
                    created_at=now,
                )
            )
            status = TaskStatus.REPLIED
            confirm_on = reply_date + timedelta(days=rng.randint(0, 10))
            if roll < 0.5 and confirm_on <= TODAY:
                confirmations.append(
                    dict(
                        task_id=i,
                        reply_id=n + i,
                        outcome=ConfirmOutcome.DONE,
                        confirmed_on=confirm_on,
                        reason="",
                        actor_id=1,
                        created_at=now,
                    )
                )
                status = TaskStatus.DONE
        tasks.append(
            dict(
                id=i,
                document_id=i,
                seq=1,
                content=f"Nhiệm vụ {i}",
                lead_unit_id=rng.choice(units),
                deadline=deadline,
                status=status,
                created_by=1,
                created_at=now,
            )
        )
    session.execute(insert(Document), docs)
    session.execute(insert(Task), tasks)
    if replies:
        session.execute(insert(Document), replies)
    if confirmations:
        session.execute(insert(Confirmation), confirmations)
    session.commit()


def median_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start_at = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start_at) * 1000)
    return statistics.median(times)


def first_screen(session: Session, actor: Actor, period: Period) -> None:
    """What Giám sát's first run reads: the table, the overdue list, the drill-down over all."""
    board = dashboard(session=session, actor=actor, period=period)
    board.figure_tasks(session=session, due_soon_days=3, task_class=TaskClass.OPEN_OVERDUE)
    board.figure_tasks(session=session, due_soon_days=3)


def first_screen_paged(session: Session, actor: Actor, period: Period) -> None:
    """Giám sát's first run now: the table, a page of the overdue list, a page of the drill-down."""
    board = dashboard(session=session, actor=actor, period=period)
    board.figure_page(session=session, due_soon_days=3, task_class=TaskClass.OPEN_OVERDUE)
    board.figure_page(session=session, due_soon_days=3)


def cached_run(session: Session, actor: Actor, period: Period, report: StatisticsReport) -> None:
    """A page run whose public table came from the cache (same data version): the version, and
    a unit leader's lists read from its own unit's tasks."""
    current_data_version(session=session)
    board = dashboard(session=session, actor=actor, period=period, report=report)
    board.figure_page(session=session, due_soon_days=3, unit_id=actor.unit_id, task_class=TaskClass.OPEN_OVERDUE)
    board.figure_page(session=session, due_soon_days=3, unit_id=actor.unit_id)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 20_000
    server = None
    if "--postgres" in sys.argv:
        from tests.postgres_server import start_server

        server = start_server()
    try:
        run(n, server)
    finally:
        if server is not None:
            server.stop()


def run(n: int, server: PostgresServer | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), config_dir=ROOT / "config", secret_key="bench")
        url = server.url(server.create_database()) if server else f"sqlite:///{tmp}/bench.db"
        print(f"backend: {'PostgreSQL' if server else 'SQLite'}")
        rt = start(settings=settings, database_url=url)
        with Session(rt.engine) as session:
            t0 = time.perf_counter()
            generate(session, n)
            print(f"generated {n} tasks in {time.perf_counter() - t0:.1f} s")
            actor = build_actor(session=session, config=rt.config, user_id=1)
            assert actor is not None
            period = make_period(date_from=date(2026, 1, 1), date_to=TODAY, today=TODAY)
            report = unit_statistics(session=session, period=period)
            print(f"statistics: {report.total.total} tasks in scope, rate {report.total.rate:.3f}")
            unit_id = report.rows[0].unit_id
            results = {
                "unit_statistics (whole province)": median_ms(lambda: unit_statistics(session=session, period=period)),
                "list_unit_tasks (one unit)": median_ms(
                    lambda: list_unit_tasks(session=session, actor=actor, today=TODAY, due_soon_days=3, unit_id=unit_id)
                ),
                "tasks_behind (overdue, all units)": median_ms(
                    lambda: tasks_behind(
                        session=session, actor=actor, period=period, due_soon_days=3, task_class=TaskClass.OPEN_OVERDUE
                    )
                ),
                "dashboard + overdue + drill (first screen)": median_ms(lambda: first_screen(session, actor, period)),
                "tasks_behind (every task: drill default)": median_ms(
                    lambda: tasks_behind(session=session, actor=actor, period=period, due_soon_days=3)
                ),
                "first screen, lists paged (figure_page, 50 rows)": median_ms(
                    lambda: first_screen_paged(session, actor, period)
                ),
                "current_data_version": median_ms(lambda: current_data_version(session=session)),
            }
            # One action through the registry's entry point: guard, version claim, journal, commit.
            open_task = session.exec(select(Task).where(Task.status == TaskStatus.OPEN)).first()
            assert open_task is not None and open_task.id is not None
            session.add(
                User(
                    username="bench.lead",
                    full_name="Bench lead",
                    password_hash="x",
                    role=Role.LEADER,
                    unit_id=open_task.lead_unit_id,
                )
            )
            session.commit()
            lead_user = session.exec(select(User).where(User.username == "bench.lead")).one()
            lead = build_actor(session=session, config=rt.config, user_id=lead_user.id or 0)
            assert lead is not None
            task_id = open_task.id
            results["cached page run, a unit leader (version + own lists)"] = median_ms(
                lambda: cached_run(session, lead, period, report)
            )
            results["perform: one progress note (guard+claim+journal)"] = median_ms(
                lambda: perform(
                    session=session,
                    actor=lead,
                    config=rt.config,
                    task_id=task_id,
                    action=ActionKey.NOTE,
                    data=NoteInput(note="Đang tổng hợp số liệu"),
                )
            )
        rt.engine.dispose()
    for name, ms in results.items():
        print(f"{name:50s} median {ms:8.1f} ms")


if __name__ == "__main__":
    main()
