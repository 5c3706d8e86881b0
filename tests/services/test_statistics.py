"""Statistics: one definition, everywhere (docs/statistics.md).

A hand-built history for Sở Tài chính (F*), Sở Y tế (H*) and UBND TP Pleiku (P*), every date
explicit. The expected figures below are worked out BY HAND from docs/statistics.md's definition and
written out literally; the code under test is never used to compute them.

Period [from, to] = [01/03/2026, 31/03/2026] unless said otherwise.

    task doc     assigned  deadline  history                                       as of 31/03
    F10  D_jan   15/01     30/01     reply 28/01, done 02/02                        excluded (done before from)
    F9   D_feb   10/02     20/02     —                                              open overdue (carried over)
    F11  D_feb   10/02     25/02     reply 24/02, done ON 01/03 (= from)            done on time (included)
    F1   D_mar_a 02/03     10/03     reply 10/03 (deadline day), done 12/03         done on time
    F2   D_mar_a 02/03     10/03     reply 11/03 (deadline+1), done 12/03           done late
    F3   D_mar_a 02/03     31/03     —                                              open on time (as-of = deadline)
    F4   D_mar_a 02/03     30/03     —                                              open overdue (as-of = deadline+1)
    F5   D_mar_a 02/03     10/03     reply 12/03, not done 16/03 + extension 10/04  open on time (deadline 10/04)
    F6   D_mar_a 02/03     20/03     reply 18/03, unconfirmed                       open on time, awaiting
    F7   D_mar_a 02/03     10/03     reply 13/03, unconfirmed                       open overdue, awaiting
    F8   D_mar_a 02/03     20/03     reply 15/03, not done 16/03 (no extension)     open overdue (old deadline)
    F13  D_mar_b 05/03     25/03     reply 01/04, done 03/04 (both after to)        open overdue
    F14  D_mar_b 05/03     31/03     reply 30/03, done 02/04 (after to)             open on time, awaiting
    F12  D_apr   02/04     10/04     —                                              excluded (assigned after to)
    P1   D_mar_a 02/03     10/03     reply 10/03, done 11/03                        done on time
    P2   D_mar_a 02/03     31/03     — (coordinated by Sở Nội vụ)                   open on time
    H1   D_mar_b 05/03     20/03     reply 25/03, done 26/03                        done late
    H2   D_mar_b 05/03     30/04     —                                              open on time

F1 is coordinated by Sở Y tế and Sở Nội vụ: neither is counted for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from models import Role, TaskClass, User
from services.access.permissions import Actor, build_actor
from services.infra.errors import InvalidInput, PermissionDenied
from services.runtime import Runtime
from services.stats.rows import build_rows
from services.stats.statistics import UnitStats, dashboard, make_period, tasks_behind, unit_statistics
from tests.conftest import FINANCE, HEALTH, OFFICE, PLEIKU
from tests.services.support import (
    FAST_HASHER,
    assign,
    confirm,
    database_handle,
    make_actor,
    release,
    reply,
    runtime_on_copy,
    staff,
    task,
    unit_id,
)

HOME_AFFAIRS = "000.00.02.H21"  # Sở Nội vụ: only ever coordinates
MARCH_FROM, MARCH_TO = date(2026, 3, 1), date(2026, 3, 31)

# (unit, documents, done on time, done late, open on time, open overdue, awaiting confirmation, total)
Row = tuple[str, int, int, int, int, int, int, int]

MARCH_ROWS: list[Row] = [
    ("Sở Tài chính", 3, 2, 1, 4, 5, 3, 12),
    ("Sở Y tế", 1, 0, 1, 1, 0, 0, 2),
    ("UBND TP Pleiku", 1, 1, 0, 1, 0, 0, 2),
]
MARCH_TOTAL: Row = ("Tổng cộng", 3, 3, 2, 6, 5, 3, 16)
MARCH_RATES = [2 / 12, 0 / 2, 1 / 2]
MARCH_TOTAL_RATE = 3 / 16

# The same tasks judged as of 14/03 (today = 14/03, or a period ending 14/03):
#   F1 done on time, F2 done late, F11 done on time; F3 F4 F6 F8 F13 F14 open on time
#   (F6, F8 not replied yet on 14/03); F5 reply 12/03 > 10/03 awaiting -> open overdue, its
#   not-done verdict and extension of 16/03 do not exist yet; F7 awaiting, late -> open overdue;
#   F9 open overdue. H1 (reply 25/03 not yet) and H2 open on time. P1 done on time, P2 open.
AS_OF_14_ROWS: list[Row] = [
    ("Sở Tài chính", 3, 2, 1, 6, 3, 2, 12),
    ("Sở Y tế", 1, 0, 0, 2, 0, 0, 2),
    ("UBND TP Pleiku", 1, 1, 0, 1, 0, 0, 2),
]
AS_OF_14_TOTAL: Row = ("Tổng cộng", 3, 3, 1, 9, 3, 2, 16)

# April [01/04, 30/04], judged as of 30/04. In scope: F12 (assigned 02/04) and the tasks still
# open on 01/04: F3 F4 F5 F6 F7 F8 F9, F13 (done 03/04), F14 (done 02/04), P2, H2.
#   F14 done on time (30/03 <= 31/03); F13 done late (01/04 > 25/03); F6 awaiting, on time;
#   F3 F4 F8 F9 overdue; F5 overdue against its extension (30/04 > 10/04); F7 awaiting, late;
#   F12 overdue (30/04 > 10/04); P2 overdue (30/04 > 31/03); H2 on time (30/04 = deadline).
APRIL_ROWS: list[Row] = [
    ("Sở Tài chính", 4, 1, 1, 1, 7, 2, 10),
    ("Sở Y tế", 1, 0, 0, 1, 0, 0, 1),
    ("UBND TP Pleiku", 1, 0, 0, 0, 1, 0, 1),
]
APRIL_TOTAL: Row = ("Tổng cộng", 4, 1, 1, 2, 8, 2, 12)


def _row(stats: UnitStats) -> Row:
    c = stats.counts
    return (
        stats.unit_name,
        stats.documents,
        c[TaskClass.DONE_ON_TIME],
        c[TaskClass.DONE_LATE],
        c[TaskClass.OPEN_ON_TIME],
        c[TaskClass.OPEN_OVERDUE],
        stats.awaiting_confirmation,
        stats.total,
    )


def _table(session: Session, date_from: date, date_to: date, today: date) -> tuple[list[Row], Row]:
    report = unit_statistics(session=session, period=make_period(date_from=date_from, date_to=date_to, today=today))
    return [_row(r) for r in report.rows], _row(report.total)


# Who acts: VP UBND's tracker, and each unit's own staff (demo.seed.unit_staff) walking its
# flow and issuing its replies (tests.services.support.reply).
PEOPLE = {"tracker": "vp.theodoi", "clerk": "stc.vanthu", "other_leader": "pleiku.lanhdao"}


@pytest.fixture(scope="module")
def _march_database(
    tmp_path_factory: pytest.TempPathFactory, _template_runtime: tuple[Runtime, Path | str]
) -> tuple[Runtime, Path | str, dict[str, int]]:
    """The March history, built ONCE for this module into its own database file (about a hundred
    workflow steps); every test gets a byte copy of it, exactly as ``runtime`` copies the
    template. Nothing a test does reaches another test."""
    template, database = _template_runtime
    built = runtime_on_copy(database, tmp_path_factory.mktemp("march"), template)
    with pytest.MonkeyPatch.context() as patch, Session(built.engine, expire_on_commit=False) as session:
        patch.setattr("services.access.accounts.hash_password", FAST_HASHER.hash)
        tracker = make_actor(built, session, "vp.theodoi", Role.TRACKER, OFFICE)
        make_actor(built, session, "stc.vanthu", Role.CLERK, FINANCE)
        make_actor(built, session, "pleiku.lanhdao", Role.LEADER, PLEIKU)
        staff(built, session, HEALTH)
        ids = _build_march(built, session, tracker)
    built.engine.dispose()  # checkpoint the WAL into the file before it is copied
    return template, database_handle(built), ids


@pytest.fixture
def runtime(tmp_path: Path, _march_database: tuple[Runtime, Path | str, dict[str, int]]) -> Iterator[Runtime]:
    """Overrides the suite's ``runtime``: a copy of the database holding the March history."""
    template, database, _ = _march_database
    runtime = runtime_on_copy(database, tmp_path, template)
    yield runtime
    release(runtime)


