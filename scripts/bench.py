"""Benchmark of Giám sát's read paths and of two writes, each next to its floor (``make bench``).

Why: a median alone says nothing about whether a read path is good. Here each read path of the
per-unit statistics is timed next to the plainest SQL that gives the same answer (its "floor"),
the two answers are checked equal (a mismatch fails the bench: a fast wrong figure is no figure),
and the ratio ours/floor says how much the service adds on top of what the database must do.
Then the real server is put under a websocket load (``scripts/ws_load.py``), because what a
tracker waits for is a Streamlit page run, not a query.

For each backend (a SQLite file; PostgreSQL on a throwaway server, ``tests/postgres_server.py``)
and each size (20 000 and 100 000 tasks; ``--million`` or ``--tasks 1000000`` adds a million),
a fresh database is filled by ``demo.generate.generate_tasks`` (demo accounts included), then:

1. the generation time;
2. each read path: median of ``--runs`` runs after one warm-up, next to its floor, checked equal;
   the first screen of Giám sát (target ≤ 150 ms at 100 000); ``current_data_version``; two
   writes, an assignment and a confirmation (target ≤ 15 ms each);
3. the plan of each hot statement (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN (ANALYZE,
   BUFFERS)``), the statement captured as the service runs it, compiled with literal binds;
4. the websocket load on Giám sát as the tracker ``vp.theodoi``, one login per session (nginx
   keeps a login on one process): SQLite, one ``streamlit run``; PostgreSQL, ``scripts/serve.py``
   with one process and with two behind nginx, so the second process's gain shows.

Output: plain-text tables on stdout, the same figures as JSON (``--json``, default
``.bench/bench-results.json``). ``--quick``: 20 000 tasks, SQLite, no websocket. Exit 1 when an
answer differs from its floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

# scripts/ is first on sys.path. ``_level`` is ws_load's one concurrency level with a given login
# cookie: the bench needs one login per session (see ``spread_level``), which ``load`` does not offer.
from ws_load import RUN_TIMEOUT_S, LevelResult, _level, login, percentile, server_cpu_s, server_rss  # noqa: E402

from demo.generate import GenerateReport, generate_tasks  # noqa: E402
from demo.seed import DEMO_PASSWORD  # noqa: E402
from models import ConfirmOutcome, OrgUnit, Task, TaskClass, TaskStatus, UnitKind, User  # noqa: E402
from models.schemas import AssignmentCreate, ConfirmationCreate, TaskCreate  # noqa: E402
from services.access.permissions import Actor, build_actor  # noqa: E402
from services.actions.registry import perform  # noqa: E402
from services.config.loader import AppConfig  # noqa: E402
from services.infra.clock import local_date, now_utc  # noqa: E402
from services.infra.data_version import current_data_version  # noqa: E402
from services.infra.database import session_scope  # noqa: E402
from services.infra.settings import Settings  # noqa: E402
from services.runtime import start  # noqa: E402
from services.stats.statistics import (  # noqa: E402
    Dashboard,
    Period,
    RowPage,
    StatisticsReport,
    dashboard,
    make_period,
    unit_statistics,
)
from services.tasks.assignment import create_assignment  # noqa: E402
from services.tasks.queries import unit_task_page  # noqa: E402
from tests.server import free_block, stop_group, streamlit_process  # noqa: E402
from ui.format import chart_frame  # noqa: E402

T = TypeVar("T")

TRACKER = "vp.theodoi"  # VP UBND's tracker in the demo accounts: sees every unit and every list
PAGE = "giam-sat"
PER_PAGE = 50
DRILL_PAGE = 20  # offset 950: a deep page, where a whole-list sort would show
SIZES = (20_000, 100_000)
MILLION = 1_000_000
FIRST_SCREEN_TARGET_MS = 150.0  # at 100 000 tasks
WRITE_TARGET_MS = 15.0
# (sessions, page runs per session): ~230 page runs per server, so two sizes × three servers stay
# within the bench's 20 minutes on two shared cores.
WS_LEVELS = ((1, 5), (5, 5), (20, 5), (50, 2))
SERVER_START_S = 180.0
EPOCH = date(1970, 1, 1)
PLAN_SEPARATOR = "\n-- plan:\n"


# --- results ------------------------------------------------------------------------------------


@dataclass
class Timing:
    """One path: our median next to its floor's, and whether the two answers were equal."""

    name: str
    ours_ms: float
    floor_ms: float | None = None
    floor: str = ""  # what the floor is, in a few words
    equal: bool | None = None  # None: nothing to compare (no floor)
    runs: int = 0
    detail: str = ""  # the answer's size, or the first difference

    @property
    def ratio(self) -> float | None:
        return self.ours_ms / self.floor_ms if self.floor_ms else None


