"""Thông báo — the person's notifications, newest first, each with a link to its task; "Đánh dấu đã
đọc" one by one or all at once. The services read and mark only the person's own."""

from __future__ import annotations

import streamlit as st

from services.infra.clock import fmt_datetime, now_utc
from services.infra.errors import ServiceError
from services.notifications.center import list_notifications, mark_all_read, mark_read
from ui.format import md_escape, shorten
from ui.runtime import config, db, require_actor

PER_PAGE = 30
MESSAGE_KEY = "notifications_message"

actor = require_actor()
st.title("Thông báo")
st.caption(
    "Nhiệm vụ mới giao cho đơn vị, bước xử lý đang chờ bạn, đôn đốc và kết quả xác nhận nhiệm vụ của đơn vị, "
    "gia hạn. Mới nhất ở trên cùng."
)
if message := st.session_state.pop(MESSAGE_KEY, None):
    st.success(message)

unread_only = st.query_params.get("chua-doc") == "1"
try:
    page_number = max(1, int(st.query_params.get("trang", "1")))
except ValueError:
    page_number = 1

left, right = st.columns([3, 1])
only = left.toggle("Chỉ hiện thông báo chưa đọc", value=unread_only)
if only != unread_only:
    if only:
        st.query_params["chua-doc"] = "1"
    else:
        st.query_params.pop("chua-doc", None)
    st.query_params.pop("trang", None)
    st.rerun()

with db() as session:
    page = list_notifications(
        session=session,
        actor=actor,
        config=config(),
        unread_only=unread_only,
        limit=PER_PAGE,
        offset=(page_number - 1) * PER_PAGE,
    )
if right.button("Đánh dấu tất cả đã đọc", disabled=page.unread == 0, icon=":material/done_all:"):
    with db() as session:
        count = mark_all_read(session=session, actor=actor, now=now_utc())
    st.session_state[MESSAGE_KEY] = f"Đã đánh dấu {count} thông báo là đã đọc."
    st.rerun()

st.markdown(f"**{page.unread}** thông báo chưa đọc · **{page.total}** thông báo" + (" chưa đọc" if unread_only else ""))
if not page.items:
    st.info("Không có thông báo chưa đọc." if unread_only else "Chưa có thông báo nào.")

for item in page.items:
    with st.container(border=True):
        badge = "" if item.read else ":red-badge[Chưa đọc] "
        st.markdown(
            f"{badge}**{md_escape(item.kind_label)}** — {fmt_datetime(item.at)}  \n"
            f"Nhiệm vụ #{item.task_id} · văn bản {md_escape(item.document_code)} · "
            f"{md_escape(item.lead_unit_name)}: {md_escape(shorten(item.task_content, 200))}"
        )
        st.caption(f"{md_escape(item.action_label)} — {md_escape(item.actor_name)}")
        if item.note:
            st.text(shorten(item.note, 600))
        link, mark = st.columns([3, 1])
        link.page_link(
            "pages/task_detail.py",
            label=f"Mở nhiệm vụ #{item.task_id}",
            icon=":material/open_in_new:",
            query_params={"id": str(item.task_id)},
        )
        if not item.read and mark.button("Đánh dấu đã đọc", key=f"read_{item.id}"):
            try:
                with db() as session:
                    mark_read(session=session, actor=actor, notification_id=item.id, now=now_utc())
            except ServiceError as exc:
                st.error(md_escape(exc.message))
            else:
                st.rerun()

pages = max(1, -(-page.total // PER_PAGE))
if pages > 1:
    back, where, ahead = st.columns([1, 2, 1])
    where.caption(f"Trang {page_number}/{pages}")
    if page_number > 1 and back.button("Trang trước"):
        st.query_params["trang"] = str(page_number - 1)
        st.rerun()
    if page_number < pages and ahead.button("Trang sau"):
        st.query_params["trang"] = str(page_number + 1)
        st.rerun()
