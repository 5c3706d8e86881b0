"""Việc chờ tôi xử lý — the tasks on which the user can act now, at each step of the unit's flow,
and the tasks the unit coordinates (what it may do there: its contribution to the lead unit); the
custom fields the role sees as optional columns and a filter of both lists (issue 10)."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from services.actions.coordination import coordination_work
from services.stats.rows import TaskRow, build_rows, sort_urgent_first
from services.tasks.counters import waiting_steps
from ui.custom_fields import column_choice, custom_columns, value_filter
from ui.downloads import rows_csv_button
from ui.format import md_escape, situation_colours, task_table
from ui.runtime import config, db, require_actor, today

actor = require_actor()
cfg = config()
st.title("Việc chờ tôi xử lý")
st.caption(f"{md_escape(actor.full_name)} · {cfg.role_label(actor.role)} · {md_escape(actor.unit_name)}")
only = value_filter(actor, key="inbox_custom")  # trường tùy chỉnh: a choice or yes/no (issue 10)
custom = custom_columns(actor, column_choice(actor, key="inbox_columns"))

with db() as session:
    waiting = waiting_steps(session=session, actor=actor, config=cfg)
    rows = sort_urgent_first(
        build_rows(session=session, task_ids=list(waiting), today=today(), due_soon_days=cfg.app.due_soon_days)
    )
    coordinated = coordination_work(
        session=session, actor=actor, config=cfg, today=today(), due_soon_days=cfg.app.due_soon_days
    )
waiting_count = len(rows)
if only is not None:  # the tasks whose field holds the value chosen (their ids, read by the service)
    rows = [r for r in rows if r.task_id in only]
    coordinated = [c for c in coordinated if c.row.task_id in only]

COLOURS = situation_colours(cfg)
# Rows tall enough for Streamlit to wrap the texts (above 4rem), so the content is read whole; the
# columns fit the main column of a 1400-pixel screen (about 920 pixels, the row selector's 30
# included) without scrolling sideways, the content taking what the others leave. Wider screens
# stretch them all.
ROW_HEIGHT = 68
FITS = 890
WIDTHS = {"Mã": 45, "Văn bản": 100, "Đơn vị chủ trì": 105, "Đang ở bước": 160, "Bạn có thể": 110, "Hạn xử lý": 95}
STATUS_WIDTH = 185  # "Đang thực hiện trong hạn", "Bị trả lại · sắp đến hạn" whole
CUSTOM_WIDTH = 120  # a custom field's column ("Cột bổ sung")


def _table(
    rows: list[TaskRow], extra: dict[str, list[str]], *, key: str, lead_unit: bool, fields: dict[str, list[str]]
) -> None:
    """The rows, the content widest, the deadline and the days left in one cell (two lines), the
    custom fields switched on (``fields``) before the deadline; selecting a row opens the task."""
    table = task_table(rows, cfg)
    deadline = [
        f"{due}\n{left}" if left else due
        for due, left in zip(table["Hạn xử lý"].to_pylist(), table["Thời hạn"].to_pylist(), strict=True)
    ]
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "Mã": table["Mã"],
        "Văn bản": table["Văn bản"],
        "Nội dung nhiệm vụ": table["Nội dung nhiệm vụ"],
    }
    if lead_unit:
        columns["Đơn vị chủ trì"] = table["Đơn vị chủ trì"]
    columns.update({name: pa.array(values, pa.string()) for name, values in extra.items()})
    columns.update({name: pa.array(values, pa.string()) for name, values in fields.items()})
    columns["Hạn xử lý"] = pa.array(deadline, pa.string())
    columns["Tình trạng"] = table["Tình trạng"]
    widths = {**WIDTHS, **dict.fromkeys(fields, CUSTOM_WIDTH)}
    content_width = max(220, FITS - STATUS_WIDTH - sum(widths.get(name, 0) for name in columns))
    shown = {name: st.column_config.TextColumn(width=widths.get(name, content_width)) for name in columns}
    shown["Mã"] = st.column_config.NumberColumn(width=WIDTHS["Mã"], format="%d")
    shown["Tình trạng"] = st.column_config.MultiselectColumn(
        width=STATUS_WIDTH, options=list(COLOURS), color=list(COLOURS.values()), disabled=True
    )
    event = st.dataframe(
        pa.table(columns),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        width="stretch",
        row_height=ROW_HEIGHT,
        column_config=shown,
    )
    chosen = event.selection.rows if event is not None else []  # type: ignore[union-attr]
    if chosen:
        st.switch_page("pages/task_detail.py", query_params={"id": str(rows[chosen[0]].task_id)})


if not waiting_count:
    st.success("Không có việc nào đang chờ bạn xử lý.")
elif not rows:
    st.info(f"Không có nhiệm vụ nào khớp bộ lọc trong {waiting_count} nhiệm vụ đang chờ bạn xử lý.")
else:
    counted = f"{len(rows)} trong {waiting_count}" if only is not None else f"{len(rows)}"
    st.caption(f"{counted} nhiệm vụ đang chờ bạn ở một bước xử lý. Chọn một dòng để mở và xử lý.")
    # the lead unit is the user's own on every line, unless a sub-unit's flow waits for them
    steps = {"Đang ở bước": ["; ".join(waiting[r.task_id]) for r in rows]}
    fields = custom(rows) if custom is not None else {}  # the values of these rows only
    _table(rows, steps, key="inbox", lead_unit=any(r.lead_unit_id != actor.unit_id for r in rows), fields=fields)
    rows_csv_button(
        st.container(), rows, cfg, extra={**steps, **fields}, file_name="viec-cho-toi-xu-ly.csv", key="inbox_csv"
    )

if coordinated:
    st.subheader("Nhiệm vụ đơn vị phối hợp")
    st.caption(
        f"{len(coordinated)} nhiệm vụ {md_escape(actor.unit_name)} phối hợp với đơn vị chủ trì (không tính vào "
        "thống kê của đơn vị). Chọn một dòng để mở nhiệm vụ và gửi ý kiến phối hợp."
    )
    can_do = {"Bạn có thể": [", ".join(c.actions) or "Chỉ xem" for c in coordinated]}
    shared = [c.row for c in coordinated]
    shared_fields = custom(shared) if custom is not None else {}
    _table(shared, can_do, key="inbox_coordinated", lead_unit=True, fields=shared_fields)
    rows_csv_button(
        st.container(),
        shared,
        cfg,
        extra={**can_do, **shared_fields},
        file_name="nhiem-vu-phoi-hop.csv",
        key="inbox_coordinated_csv",
    )