@pytest.fixture
def march(_march_database: tuple[Runtime, Path | str, dict[str, int]]) -> dict[str, int]:
    """Task ids of the March history (in this test's copy of the database)."""
    return dict(_march_database[2])


@pytest.fixture
def people(runtime: Runtime, session: Session) -> dict[str, Actor]:
    """The tracker, Sở Tài chính's clerk and Pleiku's leader, as created with the history."""
    actors = {}
    for key, username in PEOPLE.items():
        user = session.exec(select(User).where(User.username == username)).one()
        actor = build_actor(session=session, config=runtime.config, user_id=user.id or 0)
        assert actor is not None
        actors[key] = actor
    return actors


def _build_march(runtime: Runtime, session: Session, tracker: Actor) -> dict[str, int]:
    """The history up to 31/03/2026, entered day by day."""
    ids: dict[str, int] = {}

    _, [ids["F10"]] = assign(
        runtime,
        session,
        tracker,
        code="5/UBND-KT",
        issued=date(2026, 1, 15),
        tasks=[task("F10", FINANCE, date(2026, 1, 30))],
    )
    reply(runtime, session, ids["F10"], code="10/STC", on=date(2026, 1, 28))
    confirm(runtime, session, tracker, ids["F10"], on=date(2026, 2, 2))

    _, [ids["F9"], ids["F11"]] = assign(
        runtime,
        session,
        tracker,
        code="30/UBND-KT",
        issued=date(2026, 2, 10),
        tasks=[task("F9", FINANCE, date(2026, 2, 20)), task("F11", FINANCE, date(2026, 2, 25))],
    )
    reply(runtime, session, ids["F11"], code="20/STC", on=date(2026, 2, 24))
    confirm(runtime, session, tracker, ids["F11"], on=date(2026, 3, 1))

    _, ids_a = assign(
        runtime,
        session,
        tracker,
        code="50/UBND-KT",
        issued=date(2026, 3, 2),
        tasks=[
            task("F1", FINANCE, date(2026, 3, 10), coordinators=[HEALTH, HOME_AFFAIRS]),
            task("F2", FINANCE, date(2026, 3, 10)),
            task("F3", FINANCE, date(2026, 3, 31)),
            task("F4", FINANCE, date(2026, 3, 30)),
            task("F5", FINANCE, date(2026, 3, 10)),
            task("F6", FINANCE, date(2026, 3, 20)),
            task("F7", FINANCE, date(2026, 3, 10)),
            task("F8", FINANCE, date(2026, 3, 20)),
            task("P1", PLEIKU, date(2026, 3, 10)),
            task("P2", PLEIKU, date(2026, 3, 31), coordinators=[HOME_AFFAIRS]),
        ],
    )
    ids.update(zip(["F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "P1", "P2"], ids_a, strict=True))
    _, ids_b = assign(
        runtime,
        session,
        tracker,
        code="60/UBND-KT",
        issued=date(2026, 3, 5),
        tasks=[
            task("H1", HEALTH, date(2026, 3, 20)),
            task("H2", HEALTH, date(2026, 4, 30)),
            task("F13", FINANCE, date(2026, 3, 25)),
            task("F14", FINANCE, date(2026, 3, 31)),
        ],
    )
    ids.update(zip(["H1", "H2", "F13", "F14"], ids_b, strict=True))

    reply(runtime, session, ids["F1"], code="101/STC", on=date(2026, 3, 10))
    reply(runtime, session, ids["P1"], code="11/UBND", on=date(2026, 3, 10))
    reply(runtime, session, ids["F2"], code="102/STC", on=date(2026, 3, 11))
    confirm(runtime, session, tracker, ids["P1"], on=date(2026, 3, 11))
    reply(runtime, session, ids["F5"], code="105/STC", on=date(2026, 3, 12))
    confirm(runtime, session, tracker, ids["F1"], on=date(2026, 3, 12))
    confirm(runtime, session, tracker, ids["F2"], on=date(2026, 3, 12))
    reply(runtime, session, ids["F7"], code="107/STC", on=date(2026, 3, 13))
    reply(runtime, session, ids["F8"], code="108/STC", on=date(2026, 3, 15))
    confirm(
        runtime,
        session,
        tracker,
        ids["F5"],
        on=date(2026, 3, 16),
        done=False,
        reason="Thiếu số liệu",
        new_deadline=date(2026, 4, 10),
    )
    confirm(runtime, session, tracker, ids["F8"], on=date(2026, 3, 16), done=False, reason="Chưa đạt yêu cầu")
    reply(runtime, session, ids["F6"], code="106/STC", on=date(2026, 3, 18))
    reply(runtime, session, ids["H1"], code="7/SYT", on=date(2026, 3, 25))
    confirm(runtime, session, tracker, ids["H1"], on=date(2026, 3, 26))
    reply(runtime, session, ids["F14"], code="114/STC", on=date(2026, 3, 30))
    return ids


def _april(runtime: Runtime, session: Session, people: dict[str, Actor], ids: dict[str, int]) -> None:
    """Events dated after 31/03: they must not change any figure of March."""
    tracker = people["tracker"]
    reply(runtime, session, ids["F13"], code="113/STC", on=date(2026, 4, 1))
    _, [ids["F12"]] = assign(
        runtime,
        session,
        tracker,
        code="80/UBND-KT",
        issued=date(2026, 4, 2),
        tasks=[task("F12", FINANCE, date(2026, 4, 10))],
    )
    confirm(runtime, session, tracker, ids["F14"], on=date(2026, 4, 2))
    confirm(runtime, session, tracker, ids["F13"], on=date(2026, 4, 3))


@pytest.fixture
def history(runtime: Runtime, session: Session, people: dict[str, Actor], march: dict[str, int]) -> dict[str, int]:
    """The whole history, April included."""
    _april(runtime, session, people, march)
    return march


def test_march_table_row_by_row(session: Session, history: dict[str, int]) -> None:
    """Every edge case of the definition, as of 31/03, against hand-computed figures."""
    report = unit_statistics(
        session=session, period=make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15))
    )
    assert [_row(r) for r in report.rows] == MARCH_ROWS
    assert _row(report.total) == MARCH_TOTAL
    assert [r.rate for r in report.rows] == pytest.approx(MARCH_RATES)
    assert report.total.rate == pytest.approx(MARCH_TOTAL_RATE)
    assert report.period.as_of == MARCH_TO


def test_past_period_gives_the_same_figures_whenever_run(
    runtime: Runtime, session: Session, people: dict[str, Actor], march: dict[str, int]
) -> None:
    """Run on 31/03, then again after replies, confirmations and a new assignment dated in April:
    identical figures (nothing dated after `to` exists for the report)."""
    assert _table(session, MARCH_FROM, MARCH_TO, today=MARCH_TO) == (MARCH_ROWS, MARCH_TOTAL)
    _april(runtime, session, people, march)
    for today in (date(2026, 4, 1), date(2026, 4, 15), date(2026, 12, 31), date(2027, 6, 1)):
        assert _table(session, MARCH_FROM, MARCH_TO, today=today) == (MARCH_ROWS, MARCH_TOTAL), today


def test_to_in_the_future_is_judged_as_of_today(session: Session, history: dict[str, int]) -> None:
    """A period ending in the future is classed as of today (14/03): same figures as a period
    ending on 14/03 run much later; the extension granted 16/03 is ignored."""
    report = unit_statistics(
        session=session, period=make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 3, 14))
    )
    assert report.period.as_of == date(2026, 3, 14)
    assert ([_row(r) for r in report.rows], _row(report.total)) == (AS_OF_14_ROWS, AS_OF_14_TOTAL)
    assert _table(session, MARCH_FROM, date(2026, 12, 31), today=date(2026, 3, 14)) == (AS_OF_14_ROWS, AS_OF_14_TOTAL)
    assert _table(session, MARCH_FROM, date(2026, 3, 14), today=date(2027, 1, 10)) == (AS_OF_14_ROWS, AS_OF_14_TOTAL)


