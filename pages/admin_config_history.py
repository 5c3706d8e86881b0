"""Lịch sử cấu hình — every configuration version (who, when, why), two of them compared, one
restored (a new version), the configuration exported as YAML files and imported back. The
services (``services.admin.config_admin``) check the admin permission and validate everything."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from models import ConfigVersion, Permission
from services.admin import config_admin
from services.config import store
from services.infra.clock import fmt_datetime
from services.infra.errors import FieldError, ServiceError
from services.infra.validation import fmt_day
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, run
from ui.runtime import db, require_actor, runtime

MESSAGE_KEY = "admin_config_history_message"
SEED = 0  # "bản gốc": config/*.yaml of this installation

actor = require_actor()
st.title("Lịch sử cấu hình")
if not actor.can(Permission.ADMIN):
    st.error("Chỉ quản trị hệ thống xem trang này.")
    st.stop()

rt = runtime()
seed_dir = rt.seed_dir
banner = st.empty()  # always drawn: the elements below keep their place on every run
if message := st.session_state.pop(MESSAGE_KEY, None):
    banner.success(md_escape(message))
rounds = FormRound("admin_config_history")
k = rounds.key


def _done(row: ConfigVersion | None, verb: str) -> None:
    if row is None:
        return
    st.session_state[MESSAGE_KEY] = f"{verb}: phiên bản cấu hình {row.id} đang được dùng."
    rounds.next()
    st.rerun()


try:
    with db() as session:
        versions = config_admin.version_history(session=session, actor=actor)
        exported = config_admin.export_config(actor=actor, session=session, config_dir=seed_dir)
except ServiceError as exc:
    st.error(md_escape(exc.message))
    st.stop()

st.caption(
    "Mỗi lần lưu ở trang “Danh mục và tham số”, mỗi lần khôi phục và mỗi lần nhập tệp là một phiên bản; "
    "phiên bản mới nhất đang được dùng. Không phiên bản nào bị xóa."
)
if versions:
    table = pd.DataFrame(
        {
            "Phiên bản": [v.id for v in versions],
            "Thời gian": [fmt_datetime(v.created_at) for v in versions],
            "Người thực hiện": [v.author for v in versions],
            "Thay đổi": [v.action + (" (đang dùng)" if v.current else "") for v in versions],
            "Ghi chú": [v.note for v in versions],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
else:
    st.info(
        "Chưa có phiên bản nào được lưu: cấu hình đang dùng là bản gốc config/*.yaml. Lần lưu đầu tiên ghi bản gốc "
        "thành phiên bản 1."
    )

choices = [v.id for v in versions] or [SEED]


def _name(version_id: int) -> str:
    if version_id == SEED:
        return "Bản gốc config/*.yaml"
    row = next(v for v in versions if v.id == version_id)
    return f"Phiên bản {row.id} — {fmt_datetime(row.created_at)}" + (" (đang dùng)" if row.current else "")


def _plain(value: object) -> str:
    """A value of the configuration as people read it: dates dd/mm/yyyy, lists one after another."""
    if isinstance(value, date):
        return fmt_day(value)
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) if value else "(trống)"
    if isinstance(value, dict):
        return "; ".join(f"{k_}: {_plain(v)}" for k_, v in value.items())
    if isinstance(value, bool):
        return "có" if value else "không"
    return str(value)


def _shown(values: dict[str, object], key: str) -> str:
    return _plain(values[key]) if key in values else "(không có)"


st.subheader("So sánh hai phiên bản")
left, right = st.columns(2)
older = left.selectbox("Phiên bản cũ", choices, index=min(1, len(choices) - 1), format_func=_name, key="cfg_old")
newer = right.selectbox("Phiên bản mới", choices, index=0, format_func=_name, key="cfg_new")
try:
    with db() as session:
        old_files = config_admin.version_files(session=session, actor=actor, version_id=older, config_dir=seed_dir)
        new_files = config_admin.version_files(session=session, actor=actor, version_id=newer, config_dir=seed_dir)
except ServiceError as exc:
    st.error(md_escape(exc.message))
else:
    before, after = store.changed_keys(old_files, new_files)
    changed = list(dict.fromkeys([*before, *after]))
    if changed:
        st.dataframe(
            pd.DataFrame(
                {
                    "Mục": [config_admin.describe_key(key) for key in changed],
                    "Phiên bản cũ": [_shown(before, key) for key in changed],
                    "Phiên bản mới": [_shown(after, key) for key in changed],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        with st.expander("Khác biệt dạng YAML"):
            st.code(store.diff(old_files, new_files, old_name=f"v{older}", new_name=f"v{newer}"), language="diff")
    else:
        st.caption("Hai phiên bản giống nhau.")

st.subheader("Khôi phục một phiên bản")
with st.form(k("restore_form"), enter_to_submit=False):
    form, typed = FormErrors(), TypedInput()
    older_versions = [v.id for v in versions if not v.current]
    target = st.selectbox(
        "Phiên bản cần khôi phục",
        older_versions,
        index=None,
        format_func=_name,
        placeholder="Chọn một phiên bản" if older_versions else "Chưa có phiên bản cũ",
        key=k("restore_target"),
    )
    form.slot("version", "Phiên bản cần khôi phục")
    restore_note = st.text_input("Ghi chú (không bắt buộc)", key=k("restore_note"), max_chars=300)
    form.slot("config", "Cấu hình")
    form.summary_here()
    st.caption("Khôi phục tạo một phiên bản mới có nội dung của phiên bản đã chọn; lịch sử được giữ nguyên.")
    if st.form_submit_button("Khôi phục phiên bản này", type="primary", disabled=not older_versions):
        if target is None:
            form.show([FieldError("version", "Chọn phiên bản cần khôi phục.")])
        else:
            chosen: int = target

            def _restore(session: Session) -> ConfigVersion:
                return config_admin.restore_version(
                    session=session, actor=actor, version_id=chosen, config_dir=seed_dir, note=restore_note
                )

            _done(run(form, typed, _restore), f"Đã khôi phục phiên bản {target}")

st.subheader("Xuất, nhập cấu hình")
st.caption(
    "“Xuất cấu hình” tải về thư mục config/ (app.yaml, roles.yaml, workflows.yaml của cấu hình đang dùng và "
    "org.yaml của bản cài đặt) dạng tệp zip: giải nén vào config/ của một bản cài đặt mới là dùng được. "
    "“Nhập cấu hình” nhận lại tệp zip đó, hoặc từng tệp app.yaml, roles.yaml, workflows.yaml; mọi tệp được kiểm "
    "tra trước, có lỗi thì không thay đổi gì và báo tệp, dòng, trường sai. Danh sách đơn vị (org.yaml) không nhập "
    "ở đây."
)
st.download_button(
    "Xuất cấu hình",
    data=exported,
    file_name="giaoviec-cau-hinh.zip",
    mime="application/zip",
    icon=":material/download:",
    key="cfg_export",
)
with st.form(k("import_form"), enter_to_submit=False):
    form, typed = FormErrors(), TypedInput()
    uploads = st.file_uploader(
        "Tệp cấu hình (.zip, .yaml)",
        type=["zip", "yaml", "yml"],
        accept_multiple_files=True,
        key=k("import_files"),
    )
    form.slot("upload", "Tệp cấu hình")
    import_note = st.text_input("Ghi chú (không bắt buộc)", key=k("import_note"), max_chars=300)
    form.slot("config", "Cấu hình")
    form.summary_here()
    if st.form_submit_button("Nhập cấu hình", type="primary"):
        files = [(f.name, f.getvalue()) for f in uploads or []]
        if not files:
            form.show([FieldError("upload", "Chọn tệp cấu hình cần nhập.")])
        else:

            def _import(session: Session) -> ConfigVersion:
                return config_admin.import_config(
                    session=session, actor=actor, uploads=files, config_dir=seed_dir, note=import_note
                )

            _done(run(form, typed, _import), "Đã nhập cấu hình")
