"""Chi tiết nhiệm vụ — the task, its document, replies and journal; the lead unit acts here."""

from __future__ import annotations

import streamlit as st

from models.schemas import ReplyCreate
from services.clock import fmt_date, fmt_datetime
from services.errors import ServiceError
from services.org import unit_names
from services.tasks import get_task_detail
from services.work import add_note, issue_reply
from ui.format import md_escape, situation
from ui.runtime import config, db, require_actor, today

actor = require_actor()
cfg = config()
raw_id = st.query_params.get("id", "")
if not raw_id.isdigit():
    st.title("Chi tiết nhiệm vụ")
    st.warning("Chưa chọn nhiệm vụ. Hãy mở nhiệm vụ từ danh sách.")
    st.stop()
task_id = int(raw_id)

try:
    with db() as session:
        detail = get_task_detail(
            session=session, actor=actor, task_id=task_id, today=today(), due_soon_days=cfg.app.due_soon_days
        )
        names = unit_names(session=session)
except ServiceError as exc:
    st.title("Chi tiết nhiệm vụ")
    st.error(exc.message)
    st.stop()

if message := st.session_state.pop("detail_success", None):
    st.success(message)
    st.toast(message, icon=":material/check_circle:")

row, doc = detail.row, detail.document
st.title(f"Nhiệm vụ #{row.task_id}")
st.markdown(f"### {md_escape(row.content)}")
state_text = situation(row, cfg)
colour = cfg.app.task_classes[row.state.task_class].color
st.markdown(
    f"<span style='background:{colour};color:#fff;padding:.2rem .6rem;border-radius:4px'>{state_text}</span>",
    unsafe_allow_html=True,
)
c1, c2, c3 = st.columns(3)
c1.markdown(f"**Đơn vị chủ trì**  \n{row.lead_unit_name}")
c2.markdown(f"**Hạn xử lý**  \n{fmt_date(row.state.deadline)}")
c3.markdown(f"**Đơn vị phối hợp**  \n{', '.join(detail.coordinating_units) or '—'}")

with st.expander("Văn bản giao nhiệm vụ", expanded=True):
    st.markdown(
        f"**Số/ký hiệu:** {doc.code} &nbsp;·&nbsp; **Ngày ban hành:** {fmt_date(doc.issue_date)} &nbsp;·&nbsp; "
        f"**Cơ quan ban hành:** {cfg.app.issuers.get(doc.issuer, doc.issuer)}  \n"
        f"**Loại văn bản:** {cfg.app.document_types.get(doc.doc_type, doc.doc_type)} &nbsp;·&nbsp; "
        f"**Người ký:** {md_escape(doc.signer)}  \n**Trích yếu:** {md_escape(doc.summary)}"
    )

if detail.replies:
    st.subheader("Văn bản trả lời")
    for answer in detail.replies:
        st.markdown(
            f"- **{md_escape(answer.code)}** ngày {fmt_date(answer.issue_date)} ({answer.unit_name}): "
            f"{md_escape(answer.summary)}  \n  Kết quả: {md_escape(answer.result)}"
        )

if detail.can_confirm:
    st.page_link(
        "pages/confirm.py",
        label="Xác nhận kết quả nhiệm vụ này",
        icon=":material/fact_check:",
        query_params={"task": str(task_id)},
    )

if detail.can_note:
    with st.form("note", clear_on_submit=True):
        st.subheader("Cập nhật tiến độ")
        note = st.text_area("Nội dung cập nhật", height=80)
        if st.form_submit_button("Lưu cập nhật"):
            try:
                with db() as session:
                    add_note(session=session, actor=actor, task_id=task_id, note=note)
            except ServiceError as exc:
                st.error(exc.message)
            else:
                st.session_state.detail_success = "Đã lưu cập nhật tiến độ."
                st.rerun()

if detail.can_reply:
    with st.form("reply"):
        st.subheader("Ban hành văn bản trả lời (trên chính luồng văn bản giao)")
        r1, r2, r3 = st.columns(3)
        code = r1.text_input("Số/ký hiệu văn bản trả lời")
        issue_date = r2.date_input("Ngày văn bản", value=today(), max_value=today(), format="DD/MM/YYYY")
        signer = r3.text_input("Người ký", key="reply_signer")
        summary = st.text_input("Trích yếu văn bản trả lời")
        result = st.text_area("Kết quả thực hiện", height=100)
        if st.form_submit_button("Ban hành văn bản trả lời", type="primary"):
            try:
                with db() as session:
                    reply = issue_reply(
                        session=session,
                        actor=actor,
                        task_id=task_id,
                        data=ReplyCreate(
                            code=code, issue_date=issue_date, summary=summary, result=result, signer=signer
                        ),
                    )
            except ServiceError as exc:
                st.error(exc.message)
            else:
                st.session_state.detail_success = (
                    f"Đã ban hành văn bản trả lời {reply.code}; chờ Văn phòng UBND tỉnh xác nhận."
                )
                st.rerun()

st.subheader("Nhật ký xử lý")
for entry in reversed(detail.timeline):
    route = ""
    if entry.from_unit_id or entry.to_unit_id:
        route = f" · {names.get(entry.from_unit_id or 0, '')} → {names.get(entry.to_unit_id or 0, '')}"
    with st.container(border=True):
        st.markdown(
            f"**{cfg.app.event_actions[entry.action]}** — {fmt_datetime(entry.at)}  \n"
            f"{entry.actor_name} ({cfg.role_label(entry.actor_role)}, {names.get(entry.actor_unit_id, '')}){route}"
        )
        if entry.note:
            st.text(entry.note)
