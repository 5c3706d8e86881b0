"""Xếp hạng và xu hướng — the units ranked by on-time rate for a period, and each unit's monthly
rate over the last twelve months (a unit user's own unit first)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import PeriodPreset, TaskClass
from services.infra.clock import fmt_date
from services.stats.presets import preset_dates
from services.stats.ranking import Ranking, rank_units
from services.stats.statistics import UnitStats, fmt_percent, make_period
from services.stats.trends import default_lines
from ui.public_cache import data_version, public_table
from ui.runtime import config, db, require_actor, today
from ui.trends import cached_trends, month_label, trend_chart
from ui.url_state import init_from_url, write_to_url

actor = require_actor()
cfg = config()
st.title("Xếp hạng và xu hướng")

now = today()
init_from_url("trends_preset", "ky", PeriodPreset.THIS_YEAR, PeriodPreset)
preset = st.selectbox(
    "Kỳ xếp hạng",
    list(PeriodPreset),
    format_func=lambda p: cfg.app.period_presets[p],
    key="trends_preset",
) or PeriodPreset.THIS_YEAR
write_to_url("trends_preset", "ky", preset.value)
date_from, date_to = preset_dates(preset, today=now)
period = make_period(date_from=date_from, date_to=date_to, today=now)

with db() as session:
    version = data_version(session)
report = public_table(period, version)  # Giám sát's table of the period (shared cache)
ranking: Ranking = rank_units(report, min_tasks=cfg.app.ranking_min_tasks)

# --- the ranking ---------------------------------------------------------------------------------

st.subheader("Xếp hạng đơn vị theo tỷ lệ hoàn thành đúng hạn")
st.caption(
    f"Kỳ {fmt_date(period.date_from)} – {fmt_date(period.date_to)}; số liệu tính đến ngày {fmt_date(period.as_of)}. "
    "Tỷ lệ = số nhiệm vụ hoàn thành đúng hạn / tổng số nhiệm vụ của kỳ (như Giám sát công việc). Cùng tỷ lệ: đơn vị ít "
    "nhiệm vụ chưa hoàn thành quá hạn hơn xếp trên, rồi đơn vị nhiều nhiệm vụ hơn. "
    f"Đơn vị cần ít nhất {ranking.min_tasks} nhiệm vụ trong kỳ để được xếp hạng."
)


def _frame(rows: list[tuple[str, UnitStats]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Hạng": [rank for rank, _ in rows],
            "Đơn vị": [row.unit_name for _, row in rows],
            "Tổng số nhiệm vụ": [row.total for _, row in rows],
            "Hoàn thành đúng hạn": [row.counts[TaskClass.DONE_ON_TIME] for _, row in rows],
            "Chưa hoàn thành quá hạn": [row.counts[TaskClass.OPEN_OVERDUE] for _, row in rows],
            "Tỷ lệ hoàn thành đúng hạn": [fmt_percent(row.rate) for _, row in rows],
        }
    )


if ranking.ranked:
    st.dataframe(_frame([(str(r.rank), r.stats) for r in ranking.ranked]), hide_index=True, key="trends_ranked")
else:
    st.info("Chưa có đơn vị nào đủ số nhiệm vụ để xếp hạng trong kỳ này.")
if ranking.unranked:
    st.markdown("**Chưa đủ số nhiệm vụ để xếp hạng**")
    st.caption(f"Đơn vị có dưới {ranking.min_tasks} nhiệm vụ trong kỳ, theo thứ tự danh mục đơn vị.")
    st.dataframe(_frame([("", u) for u in ranking.unranked]).drop(columns="Hạng"), hide_index=True)

# --- the trend -----------------------------------------------------------------------------------

trends = cached_trends(now, version)
st.subheader("Xu hướng 12 tháng")
st.caption(
    f"Tỷ lệ hoàn thành đúng hạn của từng tháng, từ {month_label(trends.months[0].date_from)} đến "
    f"{month_label(trends.months[-1].date_from)} (tháng này tính đến ngày {fmt_date(now)}); mỗi tháng là một kỳ "
    "báo cáo riêng. Tháng không có nhiệm vụ thì đường bị ngắt."
)
lines = {line.unit_id: line for line in (trends.total, *trends.units)}
if "trends_units" not in st.session_state:
    with db() as session:
        st.session_state.trends_units = default_lines(
            session=session,
            unit_id=None if actor.at_office else actor.unit_id,
            trends=trends,
            ranked=[r.stats.unit_id for r in ranking.ranked],
        )
else:  # a unit whose tasks left the twelve months (a new month began) is no longer offered
    st.session_state.trends_units = [uid for uid in st.session_state.trends_units if uid in lines]
chosen: list[int] = st.multiselect(
    "Đơn vị trên biểu đồ",
    list(lines),
    format_func=lambda uid: lines[uid].unit_name,
    key="trends_units",
    placeholder="Chọn đơn vị",
    select_all=False,  # Streamlit's "Select all" is English
)
chart = trend_chart(trends, [lines[uid] for uid in chosen])
if chart is None:
    st.info("Chọn ít nhất một đơn vị để xem xu hướng.")
else:
    st.altair_chart(chart, width="stretch")
