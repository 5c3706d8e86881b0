"""Giao nhiệm vụ — VP UBND's tracker enters an assignment document and its tasks.

The form keeps everything typed when it is refused and shows every refusal under its field at
once (``ui/forms.py``); tasks are added and removed with buttons of the form itself, so nothing
typed is lost on the way. A deadline given in working days is shown as the date it gives before
the document is saved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from pydantic import ValidationError
from sqlmodel import Session

from models import Document, FieldTarget, Permission
from models.schemas import AssignmentCreate
from services.custom_fields import form_fields
from services.infra.clock import fmt_date
from services.infra.errors import InvalidInput
from services.infra.validation import invalid_input, parse_day
from services.org.units import assignable_units, lead_units, unit_search_text
from services.tasks.assignment import create_assignment, working_day_deadline
from ui.attachments import attachment_picker  # issue 9: the document's files
from ui.custom_fields import custom_inputs  # issue 10: trường tùy chỉnh
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, date_field, required, required_note, run
from ui.pickers import matches_first, unit_search
from ui.runtime import config, db, require_actor, today

MAX_TASKS = 20
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")

actor = require_actor()
cfg = config()
st.title("Giao nhiệm vụ")
if not actor.can(Permission.TASK_ASSIGN):
    st.error("Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được giao nhiệm vụ.")
    st.stop()

with db() as session:
    units = assignable_units(session=session)  # a phòng may coordinate
    leads = {u.code for u in lead_units(session=session)}  # only these may lead: never a phòng
    doc_fields = form_fields(session=session, actor=actor, target=FieldTarget.DOCUMENT)  # trường tùy chỉnh
    task_fields = form_fields(session=session, actor=actor, target=FieldTarget.TASK)
unit_label = {u.code: f"{u.short_name} ({u.code})" for u in units}

rounds = FormRound("assign")  # a document saved, the next one starts on an empty form
k = rounds.key
if message := st.session_state.pop("assign_success", None):
    st.success(md_escape(message))  # it quotes the số/ký hiệu as typed
    st.toast(md_escape(message), icon=":material/check_circle:")

count_key = k("assign_count")
count: int = st.session_state.setdefault(count_key, 1)
seen_key = k("assign_deadlines_seen")
seen_before: dict[int, tuple[date, int, date]] = st.session_state.get(seen_key, {})


def _working_days_preview(number: int, issue_text: str, days: int | None, where: Any) -> tuple[date, int, date] | None:
    """Under "số ngày làm việc": the date it gives, as of the values the form last sent."""
    if days is None:
        return None
    try:
        issued = parse_day(issue_text, label="Ngày ban hành", field="issue_date")
    except InvalidInput:
        issued = None
    if issued is None:
        where.caption("Hạn xử lý tính từ ngày ban hành: nhập ngày ban hành.")
        return None
    deadline = working_day_deadline(issue_date=issued, working_days=days, config=cfg)
    where.caption(
        f"→ Hạn xử lý: **{fmt_date(deadline)}** ({WEEKDAYS[deadline.weekday()]}), {days} ngày làm việc "
        f"sau {fmt_date(issued)} (không tính thứ Bảy, Chủ nhật, ngày lễ, Tết)."
    )
    return (issued, days, deadline)


# outside the form (a form sends nothing before its button): "tai chinh" puts Sở Tài chính first
found_units = unit_search(
    "assign_find",
    {u.code: unit_search_text(u) for u in units},
    {u.code: u.short_name for u in units},
    where=st.columns(2)[0],
    serves="các danh sách đơn vị chủ trì, phối hợp",
)
lead_options = matches_first([c for c in unit_label if c in leads], found_units)
coordinator_options = matches_first(list(unit_label), found_units)

with st.form(k("assign"), clear_on_submit=False, enter_to_submit=False):
    st.subheader("Văn bản giao nhiệm vụ")
    required_note()
    form, typed = FormErrors(), TypedInput()
    c1, c2, c3 = st.columns(3)
    code = c1.text_input(required("Số/ký hiệu"), placeholder="vd. 1234/UBND-KT", key=k("assign_code"))
    form.slot("code", "Số/ký hiệu", c1)
    issue_text = date_field(
        "Ngày ban hành", key=k("assign_issue_date"), config=cfg, where=c2, needed=True, initial=today()
    )
    form.slot("issue_date", "Ngày ban hành", c2)
    issuer = c3.selectbox(
        required("Cơ quan ban hành"),
        list(cfg.app.issuers),
        format_func=lambda key: cfg.app.issuers[key],
        key=k("assign_issuer"),
    )
    form.slot("issuer", "Cơ quan ban hành", c3)
    c4, c5 = st.columns([1, 2])
    doc_type = c4.selectbox(
        required("Loại văn bản"),
        list(cfg.app.document_types),
        format_func=lambda key: cfg.app.document_types[key],
        key=k("assign_doc_type"),
    )
    form.slot("doc_type", "Loại văn bản", c4)
    signer = c5.text_input(required("Người ký"), key=k("assign_signer"))
    form.slot("signer", "Người ký", c5)
    summary = st.text_area(required("Trích yếu"), height=80, key=k("assign_summary"))
    form.slot("summary", "Trích yếu")
    files = attachment_picker(key=k("files"), config=cfg, label="Tệp văn bản giao (bản scan, phụ lục)")
    form.slot("attachments", "Tệp văn bản giao")
    doc_custom = custom_inputs(doc_fields, key_prefix=k("cf_"), form=form, config=cfg, prefix="custom.")

    tasks: list[dict[str, Any]] = []
    previews: dict[int, tuple[date, int, date]] = {}
    for number in range(1, count + 1):
        st.subheader(f"Nhiệm vụ {number}")
        content = st.text_area(required("Nội dung nhiệm vụ"), key=k(f"content_{number}"), height=80)
        form.slot(f"tasks.{number}.content", f"Nhiệm vụ {number}: nội dung")
        a, b = st.columns(2)
        lead = a.selectbox(
            required("Đơn vị chủ trì"),
            lead_options,
            index=None,
            placeholder="Chọn một đơn vị chủ trì",
            format_func=lambda c: unit_label[c],
            key=k(f"lead_{number}"),
        )
        form.slot(f"tasks.{number}.lead", f"Nhiệm vụ {number}: đơn vị chủ trì", a)
        coordinators = b.multiselect(
            "Đơn vị phối hợp (không tính vào thống kê)",
            coordinator_options,
            format_func=lambda c: unit_label[c],
            select_all=False,  # Streamlit's "Select all" is English, and never meant here
            key=k(f"coord_{number}"),
            placeholder="Không bắt buộc",
        )
        form.slot(f"tasks.{number}.coordinators", f"Nhiệm vụ {number}: đơn vị phối hợp", b)
        st.caption("Hạn xử lý \\*: một ngày cụ thể, hoặc số ngày làm việc kể từ ngày ban hành.")
        d1, d2 = st.columns(2)
        deadline_text = date_field("Hạn xử lý (ngày cụ thể)", key=k(f"deadline_{number}"), config=cfg, where=d1)
        working_days = d2.number_input(
            "hoặc số ngày làm việc kể từ ngày ban hành",
            min_value=1,
            max_value=365,
            value=None,
            step=1,
            key=k(f"wd_{number}"),
        )
        days = int(working_days) if working_days is not None else None
        preview = _working_days_preview(number, issue_text, days, d2)
        if preview is not None:
            previews[number] = preview
        form.slot(f"tasks.{number}.deadline", f"Nhiệm vụ {number}: hạn xử lý")
        task_custom = custom_inputs(
            task_fields,
            key_prefix=k(f"cf{number}_"),
            form=form,
            config=cfg,
            prefix=f"tasks.{number}.custom.",
            label_prefix=f"Nhiệm vụ {number}: ",
        )
        tasks.append(
            {"content": content, "lead": lead, "coordinators": coordinators, "deadline": deadline_text, "days": days}
            | {"custom": task_custom}
        )
    st.session_state[seen_key] = previews  # the dates the person has now seen

    with st.container(horizontal=True):
        add = st.form_submit_button("Thêm nhiệm vụ", icon=":material/add:", disabled=count >= MAX_TASKS)
        drop = st.form_submit_button("Bớt nhiệm vụ cuối", icon=":material/remove:", disabled=count <= 1)
    form.summary_here()
    notice = st.empty()
    with st.container(horizontal=True):
        submitted = st.form_submit_button("Lưu và giao nhiệm vụ", type="primary")
        st.form_submit_button("Xem hạn xử lý tính theo ngày làm việc")  # runs the page: the dates above

if add or drop:  # a button of the form: everything typed was sent with it and stays
    st.session_state[count_key] = count + (1 if add else -1)
    st.rerun()

if submitted:
    unseen = {n: p for n, p in previews.items() if seen_before.get(n) != p}
    if unseen:  # a date the person has not seen yet is never saved: show it first
        notice.info(
            "Hạn xử lý tính theo ngày làm việc: "
            + "; ".join(f"Nhiệm vụ {n} → {fmt_date(p[2])}" for n, p in sorted(unseen.items()))
            + ". Kiểm tra rồi bấm “Lưu và giao nhiệm vụ” lần nữa để giao."
        )
        st.stop()
    raw = {
        "code": code,
        "issue_date": typed.day(issue_text, label="Ngày ban hành", field="issue_date", needed=True),
        "issuer": issuer,
        "doc_type": doc_type,
        "summary": summary,
        "signer": signer,
        "attachments": files,
        "custom": doc_custom,
        "tasks": [
            {
                "content": t["content"] or "",
                "lead_unit_code": t["lead"] or "",
                "coordinating_unit_codes": list(t["coordinators"]),
                "deadline": typed.day(
                    t["deadline"], label=f"Nhiệm vụ {n}: hạn xử lý", field=f"tasks.{n}.deadline"
                ),
                "working_days": t["days"],
                "custom": t["custom"],
            }
            for n, t in enumerate(tasks, start=1)
        ],
    }

    def _save(session: Session) -> Document:
        try:
            data = AssignmentCreate.model_validate(raw)
        except ValidationError as exc:
            raise invalid_input(exc.errors()) from None
        return create_assignment(session=session, actor=actor, config=cfg, data=data)

    document = run(form, typed, _save)
    if document is not None:
        st.session_state.assign_success = f"Đã giao {len(tasks)} nhiệm vụ theo văn bản {document.code}."
        rounds.next()
        st.rerun()
