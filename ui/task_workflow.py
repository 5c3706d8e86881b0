"""The action part of the task page: where the task is now, and one form per offered action.

Which forms appear is exactly ``TaskWorkbench.offers`` (the registry's guards); every form
sends its input to the one entry point ``perform`` with the version the page was drawn from, so
a page left open while someone else acted is refused with a clear message instead of acting on
a state the user never saw.

Every form keeps what was typed when it is refused and shows all its refusals at once, each under
its field (``ui/forms.py``). Where the fields depend on a choice (the leader's routing case at bút
phê, accepting or refusing a "not our remit" request), the choice is a radio above one form per
case: a form does not run again while its widgets change, and each case's form keeps its own
values.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from models import ActionKey, RequestStatus
from services.access.permissions import Actor
from services.actions.base import Offer
from services.actions.registry import perform
from services.actions.workbench import TaskWorkbench
from services.config.loader import AppConfig
from services.infra.clock import fmt_date, local_date
from services.tasks.extension_requests import ExtensionView
from ui.attachments import attachment_picker, incoming_fields  # issue 9: files; số đến at vào sổ
from ui.format import md_escape, md_line
from ui.forms import FormErrors, FormRound, TypedInput, date_field, keep, required, required_note, run
from ui.next_step import after_success
from ui.pickers import matches_first, unit_search
from ui.runtime import today

ASSIGNEE = "Chuyển cho chuyên viên"
SUBUNITS = "Chuyển đơn vị liên thông nội bộ (phòng, đơn vị trực thuộc)"
NOTE = "Ý kiến"


def _perform(
    bench: TaskWorkbench,
    actor: Actor,
    config: AppConfig,
    task_id: int,
    key: ActionKey,
    data: dict[str, Any],
    form: FormErrors,
    typed: TypedInput | None = None,
    done: FormRound | None = None,
) -> None:
    """Run one action; draw every refusal in its form (what was typed stays), or rerun with the
    success message (``done``: the form stays on the page and starts afresh)."""
    result = run(
        form,
        typed or TypedInput(),
        lambda session: perform(
            session=session,
            actor=actor,
            config=config,
            task_id=task_id,
            action=key,
            data=data,
            expected_version=bench.version,
        ),
    )
    if result is None:
        return
    st.session_state.detail_success = result.outcome.message
    after_success(task_id, key)  # the page then offers the next waiting task (ui/next_step.py)
    if done is not None:
        done.next()
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


def step_key(offer: Offer) -> str:
    """The form of one step on one flow; its widgets are ``<key>_assignee``, ``_subunits``,
    ``_code``, ``_date``, ``_signer``, ``_summary``, ``_result``, ``_backdate_reason``, ``_note``."""
    return f"act_{offer.flow_id}_{offer.workflow}_{offer.transition}"


def case_name(offer: Offer, config: AppConfig) -> str:
    """A routing case at bút phê by name, as the leader chooses it: the workflow's name
    (``config/workflows.yaml``: "Trường hợp 1", "Trường hợp 2", "Đơn vị tự xử lý"), then what
    the step hands the task to."""
    found = config.workflows.workflows.get(offer.workflow or "")  # None: a flow's own, older version
    label = found.label if found is not None else (offer.workflow or "")
    name = label.split(":", 1)[0] if ":" in label else label.split(" (", 1)[0]
    if offer.choose_assignee and offer.start_subflows:
        what = "chuyển chuyên viên theo dõi, đồng thời chuyển các phòng, đơn vị trực thuộc"
    elif offer.start_subflows:
        what = "chuyển thẳng lãnh đạo các phòng, đơn vị trực thuộc"
    else:
        what = "giao chuyên viên xử lý, không chuyển phòng"
    return f"{name.strip()} — {what}"


def _reply_fields(key: str, config: AppConfig, form: FormErrors) -> tuple[dict[str, Any], str]:
    """The reply document's fields (văn thư ban hành), as ``ReplyInput`` fields, and its date as
    typed (read on submit)."""
    r1, r2, r3 = st.columns(3)
    reply: dict[str, Any] = {}
    reply["code"] = r1.text_input(required("Số/ký hiệu văn bản trả lời"), key=f"{key}_code")
    form.slot("code", "Số/ký hiệu văn bản trả lời", r1)
    issued = date_field("Ngày văn bản", key=f"{key}_date", config=config, where=r2, needed=True, initial=today())
    form.slot("issue_date", "Ngày văn bản", r2)
    reply["signer"] = r3.text_input("Người ký", key=f"{key}_signer")
    form.slot("signer", "Người ký", r3)
    reply["summary"] = st.text_input(required("Trích yếu văn bản trả lời"), key=f"{key}_summary")
    form.slot("summary", "Trích yếu văn bản trả lời")
    reply["result"] = st.text_area(required("Kết quả thực hiện"), height=90, key=f"{key}_result")
    form.slot("result", "Kết quả thực hiện")
    limit = config.app.reply_backdate_limit_days
    reply["backdate_reason"] = st.text_input(
        "Lý do ghi lùi ngày",
        key=f"{key}_backdate_reason",
        help=f"Bắt buộc khi ngày văn bản sớm hơn hôm nay quá {limit} ngày. Văn bản trả lời ghi lùi "
        "ngày được đánh dấu; Văn phòng UBND tỉnh thấy ngày văn bản, ngày nhập và lý do khi xác nhận.",
    )
    form.slot("backdate_reason", "Lý do ghi lùi ngày")
    reply["attachments"] = attachment_picker(key=f"{key}_files", config=config)  # issue 9
    return reply, issued


def _step_form(
    offer: Offer, bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int, *, heading: bool = True
) -> None:
    assert offer.flow_id is not None and offer.transition is not None
    key = step_key(offer)
    with st.form(key, clear_on_submit=False, enter_to_submit=False, border=heading):
        if heading:
            st.markdown(f"**Bước {offer.step}: {md_line(offer.label)}** · {md_line(offer.unit_name)}")
        if offer.choose_assignee or offer.start_subflows or offer.note_required or offer.key is ActionKey.REPLY:
            required_note()
        form, typed = FormErrors(), TypedInput()
        assignee: int | str | None = None
        subunits: list[int | str] = []
        if offer.choose_assignee:
            people = {c.value: c.label for c in bench.assignees.get(offer.flow_id, [])}
            assignee = st.selectbox(
                required(ASSIGNEE),
                list(people),
                index=None,
                placeholder="Chọn chuyên viên",
                format_func=lambda v: people[v],
                key=f"{key}_assignee",
            )
            form.slot("assignee", ASSIGNEE)
        if offer.start_subflows:
            units = {c.value: c.label for c in bench.subunits.get(offer.flow_id, [])}
            subunits = st.multiselect(
                required(SUBUNITS),
                list(units),
                format_func=lambda v: units[v],
                key=f"{key}_subunits",
                placeholder="Chọn phòng, đơn vị trực thuộc",
                select_all=False,  # Streamlit's "Select all" is English
            )
            form.slot("subunits", SUBUNITS)
        reply, issued = _reply_fields(key, config, form) if offer.key is ActionKey.REPLY else ({}, "")
        registered = incoming_fields(offer, key=key, config=config, form=form, typed=typed)  # vào sổ (issue 9)
        note = st.text_area(required(NOTE) if offer.note_required else NOTE, height=68, key=f"{key}_note")
        form.slot("note", NOTE)
        form.summary_here()
        if st.form_submit_button(offer.label, type="primary"):
            data: dict[str, Any]
            if offer.key is ActionKey.REPLY:
                # a date that is not one (31/02, letters) is refused with its own reason, not replaced
                issue_date = typed.day(issued, label="Ngày văn bản trả lời", field="issue_date", needed=True)
                data = {**reply, "issue_date": issue_date, "note": note}
            else:
                data = {
                    "flow_id": offer.flow_id,
                    "transition": offer.transition,
                    "workflow": offer.workflow,
                    "note": note,
                    "assignee_id": int(assignee) if assignee is not None else None,
                    "subunit_ids": [int(u) for u in subunits],
                    **registered,
                }
            _perform(bench, actor, config, task_id, offer.key, data, form, typed)


def _routing_choice(offers: list[Offer], bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    """Bút phê where the leader picks the routing case (Điều 5.1.e): the cases by name, then the
    form of the chosen one only, with its fields and one button. Each case keeps its own values
    while the leader looks at another."""
    first = offers[0]
    # the cases that route to sub-units first (Trường hợp 1, 2), as the regulation lists them
    cases = sorted(offers, key=lambda o: not o.start_subflows)
    by_workflow = {o.workflow: o for o in cases}
    keep(f"{step_key(o)}_{name}" for o in cases for name in ("assignee", "subunits", "note"))
    with st.container(border=True):
        st.markdown(f"**Bước {first.step}: Bút phê, chọn cách chuyển xử lý** · {md_line(first.unit_name)}")
        chosen = st.radio(
            "Cách chuyển xử lý (Điều 5.1.e)",
            list(by_workflow),
            index=None,
            format_func=lambda w: case_name(by_workflow[w], config),
            key=f"route_{first.flow_id}",
        )
        if chosen is None:
            st.caption("Chọn một cách chuyển xử lý để điền bút phê.")
            return
        _step_form(by_workflow[chosen], bench, actor, config, task_id, heading=False)


def step_forms(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    offered = bench.offered(ActionKey.STEP) + bench.offered(ActionKey.REPLY)
    if not offered:
        return
    st.subheader("Việc chờ bạn xử lý")
    by_flow: dict[int | None, list[Offer]] = {}
    for offer in sorted(offered, key=lambda o: (o.step or 0, o.flow_id or 0)):
        by_flow.setdefault(offer.flow_id, []).append(offer)
    for offers in by_flow.values():
        routing = [o for o in offers if o.routing_choice]
        for offer in offers:
            if len(routing) < 2 or not offer.routing_choice:
                _step_form(offer, bench, actor, config, task_id)
            elif offer is routing[0]:
                _routing_choice(routing, bench, actor, config, task_id)


def note_form(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    if not bench.can(ActionKey.NOTE):
        return
    rounds = FormRound(f"note_{task_id}")  # a note saved, the form starts empty for the next one
    with st.form("note", clear_on_submit=False, enter_to_submit=False):
        st.subheader("Cập nhật tiến độ")
        form = FormErrors()
        note = st.text_area(required("Nội dung cập nhật"), height=80, key=rounds.key("note_text"))
        form.slot("note", "Nội dung cập nhật")
        files = attachment_picker(key=rounds.key("note_files"), config=config)  # issue 9
        form.summary_here()
        if st.form_submit_button("Lưu cập nhật"):
            data = {"note": note, "attachments": files}
            _perform(bench, actor, config, task_id, ActionKey.NOTE, data, form, done=rounds)


def wrong_unit_forms(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    if bench.can(ActionKey.WRONG_UNIT_REQUEST):
        with (
            st.expander("Nhiệm vụ không thuộc chức năng của đơn vị?"),
            st.form("wrong_unit_request", clear_on_submit=False, enter_to_submit=False),
        ):
            form = FormErrors()
            reason = st.text_area(
                required("Lý do (nêu rõ để Văn phòng UBND tỉnh điều chỉnh)"),
                height=80,
                key=f"wrong_unit_reason_{task_id}",
            )
            form.slot("reason", "Lý do")
            form.summary_here()
            if st.form_submit_button("Gửi đề nghị điều chỉnh"):
                data = {"reason": reason}
                _perform(bench, actor, config, task_id, ActionKey.WRONG_UNIT_REQUEST, data, form)
    if bench.pending_wrong_unit is not None:
        st.warning("Đơn vị đề nghị điều chỉnh: " + md_escape(bench.pending_wrong_unit.reason))
    if bench.can(ActionKey.WRONG_UNIT_ACCEPT) or bench.can(ActionKey.WRONG_UNIT_REFUSE):
        _wrong_unit_decision(bench, actor, config, task_id)
    if bench.can(ActionKey.ARCHIVE) and st.button(
        config.app.task_actions[ActionKey.ARCHIVE] + " (không thuộc chức năng của đơn vị)"
    ):
        form = FormErrors()
        _perform(bench, actor, config, task_id, ActionKey.ARCHIVE, {}, form)


def _wrong_unit_decision(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    """VP UBND accepts (the right unit, perhaps a new deadline) or refuses (a reason): the decision
    is a radio above the form of each, so only that decision's fields show."""
    units = {str(c.value): c.label for c in bench.units}
    with st.container(border=True):
        st.markdown("**Xử lý đề nghị điều chỉnh đơn vị**")
        accept = st.radio(
            "Quyết định",
            [True, False],
            index=None,
            format_func=lambda a: "Chấp nhận: chuyển đúng đơn vị" if a else "Không chấp nhận",
            horizontal=True,
            key=f"wrong_unit_decision_{task_id}",
        )
        if accept is None:
            st.caption("Chọn chấp nhận hoặc không chấp nhận đề nghị.")
            return
        found: list[str] = []
        if accept:  # outside the form, which sends nothing before its button: "tai chinh" finds Sở Tài chính
            found = unit_search(
                f"wrong_unit_find_{task_id}",
                {str(c.value): f"{c.label} {c.search}" for c in bench.units},
                units,
                picker=f"wrong_unit_lead_{task_id}",
                serves="danh sách “Đơn vị đúng chức năng”",
            )
        with st.form(f"wrong_unit_{'accept' if accept else 'refuse'}", clear_on_submit=False, enter_to_submit=False):
            required_note()
            form, typed = FormErrors(), TypedInput()
            data: dict[str, Any] = {}
            if accept:
                data["new_lead_unit_code"] = (
                    st.selectbox(
                        required("Đơn vị đúng chức năng"),
                        matches_first(list(units), found),
                        index=None,
                        format_func=lambda c: units[c],
                        placeholder="Chọn",
                        key=f"wrong_unit_lead_{task_id}",
                    )
                    or ""
                )
                form.slot("new_lead", "Đơn vị đúng chức năng")
                deadline = date_field(
                    "Hạn xử lý mới", key=f"wrong_unit_deadline_{task_id}", config=config, hint="Để trống: giữ hạn cũ."
                )
                form.slot("new_deadline", "Hạn xử lý mới")
            note_key = f"wrong_unit_{'accept' if accept else 'refuse'}_note_{task_id}"
            data["note"] = st.text_area(NOTE if accept else required(NOTE), height=68, key=note_key)
            form.slot("note", NOTE)
            form.summary_here()
            if st.form_submit_button("Lưu quyết định", type="primary"):
                if accept:
                    data["new_deadline"] = typed.day(deadline, label="Hạn xử lý mới", field="new_deadline")
                key = ActionKey.WRONG_UNIT_ACCEPT if accept else ActionKey.WRONG_UNIT_REFUSE
                _perform(bench, actor, config, task_id, key, data, form, typed)


