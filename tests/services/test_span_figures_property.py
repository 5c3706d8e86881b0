"""The figures read from the task spans equal the executable specification (hypothesis).

Random task histories are written straight into the database with plain inserts (assignment
documents shared by several tasks, replies, verdicts in any order, extensions granted before or
after replies, closings, re-routed tasks created near midnight UTC, tasks passed to another
lead unit by a merge of units on a day) and their spans built, then:

* on every day of the histories (and around them), the span holding the day says exactly what
  ``classify`` says, for the unit ``lead_unit_as_of`` names, and there is one exactly when the
  task counts at all;
* for random periods ``span_figures.unit_figures`` gives, for every unit and the total row,
  exactly what ``classify`` over ``load_facts`` + ``in_scope`` gives, and each list behind a
  figure holds exactly those tasks in ``sort_urgent_first``'s order, a page at a time too.

Each example runs in a transaction that is rolled back. Runs on SQLite, and on PostgreSQL under
GIAOVIEC_TEST_BACKEND=postgresql.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from models import (
    Confirmation,
    ConfirmOutcome,
    Document,
    DocumentKind,
    Extension,
    OrgUnit,
    Role,
    Task,
    TaskClass,
    TaskSpan,
    TaskStatus,
    UnitKind,
    User,
)
from models.tables import TaskLeadChange
from services.runtime import Runtime
from services.stats.classify import TaskState, classify, lead_unit_as_of, load_facts
from services.stats.rows import urgency_key
from services.stats.span_figures import UnitFigures, list_tasks, unit_figures
from services.stats.spans import rebuild_spans
from services.stats.statistics import Period, in_scope, make_period

START = date(2026, 3, 1)
SPAN = 40  # days over which every date of a history falls
BASE_ID = 900_000  # ids of the rows an example inserts (rolled back afterwards)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def day(offset: int) -> date:
    return START + timedelta(days=offset)


days = st.integers(0, SPAN)


@dataclass(frozen=True)
class ReplyPlan:
    on: int
    verdict: tuple[ConfirmOutcome, int] | None  # outcome, days after the reply


@dataclass(frozen=True)
class TaskPlan:
    unit: int  # index into the units
    new_document: bool
    issued: int
    deadline: int
    replies: tuple[ReplyPlan, ...]
    extensions: tuple[tuple[int, int], ...]  # granted on, new deadline
    closed_on: int | None
    replaces: bool
    created_on: int  # created_at's UTC day, the day a re-routed or replacing task exists from
    created_hour: int  # its UTC hour (17-23: the next day in Vietnam)
    moves: tuple[tuple[int, int], ...] = ()  # (day, unit index): passed to another lead unit (a merge)


replies = st.builds(
    ReplyPlan,
    on=days,
    verdict=st.none() | st.tuples(st.sampled_from(list(ConfirmOutcome)), st.integers(0, 6)),
)
tasks = st.builds(
    TaskPlan,
    unit=st.integers(0, 3),
    new_document=st.booleans(),
    issued=days,
    deadline=days,
    replies=st.lists(replies, max_size=3).map(tuple),
    # granted on a coarse grid, so two extensions of one day (ties by id) are frequent
    extensions=st.lists(st.tuples(st.integers(0, SPAN // 5).map(lambda n: n * 5), days), max_size=3).map(tuple),
    closed_on=st.none() | days,
    replaces=st.booleans(),
    created_on=days,
    created_hour=st.sampled_from([0, 9, 16, 17, 23]),
)
# and a merge of units moving the task to the successor from a day on (twice: merged again later);
# apart, so the tests that import ``tasks`` (test_unit_task_list: a unit's list as of today, when
# every merge is already in force) keep drawing the histories they define their lists on
moving_tasks = st.tuples(
    tasks, st.lists(st.tuples(days, st.integers(0, 3)), max_size=2).map(lambda m: tuple(sorted(m)))
).map(lambda plan_moves: replace(plan_moves[0], moves=plan_moves[1]))


@st.composite
def periods(draw: st.DrawFn) -> Period:
    first = draw(st.integers(-5, SPAN + 5))
    last = first + draw(st.integers(0, 30))
    today = draw(st.integers(-5, SPAN + 10))
    return make_period(date_from=day(first), date_to=day(last), today=day(today))


@pytest.fixture
def world(runtime: Runtime, session: Session) -> Iterator[tuple[Session, list[int], set[int]]]:
    """The session, four lead units (three of them not offices) and the set of office ids."""
    rows = session.execute(select(OrgUnit.id, OrgUnit.kind).order_by(OrgUnit.id)).all()  # type: ignore[call-overload]
    offices = {uid for uid, kind in rows if UnitKind(kind) is UnitKind.OFFICE}
    others = [uid for uid, _ in rows if uid not in offices]
    units = [*others[:3], next(iter(offices))] if offices else others[:4]
    yield session, units, offices
    session.rollback()


def _write(session: Session, units: list[int], plans: list[TaskPlan]) -> list[int]:
    ids = iter(range(BASE_ID, BASE_ID + 10_000))
    user = next(ids)
    session.execute(
        insert(User).values(  # type: ignore[arg-type]
            id=user,
            username=f"prop{user}",
            full_name="P",
            password_hash="x",
            role=Role.TRACKER,
            unit_id=units[0],
            active=True,
        )
    )
    documents: list[dict[str, Any]] = []
    task_rows: list[dict[str, Any]] = []
    reply_rows: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    extensions: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    document_id: int | None = None
    task_ids: list[int] = []

    def doc(kind: DocumentKind, issued: int, reply_to: int | None, task_id: int | None) -> dict[str, Any]:
        did = next(ids)
        return {
            "id": did,
            "kind": kind,
            "issuer": "prop",
            "code": f"{did}/P",
            "code_key": f"{did}/p",
            "issue_date": day(issued),
            "issue_year": day(issued).year,
            "doc_type": "",
            "summary": "s",
            "signer": "",
            "result": "",
            "unit_id": None,
            "reply_to_id": reply_to,
            "task_id": task_id,
            "created_by": user,
            "created_at": NOW,
        }

    for plan in plans:
        if document_id is None or plan.new_document:
            documents.append(doc(DocumentKind.ASSIGNMENT, plan.issued, None, None))
            document_id = documents[-1]["id"]
        tid = next(ids)
        created = datetime.combine(day(plan.created_on), datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=plan.created_hour
        )
        task_rows.append(
            {
                "id": tid,
                "document_id": document_id,
                "seq": 1,
                "content": "c",
                "lead_unit_id": units[plan.moves[-1][1] if plan.moves else plan.unit],
                "deadline": day(plan.deadline),
                "status": TaskStatus.OPEN,
                "tracker_id": None,
                "created_by": user,
                "created_at": created,
                "closed_reason": None,
                "closed_on": None if plan.closed_on is None else day(plan.closed_on),
                "replaces_task_id": task_ids[-1] if plan.replaces and task_ids else None,
                "version": 0,
            }
        )
        task_ids.append(tid)
        previous = plan.unit
        for moved_on, unit in plan.moves:
            changes.append(
                {
                    "id": next(ids),
                    "task_id": tid,
                    "from_unit_id": units[previous],
                    "to_unit_id": units[unit],
                    "changed_on": day(moved_on),
                    "created_at": NOW,
                }
            )
            previous = unit
        for reply in plan.replies:
            reply_rows.append(doc(DocumentKind.REPLY, reply.on, document_id, tid))
            if reply.verdict is not None:
                outcome, after = reply.verdict
                verdicts.append(
                    {
                        "id": next(ids),
                        "task_id": tid,
                        "reply_id": reply_rows[-1]["id"],
                        "outcome": outcome,
                        "confirmed_on": day(reply.on + after),
                        "reason": "",
                        "actor_id": user,
                        "created_at": NOW,
                    }
                )
        for granted, new_deadline in plan.extensions:
            extensions.append(
                {
                    "id": next(ids),
                    "task_id": tid,
                    "new_deadline": day(new_deadline),
                    "granted_on": day(granted),
                    "reason": "r",
                    "confirmation_id": None,
                    "actor_id": user,
                    "created_at": NOW,
                }
            )
    for table, rows in (
        (Document, documents),
        (Task, task_rows),
        (Document, reply_rows),
        (Confirmation, verdicts),
        (Extension, extensions),
        (TaskLeadChange, changes),
    ):
        if rows:
            session.execute(insert(table), rows)  # type: ignore[arg-type]
    rebuild_spans(session=session, task_ids=task_ids)  # plain inserts: the session saw no object
    return task_ids


def _expected(session: Session, period: Period, offices: set[int]) -> tuple[dict[int, UnitFigures], UnitFigures]:
    units: dict[int, UnitFigures] = {}
    documents: dict[int, set[int]] = {}
    total = UnitFigures()
    all_documents: set[int] = set()
    for facts in load_facts(session=session).values():
        lead = lead_unit_as_of(facts, period.as_of)
        if lead in offices or not in_scope(facts, period):
            continue
        state = classify(facts, period.as_of)
        unit = units.setdefault(lead, UnitFigures())
        documents.setdefault(lead, set()).add(facts.document_id)
        all_documents.add(facts.document_id)
        for target in (unit, total):
            target.counts[state.task_class] += 1
            target.awaiting_confirmation += int(state.awaiting_confirmation)
    for uid, unit in units.items():
        unit.documents = len(documents[uid])
    total.documents = len(all_documents)
    return units, total


def _spans_agree_with_classify(session: Session, task_ids: list[int]) -> None:
    facts = load_facts(session=session, task_ids=task_ids)
    spans = session.exec(select_rows(TaskSpan).where(col(TaskSpan.task_id).in_(task_ids))).all()
    by_task: dict[int, list[TaskSpan]] = {}
    for row in spans:
        by_task.setdefault(row.task_id, []).append(row)
    for task_id, fact in facts.items():
        for offset in range(-3, SPAN + 12):
            on = day(offset)
            holding = [s for s in by_task.get(task_id, []) if s.valid_from <= on <= s.valid_to]
            counts = fact.assigned_on <= on and (fact.closed_on is None or on < fact.closed_on)
            assert len(holding) == (1 if counts else 0), (task_id, on, holding)
            if holding:
                state = classify(fact, on)
                got = TaskState(holding[0].task_class, holding[0].deadline, holding[0].awaiting, holding[0].reply_date)
                assert got == state, (task_id, on)
                assert holding[0].lead_unit_id == lead_unit_as_of(fact, on), (task_id, on)


def _lists_agree_with_classify(session: Session, period: Period, offices: set[int]) -> None:
    chosen = {
        f.task_id: (f, classify(f, period.as_of))
        for f in load_facts(session=session).values()
        if lead_unit_as_of(f, period.as_of) not in offices and in_scope(f, period)
    }
    units = {lead_unit_as_of(f, period.as_of) for f, _ in chosen.values()}
    for unit in (None, *sorted(units)):
        for cls in (None, *TaskClass):
            expected = sorted(
                (
                    task_id
                    for task_id, (f, state) in chosen.items()
                    if unit in (None, lead_unit_as_of(f, period.as_of)) and (cls is None or state.task_class is cls)
                ),
                key=lambda task_id: urgency_key(task_id, chosen[task_id][1], today=period.as_of, due_soon_days=3),
            )
            which: dict[str, Any] = {"period": period, "skip_units": offices, "unit_id": unit, "task_class": cls}
            rows = list_tasks(session=session, due_soon_days=3, **which)
            assert [r.task_id for r in rows] == expected, (period, unit, cls)
            for r in rows:
                assert TaskState(r.task_class, r.deadline, r.awaiting, r.reply_date) == chosen[r.task_id][1]
            page = list_tasks(session=session, due_soon_days=3, offset=2, limit=3, **which)
            assert [r.task_id for r in page] == expected[2:5]
            # with the figures the list adds up to, the stretches outside the page are skipped
            counts = {c: sum(1 for t in expected if chosen[t][1].task_class is c) for c in TaskClass}
            for offset in (0, 1, 3, 6):
                page = list_tasks(session=session, due_soon_days=3, offset=offset, limit=2, counts=counts, **which)
                assert [r.task_id for r in page] == expected[offset : offset + 2], (period, unit, cls, offset)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(moving_tasks, min_size=1, max_size=10), chosen=st.lists(periods(), min_size=1, max_size=4))
def test_span_figures_equal_classify(
    world: tuple[Session, list[int], set[int]], plans: list[TaskPlan], chosen: list[Period]
) -> None:
    session, units, offices = world
    try:
        task_ids = _write(session, units, plans)
        _spans_agree_with_classify(session, task_ids)
        for period in chosen:
            expected_units, expected_total = _expected(session, period, offices)
            figures = unit_figures(session=session, period=period, skip_units=offices)
            assert figures.units == expected_units, period
            assert figures.total == expected_total, period
            _lists_agree_with_classify(session, period, offices)
    finally:
        session.rollback()
