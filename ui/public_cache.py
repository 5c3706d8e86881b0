"""The public statistics table, cached per period and per data version.

The official table is public (everybody who opens Giám sát sees the same figures), so one
process computes it once per (period, data version) for all its viewers. Every write that can
change a figure bumps the data version in its own transaction (``services.infra.data_version``),
so the first page run after a change, in any server process, asks for a key nobody has computed
yet: nothing stale is shown. Per-user lists are never cached here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlmodel import Session
from streamlit import dataframe_util

from services.infra.data_version import current_data_version
from services.stats import statistics as stats
from ui.charts import unit_chart
from ui.format import stats_table
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
    database: str, date_from: date, date_to: date, as_of: date, version: int, limit: int | None
) -> PublicChart | None:
    """The chart's Vega-Lite spec, validated once per (period, data version) rather than on each run
    (Altair's schema check was a sixth of a page run), its data already in Arrow (as st.vega_lite_chart
    would convert it on every run). ``limit``: only the units with the most overdue tasks."""
    report = _public_table(database, date_from, date_to, as_of, version)
    ranked = stats.ordered_rows(report, stats.TableOrder.OVERDUE)
    drawn = ranked if limit is None else ranked[:limit]
    chart = unit_chart(report, runtime().config, drawn)
    if chart is None:
        return None
    spec = chart.to_dict()
    spec["datasets"] = {
        name: dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame(values))
        for name, values in spec.get("datasets", {}).items()
    }
    return PublicChart(spec=MappingProxyType(spec), units=len(drawn), left_out=len(ranked) - len(drawn))


@dataclass(frozen=True)
class PublicChart:
    """The chart's spec (read only and shared: draw ``dict(spec)``, as Streamlit moves the datasets
    out of the spec it is given), how many units it draws, and how many of the table's it leaves out."""

    spec: MappingProxyType[str, Any]
    units: int
    left_out: int


@dataclass(frozen=True)
class TableView:
    """The official table in one order: the screen's grid (total row first, so it stays in sight
    while the units scroll) and the printed table (total row last, as the official form has it),
    and the unit of each line of the grid (0: the total row), which a click opens."""

    screen: pa.Table
    printed: pa.Table
    unit_ids: tuple[int, ...]
    name_width: int  # px: the "Cơ quan thực hiện" column, as wide as its longest name up to a limit
    row_height: int  # px: one line, or room for three when a name is longer than the column (wrapped)


# The grid's name column: the rest of a 1 440-pixel screen's main column once the figures have theirs
ROW_PX = 35  # st.dataframe's default row (and header) height
NAME_MAX_PX = 210
NAME_PAD_PX = 16
NAME_CHAR_PX = 7.6  # an average character of the grid's font
WRAP_ROW_PX = 66  # above 4rem Streamlit wraps a cell's text: up to three lines of a long name


@functools.lru_cache(maxsize=128)
def _table_view(
    database: str, date_from: date, date_to: date, as_of: date, version: int, order: stats.TableOrder
) -> TableView:
    report = _public_table(database, date_from, date_to, as_of, version)
    rows = stats.ordered_rows(report, order)
    longest = max((len(row.unit_name) for row in rows), default=0)
    return TableView(
        screen=stats_table(report, rows, total_first=True),
        printed=stats_table(report, rows),
        unit_ids=(0, *(row.unit_id for row in rows)),
        name_width=min(NAME_MAX_PX, max(150, NAME_PAD_PX + round(NAME_CHAR_PX * longest))),
        row_height=ROW_PX if NAME_PAD_PX + NAME_CHAR_PX * longest <= NAME_MAX_PX else WRAP_ROW_PX,
    )


def clear() -> None:
    """Forget every cached table and chart (tests that open a fresh database)."""
    _public_table.cache_clear()
    _public_chart.cache_clear()
    _table_view.cache_clear()


def data_version(session: Session) -> int:
    return current_data_version(session=session)


def _database() -> str:
    return runtime().engine.url.render_as_string(hide_password=True)


def public_chart(period: stats.Period, version: int, *, limit: int | None = None) -> PublicChart | None:
    """The chart of ``public_table(period, version)``: every unit, or (``limit``) the ones with the
    most overdue tasks; None with no task."""
    return _public_chart(_database(), period.date_from, period.date_to, period.as_of, version, limit)


def public_table(period: stats.Period, version: int) -> stats.StatisticsReport:
    """The official table of ``period`` as of data version ``version`` (read by the caller)."""
    return _public_table(_database(), period.date_from, period.date_to, period.as_of, version)


def public_table_view(period: stats.Period, version: int, order: stats.TableOrder) -> TableView:
    """``public_table`` in ``order``, as Arrow tables ready to draw (sorted and built once per
    period, data version and order, not on every run)."""
    return _table_view(_database(), period.date_from, period.date_to, period.as_of, version, order)