@dataclass
class WsLevel:
    """One concurrency level of the websocket load, the figures ``ws_load`` measured."""

    sessions: int
    runs: int
    completed: int
    errors: int
    runs_per_s: float
    p50_ms: float
    p95_ms: float
    kib_per_run: float
    rss_mib: float | None
    cpu_ms_per_run: float | None
    first_error: str | None

    @classmethod
    def merged(cls, parts: list[LevelResult], *, cpu_s: float | None, rss: int | None) -> WsLevel:
        """One level from its sessions' own results (each ran with its own login, all at once):
        runs/s over the longest session's wall time, percentiles over every run."""
        latencies = [x for part in parts for x in part.latencies_s]
        completed = sum(part.completed for part in parts)
        attempted = sum(part.page_runs_attempted for part in parts)
        wall = max((part.wall_s for part in parts), default=0.0)
        errors = [e for part in parts for e in part.first_errors]
        return cls(
            sessions=sum(part.sessions for part in parts),
            runs=parts[0].runs if parts else 0,
            completed=completed,
            errors=sum(part.errors for part in parts),
            runs_per_s=completed / wall if wall > 0 else 0.0,
            p50_ms=percentile(latencies, 0.50) * 1000,
            p95_ms=percentile(latencies, 0.95) * 1000,
            kib_per_run=sum(part.bytes_received for part in parts) / attempted / 1024 if attempted else 0.0,
            rss_mib=rss / 2**20 if rss is not None else None,
            cpu_ms_per_run=cpu_s * 1000 / attempted if cpu_s is not None and attempted else None,
            first_error=errors[0] if errors else None,
        )


@dataclass
class WsServer:
    """The load on one server layout, after one cold page run (reported apart)."""

    layout: str
    cold_run_ms: float | None  # the slowest of the first page runs (each process's first included)
    levels: list[WsLevel] = field(default_factory=list)
    error: str = ""
    sessions_per_process: dict[str, int] = field(default_factory=dict)  # nginx's access log: upstream → websockets


@dataclass
class SizeResult:
    """Everything measured on one backend at one size."""

    backend: str
    tasks: int
    generation: dict[str, float | int] = field(default_factory=dict)
    reads: list[Timing] = field(default_factory=list)
    writes: list[Timing] = field(default_factory=list)
    explain: dict[str, str] = field(default_factory=dict)
    websocket: list[WsServer] = field(default_factory=list)


# --- timing -------------------------------------------------------------------------------------


def timed(call: Callable[[], T], runs: int) -> tuple[float, T]:
    """Median milliseconds of ``runs`` calls after one warm-up; the warm-up's answer (the one checked)."""
    answer = call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), answer


def day(value: date) -> int:
    """``task_span`` keeps dates as day numbers (``models.types.DayNumber``)."""
    return (value - EPOCH).days


# --- the floors: the plainest SQL that gives each answer -----------------------------------------


def holding(period: Period, offices: list[int], unit_id: int | None = None, task_class: str | None = None) -> str:
    """The spans a report of ``period`` counts, as plain SQL (binds :as_of, :from)."""
    sql = "valid_from <= :as_of AND valid_to >= :as_of AND scope_until >= :from"
    if offices:
        sql += f" AND lead_unit_id NOT IN ({', '.join(str(o) for o in offices)})"
    if unit_id is not None:
        sql += f" AND lead_unit_id = {int(unit_id)}"
    if task_class is not None:
        sql += f" AND task_class = '{TaskClass(task_class).value}'"
    return sql


def binds(period: Period, due_soon_days: int = 0) -> dict[str, int]:
    return {
        "as_of": day(period.as_of),
        "from": day(period.date_from),
        "soon": day(period.as_of + timedelta(days=due_soon_days)),
    }


def floor_counts(session: Session, period: Period, offices: list[int]) -> dict[tuple[int, str], int]:
    """Per unit and class, the spans holding the as-of date (offices dropped here, as
    ``unit_statistics`` leaves VP UBND out of the table)."""
    rows = session.execute(
        text(
            "SELECT lead_unit_id, task_class, count(*) FROM task_span WHERE valid_from <= :as_of "
            "AND valid_to >= :as_of AND scope_until >= :from GROUP BY 1, 2"
        ),
        binds(period),
    )
    return {(int(u), str(c)): int(n) for u, c, n in rows if int(u) not in offices}


def floor_documents(session: Session, period: Period, offices: list[int]) -> int:
    sql = f"SELECT count(DISTINCT document_id) FROM task_span WHERE {holding(period, offices)}"
    return int(session.execute(text(sql), binds(period)).scalar_one())


URGENT_FIRST = (
    "CASE WHEN task_class = 'open_overdue' THEN 0 "
    "WHEN task_class = 'open_on_time' AND NOT awaiting AND deadline <= :soon THEN 1 "
    "WHEN task_class = 'open_on_time' THEN 2 ELSE 3 END"
)


def floor_page(
    session: Session,
    period: Period,
    offices: list[int],
    *,
    due_soon_days: int,
    unit_id: int | None = None,
    task_class: str | None = None,
    offset: int = 0,
) -> list[int]:
    """A list's page, urgent first: the ids ``figure_page`` shows."""
    where = holding(period, offices, unit_id, task_class)
    order = "deadline, task_id" if task_class is not None else f"{URGENT_FIRST}, deadline, task_id"
    ids = session.execute(
        text(f"SELECT task_id FROM task_span WHERE {where} ORDER BY {order} LIMIT {PER_PAGE} OFFSET {offset}"),
        binds(period, due_soon_days),
    ).scalars()
    return [int(i) for i in ids]


