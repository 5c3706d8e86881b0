"""Every refused field of one input is reported at once (``InvalidInput.errors``), so a form can show
them all in one round; a typed date is read exactly as typed (``parse_day``). Both backends: a
refusal leaves the database unchanged."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from models import ConfirmOutcome
from models.schemas import AssignmentCreate, ConfirmationCreate, TaskCreate
from services.access.permissions import Actor
from services.infra.errors import FieldError, InvalidInput
from services.infra.validation import FieldErrors, invalid_input, parse_day
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from services.workflow.engine import main_flow
from tests.actions import confirm_task, fire
from tests.conftest import FINANCE, at
from tests.services.support import assign, reply, row_counts, task

DAY = date(2026, 3, 12)


def _fields(refused: InvalidInput) -> list[str]:
    return [e.field for e in refused.errors]


def test_an_assignment_reports_every_refused_field(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    before = row_counts(session)
    data = AssignmentCreate(
        code="  ",
        issue_date=date(2026, 3, 20),  # after "today"
        issuer="ubnd_tinh",
        doc_type="khong_co",
        summary="",
        signer="Phó Chủ tịch",
        tasks=[
            TaskCreate(content="", lead_unit_code=""),  # no content, no lead, no deadline
            TaskCreate(content="Rà soát", lead_unit_code=FINANCE, deadline=date(2026, 3, 1)),  # compared: no
            TaskCreate(content="Báo cáo", lead_unit_code=FINANCE, working_days=400),
        ],
    )
    with pytest.raises(InvalidInput) as caught:
        create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=data, now=at(DAY))
    refused = caught.value
    assert _fields(refused) == [
        "code",
        "doc_type",
        "issue_date",
        "summary",
        "tasks.1.content",
        "tasks.1.lead",
        "tasks.1.deadline",
        "tasks.3.deadline",
    ]
    assert [e.message for e in refused.errors] == [
        "Số/ký hiệu không được để trống.",
        "Loại văn bản không hợp lệ.",
        "Ngày ban hành 20/03/2026 sau ngày hôm nay.",
        "Trích yếu không được để trống.",
        "Nhiệm vụ 1 — nội dung không được để trống.",
        "Nhiệm vụ 1: phải chọn đơn vị chủ trì.",
        "Nhiệm vụ 1: nhập hạn xử lý bằng một ngày cụ thể hoặc số ngày làm việc.",
        "Nhiệm vụ 3: số ngày làm việc phải từ 1 đến 365.",
    ]
    # one message for the API, the first field named
    assert refused.field == "code"
    assert refused.message == " ".join(e.message for e in refused.errors)
    session.rollback()
    assert row_counts(session) == before


def test_a_deadline_is_judged_against_an_accepted_document_date_only(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    data = AssignmentCreate(
        code="31/UBND-TH",
        issue_date=date(2026, 3, 10),
        issuer="ubnd_tinh",
        doc_type="cong_van",
        summary="V/v kiểm tra",
        signer="",
        tasks=[TaskCreate(content="Rà soát", lead_unit_code=FINANCE, deadline=date(2026, 3, 1))],
    )
    with pytest.raises(InvalidInput) as caught:
        create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=data, now=at(DAY))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("signer", "Người ký không được để trống."),
        ("tasks.1.deadline", "Nhiệm vụ 1: hạn xử lý 01/03/2026 trước ngày ban hành 10/03/2026."),
    ]


def test_a_verdict_reports_the_reason_and_the_new_deadline_together(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    _, (fin,) = assign(
        runtime, session, actors["tracker"], code="32/UBND-TH", issued=date(2026, 3, 2),
        tasks=[task("Rà soát dự toán", FINANCE, date(2026, 3, 10))],
    )  # fmt: skip
    reply(runtime, session, fin, code="40/STC-VP", on=date(2026, 3, 9))
    before = row_counts(session)
    data = ConfirmationCreate(outcome=ConfirmOutcome.NOT_DONE, reason=" ", new_deadline=date(2026, 3, 11))
    with pytest.raises(InvalidInput) as caught:
        confirm_task(
            session=session, actor=actors["tracker"], config=runtime.config, task_id=fin, data=data, now=at(DAY)
        )
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("reason", "Lý do không được để trống."),
        (
            "new_deadline",
            "Gia hạn đến ngày 11/03/2026 đã qua: chỉ nhận ngày từ hôm nay (12/03/2026) đến 12/03/2036.",
        ),
    ]
    assert row_counts(session) == before


def test_a_step_reports_the_specialist_and_the_sub_units_together(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Trường hợp 1 at Sở Tài chính without a tracking specialist nor a sub-unit: both named."""
    _, (fin,) = assign(
        runtime, session, actors["tracker"], code="33/UBND-TH", issued=date(2026, 3, 2),
        tasks=[task("Rà soát dự toán", FINANCE, date(2026, 3, 20))],
    )  # fmt: skip
    flow = main_flow(session=session, task_id=fin)
    assert flow is not None and flow.id is not None
    clerk = actors["clerk"]
    fire(session=session, actor=clerk, config=runtime.config, flow_id=flow.id, transition="vao_so", now=at(DAY))
    before = row_counts(session)
    with pytest.raises(InvalidInput) as caught:
        fire(
            session=session,
            actor=actors["leader"],
            config=runtime.config,
            flow_id=flow.id,
            transition="but_phe",
            workflow="truong_hop_1",
            now=at(DAY),
        )
    assert _fields(caught.value) == ["assignee", "subunits"]
    assert row_counts(session) == before