EXTENSION_DATE = "Xin gia hạn đến ngày"
EXTENSION_REASON = "Lý do xin gia hạn"
EXTENSION_WAITING = "Đang chờ VP UBND xem xét"


def _extension_line(view: ExtensionView) -> str:
    """One request as the unit reads it: what was asked, when, and what VP UBND decided (escaped)."""
    asked = (
        f"Xin gia hạn đến **{fmt_date(view.requested_deadline)}** (hạn khi đề nghị {fmt_date(view.deadline_before)}), "
        f"{md_escape(view.requested_by)}, ngày {fmt_date(local_date(view.requested_at))}.  \n"
        f"Lý do: {md_escape(view.reason)}"
    )
    if view.moot:
        return f"{asked}  \nKhông còn xem xét: nhiệm vụ đã hoàn thành hoặc đã kết thúc."
    if view.status is RequestStatus.PENDING:
        return f"{asked}  \n**{EXTENSION_WAITING}.**"
    decided = fmt_date(local_date(view.decided_at)) if view.decided_at is not None else ""
    who = md_escape(view.decided_by or "")
    if view.status is RequestStatus.ACCEPTED and view.granted_deadline is not None:
        verdict = f":green[**Đồng ý gia hạn đến {fmt_date(view.granted_deadline)}**] ({who}, ngày {decided})"
        return f"{asked}  \n{verdict}" + (f"  \nÝ kiến: {md_escape(view.decision_note)}" if view.decision_note else "")
    verdict = f":red[**Không đồng ý gia hạn**] ({who}, ngày {decided})"
    return f"{asked}  \n{verdict}  \nLý do: {md_escape(view.decision_note)}"


