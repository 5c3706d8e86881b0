"""Khóa API — a person's API tokens (the admin: everyone's): create one (its secret shown once), revoke."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Permission
from services.access.tokens import (
    TokenStatus,
    create_token,
    expiry_at_end_of,
    last_valid_day,
    list_tokens,
    revoke_token,
    token_owners,
)
from services.infra.clock import fmt_date, fmt_datetime
from services.infra.errors import ServiceError
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, date_field, run
from ui.runtime import config, db, require_actor

CREATED_KEY = "api_token_created"  # (name, secret): shown on the next run only, then gone
MESSAGE_KEY = "api_token_message"
STATUS_LABELS = {TokenStatus.ACTIVE: "Đang dùng", TokenStatus.EXPIRED: "Hết hạn", TokenStatus.REVOKED: "Đã thu hồi"}

actor = require_actor()
is_admin = actor.can(Permission.ADMIN)
st.title("Khóa API")
st.caption(
    "Khóa API cho phép một chương trình khác (phần mềm của đơn vị, công cụ báo cáo…) gọi API của Giao việc "
    "thay cho tài khoản: khóa làm được đúng những gì tài khoản làm được trên các trang. "
    "Gửi khóa trong tiêu đề `Authorization: Bearer <khóa>`; tài liệu API ở [/api/v1/docs](/api/v1/docs)."
)

if created := st.session_state.pop(CREATED_KEY, None):
    name, secret = created
    st.success(
        f"Đã tạo khóa “{md_escape(name)}”. Hãy sao chép khóa ngay và cất giữ cẩn thận: "
        "khóa chỉ hiện **một lần** này, sau đó không xem lại được."
    )
    st.code(secret, language=None)
    st.caption("Bấm biểu tượng sao chép ở góc phải ô trên để sao chép khóa.")
if message := st.session_state.pop(MESSAGE_KEY, None):
    st.success(md_escape(message))  # it quotes the key's name

with db() as session:
    tokens = list_tokens(session=session, actor=actor)
    owners = {u.id: f"{u.full_name} ({u.username})" for u in token_owners(session=session, actor=actor) if u.id}

st.subheader("Tạo khóa mới")
rounds = FormRound("api_token")  # a key created, the next form starts empty
k = rounds.key
with st.form(k("new_api_token"), enter_to_submit=False):
    form, typed = FormErrors(), TypedInput()
    owner_id = actor.user_id
    if is_admin:
        ids = list(owners)
        owner_id = st.selectbox(
            "Tài khoản",
            options=ids,
            index=ids.index(actor.user_id) if actor.user_id in ids else 0,
            format_func=lambda uid: owners.get(uid, str(uid)),
            key=k("api_token_owner"),
        )
        form.slot("owner_user_id", "Tài khoản")
    name = st.text_input(
        "Tên khóa", max_chars=120, placeholder="Ví dụ: Báo cáo tự động của Sở", key=k("api_token_name")
    )
    form.slot("name", "Tên khóa")
    # Typed, never a clamped picker: a date outside the range is refused with the reason, not moved.
    expiry_text = date_field(
        "Dùng được đến hết ngày (bỏ trống: không hết hạn)", key=k("api_token_expiry"), config=config()
    )
    form.slot("expires_at", "Dùng được đến hết ngày")
    form.summary_here()
    submitted = st.form_submit_button("Tạo khóa", type="primary")
if submitted:
    expiry = typed.day(expiry_text, label="Ngày hết hạn", field="expires_at")
    created = run(
        form,
        typed,
        lambda session: create_token(
            session=session,
            actor=actor,
            owner_user_id=int(owner_id),
            name=name,
            expires_at=expiry_at_end_of(expiry) if expiry else None,
            limits=config().app,
        ),
    )
    if created is not None:
        token, secret = created
        st.session_state[CREATED_KEY] = (token.name, secret)
        rounds.next()
        st.rerun()

st.subheader("Các khóa của mọi tài khoản" if is_admin else "Khóa của bạn")
if not tokens:
    st.info("Chưa có khóa API nào.")
    st.stop()
table = {
    **({"Tài khoản": [f"{t.owner_name} ({t.owner_username})" for t in tokens]} if is_admin else {}),
    "Tên khóa": [t.name for t in tokens],
    "Mã đầu": [f"{t.prefix}…" for t in tokens],
    "Tạo lúc": [fmt_datetime(t.created_at) for t in tokens],
    "Hết hạn": [fmt_date(last_valid_day(t.expires_at)) if t.expires_at else "Không" for t in tokens],
    "Dùng lần cuối": [fmt_datetime(t.last_used_at) or "Chưa dùng" for t in tokens],
    "Trạng thái": [STATUS_LABELS[t.status] for t in tokens],
}
st.dataframe(
    pd.DataFrame(table),
    hide_index=True,
    column_config={"Tên khóa": st.column_config.TextColumn(width="medium")},
)

active = [t for t in tokens if t.status is TokenStatus.ACTIVE]
if active:
    st.subheader("Thu hồi khóa")
    st.caption("Khóa bị thu hồi ngừng hoạt động ngay; chương trình đang dùng nó sẽ nhận lỗi 401.")
    for t in active:
        whose = f" của {md_escape(t.owner_name)}" if is_admin and t.owner_user_id != actor.user_id else ""
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**{md_escape(t.name)}**{whose} · `{t.prefix}…`")
        if right.button("Thu hồi", key=f"revoke_token_{t.token_id}"):
            try:
                with db() as session:
                    revoke_token(session=session, actor=actor, token_id=t.token_id)
            except ServiceError as exc:
                st.error(md_escape(exc.message))
            else:
                st.session_state[MESSAGE_KEY] = f"Đã thu hồi khóa “{t.name}”."
                st.rerun()
