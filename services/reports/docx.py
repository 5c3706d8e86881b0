"""Báo cáo as a Word document (python-docx), laid out as Nghị định 30/2020/NĐ-CP sets out an
administrative document: the issuing body and the Quốc hiệu side by side, "Số: …", place and
date, the title, the content (the figures in sentences, the table, the chart, the overdue tasks by
unit), "Nơi nhận:" and the signature. Times New Roman; A4 with the decree's margins.

The number and the date are left to fill: the report is signed and registered by the Office's
clerk (văn thư), not by the software.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from docx import Document  # type: ignore[import-untyped]
from docx.enum.section import WD_ORIENT  # type: ignore[import-untyped]
from docx.enum.table import WD_TABLE_ALIGNMENT  # type: ignore[import-untyped]
from docx.enum.text import WD_ALIGN_PARAGRAPH  # type: ignore[import-untyped]
from docx.oxml import OxmlElement  # type: ignore[import-untyped]
from docx.oxml.ns import qn  # type: ignore[import-untyped]
from docx.shared import Cm, Mm, Pt  # type: ignore[import-untyped]

from models import TaskClass
from services.config.loader import AppConfig
from services.infra.clock import fmt_date
from services.reports.chart import chart_png
from services.reports.content import ReportData, as_of_text, overdue_by_unit, period_text, stats_lines

FONT = "Times New Roman"
SIZE = 14  # the body (13–14 by the decree)
TITLE = "BÁO CÁO"
SUBJECT = "Tình hình thực hiện nhiệm vụ do UBND tỉnh, Chủ tịch UBND tỉnh giao"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
_TABLE_HEADER_TOP = ["STT", "Đơn vị", "Tổng số văn bản", "Tổng số nhiệm vụ", "Đã hoàn thành", "", "Chưa hoàn thành", ""]
_TABLE_HEADER_SUB = ["", "", "", "", "Đúng hạn", "Quá hạn", "Trong hạn", "Quá hạn"]
_RATE, _REMINDERS = "Tỷ lệ đúng hạn (%)", "Số lần đôn đốc"


def _run(
    paragraph: Any,
    text: str,
    *,
    size: float = SIZE,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
) -> Any:
    run = paragraph.add_run(text)
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold, run.italic, run.underline = bold, italic, underline
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # Word keeps the font for every script
    return run


def _para(
    cell_or_doc: Any,
    text: str = "",
    *,
    align: int = WD_ALIGN_PARAGRAPH.JUSTIFY,
    size: float = SIZE,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    after: float = 6,
    indent: bool = False,
) -> Any:
    paragraph = cell_or_doc.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(0)
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
    if text:
        _run(paragraph, text, size=size, bold=bold, italic=italic, underline=underline)
    return paragraph


def _no_borders(table: Any) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _cell_paragraph(cell: Any) -> Any:
    """The cell's first (empty) paragraph, for its first line."""
    return cell.paragraphs[0]


def _header(doc: Any, data: ReportData, config: AppConfig) -> None:
    """The borderless top table: the issuing body left, the Quốc hiệu right; then the place and date."""
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(9.5)
    first = _cell_paragraph(left)
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(first, f"UBND TỈNH {data.province.upper()}", size=13)
    _para(left, "VĂN PHÒNG", align=WD_ALIGN_PARAGRAPH.CENTER, size=13, bold=True, underline=True, after=6)
    _para(left, f"Số:       {config.app.reports.number_suffix}", align=WD_ALIGN_PARAGRAPH.CENTER, size=13, after=0)
    nation = _cell_paragraph(right)
    nation.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(nation, NATION, size=12.5, bold=True)
    _para(right, MOTTO, align=WD_ALIGN_PARAGRAPH.CENTER, size=13.5, bold=True, underline=True, after=6)
    place = config.app.reports.place or data.province
    year = data.made_on.year if data.made_on else data.period.as_of.year
    _para(
        right,
        f"{place}, ngày      tháng      năm {year}",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        size=13,
        italic=True,
        after=0,
    )


def _figures(doc: Any, data: ReportData, config: AppConfig) -> None:
    """The figures in sentences, each the table's own."""
    total = data.report.total
    counts = total.counts
    rate = "—" if total.rate is None else f"{total.rate * 100:.1f}%".replace(".", ",")
    sentences = [
        f"{as_of_text(data)}, tổng số nhiệm vụ do UBND tỉnh, Chủ tịch UBND tỉnh giao các cơ quan, đơn vị "
        f"trong kỳ (gồm nhiệm vụ giao trong kỳ và nhiệm vụ kỳ trước chuyển sang còn đang thực hiện) là "
        f"{total.total} nhiệm vụ, thuộc {total.documents} văn bản.",
        f"Đã hoàn thành {total.done} nhiệm vụ, trong đó đúng hạn {counts[TaskClass.DONE_ON_TIME]} nhiệm vụ, "
        f"quá hạn {counts[TaskClass.DONE_LATE]} nhiệm vụ.",
        f"Chưa hoàn thành {total.open} nhiệm vụ, trong đó trong hạn {counts[TaskClass.OPEN_ON_TIME]} nhiệm vụ, "
        f"quá hạn {counts[TaskClass.OPEN_OVERDUE]} nhiệm vụ"
        + (
            f" ({total.awaiting_confirmation} nhiệm vụ đã trả lời, chờ xác nhận)."
            if total.awaiting_confirmation
            else "."
        ),
        f"Tỷ lệ hoàn thành đúng hạn: {rate}.",
    ]
    reminded = sum(data.reminder_counts.get(s.unit_id, 0) for s in data.report.rows)
    if reminded:
        sentences.append(f"Văn phòng đã đôn đốc {reminded} lần.")
    for sentence in sentences:
        _para(doc, sentence, indent=True)


