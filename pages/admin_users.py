"""Người dùng — the admin's accounts (Quản trị): find them (with or without accents), create one
with a generated first password shown once, edit its name, role, unit and e-mail, lock or unlock
it, give it a new password. Every rule is in ``services.admin.users``; this page reads the forms,
calls it and draws what it answers (every text as text, never as markdown)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Permission, Role
from services.admin.users import (
    AccountRow,
    create_account,
    list_accounts,
    reset_password,
    set_account_locked,
    update_account,
)
from services.infra.errors import ServiceError
from services.org.units import list_units, unit_search_text
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, required, required_note, run
from ui.pickers import matches_first, unit_search
from ui.runtime import config, db, require_actor, runtime

PASSWORD_KEY = "admin_users_password"  # (username, what was done): with the password, shown once
MESSAGE_KEY = "admin_users_message"
ALL = ""
STATUS = {ALL: "Tất cả", "active": "Đang hoạt động", "locked": "Đã khóa"}

actor = require_actor()
cfg = config()
st.title("Người dùng")
if not actor.can(Permission.ADMIN):
    st.error("Chỉ quản trị hệ thống quản lý được tài khoản người dùng.")
    st.stop()
st.caption(
    "Tài khoản đăng nhập của cán bộ: tạo mới, sửa họ tên, vai trò, đơn vị, e-mail, khóa hoặc mở khóa, cấp lại "
    "mật khẩu. Mật khẩu do hệ thống sinh chỉ hiện một lần; người dùng phải đổi nó ngay khi đăng nhập. "
    "Mọi thay đổi được ghi vào nhật ký quản trị."
)

if shown := st.session_state.pop(PASSWORD_KEY, None):
    (username, what), password = shown
    st.success(
        f"{md_escape(what)} “{md_escape(username)}”. Mật khẩu dưới đây chỉ hiện **một lần** này: hãy chuyển cho "
        "người dùng qua kênh an toàn. Khi đăng nhập, họ phải đổi sang mật khẩu của riêng mình."
    )
    st.code(password, language=None)
if message := st.session_state.pop(MESSAGE_KEY, None):
    st.success(md_escape(message))

roles = list(cfg.roles.roles)
role_label = {r.value: cfg.role_label(r) for r in roles}
with db() as session:
    all_units = list_units(session=session, active_only=False)
unit_label = {u.code: u.short_name for u in all_units}
open_units = [u for u in all_units if u.active]


def _unit_name(code: str) -> str:
    return unit_label.get(code, code)


# --- the list ------------------------------------------------------------------------------------
st.subheader("Danh sách tài khoản")
with st.form("admin_users_filters"):
    c1, c2, c3, c4 = st.columns([1.6, 1.4, 1, 1])
    c1.text_input(
        "Tìm tài khoản",
        key="admin_users_query",
        placeholder="Tên đăng nhập hoặc họ tên",
        help="Có dấu hay không dấu đều được: “nguyen van” tìm ra “Nguyễn Văn …”.",
        max_chars=100,
    )
    c2.selectbox(
        "Đơn vị",
        options=[ALL, *unit_label],
        format_func=lambda code: _unit_name(code) if code else "Tất cả",
        key="admin_users_unit",
    )
    c3.selectbox(
        "Vai trò",
        options=[ALL, *role_label],
        format_func=lambda value: role_label[value] if value else "Tất cả",
        key="admin_users_role",
    )
    c4.selectbox("Trạng thái", options=list(STATUS), format_func=STATUS.__getitem__, key="admin_users_status")
    st.form_submit_button("Lọc")
status: str = st.session_state.admin_users_status
role_value: str = st.session_state.admin_users_role
try:
    with db() as session:
        rows = list_accounts(
            session=session,
            actor=actor,
            query=st.session_state.admin_users_query,
            unit_code=st.session_state.admin_users_unit or None,
            role=Role(role_value) if role_value else None,
            locked=None if status == ALL else status == "locked",
        )
except ServiceError as exc:
    st.error(md_escape(exc.message))
    st.stop()

if not rows:
    st.info("Không có tài khoản nào khớp bộ lọc.")
else:
    st.caption(f"{len(rows)} tài khoản")
    st.dataframe(
        pd.DataFrame(
            {
                "Tên đăng nhập": [r.username for r in rows],
                "Họ tên": [r.full_name for r in rows],
                "Vai trò": [role_label.get(r.role.value, r.role.value) for r in rows],
                "Đơn vị": [r.unit_name for r in rows],
                "E-mail": [r.email for r in rows],
                "Trạng thái": ["Đã khóa" if not r.active else "Đang hoạt động" for r in rows],
                "Mật khẩu": ["Chờ người dùng đổi" if r.must_change_password else "" for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
    )


# --- one account: edit, lock, new password -------------------------------------------------------
def _edit(row: AccountRow) -> None:
    """The chosen account's forms; their widget keys carry its id, so each opens with its values."""
    k = f"admin_users_edit_{row.user_id}"
    unit_codes = [u.code for u in open_units]
    if row.unit_code not in unit_codes:
        unit_codes.append(row.unit_code)  # a closed unit it still belongs to: kept, not offered to others
    errors = FormErrors()
    with st.form(f"{k}_form"):
        required_note()
        full_name = st.text_input(required("Họ tên"), value=row.full_name, key=f"{k}_full_name", max_chars=255)
        errors.slot("full_name", "Họ tên")
        c1, c2 = st.columns(2)
        role = c1.selectbox(
            required("Vai trò"),
            options=list(role_label),
            index=list(role_label).index(row.role.value),
            format_func=role_label.__getitem__,
            key=f"{k}_role",
        )
        errors.slot("role", "Vai trò", c1)
        unit = c2.selectbox(
            required("Đơn vị"),
            options=unit_codes,
            index=unit_codes.index(row.unit_code),
            format_func=_unit_name,
            key=f"{k}_unit",
        )
        errors.slot("unit", "Đơn vị", c2)
        email = st.text_input("E-mail", value=row.email, key=f"{k}_email", max_chars=255)
        errors.slot("email", "E-mail")
        save = st.form_submit_button("Lưu thay đổi", type="primary")
        errors.summary_here()
    if save:
        changed = run(
            errors,
            TypedInput(),
            lambda session: update_account(
                session=session,
                actor=actor,
                username=row.username,
                full_name=full_name,
                role=role,
                unit_code=unit or "",
                config_dir=runtime().seed_dir,
                email=email,
            ),
        )
        if changed is not None:
            st.session_state[MESSAGE_KEY] = (
                f"Đã lưu tài khoản “{row.username}”."
                if changed
                else f"Tài khoản “{row.username}” không có gì thay đổi."
            )
            st.rerun()

    left, right = st.columns(2)
    lock_errors = FormErrors()
    with left.form(f"{k}_lock"):
        if row.active:
            st.markdown("**Khóa tài khoản**")
            st.caption("Không đăng nhập được nữa; mọi phiên đang mở kết thúc ngay.")
        else:
            st.markdown("**Mở khóa tài khoản**")
            st.caption("Tài khoản đang bị khóa; mở khóa để đăng nhập lại được.")
        lock = st.form_submit_button("Khóa tài khoản" if row.active else "Mở khóa tài khoản")
        lock_errors.summary_here()
    if lock:
        done = run(
            lock_errors,
            TypedInput(),
            lambda session: set_account_locked(
                session=session, actor=actor, username=row.username, locked=row.active, config_dir=runtime().seed_dir
            ),
        )
        if done is not None:
            st.session_state[MESSAGE_KEY] = (
                f"Đã khóa tài khoản “{row.username}”." if row.active else f"Đã mở khóa tài khoản “{row.username}”."
            )
            st.rerun()
    reset_errors = FormErrors()
    with right.form(f"{k}_reset"):
        st.markdown("**Cấp lại mật khẩu**")
        st.caption("Mật khẩu mới hiện một lần; mật khẩu cũ và mọi phiên đang mở hết hiệu lực.")
        reset = st.form_submit_button("Cấp lại mật khẩu")
        reset_errors.summary_here()
    if reset:
        password = run(
            reset_errors,
            TypedInput(),
            lambda session: reset_password(session=session, actor=actor, username=row.username),
        )
        if password is not None:
            st.session_state[PASSWORD_KEY] = ((row.username, "Đã cấp lại mật khẩu cho tài khoản"), password)
            st.rerun()