def extension_forms(
    bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int, history: list[ExtensionView]
) -> None:
    """Xin gia hạn on the task page: the requests of the task and VP UBND's decisions, for whoever
    sees the task; the request form for the lead unit's leader when the registry offers it (its
    date and reason kept when refused); VP UBND decides on "Xác nhận kết quả"."""
    offered = bench.can(ActionKey.EXTENSION_REQUEST)
    if not history and not offered:
        return
    st.subheader("Gia hạn")
    for view in history:
        if view.status is RequestStatus.PENDING and not view.moot:
            st.info(_extension_line(view), icon=":material/hourglass_top:")
        else:
            st.container(border=True).markdown(_extension_line(view))
    if bench.can(ActionKey.EXTENSION_GRANT) or bench.can(ActionKey.EXTENSION_REFUSE):
        st.page_link(
            "pages/confirm.py",
            label="Quyết định gia hạn trên trang Xác nhận kết quả",
            icon=":material/event_available:",
        )
    if not offered:
        return
    limits = config.app.extension_requests
    with (
        st.expander("Xin gia hạn", expanded=bool(st.session_state.get(f"extension_open_{task_id}"))),
        st.form("extension_request", clear_on_submit=False, enter_to_submit=False),
    ):
        required_note()
        st.caption(
            f"Tối đa {limits.max_days} ngày sau hạn xử lý hiện tại, {limits.max_per_task} lần cho mỗi nhiệm vụ. "
            "Hạn mới có hiệu lực từ ngày Văn phòng UBND tỉnh đồng ý."
        )
        form, typed = FormErrors(), TypedInput()
        wanted = date_field(EXTENSION_DATE, key=f"extension_date_{task_id}", config=config, needed=True)
        form.slot("requested_deadline", EXTENSION_DATE)
        reason = st.text_area(required(EXTENSION_REASON), height=80, key=f"extension_reason_{task_id}")
        form.slot("reason", EXTENSION_REASON)
        form.summary_here()
        if st.form_submit_button("Gửi đề nghị gia hạn", type="primary"):
            st.session_state[f"extension_open_{task_id}"] = True  # a refusal shows in the open expander
            data = {
                "requested_deadline": typed.day(wanted, label=EXTENSION_DATE, field="requested_deadline", needed=True),
                "reason": reason,
            }
            _perform(bench, actor, config, task_id, ActionKey.EXTENSION_REQUEST, data, form, typed)