def _table(doc: Any, data: ReportData) -> None:
    lines = stats_lines(data)
    table = doc.add_table(rows=2 + len(lines), cols=10)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    top, sub = table.rows[0].cells, table.rows[1].cells
    for column in (0, 1, 2, 3, 8, 9):
        top[column].merge(sub[column])
    top[4].merge(top[5])
    top[6].merge(top[7])
    header = [*_TABLE_HEADER_TOP, _RATE, _REMINDERS]
    for column, text in enumerate(header):
        if text:
            paragraph = _cell_paragraph(table.cell(0, column))
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(paragraph, text, size=11, bold=True)
    for column, text in enumerate(_TABLE_HEADER_SUB):
        if text:
            paragraph = _cell_paragraph(table.cell(1, column))
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(paragraph, text, size=11, bold=True)
    for offset, line in enumerate(lines):
        is_total = offset == len(lines) - 1
        for column, value in enumerate(line):
            text = _rate_text(value) if column == 8 else str(value)
            paragraph = _cell_paragraph(table.cell(2 + offset, column))
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if column == 1 else WD_ALIGN_PARAGRAPH.CENTER
            _run(paragraph, text if not (is_total and column == 1) else "Tổng cộng", size=11, bold=is_total)
    widths = [Cm(1), Cm(4.2), Cm(1.4), Cm(1.4), Cm(1.4), Cm(1.4), Cm(1.4), Cm(1.4), Cm(1.6), Cm(1.4)]
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _rate_text(value: object) -> str:
    return "—" if not isinstance(value, float | int) else f"{value:.1f}".replace(".", ",")


def _overdue(doc: Any, data: ReportData) -> None:
    groups = overdue_by_unit(data)
    _para(doc, "3. Nhiệm vụ quá hạn chưa hoàn thành theo đơn vị", bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    if not groups:
        _para(doc, "Không có nhiệm vụ quá hạn chưa hoàn thành.", indent=True)
        return
    for unit, rows in groups:
        _para(doc, f"- {unit}: {len(rows)} nhiệm vụ", bold=True, align=WD_ALIGN_PARAGRAPH.LEFT, indent=True, after=2)
        for row in rows:
            late = f", quá {-row.days_left} ngày" if row.days_left < 0 else ""
            _para(
                doc,
                f"+ Văn bản số {row.document_code} ngày {fmt_date(row.document_date)}: {row.content} "
                f"(hạn {fmt_date(row.state.deadline)}{late}).",
                indent=True,
                after=2,
                size=13,
            )


def _closing(doc: Any, config: AppConfig) -> None:
    """ "Nơi nhận:" on the left, the signature block on the right (a borderless table)."""
    _para(doc, after=6)
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    head = _cell_paragraph(left)
    _run(head, "Nơi nhận:", size=12, bold=True, italic=True)
    for recipient in config.app.reports.recipients:
        _para(left, f"- {recipient};", align=WD_ALIGN_PARAGRAPH.LEFT, size=11, after=0)
    signer = _cell_paragraph(right)
    signer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(signer, config.app.reports.signer_title, size=14, bold=True)
    _para(right, "(Ký, ghi rõ họ tên)", align=WD_ALIGN_PARAGRAPH.CENTER, size=13, italic=True, after=0)


def _page(doc: Any) -> None:
    """A4 portrait; margins of the decree: top and bottom 2 cm, left 3 cm, right 1.5 cm."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(SIZE)


def report_docx(data: ReportData, config: AppConfig, *, chart: bytes | None = None) -> bytes:
    """The report's bytes. ``chart``: the chart's PNG if the caller has it (else rendered here; b"": none)."""
    doc = Document()
    _page(doc)
    _header(doc, data, config)
    _para(doc, after=6)
    _para(doc, TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, after=0)
    _para(doc, SUBJECT, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, after=0)
    _para(doc, f"Kỳ báo cáo: {period_text(data, config)}", align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, after=12)
    _para(
        doc,
        f"{data.office} báo cáo tình hình thực hiện nhiệm vụ do UBND tỉnh, Chủ tịch UBND tỉnh giao "
        "các cơ quan, đơn vị trong kỳ như sau:",
        indent=True,
    )
    _para(doc, "1. Kết quả chung", bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _figures(doc, data, config)
    _para(doc, "2. Kết quả theo đơn vị", bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _table(doc, data)
    png = chart if chart is not None else chart_png(data.report, config)
    if png:  # b"": the caller wants none
        _para(doc, after=6)
        doc.add_picture(io.BytesIO(png), width=Cm(16))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _overdue(doc, data)
    _closing(doc, config)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


__all__: Sequence[str] = ["report_docx"]
