"""Waiting work (issue 9): a task sent back says so, the menu's counts, the next task after a step,
and the tasks a unit coordinates with what it may do there."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from models import ConfirmOutcome
from services.access.permissions import Actor
from services.actions.confirmation import list_pending
from services.actions.coordination import coordination_work
from services.runtime import Runtime
from services.stats.period import make_period
from services.stats.rows import build_rows, mark_sent_back
from services.stats.statistics import tasks_behind
from services.tasks.counters import NextTask, next_waiting_task, waiting_counts, waiting_steps, waiting_task_ids
from services.tasks.queries import get_task_detail
from services.tasks.requests import list_pending_requests
from services.workflow.engine import inbox_task_ids, main_flow
from tests.actions import fire, request_wrong_unit
from tests.conftest import FINANCE, HEALTH, PLEIKU
from tests.services.support import assign, confirm, reply, staff, task

ISSUED = date(2026, 3, 2)
REPLIED = date(2026, 3, 9)
JUDGED = date(2026, 3, 11)
EXTENDED = date(2026, 3, 25)
REASON = "Báo cáo thiếu số liệu *từng xã* [phụ lục]"


def _sent_back_task(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> tuple[int, int]:
    """Two Finance tasks: the first replied and judged "not done" with an extension, the second open."""
    _, (back, other) = assign(
        runtime,
        session,
        actors["tracker"],
        code="31/UBND-TH",
        issued=ISSUED,
        tasks=[task("Rà soát dự toán", FINANCE, date(2026, 3, 12)), task("Quyết toán vốn", FINANCE, date(2026, 4, 30))],
    )
    reply(runtime, session, back, code="12/STC-NS", on=REPLIED)
    confirm(runtime, session, actors["tracker"], back, on=JUDGED, done=False, reason=REASON, new_deadline=EXTENDED)
    return back, other


def test_a_task_sent_back_carries_the_verdict(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    back, other = _sent_back_task(runtime, session, actors)
    detail = get_task_detail(session=session, actor=actors["clerk"], task_id=back, today=JUDGED, due_soon_days=3)
    assert detail.sent_back
    verdict = detail.last_verdict
    assert verdict is not None
    assert (verdict.outcome, verdict.confirmed_on, verdict.reason) == (ConfirmOutcome.NOT_DONE, JUDGED, REASON)
    assert (verdict.reply_code, verdict.new_deadline) == ("12/STC-NS", EXTENDED)
    [rejected] = detail.replies
    assert rejected.rejected_on == JUDGED
    assert detail.row.sent_back
    plain = get_task_detail(session=session, actor=actors["clerk"], task_id=other, today=JUDGED, due_soon_days=3)
    assert (plain.sent_back, plain.last_verdict, plain.row.sent_back) == (False, None, False)

    # the unit replies again: the first reply stays marked, the new one waits, the list no longer says "sent back"
    reply(runtime, session, back, code="15/STC-NS", on=JUDGED + timedelta(days=2))
    detail = get_task_detail(
        session=session, actor=actors["clerk"], task_id=back, today=JUDGED + timedelta(days=2), due_soon_days=3
    )
    assert [r.rejected_on for r in detail.replies] == [JUDGED, None]
    assert detail.row.state.awaiting_confirmation and not detail.row.sent_back
    # and once done, the last verdict is "done": no banner
    confirm(runtime, session, actors["tracker"], back, on=JUDGED + timedelta(days=3))
    detail = get_task_detail(
        session=session, actor=actors["clerk"], task_id=back, today=JUDGED + timedelta(days=3), due_soon_days=3
    )
    assert not detail.sent_back and detail.last_verdict is not None
    assert detail.last_verdict.outcome is ConfirmOutcome.DONE and detail.last_verdict.new_deadline is None


def test_sent_back_in_every_list_as_of_its_date(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """build_rows (from the facts) and the lists read from the spans (``mark_sent_back``) agree,
    and a list dated before the verdict does not mark it."""
    back, other = _sent_back_task(runtime, session, actors)
    for day, expected in ((JUDGED - timedelta(days=1), False), (JUDGED, True), (date(2026, 4, 1), True)):
        rows = {r.task_id: r for r in build_rows(session=session, task_ids=[back, other], today=day, due_soon_days=3)}
        assert (rows[back].sent_back, rows[other].sent_back) == (expected, False), day
        plain = [r.__class__(**{**r.__dict__, "sent_back": False}) for r in rows.values()]
        assert {r.task_id: r.sent_back for r in mark_sent_back(session=session, rows=plain)} == {
            back: expected,
            other: False,
        }, day
    # Giám sát's lists (read from the spans) name it too
    period = make_period(date_from=ISSUED, date_to=date(2026, 4, 1), today=date(2026, 4, 1))
    behind = tasks_behind(session=session, actor=actors["tracker"], period=period, due_soon_days=3)
    assert {r.task_id: r.sent_back for r in behind if r.task_id in (back, other)} == {back: True, other: False}


def test_waiting_tasks_are_the_inbox(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """The menu's count reads the inbox more cheaply; it must be the same tasks, step by step."""
    _, (first, second) = assign(
        runtime,
        session,
        actors["tracker"],
        code="32/UBND-TH",
        issued=ISSUED,
        tasks=[task("Rà soát dự toán", FINANCE, date(2026, 4, 12)), task("Báo cáo đô thị", PLEIKU, date(2026, 4, 5))],
    )
    team = staff(runtime, session, FINANCE)
    people = [team.clerk, team.leader, team.specialist, actors["other_leader"], actors["tracker"], actors["admin"]]

    def same() -> None:
        for person in people:
            expected = inbox_task_ids(session=session, actor=person, config=runtime.config)
            assert sorted(waiting_task_ids(session=session, actor=person, config=runtime.config)) == sorted(expected)
            counts = waiting_counts(session=session, actor=person, config=runtime.config)
            assert counts.inbox == len(expected), person.username

    same()
    assert waiting_steps(session=session, actor=team.clerk, config=runtime.config) == {first: ["Chờ văn thư vào sổ"]}
    flow = main_flow(session=session, task_id=first)
    assert flow is not None and flow.id is not None
    for transition, person, extra in (
        ("vao_so", team.clerk, {}),
        ("but_phe", team.leader, {"assignee_id": team.specialist.user_id}),
        ("trinh_du_thao", team.specialist, {}),
        ("tra_lai_du_thao", team.leader, {"note": "Bổ sung số liệu"}),
    ):
        fire(session=session, actor=person, config=runtime.config, flow_id=flow.id, transition=transition, **extra)
        same()
    assert waiting_steps(session=session, actor=team.specialist, config=runtime.config) == {
        first: ["Chuyên viên đang dự thảo"]
    }
    assert second not in waiting_task_ids(session=session, actor=team.clerk, config=runtime.config)


