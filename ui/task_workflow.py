"""The action part of the task page: where the task is now, and one form per offered action.

Which forms appear is exactly ``TaskWorkbench.offers`` (the registry's guards); every form
sends its input to the one entry point ``perform`` with the version the page was drawn from, so
a page left open while someone else acted is refused with a clear message instead of acting on
a state the user never saw.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from pydantic import BaseModel, ValidationError

from models import ActionKey
from models.schemas import (
    ArchiveInput,
    ContributionInput,
    NoteInput,
    ReplaceInput,
    ReplyInput,
    RevokeInput,
    StepInput,
    UpdateInput,
    WrongUnitAcceptInput,
    WrongUnitRefuseInput,
    WrongUnitRequestInput,
)
from services.access.permissions import Actor
from services.actions.base import Offer
from services.actions.registry import perform
from services.actions.workbench import TaskWorkbench
from services.config.loader import AppConfig
from services.infra.errors import ServiceError
from ui.attachments import attachment_picker, incoming_fields  # issue 9: files; số đến at vào sổ
from ui.format import md_escape, md_line
from ui.next_step import after_success
from ui.runtime import db, today


def _perform(
    bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int, key: ActionKey, data: BaseModel
) -> None:
    """Run one action; show its Vietnamese refusal, or rerun with its success message."""
    try:
        with db() as session:
            result = perform(
                session=session,
                actor=actor,
                config=config,
                task_id=task_id,
                action=key,
                data=data,
                expected_version=bench.version,
            )
    except ServiceError as exc:
        st.error(md_escape(exc.message))  # a refusal may quote what was typed
    else:
        st.session_state.detail_success = result.outcome.message
        after_success(task_id, key)  # the page then offers the next waiting task (ui/next_step.py)
        st.rerun()


def where_now(bench: TaskWorkbench) -> None:
    st.subheader("Đang ở bước")
    if not bench.flows:
        st.caption("Chưa có luồng xử lý.")
        return
    # st.table wraps long workflow and step names instead of cutting them off; its cells read
    # Markdown, so the names go in escaped.
    st.table(
        pd.DataFrame(
            {
                "Đơn vị": [("↳ " if f.parent_flow_id else "") + md_line(f.unit_name) for f in bench.flows],
                "Quy trình": [md_line(f.workflow_label) for f in bench.flows],
                "Bước hiện tại": [md_line(f.state_label) for f in bench.flows],
                "Chuyên viên được giao": [md_line(f.assignee_name or "—") for f in bench.flows],
                "Tình trạng": [
                    "đã dừng" if not f.active else ("đã xong phần việc" if f.final else "đang xử lý")
                    for f in bench.flows
                ],
            }
        ),
        hide_index=True,
    )


def _step_form(offer: Offer, bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    assert offer.flow_id is not None and offer.transition is not None
    key = f"act_{offer.flow_id}_{offer.workflow}_{offer.transition}"
    with st.form(key, clear_on_submit=True, border=True):
        st.markdown(f"**Bước {offer.step}: {md_line(offer.label)}** · {md_line(offer.unit_name)}")
        assignee: int | str | None = None
        subunits: list[int | str] = []
        if offer.choose_assignee:
            people = {c.value: c.label for c in bench.assignees.get(offer.flow_id, [])}
            assignee = st.selectbox(
                "Chuyển cho chuyên viên",
                list(people),
                index=None,
                placeholder="Chọn chuyên viên",
                format_func=lambda v: people[v],
                key=f"{key}_assignee",
            )
        if offer.start_subflows:
            units = {c.value: c.label for c in bench.subunits.get(offer.flow_id, [])}
            subunits = st.multiselect(
                "Chuyển đơn vị liên thông nội bộ (phòng, đơn vị trực thuộc)",
                list(units),
                format_func=lambda v: units[v],
                key=f"{key}_subunits",
                placeholder="Chọn phòng, đơn vị trực thuộc",
            )
        reply: dict[str, object] = {}
        if offer.key is ActionKey.REPLY:
            r1, r2, r3 = st.columns(3)
            reply["code"] = r1.text_input("Số/ký hiệu văn bản trả lời", key=f"{key}_code")
            reply["issue_date"] = r2.date_input(
                "Ngày văn bản", value=today(), max_value=today(), format="DD/MM/YYYY", key=f"{key}_date"
            )
            reply["signer"] = r3.text_input("Người ký", key=f"{key}_signer")
            reply["summary"] = st.text_input("Trích yếu văn bản trả lời", key=f"{key}_summary")
            reply["result"] = st.text_area("Kết quả thực hiện", height=90, key=f"{key}_result")
            limit = config.app.reply_backdate_limit_days
            reply["backdate_reason"] = st.text_input(
                "Lý do ghi lùi ngày",
                key=f"{key}_backdate_reason",
                help=f"Bắt buộc khi ngày văn bản sớm hơn hôm nay quá {limit} ngày. Văn bản trả lời ghi lùi "
                "ngày được đánh dấu; Văn phòng UBND tỉnh thấy ngày văn bản, ngày nhập và lý do khi xác nhận.",
            )
            reply["attachments"] = attachment_picker(key=f"{key}_files", config=config)  # issue 9
        registered = incoming_fields(offer, key=key, today=today())  # vào sổ: số đến, ngày đến (issue 9)
        note = st.text_area(
            "Ý kiến" + (" (bắt buộc)" if offer.note_required else " (không bắt buộc)"), height=68, key=f"{key}_note"
        )
        if st.form_submit_button(offer.label, type="primary"):
            data: BaseModel
            if offer.key is ActionKey.REPLY:
                try:
                    data = ReplyInput.model_validate({**reply, "note": note})
                except ValidationError:  # the date was cleared
                    st.error("Nhập đủ số/ký hiệu, ngày, trích yếu và kết quả của văn bản trả lời.")
                    return
            else:
                data = StepInput(
                    flow_id=offer.flow_id,
                    transition=offer.transition,
                    workflow=offer.workflow,
                    note=note,
                    assignee_id=int(assignee) if assignee is not None else None,
                    subunit_ids=[int(u) for u in subunits],
                    **registered,
                )
            _perform(bench, actor, config, task_id, offer.key, data)


def step_forms(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    offered = bench.offered(ActionKey.STEP) + bench.offered(ActionKey.REPLY)
    if not offered:
        return
    st.subheader("Việc chờ bạn xử lý")
    by_flow: dict[int | None, list[Offer]] = {}
    for offer in sorted(offered, key=lambda o: (o.step or 0, o.flow_id or 0)):
        by_flow.setdefault(offer.flow_id, []).append(offer)
    for offers in by_flow.values():
        if sum(o.routing_choice for o in offers) > 1:
            st.caption("Lãnh đạo chọn cách chuyển xử lý (Điều 5.1.e): chọn một trong các cách dưới đây.")
        for offer in offers:
            _step_form(offer, bench, actor, config, task_id)


def note_form(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    if not bench.can(ActionKey.NOTE):
        return
    with st.form("note", clear_on_submit=True):
        st.subheader("Cập nhật tiến độ")
        note = st.text_area("Nội dung cập nhật", height=80)
        files = attachment_picker(key="note_files", config=config)  # issue 9
        if st.form_submit_button("Lưu cập nhật"):
            _perform(bench, actor, config, task_id, ActionKey.NOTE, NoteInput(note=note, attachments=files))


def wrong_unit_forms(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    if bench.can(ActionKey.WRONG_UNIT_REQUEST):
        with st.expander("Nhiệm vụ không thuộc chức năng của đơn vị?"), st.form("wrong_unit_request"):
            reason = st.text_area("Lý do (nêu rõ để Văn phòng UBND tỉnh điều chỉnh)", height=80)
            if st.form_submit_button("Gửi đề nghị điều chỉnh"):
                _perform(
                    bench, actor, config, task_id, ActionKey.WRONG_UNIT_REQUEST, WrongUnitRequestInput(reason=reason)
                )
    if bench.pending_wrong_unit is not None:
        st.warning("Đơn vị đề nghị điều chỉnh: " + md_escape(bench.pending_wrong_unit.reason))
    if bench.can(ActionKey.WRONG_UNIT_ACCEPT) or bench.can(ActionKey.WRONG_UNIT_REFUSE):
        units = {str(c.value): c.label for c in bench.units}
        with st.form("wrong_unit_decide"):
            st.markdown("**Xử lý đề nghị điều chỉnh đơn vị**")
            accept = st.radio(
                "Quyết định",
                [True, False],
                format_func=lambda a: "Chấp nhận: chuyển đúng đơn vị" if a else "Không chấp nhận",
                horizontal=True,
            )
            new_lead = st.selectbox(
                "Đơn vị đúng chức năng", list(units), index=None, format_func=lambda c: units[c], placeholder="Chọn"
            )
            new_deadline = st.date_input("Hạn xử lý mới (để trống: giữ hạn cũ)", value=None, format="DD/MM/YYYY")
            note = st.text_area("Ý kiến (bắt buộc khi không chấp nhận)", height=68)
            if st.form_submit_button("Lưu quyết định", type="primary"):
                if accept:
                    accepted = WrongUnitAcceptInput(
                        new_lead_unit_code=new_lead or "", new_deadline=new_deadline, note=note
                    )
                    _perform(bench, actor, config, task_id, ActionKey.WRONG_UNIT_ACCEPT, accepted)
                else:
                    _perform(
                        bench, actor, config, task_id, ActionKey.WRONG_UNIT_REFUSE, WrongUnitRefuseInput(note=note)
                    )
    if bench.can(ActionKey.ARCHIVE) and st.button(
        config.app.task_actions[ActionKey.ARCHIVE] + " (không thuộc chức năng của đơn vị)"
    ):
        _perform(bench, actor, config, task_id, ActionKey.ARCHIVE, ArchiveInput())


def contribution_form(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    if not bench.can(ActionKey.CONTRIBUTE):
        return
    with st.form("contribution", clear_on_submit=True):
        st.subheader("Ý kiến của đơn vị phối hợp")
        text = st.text_area("Nội dung gửi đơn vị chủ trì", height=80)
        if st.form_submit_button("Gửi ý kiến phối hợp"):
            _perform(bench, actor, config, task_id, ActionKey.CONTRIBUTE, ContributionInput(note=text))


def change_forms(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int, lead_code: str) -> None:
    tabs = [k for k in (ActionKey.UPDATE, ActionKey.REPLACE, ActionKey.REVOKE) if bench.can(k)]
    if not tabs:
        return
    labels = {ActionKey.UPDATE: "Cập nhật", ActionKey.REPLACE: "Thay thế", ActionKey.REVOKE: "Thu hồi"}
    with st.expander("Thay đổi nhiệm vụ đã giao (thu hồi, cập nhật, thay thế)"):
        for key, tab in zip(tabs, st.tabs([labels[k] for k in tabs]), strict=True):
            with tab:
                _change_form(key, bench, actor, config, task_id, lead_code)


def _change_form(
    key: ActionKey, bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int, lead_code: str
) -> None:
    if key is ActionKey.UPDATE:
        with st.form("update_task"):
            content = st.text_area("Nội dung mới (để trống: giữ nguyên)", height=68)
            deadline: date | None = st.date_input(
                "Hạn xử lý mới (để trống: giữ nguyên)", value=None, format="DD/MM/YYYY"
            )
            reason = st.text_input("Lý do cập nhật")
            if st.form_submit_button("Cập nhật nhiệm vụ"):
                update = UpdateInput(reason=reason, content=content or None, deadline=deadline)
                _perform(bench, actor, config, task_id, key, update)
    elif key is ActionKey.REPLACE:
        with st.form("replace_task"):
            units = {str(c.value): c.label for c in bench.units}
            codes = list(units)
            new_content = st.text_area("Nội dung nhiệm vụ thay thế", height=68)
            new_lead = st.selectbox(
                "Đơn vị chủ trì",
                codes,
                index=codes.index(lead_code) if lead_code in codes else 0,
                format_func=lambda c: units[c],
            )
            new_deadline = st.date_input("Hạn xử lý", value=None, format="DD/MM/YYYY", key="replace_deadline")
            replace_reason = st.text_input("Lý do thay thế")
            if st.form_submit_button("Thay thế nhiệm vụ"):
                replacement = ReplaceInput(
                    reason=replace_reason, content=new_content, lead_unit_code=new_lead or "", deadline=new_deadline
                )
                _perform(bench, actor, config, task_id, key, replacement)
    else:
        with st.form("revoke_task"):
            revoke_reason = st.text_input("Lý do thu hồi")
            if st.form_submit_button("Thu hồi nhiệm vụ"):
                _perform(bench, actor, config, task_id, key, RevokeInput(reason=revoke_reason))
