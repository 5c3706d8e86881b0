"""Giám sát công việc — per-unit statistics, chart, overdue list and drill-down to tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from models import TaskClass
from services.infra.clock import fmt_date
from services.infra.errors import ServiceError
from services.org.units import unit_search_texts
from services.stats.statistics import Dashboard, RowPage, dashboard, make_period
from ui.format import fmt_percent, stats_table
from ui.pickers import matches_first, unit_search
from ui.public_cache import data_version, public_chart, public_table
from ui.runtime import config, db, require_actor, today
from ui.task_list import first_page, paged_task_list
from ui.url_state import init_from_url, parse_url_date, parse_url_int, write_to_url

actor = require_actor()
cfg = config()
st.title("Giám sát công việc")


now = today()
init_from_url("monitor_from", "from", date(now.year, 1, 1), parse_url_date)
init_from_url("monitor_to", "to", now, parse_url_date)
with st.form("period"):
    c1, c2, c3 = st.columns([1, 1, 1])
    c1.date_input("Từ ngày", format="DD/MM/YYYY", key="monitor_from")
    c2.date_input("Đến ngày", format="DD/MM/YYYY", key="monitor_to")
    c3.write("")
    c3.form_submit_button("Xem thống kê", type="primary")
date_from: date = st.session_state.monitor_from
date_to: date = st.session_state.monitor_to
write_to_url("monitor_from", "from", date_from.isoformat())
write_to_url("monitor_to", "to", date_to.isoformat())

try:
    period = make_period(date_from=date_from, date_to=date_to, today=now)
except ServiceError as exc:
    st.error(exc.message)
    st.stop()



def read_version() -> int:
    with db() as session:
        return data_version(session)


_RERUNS = "monitor_version_reruns"
_IN_FULL_RUN = "monitor_full_run"


def moved_since(version: int) -> bool:
    """True when someone's write committed since ``version`` was read, and the page should run
    again; at most three times in a row (under a stream of writes the page shows its reading)."""
    if read_version() == version or st.session_state.get(_RERUNS, 0) >= 3:
        st.session_state[_RERUNS] = 0
        return False
    st.session_state[_RERUNS] = st.session_state.get(_RERUNS, 0) + 1
    return True


# The table comes from the cache of the data version read here; the lists are read as they are
# drawn. If anyone's write lands meanwhile (the version moved by the end of the run), the page
# runs again, so a list never disagrees with the figure shown next to it.
version = read_version()
table = public_table(period, version)  # computed (with its own connection) only once per version
with db() as session:
    board = dashboard(session=session, actor=actor, period=period, report=table)
report = board.report
st.caption(
    f"Kỳ báo cáo {fmt_date(period.date_from)} – {fmt_date(period.date_to)}; số liệu tính đến ngày "
    f"{fmt_date(period.as_of)}. Gồm nhiệm vụ giao trong kỳ và nhiệm vụ kỳ trước chuyển sang còn đang thực hiện; "
    "chỉ tính đơn vị chủ trì."
)

total = report.total
top = st.columns(3)
top[0].metric("Tổng số nhiệm vụ", total.total)
top[1].metric("Tỷ lệ hoàn thành đúng hạn", fmt_percent(total.rate))
top[2].metric("Đã trả lời, chờ xác nhận", total.awaiting_confirmation)
by_class = st.columns(4)
for column, task_class in zip(by_class, TaskClass, strict=True):
    column.metric(cfg.class_label(task_class), total.counts[task_class])

st.subheader("Biểu thống kê theo đơn vị")
st.table(stats_table(report), hide_index=True)

spec = public_chart(period, version)
if spec is not None:
    st.subheader("Biểu đồ theo đơn vị")
    st.vega_lite_chart(spec=spec, width="stretch")

st.subheader("Nhiệm vụ quá hạn" + ("" if board.lists_unit is None else f" của {actor.unit_name}"))


def page_of(unit_id: int | None, task_class: TaskClass | None) -> Callable[[int, int], RowPage]:
    def fetch(page: int, per_page: int) -> RowPage:
        with db() as session:
            return board.figure_page(
                session=session,
                due_soon_days=cfg.app.due_soon_days,
                unit_id=unit_id,
                task_class=task_class,
                page=page,
                per_page=per_page,
            )

    return fetch


paged_task_list(
    page_of(board.lists_unit, TaskClass.OPEN_OVERDUE),
    cfg,
    key="overdue",
    page_param="overdue_page",
    per_page_param="overdue_per_page",
)


@st.fragment
def drill_down(board: Dashboard, version: int) -> None:
    """Tasks behind any unit × class figure; reruns alone when its filters change (kept in the URL).

    A fragment rerun gets the arguments of the last full run: the table drawn at ``version``. If
    the data changed since, the whole page runs again, so the list adds up to the figure shown."""
    if not st.session_state.get(_IN_FULL_RUN) and moved_since(version):
        st.rerun(scope="app")
    st.subheader("Xem chi tiết số liệu")
    units = board.list_units()
    unit_options = [0, *units] if board.lists_unit is None else list(units)
    # "" is "every class": a None value would show Streamlit's placeholder, not "Tất cả"
    class_options = ["", *(c.value for c in TaskClass)]
    init_from_url("drill_unit", "unit", unit_options[0], parse_url_int)
    if st.session_state.drill_unit not in unit_options:  # a unit from an old link, or another unit's
        st.session_state.drill_unit = unit_options[0]
    init_from_url("drill_class", "class", "", lambda raw: TaskClass(raw).value if raw else "")
    if board.lists_unit is None:  # every unit offered: "tai chinh" finds Sở Tài chính
        with db() as session:
            texts = unit_search_texts(session=session)
        found = unit_search(
            "drill_find",
            {u: texts.get(u, name) for u, name in units.items()},
            units,
            where=st.columns(2)[0],
            picker="drill_unit",
            then=lambda: first_page("drill"),
            serves="danh sách “Đơn vị”",
        )
        unit_options = [0, *matches_first(list(units), found)]
    d1, d2 = st.columns(2)
    unit_choice: int = d1.selectbox(
        "Đơn vị",
        unit_options,
        format_func=lambda u: units.get(u, "Tất cả đơn vị"),
        key="drill_unit",
        on_change=first_page,
        args=("drill",),
    )
    class_value: str = d2.selectbox(
        "Nhóm",
        class_options,
        format_func=lambda c: cfg.class_label(TaskClass(c)) if c else "Tất cả",
        key="drill_class",
        on_change=first_page,
        args=("drill",),
    )
    class_choice = TaskClass(class_value) if class_value else None
    write_to_url("drill_unit", "unit", str(unit_choice))
    write_to_url("drill_class", "class", class_value)
    unit_id = unit_choice or None
    try:
        figure = board.figure(unit_id=unit_id, task_class=class_choice)
    except ServiceError as exc:
        st.error(exc.message)
        return
    st.caption(f"{figure} nhiệm vụ")  # the figure of the table this list opens
    try:
        paged_task_list(
            page_of(unit_id, class_choice), cfg, key="drill", page_param="page", per_page_param="per_page"
        )
    except ServiceError as exc:
        st.error(exc.message)

st.session_state[_IN_FULL_RUN] = True
drill_down(board, version)
st.session_state[_IN_FULL_RUN] = False
if moved_since(version):
    st.rerun()
