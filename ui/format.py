"""Turning service results into tables for st.dataframe (labels from config, dd/mm/yyyy)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa

from models import TaskClass
from services.config.loader import AppConfig
from services.infra.clock import fmt_date
from services.reports.chart import chart_frame as chart_frame  # re-exported: its home is the reports
from services.stats.rows import BACKDATED_REPLY, TaskRow
from services.stats.statistics import StatisticsReport, UnitStats, fmt_percent

STATS_COLUMNS = [
    "STT",
    "Cơ quan thực hiện",
    "Tổng số văn bản",
    "Tổng số nhiệm vụ",
    "Đã hoàn thành — Đúng hạn",
    "Đã hoàn thành — Quá hạn",
    "Chưa hoàn thành — Trong hạn",
    "Chưa hoàn thành — Quá hạn",
    "Tỷ lệ hoàn thành đúng hạn",
]


_AWAITING = "Chờ xác nhận ({})"
# VP UBND's last verdict was "Chưa hoàn thành": the pill says so, in the colour of the class the
# task counts in now (its words short enough for the lists' "Tình trạng" column).
SENT_BACK_ON_TIME = "Bị trả lại · trong hạn"
SENT_BACK_DUE_SOON = "Bị trả lại · sắp đến hạn"
SENT_BACK_OVERDUE = "Bị trả lại · quá hạn"
DUE_SOON = "Sắp đến hạn"
DUE_SOON_COLOUR = "#ef6c00"
BACKDATED_COLOUR = "#6a1b9a"  # the marker of a reply dated back with a reason (its own colour)


def situation(row: TaskRow, config: AppConfig) -> str:
    """Where a task stands, short: 'Chờ xác nhận', 'Bị trả lại', 'Sắp đến hạn', else the class label."""
    if row.sent_back:
        if row.state.task_class is TaskClass.OPEN_OVERDUE:
            return SENT_BACK_OVERDUE
        return SENT_BACK_DUE_SOON if row.due_soon else SENT_BACK_ON_TIME
    if row.state.awaiting_confirmation:
        answered_in_time = row.state.task_class is TaskClass.OPEN_ON_TIME
        return _AWAITING.format("trả lời đúng hạn" if answered_in_time else "trả lời trễ")
    if row.due_soon:
        return DUE_SOON
    return config.class_label(row.state.task_class)


def _days_text(row: TaskRow) -> str:
    if row.state.is_done:
        return ""
    if row.state.awaiting_confirmation:
        return "đã trả lời"
    if row.days_left < 0:
        return f"quá {-row.days_left} ngày"
    if row.days_left == 0:
        return "hạn hôm nay"
    return f"còn {row.days_left} ngày"


def situation_colours(config: AppConfig) -> dict[str, str]:
    """Every text of the "Tình trạng" column with its colour: the classes' colours of the chart
    (config), amber for due soon; a reply waiting is coloured by the class it is counted in."""
    colours = {config.class_label(c): config.app.task_classes[c].color for c in TaskClass}
    colours[DUE_SOON] = DUE_SOON_COLOUR
    colours[BACKDATED_REPLY] = BACKDATED_COLOUR
    colours[_AWAITING.format("trả lời đúng hạn")] = config.app.task_classes[TaskClass.OPEN_ON_TIME].color
    colours[_AWAITING.format("trả lời trễ")] = config.app.task_classes[TaskClass.OPEN_OVERDUE].color
    colours[SENT_BACK_ON_TIME] = config.app.task_classes[TaskClass.OPEN_ON_TIME].color
    colours[SENT_BACK_DUE_SOON] = DUE_SOON_COLOUR
    colours[SENT_BACK_OVERDUE] = config.app.task_classes[TaskClass.OPEN_OVERDUE].color
    return colours


def task_table(rows: list[TaskRow], config: AppConfig) -> pa.Table:
    """A list's lines as an Arrow table: st.dataframe sends it as it is (a pandas frame would be
    converted to Arrow on every page run, a fifth of a Giám sát run's CPU with the stats table)."""
    return pa.table(
        {
            "Mã": pa.array([r.task_id for r in rows], pa.int64()),
            "Văn bản": pa.array([r.document_code for r in rows], pa.string()),
            "Nội dung nhiệm vụ": pa.array([r.content for r in rows], pa.string()),
            "Đơn vị chủ trì": pa.array([r.lead_unit_name for r in rows], pa.string()),
            "Hạn xử lý": pa.array([fmt_date(r.state.deadline) for r in rows], pa.string()),
            "Thời hạn": pa.array([_days_text(r) for r in rows], pa.string()),
            # one coloured pill per line (a multiselect column of one value): a Styler colouring
            # the rows cost more than the rest of a Giám sát page run together
            # a reply dated back (with the clerk's reason) is named beside it: "Trả lời ghi lùi ngày"
            "Tình trạng": pa.array(
                [[situation(r, config), *([BACKDATED_REPLY] if r.backdated_reply else [])] for r in rows],
                pa.list_(pa.string()),
            ),
        }
    )