def test_extension_moves_the_deadline_only_from_the_day_it_is_granted(
    session: Session, people: dict[str, Actor], history: dict[str, int]
) -> None:
    """F5: as of 31/03 its deadline in force is 10/04 (open on time); for the SAME period with
    as-of 14/03 (before the 16/03 extension) it is still 10/03 (awaiting, overdue)."""
    tracker = people["tracker"]
    fin = unit_id(session, FINANCE)
    late = make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15))
    early = make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 3, 14))
    [f5_late] = [
        r
        for r in tasks_behind(session=session, actor=tracker, period=late, due_soon_days=3, unit_id=fin)
        if r.task_id == history["F5"]
    ]
    [f5_early] = [
        r
        for r in tasks_behind(session=session, actor=tracker, period=early, due_soon_days=3, unit_id=fin)
        if r.task_id == history["F5"]
    ]
    assert (f5_late.state.deadline, f5_late.state.task_class, f5_late.state.awaiting_confirmation) == (
        date(2026, 4, 10),
        TaskClass.OPEN_ON_TIME,
        False,
    )
    assert (f5_early.state.deadline, f5_early.state.task_class, f5_early.state.awaiting_confirmation) == (
        date(2026, 3, 10),
        TaskClass.OPEN_OVERDUE,
        True,
    )