def test_office_counts_and_next_task(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    tracker = actors["tracker"]
    _, (a, b, c) = assign(
        runtime,
        session,
        tracker,
        code="33/UBND-TH",
        issued=ISSUED,
        tasks=[
            task("Rà soát dự toán", FINANCE, date(2026, 4, 12)),
            task("Quyết toán vốn", FINANCE, date(2026, 4, 12)),
            task("Báo cáo đô thị", PLEIKU, date(2026, 4, 5)),
        ],
    )
    reply(runtime, session, a, code="1/STC", on=REPLIED)
    reply(runtime, session, b, code="2/STC", on=REPLIED + timedelta(days=1))
    request_wrong_unit(session=session, actor=actors["other_leader"], task_id=c, reason="Không thuộc chức năng")
    counts = waiting_counts(session=session, actor=tracker, config=runtime.config)
    assert (counts.replies, counts.wrong_unit, counts.inbox) == (2, 1, 0)
    assert counts.replies == len(list_pending(session=session, actor=tracker, today=JUDGED))
    assert counts.wrong_unit == len(list_pending_requests(session=session, actor=tracker))
    for person in ("office_leader", "admin", "clerk"):
        seen = waiting_counts(session=session, actor=actors[person], config=runtime.config)
        assert (seen.replies, seen.wrong_unit) == (0, 0), person

    def upcoming(after: int) -> NextTask | None:
        return next_waiting_task(
            session=session, actor=tracker, config=runtime.config, today=JUDGED, due_soon_days=3, after=after
        )

    # the request first (decided on the task page), then the oldest reply (on Xác nhận kết quả)
    assert upcoming(0) == NextTask(c, "Báo cáo đô thị")
    assert upcoming(c) == NextTask(a, "Rà soát dự toán", to_confirm=True)
    confirm(runtime, session, tracker, a, on=JUDGED)
    assert upcoming(c) == NextTask(b, "Quyết toán vốn", to_confirm=True)
    assert waiting_counts(session=session, actor=tracker, config=runtime.config).replies == 1


def test_next_task_of_a_unit_user(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _, (late, soon, later) = assign(
        runtime,
        session,
        actors["tracker"],
        code="34/UBND-TH",
        issued=ISSUED,
        tasks=[
            task("Quá hạn", FINANCE, date(2026, 3, 5)),
            task("Sắp đến hạn", FINANCE, date(2026, 3, 12)),
            task("Còn xa", FINANCE, date(2026, 5, 30)),
        ],
    )
    clerk = actors["clerk"]

    def upcoming(after: int) -> int | None:
        found = next_waiting_task(
            session=session, actor=clerk, config=runtime.config, today=date(2026, 3, 10), due_soon_days=3, after=after
        )
        return None if found is None else found.task_id

    assert (upcoming(0), upcoming(late), upcoming(soon)) == (late, soon, late)  # urgent first, never itself
    for task_id in (late, soon):
        flow = main_flow(session=session, task_id=task_id)
        assert flow is not None and flow.id is not None
        fire(session=session, actor=clerk, config=runtime.config, flow_id=flow.id, transition="vao_so")
    assert upcoming(soon) == later
    assert upcoming(later) is None
    nobody = next_waiting_task(
        session=session, actor=actors["admin"], config=runtime.config, today=JUDGED, due_soon_days=3, after=late
    )
    assert nobody is None


def test_coordinated_tasks_with_what_the_unit_may_do(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    _, (open_task, done_task) = assign(
        runtime,
        session,
        actors["tracker"],
        code="35/UBND-TH",
        issued=ISSUED,
        tasks=[
            task("Tổng hợp ý kiến các sở", FINANCE, date(2026, 4, 20), [HEALTH]),
            task("Báo cáo đã xong", FINANCE, date(2026, 4, 20), [HEALTH]),
        ],
    )
    reply(runtime, session, done_task, code="5/STC", on=REPLIED)
    confirm(runtime, session, actors["tracker"], done_task, on=JUDGED)
    health = staff(runtime, session, HEALTH)
    work = coordination_work(session=session, actor=health.clerk, config=runtime.config, today=JUDGED, due_soon_days=3)
    assert [(w.row.task_id, w.actions) for w in work] == [(open_task, ["Gửi ý kiến phối hợp"])]
    # the lead unit and VP UBND coordinate nothing here
    for person in (actors["clerk"], actors["tracker"]):
        assert (
            coordination_work(session=session, actor=person, config=runtime.config, today=JUDGED, due_soon_days=3) == []
        )
