"""What every report file holds, as plain values: the official table's lines, the task lines, the
period in words, the title. One place, so the XLSX, the DOCX and the CSV say the same thing as
the screen (the figures are ``unit_statistics``' own, never recomputed here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from models import PeriodPreset, TaskClass, UnitKind
from services.config.loader import AppConfig
from services.infra.clock import fmt_date
from services.reminders.counts import reminders_per_unit
from services.stats import span_figures
from services.stats.presets import preset_of
from services.stats.rows import BACKDATED_REPLY, TaskRow
from services.stats.statistics import Period, StatisticsReport, UnitStats, span_rows, unit_statistics

# The official form's columns (biểu thống kê): two header rows, the classes grouped under
# "Đã hoàn thành" and "Chưa hoàn thành".
STATS_HEADER = [
    "STT",
    "Đơn vị",
    "Tổng số văn bản",
    "Tổng số nhiệm vụ",
    "Đã hoàn thành — Đúng hạn",
    "Đã hoàn thành — Quá hạn",
    "Chưa hoàn thành — Trong hạn",
    "Chưa hoàn thành — Quá hạn",
    "Tỷ lệ hoàn thành đúng hạn (%)",
    "Số lần đôn đốc",
]
TASK_HEADER = [
    "Mã",
    "Số, ký hiệu văn bản",
    "Ngày văn bản",
    "Nội dung nhiệm vụ",
    "Đơn vị chủ trì",
    "Hạn xử lý",
    "Tình trạng",
    "Thời hạn",
    "Ghi chú",
]


@dataclass(frozen=True)
class ReportData:
    """Everything a report file is built from. ``tasks``: the tasks behind the figures, urgent first
    (open overdue first); ``reminder_counts``: lead unit id → reminders sent in the period."""

    report: StatisticsReport
    tasks: Sequence[TaskRow]
    reminder_counts: Mapping[int, int] = field(default_factory=dict)
    province: str = ""
    office: str = ""  # VP UBND's full name, as the issuing body
    preset: PeriodPreset | None = None
    made_on: date | None = None  # the day the file is made (the year of "ngày … tháng … năm …")

    @property
    def period(self) -> Period:
        return self.report.period


def report_tasks(*, session: Session, report: StatisticsReport, due_soon_days: int) -> list[TaskRow]:
    """Every task behind the table's figures (all units, all classes), urgent first: the order of
    Giám sát's lists. The report's own unit names and VP UBND units are used, so the lines match
    its lines."""
    spans = span_figures.list_tasks(
        session=session, period=report.period, due_soon_days=due_soon_days, skip_units=report.offices
    )
    return span_rows(
        session=session, spans=spans, as_of=report.period.as_of, due_soon_days=due_soon_days, names=report.unit_names
    )


def office_name(config: AppConfig) -> str:
    return next(u.name for u in config.org.units if u.kind is UnitKind.OFFICE)


def report_data(
    *,
    session: Session,
    config: AppConfig,
    period: Period,
    today: date,
    report: StatisticsReport | None = None,
    reminder_counts: Mapping[int, int] | None = None,
) -> ReportData:
    """The report of ``period``: the table (``report``: the one the screen shows, if the caller has
    it, so the file and the screen are the same reading), its tasks and the reminders per unit."""
    if report is None:
        report = unit_statistics(session=session, period=period)
    elif report.period != period:
        raise ValueError("the report is of another period")
    if reminder_counts is None:
        reminder_counts = reminders_per_unit(session=session, period=period)
    return ReportData(
        report=report,
        tasks=report_tasks(session=session, report=report, due_soon_days=config.app.due_soon_days),
        reminder_counts=reminder_counts,
        province=config.org.province,
        office=office_name(config),
        preset=preset_of(period.date_from, period.date_to, today=today),
        made_on=today,
    )


def rate_percent(stats: UnitStats) -> float | None:
    """The on-time rate in percent, rounded as the screen shows it (one decimal); None with no task."""
    return None if stats.rate is None else round(stats.rate * 100, 1)


def stats_lines(data: ReportData, rows: Sequence[UnitStats] | None = None) -> list[list[str | int | float | None]]:
    """The table's lines in the official form (STT from 1, the total row last, unnamed in STT)."""
    units = list(data.report.rows if rows is None else rows)
    reminders = data.reminder_counts
    lines: list[list[str | int | float | None]] = []
    for number, stats in [*((str(i), s) for i, s in enumerate(units, 1)), ("", data.report.total)]:
        reminded = sum(reminders.get(s.unit_id, 0) for s in units) if stats is data.report.total else 0
        lines.append(
            [
                number,
                stats.unit_name,
                stats.documents,
                stats.total,
                stats.counts[TaskClass.DONE_ON_TIME],
                stats.counts[TaskClass.DONE_LATE],
                stats.counts[TaskClass.OPEN_ON_TIME],
                stats.counts[TaskClass.OPEN_OVERDUE],
                rate_percent(stats),
                reminded if stats is data.report.total else reminders.get(stats.unit_id, 0),
            ]
        )
    return lines