def floor_total(
    session: Session, period: Period, offices: list[int], *, unit_id: int | None, task_class: str | None
) -> int:
    """How many tasks the list holds (checked against the page's total, not timed: the page takes
    it from the table's figures)."""
    where = holding(period, offices, unit_id, task_class)
    return int(session.execute(text(f"SELECT count(*) FROM task_span WHERE {where}"), binds(period)).scalar_one())


# --- our answers, in the floors' terms ------------------------------------------------------------


def class_counts(report: StatisticsReport) -> dict[tuple[int, str], int]:
    return {(row.unit_id, c.value): n for row in report.rows for c, n in row.counts.items() if n}


def page_ids(page: RowPage) -> list[int]:
    return [row.task_id for row in page.items]


def difference(ours: Any, floor: Any) -> str:
    """The first difference between two answers, in a few words."""
    if isinstance(ours, dict) and isinstance(floor, dict):
        keys = sorted(set(ours) ^ set(floor) | {k for k in ours if k in floor and ours[k] != floor[k]})
        return f"{len(keys)} keys differ, first {keys[0]}: ours {ours.get(keys[0])} floor {floor.get(keys[0])}"
    if isinstance(ours, set) and isinstance(floor, set):
        return f"ours-only {sorted(ours - floor)[:5]}, floor-only {sorted(floor - ours)[:5]}"
    return f"ours {str(ours)[:200]} floor {str(floor)[:200]}"


def size_of(answer: Any) -> str:
    if isinstance(answer, dict | set | list):
        return f"{len(answer)} items"
    return str(answer)


# --- capturing the service's own statements (for EXPLAIN and the total-row documents) ------------


@contextmanager
def captured(engine: Engine) -> Iterator[list[Any]]:
    """Every statement the engine runs meanwhile that reads ``task_span``, as SQLAlchemy objects:
    the plans are then those of the statements the service really sends."""
    found: list[Any] = []

    def note(_conn: Any, clause: Any, *_args: Any) -> None:
        if "task_span" in str(clause):
            found.append(clause)

    event.listen(engine, "before_execute", note)
    try:
        yield found
    finally:
        event.remove(engine, "before_execute", note)


def literal_sql(engine: Engine, statement: Any) -> str:
    return str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def explain(engine: Engine, statement: Any) -> str:
    """The plan of ``statement`` (literal binds: the plan for these very values)."""
    sql = literal_sql(engine, statement)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            return "\n".join(f"{'  ' * depth(rows, r[0], r[1])}{r[3]}" for r in rows)
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").all()
        return "\n".join(str(r[0]) for r in rows)


def depth(rows: Sequence[Any], node: int, parent: int) -> int:
    """Indentation of an ``EXPLAIN QUERY PLAN`` row: how many parents up to the root."""
    parents = {int(r[0]): int(r[1]) for r in rows}
    level = 0
    while parent in parents and level < 20:
        parent = parents[parent]
        level += 1
    return level


# --- one backend, one size ------------------------------------------------------------------------


@dataclass
class Context:
    """What every measured path needs: the database, the tracker, the periods, a unit to open."""

    engine: Engine
    config: AppConfig
    tracker: Actor
    today: date
    period: Period
    last_year: Period
    offices: list[int]
    unit_id: int  # the unit with the most tasks in this year's table
    unit_code: str
    runs: int

    @property
    def soon(self) -> int:
        return self.config.app.due_soon_days

    def read(self, call: Callable[[Session], T]) -> Callable[[], T]:
        """``call`` in a session of its own, as each read of a page run is."""

        def run() -> T:
            with session_scope(self.engine) as session:
                return call(session)

        return run


def compare(
    ctx: Context,
    name: str,
    ours: Callable[[Session], Any],
    answer: Callable[[Any], Any],
    floor: Callable[[Session], Any],
    floor_text: str,
) -> tuple[Timing, Any]:
    """Time ours and the floor; check the warm-up answers equal. Our warm-up result comes back too."""
    ours_ms, our_result = timed(ctx.read(ours), ctx.runs)
    floor_ms, floor_result = timed(ctx.read(floor), ctx.runs)
    mine = answer(our_result)
    equal = mine == floor_result
    detail = size_of(mine) if equal else "MISMATCH: " + difference(mine, floor_result)
    return Timing(name, ours_ms, floor_ms, floor_text, equal, ctx.runs, detail), our_result


def board_of(ctx: Context, period: Period) -> Dashboard:
    with session_scope(ctx.engine) as session:
        return dashboard(session=session, actor=ctx.tracker, period=period)


def first_screen(ctx: Context, session: Session) -> RowPage:
    """What Giám sát's first run computes in the services: the table (not cached yet), the
    chart's data, the first page of the overdue list."""
    board = dashboard(session=session, actor=ctx.tracker, period=ctx.period)
    chart_frame(board.report, ctx.config)
    return board.figure_page(session=session, due_soon_days=ctx.soon, task_class=TaskClass.OPEN_OVERDUE)


