"""The templates to download: one sheet (XLSX) or one table (CSV) with the headers and an example.

The example rows use codes and choices that exist in this installation (the first lead unit, the
first issuer, …), so a template filled in as shown imports. The XLSX has a second sheet
"Hướng dẫn" explaining each column; its date columns are text cells (dd/mm/yyyy as typed).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import OrgUnit, Role, UnitKind
from services.config.loader import AppConfig
from services.imports import schemas as s
from services.infra.text import spreadsheet_safe
from services.org.units import LEAD_KINDS

HELP_SHEET = "Hướng dẫn"


def workbook_bytes(
    sheet: str, columns: Sequence[str], rows: Sequence[Sequence[str]], notes: Sequence[tuple[str, str]] = ()
) -> bytes:
    """An .xlsx with ``sheet`` (headers bold, every cell text) and, if given, a help sheet."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([str(v) for v in row])
    # one pass over the cells once they are all in (``ws[ws.max_row]`` after each row scanned
    # every cell again: ten thousand rows took minutes)
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            cell.number_format = "@"  # text: a date stays as typed, a code keeps its leading zeros
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # stored as the text typed, never as a formula
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(1, index).column_letter].width = max(14, min(40, len(column) + 4))
    if notes:
        help_ws = book.create_sheet(HELP_SHEET)
        help_ws.append(["Cột", "Cách ghi"])
        for cell in help_ws[1]:
            cell.font = Font(bold=True)
        for name, text in notes:
            help_ws.append([name, text])
        help_ws.column_dimensions["A"].width = 28
        help_ws.column_dimensions["B"].width = 110
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[str]], *, delimiter: str = ",") -> bytes:
    """UTF-8 with a BOM (Excel then opens the Vietnamese letters right)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[str(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _first(session: Session, kinds: frozenset[UnitKind] | set[UnitKind]) -> OrgUnit | None:
    return session.exec(
        select(OrgUnit).where(col(OrgUnit.active), col(OrgUnit.kind).in_(kinds)).order_by(col(OrgUnit.sort_order))
    ).first()


# --- tasks -----------------------------------------------------------------------------------

TASK_NOTES: tuple[tuple[str, str], ...] = (
    (s.T_CODE, "Bắt buộc. Các dòng cùng số/ký hiệu (cùng cơ quan ban hành, cùng năm) là các nhiệm vụ của một văn bản."),
    (s.T_DATE, "Bắt buộc, ngày/tháng/năm (dd/mm/yyyy), không sau hôm nay."),
    (s.T_ISSUER, "Bắt buộc: tên hoặc mã cơ quan ban hành trong danh mục."),
    (s.T_TYPE, "Bắt buộc: tên hoặc mã loại văn bản trong danh mục."),
    (s.T_SUMMARY, "Bắt buộc."),
    (s.T_SIGNER, "Bắt buộc."),
    (s.T_CONTENT, "Bắt buộc, tối đa 4000 ký tự."),
    (s.T_LEAD, "Bắt buộc: mã định danh của sở, ban, ngành hoặc UBND cấp huyện (ví dụ 000.00.05.H21)."),
    (s.T_COORD, "Không bắt buộc: các mã định danh, cách nhau bằng dấu phẩy."),
    (s.T_DEADLINE, "Bắt buộc, dd/mm/yyyy, không trước ngày ban hành."),
    (s.T_REPLY_CODE, "Nhiệm vụ đã trả lời: số văn bản trả lời của đơn vị chủ trì (để trống nếu chưa trả lời)."),
    (s.T_REPLY_DATE, "Ngày văn bản trả lời, dd/mm/yyyy, không trước ngày ban hành."),
    (s.T_RESULT, "Kết quả thực hiện đơn vị báo cáo (bắt buộc khi có văn bản trả lời)."),
    (s.T_CONFIRM_DATE, "Ngày Văn phòng UBND tỉnh xác nhận, không trước ngày trả lời (để trống nếu chưa xác nhận)."),
    (s.T_OUTCOME, f"“{s.OUTCOME_DONE}” hoặc “{s.OUTCOME_NOT_DONE}”."),
    (s.T_REASON, f"Bắt buộc khi “{s.OUTCOME_NOT_DONE}”."),
    (s.T_NEW_DEADLINE, f"Hạn gia hạn khi “{s.OUTCOME_NOT_DONE}”, dd/mm/yyyy, không trước ngày xác nhận."),
)


def task_example(session: Session, config: AppConfig) -> list[list[str]]:
    """Two tasks of one document: one replied and confirmed done, one still open. The lead unit
    is the first that has the accounts a reply goes through; with none, both are open."""
    from services.imports.tasks import staffed_units

    staffed = staffed_units(session)
    leads = session.exec(
        select(OrgUnit).where(col(OrgUnit.active), col(OrgUnit.kind).in_(LEAD_KINDS)).order_by(col(OrgUnit.sort_order))
    ).all()
    lead = next((u for u in leads if u.code in staffed), leads[0] if leads else None)
    code = lead.code if lead is not None else "000.00.05.H21"
    issuer = next(iter(config.app.issuers.values()))
    doc_type = next(iter(config.app.document_types.values()))
    replied = ["45/BC-STC", "18/01/2026", "Đã báo cáo đầy đủ số liệu.", "20/01/2026", s.OUTCOME_DONE, "", ""]
    if lead is None or lead.code not in staffed:  # no unit can reply yet: the example stays importable
        replied = [""] * len(replied)
    common = ["125/UBND-KT", "05/01/2026", issuer, doc_type, "V/v triển khai kế hoạch năm 2026", "Nguyễn Văn A"]
    return [
        [*common, "Báo cáo tình hình giải ngân vốn đầu tư công", code, "", "20/01/2026", *replied],
        [*common, "Rà soát thủ tục hành chính", code, "", "30/01/2026", "", "", "", "", "", "", ""],
    ]


def task_template(session: Session, config: AppConfig, *, kind: str) -> bytes:
    rows = task_example(session, config)
    if kind == "csv":
        return csv_bytes(s.TASK_COLUMNS, [[spreadsheet_safe(v) for v in r] for r in rows])
    return workbook_bytes(s.TASK_SHEET, s.TASK_COLUMNS, rows, TASK_NOTES)


# --- units -----------------------------------------------------------------------------------

UNIT_KIND_LABELS = {
    UnitKind.DEPARTMENT: "Sở, ban, ngành",
    UnitKind.DISTRICT: "UBND cấp huyện",
    UnitKind.SUBUNIT: "Phòng, đơn vị trực thuộc",
}

UNIT_NOTES: tuple[tuple[str, str], ...] = (
    (s.U_CODE, "Bắt buộc, tối đa 35 ký tự: chữ số, chữ in hoa A–Z và dấu chấm (QĐ 20/2020/QĐ-TTg); không trùng."),
    (s.U_NAME, "Bắt buộc."),
    (s.U_SHORT, "Bắt buộc: tên hiển thị trong bảng thống kê."),
    (s.U_KIND, "; ".join(UNIT_KIND_LABELS.values())),
    (s.U_PARENT, "Chỉ với phòng, đơn vị trực thuộc: mã của sở hoặc UBND cấp huyện (có sẵn hoặc ở dòng trên)."),
)


def unit_example() -> list[list[str]]:
    return [
        ["000.00.90.H21", "Sở Khoa học và Công nghệ", "Sở KH&CN", UNIT_KIND_LABELS[UnitKind.DEPARTMENT], ""],
        ["000.01.90.H21", "Phòng Quản lý công nghệ", "P. QLCN", UNIT_KIND_LABELS[UnitKind.SUBUNIT], "000.00.90.H21"],
    ]


def unit_template(*, kind: str) -> bytes:
    rows = unit_example()
    if kind == "csv":
        return csv_bytes(s.UNIT_COLUMNS, rows)
    return workbook_bytes(s.UNIT_SHEET, s.UNIT_COLUMNS, rows, UNIT_NOTES)


# --- accounts --------------------------------------------------------------------------------


def user_notes(config: AppConfig) -> tuple[tuple[str, str], ...]:
    roles = "; ".join(config.role_label(r) for r in Role)
    return (
        (s.A_USERNAME, "Bắt buộc: 3–64 ký tự, chữ thường không dấu, chữ số và . _ - (ví dụ stc.vanthu); không trùng."),
        (s.A_NAME, "Bắt buộc."),
        (s.A_ROLE, f"Một trong: {roles}."),
        (s.A_UNIT, "Bắt buộc: mã định danh của đơn vị đang hoạt động."),
        (s.A_EMAIL, "Không bắt buộc."),
        ("Mật khẩu", "Hệ thống sinh mật khẩu đầu tiên cho mỗi tài khoản; người dùng phải đổi khi đăng nhập lần đầu."),
    )


def user_example(session: Session, config: AppConfig) -> list[list[str]]:
    lead = _first(session, LEAD_KINDS)
    code = lead.code if lead is not None else "000.00.05.H21"
    return [
        ["vanthu.mau", "Nguyễn Thị Mẫu", config.role_label(Role.CLERK), code, "vanthu.mau@example.gov.vn"],
        ["chuyenvien.mau", "Trần Văn Mẫu", config.role_label(Role.SPECIALIST), code, ""],
    ]


def user_template(session: Session, config: AppConfig, *, kind: str) -> bytes:
    rows = user_example(session, config)
    if kind == "csv":
        return csv_bytes(s.USER_COLUMNS, rows)
    return workbook_bytes(s.USER_SHEET, s.USER_COLUMNS, rows, user_notes(config))
