"""The charts of Giám sát, built from the public table (no task content, no person)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt

from models import TaskClass
from services.config.loader import AppConfig
from services.stats.statistics import StatisticsReport, UnitStats
from ui.format import chart_frame

# The point selection a click on a bar makes: the unit and the class of that bar (Giám sát opens
# the drill-down on them). Its name is the key of the selection in st.vega_lite_chart's state.
BAR_SELECTION = "chon_cot"
_LABEL_LIMIT = 420  # px: an axis label is cut only beyond this (the longest short names fit)


def unit_chart(
    report: StatisticsReport, config: AppConfig, rows: Sequence[UnitStats] | None = None
) -> alt.Chart | None:
    """Stacked bars, one per unit of ``rows`` (default: every unit of the table) in their order,
    coloured by class, the legend on top (read before 20 bars, not after them); the tooltip names
    the unit in full. A click selects the bar's (unit, class); None with no task."""
    frame = chart_frame(report, config, rows)
    if frame.empty:
        return None
    classes = list(TaskClass)
    order = list(dict.fromkeys(frame["unit_name"]))  # the rows' order (the frame keeps it)
    clicked = alt.selection_point(name=BAR_SELECTION, fields=["unit_id", "task_class"], on="click")
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar(cursor="pointer")
        .encode(
            y=alt.Y(
                "unit_name:N",
                sort=order,
                title=None,
                axis=alt.Axis(labelLimit=_LABEL_LIMIT, labelFontSize=12),
            ),
            x=alt.X("sum(tasks):Q", title="Số nhiệm vụ", axis=alt.Axis(tickMinStep=1, orient="top")),
            color=alt.Color(
                "class_label:N",
                scale=alt.Scale(
                    domain=[config.class_label(c) for c in classes],
                    range=[config.app.task_classes[c].color for c in classes],
                ),
                legend=alt.Legend(orient="top", title=None, labelLimit=300, direction="horizontal"),
            ),
            order=alt.Order("class_order:Q"),
            # what a click selects: kept through the aggregation (sum of tasks) by grouping on them
            detail=[alt.Detail("unit_id:Q"), alt.Detail("task_class:N")],
            tooltip=[
                alt.Tooltip("full_name:N", title="Đơn vị"),
                alt.Tooltip("class_label:N", title="Nhóm"),
                alt.Tooltip("tasks:Q", title="Số nhiệm vụ"),
            ],
        )
        .add_params(clicked)
        .properties(height=alt.Step(28))  # 28 px per unit, whatever the number of units
    )
    return chart
