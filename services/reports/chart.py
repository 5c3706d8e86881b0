"""The chart of the official table (stacked bars per unit, coloured by class), as an Altair spec
for the screen and rendered to PNG or SVG for the reports and the public page.

Built from the public table only (no task content, no person). The screen's click selection is a
page concern: ``unit_chart(..., selection=name)`` adds it; the files never carry one.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from models import TaskClass
from services.config.loader import AppConfig
from services.stats.statistics import StatisticsReport, UnitStats

_LABEL_LIMIT = 420  # px: an axis label is cut only beyond this (the longest short names fit)
_FILE_WIDTH = 640  # px: the chart's bars in a file (the screen stretches it to its column)


def chart_frame(report: StatisticsReport, config: AppConfig, rows: Sequence[UnitStats] | None = None) -> pd.DataFrame:
    """Long format for the stacked bar chart: unit × class → count (``rows``: the units drawn, in
    their order). ``unit_name`` is the axis' label, the short name made unique (two units may share
    one); ``full_name`` is the tooltip's; ``unit_id`` and ``task_class`` are what a click selects."""
    units = list(report.rows if rows is None else rows)
    seen: dict[str, int] = {}
    for s in units:
        seen[s.unit_name] = seen.get(s.unit_name, 0) + 1
    labels = {
        s.unit_id: s.unit_name if seen[s.unit_name] == 1 else f"{s.unit_name} ({s.full_name or s.unit_id})"
        for s in units
    }
    data = [
        {
            "unit_id": s.unit_id,
            "unit_name": labels[s.unit_id],
            "full_name": s.full_name or s.unit_name,
            "task_class": c.value,
            "class_label": config.class_label(c),
            "class_order": order,
            "tasks": s.counts[c],
            # what a screen reader says of the bar (Vega's own text would be English)
            "spoken": f"{labels[s.unit_id]}: {config.class_label(c)}, {s.counts[c]} nhiệm vụ",
        }
        for s in units
        for order, c in enumerate(TaskClass)
        if s.counts[c]
    ]
    columns = ["unit_id", "unit_name", "full_name", "task_class", "class_label", "class_order", "tasks", "spoken"]
    return pd.DataFrame(data, columns=columns)


CHART_DESCRIPTION = (
    "Biểu đồ cột: số nhiệm vụ của từng đơn vị, chia theo nhóm hoàn thành và chưa hoàn thành, "
    "đúng hạn và quá hạn. Số liệu chi tiết ở biểu thống kê."
)


def unit_chart(
    report: StatisticsReport,
    config: AppConfig,
    rows: Sequence[UnitStats] | None = None,
    *,
    selection: str | None = None,
) -> alt.Chart | None:
    """Stacked bars, one per unit of ``rows`` (default: every unit of the table) in their order,
    coloured by class, the legend on top (read before 20 bars, not after them); the tooltip names
    the unit in full. ``selection``: the name of a point selection a click on a bar makes (its unit
    and class; Giám sát opens the drill-down on them). None with no task."""
    frame = chart_frame(report, config, rows)
    if frame.empty:
        return None
    classes = list(TaskClass)
    order = list(dict.fromkeys(frame["unit_name"]))  # the rows' order (the frame keeps it)
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar(cursor="pointer" if selection else "default")
        .encode(
            y=alt.Y(
                "unit_name:N",
                sort=order,
                title=None,
                axis=alt.Axis(labelLimit=_LABEL_LIMIT, labelFontSize=12, aria=False),
            ),
            x=alt.X("sum(tasks):Q", title="Số nhiệm vụ", axis=alt.Axis(tickMinStep=1, orient="top", aria=False)),
            color=alt.Color(
                "class_label:N",
                scale=alt.Scale(
                    domain=[config.class_label(c) for c in classes],
                    range=[config.app.task_classes[c].color for c in classes],
                ),
                legend=alt.Legend(orient="top", title=None, labelLimit=300, direction="horizontal", aria=False),
            ),
            order=alt.Order("class_order:Q"),
            # what a click selects: kept through the aggregation (sum of tasks) by grouping on them
            detail=[alt.Detail("unit_id:Q"), alt.Detail("task_class:N")],
            description=alt.Description("spoken:N"),
            tooltip=[
                alt.Tooltip("full_name:N", title="Đơn vị"),
                alt.Tooltip("class_label:N", title="Nhóm"),
                alt.Tooltip("tasks:Q", title="Số nhiệm vụ"),
            ],
        )
        .properties(
            height=alt.Step(28),  # 28 px per unit, whatever the number of units
            # what a screen reader says of the chart; its axes and legend are silent (Vega would
            # describe them in English, "X-axis titled …"), each bar says its unit, class and count
            description=CHART_DESCRIPTION,
        )
    )
    if selection:
        chart = chart.add_params(alt.selection_point(name=selection, fields=["unit_id", "task_class"], on="click"))
    return chart


def _file_spec(
    report: StatisticsReport, config: AppConfig, rows: Sequence[UnitStats] | None, title: str | None
) -> str | None:
    """The chart as a file draws it: a fixed width, a white background, an optional title."""
    chart = unit_chart(report, config, rows)
    if chart is None:
        return None
    chart = chart.properties(width=_FILE_WIDTH, background="white")
    if title:
        chart = chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=14))
    return chart.to_json()


def chart_png(
    report: StatisticsReport,
    config: AppConfig,
    rows: Sequence[UnitStats] | None = None,
    *,
    title: str | None = None,
    scale: float = 2,
) -> bytes | None:
    """The chart as a PNG (``scale`` 2: sharp when printed), rendered without a browser by
    vl-convert with the system's fonts (DejaVu, Liberation: the Vietnamese letters). None with no task."""
    import vl_convert as vlc

    spec = _file_spec(report, config, rows, title)
    return None if spec is None else bytes(vlc.vegalite_to_png(spec, scale=scale))


def chart_svg(
    report: StatisticsReport, config: AppConfig, rows: Sequence[UnitStats] | None = None, *, title: str | None = None
) -> str | None:
    """The chart as SVG (the public page draws it with no script). None with no task."""
    import vl_convert as vlc

    spec = _file_spec(report, config, rows, title)
    return None if spec is None else str(vlc.vegalite_to_svg(spec))
