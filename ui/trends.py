"""Xếp hạng và xu hướng: the twelve months' figures cached per data version, and their line chart.

The monthly figures are public aggregates (no task, no person), twelve table reads: one process
computes them once per (day, data version) for every viewer, as ``ui.public_cache`` does for
Giám sát's table. A write that can change a figure bumps the data version, so the next run asks
for a key nobody has computed: nothing stale is shown.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date

import altair as alt
import pandas as pd

from services.stats.trends import PROVINCE, Trends, UnitTrend, monthly_trends
from ui.runtime import db, runtime

__all__ = ["PROVINCE", "cached_trends", "clear", "month_label", "trend_chart", "trend_frame"]


@functools.lru_cache(maxsize=16)
def _trends(database: str, today: date, version: int) -> Trends:
    """``database`` and ``version`` only key the cache (a test process opens several databases)."""
    with db() as session:
        return monthly_trends(session=session, today=today)


def cached_trends(today: date, version: int) -> Trends:
    """The last twelve months' figures as of ``today`` at data version ``version`` (read by the caller)."""
    return _trends(runtime().engine.url.render_as_string(hide_password=True), today, version)


def clear() -> None:
    """Forget the cached figures (tests that open a fresh database)."""
    _trends.cache_clear()


def month_label(day: date) -> str:
    """"11/2026": how a month is written on the axis."""
    return f"{day.month:02d}/{day.year}"


def trend_frame(trends: Trends, lines: Sequence[UnitTrend]) -> pd.DataFrame:
    """One row per line × month: the rate in per cent (empty in a month without a task: the line
    breaks there rather than drop to 0), the tasks behind it for the tooltip."""
    data = [
        {
            "month": month_label(period.date_from),
            "unit": line.unit_name,
            "rate": None if figure.rate is None else round(figure.rate * 100, 1),
            "on_time": figure.on_time,
            "tasks": figure.total,
        }
        for line in lines
        for period, figure in zip(trends.months, line.figures, strict=True)
    ]
    return pd.DataFrame(data, columns=["month", "unit", "rate", "on_time", "tasks"])


def trend_chart(trends: Trends, lines: Sequence[UnitTrend]) -> alt.Chart | None:
    """One line per chosen unit over the twelve months, Vietnamese axes and legend; None with no line."""
    if not lines:
        return None
    frame = trend_frame(trends, lines)
    months = [month_label(p.date_from) for p in trends.months]
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", sort=months, title="Tháng", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("rate:Q", title="Tỷ lệ hoàn thành đúng hạn (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "unit:N",
                sort=[line.unit_name for line in lines],
                legend=alt.Legend(title="Đơn vị", orient="bottom", columns=3, labelLimit=300),
            ),
            tooltip=[
                alt.Tooltip("unit:N", title="Đơn vị"),
                alt.Tooltip("month:O", title="Tháng"),
                alt.Tooltip("rate:Q", title="Tỷ lệ đúng hạn (%)", format=".1f"),
                alt.Tooltip("on_time:Q", title="Hoàn thành đúng hạn"),
                alt.Tooltip("tasks:Q", title="Tổng số nhiệm vụ"),
            ],
        )
        .properties(
            height=360,
            # what a screen reader says (Vega's own descriptions are English: switched off)
            description="Biểu đồ đường: tỷ lệ hoàn thành đúng hạn từng tháng trong 12 tháng gần nhất "
            "của các đơn vị đã chọn.",
        )
        .configure(aria=False)
    )
    return chart
