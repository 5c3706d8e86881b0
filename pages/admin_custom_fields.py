"""Trường tùy chỉnh — the admin adds fields to the assignment document or to each task, renames
them, and retires them (never deletes). Every rule is in ``services.admin.custom_fields`` and
``services.custom_fields``; this page reads the forms and shows every text as text."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import AdminEntity, FieldTarget, Permission, Role
from services.admin import custom_fields as admin_fields
from services.admin.journal import history
from services.custom_fields import CHOICE, TARGET_LABELS, FieldDef, all_fields, kind_labels
from services.infra.clock import fmt_datetime
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, required, required_note, run
from ui.runtime import config, db, require_actor

MESSAGE_KEY = "admin_custom_fields_message"

actor = require_actor()
cfg = config()
st.title("Trường tùy chỉnh")
if not actor.can(Permission.ADMIN):
    st.error(admin_fields.ADMIN_ONLY)
    st.stop()
st.caption(
    "Thêm thông tin riêng của tỉnh vào văn bản giao (nhập một lần) hoặc vào từng nhiệm vụ: trường hiện trong "
    "Giao nhiệm vụ, trang Chi tiết nhiệm vụ, mọi danh sách nhiệm vụ (cột bổ sung; trường chọn từ danh sách "
    "và có/không: bộ lọc) và API. Chỉ vai trò được xem mới thấy trường. Đổi tên không mất dữ "
    "liệu; trường không bao giờ bị xóa: ngừng dùng thì không còn trong biểu mẫu mới, giá trị cũ vẫn hiện."
)
if message := st.session_state.pop(MESSAGE_KEY, None):
    st.success(md_escape(message))

with db() as session:
    fields = all_fields(session=session)
types = kind_labels()
role_names = {r.value: cfg.role_label(r) for r in Role}


def _roles_text(field: FieldDef) -> str:
    if not field.roles or set(field.roles) == set(Role):
        return "Tất cả vai trò"
    return ", ".join(role_names[r.value] for r in field.roles)


def _done(text: str) -> None:
    st.session_state[MESSAGE_KEY] = text
    st.rerun()


st.subheader("Các trường")
if fields:
    st.dataframe(
        pd.DataFrame(
            {
                "Mã trường": [f.key for f in fields],
                "Tên hiển thị": [f.label for f in fields],
                "Kiểu": [f.kind_label for f in fields],
                "Thuộc": [TARGET_LABELS[f.target] for f in fields],
                "Bắt buộc": ["Có" if f.required else "" for f in fields],
                "Vai trò được xem": [_roles_text(f) for f in fields],
                "Lựa chọn": ["; ".join(f.choices) for f in fields],
                "Trạng thái": ["Ngừng dùng" if f.retired else "Đang dùng" for f in fields],
            }
        ),
        hide_index=True,
        column_config={
            "Mã trường": st.column_config.TextColumn(width=110),
            "Tên hiển thị": st.column_config.TextColumn(width=130),
            "Kiểu": st.column_config.TextColumn(width=120),
            "Thuộc": st.column_config.TextColumn(width=100),
            "Bắt buộc": st.column_config.TextColumn(width=65),
            "Vai trò được xem": st.column_config.TextColumn(width=120),
            "Lựa chọn": st.column_config.TextColumn(width=210),
            "Trạng thái": st.column_config.TextColumn(width=85),
        },
    )
else:
    st.info("Chưa có trường tùy chỉnh nào.")

add_tab, rename_tab, retire_tab, log_tab = st.tabs(["Thêm trường", "Đổi tên", "Ngừng dùng, dùng lại", "Nhật ký"])

with add_tab:
    rounds = FormRound("admin_cf_add")
    k = rounds.key
    with st.form(k("cf_add"), enter_to_submit=False):
        required_note()
        form, typed = FormErrors(), TypedInput()
        c1, c2, c3 = st.columns(3)
        key = c1.text_input(
            required("Mã trường"), key=k("cf_key"), placeholder="vd. nguon_von", help=admin_fields.KEY_HINT
        )
        form.slot("key", "Mã trường", c1)
        label = c2.text_input(required("Tên hiển thị"), key=k("cf_label"), placeholder="vd. Nguồn vốn")
        form.slot("label", "Tên hiển thị", c2)
        kind = c3.selectbox(required("Kiểu dữ liệu"), list(types), format_func=lambda t: types[t], key=k("cf_kind"))
        form.slot("kind", "Kiểu dữ liệu", c3)
        c4, c6 = st.columns([2, 1])
        target = c4.radio(
            required("Nhập ở"),
            list(FieldTarget),
            format_func=lambda t: TARGET_LABELS[t],
            key=k("cf_target"),
            horizontal=True,
        )
        form.slot("target", "Nhập ở", c4)
        c5 = st.container()
        roles = c5.multiselect(
            required("Vai trò được xem"),
            list(role_names),
            default=list(role_names),
            format_func=lambda r: role_names[r],
            key=k("cf_roles"),
            placeholder="Chọn vai trò",
            select_all=False,  # Streamlit's "Select all" is English
        )
        form.slot("roles", "Vai trò được xem", c5)
        needed = c6.checkbox("Bắt buộc nhập", key=k("cf_required"))
        help_text = st.text_input("Hướng dẫn (hiện cạnh ô nhập)", key=k("cf_help"))
        form.slot("help", "Hướng dẫn")
        choices = st.text_area(
            f"Lựa chọn — chỉ cho kiểu “{types[CHOICE]}”, mỗi dòng một lựa chọn", key=k("cf_choices"), height=100
        )
        form.slot("choices", "Lựa chọn")
        form.summary_here()
        add = st.form_submit_button("Thêm trường", type="primary")
    if add:
        made = run(
            form,
            typed,
            lambda s: admin_fields.create_field(
                session=s,
                actor=actor,
                key=key,
                label=label,
                kind=kind,
                target=target or "",
                required=needed,
                help=help_text,
                choices=choices.splitlines(),
                roles=roles,
            ),
        )
        if made is not None:
            rounds.next()
            _done(f"Đã thêm trường “{made.label}” ({made.key}).")

by_key = {f.key: f for f in fields}


def _field_label(key: str) -> str:
    field = by_key[key]
    return f"{field.label} ({field.key})" + (" — ngừng dùng" if field.retired else "")


with rename_tab:
    if not fields:
        st.info("Chưa có trường nào để đổi tên.")
    else:
        chosen = st.selectbox("Trường", list(by_key), format_func=_field_label, key="cf_rename_field")
        with st.form(f"cf_rename_{chosen}", enter_to_submit=False):
            form, typed = FormErrors(), TypedInput()
            new_label = st.text_input(required("Tên hiển thị mới"), value=by_key[chosen].label)
            form.slot("label", "Tên hiển thị mới")
            new_help = st.text_input("Hướng dẫn", value=by_key[chosen].help)
            form.slot("help", "Hướng dẫn")
            st.caption("Mã trường, kiểu dữ liệu và mọi giá trị đã nhập giữ nguyên.")
            form.summary_here()
            rename = st.form_submit_button("Đổi tên", type="primary")
        if rename:
            renamed = run(
                form,
                typed,
                lambda s: admin_fields.rename_field(session=s, actor=actor, key=chosen, label=new_label, help=new_help),
            )
            if renamed is not None:
                _done(f"Đã đổi tên trường {renamed.key} thành “{renamed.label}”.")

with retire_tab:
    if not fields:
        st.info("Chưa có trường nào.")
    else:
        picked = st.selectbox("Trường", list(by_key), format_func=_field_label, key="cf_retire_field")
        field = by_key[picked]
        form, typed = FormErrors(), TypedInput()
        if field.retired:
            st.caption("Trường đang ngừng dùng: không có trong biểu mẫu mới; giá trị đã nhập vẫn hiện.")
            act = st.button("Dùng lại trường này", key="cf_restore")
        else:
            st.caption("Ngừng dùng: trường không còn trong biểu mẫu mới; giá trị đã nhập vẫn hiện. Không xóa gì.")
            act = st.button("Ngừng dùng trường này", key="cf_retire")
        form.summary_here()
        if act:
            call = admin_fields.restore_field if field.retired else admin_fields.retire_field
            changed = run(form, typed, lambda s: call(session=s, actor=actor, key=picked))
            if changed is not None:
                state = "ngừng dùng" if changed.retired else "dùng lại"
                _done(f"Đã {state} trường “{changed.label}”.")

with log_tab:
    with db() as session:
        entries = history(session=session, entity=AdminEntity.CUSTOM_FIELD, limit=100)
    if not entries:
        st.info("Chưa có thay đổi nào.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Lúc": [fmt_datetime(e.at) for e in entries],
                    "Mã trường": [e.entity_key for e in entries],
                    "Thao tác": [e.action for e in entries],
                    "Trước": [str(e.before or "") for e in entries],
                    "Sau": [str(e.after or "") for e in entries],
                }
            ),
            hide_index=True,
        )
