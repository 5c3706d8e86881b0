"""Xác nhận kết quả — VP UBND's tracker confirms replies (the queue shows their age), and decides the
units' requests for a later deadline (Xin gia hạn)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import ActionKey, ConfirmOutcome
from services.actions.confirmation import list_pending
from services.actions.registry import perform
from services.infra.clock import fmt_date, local_date
from services.infra.errors import ServiceError
from services.stats.rows import BACKDATED_REPLY
from services.tasks.extension_requests import PendingExtension, list_pending_extensions
from services.tasks.requests import list_pending_requests
from ui.format import md_escape, md_line, shorten
from ui.forms import FormErrors, TypedInput, date_field, required, required_note, run
from ui.runtime import config, db, require_actor, today
from ui.url_state import url_int

actor = require_actor()
st.title("Xác nhận kết quả")
if message := st.session_state.pop("confirm_success", None):
    st.success(md_escape(message))
    st.toast(md_escape(message), icon=":material/check_circle:")

try:
    with db() as session:
        pending = list_pending(session=session, actor=actor, today=today())
        requests = list_pending_requests(session=session, actor=actor)
        extensions = list_pending_extensions(session=session, actor=actor, today=today())
except ServiceError as exc:  # the services decide who may confirm
    st.error(md_escape(exc.message))
    st.stop()

if requests:
    st.subheader("Đề nghị điều chỉnh đơn vị (không đúng chức năng)")
    for request in requests:
        st.page_link(
            "pages/task_detail.py",
            label=f"Nhiệm vụ #{request.task_id}: {md_line(shorten(request.reason, 90))}",  # a label reads Markdown
            icon=":material/swap_horiz:",
            query_params={"id": str(request.task_id)},
        )


def _decide_extension(item: PendingExtension) -> None:
    """One request for a later deadline: what was asked and why, then "Đồng ý" (the date asked, or
    an earlier one typed) or "Không đồng ý" (a reason) above the form of each, as the wrong-unit
    decision on the task page: each keeps what was typed when it is refused."""
    asked = item.request
    rid = asked.request_id
    with st.container(border=True):
        st.markdown(
            f"**Nhiệm vụ #{asked.task_id}** · {md_escape(item.unit_name)} · văn bản {md_escape(item.assignment_code)}"
            f"  \n{md_escape(shorten(item.content, 200))}"
        )
        st.markdown(
            f"Hạn xử lý hiện tại: **{fmt_date(item.deadline_now)}** → xin gia hạn đến "
            f"**{fmt_date(asked.requested_deadline)}** ({(asked.requested_deadline - item.deadline_now).days} ngày)  \n"
            f"Lý do: {md_escape(asked.reason)}  \n"
            f":gray[{md_escape(asked.requested_by)} đề nghị ngày {fmt_date(local_date(asked.requested_at))}]"
        )
        st.page_link(
            "pages/task_detail.py",
            label="Mở nhiệm vụ",
            icon=":material/open_in_new:",
            query_params={"id": str(asked.task_id)},
        )
        grant = st.radio(
            "Quyết định",
            [True, False],
            index=None,
            format_func=lambda g: "Đồng ý gia hạn" if g else "Không đồng ý",
            horizontal=True,
            key=f"extension_decision_{rid}",
        )
        if grant is None:
            st.caption("Chọn đồng ý hoặc không đồng ý gia hạn.")
            return
        key = f"extension_{'grant' if grant else 'refuse'}_{rid}"
        with st.form(key, clear_on_submit=False, enter_to_submit=False):
            form, typed = FormErrors(), TypedInput()
            granted = ""
            if grant:
                granted = date_field(
                    "Gia hạn đến ngày",
                    key=f"{key}_date",
                    config=config(),
                    initial=asked.requested_deadline,  # the date asked: the usual answer, already there
                    hint=f"Đơn vị xin đến ngày {fmt_date(asked.requested_deadline)}. Có thể gia hạn ngắn hơn; "
                    "để trống là đến ngày đơn vị xin.",
                )
                form.slot("granted_deadline", "Gia hạn đến ngày")
            else:
                required_note()
            note = st.text_area(
                "Ý kiến (không bắt buộc)" if grant else required("Lý do không đồng ý"), height=68, key=f"{key}_note"
            )
            form.slot("note", "Ý kiến" if grant else "Lý do không đồng ý")
            form.summary_here()
            if st.form_submit_button("Lưu quyết định", type="primary"):
                data: dict[str, object] = {"note": note}
                if grant:
                    data["granted_deadline"] = typed.day(granted, label="Gia hạn đến ngày", field="granted_deadline")
                action = ActionKey.EXTENSION_GRANT if grant else ActionKey.EXTENSION_REFUSE
                result = run(
                    form,
                    typed,
                    lambda session: perform(
                        session=session,
                        actor=actor,
                        config=config(),
                        task_id=asked.task_id,
                        action=action,
                        data=data,
                        expected_version=item.task_version,
                    ),
                )
                if result is not None:
                    st.session_state.confirm_success = result.outcome.message
                    st.rerun()


if extensions:
    st.subheader(f"Đề nghị gia hạn ({len(extensions)})")
    st.caption("Đơn vị chủ trì xin gia hạn; gia hạn có hiệu lực từ ngày đồng ý. Đề nghị lâu nhất lên đầu.")
    for item in extensions:
        _decide_extension(item)

if requests or extensions:
    st.subheader("Văn bản trả lời chờ xác nhận")

if not pending:
    st.info("Không có văn bản trả lời nào chờ xác nhận.")
    st.stop()

st.caption(f"{len(pending)} văn bản trả lời chờ xác nhận, chờ lâu nhất lên đầu.")
st.dataframe(
    pd.DataFrame(
        {
            "Mã": [p.task_id for p in pending],
            "Chờ (ngày)": [p.age_days for p in pending],
            "Đơn vị": [p.unit_name for p in pending],
            # how the reply would count, and a backdated reply's flag, before the long texts: on a
            # narrow screen the last columns are cut off
            "Trả lời": [
                ("đúng hạn" if p.on_time else "trễ hạn") + (f" · {BACKDATED_REPLY.lower()}" if p.backdated else "")
                for p in pending
            ],
            "Văn bản giao": [p.assignment_code for p in pending],
            "Nội dung nhiệm vụ": [p.content for p in pending],
            "Hạn xử lý": [fmt_date(p.deadline) for p in pending],
            "Văn bản trả lời": [f"{p.reply_code} ({fmt_date(p.reply_date)})" for p in pending],
        }
    ),
    hide_index=True,
    column_config={
        "Mã": st.column_config.NumberColumn(width=45, format="%d"),
        "Chờ (ngày)": st.column_config.NumberColumn(width=75),
        "Đơn vị": st.column_config.TextColumn(width=120),
        "Trả lời": st.column_config.TextColumn(width=215),  # "đúng hạn · trả lời ghi lùi ngày" fits
        "Văn bản giao": st.column_config.TextColumn(width=105),
        "Nội dung nhiệm vụ": st.column_config.TextColumn(width=220),
        "Hạn xử lý": st.column_config.TextColumn(width=85),
        "Văn bản trả lời": st.column_config.TextColumn(width=165),
    },
)

by_id = {p.task_id: p for p in pending}
wanted = url_int(st.query_params.get("task"))  # "²" or twenty digits: the first task, as without one
ids = list(by_id)
index = ids.index(wanted) if wanted in by_id else 0
task_id = st.selectbox(
    "Nhiệm vụ cần xác nhận",
    ids,
    index=index,
    format_func=lambda i: f"#{i} · {by_id[i].unit_name} · {by_id[i].reply_code} · {shorten(by_id[i].content, 70)}",
)
chosen = by_id[task_id]
st.markdown(f"**Kết quả đơn vị báo cáo:** {md_escape(chosen.result)}")
st.markdown(
    f"Văn bản trả lời ngày {fmt_date(chosen.reply_date)}, nhập ngày {fmt_date(chosen.entered_on)}, "
    f"hạn xử lý {fmt_date(chosen.deadline)}: "
    f"nếu xác nhận hoàn thành, nhiệm vụ được tính **{'đúng hạn' if chosen.on_time else 'trễ hạn'}**."
)
if chosen.backdated:  # judged by a date the clerk typed far back: both dates and the reason, first
    st.warning(
        f"**{BACKDATED_REPLY}**: ngày văn bản trả lời {fmt_date(chosen.reply_date)}, ngày nhập "
        f"{fmt_date(chosen.entered_on)} ({(chosen.entered_on - chosen.reply_date).days} ngày sau).  \n"
        f"Lý do ghi lùi ngày: {md_escape(chosen.backdate_reason or '')}",
        icon=":material/history:",
    )
# The verdict is a choice above its own form: "Chưa hoàn thành" asks a reason and may grant a new
# deadline, "Hoàn thành" takes an optional remark. Each keeps what was typed and the choice stays as
# the tracker left it when the form is refused (ui/forms.py).
outcome = st.radio(
    "Kết quả xác nhận",
    [ConfirmOutcome.DONE, ConfirmOutcome.NOT_DONE],
    format_func=lambda o: "Hoàn thành" if o is ConfirmOutcome.DONE else "Chưa hoàn thành (không đạt yêu cầu)",
    horizontal=True,
    key=f"confirm_outcome_{task_id}",
)
not_done = outcome is ConfirmOutcome.NOT_DONE
key = f"confirm_{task_id}_{outcome.value}"
with st.form(key, clear_on_submit=False, enter_to_submit=False):
    form, typed = FormErrors(), TypedInput()
    if not_done:
        required_note()
    reason = st.text_area(
        required("Lý do chưa hoàn thành") if not_done else "Ý kiến (không bắt buộc)", height=80, key=f"{key}_reason"
    )
    form.slot("reason", "Lý do chưa hoàn thành" if not_done else "Ý kiến")
    extension = ""
    if not_done:
        extension = date_field(
            "Gia hạn đến ngày",
            key=f"{key}_new_deadline",
            config=config(),
            hint="Để trống: không gia hạn, hạn xử lý giữ nguyên.",
        )
        form.slot("new_deadline", "Gia hạn đến ngày")
    form.summary_here()
    if st.form_submit_button("Xác nhận", type="primary"):
        data = {
            "outcome": outcome,
            "reason": reason,
            "new_deadline": typed.day(extension, label="Gia hạn đến ngày", field="new_deadline"),
        }
        result = run(
            form,
            typed,
            lambda session: perform(
                session=session, actor=actor, config=config(), task_id=task_id, action=ActionKey.CONFIRM, data=data
            ),
        )
        if result is not None:
            st.session_state.confirm_success = result.outcome.message
            st.query_params.pop("task", None)
            st.rerun()
