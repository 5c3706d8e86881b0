"""Giao nhiệm vụ (Điều 4.1): what create_assignment refuses, and what it records when it accepts.

Every refusal must raise a ServiceError with a Vietnamese message and leave the database
exactly as it was ("nothing saved half-way", README "Bad input").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from models import Document, EventAction, OrgUnit, Role, Task, TaskCoordinator, TaskEvent
from models.schemas import AssignmentCreate, TaskCreate
from services.access.permissions import Actor
from services.infra.errors import InvalidInput, PermissionDenied, ServiceError
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from tests.conftest import FINANCE, HEALTH, OFFICE, PLEIKU, at
from tests.services.support import row_counts, task_ids, unit_id

DOC_DAY = date(2026, 3, 2)  # Monday
NOW = at(DOC_DAY, hour=15)
HOME_AFFAIRS = "000.00.02.H21"  # Sở Nội vụ
UNKNOWN = "000.00.99.H21"


def _task(**overrides: Any) -> TaskCreate:
    fields: dict[str, Any] = {
        "content": "Báo cáo tình hình thực hiện",
        "lead_unit_code": FINANCE,
        "deadline": date(2026, 3, 20),
    }
    fields.update(overrides)
    return TaskCreate(**fields)


def _data(**overrides: Any) -> AssignmentCreate:
    fields: dict[str, Any] = {
        "code": "125/UBND-KT",
        "issue_date": DOC_DAY,
        "issuer": "ubnd_tinh",
        "doc_type": "cong_van",
        "summary": "V/v triển khai nhiệm vụ",
        "signer": "Nguyễn Văn A",
        "tasks": [_task()],
    }
    fields.update(overrides)
    return AssignmentCreate(**fields)


def _assert_refused(
    runtime: Runtime,
    session: Session,
    actor: Actor,
    data: AssignmentCreate,
    error: type[ServiceError],
    fragment: str,
) -> ServiceError:
    """Call create_assignment, expect ``error`` with ``fragment``; the database must be unchanged."""
    before = row_counts(session)
    with Session(runtime.engine) as fresh:
        committed_before = row_counts(fresh)
    with pytest.raises(error) as caught:
        create_assignment(session=session, actor=actor, config=runtime.config, data=data, now=NOW)
    assert isinstance(caught.value, ServiceError)
    assert fragment in caught.value.message, caught.value.message
    assert str(caught.value) == caught.value.message
    assert row_counts(session) == before, "nothing may be flushed by a refused assignment"
    with Session(runtime.engine) as fresh:
        assert row_counts(fresh) == committed_before, "nothing may be committed by a refused assignment"
    return caught.value


REFUSALS = [
    pytest.param({"code": ""}, "Số/ký hiệu không được để trống.", id="empty-code"),
    pytest.param({"code": "   "}, "Số/ký hiệu không được để trống.", id="blank-code"),
    pytest.param({"tasks": []}, "Văn bản phải có ít nhất một nhiệm vụ.", id="no-task"),
    pytest.param({"tasks": [_task(lead_unit_code="")]}, "Nhiệm vụ 1: phải chọn đơn vị chủ trì.", id="no-lead-unit"),
    pytest.param(
        {"tasks": [_task(lead_unit_code="  ")]}, "Nhiệm vụ 1: phải chọn đơn vị chủ trì.", id="blank-lead-unit"
    ),
    pytest.param(
        {"tasks": [_task(), _task(lead_unit_code="")]},
        "Nhiệm vụ 2: phải chọn đơn vị chủ trì.",
        id="second-task-no-lead-first-task-not-saved",
    ),
    pytest.param(
        {"tasks": [_task(deadline=date(2026, 3, 1))]},
        "Nhiệm vụ 1: hạn xử lý 01/03/2026 trước ngày ban hành 02/03/2026.",
        id="deadline-before-document-date",
    ),
    pytest.param(
        {"tasks": [_task(lead_unit_code=UNKNOWN)]},
        f"Nhiệm vụ 1 — đơn vị chủ trì: không có đơn vị mã '{UNKNOWN}'.",
        id="unknown-lead-unit",
    ),
    pytest.param(
        {"tasks": [_task(coordinating_unit_codes=[UNKNOWN])]},
        f"Nhiệm vụ 1 — đơn vị phối hợp: không có đơn vị mã '{UNKNOWN}'.",
        id="unknown-coordinating-unit",
    ),
    pytest.param(
        {"tasks": [_task(lead_unit_code=OFFICE)]},
        "Nhiệm vụ 1 — đơn vị chủ trì: không giao nhiệm vụ cho chính Văn phòng UBND tỉnh.",
        id="lead-is-the-office",
    ),
    pytest.param(
        {"tasks": [_task(coordinating_unit_codes=[OFFICE])]},
        "Nhiệm vụ 1 — đơn vị phối hợp: không giao nhiệm vụ cho chính Văn phòng UBND tỉnh.",
        id="coordinator-is-the-office",
    ),
    pytest.param(
        {"tasks": [_task(coordinating_unit_codes=[HEALTH, FINANCE])]},
        "Nhiệm vụ 1: đơn vị chủ trì không đồng thời là đơn vị phối hợp.",
        id="coordinator-equals-lead",
    ),
    pytest.param(
        {"tasks": [_task(deadline=None)]},
        "Nhiệm vụ 1: nhập hạn xử lý bằng một ngày cụ thể hoặc số ngày làm việc.",
        id="neither-deadline-nor-working-days",
    ),
    pytest.param(
        {"tasks": [_task(working_days=5)]},
        "Nhiệm vụ 1: nhập hạn xử lý bằng một ngày cụ thể hoặc số ngày làm việc.",
        id="both-deadline-and-working-days",
    ),
    pytest.param(
        {"tasks": [_task(deadline=None, working_days=0)]},
        "Nhiệm vụ 1: số ngày làm việc phải từ 1 đến 365.",
        id="zero-working-days",
    ),
    pytest.param(
        {"issue_date": date(2026, 3, 3)}, "Ngày ban hành 03/03/2026 sau ngày hôm nay.", id="document-date-in-future"
    ),
    pytest.param({"issuer": "so_tai_chinh"}, "Cơ quan ban hành không hợp lệ.", id="unknown-issuer"),
    pytest.param({"doc_type": "to_trinh"}, "Loại văn bản không hợp lệ.", id="unknown-doc-type"),
]

# Ordinary text is never refused for what it contains (README "Bad input"): markup-like
# brackets, entities and a leading = + - @ are stored as typed and shown escaped.
ORDINARY_TEXT = {
    "content": ["- Báo cáo kết quả thực hiện", "Tỷ lệ a <b và c> d", "Báo cáo <script>alert(1)</script>"],
    "summary": ["<b>x</b>", '=HYPERLINK("http://evil.example")', "+84 905 000 000"],
    "signer": ["Nguyễn &lt;A&gt;", "@Nguyễn Văn A", "-2+3"],
}


@pytest.mark.parametrize(
    ("field", "text"), [(field, text) for field, texts in ORDINARY_TEXT.items() for text in texts]
)
def test_ordinary_text_is_stored_as_typed(
    runtime: Runtime, session: Session, actors: dict[str, Actor], field: str, text: str
) -> None:
    """"Tỷ lệ a <b và c> d" and "- Báo cáo …" were refused as HTML and as a formula: now stored as typed."""
    data = _data(tasks=[_task(content=text)]) if field == "content" else _data(**{field: text})
    document = create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=data, now=NOW)
    stored = session.exec(select(Task).where(Task.document_id == document.id)).one().content
    assert (stored if field == "content" else getattr(document, field)) == text


@pytest.mark.parametrize(("overrides", "fragment"), REFUSALS)
def test_invalid_assignment_is_refused_and_nothing_saved(
    runtime: Runtime, session: Session, actors: dict[str, Actor], overrides: dict[str, Any], fragment: str
) -> None:
    """Each broken input is refused with its Vietnamese message; no row is added anywhere."""
    _assert_refused(runtime, session, actors["tracker"], _data(**overrides), InvalidInput, fragment)


def test_refusal_names_the_field(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """The error carries the form field so a page can highlight it."""
    err = _assert_refused(
        runtime,
        session,
        actors["tracker"],
        _data(tasks=[_task(), _task(lead_unit_code="")]),
        InvalidInput,
        "Nhiệm vụ 2: phải chọn đơn vị chủ trì",
    )
    assert err.field == "tasks.2.lead"


def test_duplicate_code_same_issuer_and_year_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Số/ký hiệu is unique per issuer and year."""
    create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=_data(), now=NOW)
    _assert_refused(
        runtime,
        session,
        actors["tracker"],
        _data(summary="Văn bản khác"),
        InvalidInput,
        "Số/ký hiệu '125/UBND-KT' đã có trong năm 2026 của cơ quan ban hành này.",
    )


