"""search_tasks (the JSON API's GET /tasks): exactly the tasks can_view_task lets each person see,
sub-units a task was routed to included; with a period, the statistics' scope and classes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, select

from models import Task, TaskClass
from models.schemas import TaskFilters
from services.access.permissions import Actor, can_view_task, visible_task_ids
from services.infra.errors import InvalidInput
from services.runtime import Runtime
from services.stats.statistics import make_period, tasks_behind, unit_statistics
from services.tasks.queries import search_tasks
from services.workflow.engine import main_flow
from tests.actions import fire
from tests.conftest import FINANCE, HEALTH, PLEIKU, at
from tests.services.support import assign, confirm, reply, staff, task, unit_id

ICT = "000.00.11.H21"
ICT_IT, ICT_CENTRE = "000.01.11.H21", "000.02.11.H21"
PLEIKU_FIN = "000.01.31.H21"
ISSUED = date(2026, 3, 2)
TODAY = date(2026, 3, 25)


def _search(session: Session, actor: Actor, **filters: object) -> list[int]:
    found = search_tasks(
        session=session, actor=actor, filters=TaskFilters(**filters), today=TODAY, due_soon_days=3  # type: ignore[arg-type]
    )
    return [row.task_id for row in found.items]


@pytest.fixture
def tasks(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> dict[str, int]:
    tracker = actors["tracker"]
    _, (fin, ict, pleiku, health) = assign(
        runtime,
        session,
        tracker,
        code="21/UBND-KT",
        issued=ISSUED,
        tasks=[
            task("Báo cáo quyết toán", FINANCE, date(2026, 3, 20)),
            task("Chuyển đổi số", ICT, date(2026, 4, 30)),
            task("Quy hoạch đô thị", PLEIKU, date(2026, 3, 10), coordinators=[FINANCE]),
            task("Y tế cơ sở", HEALTH, date(2026, 4, 15)),
        ],
    )
    # Sở TT&TT routes its task to P. CNTT only (Trường hợp 1)
    team = staff(runtime, session, ICT)
    main = main_flow(session=session, task_id=ict)
    assert main is not None and main.id is not None
    fire(session=session, actor=team.clerk, config=runtime.config, flow_id=main.id, transition="vao_so", now=at(ISSUED))
    fire(
        session=session,
        actor=team.leader,
        config=runtime.config,
        flow_id=main.id,
        transition="but_phe",
        workflow="truong_hop_1",
        assignee_id=team.specialist.user_id,
        subunit_ids=[unit_id(session, ICT_IT)],
        now=at(ISSUED),
    )
    # Sở Tài chính answers on 18/03 and VP UBND confirms it done on time on 19/03
    reply(runtime, session, fin, code="5/BC-STC", on=date(2026, 3, 18))
    confirm(runtime, session, tracker, fin, on=date(2026, 3, 19))
    return {"fin": fin, "ict": ict, "pleiku": pleiku, "health": health}


def test_everyone_sees_exactly_what_can_view_task_allows(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tasks: dict[str, int]
) -> None:
    people = {
        **actors,
        "it_clerk": staff(runtime, session, ICT_IT).clerk,
        "centre_clerk": staff(runtime, session, ICT_CENTRE).clerk,
        "pleiku_sub": staff(runtime, session, PLEIKU_FIN).leader,
        "ict_leader": staff(runtime, session, ICT).leader,
    }
    every = list(session.exec(select(Task).order_by(col(Task.id))).all())
    expected = {
        "tracker": set(tasks.values()),
        "admin": set(tasks.values()),
        "clerk": {tasks["fin"], tasks["pleiku"]},  # its own and the one it coordinates
        "other_leader": {tasks["pleiku"]},
        "it_clerk": {tasks["ict"]},  # routed to P. CNTT
        "centre_clerk": set(),  # the sibling that was not chosen
        "pleiku_sub": set(),
        "ict_leader": {tasks["ict"]},
    }
    for name, actor in people.items():
        allowed = {t.id for t in every if can_view_task(session=session, actor=actor, task=t)}
        assert set(_search(session, actor)) == allowed, name
        visible = visible_task_ids(session=session, actor=actor)
        assert (set(tasks.values()) if visible is None else visible) == allowed, name
        if name in expected:
            assert allowed == expected[name], name


def test_filters_and_period(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tasks: dict[str, int]
) -> None:
    tracker = actors["tracker"]
    # overdue first, then by days left; the done task last
    assert _search(session, tracker) == [tasks["pleiku"], tasks["health"], tasks["ict"], tasks["fin"]]
    assert _search(session, tracker, unit=FINANCE) == [tasks["fin"]]
    assert _search(session, tracker, **{"class": TaskClass.DONE_ON_TIME}) == [tasks["fin"]]
    assert _search(session, tracker, **{"class": TaskClass.OPEN_OVERDUE}) == [tasks["pleiku"]]
    assert _search(session, tracker, q="QUY HOACH do thi") == [tasks["pleiku"]]
    assert _search(session, tracker, deadline_from=date(2026, 4, 1)) == [tasks["health"], tasks["ict"]]
    assert _search(session, tracker, deadline_to=date(2026, 3, 15)) == [tasks["pleiku"]]
    # as of 15/03 Sở Tài chính had not answered: open and on time then
    assert _search(session, tracker, unit=FINANCE, **{"to": date(2026, 3, 15), "class": TaskClass.OPEN_ON_TIME}) == [
        tasks["fin"]
    ]
    # a period before the document has none of them
    assert _search(session, tracker, **{"from": date(2026, 2, 1), "to": date(2026, 2, 28)}) == []
    with pytest.raises(InvalidInput, match="Từ ngày phải trước") as refused:
        _search(session, tracker, **{"from": date(2026, 3, 10), "to": date(2026, 3, 1)})
    assert refused.value.field == "from"
    with pytest.raises(InvalidInput, match="Không có đơn vị mã") as refused:
        _search(session, tracker, unit="000.99.99.H21")
    assert refused.value.field == "unit"
    # paging
    page = search_tasks(
        session=session, actor=tracker, filters=TaskFilters(page=2, per_page=3), today=TODAY, due_soon_days=3
    )
    assert ([r.task_id for r in page.items], page.total, page.page, page.per_page) == ([tasks["fin"]], 4, 2, 3)


def test_with_a_period_the_lists_add_up_to_the_statistics(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tasks: dict[str, int]
) -> None:
    tracker = actors["tracker"]
    period = make_period(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), today=TODAY)
    report = unit_statistics(session=session, period=period)
    for row in report.rows:
        code = next(u for u in (FINANCE, ICT, PLEIKU, HEALTH) if unit_id(session, u) == row.unit_id)
        for task_class in TaskClass:
            found = _search(
                session, tracker, unit=code, **{"from": period.date_from, "to": period.date_to, "class": task_class}
            )
            behind = tasks_behind(
                session=session, actor=tracker, period=period, due_soon_days=3, unit_id=row.unit_id,
                task_class=task_class,
            )
            assert found == [r.task_id for r in behind]
            assert len(found) == row.counts[task_class], (code, task_class)
    assert report.total.total == 4