def days_text(row: TaskRow) -> str:
    """ "quá 5 ngày", "còn 3 ngày", "hạn hôm nay", "đã trả lời"; "" for a done task."""
    if row.state.is_done:
        return ""
    if row.state.awaiting_confirmation:
        return "đã trả lời"
    if row.days_left < 0:
        return f"quá {-row.days_left} ngày"
    return "hạn hôm nay" if row.days_left == 0 else f"còn {row.days_left} ngày"


def task_notes(row: TaskRow) -> str:
    notes = []
    if row.state.awaiting_confirmation:
        notes.append("Đã trả lời, chờ xác nhận")
    if row.sent_back:
        notes.append("Bị trả lại")
    if row.backdated_reply:
        notes.append(BACKDATED_REPLY)
    return "; ".join(notes)


def task_lines(rows: Sequence[TaskRow], config: AppConfig) -> list[list[str | int]]:
    """A list's lines for a file (dates dd/mm/yyyy, the class by its configured label)."""
    return [
        [
            r.task_id,
            r.document_code,
            fmt_date(r.document_date),
            r.content,
            r.lead_unit_name,
            fmt_date(r.state.deadline),
            config.class_label(r.state.task_class),
            days_text(r),
            task_notes(r),
        ]
        for r in rows
    ]


def period_text(data: ReportData, config: AppConfig) -> str:
    """ "Quý I năm 2026 (từ ngày 01/01/2026 đến ngày 31/03/2026)", or the dates alone."""
    period = data.period
    dates = f"từ ngày {fmt_date(period.date_from)} đến ngày {fmt_date(period.date_to)}"
    if data.preset is None:
        return dates.capitalize()
    label = config.app.period_presets[data.preset]
    year = period.date_from.year
    if data.preset in (PeriodPreset.THIS_MONTH, PeriodPreset.LAST_MONTH):
        return f"Tháng {period.date_from.month:02d} năm {year} ({dates})"
    return f"{label} năm {year} ({dates})"


def as_of_text(data: ReportData) -> str:
    return f"Số liệu tính đến ngày {fmt_date(data.period.as_of)}"


def overdue_by_unit(data: ReportData) -> list[tuple[str, list[TaskRow]]]:
    """The open overdue tasks grouped by lead unit, in the table's order (the DOCX's last part)."""
    groups: dict[int, list[TaskRow]] = {}
    for row in data.tasks:
        if row.state.task_class is TaskClass.OPEN_OVERDUE:
            groups.setdefault(row.lead_unit_id, []).append(row)
    order = [s.unit_id for s in data.report.rows]
    ranked = sorted(groups, key=lambda u: order.index(u) if u in order else len(order))
    return [(data.report.unit_names.get(u, groups[u][0].lead_unit_name), groups[u]) for u in ranked]