def test_april_carries_over_open_tasks(session: Session, history: dict[str, int]) -> None:
    """April: tasks still open on 01/04 are carried over, those done before 01/04 are not."""
    rows, total = _table(session, date(2026, 4, 1), date(2026, 4, 30), today=date(2026, 5, 10))
    assert rows == APRIL_ROWS
    assert total == APRIL_TOTAL


def test_coordinating_units_are_never_counted(session: Session, history: dict[str, int]) -> None:
    """Sở Nội vụ only coordinates: no row, zero even when empty rows are shown; Sở Y tế's row holds
    only the tasks it leads (not F1, which it coordinates); the office never has a row."""
    report = unit_statistics(
        session=session,
        period=make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15)),
        include_empty=True,
    )
    by_name = {r.unit_name: r for r in report.rows}
    assert "Sở Nội vụ" in by_name and by_name["Sở Nội vụ"].total == 0
    assert by_name["Sở Nội vụ"].documents == 0
    assert _row(by_name["Sở Y tế"]) == MARCH_ROWS[1]
    assert "VP UBND tỉnh" not in by_name
    assert sum(r.total for r in report.rows) == MARCH_TOTAL[-1]
    assert [r.unit_name for r in report.rows if r.total] == ["Sở Tài chính", "Sở Y tế", "UBND TP Pleiku"]


