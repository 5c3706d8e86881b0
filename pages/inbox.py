"""Việc chờ tôi xử lý — the tasks on which the user can act now, at each step of the unit's flow."""

from __future__ import annotations

import streamlit as st

from services.stats.rows import build_rows, sort_urgent_first
from services.workflow.engine import inbox_task_ids
from ui.format import md_escape
from ui.runtime import config, db, require_actor, today
from ui.task_list import task_list

actor = require_actor()
cfg = config()
st.title("Việc chờ tôi xử lý")
st.caption(f"{md_escape(actor.full_name)} · {cfg.role_label(actor.role)} · {md_escape(actor.unit_name)}")

with db() as session:
    ids = inbox_task_ids(session=session, actor=actor, config=cfg)
    rows = sort_urgent_first(
        build_rows(session=session, task_ids=ids, today=today(), due_soon_days=cfg.app.due_soon_days)
    )

if not rows:
    st.success("Không có việc nào đang chờ bạn xử lý.")
else:
    st.caption(f"{len(rows)} nhiệm vụ đang chờ bạn ở một bước xử lý. Chọn một dòng để mở và xử lý.")
    task_list(rows, cfg, key="inbox")
