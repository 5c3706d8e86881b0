"""Chi tiết nhiệm vụ — the task, its document, replies and journal; the lead unit acts here."""

from __future__ import annotations

import streamlit as st

from models import ActionKey
from services.actions.workbench import task_workbench
from services.infra.clock import fmt_date, fmt_datetime
from services.infra.errors import ServiceError
from services.journal.timeline import describe_timeline
from services.stats.rows import BACKDATED_REPLY
from services.tasks.extension_requests import task_extensions
from services.tasks.queries import get_task_detail
from ui.attachments import attachment_list, incoming_lines  # issue 9: files; số đến / ngày đến
from ui.custom_fields import show_task_values  # issue 10: trường tùy chỉnh
from ui.format import md_escape, md_line, situation
from ui.next_step import open_at_top, show_success
from ui.reminders import remind_form  # Đôn đốc (VP UBND's tracker)
from ui.runtime import config, db, require_actor, today
from ui.task_workflow import (
    change_forms,
    contribution_form,
    extension_forms,
    note_form,
    step_forms,
    where_now,
    wrong_unit_forms,
)
from ui.url_state import url_int

actor = require_actor()
cfg = config()
raw_id = st.query_params.get("id", "")
parsed_id = url_int(raw_id)
if parsed_id is None:  # "²", "1e3", twenty digits: never a traceback, never a database error
    st.title("Chi tiết nhiệm vụ")
    if raw_id:
        st.warning("Đường dẫn không đúng: mã nhiệm vụ phải là một số. Hãy mở nhiệm vụ từ danh sách.")
    else:
        st.warning("Chưa chọn nhiệm vụ. Hãy mở nhiệm vụ từ danh sách.")
    st.stop()
task_id: int = parsed_id

try:
    with db() as session:
        detail = get_task_detail(
            session=session, actor=actor, task_id=task_id, today=today(), due_soon_days=cfg.app.due_soon_days
        )
        bench = task_workbench(session=session, actor=actor, config=cfg, task_id=task_id)
        timeline = describe_timeline(session=session, config=cfg, entries=detail.timeline)
        extensions = task_extensions(session=session, actor=actor, task_id=task_id)  # Xin gia hạn
except ServiceError as exc:
    st.title("Chi tiết nhiệm vụ")
    st.error(md_escape(exc.message))
    st.stop()

row, doc = detail.row, detail.document
open_at_top(task_id)  # another task than the last one shown (the next waiting task): from its title
st.title(f"Nhiệm vụ #{row.task_id}")
if detail.sent_back and (verdict := detail.last_verdict) is not None:  # back with the unit: why, first
    st.warning(
        f"VP UBND xác nhận chưa hoàn thành ngày {fmt_date(verdict.confirmed_on)} — lý do: {md_escape(verdict.reason)}"
        f"  \nVăn bản trả lời {md_escape(verdict.reply_code)} không được chấp nhận; "
        + (f"gia hạn đến {fmt_date(verdict.new_deadline)}." if verdict.new_deadline else "hạn xử lý không đổi."),
        icon=":material/undo:",
    )
st.markdown(f"### {md_line(row.content)}")
state_text = situation(row, cfg)
colour = cfg.app.task_classes[row.state.task_class].color
st.markdown(
    f"<span style='background:{colour};color:#fff;padding:.2rem .6rem;border-radius:4px'>{state_text}</span>",
    unsafe_allow_html=True,
)
if row.backdated_reply:
    st.caption(f":violet-badge[{BACKDATED_REPLY}] Văn bản trả lời được tính thống kê ghi lùi ngày (xem bên dưới).")
if detail.closed_reason is not None:
    why = cfg.app.close_reasons[detail.closed_reason]
    st.info(f"Nhiệm vụ đã đóng: {why}; không tính vào thống kê của đơn vị.")
