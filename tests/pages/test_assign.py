"""Giao nhiệm vụ: the tracker fills the form; good input is saved, bad input is refused whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import Document, DocumentKind, Task, TaskCoordinator, TaskEvent
from services.tasks.workdays import add_working_days
from tests.conftest import FINANCE, HEALTH, PLEIKU
from tests.pages.conftest import World, by_label, values

WORLD_USERS = ["vp.theodoi"]
PAGE = "pages/assign.py"
SUBMIT = "Lưu và giao nhiệm vụ"


@dataclass
class TaskInput:
    content: str = "Báo cáo kết quả thực hiện"
    lead: str | None = FINANCE
    coordinators: list[str] = field(default_factory=list)
    deadline: date | None = None
    working_days: int | None = None


def _nth(widgets: list, label: str, n: int):  # type: ignore[no-untyped-def,type-arg]
    found = [w for w in widgets if w.label == label]
    assert len(found) > n, f"no widget #{n} labelled {label!r}"
    return found[n]


def fill_and_submit(
    at: AppTest,
    *,
    code: str,
    issue_date: date,
    tasks: list[TaskInput],
    issuer: str = "chu_tich_ubnd_tinh",
    doc_type: str = "quyet_dinh",
    signer: str = "Phó Chủ tịch Nguyễn Văn A",
    summary: str = "V/v triển khai kế hoạch năm",
) -> AppTest:
    if len(tasks) != 1:
        by_label(at.number_input, "Số nhiệm vụ trong văn bản").set_value(len(tasks)).run()
        assert not at.exception
    assert [s.value for s in at.subheader if s.value.startswith("Nhiệm vụ ")] == [
        f"Nhiệm vụ {n}" for n in range(1, len(tasks) + 1)
    ]
    by_label(at.text_input, "Số/ký hiệu").input(code)
    by_label(at.date_input, "Ngày ban hành").set_value(issue_date)
    by_label(at.selectbox, "Cơ quan ban hành").select(issuer)
    by_label(at.selectbox, "Loại văn bản").select(doc_type)
    by_label(at.text_input, "Người ký").input(signer)
    by_label(at.text_area, "Trích yếu").input(summary)
    for n, task in enumerate(tasks):
        _nth(at.text_area, "Nội dung nhiệm vụ", n).input(task.content)
        if task.lead is not None:
            _nth(at.selectbox, "Đơn vị chủ trì", n).select(task.lead)
        if task.coordinators:
            coordinators = _nth(at.multiselect, "Đơn vị phối hợp (không tính vào thống kê)", n)
            for code_ in task.coordinators:
                coordinators.select(code_)
        if task.deadline is not None:
            _nth(at.date_input, "Hạn xử lý (ngày cụ thể)", n).set_value(task.deadline)
        if task.working_days is not None:
            _nth(at.number_input, "hoặc số ngày làm việc kể từ ngày ban hành", n).set_value(task.working_days)
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception
    return at


def _document(world: World, code: str) -> Document | None:
    with world.session() as s:
        return s.exec(select(Document).where(Document.code == code)).first()


def _tasks_of(world: World, doc: Document) -> list[Task]:
    with world.session() as s:
        return list(s.exec(select(Task).where(Task.document_id == doc.id).order_by(Task.seq)).all())


def test_form_shows_one_task_by_default_with_today_as_issue_date(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE)
    assert not at.exception
    assert values(at.title) == ["Giao nhiệm vụ"]
    assert by_label(at.number_input, "Số nhiệm vụ trong văn bản").value == 1
    assert by_label(at.date_input, "Ngày ban hành").value == world.today
    assert by_label(at.selectbox, "Đơn vị chủ trì").value is None
    # the office itself is not a unit one can assign to; departments and districts are
    leads = by_label(at.selectbox, "Đơn vị chủ trì").options
    assert "Sở Tài chính (000.00.05.H21)" in leads
    assert "UBND TP Pleiku (000.00.31.H21)" in leads
    assert not any("VP UBND" in option for option in leads)


def test_assign_one_task_saves_document_task_and_journal(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE)
    issue = world.day(-1)
    fill_and_submit(
        at,
        code="200/QĐ-UBND",
        issue_date=issue,
        tasks=[
            TaskInput(
                content="Xây dựng phương án tiết kiệm chi thường xuyên",
                lead=FINANCE,
                coordinators=[HEALTH, PLEIKU],
                deadline=world.day(30),
            )
        ],
    )
    assert values(at.error) == []
    assert values(at.success) == ["Đã giao 1 nhiệm vụ theo văn bản 200/QĐ-UBND."]
    # the form starts again empty for the next document
    assert by_label(at.text_input, "Số/ký hiệu").value == ""
    assert by_label(at.selectbox, "Đơn vị chủ trì").value is None

    doc = _document(world, "200/QĐ-UBND")
    assert doc is not None
    assert (doc.kind, doc.issuer, doc.doc_type, doc.issue_date) == (
        DocumentKind.ASSIGNMENT,
        "chu_tich_ubnd_tinh",
        "quyet_dinh",
        issue,
    )
    assert (doc.summary, doc.signer) == ("V/v triển khai kế hoạch năm", "Phó Chủ tịch Nguyễn Văn A")
    (task,) = _tasks_of(world, doc)
    assert task.content == "Xây dựng phương án tiết kiệm chi thường xuyên"
    assert task.deadline == world.day(30)
    assert task.tracker_id == world.user_ids["vp.theodoi"]
    with world.session() as s:
        from models import OrgUnit

        lead = s.get(OrgUnit, task.lead_unit_id)
        assert lead is not None and lead.code == FINANCE
        coordinator_codes = {
            s.get(OrgUnit, c.unit_id).code  # type: ignore[union-attr]
            for c in s.exec(select(TaskCoordinator).where(TaskCoordinator.task_id == task.id)).all()
        }
        assert coordinator_codes == {HEALTH, PLEIKU}
        events = s.exec(select(TaskEvent).where(TaskEvent.task_id == task.id)).all()
    assert [e.action.value for e in events] == ["assigned"]


def test_assign_two_tasks_one_by_working_days(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE)
    issue = world.day(-2)
    fill_and_submit(
        at,
        code="201/UBND-KT",
        issue_date=issue,
        tasks=[
            TaskInput(content="Nhiệm vụ thứ nhất", lead=FINANCE, deadline=world.day(10)),
            TaskInput(content="Nhiệm vụ thứ hai", lead=PLEIKU, working_days=5),
        ],
    )
    assert values(at.error) == []
    assert values(at.success) == ["Đã giao 2 nhiệm vụ theo văn bản 201/UBND-KT."]
    doc = _document(world, "201/UBND-KT")
    assert doc is not None
    first, second = _tasks_of(world, doc)
    assert (first.seq, first.content, first.deadline) == (1, "Nhiệm vụ thứ nhất", world.day(10))
    assert (second.seq, second.content) == (2, "Nhiệm vụ thứ hai")
    cfg = world.runtime.config.app  # type: ignore[union-attr]
    expected = add_working_days(issue, 5, extra_days_off=cfg.extra_days_off, extra_working_days=cfg.extra_working_days)
    assert second.deadline == expected
    assert second.deadline.weekday() < 5 and (second.deadline - issue).days >= 5


def _assert_refused(world: World, at: AppTest, message: str, docs_before: int, tasks_before: int) -> None:
    assert values(at.error) == [message]
    assert values(at.success) == []
    assert world.count(Document) == docs_before
    assert world.count(Task) == tasks_before
    # what was typed is kept so the user can correct it
    assert by_label(at.text_input, "Số/ký hiệu").value != ""


def test_missing_lead_unit_is_refused_and_nothing_saved(world: World) -> None:
    docs, tasks = world.count(Document), world.count(Task)
    at = world.app_as("vp.theodoi", PAGE)
    fill_and_submit(at, code="300/UBND-KT", issue_date=world.today, tasks=[TaskInput(lead=None, deadline=world.day(5))])
    _assert_refused(world, at, "Nhiệm vụ 1: phải chọn đơn vị chủ trì.", docs, tasks)
    assert _document(world, "300/UBND-KT") is None


def test_second_task_without_lead_refuses_the_whole_document(world: World) -> None:
    docs, tasks = world.count(Document), world.count(Task)
    at = world.app_as("vp.theodoi", PAGE)
    fill_and_submit(
        at,
        code="301/UBND-KT",
        issue_date=world.today,
        tasks=[TaskInput(deadline=world.day(5)), TaskInput(lead=None, deadline=world.day(5))],
    )
    _assert_refused(world, at, "Nhiệm vụ 2: phải chọn đơn vị chủ trì.", docs, tasks)


def test_duplicate_document_number_is_refused(world: World) -> None:
    """'101/UBND-KT' (seed, today-10, UBND tỉnh) typed with other spacing and case."""
    docs, tasks = world.count(Document), world.count(Task)
    at = world.app_as("vp.theodoi", PAGE)
    issue = world.day(-10)
    fill_and_submit(
        at,
        code="101 / ubnd-kt",
        issue_date=issue,
        issuer="ubnd_tinh",
        tasks=[TaskInput(deadline=world.day(5))],
    )
    _assert_refused(
        world,
        at,
        f"Số/ký hiệu '101 / ubnd-kt' đã có trong năm {issue.year} của cơ quan ban hành này.",
        docs,
        tasks,
    )


def test_text_that_looks_like_markup_or_a_formula_is_saved_as_typed(world: World) -> None:
    """"Tỷ lệ a <b và c> d" was refused as HTML and "- Báo cáo …" as a formula: ordinary text now,
    saved as typed (shown escaped: tests/pages/test_hostile_text.py)."""
    at = world.app_as("vp.theodoi", PAGE)
    fill_and_submit(
        at,
        code="302/UBND-KT",
        issue_date=world.today,
        summary="Tỷ lệ a <b và c> d",
        tasks=[TaskInput(content="- Báo cáo kết quả thực hiện", deadline=world.day(5))],
    )
    assert values(at.error) == []
    assert values(at.success) == ["Đã giao 1 nhiệm vụ theo văn bản 302/UBND-KT."]
    doc = _document(world, "302/UBND-KT")
    assert doc is not None and doc.summary == "Tỷ lệ a <b và c> d"
    assert [t.content for t in _tasks_of(world, doc)] == ["- Báo cáo kết quả thực hiện"]


def test_deadline_missing_or_before_issue_date_is_refused(world: World) -> None:
    docs, tasks = world.count(Document), world.count(Task)
    at = world.app_as("vp.theodoi", PAGE)
    fill_and_submit(at, code="304/UBND-KT", issue_date=world.today, tasks=[TaskInput()])
    _assert_refused(world, at, "Nhiệm vụ 1: nhập hạn xử lý bằng một ngày cụ thể hoặc số ngày làm việc.", docs, tasks)

    at = world.app_as("vp.theodoi", PAGE)
    fill_and_submit(at, code="305/UBND-KT", issue_date=world.day(-1), tasks=[TaskInput(deadline=world.day(-3))])
    _assert_refused(
        world,
        at,
        f"Nhiệm vụ 1: hạn xử lý {world.day(-3):%d/%m/%Y} trước ngày ban hành {world.day(-1):%d/%m/%Y}.",
        docs,
        tasks,
    )


def test_a_code_starting_with_a_formula_sign_is_saved_and_shown_literally(world: World) -> None:
    """A leading = + - @ is not refused any more (an export cell is made safe instead:
    services.infra.text.spreadsheet_safe)."""
    at = world.app_as("vp.theodoi", PAGE)
    fill_and_submit(at, code="=1+1", issue_date=world.today, tasks=[TaskInput(deadline=world.day(5))])
    assert values(at.error) == []
    assert values(at.success) == ["Đã giao 1 nhiệm vụ theo văn bản =1+1."]
    assert _document(world, "=1+1") is not None