def contribution_form(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    if not bench.can(ActionKey.CONTRIBUTE):
        return
    rounds = FormRound(f"contribution_{task_id}")
    with st.form("contribution", clear_on_submit=False, enter_to_submit=False):
        st.subheader("Ý kiến của đơn vị phối hợp")
        form = FormErrors()
        text = st.text_area(required("Nội dung gửi đơn vị chủ trì"), height=80, key=rounds.key("contribution_text"))
        form.slot("note", "Nội dung gửi đơn vị chủ trì")
        form.summary_here()
        if st.form_submit_button("Gửi ý kiến phối hợp"):
            _perform(bench, actor, config, task_id, ActionKey.CONTRIBUTE, {"note": text}, form, done=rounds)


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
    form, typed = FormErrors(), TypedInput()
    if key is ActionKey.UPDATE:
        rounds = FormRound(f"update_{task_id}")  # the task stays: a second update starts empty
        with st.form("update_task", clear_on_submit=False, enter_to_submit=False):
            required_note()
            content = st.text_area("Nội dung mới (để trống: giữ nguyên)", height=68, key=rounds.key("update_content"))
            form.slot("content", "Nội dung mới")
            deadline = date_field(
                "Hạn xử lý mới", key=rounds.key("update_deadline"), config=config, hint="Để trống: giữ nguyên."
            )
            form.slot("deadline", "Hạn xử lý mới")
            reason = st.text_input(required("Lý do cập nhật"), key=rounds.key("update_reason"))
            form.slot("reason", "Lý do cập nhật")
            form.summary_here()
            if st.form_submit_button("Cập nhật nhiệm vụ"):
                update = {
                    "reason": reason,
                    "content": content or None,
                    "deadline": typed.day(deadline, label="Hạn xử lý mới", field="deadline"),
                }
                _perform(bench, actor, config, task_id, key, update, form, typed, done=rounds)
    elif key is ActionKey.REPLACE:
        units = {str(c.value): c.label for c in bench.units}
        found = unit_search(  # outside the form: "tai chinh" finds Sở Tài chính
            f"replace_find_{task_id}",
            {str(c.value): f"{c.label} {c.search}" for c in bench.units},
            units,
            picker=f"replace_lead_{task_id}",
            serves="danh sách “Đơn vị chủ trì”",
        )
        codes = matches_first(list(units), found)
        with st.form("replace_task", clear_on_submit=False, enter_to_submit=False):
            required_note()
            new_content = st.text_area(
                required("Nội dung nhiệm vụ thay thế"), height=68, key=f"replace_content_{task_id}"
            )
            form.slot("content", "Nội dung nhiệm vụ thay thế")
            new_lead = st.selectbox(
                required("Đơn vị chủ trì"),
                codes,
                index=codes.index(lead_code) if lead_code in codes else 0,
                format_func=lambda c: units[c],
                key=f"replace_lead_{task_id}",
            )
            form.slot("lead", "Đơn vị chủ trì")
            new_deadline = date_field("Hạn xử lý", key=f"replace_deadline_{task_id}", config=config, needed=True)
            form.slot("deadline", "Hạn xử lý")
            replace_reason = st.text_input(required("Lý do thay thế"), key=f"replace_reason_{task_id}")
            form.slot("reason", "Lý do thay thế")
            form.summary_here()
            if st.form_submit_button("Thay thế nhiệm vụ"):
                replacement = {
                    "reason": replace_reason,
                    "content": new_content,
                    "lead_unit_code": new_lead or "",
                    "deadline": typed.day(new_deadline, label="Hạn xử lý", field="deadline"),
                }
                _perform(bench, actor, config, task_id, key, replacement, form, typed)
    else:
        with st.form("revoke_task", clear_on_submit=False, enter_to_submit=False):
            revoke_reason = st.text_input(required("Lý do thu hồi"), key=f"revoke_reason_{task_id}")
            form.slot("reason", "Lý do thu hồi")
            form.summary_here()
            if st.form_submit_button("Thu hồi nhiệm vụ"):
                _perform(bench, actor, config, task_id, key, {"reason": revoke_reason}, form)
