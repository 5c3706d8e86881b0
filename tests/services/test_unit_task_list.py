"""Nhiệm vụ của đơn vị, paged by the database, equals its classify-based definition (hypothesis).

The list used to classify every task of the unit in Python (``build_rows``), then search, filter
and sort (``sort_urgent_first``): 1.2 s for a unit of 5 425 tasks. ``unit_task_page`` reads the
task spans that hold today instead. The definition it must keep, written out here: the tasks led
by the unit (or by any unit) that count today (assigned by then and not closed: ``in_scope`` of
a period that began before any task), each classed by ``classify`` as of today, those whose
số/ký hiệu, trích yếu or content hold every word of the search (``matches``, accents ignored),
open ones only when done ones are hidden, urgent first. For random histories (those of
``test_span_figures_property``, with random texts and replies flagged as dated back) and random
days, every page of every unit's list and of "Tất cả đơn vị" holds exactly those rows, the
total and the metrics are theirs, and ``list_unit_tasks`` gives them all at once. Closed tasks
are listed apart (``closed_unit_tasks``). SQLite, and PostgreSQL under
GIAOVIEC_TEST_BACKEND=postgresql.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import Session, col, select

from models import Document, DocumentKind, Task, TaskClass, TaskStatus
from services.access.permissions import Actor
from services.infra.errors import PermissionDenied
from services.infra.text import fold, matches
from services.runtime import Runtime
from services.stats.classify import load_facts
from services.stats.rows import TaskRow, build_rows, sort_urgent_first
from services.stats.statistics import Period, in_scope
from services.tasks.queries import closed_unit_tasks, list_unit_tasks, unit_task_page
from tests.conftest import FINANCE
from tests.services.support import assign, task
from tests.services.test_span_figures_property import SPAN, TaskPlan, _write, day, tasks, world

__all__ = ["world"]  # the fixture of test_span_figures_property: four lead units, rolled back

WORDS = ["Báo cáo", "bao cao", "BÁO", "tài chính", "Tai", "ngân sách", "Đất đai", "đất", "quý I", "x", "đạt 100%"]
# "%" and "_" are LIKE's wildcards: searched for as typed
QUERIES = ["", "bao cao", "BAO", "tai chinh", "dat", "Đất đai", "ngan sach quy", "không có", "  ", "100%", "%", "_"]


def expected(session: Session, *, today: date, unit: int | None, query: str, include_done: bool) -> list[TaskRow]:
    """The definition: classify every task (as the list did before), keep those that count today."""
    ever = Period(date(1, 1, 1), today, today)
    chosen = [
        f.task_id
        for f in load_facts(session=session).values()
        if (unit is None or f.lead_unit_id == unit) and in_scope(f, ever)
    ]
    rows = build_rows(session=session, task_ids=chosen, today=today, due_soon_days=3)
    if query.strip():
        rows = [r for r in rows if matches(query, r.document_code, r.summary, r.content)]
    if not include_done:
        rows = [r for r in rows if not r.state.is_done]
    return sort_urgent_first(rows)


def _texts(session: Session, task_ids: list[int], contents: list[str], flagged: list[bool]) -> None:
    """Random contents and summaries (the search reads them), some replies flagged as dated back."""
    for i, task_id in enumerate(task_ids):
        content = contents[i % len(contents)]
        session.execute(
            update(Task).where(col(Task.id) == task_id).values(content=content, content_folded=fold(content))
        )
    documents = session.exec(select(Task.document_id).where(col(Task.id).in_(task_ids))).all()
    for i, document_id in enumerate(sorted(set(documents))):
        summary = contents[(i + 1) % len(contents)]
        code = session.exec(select(Document.code).where(col(Document.id) == document_id)).one()
        session.execute(  # a bulk UPDATE skips the ORM's events: the folded text is written with it
            update(Document)
            .where(col(Document.id) == document_id)
            .values(summary=summary, search_folded=fold(f"{code} {summary}"))
        )
    replies = session.exec(
        select(Document.id).where(Document.kind == DocumentKind.REPLY, col(Document.task_id).in_(task_ids))
    ).all()
    for i, reply_id in enumerate(sorted(r for r in replies if r is not None)):
        if flagged[i % len(flagged)]:
            session.execute(update(Document).where(col(Document.id) == reply_id).values(backdate_reason="lý do"))


def _check(session: Session, tracker: Actor, *, today: date, unit: int | None, query: str, include_done: bool) -> None:
    want = expected(session, today=today, unit=unit, query=query, include_done=include_done)
    label = (today, unit, query, include_done)
    for per_page in (1, 2, 5):
        got: list[TaskRow] = []
        for page in range(1, len(want) // per_page + 2):
            result = unit_task_page(
                session=session,
                actor=tracker,
                today=today,
                due_soon_days=3,
                unit_id=unit,
                all_units=unit is None,
                query=query,
                include_done=include_done,
                page=page,
                per_page=per_page,
            )
            assert result.rows.total == len(want), label
            assert result.rows.page == max(1, min(page, -(-len(want) // per_page))), label
            if page <= result.rows.pages:
                got.extend(result.rows.items)
        assert got == want, label  # every field of every line: class, deadline, flags, names
    counts = result.counts
    assert counts.total == len(want), label
    assert counts.counts == {c: sum(1 for r in want if r.state.task_class is c) for c in TaskClass}, label
    assert counts.open == sum(1 for r in want if not r.state.is_done), label
    assert counts.awaiting == sum(1 for r in want if r.state.awaiting_confirmation), label
    assert counts.due_soon == sum(1 for r in want if r.due_soon), label
    if unit is not None:
        every = list_unit_tasks(
            session=session,
            actor=tracker,
            today=today,
            due_soon_days=3,
            unit_id=unit,
            query=query,
            include_done=include_done,
        )
        assert every == want, label


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plans=st.lists(tasks, min_size=1, max_size=9),
    contents=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join), min_size=1, max_size=5),
    flagged=st.lists(st.booleans(), min_size=1, max_size=4),
    days=st.lists(st.integers(-5, SPAN + 10), min_size=1, max_size=3),
    query=st.sampled_from(QUERIES),
    include_done=st.booleans(),
)
def test_unit_task_page_equals_its_definition(
    world: tuple[Session, list[int], set[int]],
    actors: dict[str, Actor],
    plans: list[TaskPlan],
    contents: list[str],
    flagged: list[bool],
    days: list[int],
    query: str,
    include_done: bool,
) -> None:
    session, units, _offices = world
    try:
        task_ids = _write(session, units, plans)
        _texts(session, task_ids, contents, flagged)
        for offset in (*days, SPAN + 10):  # and a day after every history: its tasks done by then
            for unit in (None, *units):
                for search in {"", query}:
                    on = day(offset)
                    _check(session, actors["tracker"], today=on, unit=unit, query=search, include_done=include_done)
    finally:
        session.rollback()


def test_closed_tasks_are_listed_apart(world: tuple[Session, list[int], set[int]], actors: dict[str, Actor]) -> None:
    """A task closed (wrong unit, revoked, replaced) leaves the list and its figures the day it is
    closed, and is listed by ``closed_unit_tasks``, latest first, for the unit's văn thư."""
    session, units, _ = world
    plans = [
        TaskPlan(0, True, 0, 10, (), (), None, False, 0, 9),
        TaskPlan(0, True, 0, 10, (), (), 5, False, 0, 9),
        TaskPlan(0, True, 0, 10, (), (), 7, False, 0, 9),
        TaskPlan(1, True, 0, 10, (), (), 3, False, 0, 9),
    ]
    try:
        open_, first, second, other = _write(session, units, plans)
        session.execute(update(Task).where(col(Task.id).in_([first, second, other])).values(status=TaskStatus.CLOSED))
        tracker = actors["tracker"]
        on = day(6)
        page = unit_task_page(session=session, actor=tracker, today=on, due_soon_days=3, unit_id=units[0])
        assert [r.task_id for r in page.rows.items] == [open_, second]  # closed on day 7: still counted on day 6
        closed = closed_unit_tasks(session=session, actor=tracker, today=on, unit_id=units[0])
        assert [(t.task_id, t.closed_on) for t in closed.items] == [(first, day(5))]
        every = closed_unit_tasks(session=session, actor=tracker, today=day(8), all_units=True)
        assert [t.task_id for t in every.items] == [second, first, other]
        assert every.total == 3
        paged = closed_unit_tasks(session=session, actor=tracker, today=day(8), all_units=True, page=9, per_page=2)
        assert (paged.page, [t.task_id for t in paged.items]) == (2, [other])
    finally:
        session.rollback()


