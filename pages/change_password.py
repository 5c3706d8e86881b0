"""Đổi mật khẩu — the person's own password: asked at the first login (and after the admin resets
it) before anything else, and offered under "Khác" to everyone."""

from __future__ import annotations

import streamlit as st

from services.access.accounts import MIN_PASSWORD_LENGTH
from services.admin.users import change_own_password
from ui.forms import FormErrors, FormRound, TypedInput, required, required_note, run
from ui.runtime import PASSWORD_CHANGED_KEY, current_session_id, require_actor

actor = require_actor()
st.title("Đổi mật khẩu")
if actor.must_change_password:
    st.warning(
        "Mật khẩu bạn đang dùng do quản trị viên cấp. Hãy đặt mật khẩu mới của riêng bạn trước khi dùng Giao việc."
    )
st.caption(
    f"Mật khẩu mới cần ít nhất {MIN_PASSWORD_LENGTH} ký tự, không chứa tên đăng nhập và không phải mật khẩu phổ biến. "
    "Sau khi đổi, các phiên đăng nhập khác của tài khoản (trên máy khác, trình duyệt khác) kết thúc; "
    "phiên này vẫn tiếp tục."
)

form_round = FormRound("change_password")
errors = FormErrors()
with st.form("change_password"):
    required_note()
    current = st.text_input(
        required("Mật khẩu hiện tại"),
        type="password",
        key=form_round.key("current_password"),
        autocomplete="current-password",
    )
    errors.slot("current_password", "Mật khẩu hiện tại")
    new = st.text_input(
        required("Mật khẩu mới"), type="password", key=form_round.key("new_password"), autocomplete="new-password"
    )
    errors.slot("new_password", "Mật khẩu mới")
    again = st.text_input(
        required("Nhập lại mật khẩu mới"),
        type="password",
        key=form_round.key("new_password_again"),
        autocomplete="new-password",
    )
    errors.slot("new_password_again", "Nhập lại mật khẩu mới")
    submitted = st.form_submit_button("Đổi mật khẩu", type="primary")
    errors.summary_here()

if submitted:
    done = run(
        errors,
        TypedInput(),
        lambda session: change_own_password(
            session=session,
            actor=actor,
            current_password=current,
            new_password=new,
            new_password_again=again,
            keep_session_id=current_session_id(),
        ),
    )
    if done is not None:
        form_round.next()
        st.session_state[PASSWORD_CHANGED_KEY] = "Đã đổi mật khẩu."
        st.rerun()
