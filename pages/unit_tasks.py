"""Nhiệm vụ của đơn vị — a unit's tasks (VP UBND: any unit's, or every unit's), overdue first, a page
at a time, with search (accents ignored)."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from models import Permission, TaskClass
from services.infra.errors import ServiceError
from services.org.units import assignable_units, unit_search_text
from services.stats.rows import TaskRow
from services.stats.statistics import RowPage
from services.tasks.queries import (
    ClosedTaskPage,
    UnitTaskPage,
    closed_unit_tasks,
    coordinated_tasks,
    routed_tasks,
    unit_task_page,
)
from ui.custom_fields import column_choice, custom_columns, file_columns, value_filter  # issue 10
from ui.downloads import every_row, list_csv_button
from ui.format import md_escape
from ui.pickers import matches_first, unit_search
from ui.runtime import config, db, require_actor, today
from ui.task_list import closed_task_list, first_page, paged_task_list, task_list
from ui.url_state import init_from_url, parse_url_int, write_to_url

actor = require_actor()
cfg = config()
st.title("Nhiệm vụ của đơn vị")

unit_id = actor.unit_id
if actor.can(Permission.TASKS_VIEW_ALL):
    with db() as session:
        units = assignable_units(session=session)
    names: dict[int, str] = {u.id: u.short_name for u in units if u.id is not None}
    ids = list(names)
    # 0 is "Tất cả đơn vị", first and the default: VP UBND watches the province, then one unit
    init_from_url("unit_tasks_unit", "unit", 0, parse_url_int)
    if st.session_state.unit_tasks_unit not in names:
        st.session_state.unit_tasks_unit = 0
    pick, find = st.columns([2, 1])
    found = unit_search(  # "tai chinh" finds Sở Tài chính and shows its tasks
        "unit_tasks_find",
        {u.id: unit_search_text(u) for u in units if u.id is not None},
        names,
        where=find,
        picker="unit_tasks_unit",
        then=lambda: first_page("unit_tasks"),  # another unit: its list from page 1
        serves="danh sách “Đơn vị”",
    )
    unit_id = pick.selectbox(
        "Đơn vị",
        [0, *matches_first(ids, found)],
        format_func=lambda u: names.get(u, "Tất cả đơn vị"),
        key="unit_tasks_unit",
        on_change=first_page,
        args=("unit_tasks",),
    )
    write_to_url("unit_tasks_unit", "unit", str(unit_id))
else:
    st.caption(md_escape(actor.unit_name))

c1, c2 = st.columns([3, 1])
init_from_url("unit_tasks_q", "q", "", str)
init_from_url("unit_tasks_done", "done", True, lambda raw: raw != "0")
query = c1.text_input(
    "Tìm theo số văn bản, trích yếu, nội dung", key="unit_tasks_q", on_change=first_page, args=("unit_tasks",)
)
include_done = c2.toggle(
    "Hiện nhiệm vụ đã hoàn thành", key="unit_tasks_done", on_change=first_page, args=("unit_tasks",)
)
# trường tùy chỉnh (issue 10): a choice or yes/no filter, and columns; both in the URL
only = value_filter(actor, key="unit_tasks_custom", on_change=lambda: first_page("unit_tasks"))
chosen_fields = column_choice(actor, key="unit_tasks_columns")
extra = custom_columns(actor, chosen_fields)  # looked up for the rows of the page shown only
write_to_url("unit_tasks_q", "q", query)
write_to_url("unit_tasks_done", "done", "1" if include_done else "0")

every_unit = unit_id == 0  # "Tất cả đơn vị" (VP UBND and the admin)
pages: list[UnitTaskPage] = []


def fetch(page: int, per_page: int) -> RowPage:
    """One page of the list, sorted and cut by the database; its figures come with it."""
    with db() as session:
        result = unit_task_page(
            session=session,
            actor=actor,
            today=today(),
            due_soon_days=cfg.app.due_soon_days,
            unit_id=None if every_unit else unit_id,
            all_units=every_unit,
            query=query,
            include_done=include_done,
            page=page,
            per_page=per_page,
            only=only,
        )
    pages.append(result)
    return result.rows


def fetch_closed(page: int, per_page: int) -> ClosedTaskPage:
    with db() as session:
        return closed_unit_tasks(
            session=session,
            actor=actor,
            today=today(),
            unit_id=None if every_unit else unit_id,
            all_units=every_unit,
            page=page,
            per_page=per_page,
        )


def fetch_for_file(session: Session) -> list[TaskRow]:
    """Every row of the list as filtered now (its CSV), for this viewer."""

    def page_of(page: int, per_page: int) -> RowPage:
        return unit_task_page(
            session=session,
            actor=actor,
            today=today(),
            due_soon_days=cfg.app.due_soon_days,
            unit_id=None if every_unit else unit_id,
            all_units=every_unit,
            query=query,
            include_done=include_done,
            page=page,
            per_page=per_page,
            only=only,
        ).rows

    return every_row(page_of)


metrics = st.columns(4)  # above the list, filled once the list's page (and its figures) is read
try:
    paged_task_list(fetch, cfg, key="unit_tasks", page_param="page", per_page_param="per_page", extra=extra)
    list_csv_button(
        st.container(),
        fetch_for_file,
        cfg,
        file_name="nhiem-vu-cua-don-vi.csv",
        key="unit_tasks_csv",
        extra=file_columns(actor, chosen_fields),
    )
    with db() as session:
        routed = (
            []
            if actor.at_office
            else routed_tasks(session=session, actor=actor, today=today(), due_soon_days=cfg.app.due_soon_days)
        )
        coordinated = (
            []
            if actor.at_office
            else coordinated_tasks(session=session, actor=actor, today=today(), due_soon_days=cfg.app.due_soon_days)
        )
except ServiceError as exc:
    st.error(md_escape(exc.message))
    st.stop()

counts = pages[-1].counts
metrics[0].metric("Đang thực hiện", counts.open)
metrics[1].metric("Quá hạn", counts.counts[TaskClass.OPEN_OVERDUE])
metrics[2].metric("Sắp đến hạn", counts.due_soon)
metrics[3].metric("Chờ xác nhận", counts.awaiting)

if routed:
    st.subheader("Nhiệm vụ đơn vị cấp trên chuyển đến (liên thông nội bộ)")
    task_list(routed, cfg, key="routed")

if coordinated:
    st.subheader("Nhiệm vụ đơn vị phối hợp (chỉ xem)")
    task_list(coordinated, cfg, key="coordinated")

# Closed tasks count for nobody and are in no list above; the văn thư still opens one to file it away.
if not query.strip() and fetch_closed(1, 1).total:
    with st.expander("Nhiệm vụ đã đóng (thu hồi, không đúng đơn vị, thay thế)"):
        closed_task_list(fetch_closed, cfg, key="unit_tasks_closed")
