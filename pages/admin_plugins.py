"""Phần mở rộng — the plugins this server process found (entry point group ``giaoviec.plugins``):
name, package and version, and what each adds (``services.plugins``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Permission
from services.plugins import GROUP, plugins
from ui.runtime import require_actor

actor = require_actor()
st.title("Phần mở rộng")
if not actor.can(Permission.ADMIN):
    st.error("Chỉ quản trị hệ thống xem được phần mở rộng.")
    st.stop()
st.caption(
    f"Gói Python khai báo điểm vào (entry point) nhóm `{GROUP}` được nạp một lần khi máy chủ khởi động; lỗi "
    "của một gói được ghi vào nhật ký máy chủ ngay lúc đó và hiện ở cột Tình trạng. Cài hoặc gỡ một gói: khởi "
    "động lại máy chủ. Phần mở rộng thêm được kiểu trường tùy chỉnh (dùng ở “Trường tùy chỉnh”), định dạng báo "
    "cáo (nút tải ở “Giám sát công việc”, lệnh `manage.py report --format MÃ`) và kênh thông báo (nhận mỗi "
    "thông báo mới); thao tác trên nhiệm vụ của phần mở rộng chỉ được ghi nhận và liệt kê ở đây."
)
found = plugins()
if not found.infos:
    st.info("Chưa cài phần mở rộng nào.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "Tên": [i.name for i in found.infos],
                "Gói": [i.distribution for i in found.infos],
                "Phiên bản": [i.version for i in found.infos],
                "Kiểu trường": [", ".join(found.field_types[t].label for t in i.field_types) for i in found.infos],
                "Định dạng báo cáo": [
                    ", ".join(f"{found.report_formats[k].label} ({k})" for k in i.report_formats) for i in found.infos
                ],
                "Kênh thông báo": [", ".join(i.notification_channels) for i in found.infos],
                "Thao tác": [", ".join(i.task_actions) for i in found.infos],
                "Tình trạng": [f"Lỗi: {i.error}" if i.error else "Đã nạp" for i in found.infos],
            }
        ),
        hide_index=True,
    )
