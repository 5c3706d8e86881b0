"""CSV of every table and list: UTF-8 with a BOM (Excel then opens the Vietnamese letters right),
each text cell that a spreadsheet would run as a formula neutralised (``spreadsheet_safe``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from services.config.loader import AppConfig
from services.infra.text import spreadsheet_safe
from services.reports.content import STATS_HEADER, TASK_HEADER, ReportData, stats_lines, task_lines
from services.stats.rows import TaskRow
from services.stats.statistics import UnitStats


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")  # 14,3 as the screen writes it
    return spreadsheet_safe(str(value))


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """One table as CSV (every cell neutralised, the header too)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in columns])
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def statistics_csv(data: ReportData, rows: Sequence[UnitStats] | None = None) -> bytes:
    """The official table (``rows``: the units in the viewer's order), the total row last."""
    return csv_bytes(STATS_HEADER, stats_lines(data, rows))


def tasks_csv(rows: Sequence[TaskRow], config: AppConfig, *, extra: Mapping[str, Sequence[str]] | None = None) -> bytes:
    """A task list, every row of it (the screen pages it; the file does not); ``extra``: more
    columns, one value per row ("Đang ở bước" of Việc chờ tôi xử lý)."""
    extra = extra or {}
    lines = [[*line, *(values[i] for values in extra.values())] for i, line in enumerate(task_lines(rows, config))]
    return csv_bytes([*TASK_HEADER, *extra], lines)
