"""The charts of Giám sát: the report's chart (``services.reports.chart``) with the click
selection the page opens its drill-down on."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt

from services.config.loader import AppConfig
from services.reports.chart import unit_chart as report_chart
from services.stats.statistics import StatisticsReport, UnitStats

# The point selection a click on a bar makes: the unit and the class of that bar (Giám sát opens
# the drill-down on them). Its name is the key of the selection in st.vega_lite_chart's state.
BAR_SELECTION = "chon_cot"


def unit_chart(
    report: StatisticsReport, config: AppConfig, rows: Sequence[UnitStats] | None = None
) -> alt.Chart | None:
    """The report's chart of ``rows``; a click selects the bar's (unit, class). None with no task."""
    return report_chart(report, config, rows, selection=BAR_SELECTION)
