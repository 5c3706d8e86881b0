"""Nhập dữ liệu (services/imports): tasks with their history, units, accounts.

A good file imports and the statistics of its period are right; one bad row creates nothing and
every error is listed with its sheet, row and column; CSV with a BOM and ``;``; malformed files.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    AdminChange,
    AdminEntity,
    Document,
    EventAction,
    Notification,
    NotificationKind,
    OrgUnit,
    Role,
    Task,
    TaskClass,
    TaskEvent,
    TaskStatus,
    User,
)
from services.access.permissions import Actor
from services.imports import schemas as s
from services.imports.common import ImportRefused
from services.imports.tasks import check_tasks, import_tasks
from services.imports.templates import csv_bytes, task_template, workbook_bytes
from services.infra.bulk import bulk_of, bulk_write, memo
from services.infra.data_version import bump_data_version, current_data_version
from services.infra.errors import PermissionDenied
from services.runtime import Runtime
from services.stats.statistics import make_period, unit_statistics
from tests.conftest import FINANCE, PLEIKU
from tests.services.support import row_counts

TODAY = date(2026, 11, 26)
ISSUER = "UBND tỉnh"
DOC_TYPE = "Công văn"


def row(
    code: str,
    issued: str,
    content: str,
    lead: str,
    deadline: str,
    *,
    reply: tuple[str, str, str] = ("", "", ""),
    verdict: tuple[str, str, str, str] = ("", "", "", ""),
    coordinators: str = "",
) -> list[str]:
    return [
        code,
        issued,
        ISSUER,
        DOC_TYPE,
        f"V/v thực hiện {code}",
        "Nguyễn Văn A",
        content,
        lead,
        coordinators,
        deadline,
        *reply,
        *verdict,
    ]


def backlog() -> list[list[str]]:
    """Six tasks of five documents in March 2026, each in a different state on 31/03/2026."""
    return [
        row(
            "10/UBND-KT",
            "10/03/2026",
            "Báo cáo giải ngân",
            FINANCE,
            "20/03/2026",
            reply=("1/STC", "18/03/2026", "Đã báo cáo."),
            verdict=("19/03/2026", "Hoàn thành", "", ""),
        ),
        row(
            "10/UBND-KT",
            "10/03/2026",
            "Rà soát thủ tục",
            FINANCE,
            "15/03/2026",
            reply=("2/STC", "17/03/2026", "Đã rà soát."),
            verdict=("18/03/2026", "hoàn thành", "", ""),
        ),
        row(
            "11/UBND-KT",
            "12/03/2026",
            "<b>Kiểm tra</b> **chợ** =1+1",
            FINANCE,
            "25/03/2026",
            reply=("3/STC", "24/03/2026", "=cmd|' /C calc'!A0"),
        ),
        row(
            "12/UBND-KT",
            "05/03/2026",
            "Đề xuất kinh phí",
            FINANCE,
            "12/03/2026",
            reply=("4/STC", "11/03/2026", "Chưa đủ số liệu."),
            verdict=("13/03/2026", "Chưa hoàn thành", "Thiếu số liệu từng xã.", "28/03/2026"),
        ),
        row("13/UBND-KT", "15/03/2026", "Phòng chống hạn", PLEIKU, "10/04/2026", coordinators=FINANCE),
        row("14/UBND-KT", "01/03/2026", "Sửa chữa trường học", PLEIKU, "05/03/2026"),
    ]


def xlsx(rows: list[list[str]]) -> bytes:
    return workbook_bytes(s.TASK_SHEET, s.TASK_COLUMNS, rows)


def run_import(runtime: Runtime, admin: Actor, data: bytes, name: str = "nhiem-vu.xlsx") -> object:
    return import_tasks(
        engine=runtime.engine,
        actor=admin,
        config=runtime.config,
        data=data,
        file_name=name,
        tracker_username="vp.theodoi",
        today=TODAY,
    )


def test_backlog_imports_and_march_figures_are_right(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    ticks: list[tuple[int, int]] = []
    result = import_tasks(
        engine=runtime.engine,
        actor=actors["admin"],
        config=runtime.config,
        data=xlsx(backlog()),
        file_name="nhiem-vu.xlsx",
        tracker_username="vp.theodoi",
        today=TODAY,
        progress=lambda done, total: ticks.append((done, total)),
    )
    assert result.rows == 6
    assert result.summary["documents"] == 5
    assert ticks[0] == (0, 6) and ticks[-1] == (6, 6)

    period = make_period(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), today=TODAY)
    report = unit_statistics(session=session, period=period)
    by_unit = {r.unit_name: r for r in report.rows}
    finance = next(r for r in report.rows if r.unit_id == unit(session, FINANCE))
    pleiku = next(r for r in report.rows if r.unit_id == unit(session, PLEIKU))
    assert len(by_unit) == 2
    assert finance.documents == 3
    assert finance.counts == {
        TaskClass.DONE_ON_TIME: 1,
        TaskClass.DONE_LATE: 1,
        TaskClass.OPEN_ON_TIME: 1,  # replied on 24/03, before its deadline, awaiting the verdict
        TaskClass.OPEN_OVERDUE: 1,  # not done on 13/03, extended to 28/03, nothing since
    }
    assert finance.awaiting_confirmation == 1
    assert pleiku.documents == 2
    assert pleiku.counts == {
        TaskClass.DONE_ON_TIME: 0,
        TaskClass.DONE_LATE: 0,
        TaskClass.OPEN_ON_TIME: 1,
        TaskClass.OPEN_OVERDUE: 1,
    }

    statuses = sorted(t.status for t in session.exec(select(Task)).all())
    assert statuses.count(TaskStatus.DONE) == 2 and statuses.count(TaskStatus.REPLIED) == 1
    hostile = session.exec(select(Task).where(Task.content.startswith("<b>"))).one()  # type: ignore[attr-defined]
    assert hostile.content == "<b>Kiểm tra</b> **chợ** =1+1"  # stored as typed
    formula = session.exec(select(Document).where(Document.code == "3/STC")).one()
    assert formula.result == "=cmd|' /C calc'!A0"  # a text cell of the workbook, never a formula
    journal = session.exec(select(AdminChange).where(AdminChange.entity == AdminEntity.IMPORT)).one()
    assert journal.entity_key == "nhiem-vu.xlsx" and journal.action == "import_tasks"
    assert journal.after is not None and journal.after["rows"] == 6 and journal.actor_user_id == actors["admin"].user_id


def unit(session: Session, code: str) -> int:
    found = session.exec(select(OrgUnit).where(OrgUnit.code == code)).one()
    assert found.id is not None
    return found.id


def test_one_bad_row_creates_nothing_and_every_error_is_listed(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    rows = backlog()
    rows[1][9] = "31/02/2026"  # row 3: a date that does not exist
    rows[3][7] = "999.99.99.H99"  # row 5: no such unit
    rows[4][9] = "01/03/2026"  # row 6: deadline before the document's date (15/03)
    rows[5][1] = "1/3/26"  # row 7: not dd/mm/yyyy
    before = row_counts(session)
    with pytest.raises(ImportRefused) as refused:
        run_import(runtime, actors["admin"], xlsx(rows))
    found = {(p.sheet, p.row, p.column) for p in refused.value.problems}
    assert (s.TASK_SHEET, 3, s.T_DEADLINE) in found
    assert (s.TASK_SHEET, 5, s.T_LEAD) in found
    assert (s.TASK_SHEET, 6, s.T_DEADLINE) in found
    assert (s.TASK_SHEET, 7, s.T_DATE) in found
    messages = {p.row: p.message for p in refused.value.problems}
    assert "31/02/2026 không có thật" in messages[3] and "chỉ có 28 ngày" in messages[3]
    session.expire_all()
    assert row_counts(session) == before
    assert session.exec(select(func.count()).select_from(AdminChange)).one() == 0


def test_a_service_refusal_midway_rolls_back_what_was_already_created(
    runtime: Runtime, session: Session, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows pass the checks; a service refuses the last one: the first ones are not kept."""
    calls: list[int] = []
    from services.imports import tasks as importer

    original = importer.create_assignment_at

    def failing(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 4:
            raise PermissionDenied("Từ chối giả lập.")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "create_assignment_at", failing)
    before = row_counts(session)
    with pytest.raises(ImportRefused) as refused:
        run_import(runtime, actors["admin"], xlsx(backlog()))
    assert refused.value.problems[0].message == "Từ chối giả lập."
    session.expire_all()
    assert row_counts(session) == before