def first_screen_floor(ctx: Context, session: Session) -> list[int]:
    """The floors of the table and of the overdue page, one after the other."""
    floor_counts(session, ctx.period, ctx.offices)
    return floor_page(session, ctx.period, ctx.offices, due_soon_days=ctx.soon, task_class=TaskClass.OPEN_OVERDUE.value)


@dataclass(frozen=True)
class ListOf:
    """A list behind a figure: one unit's or all (None), one class or all (None), which page."""

    name: str
    unit_id: int | None = None
    task_class: TaskClass | None = None
    page: int = 1


def list_page(ctx: Context, board: Dashboard, spec: ListOf) -> Timing:
    """A page of a list next to its floor (same ids); its total checked against the plain count."""
    offset = (spec.page - 1) * PER_PAGE
    cls = None if spec.task_class is None else spec.task_class.value
    order = ("ORDER BY CASE…, " if cls is None else "ORDER BY ") + f"deadline LIMIT {PER_PAGE}"
    timing, page = compare(
        ctx,
        spec.name,
        lambda s: board.figure_page(
            session=s, due_soon_days=ctx.soon, unit_id=spec.unit_id, task_class=spec.task_class, page=spec.page
        ),
        page_ids,
        lambda s: floor_page(
            s, ctx.period, ctx.offices, due_soon_days=ctx.soon, unit_id=spec.unit_id, task_class=cls, offset=offset
        ),
        order + (f" OFFSET {offset}" if offset else ""),
    )
    with session_scope(ctx.engine) as session:
        total = floor_total(session, ctx.period, ctx.offices, unit_id=spec.unit_id, task_class=cls)
    if page.total != total:
        timing.equal = False
        timing.detail = f"MISMATCH: total ours {page.total} floor count(*) {total}"
    elif timing.equal:
        timing.detail = f"{len(page.items)} rows of {page.total}"
    return timing


def statistics_paths(ctx: Context) -> tuple[list[Timing], dict[str, Any]]:
    """The table of this year and of last year, and the total row's documents; the statements the
    table sends (for EXPLAIN)."""
    offices = ctx.offices
    results = []
    with captured(ctx.engine) as sent:
        for period in (ctx.period, ctx.last_year):
            timing, _ = compare(
                ctx,
                f"statistics {period.date_from:%d/%m}–{period.date_to:%d/%m/%Y}",
                lambda s, p=period: unit_statistics(session=s, period=p),  # type: ignore[misc]
                class_counts,
                lambda s, p=period: floor_counts(s, p, offices),  # type: ignore[misc]
                "GROUP BY unit, class",
            )
            results.append(timing)
    # the first statements sent are this year's table: ours ran before the floors
    grouped = next(s for s in sent if "GROUP BY" in str(s))
    documents = next(s for s in sent if "GROUP BY" not in str(s) and "distinct" in str(s).lower())
    # the whole total row's count (single documents from the GROUP BY, shared ones apart), timed as
    # the table computes it
    timing, _ = compare(
        ctx,
        "total row: documents",
        lambda s: unit_statistics(session=s, period=ctx.period).total.documents,
        int,
        lambda s: floor_documents(s, ctx.period, offices),
        "count(DISTINCT document_id)",
    )
    results.append(timing)
    return results, {"statistics (GROUP BY unit)": grouped, "total row: shared documents": documents}