if detail.replaces_task_id:
    st.caption(f"Nhiệm vụ này thay cho nhiệm vụ #{detail.replaces_task_id}.")
c1, c2, c3 = st.columns(3)
c1.markdown(f"**Đơn vị chủ trì**  \n{md_escape(row.lead_unit_name)}")
c2.markdown(f"**Hạn xử lý**  \n{fmt_date(row.state.deadline)}")
c3.markdown(f"**Đơn vị phối hợp**  \n{md_escape(', '.join(detail.coordinating_units) or '—')}")

with st.expander("Văn bản giao nhiệm vụ", expanded=True):
    st.markdown(
        f"**Số/ký hiệu:** {md_escape(doc.code)} &nbsp;·&nbsp; "
        f"**Ngày ban hành:** {fmt_date(doc.issue_date)} &nbsp;·&nbsp; "
        f"**Cơ quan ban hành:** {cfg.app.issuers.get(doc.issuer, doc.issuer)}  \n"
        f"**Loại văn bản:** {cfg.app.document_types.get(doc.doc_type, doc.doc_type)} &nbsp;·&nbsp; "
        f"**Người ký:** {md_escape(doc.signer)}  \n**Trích yếu:** {md_escape(doc.summary)}"
    )
    incoming_lines(actor, task_id)  # vào sổ: số đến, ngày đến (issue 9)
show_task_values(actor, task_id, doc.id or 0)  # trường tùy chỉnh, read only (issue 10)

if detail.replies:
    st.subheader("Văn bản trả lời")
    for answer in detail.replies:
        st.markdown(
            f"- **{md_escape(answer.code)}** ngày {fmt_date(answer.issue_date)} ({md_escape(answer.unit_name)}): "
            f"{md_escape(answer.summary)}"
            + (f" :red[(không được chấp nhận ngày {fmt_date(answer.rejected_on)})]" if answer.rejected_on else "")
            + f"  \n  Kết quả: {md_escape(answer.result)}"
        )
        if answer.backdated:  # both dates and the clerk's reason (user text: escaped)
            st.warning(
                f"**{BACKDATED_REPLY}**: văn bản {md_escape(answer.code)} ngày {fmt_date(answer.issue_date)}, "
                f"nhập ngày {fmt_date(answer.entered_on)}.  \nLý do ghi lùi ngày: "
                f"{md_escape(answer.backdate_reason or '')}",
                icon=":material/history:",
            )

attachment_list(actor, task_id)  # the files of the assignment, the replies and the notes (issue 9)

if bench.can(ActionKey.CONFIRM):
    st.page_link(
        "pages/confirm.py",
        label="Xác nhận kết quả nhiệm vụ này",
        icon=":material/fact_check:",
        query_params={"task": str(task_id)},
    )

where_now(bench)

# After an action: its message, the next waiting task and the list, where the form was (the page
# keeps its scroll position, so a message at the top would be out of sight).
show_success(actor, cfg, task_id)
step_forms(bench, actor, cfg, task_id)
note_form(bench, actor, cfg, task_id)
wrong_unit_forms(bench, actor, cfg, task_id)
extension_forms(bench, actor, cfg, task_id, extensions)
contribution_form(bench, actor, cfg, task_id)
change_forms(bench, actor, cfg, task_id, detail.lead_unit_code)
remind_form(bench, actor, cfg, task_id)

st.subheader("Nhật ký xử lý")
st.caption("Mới nhất ở trên cùng.")
for item in reversed(timeline):
    who = f"{md_escape(item.actor_name)} ({item.actor_role}, {md_escape(item.actor_unit)})"
    with st.container(border=True):
        st.markdown(
            f"**{md_escape(item.title)}** — {fmt_datetime(item.at)}  \n{who}"
            + (f" · {md_escape(item.route)}" if item.route else "")
        )
        if item.details:
            st.caption("  \n".join(md_escape(line) for line in item.details))
        if item.note:
            st.text(item.note)
