"""Quy trình xử lý — read-only diagrams drawn from the same data the engine runs."""

from __future__ import annotations

import streamlit as st

from models import Permission
from services.workflow.diagram import workflow_dot
from ui.runtime import config, require_actor

actor = require_actor()
cfg = config()
st.title("Quy trình xử lý trong đơn vị")
if not actor.can(Permission.ADMIN):
    st.error("Chỉ quản trị hệ thống xem trang này.")
    st.stop()
st.caption(
    "Điều 5.1.e Quy chế 161/QĐ-STTTT. Sơ đồ được vẽ từ config/workflows.yaml, chính dữ liệu mà phần mềm dùng "
    "để kiểm tra từng bước."
)
unit_names = {u.code: u.short_name for u in cfg.org.units}
for key, wf in cfg.workflows.workflows.items():
    with st.expander(f"{wf.label} ({key})", expanded=key.startswith("truong_hop_1")):
        if wf.units is not None:
            replaced = ", ".join(cfg.workflows.workflows[r].label for r in wf.replaces)
            st.caption(
                "Quy trình riêng của: " + ", ".join(unit_names.get(c, c) for c in wf.units)
                + (f"; thay cho: {replaced}" if replaced else "")
            )
        st.graphviz_chart(workflow_dot(cfg, key))
