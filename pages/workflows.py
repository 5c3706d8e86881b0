"""Quy trình xử lý — read-only diagrams drawn from the same data the engine runs."""

from __future__ import annotations

import streamlit as st

from services.infra.errors import ServiceError
from services.workflow.diagram import workflow_diagrams
from ui.format import md_escape
from ui.runtime import config, require_actor

actor = require_actor()
st.title("Quy trình xử lý trong đơn vị")
try:
    diagrams = workflow_diagrams(actor=actor, config=config())
except ServiceError as exc:
    st.error(md_escape(exc.message))
    st.stop()
st.caption(
    "Điều 5.1.e Quy chế 161/QĐ-STTTT. Sơ đồ được vẽ từ config/workflows.yaml, chính dữ liệu mà phần mềm dùng "
    "để kiểm tra từng bước."
)
for number, diagram in enumerate(diagrams):
    with st.expander(f"{diagram.label} ({diagram.key})", expanded=number == 0):
        if diagram.owners:
            st.caption(
                "Quy trình riêng của: "
                + ", ".join(diagram.owners)
                + (f"; thay cho: {', '.join(diagram.replaces)}" if diagram.replaces else "")
            )
        st.graphviz_chart(diagram.dot)
