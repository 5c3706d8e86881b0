"""Vai trò và quyền — the admin edits each role's label and what it may do at VP UBND and in the
other units (a role × permission matrix per place, as ``config/roles.yaml``); each save is a new
configuration version (``services.admin.roles_admin``), in force at every user's next click. The
service checks the admin permission and every rule again, and keeps someone able to administer."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from models import ConfigVersion, Permission, Role
from services.admin import roles_admin
from services.admin.roles_admin import SCOPES, RoleEdit
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, run
from ui.runtime import config, require_actor, runtime

MESSAGE_KEY = "admin_roles_message"
# The two matrices: the place a user belongs to, as the form titles it
PLACES: dict[str, str] = {
    "at_office": "Khi thuộc VP UBND tỉnh",
    "at_unit": "Khi thuộc sở, ban, ngành, UBND cấp huyện và đơn vị trực thuộc",
}

actor = require_actor()
st.title("Vai trò và quyền")
if not actor.can(Permission.ADMIN):
    st.error("Chỉ quản trị hệ thống xem trang này.")
    st.stop()

rt = runtime()
cfg = config()
version = rt.config_version
st.caption(
    (f"Cấu hình đang dùng: phiên bản {version}." if version else "Cấu hình đang dùng: bản gốc config/roles.yaml.")
    + " Mỗi vai trò có tên hiển thị và hai nhóm quyền: khi người dùng thuộc VP UBND tỉnh và khi thuộc đơn vị "
    "khác. Các bước xử lý trong đơn vị (vào sổ, bút phê, dự thảo…) được phân quyền ở trang “Quy trình xử lý”. "
    "Lưu tạo một phiên bản cấu hình mới, có hiệu lực ngay từ lần bấm tiếp theo của mọi người dùng."
)
banner = st.empty()
if message := st.session_state.pop(MESSAGE_KEY, None):
    banner.success(md_escape(message))

rounds = FormRound("admin_roles")  # a save redraws the form from the new version
k = rounds.key
roles = cfg.roles.roles
widths = [3.2, *([1.0] * len(Role))]

with st.form(k("roles_form"), enter_to_submit=False):
    form, typed = FormErrors(), TypedInput()
    st.subheader("Tên vai trò")
    labels: dict[Role, str] = {}
    for column, role in zip(st.columns(len(Role)), Role, strict=True):
        labels[role] = column.text_input(
            f"Tên vai trò :gray[:small[`{role.value}`]]",
            value=roles[role].label,
            key=k(f"label_{role.value}"),
            max_chars=100,
        )
        form.slot(f"roles.{role.value}.label", f"Tên vai trò “{roles[role].label}”", column)
    checked: dict[str, dict[Role, list[str]]] = {}
    for scope, title in PLACES.items():
        st.subheader(title)
        head = st.columns(widths, vertical_alignment="bottom")
        head[0].markdown("**Quyền**")
        for column, role in zip(head[1:], Role, strict=True):
            column.markdown(f"**{md_escape(roles[role].label)}**")
        checked[scope] = {role: [] for role in Role}
        for permission in Permission:
            row = st.columns(widths, vertical_alignment="center")
            row[0].markdown(
                f"{md_escape(cfg.permission_label(permission))} :gray[:small[`{permission.value}`]]",
            )
            for column, role in zip(row[1:], Role, strict=True):
                if column.checkbox(
                    f"{cfg.permission_label(permission)} — {roles[role].label} — {title}",
                    value=permission in getattr(roles[role], scope),
                    key=k(f"{scope}_{role.value}_{permission.value}"),
                    label_visibility="collapsed",
                ):
                    checked[scope][role].append(permission.value)
        for role in Role:
            form.slot(f"roles.{role.value}.{scope}", f"{roles[role].label} — {SCOPES[scope]}")
    note = st.text_input("Ghi chú thay đổi (không bắt buộc)", key=k("note"), max_chars=300)
    form.slot("admin", "Quyền quản trị")
    form.slot("config", "Cấu hình")
    form.summary_here()
    if st.form_submit_button("Lưu vai trò và quyền", type="primary"):
        edits = {
            role.value: RoleEdit(
                label=labels[role], at_office=checked["at_office"][role], at_unit=checked["at_unit"][role]
            )
            for role in Role
        }

        def save(session: Session) -> ConfigVersion:
            return roles_admin.save_roles(
                session=session, actor=actor, roles=edits, based_on=version, config_dir=rt.seed_dir, note=note
            )

        saved = run(form, typed, save)
        if saved is not None:
            st.session_state[MESSAGE_KEY] = f"Đã lưu phiên bản cấu hình {saved.id}."
            rounds.next()
            st.rerun()