def test_tasks_behind_each_figure(session: Session, people: dict[str, Actor], history: dict[str, int]) -> None:
    """Every cell opens into exactly the tasks behind it."""
    tracker = people["tracker"]
    period = make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15))
    report = unit_statistics(session=session, period=period)
    for row in report.rows:
        for cls in TaskClass:
            behind = tasks_behind(
                session=session, actor=tracker, period=period, due_soon_days=3, unit_id=row.unit_id, task_class=cls
            )
            assert len(behind) == row.counts[cls], (row.unit_name, cls)
            assert {r.lead_unit_id for r in behind} <= {row.unit_id}
            assert all(r.state.task_class is cls for r in behind)

    def ids_of(unit: str, cls: TaskClass) -> set[int]:
        rows = tasks_behind(
            session=session,
            actor=tracker,
            period=period,
            due_soon_days=3,
            unit_id=unit_id(session, unit),
            task_class=cls,
        )
        return {r.task_id for r in rows}

    h = history
    assert ids_of(FINANCE, TaskClass.DONE_ON_TIME) == {h["F1"], h["F11"]}
    assert ids_of(FINANCE, TaskClass.DONE_LATE) == {h["F2"]}
    assert ids_of(FINANCE, TaskClass.OPEN_ON_TIME) == {h["F3"], h["F5"], h["F6"], h["F14"]}
    assert ids_of(FINANCE, TaskClass.OPEN_OVERDUE) == {h["F4"], h["F7"], h["F8"], h["F9"], h["F13"]}
    assert ids_of(HEALTH, TaskClass.DONE_LATE) == {h["H1"]}
    assert ids_of(PLEIKU, TaskClass.OPEN_ON_TIME) == {h["P2"]}

    everything = tasks_behind(session=session, actor=tracker, period=period, due_soon_days=3)
    assert len(everything) == MARCH_TOTAL[-1]
    assert {r.task_id for r in everything}.isdisjoint({h["F10"], h["F12"]})
    awaiting = {r.task_id for r in everything if r.state.awaiting_confirmation}
    assert awaiting == {h["F6"], h["F7"], h["F14"]}


