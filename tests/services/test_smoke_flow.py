"""The whole loop through the services: assign, reply, confirm, count."""

from datetime import date

from sqlmodel import Session

from demo.seed import UnitStaff, process_in_unit
from models import ConfirmOutcome, TaskClass, TaskStatus
from models.schemas import AssignmentCreate, ConfirmationCreate, ReplyCreate, TaskCreate
from services.access.permissions import Actor
from services.runtime import Runtime
from services.stats.statistics import make_period, unit_statistics
from services.tasks.assignment import create_assignment
from services.tasks.queries import list_unit_tasks
from tests.actions import confirm_task
from tests.conftest import FINANCE, at


def test_assign_reply_confirm_counts_done_on_time(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    doc = create_assignment(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        now=at(date(2026, 3, 2)),
        data=AssignmentCreate(
            code="100/UBND-KT",
            issue_date=date(2026, 3, 2),
            issuer="ubnd_tinh",
            doc_type="cong_van",
            summary="V/v báo cáo",
            signer="A",
            tasks=[TaskCreate(content="Báo cáo", lead_unit_code=FINANCE, deadline=date(2026, 3, 10))],
        ),
    )
    rows = list_unit_tasks(session=session, actor=actors["clerk"], today=date(2026, 3, 3), due_soon_days=3)
    assert [r.document_code for r in rows] == [doc.code]
    task_id = rows[0].task_id
    # the unit's own flow: vào sổ -> bút phê -> dự thảo -> duyệt -> ban hành (the reply)
    process_in_unit(
        session=session,
        config=runtime.config,
        task_id=task_id,
        staff=UnitStaff(clerk=actors["clerk"], leader=actors["leader"], specialist=actors["specialist"]),
        now=at(date(2026, 3, 10)),
        reply=ReplyCreate(code="55/STC-VP", issue_date=date(2026, 3, 10), summary="Báo cáo", result="Xong"),
    )
    rows = list_unit_tasks(session=session, actor=actors["clerk"], today=date(2026, 3, 11), due_soon_days=3)
    assert rows[0].status is TaskStatus.REPLIED
    confirm_task(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        task_id=task_id,
        now=at(date(2026, 3, 12)),
        data=ConfirmationCreate(outcome=ConfirmOutcome.DONE),
    )
    report = unit_statistics(
        session=session,
        period=make_period(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31), today=date(2026, 4, 1)),
    )
    assert report.total.counts[TaskClass.DONE_ON_TIME] == 1
    assert report.total.total == 1
    rows = list_unit_tasks(session=session, actor=actors["clerk"], today=date(2026, 3, 13), due_soon_days=3)
    assert rows[0].status is TaskStatus.DONE