def test_pydantic_errors_are_all_reported_in_vietnamese() -> None:
    with pytest.raises(ValidationError) as caught:
        ConfirmationCreate.model_validate({"outcome": "maybe", "new_deadline": "mai"})
    refused = invalid_input(caught.value.errors())
    assert _fields(refused) == ["outcome", "new_deadline"]
    assert refused.errors[1].message == "Dữ liệu không hợp lệ ở trường “new_deadline”: phải là ngày dạng YYYY-MM-DD."
    assert refused.field == "outcome"


def test_field_errors_collects_skips_and_raises_once() -> None:
    errors = FieldErrors()
    assert errors.take(lambda: parse_day("05/11/2026", label="Ngày", field="day"), None) == date(2026, 11, 5)
    assert errors.take(lambda: parse_day("31/11/2026", label="Ngày", field="tasks.2.deadline"), None) is None
    errors.add("Thiếu lý do.", field="reason")
    assert not errors.ok("tasks.2") and not errors.ok("reason") and errors.ok("day", "tasks.1")
    with pytest.raises(InvalidInput) as caught:
        errors.raise_any()
    assert caught.value.errors == (
        FieldError("tasks.2.deadline", "Ngày 31/11/2026 không có thật: tháng 11/2026 chỉ có 30 ngày."),
        FieldError("reason", "Thiếu lý do."),
    )
    FieldErrors().raise_any()  # nothing refused: nothing raised


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("05/11/2026", date(2026, 11, 5)),
        ("5/11/2026", date(2026, 11, 5)),
        (" 05-11-2026 ", date(2026, 11, 5)),
        ("05.11.2026", date(2026, 11, 5)),
        ("29/02/2028", date(2028, 2, 29)),
        ("", None),
        ("   ", None),
    ],
)
def test_a_typed_date_is_read_as_typed(typed: str, read: date | None) -> None:
    assert parse_day(typed, label="Ngày ban hành", field="issue_date") == read


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2027", "Ngày ban hành 31/02/2027 không có thật: tháng 02/2027 chỉ có 28 ngày."),
        ("29/02/2027", "Ngày ban hành 29/02/2027 không có thật: tháng 02/2027 chỉ có 28 ngày."),
        ("31/04/2027", "Ngày ban hành 31/04/2027 không có thật: tháng 04/2027 chỉ có 30 ngày."),
        ("00/05/2027", "Ngày ban hành 00/05/2027 không có thật: ngày phải từ 1 đến 31."),
        ("12/13/2027", "Ngày ban hành 12/13/2027 không có thật: tháng phải từ 1 đến 12."),
        ("01/01/0000", "Ngày ban hành 01/01/0000 không có thật: không có năm 0000."),
        ("05/11/26", "Ngày ban hành “05/11/26” không đọc được: nhập ngày/tháng/năm bằng số, ví dụ 05/11/2026."),
        ("2026-11-05", "Ngày ban hành “2026-11-05” không đọc được: nhập ngày/tháng/năm bằng số, ví dụ 05/11/2026."),
        ("hôm nay", "Ngày ban hành “hôm nay” không đọc được: nhập ngày/tháng/năm bằng số, ví dụ 05/11/2026."),
    ],
)
def test_an_impossible_or_unreadable_date_is_refused_never_corrected(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_day(typed, label="Ngày ban hành", field="issue_date")
    assert (caught.value.field, caught.value.message) == ("issue_date", message)