def test_rows_are_the_same_by_either_read_path(
    session: Session, people: dict[str, Actor], history: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_rows reads a few tasks by id lists and many in one pass over the table: same rows."""
    period = make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15))

    def everything() -> list[Any]:
        return tasks_behind(session=session, actor=people["tracker"], period=period, due_soon_days=3)

    by_id_lists = everything()
    monkeypatch.setattr("services.stats.rows._WHOLE_TABLE_FROM", 0)
    one_pass = everything()
    assert one_pass == by_id_lists
    assert len(one_pass) == MARCH_TOTAL[-1]
    one = [history["F4"]]
    assert build_rows(session=session, task_ids=one, today=date(2026, 4, 15), due_soon_days=3)[0].task_id == one[0]


def test_unit_user_sees_only_its_own_tasks_behind(
    session: Session, people: dict[str, Actor], history: dict[str, int]
) -> None:
    """A Sở Tài chính user may open its own figures, not another unit's nor the whole province's."""
    clerk = people["clerk"]
    period = make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15))
    own = tasks_behind(session=session, actor=clerk, period=period, due_soon_days=3, unit_id=unit_id(session, FINANCE))
    assert len(own) == 12
    for target in (unit_id(session, PLEIKU), None):
        with pytest.raises(PermissionDenied, match=re.escape("Bạn chỉ xem được danh sách nhiệm vụ của đơn vị mình.")):
            tasks_behind(session=session, actor=clerk, period=period, due_soon_days=3, unit_id=target)
    with pytest.raises(PermissionDenied):
        tasks_behind(
            session=session,
            actor=people["other_leader"],
            period=period,
            due_soon_days=3,
            unit_id=unit_id(session, FINANCE),
            task_class=TaskClass.OPEN_OVERDUE,
        )


def test_dashboard_is_one_reading_for_the_table_and_every_list_behind_it(
    session: Session, people: dict[str, Actor], history: dict[str, int]
) -> None:
    """The dashboard's table equals unit_statistics, and each list it opens equals tasks_behind,
    with the same permission rule: a unit user opens its own unit's figures only."""
    period = make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15))
    finance = unit_id(session, FINANCE)
    board = dashboard(session=session, actor=people["tracker"], period=period)
    assert board.report == unit_statistics(session=session, period=period)
    for unit in (None, *(r.unit_id for r in board.report.rows)):
        for cls in (None, *TaskClass):
            assert board.figure_tasks(session=session, due_soon_days=3, unit_id=unit, task_class=cls) == tasks_behind(
                session=session, actor=people["tracker"], period=period, due_soon_days=3, unit_id=unit, task_class=cls
            ), (unit, cls)
    assert board.lists_unit is None
    assert board.list_units() == {row.unit_id: row.unit_name for row in board.report.rows}
    own = dashboard(session=session, actor=people["clerk"], period=period)
    assert (own.lists_unit, own.list_units()) == (finance, {finance: "Sở Tài chính"})
    overdue = own.figure_tasks(session=session, due_soon_days=3, unit_id=finance, task_class=TaskClass.OPEN_OVERDUE)
    assert {r.task_id for r in overdue} == {history[k] for k in ("F4", "F7", "F8", "F9", "F13")}
    for target in (None, unit_id(session, PLEIKU)):
        with pytest.raises(PermissionDenied, match=re.escape("Bạn chỉ xem được danh sách nhiệm vụ của đơn vị mình.")):
            own.figure_tasks(session=session, due_soon_days=3, unit_id=target)


