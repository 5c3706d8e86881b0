"""Giao nhiệm vụ: the tracker fills the form; good input is saved, bad input is refused whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

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


ADD = "Thêm nhiệm vụ"
CODE, ISSUE_DATE, SIGNER, SUMMARY = "Số/ký hiệu *", "Ngày ban hành *", "Người ký *", "Trích yếu *"
ISSUER, DOC_TYPE = "Cơ quan ban hành *", "Loại văn bản *"
CONTENT, LEAD, DEADLINE = "Nội dung nhiệm vụ *", "Đơn vị chủ trì *", "Hạn xử lý (ngày cụ thể)"
COORDINATORS = "Đơn vị phối hợp (không tính vào thống kê)"
WORKING_DAYS = "hoặc số ngày làm việc kể từ ngày ban hành"


def dmy(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def fill(
    at: AppTest,
    *,
    code: str,
    issue_date: date | str,
    tasks: list[TaskInput],
    issuer: str = "chu_tich_ubnd_tinh",
    doc_type: str = "quyet_dinh",
    signer: str = "Phó Chủ tịch Nguyễn Văn A",
    summary: str = "V/v triển khai kế hoạch năm",
) -> AppTest:
    """Type the document and its tasks as a person would (a date as ngày/tháng/năm text); tasks
    beyond the first are added with the form's own button."""
    for _ in range(len(tasks) - 1):
        by_label(at.button, ADD).click().run()
        assert not at.exception
    assert [s.value for s in at.subheader if s.value.startswith("Nhiệm vụ ")] == [
        f"Nhiệm vụ {n}" for n in range(1, len(tasks) + 1)
    ]
    by_label(at.text_input, CODE).input(code)
    by_label(at.text_input, ISSUE_DATE).input(issue_date if isinstance(issue_date, str) else dmy(issue_date))
    by_label(at.selectbox, ISSUER).select(issuer)
    by_label(at.selectbox, DOC_TYPE).select(doc_type)
    by_label(at.text_input, SIGNER).input(signer)
    by_label(at.text_area, SUMMARY).input(summary)
    for n, task in enumerate(tasks):
        _nth(at.text_area, CONTENT, n).input(task.content)
        if task.lead is not None:
            _nth(at.selectbox, LEAD, n).select(task.lead)
        if task.coordinators:
            coordinators = _nth(at.multiselect, COORDINATORS, n)
            for code_ in task.coordinators:
                coordinators.select(code_)
        if task.deadline is not None:
            _nth(at.text_input, DEADLINE, n).input(dmy(task.deadline))
        if task.working_days is not None:
            _nth(at.number_input, WORKING_DAYS, n).set_value(task.working_days)
    return at


def save(at: AppTest) -> AppTest:
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception
    return at


def fill_and_submit(at: AppTest, **fields: Any) -> AppTest:
    """Fill and save; a deadline in working days is shown first, then saved on the second press."""
    fill(at, **fields)
    save(at)
    if any(t.working_days is not None for t in fields["tasks"]) and not values(at.error):
        assert values(at.info)[0].startswith("Hạn xử lý tính theo ngày làm việc: Nhiệm vụ")
        save(at)
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
    assert [s.value for s in at.subheader if s.value.startswith("Nhiệm vụ ")] == ["Nhiệm vụ 1"]
    assert by_label(at.text_input, ISSUE_DATE).value == dmy(world.today)
    assert by_label(at.selectbox, LEAD).value is None
    assert "\\* bắt buộc" in values(at.caption)  # what the marks mean
    # the office itself is not a unit one can assign to; departments and districts are
    leads = by_label(at.selectbox, LEAD).options
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
    assert by_label(at.text_input, CODE).value == ""
    assert by_label(at.selectbox, LEAD).value is None
    assert by_label(at.text_input, ISSUE_DATE).value == dmy(world.today)

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


def _assert_refused(
    world: World, at: AppTest, message: str, docs_before: int, tasks_before: int, field: str | None = None
) -> None:
    """Refused: the message under its field, the summary by the button naming it, nothing saved."""
    errors = values(at.error)
    assert errors[0] == message
    if field is not None:
        assert errors[1:] == [f"Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “{field}”."]
    assert values(at.success) == []
    assert world.count(Document) == docs_before
    assert world.count(Task) == tasks_before
    # what was typed is kept so the user can correct it
    assert by_label(at.text_input, CODE).value != ""


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


# --- the form keeps what was typed, shows every error, never changes a date ------------------------


