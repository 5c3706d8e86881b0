"""Biểu thống kê as an Excel workbook (openpyxl): the official table on sheet 1, laid out to print
on A4 landscape (Times New Roman 13, the two-level header repeated on every page, fit to width),
the tasks behind the figures on sheet 2 (overdue first), the chart on sheet 3.

Every figure is a number cell of ``unit_statistics``' report, the rate a number in percent format,
so the sheet adds up as the screen does and can be summed again.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.drawing.image import Image  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Border, Font, Side  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from models import TaskClass
from services.config.loader import AppConfig
from services.reports.chart import chart_png
from services.reports.content import TASK_HEADER, ReportData, as_of_text, period_text, stats_lines, task_lines

FONT = "Times New Roman"
SIZE = 13
SHEET_TABLE = "Biểu thống kê"
SHEET_TASKS = "Danh sách nhiệm vụ"
SHEET_CHART = "Biểu đồ"
TABLE_FIRST_ROW = 7  # the first unit line (rows 1–4: title, 5–6: the two-level header)
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WIDTHS = [6, 34, 11, 11, 12, 12, 12, 12, 14, 11]


def _font(*, bold: bool = False, italic: bool = False) -> Font:
    return Font(name=FONT, size=SIZE, bold=bold, italic=italic)


def _put(ws: Any, row: int, column: int, value: object) -> Any:
    """A cell; text is always stored as text: a unit's or a task's text starting with "=", "+",
    "-" or "@" is shown as typed, never run as a formula (openpyxl would store "=…" as one)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _table_sheet(book: Workbook, data: ReportData, config: AppConfig) -> None:
    ws = book.active
    ws.title = SHEET_TABLE
    last = get_column_letter(len(_WIDTHS))
    titles = [
        (f"UBND TỈNH {data.province.upper()} — {data.office.upper()}", True, False),
        ("BIỂU THỐNG KÊ TÌNH HÌNH THỰC HIỆN NHIỆM VỤ DO UBND TỈNH, CHỦ TỊCH UBND TỈNH GIAO", True, False),
        (f"Kỳ báo cáo: {period_text(data, config)}", False, False),
        (as_of_text(data), False, True),
    ]
    for row, (text, bold, italic) in enumerate(titles, 1):
        ws.merge_cells(f"A{row}:{last}{row}")
        cell = _put(ws, row, 1, text)
        cell.font = _font(bold=bold, italic=italic)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    # The official two-level header: STT, Đơn vị, the totals and the rate span both rows.
    top, sub = TABLE_FIRST_ROW - 2, TABLE_FIRST_ROW - 1
    spanning = {
        1: "STT",
        2: "Đơn vị",
        3: "Tổng số văn bản",
        4: "Tổng số nhiệm vụ",
        9: "Tỷ lệ hoàn thành đúng hạn",
        10: "Số lần đôn đốc",
    }
    for column, text in spanning.items():
        ws.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
        ws.cell(row=top, column=column, value=text)
    ws.merge_cells(start_row=top, start_column=5, end_row=top, end_column=6)
    ws.cell(row=top, column=5, value="Đã hoàn thành")
    ws.merge_cells(start_row=top, start_column=7, end_row=top, end_column=8)
    ws.cell(row=top, column=7, value="Chưa hoàn thành")
    for column, text in zip(range(5, 9), ["Đúng hạn", "Quá hạn", "Trong hạn", "Quá hạn"], strict=True):
        ws.cell(row=sub, column=column, value=text)
    for row in (top, sub):
        for column in range(1, len(_WIDTHS) + 1):
            cell = ws.cell(row=row, column=column)
            cell.font = _font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = _BOX
    lines = stats_lines(data)
    for offset, line in enumerate(lines):
        row = TABLE_FIRST_ROW + offset
        is_total = offset == len(lines) - 1
        for column, value in enumerate(line, 1):
            if column == 9 and value is not None:  # the rate: a number shown in percent
                value = float(value) / 100
            cell = _put(ws, row, column, value if value is not None else "—")
            cell.font = _font(bold=is_total)
            cell.border = _BOX
            cell.alignment = Alignment(
                horizontal="left" if column == 2 else "center", vertical="center", wrap_text=column == 2
            )
            if column == 9 and value is not None:
                cell.number_format = "0.0%"
    for column, width in enumerate(_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.row_dimensions[top].height = 36
    ws.row_dimensions[sub].height = 22
    ws.freeze_panes = ws.cell(row=TABLE_FIRST_ROW, column=3)
    ws.print_title_rows = f"{top}:{sub}"
    _print_setup(ws)


def _print_setup(ws: Any) -> None:
    """A4 landscape, every column on the page's width, as many pages down as needed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True


def _tasks_sheet(book: Workbook, data: ReportData, config: AppConfig) -> None:
    ws = book.create_sheet(SHEET_TASKS)
    # open overdue first, then the rest in the lists' urgency order (the order is kept inside each)
    tasks = sorted(data.tasks, key=lambda r: r.state.task_class is not TaskClass.OPEN_OVERDUE)
    lines: list[Sequence[object]] = [TASK_HEADER, *task_lines(tasks, config)]
    for row, line in enumerate(lines, 1):
        for column, value in enumerate(line, 1):
            _put(ws, row, column, value)
    for cell in ws[1]:
        cell.font = _font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.font = _font()
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for column, width in enumerate([8, 20, 13, 60, 24, 13, 26, 14, 24], 1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _print_setup(ws)


def _chart_sheet(book: Workbook, data: ReportData, config: AppConfig) -> None:
    ws = book.create_sheet(SHEET_CHART)
    png = chart_png(data.report, config, title=f"Kỳ báo cáo: {period_text(data, config)}")
    if png is None:
        ws["A1"] = "Không có nhiệm vụ trong kỳ."
        ws["A1"].font = _font()
        return
    image = Image(io.BytesIO(png))
    image.width, image.height = image.width // 2, image.height // 2  # rendered at scale 2: sharp on paper
    ws.add_image(image, "A1")
    _print_setup(ws)


def statistics_xlsx(data: ReportData, config: AppConfig) -> bytes:
    """The workbook's bytes: biểu thống kê, danh sách nhiệm vụ, biểu đồ."""
    book = Workbook()
    _table_sheet(book, data, config)
    _tasks_sheet(book, data, config)
    _chart_sheet(book, data, config)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