@pytest.mark.parametrize("variant", ["125 / ubnd-kt", " 125/ubnd-KT ", "125/ UBND - KT"])
def test_normalised_duplicate_code_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], variant: str
) -> None:
    """Spaces and letter case do not make a new số/ký hiệu: '125 / ubnd-kt' == '125/UBND-KT'."""
    create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=_data(), now=NOW)
    _assert_refused(
        runtime,
        session,
        actors["tracker"],
        _data(code=variant, issue_date=date(2026, 2, 20)),
        InvalidInput,
        "đã có trong năm 2026 của cơ quan ban hành này.",
    )


def test_same_code_allowed_for_another_issuer_or_year(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """The same số/ký hiệu may exist for the Chairman, or in another year."""
    tracker = actors["tracker"]
    first = create_assignment(session=session, actor=tracker, config=runtime.config, data=_data(), now=NOW)
    by_chairman = create_assignment(
        session=session, actor=tracker, config=runtime.config, data=_data(issuer="chu_tich_ubnd_tinh"), now=NOW
    )
    last_year = create_assignment(
        session=session,
        actor=tracker,
        config=runtime.config,
        data=_data(issue_date=date(2025, 12, 30), tasks=[_task(deadline=date(2026, 1, 15))]),
        now=NOW,
    )
    assert len({first.id, by_chairman.id, last_year.id}) == 3
    assert {(d.issuer, d.issue_year, d.code_key) for d in (first, by_chairman, last_year)} == {
        ("ubnd_tinh", 2026, "125/UBND-KT"),
        ("chu_tich_ubnd_tinh", 2026, "125/UBND-KT"),
        ("ubnd_tinh", 2025, "125/UBND-KT"),
    }


def test_inactive_unit_is_refused(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """A deactivated unit can no longer receive tasks, as lead or as coordinator."""
    unit = session.exec(select(OrgUnit).where(OrgUnit.code == PLEIKU)).one()
    unit.active = False
    session.add(unit)
    session.commit()
    _assert_refused(
        runtime,
        session,
        actors["tracker"],
        _data(tasks=[_task(lead_unit_code=PLEIKU)]),
        InvalidInput,
        "Nhiệm vụ 1 — đơn vị chủ trì: đơn vị 'UBND TP Pleiku' đã ngừng hoạt động.",
    )
    _assert_refused(
        runtime,
        session,
        actors["tracker"],
        _data(tasks=[_task(coordinating_unit_codes=[PLEIKU])]),
        InvalidInput,
        "Nhiệm vụ 1 — đơn vị phối hợp: đơn vị 'UBND TP Pleiku' đã ngừng hoạt động.",
    )


@pytest.mark.parametrize("who", ["office_leader", "clerk", "leader", "specialist", "other_leader", "admin"])
def test_only_the_office_tracker_may_assign(
    runtime: Runtime, session: Session, actors: dict[str, Actor], who: str
) -> None:
    """Office leader, unit users and the admin lack task.assign: PermissionDenied, nothing saved."""
    _assert_refused(
        runtime,
        session,
        actors[who],
        _data(),
        PermissionDenied,
        "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được giao nhiệm vụ.",
    )


def test_tracker_of_a_unit_may_not_assign(
    runtime: Runtime, session: Session, make_user: Callable[[str, Role, str], Actor]
) -> None:
    """The tracker role assigns only when the user belongs to VP UBND."""
    unit_tracker = make_user("stc.theodoi", Role.TRACKER, FINANCE)
    _assert_refused(
        runtime, session, unit_tracker, _data(), PermissionDenied, "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh"
    )


def test_deadline_on_the_document_date_is_accepted(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """'Not before the document date' allows the same day."""
    doc = create_assignment(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        data=_data(tasks=[_task(deadline=DOC_DAY)]),
        now=NOW,
    )
    [tid] = task_ids(session, doc)
    stored = session.get(Task, tid)
    assert stored is not None
    assert stored.deadline == DOC_DAY


@pytest.mark.parametrize(
    ("issued", "working_days", "expected"),
    [
        pytest.param(date(2026, 2, 13), 1, date(2026, 2, 23), id="fri-before-tet-skips-16-to-20-feb"),
        pytest.param(date(2026, 2, 13), 2, date(2026, 2, 24), id="tet-two-days"),
        pytest.param(date(2026, 3, 2), 3, date(2026, 3, 5), id="plain-weekdays"),
        pytest.param(date(2026, 3, 5), 3, date(2026, 3, 10), id="over-a-weekend"),
        pytest.param(date(2026, 3, 6), 1, date(2026, 3, 9), id="friday-plus-one-is-monday"),
        pytest.param(date(2026, 4, 24), 1, date(2026, 4, 28), id="hung-kings-observed-monday"),
        pytest.param(date(2026, 4, 29), 1, date(2026, 5, 4), id="30-4-and-1-5"),
    ],
)
def test_working_days_deadline_skips_weekends_and_holidays(
    runtime: Runtime,
    session: Session,
    actors: dict[str, Actor],
    issued: date,
    working_days: int,
    expected: date,
) -> None:
    """N ngày làm việc after the document date, skipping weekends and VN public holidays (lunar included)."""
    doc = create_assignment(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        data=_data(issue_date=issued, tasks=[_task(deadline=None, working_days=working_days)]),
        now=at(issued),
    )
    [tid] = task_ids(session, doc)
    stored = session.get(Task, tid)
    assert stored is not None
    assert stored.deadline == expected


def test_accepted_assignment_records_tasks_coordinators_and_journal(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Two tasks: each gets its lead, coordinators and exactly one 'assigned' event office -> lead."""
    tracker = actors["tracker"]
    before = row_counts(session)
    doc = create_assignment(
        session=session,
        actor=tracker,
        config=runtime.config,
        data=_data(
            tasks=[
                _task(content="Rà soát ngân sách", coordinating_unit_codes=[HEALTH, HOME_AFFAIRS, HEALTH]),
                _task(content="Báo cáo đô thị", lead_unit_code=PLEIKU, deadline=None, working_days=3),
            ]
        ),
        now=NOW,
    )
    after = row_counts(session)
    assert after["Document"] == before["Document"] + 1
    assert after["Task"] == before["Task"] + 2
    assert after["TaskEvent"] == before["TaskEvent"] + 2
    assert after["TaskCoordinator"] == before["TaskCoordinator"] + 2

    stored_doc = session.get(Document, doc.id)
    assert stored_doc is not None
    assert (stored_doc.kind, stored_doc.code, stored_doc.code_key, stored_doc.issue_year) == (
        "assignment",
        "125/UBND-KT",
        "125/UBND-KT",
        2026,
    )
    assert stored_doc.reply_to_id is None and stored_doc.task_id is None

    first, second = task_ids(session, doc)
    t1, t2 = session.get(Task, first), session.get(Task, second)
    assert t1 is not None and t2 is not None
    assert (t1.seq, t1.lead_unit_id, t1.deadline, t1.tracker_id) == (
        1,
        unit_id(session, FINANCE),
        date(2026, 3, 20),
        tracker.user_id,
    )
    assert (t2.seq, t2.lead_unit_id, t2.deadline) == (2, unit_id(session, PLEIKU), date(2026, 3, 5))

    coordinators = session.exec(select(TaskCoordinator.unit_id).where(TaskCoordinator.task_id == first)).all()
    assert sorted(coordinators) == sorted([unit_id(session, HEALTH), unit_id(session, HOME_AFFAIRS)])
    assert session.exec(select(TaskCoordinator).where(TaskCoordinator.task_id == second)).all() == []

    office = unit_id(session, OFFICE)
    for tid, lead in ((first, FINANCE), (second, PLEIKU)):
        events = session.exec(select(TaskEvent).where(TaskEvent.task_id == tid)).all()
        assert len(events) == 1
        [event] = events
        assert event.action is EventAction.ASSIGNED
        assert (event.from_unit_id, event.to_unit_id) == (office, unit_id(session, lead))
        assert (event.actor_id, event.actor_role, event.actor_unit_id) == (tracker.user_id, Role.TRACKER, office)
        assert event.at.replace(tzinfo=None) == NOW.replace(tzinfo=None)
    [note1] = session.exec(select(TaskEvent.note).where(TaskEvent.task_id == first)).all()
    [note2] = session.exec(select(TaskEvent.note).where(TaskEvent.task_id == second)).all()
    assert note1 == "Văn bản 125/UBND-KT; hạn xử lý 20/03/2026; phối hợp: Sở Y tế, Sở Nội vụ"
    assert note2 == "Văn bản 125/UBND-KT; hạn xử lý 05/03/2026"