def _kept(at: AppTest, *, code: str, issue: str, tasks: list[tuple[str, str | None, str, int | None]]) -> None:
    """Every field still holds what was typed: the document, then each task's content, lead
    unit, date and working days."""
    assert by_label(at.text_input, CODE).value == code
    assert by_label(at.text_input, ISSUE_DATE).value == issue
    assert by_label(at.text_input, SIGNER).value == "Phó Chủ tịch Nguyễn Văn A"
    assert by_label(at.text_area, SUMMARY).value == "V/v triển khai kế hoạch năm"
    assert by_label(at.selectbox, ISSUER).value == "chu_tich_ubnd_tinh"
    assert by_label(at.selectbox, DOC_TYPE).value == "quyet_dinh"
    for n, (content, lead, deadline, days) in enumerate(tasks):
        assert _nth(at.text_area, CONTENT, n).value == content
        assert _nth(at.selectbox, LEAD, n).value == lead
        assert _nth(at.text_input, DEADLINE, n).value == deadline
        assert _nth(at.number_input, WORKING_DAYS, n).value == days


def test_every_error_at_once_under_its_field_and_everything_typed_stays(world: World) -> None:
    docs, tasks = world.count(Document), world.count(Task)
    at = world.app_as("vp.theodoi", PAGE)
    fill(
        at,
        code="",
        issue_date="31/02/2026",
        signer="",
        tasks=[TaskInput(content="", lead=None), TaskInput(content="Nhiệm vụ thứ hai", lead=FINANCE)],
    )
    _nth(at.text_input, DEADLINE, 1).input("15/13/2026")
    save(at)
    assert values(at.error) == [
        "Số/ký hiệu không được để trống.",
        "Ngày ban hành 31/02/2026 không có thật: tháng 02/2026 chỉ có 28 ngày.",
        "Người ký không được để trống.",
        "Nhiệm vụ 1 — nội dung không được để trống.",
        "Nhiệm vụ 1: phải chọn đơn vị chủ trì.",
        "Nhiệm vụ 1: nhập hạn xử lý bằng một ngày cụ thể hoặc số ngày làm việc.",
        "Nhiệm vụ 2: hạn xử lý 15/13/2026 không có thật: tháng phải từ 1 đến 12.",
        "Chưa lưu. Sửa 7 ô được đánh dấu đỏ ở trên: “Số/ký hiệu”, “Ngày ban hành”, “Người ký”, "
        "“Nhiệm vụ 1: nội dung”, “Nhiệm vụ 1: đơn vị chủ trì”, “Nhiệm vụ 1: hạn xử lý”, "
        "“Nhiệm vụ 2: hạn xử lý”.",
    ], values(at.error)
    assert world.count(Document) == docs and world.count(Task) == tasks
    assert by_label(at.text_input, ISSUE_DATE).value == "31/02/2026"
    assert _nth(at.text_area, CONTENT, 1).value == "Nhiệm vụ thứ hai"
    assert _nth(at.selectbox, LEAD, 1).value == FINANCE
    assert _nth(at.text_input, DEADLINE, 1).value == "15/13/2026"


def test_a_future_or_out_of_range_issue_date_is_refused_not_replaced(world: World) -> None:
    """The finding: 30/12/2026 typed as ngày ban hành stayed on screen and today was stored."""
    docs, tasks = world.count(Document), world.count(Task)
    latest = world.today.replace(year=world.today.year + 10)
    future = dmy(world.day(34))
    for typed, message in (
        (future, f"Ngày ban hành {future} sau ngày hôm nay."),
        ("01/01/1999", f"Ngày ban hành 01/01/1999 không hợp lệ: chỉ nhận ngày từ 01/01/2000 đến {dmy(latest)}."),
        ("31/02/2027", "Ngày ban hành 31/02/2027 không có thật: tháng 02/2027 chỉ có 28 ngày."),
    ):
        at = world.app_as("vp.theodoi", PAGE)
        fill_and_submit(at, code="310/UBND-KT", issue_date=typed, tasks=[TaskInput(deadline=world.day(40))])
        _assert_refused(world, at, message, docs, tasks, field="Ngày ban hành")
        assert by_label(at.text_input, ISSUE_DATE).value == typed  # as typed, never replaced
    assert _document(world, "310/UBND-KT") is None


