"""Nhập dữ liệu — văn bản giao nhiệm vụ (with their past), đơn vị, tài khoản from .xlsx or .csv.

A thin page: choose what to import, download the template, upload the file, read the errors
(every one, by sheet, row and column) or the preview, press "Nhập". The services
(``services.imports``) check the admin permission, validate every row with pandera and create
everything in one transaction, or nothing.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from models import Permission
from services.imports import tasks as task_import
from services.imports import templates
from services.imports import units as unit_import
from services.imports import users as user_import
from services.imports.common import Checked, ImportRefused, ImportResult, problems_frame
from services.imports.schemas import Problem
from services.imports.templates import csv_bytes
from services.infra.errors import ServiceError
from ui.format import md_escape
from ui.runtime import config, db, require_actor, runtime, today

DONE_KEY = "admin_import_done"
CHECKED_KEY = "admin_import_checked"  # (kind, file digest) -> the check shown, for the reruns
ROUND_KEY = "admin_import_round"  # a new uploader after each import: the imported file is gone
KINDS = {
    "tasks": "Văn bản giao nhiệm vụ và nhiệm vụ",
    "units": "Đơn vị",
    "users": "Tài khoản người dùng",
}
FILE_NAMES = {"tasks": "mau-nhap-nhiem-vu", "units": "mau-nhap-don-vi", "users": "mau-nhap-tai-khoan"}

actor = require_actor()
st.title("Nhập dữ liệu")
if not actor.can(Permission.ADMIN):
    st.error("Chỉ quản trị hệ thống xem trang này.")
    st.stop()

cfg = config()
done: ImportResult | None = st.session_state.pop(DONE_KEY, None)
if done is not None:
    st.success(f"Đã nhập {done.rows} dòng từ tệp {md_escape(done.file_name)}.")
    if done.summary.get("documents") is not None:
        st.caption(md_escape(task_import.summary_line(done.summary)))
    if not done.extra.empty:
        st.warning(
            "Mật khẩu đầu tiên của các tài khoản chỉ hiện một lần này: tải về và giao cho từng người; "
            "mỗi người phải đổi mật khẩu khi đăng nhập lần đầu."
        )
        st.dataframe(done.extra, hide_index=True, width="stretch")
        st.download_button(
            "Tải danh sách mật khẩu (CSV)",
            data=csv_bytes(list(done.extra.columns), done.extra.astype(str).values.tolist()),
            file_name="mat-khau-dau-tien.csv",
            mime="text/csv",
            icon=":material/download:",
            key="import_passwords",
        )

st.caption(
    "Nhập từ tệp Excel (.xlsx) hoặc CSV (UTF-8, phân tách bằng dấu phẩy hoặc chấm phẩy) theo mẫu. Mọi dòng được "
    "kiểm tra trước; chỉ cần một dòng sai là không có gì được tạo, và mọi lỗi được liệt kê theo trang tính, dòng, "
    "cột. Nên nhập theo thứ tự: đơn vị, tài khoản, rồi văn bản giao nhiệm vụ."
)
kind = st.radio(
    "Loại dữ liệu",
    list(KINDS),
    format_func=lambda k: KINDS[k],
    horizontal=True,
    key="import_kind",
)

with db() as session:
    if kind == "tasks":
        xlsx = templates.task_template(session, cfg, kind="xlsx")
        csv = templates.task_template(session, cfg, kind="csv")
        trackers = task_import.tracker_accounts(session=session, config=cfg)
    elif kind == "units":
        xlsx, csv, trackers = templates.unit_template(kind="xlsx"), templates.unit_template(kind="csv"), []
    else:
        xlsx = templates.user_template(session, cfg, kind="xlsx")
        csv = templates.user_template(session, cfg, kind="csv")
        trackers = []

left, right = st.columns(2)
left.download_button(
    "Tải tệp mẫu (.xlsx)",
    data=xlsx,
    file_name=f"{FILE_NAMES[kind]}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    key=f"template_xlsx_{kind}",
    width="stretch",
)
right.download_button(
    "Tải tệp mẫu (.csv)",
    data=csv,
    file_name=f"{FILE_NAMES[kind]}.csv",
    mime="text/csv",
    icon=":material/download:",
    key=f"template_csv_{kind}",
    width="stretch",
)

tracker = ""
if kind == "tasks":
    st.caption(
        "Văn bản được nhập thay chuyên viên theo dõi của Văn phòng UBND tỉnh (người giao và xác nhận nhiệm vụ); "
        "văn bản trả lời được ghi qua các bước của đơn vị chủ trì bằng tài khoản của đơn vị, theo đúng ngày trong "
        "tệp, nên số liệu các kỳ đã qua đúng ngay từ đầu. Chỉ nhiệm vụ còn đang xử lý sau khi nhập mới có thông báo "
        "cho văn thư và lãnh đạo đơn vị chủ trì; các bước, văn bản trả lời và xác nhận đã qua không gửi thông báo."
    )
    if not trackers:
        st.error("Chưa có tài khoản chuyên viên theo dõi nào của Văn phòng UBND tỉnh: tạo tài khoản trước.")
        st.stop()
    tracker = st.selectbox(
        "Nhập thay chuyên viên theo dõi",
        [u.username for u in trackers],
        format_func=lambda name: next(f"{u.full_name} ({u.username})" for u in trackers if u.username == name),
        key="import_tracker",
    )

round_ = st.session_state.setdefault(ROUND_KEY, 0)
upload = st.file_uploader("Tệp cần nhập (.xlsx, .csv)", type=["xlsx", "csv"], key=f"import_file_{kind}_{round_}")
if upload is None:
    st.stop()
data, file_name = upload.getvalue(), upload.name


def _check() -> Checked:
    with db() as session:
        if kind == "tasks":
            return task_import.check_tasks(session=session, config=cfg, data=data, file_name=file_name, today=today())
        if kind == "units":
            return unit_import.check_units(session=session, data=data, file_name=file_name)
        return user_import.check_users(session=session, config=cfg, data=data, file_name=file_name)


def _errors(problems: list[Problem]) -> None:
    count = len(problems)
    st.error(f"Tệp {md_escape(file_name)} có {count} lỗi; chưa nhập gì. Sửa các lỗi dưới đây rồi tải lên lại.")
    st.dataframe(problems_frame(problems), hide_index=True, width="stretch", key="import_errors")


digest = hashlib.sha256(data).hexdigest()[:16]
remembered = st.session_state.get(CHECKED_KEY)
if remembered is not None and remembered[0] == (kind, digest):
    checked = remembered[1]  # a rerun (the button, another widget): the same file is not read again
else:
    checked = _check()
    st.session_state[CHECKED_KEY] = ((kind, digest), checked)
if checked.problems:
    _errors(checked.problems)
    st.stop()

st.subheader("Xem trước")
if kind == "tasks":
    st.info(md_escape(f"Sẽ tạo {task_import.summary_line(checked.summary)}"))
else:
    st.info(f"Sẽ tạo {checked.rows} {'đơn vị' if kind == 'units' else 'tài khoản'}.")
st.dataframe(checked.preview, hide_index=True, width="stretch", key="import_preview")

if st.button("Nhập", type="primary", icon=":material/upload:", key=f"import_go_{digest}"):
    bar = st.progress(0.0, text="Đang nhập…")

    def _progress(done_rows: int, total: int) -> None:
        bar.progress(done_rows / total if total else 1.0, text=f"Đang nhập: {done_rows}/{total} dòng")

    engine = runtime().engine
    try:
        if kind == "tasks":
            result = task_import.import_tasks(
                engine=engine,
                actor=actor,
                config=cfg,
                data=data,
                file_name=file_name,
                tracker_username=tracker or "",
                today=today(),
                progress=_progress,
            )
        elif kind == "units":
            result = unit_import.import_units(
                engine=engine, actor=actor, data=data, file_name=file_name, progress=_progress
            )
        else:
            result = user_import.import_users(
                engine=engine, actor=actor, config=cfg, data=data, file_name=file_name, progress=_progress
            )
    except ImportRefused as refused:
        bar.empty()
        _errors(refused.problems)
        st.stop()
    except ServiceError as refusal:
        bar.empty()
        st.error(md_escape(refusal.message))
        st.stop()
    st.session_state[DONE_KEY] = result
    st.session_state[ROUND_KEY] = round_ + 1
    st.session_state.pop(CHECKED_KEY, None)
    st.rerun()
else:
    st.caption("Bấm “Nhập” để tạo tất cả; chưa bấm thì chưa có gì được tạo.")
