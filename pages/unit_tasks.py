"""Nhiệm vụ của đơn vị — a unit's tasks, overdue first, with search (accents ignored)."""

from __future__ import annotations

import streamlit as st

from models import Permission, TaskClass
from services.infra.errors import ServiceError
from services.org.units import assignable_units, unit_search_text
from services.tasks.queries import coordinated_tasks, list_unit_tasks, routed_tasks
from ui.format import md_escape
from ui.pickers import matches_first, unit_search
from ui.runtime import config, db, require_actor, today
from ui.task_list import task_list
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
    init_from_url("unit_tasks_unit", "unit", ids[0], parse_url_int)
    if st.session_state.unit_tasks_unit not in names:
        st.session_state.unit_tasks_unit = ids[0]
    pick, find = st.columns([2, 1])
    found = unit_search(  # "tai chinh" finds Sở Tài chính and shows its tasks
        "unit_tasks_find",
        {u.id: unit_search_text(u) for u in units if u.id is not None},
        names,
        where=find,
        picker="unit_tasks_unit",
        serves="danh sách “Đơn vị”",
    )
    unit_id = pick.selectbox("Đơn vị", matches_first(ids, found), format_func=lambda u: names[u], key="unit_tasks_unit")
    write_to_url("unit_tasks_unit", "unit", str(unit_id))
else:
    st.caption(md_escape(actor.unit_name))

c1, c2 = st.columns([3, 1])
init_from_url("unit_tasks_q", "q", "", str)
init_from_url("unit_tasks_done", "done", True, lambda raw: raw != "0")
query = c1.text_input("Tìm theo số văn bản, trích yếu, nội dung", key="unit_tasks_q")
include_done = c2.toggle("Hiện nhiệm vụ đã hoàn thành", key="unit_tasks_done")
write_to_url("unit_tasks_q", "q", query)
write_to_url("unit_tasks_done", "done", "1" if include_done else "0")

try:
    with db() as session:
        rows = list_unit_tasks(
            session=session,
            actor=actor,
            today=today(),
            due_soon_days=cfg.app.due_soon_days,
            unit_id=unit_id,
            query=query,
            include_done=include_done,
        )
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

m1, m2, m3, m4 = st.columns(4)
m1.metric("Đang thực hiện", sum(1 for r in rows if not r.state.is_done))
m2.metric("Quá hạn", sum(1 for r in rows if r.state.task_class is TaskClass.OPEN_OVERDUE))
m3.metric("Sắp đến hạn", sum(1 for r in rows if r.due_soon))
m4.metric("Chờ xác nhận", sum(1 for r in rows if r.state.awaiting_confirmation))

task_list(rows, cfg, key="unit_tasks")

if routed:
    st.subheader("Nhiệm vụ đơn vị cấp trên chuyển đến (liên thông nội bộ)")
    task_list(routed, cfg, key="routed")

if coordinated:
    st.subheader("Nhiệm vụ đơn vị phối hợp (chỉ xem)")
    task_list(coordinated, cfg, key="coordinated")
