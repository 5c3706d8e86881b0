"""A task list that opens the chosen task on the detail page."""

from __future__ import annotations

import streamlit as st

from services.config.loader import AppConfig
from services.stats.rows import TaskRow
from ui.format import styled_task_table


def task_list(rows: list[TaskRow], config: AppConfig, *, key: str) -> None:
    """Draw the rows (colours: overdue, due soon, done); selecting a row opens it."""
    if not rows:
        st.info("Không có nhiệm vụ nào.")
        return
    event = st.dataframe(
        styled_task_table(rows, config),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={
            "Mã": st.column_config.NumberColumn(width=45, format="%d"),
            "Văn bản": st.column_config.TextColumn(width=100),
            "Nội dung nhiệm vụ": st.column_config.TextColumn(width=330),
            "Đơn vị chủ trì": st.column_config.TextColumn(width=120),
            "Hạn xử lý": st.column_config.TextColumn(width=85),
            "Thời hạn": st.column_config.TextColumn(width=90),
            "Tình trạng": st.column_config.TextColumn(width=165),
        },
    )
    st.caption("Chọn một dòng để mở nhiệm vụ. Đỏ: quá hạn · vàng: sắp đến hạn · xanh: đã hoàn thành.")
    selected = event.selection.rows if event is not None else []  # type: ignore[union-attr]
    if selected:
        st.switch_page("pages/task_detail.py", query_params={"id": str(rows[selected[0]].task_id)})
