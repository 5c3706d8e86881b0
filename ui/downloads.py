"""Download buttons of the report files: "Tải CSV", "Tải Excel", "Tải báo cáo (Word)", and one
"Tạo tệp <label>" per report format a plugin adds (``services.reports.plugin_formats``; see
``plugin_report_buttons``).

The file is built only when the button is pressed (``st.download_button`` with a callable
``data``, Streamlit 1.67): a page run does not pay for a workbook nobody asked for. The callable
runs outside the page run, so it gets everything it needs now (the engine, the actor, the
period, the table shown), never the page's state: a list's file is built for the person who sees
the list, with their permissions, and holds all its rows, not the page on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from sqlmodel import Session
from streamlit.delta_generator import DeltaGenerator

from services.config.loader import AppConfig
from services.infra.errors import ServiceError
from services.reports.content import ReportData, report_data
from services.reports.csv_files import statistics_csv, tasks_csv
from services.reports.docx import report_docx
from services.reports.plugin_formats import render_report, report_formats
from services.reports.xlsx import statistics_xlsx
from services.stats.rows import TaskRow
from services.stats.statistics import MAX_PER_PAGE, RowPage, StatisticsReport, UnitStats
from ui.format import md_escape
from ui.runtime import runtime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"


def file_stem(report: StatisticsReport, name: str) -> str:
    """``bieu-thong-ke_2026-01-01_2026-03-31``: the kind of file and its period."""
    period = report.period
    return f"{name}_{period.date_from.isoformat()}_{period.date_to.isoformat()}"


def _button(
    where: DeltaGenerator, label: str, build: Callable[[], bytes], *, file_name: str, mime: str, key: str
) -> None:
    where.download_button(
        label,
        data=build,
        file_name=file_name,
        mime=mime,
        icon=":material/download:",
        key=key,
        on_click="ignore",  # no page run: the file is all the click asks for
    )


def list_csv_button(
    where: DeltaGenerator,
    fetch_all: Callable[[Session], Sequence[TaskRow]],
    config: AppConfig,
    *,
    file_name: str,
    key: str,
    extra: Callable[[Session, Sequence[TaskRow]], Mapping[str, Sequence[str]]] | None = None,
) -> None:
    """ "Tải CSV" of a task list: ``fetch_all(session)`` reads every row of it (the same service
    and filters as the screen's pages, for the same person) when the button is pressed; ``extra``:
    more columns of those rows (the custom fields switched on, ``ui.custom_fields.file_columns``)."""
    engine = runtime().engine

    def build() -> bytes:
        with Session(engine, expire_on_commit=False) as session:
            rows = fetch_all(session)
            return tasks_csv(rows, config, extra=None if extra is None else extra(session, rows))

    _button(where, "Tải CSV", build, file_name=file_name, mime=CSV, key=key)


def rows_csv_button(
    where: DeltaGenerator,
    rows: Sequence[TaskRow],
    config: AppConfig,
    *,
    extra: Mapping[str, Sequence[str]] | None = None,
    file_name: str,
    key: str,
) -> None:
    """ "Tải CSV" of a list the page already holds whole (the rows read for this viewer)."""
    _button(where, "Tải CSV", lambda: tasks_csv(rows, config, extra=extra), file_name=file_name, mime=CSV, key=key)


def every_row(fetch_page: Callable[[int, int], RowPage]) -> list[TaskRow]:
    """All the rows of a paged list, read page after page with the same service and filters as
    the screen (``fetch_page(page, per_page)``), so the file holds exactly the list shown."""
    rows: list[TaskRow] = []
    page = 1
    while True:
        result = fetch_page(page, MAX_PER_PAGE)
        rows.extend(result.items)
        if page >= result.pages:
            return rows
        page += 1


def report_buttons(
    where: Sequence[DeltaGenerator],
    report: StatisticsReport,
    config: AppConfig,
    *,
    today: date,
    rows: Sequence[UnitStats] | None = None,
    key: str,
) -> None:
    """Giám sát's "Tải Excel", "Tải báo cáo (Word)" and "Tải CSV" of the table shown (``report``:
    the very table on screen, so every figure of the files is the screen's; ``rows``: the units in
    the viewer's order, for the CSV)."""
    data = _report_data(report, config, today=today)

    def xlsx() -> bytes:
        return statistics_xlsx(data(), config)

    def word() -> bytes:
        return report_docx(data(), config)

    def table_csv() -> bytes:
        return statistics_csv(data(), rows)

    excel_at, word_at, csv_at = where
    _button(
        excel_at,
        "Tải Excel",
        xlsx,
        file_name=file_stem(report, "bieu-thong-ke") + ".xlsx",
        mime=XLSX,
        key=f"{key}_xlsx",
    )
    _button(
        word_at,
        "Tải báo cáo (Word)",
        word,
        file_name=file_stem(report, "bao-cao") + ".docx",
        mime=DOCX,
        key=f"{key}_docx",
    )
    _button(
        csv_at, "Tải CSV", table_csv, file_name=file_stem(report, "bieu-thong-ke") + ".csv", mime=CSV, key=f"{key}_csv"
    )


def _report_data(report: StatisticsReport, config: AppConfig, *, today: date) -> Callable[[], ReportData]:
    """Builds the content of every report file of ``report`` (the table on screen) when called."""
    engine = runtime().engine

    def data() -> ReportData:
        with Session(engine, expire_on_commit=False) as session:
            return report_data(session=session, config=config, period=report.period, today=today, report=report)

    return data


def plugin_report_buttons(
    where: DeltaGenerator, report: StatisticsReport, config: AppConfig, *, today: date, key: str
) -> None:
    """ "Tạo tệp <label>" for each report format of the plugins, beside "Tải Excel"; pressed, the
    plugin's ``render`` gets the same content as the built-in files in this page run, and "Tải
    <label>" offers the file. Unlike the built-in files, a plugin's is made in the page run, not
    when the download is pressed: a plugin that fails then says so on the page, in Vietnamese
    (the traceback in the server's log), instead of handing over a file that holds the error."""
    data = _report_data(report, config, today=today)
    for fmt in report_formats():
        if not where.button(f"Tạo tệp {fmt.label}", icon=":material/description:", key=f"{key}_make_{fmt.key}"):
            continue
        try:
            content = render_report(fmt=fmt, data=data(), config=config)
        except ServiceError as exc:  # logged by render_report
            where.error(md_escape(exc.message))
            continue
        where.download_button(
            f"Tải {fmt.label}",
            data=content,
            file_name=file_stem(report, "bao-cao") + f".{fmt.extension}",
            mime=fmt.mime,
            icon=":material/download:",
            key=f"{key}_plugin_{fmt.key}",
            on_click="ignore",
        )