def test_duplicates_in_the_file_and_in_the_database(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    run_import(runtime, actors["admin"], xlsx(backlog()[4:5]))
    rows = backlog()
    rows[1][1] = "11/03/2026"  # same số/ký hiệu as row 2, another date
    rows[1][4] = "Khác"
    rows.append(row("13 / ubnd-kt", "20/03/2026", "Lần nữa", PLEIKU, "30/03/2026"))  # already saved
    checked = check_tasks(session=session, config=runtime.config, data=xlsx(rows), file_name="a.xlsx", today=TODAY)
    by_row = {p.row: p for p in checked.problems}
    assert "trùng với dòng 2" in by_row[3].message and by_row[3].column == s.T_CODE
    assert "đã có trong năm 2026" in by_row[8].message


def test_reply_and_verdict_rules(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    rows = [
        row("20/UBND", "10/03/2026", "A", FINANCE, "20/03/2026", reply=("1/STC", "09/03/2026", "x")),
        row("21/UBND", "10/03/2026", "B", FINANCE, "20/03/2026", reply=("1/STC", "", "")),
        row("22/UBND", "10/03/2026", "C", FINANCE, "20/03/2026", verdict=("19/03/2026", "Hoàn thành", "", "")),
        row(
            "23/UBND",
            "10/03/2026",
            "D",
            FINANCE,
            "20/03/2026",
            reply=("1/STC", "12/03/2026", "x"),
            verdict=("13/03/2026", "Chưa hoàn thành", "", ""),
        ),
        row("24/UBND", "10/03/2026", "E", PLEIKU, "20/03/2026", reply=("1/P", "12/03/2026", "x")),
        row("25/UBND", "10/03/2027", "F", FINANCE, "20/03/2027"),
    ]
    checked = check_tasks(session=session, config=runtime.config, data=xlsx(rows), file_name="a.xlsx", today=TODAY)
    found = {(p.row, p.column) for p in checked.problems}
    assert (2, s.T_REPLY_DATE) in found  # reply before the document
    assert (3, s.T_REPLY_DATE) in found and (3, s.T_RESULT) in found
    assert (4, s.T_CONFIRM_DATE) in found  # a verdict without a reply
    assert (5, s.T_REASON) in found and (5, s.T_NEW_DEADLINE) in found
    assert (6, s.T_LEAD) in found  # Pleiku has no clerk: its reply cannot go through its steps
    assert (7, s.T_DATE) in found  # after today


def test_csv_with_bom_and_semicolons_imports(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    data = csv_bytes(s.TASK_COLUMNS, backlog(), delimiter=";")
    assert data.startswith(b"\xef\xbb\xbf")
    result = run_import(runtime, actors["admin"], data, name="nhiem-vu.csv")
    assert result.rows == 6  # type: ignore[attr-defined]
    formula = session.exec(select(Task).where(Task.content.startswith("<b>"))).one()  # type: ignore[attr-defined]
    assert formula.content.endswith("=1+1")


def test_csv_without_bom_and_commas(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    data = csv_bytes(s.TASK_COLUMNS, backlog()[4:]).removeprefix(b"\xef\xbb\xbf")
    checked = check_tasks(session=session, config=runtime.config, data=data, file_name="x.csv", today=TODAY)
    assert checked.ok and checked.rows == 2


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "a.xlsx", "Tệp rỗng"),
        (b"not a zip at all", "a.xlsx", "không phải .xlsx"),
        ("Số/ký hiệu,Ngày ban hành\n".encode("utf-16"), "a.csv", "không phải mã UTF-8"),
        (b"col\n1\n", "a.txt", "Chỉ nhận tệp"),
        ("Số/ký hiệu,Ngày ban hành\n1,2\n".encode(), "a.csv", "thiếu cột"),
        (workbook_bytes("Trang khác", ["a"], [["1"]]), "a.xlsx", "thiếu cột"),
        (csv_bytes(s.TASK_COLUMNS, []), "a.csv", "không có dòng dữ liệu"),
    ],
    # named, not by their bytes: a workbook holds its creation time, and pytest-xdist's workers
    # must collect the same test ids
    ids=["empty", "not-a-zip", "utf-16", "txt", "csv-missing-column", "xlsx-missing-column", "no-rows"],
)
def test_unreadable_files_give_one_message(
    runtime: Runtime, session: Session, actors: dict[str, Actor], data: bytes, name: str, words: str
) -> None:
    checked = check_tasks(session=session, config=runtime.config, data=data, file_name=name, today=TODAY)
    assert len(checked.problems) == 1 and words in checked.problems[0].message
    before = row_counts(session)
    with pytest.raises(ImportRefused):
        run_import(runtime, actors["admin"], data, name)
    session.expire_all()
    assert row_counts(session) == before


def test_missing_sheet_in_a_workbook_of_several(runtime: Runtime, session: Session) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Một"  # type: ignore[union-attr]
    book.create_sheet("Hai")
    out = io.BytesIO()
    book.save(out)
    checked = check_tasks(session=session, config=runtime.config, data=out.getvalue(), file_name="a.xlsx", today=TODAY)
    assert "không có trang tính “Nhiệm vụ”" in checked.problems[0].message


def test_only_an_admin_imports(runtime: Runtime, actors: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied):
        run_import(runtime, actors["tracker"], xlsx(backlog()))


def test_the_tracker_must_be_a_vp_ubnd_tracker(runtime: Runtime, actors: dict[str, Actor]) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_tasks(
            engine=runtime.engine,
            actor=actors["admin"],
            config=runtime.config,
            data=xlsx(backlog()),
            file_name="a.xlsx",
            tracker_username="stc.vanthu",
            today=TODAY,
        )
    assert "không phải tài khoản chuyên viên theo dõi" in refused.value.problems[0].message


def test_the_templates_import_as_they_are(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    for kind, name in (("xlsx", "mau.xlsx"), ("csv", "mau.csv")):
        data = task_template(session, runtime.config, kind=kind)
        checked = check_tasks(session=session, config=runtime.config, data=data, file_name=name, today=TODAY)
        assert checked.ok, checked.problems
        assert checked.rows == 2


def test_users_table_untouched_by_task_import(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    users = session.exec(select(func.count()).select_from(User)).one()
    run_import(runtime, actors["admin"], xlsx(backlog()))
    session.expire_all()
    assert session.exec(select(func.count()).select_from(User)).one() == users


# --- units and accounts ----------------------------------------------------------------------

UNIT_ROWS = [
    ["000.00.90.H21", "Sở Khoa học và Công nghệ", "Sở KH&CN", "Sở, ban, ngành", ""],
    ["000.01.90.H21", "Phòng Quản lý công nghệ", "P. QLCN", "Phòng, đơn vị trực thuộc", "000.00.90.H21"],
]


def test_units_import_with_a_parent_from_a_row_above(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    from services.imports.units import import_units

    data = workbook_bytes(s.UNIT_SHEET, s.UNIT_COLUMNS, UNIT_ROWS)
    result = import_units(engine=runtime.engine, actor=actors["admin"], data=data, file_name="don-vi.xlsx")
    assert result.rows == 2
    child = session.exec(select(OrgUnit).where(OrgUnit.code == "000.01.90.H21")).one()
    parent = session.exec(select(OrgUnit).where(OrgUnit.code == "000.00.90.H21")).one()
    assert child.parent_id == parent.id
    journal = session.exec(select(AdminChange).where(AdminChange.entity == AdminEntity.IMPORT)).one()
    assert journal.action == "import_units" and journal.after == {"rows": 2, "codes": [r[0] for r in UNIT_ROWS]}


def test_a_bad_unit_row_creates_no_unit(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    from services.imports.units import check_units, import_units

    rows = [
        *UNIT_ROWS,
        ["000.00.90.H21", "Trùng", "Trùng", "Sở, ban, ngành", ""],  # row 4: twice in the file
        ["000.00.05.H21", "Có rồi", "Có rồi", "Sở, ban, ngành", ""],  # row 5: already in the system
        ["abc", "Mã sai", "Sai", "Huyện", ""],  # row 6: bad code, bad kind
        ["000.02.90.H21", "Phòng mồ côi", "P. MC", "Phòng, đơn vị trực thuộc", "999.99"],  # row 7: no parent
        ["0" * 36, "Dài", "Dài", "Sở, ban, ngành", ""],  # row 8: too long
    ]
    data = csv_bytes(s.UNIT_COLUMNS, rows, delimiter=";")
    checked = check_units(session=session, data=data, file_name="don-vi.csv")
    found = {(p.row, p.column) for p in checked.problems}
    assert {(4, s.U_CODE), (5, s.U_CODE), (6, s.U_CODE), (6, s.U_KIND), (7, s.U_PARENT), (8, s.U_CODE)} <= found
    units = session.exec(select(func.count()).select_from(OrgUnit)).one()
    with pytest.raises(ImportRefused):
        import_units(engine=runtime.engine, actor=actors["admin"], data=data, file_name="don-vi.csv")
    session.expire_all()
    assert session.exec(select(func.count()).select_from(OrgUnit)).one() == units


def test_accounts_import_with_generated_passwords(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    from services.imports.users import PASSWORD_COLUMN, import_users

    rows = [
        ["stc.vanthu2", "Lê Thị Hoa", "Văn thư", FINANCE, "hoa@example.gov.vn"],
        ["pleiku.vanthu", "Rơ Châm H'Lan", "clerk", PLEIKU, ""],
    ]
    data = workbook_bytes(s.USER_SHEET, s.USER_COLUMNS, rows)
    result = import_users(
        engine=runtime.engine, actor=actors["admin"], config=runtime.config, data=data, file_name="tk.xlsx"
    )
    assert result.rows == 2 and list(result.extra[s.A_USERNAME]) == ["stc.vanthu2", "pleiku.vanthu"]
    assert all(len(p) >= 12 for p in result.extra[PASSWORD_COLUMN])
    created = session.exec(select(User).where(User.username == "pleiku.vanthu")).one()
    assert created.must_change_password and created.role == "clerk"


def test_a_bad_account_row_creates_no_account(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    from services.imports.users import import_users

    rows = [
        ["nguoi.moi", "Người Mới", "Chuyên viên", FINANCE, ""],
        ["stc.vanthu", "Đã có", "Văn thư", FINANCE, ""],  # row 3: exists
        ["Có Dấu", "Sai tên", "Văn thư", FINANCE, ""],  # row 4: not a username
        ["nguoi.moi", "Trùng", "Giám đốc", "999", "x@"],  # row 5: twice, bad role, unit, email
    ]
    data = workbook_bytes(s.USER_SHEET, s.USER_COLUMNS, rows)
    users = session.exec(select(func.count()).select_from(User)).one()
    with pytest.raises(ImportRefused) as refused:
        import_users(engine=runtime.engine, actor=actors["admin"], config=runtime.config, data=data, file_name="t.xlsx")
    found = {(p.row, p.column) for p in refused.value.problems}
    assert {
        (3, s.A_USERNAME),
        (4, s.A_USERNAME),
        (5, s.A_USERNAME),
        (5, s.A_ROLE),
        (5, s.A_UNIT),
        (5, s.A_EMAIL),
    } <= found
    session.expire_all()
    assert session.exec(select(func.count()).select_from(User)).one() == users


# --- the command ------------------------------------------------------------------------------


def test_the_command_imports_or_lists_every_error_on_stderr(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tmp_path: Path
) -> None:
    from manage import build_parser
    from services.imports.command import run

    args = build_parser().parse_args(["import", "tasks", "x.xlsx", "--tracker", "vp.theodoi"])
    assert (args.kind, args.tracker) == ("tasks", "vp.theodoi")
    bad_rows = backlog()
    bad_rows[0][9] = "31/02/2026"
    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(xlsx(bad_rows))
    out, err = io.StringIO(), io.StringIO()
    before = row_counts(session)
    assert run(runtime=runtime, kind="tasks", path=bad, out=out, err=err) == 1
    lines = err.getvalue().splitlines()
    assert lines[0] == "Tệp sai.xlsx có 1 lỗi; không có gì được tạo."
    assert lines[1].startswith("Nhiệm vụ, dòng 2, cột “Hạn xử lý”: Hạn xử lý 31/02/2026 không có thật")
    session.expire_all()
    assert row_counts(session) == before

    good = tmp_path / "tot.csv"
    good.write_bytes(csv_bytes(s.TASK_COLUMNS, backlog(), delimiter=";"))
    out, err = io.StringIO(), io.StringIO()
    assert run(runtime=runtime, kind="tasks", path=good, out=out, err=err) == 0, err.getvalue()
    assert "Đã nhập 6 dòng từ tệp tot.csv." in out.getvalue() and not err.getvalue()

    missing = tmp_path / "khong-co.xlsx"
    assert run(runtime=runtime, kind="units", path=missing, out=out, err=err) == 1
    assert "Không đọc được tệp" in err.getvalue()


def test_every_template_checks_clean_on_a_new_installation(runtime: Runtime, session: Session) -> None:
    """No account yet: the task example has no reply (no unit could have sent it) and still checks."""
    from services.imports.templates import unit_template, user_template
    from services.imports.units import check_units
    from services.imports.users import check_users

    for kind in ("xlsx", "csv"):
        tasks = check_tasks(
            session=session,
            config=runtime.config,
            data=task_template(session, runtime.config, kind=kind),
            file_name=f"mau.{kind}",
            today=TODAY,
        )
        assert tasks.ok, tasks.problems
        assert tasks.summary["open"] == 2
        units = check_units(session=session, data=unit_template(kind=kind), file_name=f"mau.{kind}")
        assert units.ok, units.problems
        users = check_users(
            session=session,
            config=runtime.config,
            data=user_template(session, runtime.config, kind=kind),
            file_name=f"mau.{kind}",
        )
        assert users.ok, users.problems


def test_the_backlog_notifies_only_what_is_left_to_do_and_moves_the_data_version_once(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """An import is one bulk write (services/infra/bulk.py): of its six tasks only those left open
    notify, as their latest journal entries would (the two open ones: "new task" to Pleiku's văn
    thư and leaders; the one sent back by "Chưa hoàn thành": the verdict and the new deadline to
    Sở Tài chính's); the steps, replies and verdicts of the past notify nobody; and the data
    version moves once, not once per action."""
    before = current_data_version(session=session)
    run_import(runtime, actors["admin"], xlsx(backlog()))
    session.expire_all()
    assert current_data_version(session=session) == before + 1

    def heads(code: str) -> set[int]:
        query = select(User.id).where(
            User.unit_id == unit(session, code), col(User.role).in_([Role.CLERK, Role.LEADER]), col(User.active)
        )
        return {i for i in session.exec(query).all() if i is not None}

    found: dict[tuple[str, NotificationKind, EventAction], set[int]] = {}
    rows = session.exec(
        select(Task.content, Notification.kind, TaskEvent.action, Notification.user_id)
        .join(Task, col(Task.id) == col(Notification.task_id))
        .join(TaskEvent, col(TaskEvent.id) == col(Notification.event_id))
    ).all()
    for content, kind, action, user_id in rows:
        found.setdefault((content, kind, action), set()).add(user_id)
    assert found == {
        ("Phòng chống hạn", NotificationKind.NEW_TASK, EventAction.ASSIGNED): heads(PLEIKU),
        ("Sửa chữa trường học", NotificationKind.NEW_TASK, EventAction.ASSIGNED): heads(PLEIKU),
        ("Đề xuất kinh phí", NotificationKind.VERDICT, EventAction.CONFIRMED_NOT_DONE): heads(FINANCE),
        ("Đề xuất kinh phí", NotificationKind.EXTENSION, EventAction.EXTENDED): heads(FINANCE),
    }
    assert heads(PLEIKU) and heads(FINANCE)
    steps = session.exec(select(func.count()).select_from(TaskEvent).where(TaskEvent.action == EventAction.STEP)).one()
    assert steps == 4 * 4  # the four replied tasks each walked their four steps before the reply, journaled


def test_a_bulk_write_keeps_its_reads_and_bumps_once_only_inside_it(runtime: Runtime, session: Session) -> None:
    """Outside a bulk write every bump moves the version and nothing is kept (the pages, the API)."""
    loads: list[int] = []
    first = current_data_version(session=session)
    with bulk_write(session):
        bump_data_version(session=session)
        bump_data_version(session=session)
        assert memo(session, "k", lambda: loads.append(1) or len(loads)) == 1
        assert memo(session, "k", lambda: loads.append(1) or len(loads)) == 1
    assert current_data_version(session=session) == first + 1
    bump_data_version(session=session)
    bump_data_version(session=session)
    assert current_data_version(session=session) == first + 3
    assert memo(session, "k", lambda: loads.append(1) or len(loads)) == 2
    assert bulk_of(session) is None
    session.rollback()