def reads(ctx: Context) -> tuple[list[Timing], dict[str, Any]]:
    """Every read path next to its floor; and the statements to explain, captured as they ran."""
    results, hot = statistics_paths(ctx)
    board = board_of(ctx, ctx.period)
    overdue, unit = TaskClass.OPEN_OVERDUE, ctx.unit_id
    lists = [
        ListOf("overdue list, page 1 (all units)", task_class=overdue),
        ListOf("drill-down, page 1 (all classes)"),
        ListOf(f"drill-down, page {DRILL_PAGE} (offset {(DRILL_PAGE - 1) * PER_PAGE})", page=DRILL_PAGE),
        ListOf(f"one unit's overdue page (unit {unit})", unit_id=unit, task_class=overdue),
    ]
    for spec in lists:
        with captured(ctx.engine) as sent:
            results.append(list_page(ctx, board, spec))
        hot[spec.name] = sent[0]
    # Nhiệm vụ của đơn vị: a page of the unit's tasks that count today (done ones of any year)
    ever = Period(date(1, 1, 1), ctx.today, ctx.today)
    timing, result = compare(
        ctx,
        f"unit_task_page (unit {unit})",
        lambda s: unit_task_page(
            session=s, actor=ctx.tracker, today=ctx.today, due_soon_days=ctx.soon, unit_id=unit, per_page=PER_PAGE
        ),
        lambda found: page_ids(found.rows),
        lambda s: floor_page(s, ever, [], due_soon_days=ctx.soon, unit_id=unit),
        f"ORDER BY CASE…, deadline LIMIT {PER_PAGE}",
    )
    with session_scope(ctx.engine) as session:
        total = floor_total(session, ever, [], unit_id=unit, task_class=None)
    if result.rows.total != total:
        timing.equal = False
        timing.detail = f"MISMATCH: total ours {result.rows.total} floor count(*) {total}"
    elif timing.equal:
        timing.detail = f"{len(result.rows.items)} rows of {result.rows.total}"
    results.append(timing)
    timing, _ = compare(
        ctx,
        "unit_task_page (Tất cả đơn vị)",
        lambda s: unit_task_page(
            session=s, actor=ctx.tracker, today=ctx.today, due_soon_days=ctx.soon, all_units=True, per_page=PER_PAGE
        ),
        lambda found: page_ids(found.rows),
        lambda s: floor_page(s, ever, [], due_soon_days=ctx.soon),
        f"ORDER BY CASE…, deadline LIMIT {PER_PAGE}",
    )
    results.append(timing)
    # a search reads the unit's lines with their texts and matches them in Python (accents ignored)
    search_ms, found = timed(
        ctx.read(
            lambda s: unit_task_page(
                session=s, actor=ctx.tracker, today=ctx.today, due_soon_days=ctx.soon, unit_id=unit, query="bao cao"
            )
        ),
        ctx.runs,
    )
    name = f"unit_task_page search 'bao cao' (unit {unit})"
    results.append(Timing(name, search_ms, runs=ctx.runs, detail=f"{found.rows.total} found"))
    timing, _ = compare(
        ctx,
        "first screen (table + chart + overdue p.1)",
        lambda s: first_screen(ctx, s),
        page_ids,
        lambda s: first_screen_floor(ctx, s),
        "GROUP BY + overdue floor",
    )
    results.append(timing)
    version_ms, _ = timed(ctx.read(lambda s: current_data_version(session=s)), ctx.runs)
    select_one_ms, _ = timed(ctx.read(lambda s: s.execute(text("SELECT 1")).scalar_one()), ctx.runs)
    results.append(Timing("current_data_version", version_ms, select_one_ms, "SELECT 1", None, ctx.runs))
    return results, hot


def writes(ctx: Context) -> list[Timing]:
    """An assignment created, a reply confirmed: each maintains the spans and bumps the data
    version in its own transaction, which is what a tracker waits for."""
    unit_code = ctx.unit_code
    issuer = next(iter(ctx.config.app.issuers))
    doc_type = next(iter(ctx.config.app.document_types))
    counter = iter(range(1_000_000))

    def assign(session: Session) -> int:
        data = AssignmentCreate(
            code=f"{next(counter)}/BENCH-{time.time_ns()}",
            issue_date=ctx.today,
            issuer=issuer,
            doc_type=doc_type,
            summary="Đo hiệu năng: giao một nhiệm vụ",
            signer="Bench",
            tasks=[TaskCreate(content="Báo cáo số liệu", lead_unit_code=unit_code, deadline=ctx.today + timedelta(30))],
        )
        document = create_assignment(session=session, actor=ctx.tracker, config=ctx.config, data=data)
        return document.id or 0

    with session_scope(ctx.engine) as session:
        waiting = list(
            session.exec(
                select(col(Task.id))
                .where(col(Task.status) == TaskStatus.REPLIED)
                .order_by(col(Task.id))
                .limit(ctx.runs + 1)
            ).all()
        )
    replies = iter(waiting)

    def confirm(session: Session) -> int:
        task_id = next(replies) or 0
        perform(
            session=session,
            actor=ctx.tracker,
            config=ctx.config,
            task_id=task_id,
            action="confirm",
            data=ConfirmationCreate(outcome=ConfirmOutcome.DONE),
        )
        return task_id

    assign_ms, _ = timed(ctx.read(assign), ctx.runs)
    result = [Timing("create_assignment (1 task)", assign_ms, runs=ctx.runs)]
    if len(waiting) > ctx.runs:
        confirm_ms, _ = timed(ctx.read(confirm), ctx.runs)
        result.append(Timing("perform confirm (reply waiting)", confirm_ms, runs=ctx.runs))
    return result


def context(engine: Engine, config: AppConfig, today: date, runs: int) -> Context:
    """The tracker, this year and last year, and the unit with the most tasks (its lists are the
    longest a unit has)."""
    with session_scope(engine) as session:
        user = session.exec(select(User).where(col(User.username) == TRACKER)).one()
        tracker = build_actor(session=session, config=config, user_id=user.id or 0)
        assert tracker is not None
        period = make_period(date_from=date(today.year, 1, 1), date_to=today, today=today)
        last_year = make_period(date_from=date(today.year - 1, 1, 1), date_to=date(today.year - 1, 12, 31), today=today)
        report = unit_statistics(session=session, period=period)
        biggest = max(report.rows, key=lambda r: r.total)
        unit = session.get(OrgUnit, biggest.unit_id)
        assert unit is not None
        offices = sorted(
            u.id for u in session.exec(select(OrgUnit)).all() if u.id is not None and u.kind is UnitKind.OFFICE
        )
    return Context(engine, config, tracker, today, period, last_year, offices, biggest.unit_id, unit.code, runs)


