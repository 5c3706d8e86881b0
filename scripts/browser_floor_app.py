"""The floor of Giám sát in a browser: the plainest Streamlit page that draws what Giám sát's first
screen draws, from constants.

No login, no menu, no database, no configuration, no cache: the period form (a select box, two
date inputs, a button), seven figures, the 27-line table as a selectable grid and as the printed
table, three download buttons, the stacked bar chart of 20 units with a click selection, and two
lists of 50 tasks with their pagers and the drill-down's two pickers. ``scripts/browser_timing.py
--floor`` times it exactly as it times Giám sát (same "finished" test), so the distance between the
two is what the app adds to Streamlit itself.

Run alone: ``.venv/bin/streamlit run scripts/browser_floor_app.py``.
"""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import streamlit as st

st.set_page_config(page_title="Giao việc", layout="wide")

CLASSES = ("Đã hoàn thành đúng hạn", "Đã hoàn thành quá hạn", "Chưa hoàn thành trong hạn", "Chưa hoàn thành quá hạn")
UNITS = [f"Sở số {n:02d} của tỉnh" for n in range(1, 27)]
TODAY = date(2026, 11, 26)

st.title("Giám sát công việc")
with st.form("period"):
    c0, c1, c2, c3 = st.columns([1.2, 1, 1, 1])
    c0.selectbox("Kỳ báo cáo", ["Tùy chọn (theo ngày)", "Tháng này", "Quý IV"], key="preset")
    c1.date_input("Từ ngày", value=date(TODAY.year, 1, 1), format="DD/MM/YYYY", key="from")
    c2.date_input("Đến ngày", value=TODAY, format="DD/MM/YYYY", key="to")
    c3.write("")
    c3.form_submit_button("Xem thống kê", type="primary")
start: date = st.session_state["from"]
st.caption(f"Kỳ báo cáo {start:%d/%m/%Y} – {st.session_state['to']:%d/%m/%Y}")

top = st.columns(3)
top[0].metric("Tổng số nhiệm vụ", 1_234)
top[1].metric("Tỷ lệ hoàn thành đúng hạn", "71,3%")
top[2].metric("Đã trả lời, chờ xác nhận", 42)
for column, (label, value) in zip(st.columns(4), zip(CLASSES, (700, 180, 250, 104), strict=True), strict=True):
    column.metric(label, value)

st.subheader("Biểu thống kê theo đơn vị")
st.selectbox("Sắp xếp theo", ["Chưa hoàn thành quá hạn (nhiều nhất trước)", "Tên cơ quan (A–Z)"])
rows = [("", "Tổng cộng", 900, 1_234, 700, 180, 250, 104, "71,3%")] + [
    (str(i), name, 30 + i, 40 + i, 20 + i, 5, 10, i % 7, f"{60 + i % 30},0%") for i, name in enumerate(UNITS, 1)
]
names = ["STT", "Cơ quan thực hiện", "Văn bản", "Nhiệm vụ", "Đã HT đúng hạn", "Đã HT quá hạn"]
names += ["Chưa HT trong hạn", "Chưa HT quá hạn", "Tỷ lệ đúng hạn"]
table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})
st.dataframe(table, hide_index=True, height=15 * 35 + 38, on_select="ignore", selection_mode="single-cell")
st.caption("26 đơn vị có nhiệm vụ trong kỳ; dòng đầu là Tổng cộng.")
with st.container(key="floor-print-table"):
    st.table(table, hide_index=True)
with st.container(horizontal=True):
    for label in ("Tải Excel", "Tải báo cáo (Word)", "Tải CSV"):
        st.download_button(label, data=b"", file_name="bao-cao.csv", on_click="ignore")

st.subheader("Biểu đồ theo đơn vị")
values = [
    {"unit": name, "unit_id": i, "task_class": cls, "n": (i * (k + 3)) % 17 + 1}
    for i, name in enumerate(UNITS[:20], 1)
    for k, cls in enumerate(CLASSES)
]
spec = {
    "data": {"values": values},
    "mark": {"type": "bar"},
    "params": [{"name": "bar", "select": {"type": "point", "fields": ["unit_id", "task_class"]}}],
    "encoding": {
        "y": {"field": "unit", "type": "nominal", "sort": None, "title": None},
        "x": {"field": "n", "type": "quantitative", "stack": True, "title": "Số nhiệm vụ"},
        "color": {"field": "task_class", "type": "nominal", "legend": {"orient": "top", "title": None}},
        "tooltip": [{"field": "unit"}, {"field": "task_class"}, {"field": "n"}],
    },
    "height": {"step": 22},
}
st.vega_lite_chart(spec=spec, width="stretch", on_select="rerun", selection_mode="bar", key="chart")


def task_list(key: str) -> None:
    lines = pa.table(
        {
            "Số/ký hiệu": [f"{100 + n}/UBND-KT" for n in range(50)],
            "Nội dung nhiệm vụ": [f"Nhiệm vụ số {n} của văn bản, nội dung dài vừa phải" for n in range(50)],
            "Đơn vị chủ trì": [UNITS[n % len(UNITS)] for n in range(50)],
            "Hạn xử lý": [(TODAY - timedelta(days=n)).strftime("%d/%m/%Y") for n in range(50)],
            "Tình trạng": ["Chưa hoàn thành quá hạn"] * 50,
        }
    )
    st.dataframe(lines, hide_index=True, on_select="rerun", selection_mode="single-row", key=key)
    pager = st.columns([3, 1, 1, 1.2, 1.2], vertical_alignment="bottom")
    pager[0].caption("Hiển thị 1–50 / 104 nhiệm vụ")
    pager[1].number_input("Trang", min_value=1, max_value=3, step=1, key=f"{key}_page")
    pager[2].selectbox("Số dòng mỗi trang", [20, 50, 100], index=1, key=f"{key}_size")
    pager[3].button("‹ Trang trước", key=f"{key}_prev", disabled=True, width="stretch")
    pager[4].button("Trang sau ›", key=f"{key}_next", width="stretch")
    st.download_button("Tải CSV", data=b"", file_name="danh-sach.csv", key=f"{key}_csv", on_click="ignore")


st.subheader("Nhiệm vụ quá hạn")
task_list("overdue")
st.subheader("Xem chi tiết số liệu")
d1, d2 = st.columns(2)
d1.selectbox("Đơn vị", ["Tất cả đơn vị", *UNITS])
d2.selectbox("Nhóm", ["Tất cả", *CLASSES])
st.caption("1 234 nhiệm vụ")
task_list("drill")
