"""Giám sát công việc — per-unit statistics, chart, overdue list and drill-down to tasks (with the
custom fields the role sees as optional columns and a filter of both lists, issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st
from sqlmodel import Session

from models import PeriodPreset, TaskClass
from services.infra.clock import fmt_date
from services.infra.errors import InvalidInput, ServiceError
from services.org.units import unit_search_texts
from services.stats.presets import parse_preset, preset_dates
from services.stats.rows import TaskRow
from services.stats.statistics import (
    Dashboard,
    RowPage,
    TableOrder,
    dashboard,
    fmt_percent,
    make_period,
    ordered_rows,
)
from services.tasks.queries import figure_page_holding
from ui.charts import BAR_SELECTION
from ui.custom_fields import column_choice, custom_columns, file_columns, value_filter
from ui.downloads import every_row, file_stem, list_csv_button, plugin_report_buttons, report_buttons
from ui.format import STATS_COLUMNS, fmt_count, md_escape
from ui.pickers import matches_first, unit_search
from ui.print_css import print_stylesheet
from ui.public_cache import data_version, public_chart, public_table, public_table_view
from ui.runtime import config, db, require_actor, today
from ui.task_list import first_page, paged_task_list
from ui.url_state import init_from_url, parse_url_date, parse_url_int, write_to_url

actor = require_actor()
cfg = config()
# On paper (A4 landscape): the figures, the whole table and the chart; no control, no task list.
print_stylesheet(
    screen_only=(
        "monitor-table-controls",
        "monitor-grid",
        "monitor-chart-controls",
        "monitor-chart-hint",
        "monitor-lists",
        "monitor-downloads",
    ),
    print_only=("monitor-print-table",),
)
st.title("Giám sát công việc")


now = today()
init_from_url("monitor_from", "from", date(now.year, 1, 1), parse_url_date)
init_from_url("monitor_to", "to", now, parse_url_date)
# A named period ("Kỳ báo cáo", ?ky=quy-1): its dates are computed for today, so a link shows the
# same named period whenever it is opened. A name from an old or hand-edited link is said, and the
# default period shown.
_PRESET, _PRESET_SHOWN = "monitor_ky", "monitor_ky_shown"
asked_preset = st.query_params.get("ky")
if asked_preset and asked_preset != st.session_state.get(f"_url_written_{_PRESET}"):
    try:
        preset = parse_preset(asked_preset)
    except InvalidInput as exc:
        st.warning(md_escape(exc.message) + " Đang xem kỳ mặc định (từ đầu năm đến hôm nay).")
        st.session_state[_PRESET] = ""
        st.session_state.monitor_from, st.session_state.monitor_to = date(now.year, 1, 1), now
    else:
        st.session_state[_PRESET] = preset.value
        st.session_state.monitor_from, st.session_state.monitor_to = preset_dates(preset, today=now)
    st.session_state[_PRESET_SHOWN] = st.session_state[_PRESET]
    st.session_state[f"_url_written_{_PRESET}"] = asked_preset
st.session_state.setdefault(_PRESET, "")


def apply_preset() -> None:
    """On "Xem thống kê": a newly chosen period fills the dates; dates changed by hand under a
    named period make it "Tùy chọn" (the dates win)."""
    chosen = st.session_state[_PRESET]
    if chosen and chosen != st.session_state.get(_PRESET_SHOWN):
        st.session_state.monitor_from, st.session_state.monitor_to = preset_dates(PeriodPreset(chosen), today=now)
    elif chosen and preset_dates(PeriodPreset(chosen), today=now) != (
        st.session_state.monitor_from,
        st.session_state.monitor_to,
    ):
        st.session_state[_PRESET] = ""
    st.session_state[_PRESET_SHOWN] = st.session_state[_PRESET]


with st.form("period"):
    c0, c1, c2, c3 = st.columns([1.2, 1, 1, 1])
    c0.selectbox(
        "Kỳ báo cáo",
        ["", *(p.value for p in PeriodPreset)],
        format_func=lambda v: cfg.app.period_presets[PeriodPreset(v)] if v else "Tùy chọn (theo ngày)",
        key=_PRESET,
    )
    c1.date_input("Từ ngày", format="DD/MM/YYYY", key="monitor_from")
    c2.date_input("Đến ngày", format="DD/MM/YYYY", key="monitor_to")
    c3.write("")
    c3.form_submit_button("Xem thống kê", type="primary", on_click=apply_preset)
date_from: date = st.session_state.monitor_from
date_to: date = st.session_state.monitor_to
write_to_url("monitor_from", "from", date_from.isoformat())
write_to_url("monitor_to", "to", date_to.isoformat())
if st.session_state[_PRESET]:
    write_to_url(_PRESET, "ky", st.session_state[_PRESET])
elif "ky" in st.query_params:
    del st.query_params["ky"]

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
preset_label = (
    f"{cfg.app.period_presets[PeriodPreset(st.session_state[_PRESET])]} " if st.session_state[_PRESET] else ""
)
st.caption(
    f"Kỳ báo cáo {preset_label}{fmt_date(period.date_from)} – {fmt_date(period.date_to)}; số liệu tính đến ngày "
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

# --- the official table: what matters first, a click opens the tasks behind a figure ---------------

ORDER_LABELS = {
    TableOrder.OVERDUE: "Chưa hoàn thành quá hạn (nhiều nhất trước)",
    TableOrder.TOTAL: "Tổng số nhiệm vụ (nhiều nhất trước)",
    TableOrder.DOCUMENTS: "Tổng số văn bản (nhiều nhất trước)",
    TableOrder.DONE_ON_TIME: "Đã hoàn thành đúng hạn (nhiều nhất trước)",
    TableOrder.DONE_LATE: "Đã hoàn thành quá hạn (nhiều nhất trước)",
    TableOrder.OPEN_ON_TIME: "Chưa hoàn thành trong hạn (nhiều nhất trước)",
    TableOrder.RATE: "Tỷ lệ hoàn thành đúng hạn (thấp nhất trước)",
    TableOrder.RATE_DESC: "Tỷ lệ hoàn thành đúng hạn (cao nhất trước)",
    TableOrder.NAME: "Tên cơ quan (A–Z)",
    TableOrder.ORG: "Thứ tự trong danh mục đơn vị",
}
# the class of each figure column of the table (a click there opens that class; elsewhere: all)
COLUMN_CLASS = dict(zip(STATS_COLUMNS[4:8], TaskClass, strict=True))
_ROW_PX = 35  # st.dataframe's header height
_GRID_ROWS = 15  # lines in sight; the rest scroll inside the grid, not down the page
_DRILL = "monitor_drill"  # how many clicks opened the drill-down: each owes a scroll to it
_DRILL_SHOWN = "monitor_drill_shown"
DRILL_ANCHOR = "xem-chi-tiet"
# Constant (no user text): brings the drill-down into view after a click far above it. The click
# number makes each one a new element, so its script runs again.
_SCROLL_TO_DRILL = (
    '<span data-click="{click}"></span><script>setTimeout(() => document.getElementById('
    f'"{DRILL_ANCHOR}")?.scrollIntoView({{{{behavior: "smooth", block: "start"}}}}), 200)</script>'
)
_CHART_CLICKS = "monitor_chart_clicks"


def open_drill_down(unit_id: int, task_class: str) -> None:
    """A click on the table or the chart: the drill-down on that unit (0: all) and class ("" all),
    from its first page, and the page scrolled to it. A unit whose lists the viewer may not open
    (another unit's, for a unit's staff) is refused with a notice; the drill-down stays as it was."""
    allowed = st.session_state.get("monitor_lists_unit")
    if allowed is not None and unit_id != allowed:
        st.toast("Bạn chỉ xem được danh sách nhiệm vụ của đơn vị mình.", icon=":material/lock:")
        return
    st.session_state.drill_unit = unit_id
    st.session_state.drill_class = task_class
    first_page("drill")
    st.session_state[_DRILL] = st.session_state.get(_DRILL, 0) + 1


def clicked_cell() -> None:
    """on_select of the table's grid: the cell's unit and (a figure column) class."""
    cells = st.session_state["monitor_table"]["selection"]["cells"]
    units: tuple[int, ...] = st.session_state.get("monitor_grid_units", ())
    # the selection is cleared, so clicking the same cell again (after the drop-downs moved) acts
    st.session_state["monitor_table"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    if cells and cells[0][0] < len(units):
        row, column = cells[0]
        task_class = COLUMN_CLASS.get(column)
        open_drill_down(units[row], "" if task_class is None else task_class.value)


def clicked_bar() -> None:
    """on_select of the chart: the bar's unit and class. The chart is drawn again under a new key
    (its selection cannot be cleared otherwise), so the same bar can be clicked again."""
    key = f"monitor_chart_{st.session_state.get(_CHART_CLICKS, 0)}"
    points = st.session_state[key]["selection"].get(BAR_SELECTION, [])
    st.session_state[_CHART_CLICKS] = st.session_state.get(_CHART_CLICKS, 0) + 1
    if points:
        open_drill_down(int(points[0]["unit_id"]), TaskClass(points[0]["task_class"]).value)


st.subheader("Biểu thống kê theo đơn vị")
init_from_url("monitor_sort", "sort", TableOrder.OVERDUE, TableOrder)
with st.container(key="monitor-table-controls"):
    chosen = st.selectbox("Sắp xếp theo", list(TableOrder), format_func=ORDER_LABELS.__getitem__, key="monitor_sort")
order = TableOrder.OVERDUE if chosen is None else chosen
write_to_url("monitor_sort", "sort", order.value)
view = public_table_view(period, version, order)  # sorted and built once per version and order
st.session_state["monitor_grid_units"] = view.unit_ids
st.session_state["monitor_lists_unit"] = board.lists_unit
count = fmt_count(len(view.unit_ids) - 1)
number = st.column_config.NumberColumn
with st.container(key="monitor-grid"):
    st.dataframe(
        view.screen,
        hide_index=True,
        height=min(len(view.unit_ids), _GRID_ROWS) * view.row_height + _ROW_PX + 3,
        row_height=view.row_height,
        on_select=clicked_cell,
        selection_mode="single-cell",
        key="monitor_table",
        column_config={
            # the figures' headers short (their full names in the help), so the whole table fits
            # the main column of a 1 440-pixel screen (not pinned: a pinned column's text is grey)
            "STT": st.column_config.TextColumn(width=40),
            "Cơ quan thực hiện": st.column_config.TextColumn(width=view.name_width),
            "Tổng số văn bản": number("Văn bản", help="Tổng số văn bản", width=66),
            "Tổng số nhiệm vụ": number("Nhiệm vụ", help="Tổng số nhiệm vụ", width=74),
            "Đã hoàn thành — Đúng hạn": number("Đã HT đúng hạn", help="Đã hoàn thành — Đúng hạn", width=108),
            "Đã hoàn thành — Quá hạn": number("Đã HT quá hạn", help="Đã hoàn thành — Quá hạn", width=102),
            "Chưa hoàn thành — Trong hạn": number("Chưa HT trong hạn", help="Chưa hoàn thành — Trong hạn", width=124),
            "Chưa hoàn thành — Quá hạn": number("Chưa HT quá hạn", help="Chưa hoàn thành — Quá hạn", width=114),
            "Tỷ lệ hoàn thành đúng hạn": st.column_config.TextColumn(
                "Tỷ lệ đúng hạn", help="Tỷ lệ hoàn thành đúng hạn", width=104, alignment="right"
            ),
        },
    )
    st.caption(
        f"{count} đơn vị có nhiệm vụ trong kỳ; dòng đầu là Tổng cộng. Bấm vào một ô để xem các nhiệm vụ của "
        "đơn vị đó (ô của một nhóm: chỉ nhóm đó) ở mục Xem chi tiết số liệu. HT: hoàn thành."
    )
with st.container(key="monitor-print-table"):  # on paper: every line, the total last
    st.table(view.printed, hide_index=True)
with st.container(key="monitor-downloads", horizontal=True):  # the table's files, built when asked
    here = st.container(horizontal=True)
    report_buttons(
        [here, here, here],
        report,
        cfg,
        today=now,
        rows=ordered_rows(report, order),
        key="monitor_report",
    )
    plugin_report_buttons(here, report, cfg, today=now, key="monitor_report")  # Phần mở rộng's formats

limit = cfg.app.monitor_chart_units
if len(view.unit_ids) > 1:
    st.subheader("Biểu đồ theo đơn vị")
    show_all = False
    if len(view.unit_ids) - 1 > limit:
        init_from_url("monitor_chart_all", "chart", False, lambda raw: raw == "all")
        with st.container(key="monitor-chart-controls"):
            show_all = st.toggle("Hiện tất cả đơn vị", key="monitor_chart_all")
        write_to_url("monitor_chart_all", "chart", "all" if show_all else "")
    chart = public_chart(period, version, limit=None if show_all else limit)
    if chart is not None:
        if chart.left_out:
            st.caption(
                f"{chart.units} đơn vị có nhiều nhiệm vụ quá hạn nhất; {fmt_count(chart.left_out)} đơn vị khác "
                "ở biểu thống kê trên, hoặc bật “Hiện tất cả đơn vị”."
            )
        st.vega_lite_chart(
            spec=dict(chart.spec),
            width="stretch",
            on_select=clicked_bar,
            selection_mode=BAR_SELECTION,
            key=f"monitor_chart_{st.session_state.get(_CHART_CLICKS, 0)}",
        )
        st.container(key="monitor-chart-hint").caption("Bấm vào một cột để xem các nhiệm vụ của đơn vị và nhóm đó.")

# The task lists are per user and read at every run; they are not printed (the report on paper is the
# figures, the table and the chart).
lists = st.container(key="monitor-lists")


def lists_from_first_page() -> None:
    """A new custom field filter: both lists from their first page."""
    first_page("overdue")
    first_page("drill")


with lists:  # trường tùy chỉnh (issue 10): the same columns and filter for both lists, in the URL
    only = value_filter(actor, key="monitor_custom", on_change=lists_from_first_page)
    chosen_fields = column_choice(actor, key="monitor_columns")
    if chosen_fields or only is not None:
        st.caption("Cột bổ sung và bộ lọc theo trường tùy chỉnh dùng cho cả Nhiệm vụ quá hạn và Xem chi tiết số liệu.")
extra = custom_columns(actor, chosen_fields)  # looked up for the rows of the page shown only
file_extra = file_columns(actor, chosen_fields)
lists.subheader("Nhiệm vụ quá hạn" + ("" if board.lists_unit is None else f" của {actor.unit_name}"))


def page_in(session: Session, unit_id: int | None, task_class: TaskClass | None, page: int, per_page: int) -> RowPage:
    """A page of the figure's list; with a custom field's filter, of its tasks holding the value."""
    if only is not None:
        return figure_page_holding(
            session=session,
            board=board,
            due_soon_days=cfg.app.due_soon_days,
            only=only,
            unit_id=unit_id,
            task_class=task_class,
            page=page,
            per_page=per_page,
        )
    return board.figure_page(
        session=session,
        due_soon_days=cfg.app.due_soon_days,
        unit_id=unit_id,
        task_class=task_class,
        page=page,
        per_page=per_page,
    )


def page_of(unit_id: int | None, task_class: TaskClass | None) -> Callable[[int, int], RowPage]:
    def fetch(page: int, per_page: int) -> RowPage:
        with db() as session:
            return page_in(session, unit_id, task_class, page, per_page)

    return fetch


def all_of(unit_id: int | None, task_class: TaskClass | None) -> Callable[[Session], list[TaskRow]]:
    """Every row of a list (its CSV), read for this viewer when the button is pressed."""

    def fetch(session: Session) -> list[TaskRow]:
        if only is not None:
            return every_row(lambda page, per_page: page_in(session, unit_id, task_class, page, per_page))
        return board.figure_tasks(
            session=session, due_soon_days=cfg.app.due_soon_days, unit_id=unit_id, task_class=task_class
        )

    return fetch


with lists:
    paged_task_list(
        page_of(board.lists_unit, TaskClass.OPEN_OVERDUE),
        cfg,
        key="overdue",
        page_param="overdue_page",
        per_page_param="overdue_per_page",
        extra=extra,
    )
    list_csv_button(
        st.container(),
        all_of(board.lists_unit, TaskClass.OPEN_OVERDUE),
        cfg,
        file_name=file_stem(report, "nhiem-vu-qua-han") + ".csv",
        key="overdue_csv",
        extra=file_extra,
    )


@st.fragment
def drill_down(board: Dashboard, version: int) -> None:
    """Tasks behind any unit × class figure; reruns alone when its filters change (kept in the URL).

    A fragment rerun gets the arguments of the last full run: the table drawn at ``version``. If
    the data changed since, the whole page runs again, so the list adds up to the figure shown."""
    if not st.session_state.get(_IN_FULL_RUN) and moved_since(version):
        st.rerun(scope="app")
    st.subheader("Xem chi tiết số liệu", anchor=DRILL_ANCHOR)
    asked = st.session_state.get(_DRILL, 0)
    if asked != st.session_state.get(_DRILL_SHOWN, 0):  # a click on the table or the chart opened it
        st.session_state[_DRILL_SHOWN] = asked
        st.html(_SCROLL_TO_DRILL.format(click=asked), unsafe_allow_javascript=True)
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
    figure_caption = st.empty()
    figure_caption.caption(f"{figure} nhiệm vụ")  # the figure of the table this list opens
    try:
        shown = paged_task_list(
            page_of(unit_id, class_choice), cfg, key="drill", page_param="page", per_page_param="per_page", extra=extra
        )
    except ServiceError as exc:
        st.error(exc.message)
        return
    if only is not None:  # a custom field's filter: the part of the figure that holds the value
        figure_caption.caption(f"{figure} nhiệm vụ, {shown.total} nhiệm vụ khớp bộ lọc trường tùy chỉnh")
    list_csv_button(
        st.container(),
        all_of(unit_id, class_choice),
        cfg,
        file_name=file_stem(board.report, "chi-tiet-so-lieu") + ".csv",
        key="drill_csv",
        extra=file_extra,
    )


with lists:
    st.session_state[_IN_FULL_RUN] = True
    drill_down(board, version)
    st.session_state[_IN_FULL_RUN] = False
if moved_since(version):
    st.rerun()
