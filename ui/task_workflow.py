"""The workflow part of the task page: where the task is now, and the forms of each step.

Every button calls one service; the forms only collect what the step needs (a specialist,
sub-units, the reply document, a note).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from models.schemas import ReplyCreate, TaskCreate
from services.access.permissions import Actor
from services.actions.changes import replace_task, revoke_task, update_task
from services.actions.work import contribute
from services.actions.workbench import TaskWorkbench
from services.actions.wrong_unit import archive_wrong_unit, decide_wrong_unit, request_wrong_unit
from services.config.loader import AppConfig
from services.infra.errors import ServiceError
from services.org.units import assignable_units
from services.workflow.engine import Action, fire
from ui.runtime import db, today


def _run(call: Callable[[], object], success: str) -> None:
    """Run one service call; show its Vietnamese error, or rerun with the success message."""
    try:
        call()
    except ServiceError as exc:
        st.error(exc.message)
    else:
        st.session_state.detail_success = success
        st.rerun()


def where_now(bench: TaskWorkbench) -> None:
    st.subheader("Đang ở bước")
    if not bench.flows:
        st.caption("Chưa có luồng xử lý.")
        return
    # st.table wraps long workflow and step names instead of cutting them off.
    st.table(
        pd.DataFrame(
            {
                "Đơn vị": [("↳ " if f.parent_flow_id else "") + f.unit_name for f in bench.flows],
                "Quy trình": [f.workflow_label for f in bench.flows],
                "Bước hiện tại": [f.state_label for f in bench.flows],
                "Chuyên viên được giao": [f.assignee_name or "—" for f in bench.flows],
                "Tình trạng": [
                    "đã dừng" if not f.active else ("đã xong phần việc" if f.final else "đang xử lý")
                    for f in bench.flows
                ],
            }
        ),
        hide_index=True,
    )


def _action_form(action: Action, bench: TaskWorkbench, actor: Actor, config: AppConfig) -> None:
    key = f"act_{action.flow_id}_{action.workflow}_{action.transition}"
    with st.form(key, clear_on_submit=True, border=True):
        st.markdown(f"**Bước {action.step}: {action.label}** · {action.unit_name}")
        assignee: int | None = None
        subunits: list[int] = []
        reply: ReplyCreate | None = None
        if action.choose_assignee:
            people = {c.value: c.label for c in bench.assignees.get(action.flow_id, [])}
            assignee = st.selectbox(
                "Chuyển cho chuyên viên",
                list(people),
                index=None,
                placeholder="Chọn chuyên viên",
                format_func=lambda v: people[v],
                key=f"{key}_assignee",
            )
        if action.start_subflows:
            units = {c.value: c.label for c in bench.subunits.get(action.flow_id, [])}
            subunits = st.multiselect(
                "Chuyển đơn vị liên thông nội bộ (phòng, đơn vị trực thuộc)",
                list(units),
                format_func=lambda v: units[v],
                key=f"{key}_subunits",
                placeholder="Chọn phòng, đơn vị trực thuộc",
            )
        if action.issue_reply:
            r1, r2, r3 = st.columns(3)
            code = r1.text_input("Số/ký hiệu văn bản trả lời", key=f"{key}_code")
            issued = r2.date_input(
                "Ngày văn bản", value=today(), max_value=today(), format="DD/MM/YYYY", key=f"{key}_date"
            )
            signer = r3.text_input("Người ký", key=f"{key}_signer")
            summary = st.text_input("Trích yếu văn bản trả lời", key=f"{key}_summary")
            result = st.text_area("Kết quả thực hiện", height=90, key=f"{key}_result")
        note = st.text_area(
            "Ý kiến" + (" (bắt buộc)" if action.note_required else " (không bắt buộc)"), height=68, key=f"{key}_note"
        )
        if st.form_submit_button(action.label, type="primary"):
            if action.issue_reply:
                reply = ReplyCreate(code=code, issue_date=issued, summary=summary, result=result, signer=signer)

            def call() -> None:
                with db() as session:
                    fire(
                        session=session,
                        actor=actor,
                        config=config,
                        flow_id=action.flow_id,
                        workflow=action.workflow,
                        transition=action.transition,
                        note=note,
                        assignee_id=assignee,
                        subunit_ids=subunits,
                        reply=reply,
                    )

            done = (
                f"Đã ban hành văn bản trả lời {reply.code}; chờ Văn phòng UBND tỉnh xác nhận."
                if reply
                else f"Đã thực hiện: {action.label}."
            )
            _run(call, done)


def step_forms(bench: TaskWorkbench, actor: Actor, config: AppConfig) -> None:
    if not bench.actions:
        return
    st.subheader("Việc chờ bạn xử lý")
    by_flow: dict[int, list[Action]] = {}
    for action in bench.actions:
        by_flow.setdefault(action.flow_id, []).append(action)
    for actions in by_flow.values():
        if len(actions) > 1 and any(a.transition == "but_phe" for a in actions):
            st.caption("Lãnh đạo chọn cách chuyển xử lý (Điều 5.1.e): chọn một trong các cách dưới đây.")
        for action in actions:
            _action_form(action, bench, actor, config)


def wrong_unit_forms(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    if bench.can_request_wrong_unit:
        with st.expander("Nhiệm vụ không thuộc chức năng của đơn vị?"), st.form("wrong_unit_request"):
            reason = st.text_area("Lý do (nêu rõ để Văn phòng UBND tỉnh điều chỉnh)", height=80)
            if st.form_submit_button("Gửi đề nghị điều chỉnh"):

                def call() -> None:
                    with db() as session:
                        request_wrong_unit(session=session, actor=actor, task_id=task_id, reason=reason)

                _run(call, "Đã gửi đề nghị điều chỉnh đến Văn phòng UBND tỉnh.")
    if bench.pending_wrong_unit is not None:
        st.warning(f"Đơn vị đề nghị điều chỉnh: {bench.pending_wrong_unit.reason}")
    if bench.can_decide_wrong_unit and bench.pending_wrong_unit is not None:
        request_id = bench.pending_wrong_unit.id or 0
        with db() as session:
            units = {u.code: u.short_name for u in assignable_units(session=session)}
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

                def call() -> None:
                    with db() as session:
                        decide_wrong_unit(
                            session=session,
                            actor=actor,
                            config=config,
                            request_id=request_id,
                            accept=accept,
                            note=note,
                            new_lead_unit_code=new_lead,
                            new_deadline=new_deadline,
                        )

                _run(call, "Đã xử lý đề nghị điều chỉnh.")
    if bench.can_archive and st.button("Lưu kết thúc văn bản (không thuộc chức năng của đơn vị)"):

        def call() -> None:
            with db() as session:
                archive_wrong_unit(session=session, actor=actor, task_id=task_id)

        _run(call, "Đã lưu kết thúc văn bản.")


def contribution_form(bench: TaskWorkbench, actor: Actor, task_id: int) -> None:
    if not bench.can_contribute:
        return
    with st.form("contribution", clear_on_submit=True):
        st.subheader("Ý kiến của đơn vị phối hợp")
        text = st.text_area("Nội dung gửi đơn vị chủ trì", height=80)
        if st.form_submit_button("Gửi ý kiến phối hợp"):

            def call() -> None:
                with db() as session:
                    contribute(session=session, actor=actor, task_id=task_id, note=text)

            _run(call, "Đã gửi ý kiến phối hợp cho đơn vị chủ trì.")


def change_forms(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int, lead_code: str) -> None:
    if not bench.can_change:
        return
    with st.expander("Thay đổi nhiệm vụ đã giao (thu hồi, cập nhật, thay thế)"):
        tab_update, tab_replace, tab_revoke = st.tabs(["Cập nhật", "Thay thế", "Thu hồi"])
        with tab_update, st.form("update_task"):
            content = st.text_area("Nội dung mới (để trống: giữ nguyên)", height=68)
            deadline: date | None = st.date_input(
                "Hạn xử lý mới (để trống: giữ nguyên)", value=None, format="DD/MM/YYYY"
            )
            reason = st.text_input("Lý do cập nhật")
            if st.form_submit_button("Cập nhật nhiệm vụ"):

                def call_update() -> None:
                    with db() as session:
                        update_task(
                            session=session,
                            actor=actor,
                            task_id=task_id,
                            reason=reason,
                            content=content or None,
                            deadline=deadline,
                        )

                _run(call_update, "Đã cập nhật nhiệm vụ.")
        with tab_replace, st.form("replace_task"):
            with db() as session:
                units = {u.code: u.short_name for u in assignable_units(session=session)}
            new_content = st.text_area("Nội dung nhiệm vụ thay thế", height=68)
            codes = list(units)
            new_lead = st.selectbox(
                "Đơn vị chủ trì",
                codes,
                index=codes.index(lead_code) if lead_code in codes else 0,
                format_func=lambda c: units[c],
            )
            new_deadline = st.date_input("Hạn xử lý", value=None, format="DD/MM/YYYY", key="replace_deadline")
            replace_reason = st.text_input("Lý do thay thế")
            if st.form_submit_button("Thay thế nhiệm vụ"):

                def call_replace() -> None:
                    with db() as session:
                        replace_task(
                            session=session,
                            actor=actor,
                            config=config,
                            task_id=task_id,
                            reason=replace_reason,
                            data=TaskCreate(content=new_content, lead_unit_code=new_lead, deadline=new_deadline),
                        )

                _run(call_replace, "Đã thay thế nhiệm vụ.")
        with tab_revoke, st.form("revoke_task"):
            revoke_reason = st.text_input("Lý do thu hồi")
            if st.form_submit_button("Thu hồi nhiệm vụ"):

                def call_revoke() -> None:
                    with db() as session:
                        revoke_task(session=session, actor=actor, task_id=task_id, reason=revoke_reason)

                _run(call_revoke, "Đã thu hồi nhiệm vụ.")
