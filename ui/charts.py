"""The charts of Giám sát, built from the public table (no task content, no person)."""

from __future__ import annotations

import altair as alt

from models import TaskClass
from services.config.loader import AppConfig
from services.stats.statistics import StatisticsReport
from ui.format import chart_frame


def unit_chart(report: StatisticsReport, config: AppConfig) -> alt.Chart | None:
    """Stacked bars, one per unit in the table's order, coloured by class; None with no task."""
    frame = chart_frame(report, config)
    if frame.empty:
        return None
    classes = list(TaskClass)
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("unit_name:N", sort=[s.unit_name for s in report.rows], title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("sum(tasks):Q", title="Số nhiệm vụ", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "class_label:N",
                scale=alt.Scale(
                    domain=[config.class_label(c) for c in classes],
                    range=[config.app.task_classes[c].color for c in classes],
                ),
                legend=alt.Legend(orient="bottom", title=None, labelLimit=300),
            ),
            order=alt.Order("class_order:Q"),
            tooltip=[
                alt.Tooltip("unit_name:N", title="Đơn vị"),
                alt.Tooltip("class_label:N", title="Nhóm"),
                alt.Tooltip("tasks:Q", title="Số nhiệm vụ"),
            ],
        )
        .properties(height=alt.Step(32))  # 32 px per unit, whatever the number of units
    )
    return chart