def generation(report: GenerateReport) -> dict[str, float | int]:
    """What was generated and how long each part took (the spans' rebuild is most of it)."""
    return {
        "tasks": report.tasks,
        "documents": report.documents,
        "spans": report.spans,
        "events": report.events,
        "seconds": round(report.seconds, 2),
        "insert_seconds": round(report.insert_seconds, 2),
        "spans_seconds": round(report.spans_seconds, 2),
        "analyze_seconds": round(report.analyze_seconds, 2),
    }


# --- the real server under websocket load --------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A running server layout: where to connect, whose process tree to measure, nginx's log."""

    url: str
    pid: int
    access_log: Path | None = None


@contextmanager
def streamlit_server(env: dict[str, str], log: Path) -> Iterator[Served]:
    """One ``streamlit run asgi.py`` (the SQLite layout: one process), as the tests run it."""
    with streamlit_process(env, log, timeout_s=SERVER_START_S) as (url, pid):
        yield Served(url, pid)


@contextmanager
def serve_layout(env: dict[str, str], processes: int, log: Path) -> Iterator[Served]:
    """``scripts/serve.py --processes N`` (nginx in front), until its ``serve.json`` says ready."""
    port = free_block(1 + processes)
    run_dir = Path(tempfile.mkdtemp(prefix=f"giaoviec-bench-serve{processes}-"))
    run_dir.chmod(0o755)  # nginx's workers (nobody, when run as root) write in here
    command = [sys.executable, "scripts/serve.py", "--processes", str(processes), "--port", str(port), "--allow-demo"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--runtime-dir", str(run_dir)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_S
        state = run_dir / "serve.json"
        while not state.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve.py did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield Served(json.loads(state.read_text())["url"], proc.pid, run_dir / "access.log")
    finally:
        stop_group(proc)


async def spread_level(served: Served, cookies: list[str], *, sessions: int, runs: int, query: str) -> WsLevel:
    """``sessions`` websockets at once, each with its own login, as that many officials' browsers.

    nginx sends every request of one login cookie to the same process (``deploy/nginx.conf.template``,
    ``hash $giaoviec_affinity``): sessions sharing one login would all land on one process, and a
    second process would show no gain. The server's CPU and RSS are read over its whole tree."""
    cpu_before = server_cpu_s(served.pid)
    parts = await asyncio.gather(
        *(
            _level(
                served.url,
                cookies[i % len(cookies)],
                sessions=1,
                runs=runs,
                page=PAGE,
                query=query,
                browser_cache=True,
                server_pid=None,
                run_timeout=RUN_TIMEOUT_S,
            )
            for i in range(sessions)
        )
    )
    cpu_after = server_cpu_s(served.pid)
    cpu = cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    return WsLevel.merged(list(parts), cpu_s=cpu, rss=server_rss(served.pid))


def sessions_per_process(access_log: Path | None) -> dict[str, int]:
    """How many websockets nginx gave each app process (its log line names the upstream)."""
    counts: dict[str, int] = {}
    if access_log is None or not access_log.exists():
        return counts
    for line in access_log.read_text(encoding="utf-8", errors="replace").splitlines():
        if "/_stcore/stream" in line and "upstream=" in line:
            upstream = line.split("upstream=", 1)[1].split()[0]
            counts[upstream] = counts.get(upstream, 0) + 1
    return counts


def ws_load(layout: str, served: Served, query: str, levels: tuple[tuple[int, int], ...]) -> WsServer:
    """Log in once per session of the largest level, run the page once in a few sessions (a fresh
    process fills its caches; with two processes both must have run it), then each level."""
    most = max((n for n, _ in levels), default=1)
    cookies = [login(served.url, user=TRACKER, password=DEMO_PASSWORD) for _ in range(max(most, 4))]
    cold = asyncio.run(spread_level(served, cookies, sessions=4, runs=1, query=query))
    server = WsServer(layout, cold.p95_ms if cold.completed else None)
    if cold.errors:
        server.error = f"cold runs: {cold.first_error}"
    for sessions, runs in levels:
        server.levels.append(asyncio.run(spread_level(served, cookies, sessions=sessions, runs=runs, query=query)))
    server.sessions_per_process = sessions_per_process(served.access_log)
    return server


def server_env(url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GIAOVIEC_DATABASE_URL")}
    env.update(
        GIAOVIEC_DATABASE_URL=url,
        DATABASE_URL=url,
        GIAOVIEC_DATA_DIR=str(data_dir),
        GIAOVIEC_SECRET_KEY="bench-secret-not-for-production",
        PYTHONUNBUFFERED="1",
    )
    return env


def websocket(backend: str, url: str, folder: Path, today: date, levels: tuple[tuple[int, int], ...]) -> list[WsServer]:
    query = f"from={date(today.year, 1, 1).isoformat()}&to={today.isoformat()}"
    env = server_env(url, folder / "data")
    layouts: list[tuple[str, int]] = [("1 streamlit process", 1)] if backend == "sqlite" else []
    layouts += [(f"serve.py, {n} process{'es' if n > 1 else ''} + nginx", n) for n in (1, 2) if backend != "sqlite"]
    servers = []
    for layout, processes in layouts:
        print(f"   websocket load: {backend}, {layout}…", flush=True)
        starter = (
            streamlit_server(env, folder / "streamlit.log")
            if backend == "sqlite"
            else serve_layout(env, processes, folder / f"serve{processes}.log")
        )
        try:
            with starter as served:
                servers.append(ws_load(layout, served, query, levels))
        except Exception as exc:  # a server that does not start is a figure too: reported, not fatal
            servers.append(WsServer(layout, None, error=f"{type(exc).__name__}: {exc}"[:2000]))
    return servers


# --- the run --------------------------------------------------------------------------------------


def bench_size(backend: str, url: str, folder: Path, tasks: int, args: argparse.Namespace) -> SizeResult:
    """Generate ``tasks`` into a fresh database at ``url``, then measure everything on it."""
    result = SizeResult(backend, tasks)
    runtime = start(settings=Settings(data_dir=folder / "data", secret_key="bench"), database_url=url)
    today = local_date(now_utc())
    try:
        with session_scope(runtime.engine) as session:
            result.generation = generation(
                generate_tasks(session=session, config=runtime.config, tasks=tasks, today=today)
            )
        print(f"\n== {backend}, {tasks:,} tasks: generated in {result.generation['seconds']:.1f} s", flush=True)
        ctx = context(runtime.engine, runtime.config, today, args.runs)
        result.reads, hot = reads(ctx)
        for name, statement in hot.items():
            try:
                result.explain[name] = (
                    literal_sql(runtime.engine, statement) + PLAN_SEPARATOR + explain(runtime.engine, statement)
                )
            except Exception as exc:  # a statement that will not compile literally: say so, go on
                result.explain[name] = f"(no plan: {type(exc).__name__}: {exc})"
        result.writes = writes(ctx)
    finally:
        runtime.engine.dispose()
    if args.websocket:
        levels = args.ws_levels if tasks < MILLION else ((1, 3), (5, 2))
        result.websocket = websocket(backend, url, folder, today, levels)
    print_size(result)
    return result


def bench_backend(backend: str, sizes: list[int], args: argparse.Namespace) -> list[SizeResult]:
    results = []
    server = None
    if backend == "postgresql":
        from tests.postgres_server import start_server

        server = start_server()
    try:
        for tasks in sizes:
            with tempfile.TemporaryDirectory(prefix="giaoviec-bench-") as tmp:
                folder = Path(tmp)
                folder.chmod(0o755)
                url = server.url(server.create_database()) if server else f"sqlite:///{folder / 'bench.db'}"
                results.append(bench_size(backend, url, folder, tasks, args))
                if server is not None:
                    server.drop_database(url.rsplit("/", 1)[-1])
    finally:
        if server is not None:
            server.stop()
    return results


# --- the report -----------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def print_size(r: SizeResult) -> None:
    g = r.generation
    print(f"\n### {r.backend}, {r.tasks:,} tasks")
    print(
        f"generation: {g['seconds']:.1f} s (insert {g['insert_seconds']:.1f} s, spans {g['spans_seconds']:.1f} s, "
        f"ANALYZE {g['analyze_seconds']:.1f} s); {g['documents']:,} documents, {g['spans']:,} spans, "
        f"{g['events']:,} journal entries"
    )
    print("\nread paths, median ms (ours next to the plainest SQL giving the same answer)")
    print(
        table(
            ["path", "ours", "floor", "ratio", "equal", "floor is", "answer"],
            [
                [
                    t.name,
                    ms(t.ours_ms),
                    ms(t.floor_ms),
                    "—" if t.ratio is None else f"{t.ratio:.1f}×",
                    {True: "yes", False: "NO", None: "—"}[t.equal],
                    t.floor,
                    t.detail,
                ]
                for t in r.reads
            ],
        )
    )
    print(f"\nwrites, median ms (target ≤ {WRITE_TARGET_MS:.0f} ms)")
    print(
        table(["write", "ms", "target"], [[t.name, ms(t.ours_ms), met(t.ours_ms, WRITE_TARGET_MS)] for t in r.writes])
    )
    print("\nplans of the hot statements, as the service sends them with literal binds (their SQL: in the JSON)")
    for name, plan in r.explain.items():
        print(f"-- {name}\n{plan.split(PLAN_SEPARATOR, 1)[-1]}\n")
    for server in r.websocket:
        print(
            f"websocket load on Giám sát as {TRACKER} (one login per session): {server.layout}; "
            f"slowest first run {ms(server.cold_run_ms)} ms"
        )
        if len(server.sessions_per_process) > 1:
            spread = ", ".join(f"{up} {n}" for up, n in sorted(server.sessions_per_process.items()))
            print(f"  websockets per app process (nginx): {spread}")
        if server.error:
            print(f"  error: {server.error}")
        if server.levels:
            print(
                table(
                    [
                        "sessions",
                        "runs",
                        "ok",
                        "runs/s",
                        "p50 ms",
                        "p95 ms",
                        "errors",
                        "KiB/run",
                        "RSS MiB",
                        "CPU ms/run",
                    ],
                    [
                        [
                            str(lv.sessions),
                            str(lv.runs),
                            str(lv.completed),
                            f"{lv.runs_per_s:.2f}",
                            ms(lv.p50_ms),
                            ms(lv.p95_ms),
                            str(lv.errors),
                            f"{lv.kib_per_run:.1f}",
                            "?" if lv.rss_mib is None else f"{lv.rss_mib:.0f}",
                            "?" if lv.cpu_ms_per_run is None else f"{lv.cpu_ms_per_run:.0f}",
                        ]
                        for lv in server.levels
                    ],
                )
            )
            for lv in server.levels:
                if lv.first_error:
                    print(f"  {lv.sessions} sessions, first error: {lv.first_error}")
        print()
    sys.stdout.flush()


def met(value: float, target: float) -> str:
    return f"met (≤ {target:.0f})" if value <= target else f"NOT met (> {target:.0f})"


def print_ratios(results: list[SizeResult]) -> None:
    """Every read path's ours/floor at every backend and size, side by side."""
    if not results:
        return
    columns = [f"{r.backend[:6]} {r.tasks // 1000}k" for r in results]
    rows = []
    for index, first in enumerate(results[0].reads):
        cells = []
        for r in results:
            t = r.reads[index]
            ratio = "" if t.ratio is None else f" ({t.ratio:.1f}×)"
            cells.append(f"{ms(t.ours_ms)}/{ms(t.floor_ms)}{ratio}" + ("" if t.equal is not False else " NO"))
        rows.append([first.name.split(" (unit")[0], *cells])
    for w, name in enumerate(("create_assignment", "perform confirm")):
        rows.append([name, *(ms(r.writes[w].ours_ms) if len(r.writes) > w else "—" for r in results)])
    print("\nours/floor ms (ratio), every backend and size")
    print(table(["path", *columns], rows))


def summary(results: list[SizeResult]) -> list[str]:
    """The targets and the mismatches, one line each."""
    lines = []
    for r in results:
        for t in r.reads:
            if t.equal is False:
                lines.append(f"MISMATCH {r.backend} {r.tasks:,}: {t.name}: {t.detail}")
            if t.name.startswith("first screen") and r.tasks >= 100_000:
                lines.append(
                    f"{r.backend} {r.tasks:,}: first screen {ms(t.ours_ms)} ms: "
                    + met(t.ours_ms, FIRST_SCREEN_TARGET_MS)
                )
        for t in r.writes:
            lines.append(f"{r.backend} {r.tasks:,}: {t.name} {ms(t.ours_ms)} ms: {met(t.ours_ms, WRITE_TARGET_MS)}")
    return lines


def ws_levels(raw: str) -> tuple[tuple[int, int], ...]:
    """``1x5,5x5,20x5,50x2``: sessions × page runs per session, one level after the other."""
    pairs = [part.split("x") for part in raw.split(",") if part.strip()]
    return tuple((int(sessions), int(runs)) for sessions, runs in pairs)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL only (same as --backend postgresql)")
    parser.add_argument("--tasks", type=int, action="append", default=[], help="add a size (repeatable)")
    parser.add_argument("--million", action="store_true", help="add 1 000 000 tasks")
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="comma-separated sizes (default 20000,100000)"
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per path after the warm-up (≥ 5)")
    parser.add_argument("--no-websocket", dest="websocket", action="store_false", help="skip the websocket load")
    parser.add_argument(
        "--ws-levels",
        type=ws_levels,
        default=WS_LEVELS,
        help="websocket levels as SESSIONSxRUNS,… (default " + ",".join(f"{s}x{r}" for s, r in WS_LEVELS) + ")",
    )
    parser.add_argument("--quick", action="store_true", help="20 000 tasks, SQLite, no websocket")
    parser.add_argument("--json", type=Path, default=ROOT / ".bench" / "bench-results.json", help="figures as JSON")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()] + args.tasks + ([MILLION] if args.million else [])
    args.size_list = sorted(set(sizes))
    args.backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if args.postgres:
        args.backends = ["postgresql"]
    if args.quick:
        args.size_list, args.backends, args.websocket = [20_000], ["sqlite"], False
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    print(
        f"Giao việc bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; sizes {args.size_list}, backends {args.backends}, {args.runs} runs per path"
    )
    results = [r for backend in args.backends for r in bench_backend(backend, args.size_list, args)]
    lines = summary(results)
    print("\n### summary")
    print_ratios(results)
    print("\n".join(lines))
    print(f"bench took {time.perf_counter() - began:.0f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "results": [asdict(r) | {"ratios": {t.name: t.ratio for t in r.reads}} for r in results],
        "summary": lines,
        "seconds": round(time.perf_counter() - began, 1),
    }
    args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"figures: {args.json}")
    return 1 if any(line.startswith("MISMATCH") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