st.subheader("Sửa, khóa, cấp lại mật khẩu")
if rows:
    by_name = {r.username: r for r in rows}
    chosen = st.selectbox(
        "Tài khoản",
        options=list(by_name),
        format_func=lambda name: f"{by_name[name].full_name} ({name})",
        key="admin_users_chosen",
        help="Các tài khoản của danh sách trên (theo bộ lọc).",
    )
    if chosen is not None:
        _edit(by_name[chosen])
else:
    st.caption("Chọn bộ lọc để danh sách có tài khoản cần sửa.")


# --- a new account -------------------------------------------------------------------------------
st.subheader("Tạo tài khoản mới")
form_round = FormRound("admin_users_new")
unit_key = form_round.key("admin_users_new_unit")
# outside the form (a form sends nothing before its button): "tai chinh" chooses Sở Tài chính
found = unit_search(
    form_round.key("admin_users_new_find"),
    {u.code: unit_search_text(u) for u in open_units},
    {u.code: u.short_name for u in open_units},
    where=st.columns(2)[0],
    picker=unit_key,
    serves="danh sách Đơn vị bên dưới",
)
create_errors = FormErrors()
with st.form("admin_users_new", enter_to_submit=False):
    required_note()
    c1, c2 = st.columns(2)
    new_username = c1.text_input(
        required("Tên đăng nhập"),
        key=form_round.key("admin_users_new_username"),
        max_chars=64,
        placeholder="vd. stc.vanthu",
    )
    create_errors.slot("username", "Tên đăng nhập", c1)
    new_full_name = c2.text_input(required("Họ tên"), key=form_round.key("admin_users_new_full_name"), max_chars=255)
    create_errors.slot("full_name", "Họ tên", c2)
    c3, c4 = st.columns(2)
    new_role = c3.selectbox(
        required("Vai trò"),
        options=list(role_label),
        index=None,
        format_func=role_label.__getitem__,
        placeholder="Chọn vai trò",
        key=form_round.key("admin_users_new_role"),
    )
    create_errors.slot("role", "Vai trò", c3)
    new_unit = c4.selectbox(
        required("Đơn vị"),
        options=matches_first([u.code for u in open_units], found),
        index=None,
        format_func=_unit_name,
        placeholder="Chọn đơn vị",
        key=unit_key,
    )
    create_errors.slot("unit", "Đơn vị", c4)
    new_email = st.text_input("E-mail", key=form_round.key("admin_users_new_email"), max_chars=255)
    create_errors.slot("email", "E-mail")
    create = st.form_submit_button("Tạo tài khoản", type="primary")
    create_errors.summary_here()
if create:
    created = run(
        create_errors,
        TypedInput(),
        lambda session: create_account(
            session=session,
            actor=actor,
            username=new_username,
            full_name=new_full_name,
            role=new_role or "",
            unit_code=new_unit or "",
            email=new_email,
        ),
    )
    if created is not None:
        account, password = created
        st.session_state[PASSWORD_KEY] = ((account.username, "Đã tạo tài khoản"), password)
        form_round.next()
        st.rerun()
