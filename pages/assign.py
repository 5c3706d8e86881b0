"""Giao nhiệm vụ — VP UBND's tracker enters an assignment document and its tasks."""

from __future__ import annotations

import streamlit as st

from models import Permission
from models.schemas import AssignmentCreate, TaskCreate
from services.infra.errors import ServiceError
from services.org.units import assignable_units
from services.tasks.assignment import create_assignment
from ui.attachments import attachment_picker  # issue 9: the document's files
from ui.format import md_escape
from ui.runtime import config, db, require_actor, today

actor = require_actor()
cfg = config()
st.title("Giao nhiệm vụ")
if not actor.can(Permission.TASK_ASSIGN):
    st.error("Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được giao nhiệm vụ.")
    st.stop()

with db() as session:
    units = assignable_units(session=session)
unit_label = {u.code: f"{u.short_name} ({u.code})" for u in units}

if "assign_form_version" not in st.session_state:
    st.session_state.assign_form_version = 0
version = st.session_state.assign_form_version

if message := st.session_state.pop("assign_success", None):
    st.success(md_escape(message))  # it quotes the số/ký hiệu as typed
    st.toast(md_escape(message), icon=":material/check_circle:")

count = int(
    st.columns([1, 3])[0].number_input(
        "Số nhiệm vụ trong văn bản", min_value=1, max_value=20, value=1, step=1, key=f"count{version}"
    )
)

with st.form(f"assign{version}"):
    st.subheader("Văn bản giao nhiệm vụ")
    c1, c2, c3 = st.columns(3)
    code = c1.text_input("Số/ký hiệu", placeholder="vd. 1234/UBND-KT")
    issue_date = c2.date_input("Ngày ban hành", value=today(), max_value=today(), format="DD/MM/YYYY")
    issuer = c3.selectbox("Cơ quan ban hành", list(cfg.app.issuers), format_func=lambda k: cfg.app.issuers[k])
    c4, c5 = st.columns([1, 2])
    doc_type = c4.selectbox(
        "Loại văn bản", list(cfg.app.document_types), format_func=lambda k: cfg.app.document_types[k]
    )
    signer = c5.text_input("Người ký")
    summary = st.text_area("Trích yếu", height=80)
    files = attachment_picker(key=f"files{version}", config=cfg, label="Tệp văn bản giao (bản scan, phụ lục)")
    tasks: list[dict[str, object]] = []
    for number in range(1, count + 1):
        st.subheader(f"Nhiệm vụ {number}")
        content = st.text_area("Nội dung nhiệm vụ", key=f"content{version}_{number}", height=80)
        a, b = st.columns(2)
        lead = a.selectbox(
            "Đơn vị chủ trì",
            list(unit_label),
            index=None,
            placeholder="Chọn một đơn vị chủ trì",
            format_func=lambda c: unit_label[c],
            key=f"lead{version}_{number}",
        )
        coordinators = b.multiselect(
            "Đơn vị phối hợp (không tính vào thống kê)",
            list(unit_label),
            format_func=lambda c: unit_label[c],
            key=f"coord{version}_{number}",
            placeholder="Không bắt buộc",
        )
        d1, d2 = st.columns(2)
        deadline = d1.date_input(
            "Hạn xử lý (ngày cụ thể)", value=None, format="DD/MM/YYYY", key=f"deadline{version}_{number}"
        )
        working_days = d2.number_input(
            "hoặc số ngày làm việc kể từ ngày ban hành",
            min_value=1,
            max_value=365,
            value=None,
            step=1,
            key=f"wd{version}_{number}",
        )
        tasks.append(
            {
                "content": content,
                "lead": lead,
                "coordinators": coordinators,
                "deadline": deadline,
                "working_days": working_days,
            }
        )
    submitted = st.form_submit_button("Lưu và giao nhiệm vụ", type="primary")

if submitted:
    data = AssignmentCreate(
        code=code,
        issue_date=issue_date,
        issuer=issuer,
        doc_type=doc_type,
        summary=summary,
        signer=signer,
        attachments=files,
        tasks=[
            TaskCreate(
                content=str(t["content"] or ""),
                lead_unit_code=str(t["lead"] or ""),
                coordinating_unit_codes=list(t["coordinators"]),  # type: ignore[call-overload]
                deadline=t["deadline"],  # type: ignore[arg-type]
                working_days=int(t["working_days"]) if t["working_days"] else None,  # type: ignore[call-overload]
            )
            for t in tasks
        ],
    )
    try:
        with db() as session:
            document = create_assignment(session=session, actor=actor, config=cfg, data=data)
    except ServiceError as exc:
        st.error(md_escape(exc.message))  # "Số/ký hiệu '…' đã có …" quotes what was typed
    else:
        st.session_state.assign_success = f"Đã giao {len(data.tasks)} nhiệm vụ theo văn bản {document.code}."
        st.session_state.assign_form_version = version + 1
        st.rerun()