def test_period_must_not_be_reversed() -> None:
    with pytest.raises(InvalidInput, match=re.escape("Từ ngày phải trước hoặc bằng đến ngày.")):
        make_period(date_from=date(2026, 4, 1), date_to=date(2026, 3, 31), today=date(2026, 5, 1))
    single_day = make_period(date_from=date(2026, 3, 31), date_to=date(2026, 3, 31), today=date(2026, 5, 1))
    assert single_day.as_of == date(2026, 3, 31)


def test_a_page_of_the_tasks_behind_a_figure_is_a_slice_of_the_whole_list(
    session: Session, people: dict[str, Actor], history: dict[str, int]
) -> None:
    """``figure_page`` gives the rows of ``figure_tasks`` (urgent first) a page at a time, and its
    ``total`` is the figure of the table, for every unit × class; a page past the last is the last."""
    period = make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15))
    board = dashboard(session=session, actor=people["tracker"], period=period)
    for row in [*board.report.rows, None]:
        unit = None if row is None else row.unit_id
        counts = board.report.total.counts if row is None else row.counts
        for cls in (None, *TaskClass):
            whole = board.figure_tasks(session=session, due_soon_days=3, unit_id=unit, task_class=cls)
            figure = sum(counts.values()) if cls is None else counts[cls]
            for per_page in (1, 2, 5):
                pages = [
                    board.figure_page(
                        session=session, due_soon_days=3, unit_id=unit, task_class=cls, page=n, per_page=per_page
                    )
                    for n in range(1, len(whole) // per_page + 2)
                ]
                assert all(p.total == figure == len(whole) for p in pages), (unit, cls)
                assert [r for p in pages for r in p.items][: len(whole)] == whole
                assert all(len(p.items) <= per_page for p in pages)
    first = board.figure_page(session=session, due_soon_days=3, page=1, per_page=5)
    second = board.figure_page(session=session, due_soon_days=3, page=2, per_page=5)
    assert (first.total, first.first, first.last, first.pages) == (MARCH_TOTAL[-1], 1, 5, 4)
    assert (second.first, second.last) == (6, 10)
    beyond = board.figure_page(session=session, due_soon_days=3, page=99, per_page=5)
    assert (beyond.page, beyond.first, beyond.last) == (4, 16, 16)
    with pytest.raises(InvalidInput):
        board.figure_page(session=session, due_soon_days=3, page=0)
    with pytest.raises(InvalidInput):
        board.figure_page(session=session, due_soon_days=3, per_page=0)


def test_a_dashboard_around_a_report_it_was_given_reads_only_the_lists_it_is_asked(
    session: Session, people: dict[str, Actor], history: dict[str, int]
) -> None:
    """The page hands ``dashboard`` the public table from its cache: the lists are the same as
    without it, a unit user's list adds up to its own figure, and the permission rule holds."""
    period = make_period(date_from=MARCH_FROM, date_to=MARCH_TO, today=date(2026, 4, 15))
    finance = unit_id(session, FINANCE)
    report = unit_statistics(session=session, period=period)
    for actor, units in ((people["tracker"], (None, finance)), (people["clerk"], (finance,))):
        given = dashboard(session=session, actor=actor, period=period, report=report)
        read = dashboard(session=session, actor=actor, period=period)
        assert given.report is report
        for unit in units:
            for cls in (None, *TaskClass):
                assert given.figure_tasks(session=session, due_soon_days=3, unit_id=unit, task_class=cls) == (
                    read.figure_tasks(session=session, due_soon_days=3, unit_id=unit, task_class=cls)
                )
    own = dashboard(session=session, actor=people["clerk"], period=period, report=report)
    assert own.figure_page(session=session, due_soon_days=3, unit_id=finance).total == own.figure(unit_id=finance)
    with pytest.raises(PermissionDenied):
        own.figure_page(session=session, due_soon_days=3, unit_id=None)