def test_a_unit_sees_only_its_own_list(world: tuple[Session, list[int], set[int]], actors: dict[str, Actor]) -> None:
    session, _units, _ = world
    clerk = actors["clerk"]
    with pytest.raises(PermissionDenied):
        unit_task_page(session=session, actor=clerk, today=day(0), due_soon_days=3, all_units=True)
    with pytest.raises(PermissionDenied):
        closed_unit_tasks(session=session, actor=clerk, today=day(0), all_units=True)
    other = actors["other_leader"].unit_id
    with pytest.raises(PermissionDenied):
        unit_task_page(session=session, actor=clerk, today=day(0), due_soon_days=3, unit_id=other)
    own = unit_task_page(session=session, actor=clerk, today=day(0), due_soon_days=3)
    assert own.rows.total == 0


def test_the_folded_texts_follow_every_write(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """``task.content_folded`` and ``document.search_folded`` are ``fold`` of their texts after
    an insert and after an ORM update (``models/tables.py``'s events), whatever the text."""
    document, (task_id,) = assign(
        runtime,
        session,
        actors["tracker"],
        code="12/UBND-KT",
        issued=date(2026, 3, 2),
        tasks=[task("Báo cáo ĐẤT ĐAI quý I", FINANCE, date(2026, 3, 20))],
    )
    stored = session.get(Task, task_id)
    assert stored is not None
    assert stored.content_folded == "bao cao dat dai quy i"
    assert document.search_folded == fold(f"12/UBND-KT {document.summary}")
    for text in ("Đất đai QUÝ I – “100%” a_b", unicodedata.normalize("NFD", "Tỷ lệ giải ngân"), "Σσς İ ß"):
        stored.content = text
        document.summary = text
        session.add_all([stored, document])
        session.commit()
        session.expire_all()
        assert (stored.content_folded, document.search_folded) == (fold(text), fold(f"12/UBND-KT {text}"))
