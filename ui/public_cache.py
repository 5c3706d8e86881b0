"""The public statistics table, cached per period and per data version.

The official table is public (everybody who opens Giám sát sees the same figures), so one
process computes it once per (period, data version) for all its viewers. Every write that can
change a figure bumps the data version in its own transaction (``services.infra.data_version``),
so the first page run after a change, in any server process, asks for a key nobody has computed
yet: nothing stale is shown. Per-user lists are never cached here.
"""

from __future__ import annotations

import functools
from datetime import date
from types import MappingProxyType
from typing import Any

import pandas as pd
from sqlmodel import Session
from streamlit import dataframe_util

from services.infra.data_version import current_data_version
from services.stats import statistics as stats
from ui.charts import unit_chart
from ui.runtime import db, runtime

# functools.lru_cache rather than st.cache_data: st.cache_data copies (unpickles) its value on
# every call and inspects the function's signature each time, a tenth of a cached Giám sát run.
# The values here are only read, and the keys hold the data version, so sharing them is safe.


@functools.lru_cache(maxsize=64)
def _public_table(database: str, date_from: date, date_to: date, as_of: date, version: int) -> stats.StatisticsReport:
    """``database`` and ``version`` only key the cache (a test process opens several databases)."""
    with db() as session:
        return stats.unit_statistics(session=session, period=stats.Period(date_from, date_to, as_of))


@functools.lru_cache(maxsize=64)
def _public_chart(
    database: str, date_from: date, date_to: date, as_of: date, version: int
) -> MappingProxyType[str, Any] | None:
    """The chart's Vega-Lite spec, validated once per (period, data version) rather than on each run
    (Altair's schema check was a sixth of a page run), its data already in Arrow (as st.vega_lite_chart
    would convert it on every run)."""
    report = _public_table(database, date_from, date_to, as_of, version)
    chart = unit_chart(report, runtime().config)
    if chart is None:
        return None
    spec = chart.to_dict()
    spec["datasets"] = {
        name: dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame(values))
        for name, values in spec.get("datasets", {}).items()
    }
    return MappingProxyType(spec)


def clear() -> None:
    """Forget every cached table and chart (tests that open a fresh database)."""
    _public_table.cache_clear()
    _public_chart.cache_clear()


def data_version(session: Session) -> int:
    return current_data_version(session=session)


def public_chart(period: stats.Period, version: int) -> dict[str, Any] | None:
    """The chart of ``public_table(period, version)`` as a Vega-Lite spec (a copy of the top level:
    Streamlit moves the datasets out of the spec it is given); None with no task."""
    database = runtime().engine.url.render_as_string(hide_password=True)
    spec = _public_chart(database, period.date_from, period.date_to, period.as_of, version)
    return None if spec is None else dict(spec)


def public_table(period: stats.Period, version: int) -> stats.StatisticsReport:
    """The official table of ``period`` as of data version ``version`` (read by the caller)."""
    database = runtime().engine.url.render_as_string(hide_password=True)
    return _public_table(database, period.date_from, period.date_to, period.as_of, version)
