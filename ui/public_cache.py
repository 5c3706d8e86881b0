"""The public statistics table, cached per period and per data version.

The official table is public (everybody who opens Giám sát sees the same figures), so one
process computes it once per (period, data version) for all its viewers. Every write that can
change a figure bumps the data version in its own transaction (``services.infra.data_version``),
so the first page run after a change, in any server process, asks for a key nobody has computed
yet: nothing stale is shown. Per-user lists are never cached here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from sqlmodel import Session

from services.infra.data_version import current_data_version
from services.stats import statistics as stats
from ui.charts import unit_chart
from ui.runtime import db, runtime


@st.cache_data(max_entries=64, show_spinner=False)
def _public_table(database: str, date_from: date, date_to: date, as_of: date, version: int) -> stats.StatisticsReport:
    """``database`` and ``version`` only key the cache (a test process opens several databases)."""
    with db() as session:
        return stats.unit_statistics(session=session, period=stats.Period(date_from, date_to, as_of))


@st.cache_data(max_entries=64, show_spinner=False)
def _public_chart(database: str, date_from: date, date_to: date, as_of: date, version: int) -> dict[str, Any] | None:
    """The chart's Vega-Lite spec, validated once per (period, data version) rather than on each run
    (Altair's schema check was a sixth of a page run)."""
    report = _public_table(database, date_from, date_to, as_of, version)
    chart = unit_chart(report, runtime().config)
    return None if chart is None else chart.to_dict()


def data_version(session: Session) -> int:
    return current_data_version(session=session)


def public_chart(period: stats.Period, version: int) -> dict[str, Any] | None:
    """The chart of ``public_table(period, version)`` as a Vega-Lite spec; None with no task."""
    database = runtime().engine.url.render_as_string(hide_password=True)
    return _public_chart(database, period.date_from, period.date_to, period.as_of, version)


def public_table(period: stats.Period, version: int) -> stats.StatisticsReport:
    """The official table of ``period`` as of data version ``version`` (read by the caller)."""
    database = runtime().engine.url.render_as_string(hide_password=True)
    return _public_table(database, period.date_from, period.date_to, period.as_of, version)
