"""The task spans stay in step with the facts, whoever writes them (``services.stats.spans``).

The property test checks spans against ``classify`` for histories written straight into the
tables; these check the other half: that a write through any session rebuilds the spans in its
own transaction (not only the registry's actions), that a rollback leaves them as they were,
that moving an assignment document's date moves its tasks' spans, and that a start after the
spans' rule changed (or right after migration 0006) rebuilds every task's spans.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import DataVersion, Document, Extension, TaskClass, TaskSpan
from services.access.permissions import Actor
from services.runtime import Runtime, start
from services.stats.spans import SPANS_RULE
from services.stats.statistics import make_period, unit_statistics
from tests.conftest import FINANCE, HEALTH, at
from tests.services.support import assign, task

ISSUED = date(2026, 3, 2)
DEADLINE = date(2026, 3, 10)


def _spans(session: Session, task_id: int) -> list[tuple[date, date, TaskClass]]:
    rows = session.exec(select(TaskSpan).where(TaskSpan.task_id == task_id).order_by(col(TaskSpan.valid_from))).all()
    return [(r.valid_from, r.valid_to, r.task_class) for r in rows]


def _overdue_on(session: Session, day: date) -> int:
    period = make_period(date_from=date(2026, 1, 1), date_to=day, today=day)
    return unit_statistics(session=session, period=period).total.counts[TaskClass.OPEN_OVERDUE]


def _one_task(runtime: Runtime, session: Session, tracker: Actor) -> tuple[Document, int]:
    document, ids = assign(
        runtime, session, tracker, code="11/UBND-TH", issued=ISSUED, tasks=[task("Báo cáo", FINANCE, DEADLINE)]
    )
    return document, ids[0]


def test_a_new_task_has_its_spans_at_once(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _, task_id = _one_task(runtime, session, actors["tracker"])
    forever = date(9999, 12, 31)
    assert _spans(session, task_id) == [
        (ISSUED, DEADLINE, TaskClass.OPEN_ON_TIME),
        (DEADLINE + timedelta(days=1), forever, TaskClass.OPEN_OVERDUE),
    ]
    assert _overdue_on(session, DEADLINE) == 0
    assert _overdue_on(session, DEADLINE + timedelta(days=1)) == 1


def test_any_session_write_rebuilds_the_spans_and_a_rollback_keeps_them(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """An extension added by a plain ORM write (no registry action) moves the spans on commit;
    the same write rolled back leaves them as they were."""
    _, task_id = _one_task(runtime, session, actors["tracker"])
    before = _spans(session, task_id)

    def extension() -> Extension:
        return Extension(
            task_id=task_id,
            new_deadline=date(2026, 3, 20),
            granted_on=date(2026, 3, 5),
            reason="Gia hạn",
            actor_id=actors["tracker"].user_id,
            created_at=at(date(2026, 3, 5)),
        )

    session.add(extension())
    session.flush()
    session.rollback()
    assert _spans(session, task_id) == before
    session.add(extension())
    session.commit()
    assert _overdue_on(session, date(2026, 3, 15)) == 0  # the new deadline holds from 5 March
    assert _spans(session, task_id)[-1] == (date(2026, 3, 21), date(9999, 12, 31), TaskClass.OPEN_OVERDUE)


def test_moving_a_document_date_moves_its_tasks_spans(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    document, task_id = _one_task(runtime, session, actors["tracker"])
    stored = session.get(Document, document.id)
    assert stored is not None
    stored.issue_date = date(2026, 2, 20)
    session.add(stored)
    session.commit()
    assert _spans(session, task_id)[0][0] == date(2026, 2, 20)


def test_a_start_after_the_rule_changed_rebuilds_every_task(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Right after migration 0006 (rule 0) or after a new rule, the first start builds the spans
    from the facts; the figures are the same as before."""
    _one_task(runtime, session, actors["tracker"])
    assign(
        runtime,
        session,
        actors["tracker"],
        code="12/UBND-TH",
        issued=ISSUED,
        tasks=[task("Kiểm tra", HEALTH, date(2026, 3, 4)), task("Tổng hợp", FINANCE, date(2026, 4, 1))],
    )
    expected = unit_statistics(session=session, period=make_period(date_from=ISSUED, date_to=DEADLINE, today=DEADLINE))
    session.exec(update(TaskSpan).values(task_class=TaskClass.DONE_ON_TIME))  # type: ignore[call-overload]
    session.exec(update(DataVersion).values(spans_rule=0))  # type: ignore[call-overload]
    session.commit()
    start(settings=runtime.settings, database_url=runtime.engine.url.render_as_string(hide_password=False))
    session.expire_all()
    again = unit_statistics(session=session, period=make_period(date_from=ISSUED, date_to=DEADLINE, today=DEADLINE))
    assert again == expected
    assert session.exec(select(col(DataVersion.spans_rule))).one() == SPANS_RULE