def stats_table(
    report: StatisticsReport, rows: Sequence[UnitStats] | None = None, *, total_first: bool = False
) -> pa.Table:
    """The official table (biểu thống kê): one row per unit (``rows``: in the order the viewer
    chose, STT counting them as shown), the total row last, or first (on screen, where the table
    scrolls: the total stays in sight) (Arrow, as ``task_table``)."""
    units = list(report.rows if rows is None else rows)
    lines = [report.total, *units] if total_first else [*units, report.total]
    numbers = [str(n) for n in range(1, len(units) + 1)]
    numbers = ["", *numbers] if total_first else [*numbers, ""]
    columns: list[list[str] | list[int]] = [
        numbers,
        [s.unit_name for s in lines],
        [s.documents for s in lines],
        [s.total for s in lines],
        [s.counts[TaskClass.DONE_ON_TIME] for s in lines],
        [s.counts[TaskClass.DONE_LATE] for s in lines],
        [s.counts[TaskClass.OPEN_ON_TIME] for s in lines],
        [s.counts[TaskClass.OPEN_OVERDUE] for s in lines],
        [fmt_percent(s.rate) for s in lines],
    ]
    return pa.table(dict(zip(STATS_COLUMNS, columns, strict=True)))


# Escaped wherever they are: emphasis, code, links and images, tables, strikethrough, LaTeX ($),
# HTML (< > as entities, so no "<img" is left in the markdown at all), entities and escapes.
_MD_ALWAYS = frozenset("\\`*_{}[]|~$!")
# GFM turns "http://…", "www.…" and "a@b.vn" into links, and Streamlit ":smile:" into an emoji,
# after parsing: no escape stops them. A word joiner (U+2060, invisible, never stored: models/text.py
# removes it from input) inside the pattern does.
_JOINER = "\u2060"
_MD_ENTITY = re.compile(r"#?[A-Za-z0-9]+;")  # "&lt;" would show "<": its "&" is escaped ("Sở TT&TT" is left)
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;"}
# At the start of a line (after spaces): headings, lists, quotes, setext underlines, ordered lists.
_MD_LINE_START = re.compile(r"^([ \t]*)(?:([#+=-])|(\d+)([.)]))")


def _md_line(line: str) -> str:
    out: list[str] = []
    for i, ch in enumerate(line):
        after = line[i + 1] if i + 1 < len(line) else ""
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch == ":" and after != "" and not after.isspace():
            # ":red[…]" (a directive: the escape), ":smile:", ":material/…:" and "http://" (found in
            # the text after parsing, escapes or not: the invisible word joiner breaks them)
            out.append("\\:" + _JOINER)
        elif (
            ch in _MD_ALWAYS
            # "](": the "]" is escaped already; the "(" too, so no "](http" is left at all
            or (ch == "(" and i > 0 and line[i - 1] == "]")
            or (ch == "&" and _MD_ENTITY.match(line, i + 1) is not None)
        ):
            out.append("\\" + ch)
        elif ch == "@" and (after.isalnum() or after == "_"):  # "a@b.vn" is not turned into a mailto link
            out.append("@" + _JOINER)
        elif ch == "." and line[max(0, i - 3) : i].lower() == "www":  # nor "www.x" into a link
            out.append(_JOINER + ".")
        else:
            out.append(ch)
    escaped = "".join(out)
    start = _MD_LINE_START.match(escaped)
    if start is not None:
        indent, marker, number, closer = start.groups()
        rest = escaped[start.end() :]
        head = "\\" + marker if marker else number + "\\" + closer
        # leading spaces as no-break spaces: four of them would make a code block
        escaped = "\u00a0" * len(indent) + head + rest
    elif line[:1] in (" ", "\t"):
        stripped = escaped.lstrip(" \t")
        escaped = "\u00a0" * (len(escaped) - len(stripped)) + stripped
    return escaped


def md_escape(text: str) -> str:
    """User text for any element that reads Markdown (st.markdown, st.caption, st.error …, a
    widget's or a page link's label, an st.table cell), shown exactly as typed, never interpreted:
    no link (not even a bare URL), no image fetched from another server, no HTML, no LaTeX, no
    emoji or icon code, no heading or list. Line breaks stay line breaks. Ordinary punctuation
    (", ", ". ", "(", "-" inside a line) is left as it is, so a sentence reads the same in the
    markdown source as on the page; a URL or an e-mail address shows with an invisible word joiner
    in it (see ``_JOINER``)."""
    return "  \n".join(_md_line(line) for line in text.split("\n"))


def md_line(text: str) -> str:
    """``md_escape`` on one line (a heading, a label, a link): line breaks and tabs become spaces."""
    return _md_line(" ".join(text.replace("\t", " ").split("\n")))


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def fmt_count(number: int) -> str:
    """A count with its thousands apart: 1 234."""
    return f"{number:,}".replace(",", " ")
