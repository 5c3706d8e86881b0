"""The report files (XLSX, DOCX, CSV) read back: every figure is ``unit_statistics``' own, for the
March history of ``test_statistics`` (hand-computed figures), judged on 31/03, on 14/03 and for
April (tasks carried over); text is neutralised; the command refuses bad input and writes nothing.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import docx  # type: ignore[import-untyped]
import openpyxl  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from models import PeriodPreset, TaskClass
from services.reports import command
from services.reports.content import STATS_HEADER, TASK_HEADER, ReportData, report_data
from services.reports.csv_files import csv_bytes, statistics_csv, tasks_csv
from services.reports.docx import report_docx
from services.reports.xlsx import SHEET_CHART, SHEET_TABLE, SHEET_TASKS, TABLE_FIRST_ROW, statistics_xlsx
from services.runtime import Runtime
from services.stats.period import Period
from services.stats.statistics import StatisticsReport, UnitStats, make_period, unit_statistics
from tests.conftest import FINANCE
from tests.services.support import unit_id
from tests.services.test_statistics import (
    APRIL_ROWS,
    APRIL_TOTAL,
    AS_OF_14_ROWS,
    AS_OF_14_TOTAL,
    MARCH_ROWS,
    MARCH_TOTAL,
    Row,
    _march_database,
    history,
    march,
    people,
    runtime,
)

__all__ = ["_march_database", "history", "march", "people", "runtime"]  # the March history's fixtures

# (from, to, today) -> the hand-computed table of test_statistics
PERIODS = {
    "march": (date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 15), MARCH_ROWS, MARCH_TOTAL),
    "march-as-of-14": (date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 14), AS_OF_14_ROWS, AS_OF_14_TOTAL),
    "april-carried-over": (date(2026, 4, 1), date(2026, 4, 30), date(2026, 5, 10), APRIL_ROWS, APRIL_TOTAL),
}


def _expected_lines(rows: list[Row], total: Row, report: StatisticsReport) -> list[list[object]]:
    """The official form's lines from the hand-computed rows: (STT, name, documents, total, the
    four classes, rate in percent); reminders are 0 (none sent in this history)."""

    def line(number: str, row: Row, rate: float | None) -> list[object]:
        name, documents, on_time, late, open_on_time, overdue, _awaiting, count = row
        return [number, name, documents, count, on_time, late, open_on_time, overdue, rate]

    lines = [
        line(str(i), row, None if not s.total else round(s.counts[TaskClass.DONE_ON_TIME] / s.total * 100, 1))
        for i, (row, s) in enumerate(zip(rows, report.rows, strict=True), 1)
    ]
    t = report.total
    lines.append(line("", total, round(t.counts[TaskClass.DONE_ON_TIME] / t.total * 100, 1)))
    return lines


def _data(session: Session, runtime: Runtime, key: str) -> tuple[ReportData, list[list[object]]]:
    date_from, date_to, today, rows, total = PERIODS[key]
    period = make_period(date_from=date_from, date_to=date_to, today=today)
    data = report_data(session=session, config=runtime.config, period=period, today=today)
    return data, _expected_lines(rows, total, data.report)


def _xlsx_lines(book: openpyxl.Workbook) -> list[list[object]]:
    ws = book[SHEET_TABLE]
    lines = []
    for row in ws.iter_rows(min_row=TABLE_FIRST_ROW, max_col=10, values_only=True):
        if row[1] is None:
            break
        number, name, documents, count, on_time, late, open_on_time, overdue, rate, _reminders = row
        lines.append([number or "", name, documents, count, on_time, late, open_on_time, overdue, round(rate * 100, 1)])
    return lines


@pytest.mark.parametrize("key", list(PERIODS))
def test_xlsx_holds_the_screens_figures(runtime: Runtime, session: Session, history: dict[str, int], key: str) -> None:
    data, expected = _data(session, runtime, key)
    book = openpyxl.load_workbook(io.BytesIO(statistics_xlsx(data, runtime.config)))
    assert book.sheetnames == [SHEET_TABLE, SHEET_TASKS, SHEET_CHART]
    ws = book[SHEET_TABLE]
    assert _xlsx_lines(book) == expected
    # the rate is a number shown in percent; the total row is bold; Times New Roman 13
    rate_cell = ws.cell(row=TABLE_FIRST_ROW, column=9)
    assert isinstance(rate_cell.value, float) and rate_cell.number_format == "0.0%"
    total_row = TABLE_FIRST_ROW + len(expected) - 1
    assert ws.cell(row=total_row, column=2).value == "Tổng cộng" and ws.cell(row=total_row, column=2).font.b
    assert (rate_cell.font.name, rate_cell.font.sz) == ("Times New Roman", 13)
    # title with province, office and period; "as of"; the official two-level header
    titles = [ws.cell(row=r, column=1).value for r in range(1, 5)]
    assert titles[0] == "UBND TỈNH GIA LAI — VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH"
    assert f"{data.period.date_from:%d/%m/%Y}" in titles[2] and f"{data.period.date_to:%d/%m/%Y}" in titles[2]
    assert titles[3] == f"Số liệu tính đến ngày {data.period.as_of:%d/%m/%Y}"
    header = [[ws.cell(row=r, column=c).value for c in range(1, 11)] for r in (5, 6)]
    assert header == [
        ["STT", "Đơn vị", "Tổng số văn bản", "Tổng số nhiệm vụ", "Đã hoàn thành", None, "Chưa hoàn thành", None,
         "Tỷ lệ hoàn thành đúng hạn", "Số lần đôn đốc"],
        [None, None, None, None, "Đúng hạn", "Quá hạn", "Trong hạn", "Quá hạn", None, None],
    ]  # fmt: skip
    assert "E5:F5" in {str(r) for r in ws.merged_cells.ranges}
    # printing: A4 landscape, fit to width, the header rows on every page, the header frozen
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$5:$6"
    assert ws.freeze_panes == f"C{TABLE_FIRST_ROW}"
    # sheet 2: every task behind the figures, open overdue first; sheet 3: the chart as an image
    tasks = book[SHEET_TASKS]
    assert [c.value for c in tasks[1]] == TASK_HEADER
    classes = [row[6] for row in tasks.iter_rows(min_row=2, values_only=True)]
    assert len(classes) == data.report.total.total
    overdue_label = runtime.config.class_label(TaskClass.OPEN_OVERDUE)
    overdue = data.report.total.counts[TaskClass.OPEN_OVERDUE]
    assert classes[:overdue] == [overdue_label] * overdue and overdue_label not in classes[overdue:]
    assert len(book[SHEET_CHART]._images) == 1


@pytest.mark.parametrize("key", list(PERIODS))
def test_csv_and_docx_hold_the_screens_figures(
    runtime: Runtime, session: Session, history: dict[str, int], key: str
) -> None:
    data, expected = _data(session, runtime, key)
    raw = statistics_csv(data)
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == STATS_HEADER
    as_csv = [
        [line[0], line[1], *(str(v) for v in line[2:8]), f"{line[8]:.1f}".replace(".", ","), "0"] for line in expected
    ]
    assert table[1:] == as_csv
    # the DOCX's table: the same lines under its two header rows
    document = docx.Document(io.BytesIO(report_docx(data, runtime.config, chart=b"")))
    grid = document.tables[1]
    cells = [[cell.text for cell in row.cells] for row in grid.rows]
    assert cells[0][4] == cells[0][5] == "Đã hoàn thành" and cells[1][4:8] == [
        "Đúng hạn",
        "Quá hạn",
        "Trong hạn",
        "Quá hạn",
    ]
    assert cells[2:] == [[*line[:9], "0"] for line in as_csv]
    text = "\n".join(p.text for p in document.paragraphs)
    t = data.report.total
    assert f"là {t.total} nhiệm vụ, thuộc {t.documents} văn bản." in text
    assert (
        f"Đã hoàn thành {t.done} nhiệm vụ, trong đó đúng hạn {t.counts[TaskClass.DONE_ON_TIME]} nhiệm vụ, "
        f"quá hạn {t.counts[TaskClass.DONE_LATE]} nhiệm vụ." in text
    )
    assert f"trong hạn {t.counts[TaskClass.OPEN_ON_TIME]} nhiệm vụ, quá hạn {t.counts[TaskClass.OPEN_OVERDUE]}" in text
    assert f"Tỷ lệ hoàn thành đúng hạn: {expected[-1][8]:.1f}%.".replace(".", ",", 1) in text


def test_docx_is_laid_out_as_the_decree(runtime: Runtime, session: Session, history: dict[str, int]) -> None:
    data, _ = _data(session, runtime, "march")
    document = docx.Document(io.BytesIO(report_docx(data, runtime.config)))
    top = document.tables[0]
    left, right = (cell.text for cell in top.rows[0].cells)
    assert left.split("\n") == ["UBND TỈNH GIA LAI", "VĂN PHÒNG", "Số:       /BC-VP"]
    assert right.split("\n") == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Gia Lai, ngày      tháng      năm 2026",
    ]
    assert top.rows[0].cells[1].paragraphs[2].runs[0].italic
    motto = top.rows[0].cells[1].paragraphs[1].runs[0]
    assert motto.bold and motto.underline
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in texts
    assert "Tình hình thực hiện nhiệm vụ do UBND tỉnh, Chủ tịch UBND tỉnh giao" in texts
    assert "Kỳ báo cáo: Tháng 03 năm 2026 (từ ngày 01/03/2026 đến ngày 31/03/2026)" in texts  # last month of 15/04
    # the overdue tasks by unit: Sở Tài chính's five (F4 F7 F8 F9 F13)
    assert "- Sở Tài chính: 5 nhiệm vụ" in texts
    closing = document.tables[-1].rows[0].cells
    assert closing[0].text.startswith("Nơi nhận:") and "Lưu: VT, TH" in closing[0].text
    assert closing[1].text.startswith("CHÁNH VĂN PHÒNG")
    section = document.sections[0]
    assert section.page_width and section.page_height and section.left_margin and section.right_margin
    assert section.top_margin
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.left_margin.cm), round(section.right_margin.cm, 1), round(section.top_margin.cm)) == (
        3,
        1.5,
        2,
    )
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert len(document.inline_shapes) == 1  # the chart


def test_docx_converts_to_pdf(runtime: Runtime, session: Session, history: dict[str, int], tmp_path: Path) -> None:
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.skip("LibreOffice is not installed (no soffice or libreoffice binary): the DOCX is not converted to PDF")
    import subprocess

    data, _ = _data(session, runtime, "march")
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(report_docx(data, runtime.config))
    subprocess.run(
        [binary, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)], check=True, timeout=120
    )
    assert (tmp_path / "bao-cao.pdf").read_bytes().startswith(b"%PDF")


def test_a_preset_names_the_period(runtime: Runtime, session: Session, history: dict[str, int]) -> None:
    period = make_period(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31), today=date(2026, 4, 15))
    data = report_data(session=session, config=runtime.config, period=period, today=date(2026, 4, 15))
    assert data.preset is PeriodPreset.Q1
    book = openpyxl.load_workbook(io.BytesIO(statistics_xlsx(data, runtime.config)))
    assert book[SHEET_TABLE]["A3"].value == "Kỳ báo cáo: Quý I năm 2026 (từ ngày 01/01/2026 đến ngày 31/03/2026)"


def test_reminder_counts_are_shown_per_unit(runtime: Runtime, session: Session, history: dict[str, int]) -> None:
    data, _ = _data(session, runtime, "march")
    finance = unit_id(session, FINANCE)
    reminded = ReportData(
        report=data.report, tasks=data.tasks, reminder_counts={finance: 3}, province=data.province, office=data.office
    )
    table = list(csv.reader(io.StringIO(statistics_csv(reminded).decode("utf-8-sig"))))
    assert [(line[1], line[-1]) for line in table[1:]] == [
        ("Sở Tài chính", "3"),
        ("Sở Y tế", "0"),
        ("UBND TP Pleiku", "0"),
        ("Tổng cộng", "3"),
    ]


HOSTILE = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\ry", "Sở Tài chính"]


def test_csv_cells_are_neutralised() -> None:
    raw = csv_bytes(["=cmd", "b"], [[h, 1] for h in HOSTILE])
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0] == ["'=cmd", "b"]
    assert [row[0] for row in table[1:]] == ["'" + h for h in HOSTILE[:-1]] + ["Sở Tài chính"]


def test_xlsx_text_is_never_a_formula(runtime: Runtime, session: Session, history: dict[str, int]) -> None:
    from dataclasses import replace

    data, _ = _data(session, runtime, "march")
    hostile = [replace(row, content=HOSTILE[i % len(HOSTILE)]) for i, row in enumerate(data.tasks)]
    tampered = ReportData(report=data.report, tasks=hostile, province=data.province, office=data.office)
    book = openpyxl.load_workbook(io.BytesIO(statistics_xlsx(tampered, runtime.config)))
    cells = [row[3] for row in book[SHEET_TASKS].iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in cells)
    assert {c.value for c in cells} >= {'=HYPERLINK("http://x")', "@SUM(A1)"}
    lines = list(csv.reader(io.StringIO(tasks_csv(hostile, runtime.config).decode("utf-8-sig"), newline="")))
    assert len(lines) == 1 + len(hostile) and {'\'=HYPERLINK("http://x")', "'+1"} <= {line[3] for line in lines}


def _run(runtime: Runtime, out: Path, *args: str | None) -> tuple[int, str, str]:
    date_from, date_to, preset, fmt = args
    stdout, stderr = io.StringIO(), io.StringIO()
    code = command.run(
        runtime=runtime,
        date_from=date_from,
        date_to=date_to,
        preset=preset,
        fmt=fmt or "",
        out=str(out),
        today=date(2026, 4, 15),
        stdout=stdout,
        stderr=stderr,
    )
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2026-03-01", "2026-03-31", None, "pdf"), "Định dạng “pdf” không có: chọn một trong xlsx, docx, csv."),
        (("2026-03-31", "2026-03-01", None, "xlsx"), "Từ ngày phải trước hoặc bằng đến ngày."),
        (("2026-02-30", "2026-03-31", None, "csv"), "Từ ngày 30/02/2026 không có thật: tháng 02/2026 chỉ có 28 ngày."),
        (("hôm qua", "2026-03-31", None, "csv"), "Từ ngày “hôm qua” không đọc được"),
        ((None, "2026-03-31", None, "csv"), "Thiếu từ ngày (--from)."),
        ((None, None, "quy-5", "csv"), "Không có kỳ báo cáo “quy-5”."),
        (("2026-03-01", None, "quy-1", "csv"), "Chọn --ky hoặc --from/--to, không cả hai."),
    ],
)
def test_command_refuses_bad_input_and_writes_nothing(
    runtime: Runtime, tmp_path: Path, args: tuple[str | None, ...], message: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    code, stdout, stderr = _run(runtime, folder / "bao-cao.out", *args)
    assert (code, stdout) == (2, "")
    assert stderr.startswith(message)
    assert list(folder.iterdir()) == []


def test_command_refuses_a_missing_folder(runtime: Runtime, tmp_path: Path) -> None:
    code, _, stderr = _run(runtime, tmp_path / "khong-co" / "a.csv", "2026-03-01", "2026-03-31", None, "csv")
    assert code == 2 and stderr.startswith("Thư mục") and not (tmp_path / "khong-co").exists()


def test_command_writes_each_format(
    runtime: Runtime, session: Session, history: dict[str, int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp_path = tmp_path_factory.mktemp("files")
    for fmt in ("xlsx", "docx", "csv"):
        out = tmp_path / f"bao-cao.{fmt}"
        code, stdout, stderr = _run(runtime, out, "01/03/2026", "2026-03-31", None, fmt.upper())
        assert (code, stderr) == (0, ""), stderr
        assert stdout == f"Đã ghi {out} ({fmt}, kỳ 01/03/2026 – 31/03/2026).\n"
    book = openpyxl.load_workbook(tmp_path / "bao-cao.xlsx")
    _, expected = _data(session, runtime, "march")
    assert _xlsx_lines(book) == expected
    table = list(csv.reader(io.StringIO((tmp_path / "bao-cao.csv").read_text(encoding="utf-8-sig"))))
    assert [line[1] for line in table[1:]] == [line[1] for line in expected]
    assert docx.Document(str(tmp_path / "bao-cao.docx")).tables[1].rows[2].cells[1].text == "Sở Tài chính"
    # a named period: last month of 15/04/2026 is March
    code, _, _ = _run(runtime, tmp_path / "thang.csv", None, None, "thang-truoc", "csv")
    assert code == 0 and (tmp_path / "thang.csv").read_bytes() == (tmp_path / "bao-cao.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bao-cao.csv", "bao-cao.docx", "bao-cao.xlsx", "thang.csv"]


def test_manage_py_refuses_bad_arguments_before_touching_the_database(tmp_path: Path) -> None:
    """The real command line, as cron runs it: a bad format, a reversed period and an unknown named
    period are refused (exit 2, Vietnamese on stderr, no file), before any database is created."""
    import os
    import subprocess
    import sys

    from services.infra.settings import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GIAOVIEC_DATABASE_URL")}
    env.update(GIAOVIEC_DATA_DIR=str(tmp_path / "data"), GIAOVIEC_SECRET_KEY="report-test")
    out = tmp_path / "out"
    out.mkdir()
    for args, message in [
        (("--ky", "thang-truoc", "--format", "pdf"), "Định dạng “pdf” không có: chọn một trong xlsx, docx, csv."),
        (("--from", "2026-03-31", "--to", "2026-03-01"), "Từ ngày phải trước hoặc bằng đến ngày."),
    ]:
        done = subprocess.run(
            [sys.executable, "manage.py", "report", *args, "--out", str(out / "a.xlsx")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (done.returncode, done.stdout, done.stderr.strip()) == (2, "", message)
    assert list(out.iterdir()) == [] and not (tmp_path / "data" / "giaoviec.db").exists()


def _screen_lines(session: Session, period: Period) -> list[list[object]]:
    """What Giám sát's table shows for ``period``, straight from ``unit_statistics``."""
    report = unit_statistics(session=session, period=period)

    def line(number: str, s: UnitStats) -> list[object]:
        c = s.counts
        rate = None if s.rate is None else round(s.rate * 100, 1)
        return [number, s.unit_name, s.documents, s.total, c[TaskClass.DONE_ON_TIME], c[TaskClass.DONE_LATE],
                c[TaskClass.OPEN_ON_TIME], c[TaskClass.OPEN_OVERDUE], rate]  # fmt: skip

    return [line(str(i), s) for i, s in enumerate(report.rows, 1)] + [line("", report.total)]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(min_value=date(2026, 2, 15), max_value=date(2026, 4, 20)),
    days=st.integers(min_value=10, max_value=90),
    seen=st.integers(min_value=0, max_value=60),
)
def test_files_hold_the_screens_figures_for_any_period(
    runtime: Runtime, session: Session, history: dict[str, int], start: date, days: int, seen: int
) -> None:
    """Random periods over the March history (tasks carried over, replies on the deadline day,
    extensions): the XLSX and the CSV read back give the table ``unit_statistics`` gives."""
    end = start + timedelta(days=days)
    period = make_period(date_from=start, date_to=end, today=end + timedelta(days=seen))
    expected = _screen_lines(session, period)
    data = report_data(session=session, config=runtime.config, period=period, today=period.as_of)
    assert data.report.rows  # every drawn period meets the history
    book = openpyxl.load_workbook(io.BytesIO(statistics_xlsx(data, runtime.config)))
    assert _xlsx_lines(book) == expected
    text = statistics_csv(data).decode("utf-8-sig")
    csv_lines = list(csv.reader(io.StringIO(text)))[1:]
    assert [line[1] for line in csv_lines] == [line[1] or "Tổng cộng" for line in expected]
    assert [[int(v) for v in line[2:8]] for line in csv_lines] == [line[2:8] for line in expected]