def test_a_deadline_in_working_days_is_shown_before_it_is_saved(world: World) -> None:
    docs = world.count(Document)
    at = world.app_as("vp.theodoi", PAGE)
    issue = world.day(-2)
    cfg = world.runtime.config.app  # type: ignore[union-attr]
    due = add_working_days(issue, 5, extra_days_off=cfg.extra_days_off, extra_working_days=cfg.extra_working_days)
    fill(at, code="311/UBND-KT", issue_date=issue, tasks=[TaskInput(working_days=5)])
    save(at)
    # the first press shows the date and saves nothing
    assert values(at.error) == []
    assert values(at.info) == [
        f"Hạn xử lý tính theo ngày làm việc: Nhiệm vụ 1 → {dmy(due)}. "
        "Kiểm tra rồi bấm “Lưu và giao nhiệm vụ” lần nữa để giao."
    ]
    assert any(c.startswith(f"→ Hạn xử lý: **{dmy(due)}**") for c in values(at.caption)), values(at.caption)
    assert world.count(Document) == docs
    # the date seen, the second press saves it
    save(at)
    assert values(at.success) == ["Đã giao 1 nhiệm vụ theo văn bản 311/UBND-KT."]
    doc = _document(world, "311/UBND-KT")
    assert doc is not None
    (task,) = _tasks_of(world, doc)
    assert task.deadline == due


def test_the_date_is_shown_again_when_the_working_days_change(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE)
    fill(at, code="312/UBND-KT", issue_date=world.day(-2), tasks=[TaskInput(working_days=5)])
    by_label(at.button, "Xem hạn xử lý tính theo ngày làm việc").click().run()
    assert values(at.info) == []  # seen: nothing to ask
    _nth(at.number_input, WORKING_DAYS, 0).set_value(10)
    save(at)  # 10 days give another date, not seen yet
    assert values(at.info)[0].startswith("Hạn xử lý tính theo ngày làm việc: Nhiệm vụ 1 →")
    assert _document(world, "312/UBND-KT") is None


def test_a_refused_document_keeps_every_field_and_each_task(world: World) -> None:
    """'101/UBND-KT' exists (seed): refused, and every value of both tasks is still there."""
    at = world.app_as("vp.theodoi", PAGE)
    issue = world.day(-10)
    fill_and_submit(
        at,
        code="101/UBND-KT",
        issue_date=issue,
        issuer="ubnd_tinh",
        tasks=[
            TaskInput(content="Thứ nhất", lead=FINANCE, coordinators=[HEALTH], deadline=world.day(9)),
            TaskInput(content="Thứ hai", lead=PLEIKU, working_days=7),
        ],
    )
    assert values(at.error)[0] == f"Số/ký hiệu '101/UBND-KT' đã có trong năm {issue.year} của cơ quan ban hành này."
    assert by_label(at.text_input, CODE).value == "101/UBND-KT"
    assert by_label(at.selectbox, ISSUER).value == "ubnd_tinh"
    assert _nth(at.multiselect, COORDINATORS, 0).value == [HEALTH]
    for n, (content, lead, deadline, days) in enumerate(
        [("Thứ nhất", FINANCE, dmy(world.day(9)), None), ("Thứ hai", PLEIKU, "", 7)]
    ):
        assert _nth(at.text_area, CONTENT, n).value == content
        assert _nth(at.selectbox, LEAD, n).value == lead
        assert _nth(at.text_input, DEADLINE, n).value == deadline
        assert _nth(at.number_input, WORKING_DAYS, n).value == days
    assert by_label(at.text_input, ISSUE_DATE).value == dmy(issue)


def test_adding_and_removing_a_task_keeps_what_was_typed(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE)
    fill(at, code="313/UBND-KT", issue_date=world.today, tasks=[TaskInput(content="Giữ nguyên", deadline=world.day(3))])
    by_label(at.button, ADD).click().run()
    _nth(at.text_area, CONTENT, 1).input("Sẽ bỏ")
    by_label(at.button, ADD).click().run()
    shown = [s.value for s in at.subheader if s.value.startswith("Nhiệm vụ ")]
    assert shown == ["Nhiệm vụ 1", "Nhiệm vụ 2", "Nhiệm vụ 3"]
    by_label(at.button, "Bớt nhiệm vụ cuối").click().run()
    assert [s.value for s in at.subheader if s.value.startswith("Nhiệm vụ ")] == ["Nhiệm vụ 1", "Nhiệm vụ 2"]
    assert by_label(at.text_input, CODE).value == "313/UBND-KT"
    assert _nth(at.text_area, CONTENT, 0).value == "Giữ nguyên"
    assert _nth(at.text_input, DEADLINE, 0).value == dmy(world.day(3))
    assert _nth(at.text_area, CONTENT, 1).value == "Sẽ bỏ"
    assert values(at.error) == [] and values(at.success) == []  # nothing was sent to be saved
