"""A task list that opens the chosen task on the detail page; long lists a page at a time."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import streamlit as st

from services.config.loader import AppConfig
from services.infra.clock import fmt_date
from services.stats.rows import TaskRow
from services.stats.statistics import PER_PAGE_CHOICES, RowPage
from services.tasks.queries import ClosedTaskPage
from ui.format import fmt_count, situation_colours, task_table
from ui.url_state import init_from_url, parse_url_int, write_to_url

# Optional columns a person switched on (trường tùy chỉnh, issue 10): rows -> column title -> texts
ExtraColumns = Callable[[list[TaskRow]], dict[str, list[str]]]
CONTENT_WIDTH, CONTENT_MIN_WIDTH, EXTRA_WIDTH = 300, 160, 110


def task_list(rows: list[TaskRow], config: AppConfig, *, key: str, extra: ExtraColumns | None = None) -> None:
    """Draw the rows (colours: overdue, due soon, done); selecting a row opens it."""
    if not rows:
        st.info("Không có nhiệm vụ nào.")
        return
    colours = situation_colours(config)
    table = task_table(rows, config)
    added = extra(rows) if extra is not None else {}
    for title, texts in added.items():
        table = table.append_column(title, pa.array(texts, pa.string()))
    # the content gives up the room of the columns switched on, so they are in sight at 1 440 pixels
    content = max(CONTENT_MIN_WIDTH, CONTENT_WIDTH - EXTRA_WIDTH * len(added))
    event = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={
            "Mã": st.column_config.NumberColumn(width=45, format="%d"),
            "Văn bản": st.column_config.TextColumn(width=100),
            "Nội dung nhiệm vụ": st.column_config.TextColumn(width=content),
            "Đơn vị chủ trì": st.column_config.TextColumn(width=120),
            "Hạn xử lý": st.column_config.TextColumn(width=85),
            "Thời hạn": st.column_config.TextColumn(width=90),
            "Tình trạng": st.column_config.MultiselectColumn(
                width=200, options=list(colours), color=list(colours.values()), disabled=True
            ),
            **{title: st.column_config.TextColumn(width=EXTRA_WIDTH) for title in added},
        },
    )
    st.caption("Chọn một dòng để mở nhiệm vụ.")
    selected = event.selection.rows if event is not None else []  # type: ignore[union-attr]
    if selected:
        st.switch_page("pages/task_detail.py", query_params={"id": str(rows[selected[0]].task_id)})


def _page_number(raw: str) -> int:
    number = parse_url_int(raw)
    if number < 1:
        raise ValueError(raw)
    return number


def _per_page(raw: str) -> int:
    number = parse_url_int(raw)
    if number not in PER_PAGE_CHOICES:
        raise ValueError(raw)
    return number


def first_page(key: str) -> None:
    """Back to page 1 (a filter of the list changed)."""
    st.session_state[f"{key}_page"] = 1


def paged_task_list(
    fetch: Callable[[int, int], RowPage],
    config: AppConfig,
    *,
    key: str,
    page_param: str,
    per_page_param: str,
    extra: ExtraColumns | None = None,
) -> RowPage:
    """One page of a long list, never more than "Số dòng mỗi trang" rows in the browser, with
    the total and the paging controls; the page and its size live in the URL.

    ``fetch(page, per_page)``: the service's page (a page past the last comes back as the last).
    """
    page_key, size_key = f"{key}_page", f"{key}_per_page"
    init_from_url(page_key, page_param, 1, _page_number)
    init_from_url(size_key, per_page_param, PER_PAGE_CHOICES[1], _per_page)
    result = fetch(int(st.session_state[page_key]), int(st.session_state[size_key]))
    st.session_state[page_key] = result.page  # the list shrank since the link was made
    task_list(result.items, config, key=key, extra=extra)
    if result.total:
        pager = st.columns([3, 1, 1, 1.2, 1.2], vertical_alignment="bottom")
        pager[0].caption(f"Hiển thị {result.first}–{result.last} / {fmt_count(result.total)} nhiệm vụ")
        pager[1].number_input("Trang", min_value=1, max_value=result.pages, step=1, key=page_key)
        pager[2].selectbox(
            "Số dòng mỗi trang", PER_PAGE_CHOICES, key=size_key, on_change=first_page, args=(key,)
        )

        def move(by: int) -> None:
            st.session_state[page_key] = min(max(1, st.session_state[page_key] + by), result.pages)

        pager[3].button(
            "‹ Trang trước", key=f"{key}_prev", disabled=result.page <= 1, on_click=move, args=(-1,), width="stretch"
        )
        pager[4].button(
            "Trang sau ›",
            key=f"{key}_next",
            disabled=result.page >= result.pages,
            on_click=move,
            args=(1,),
            width="stretch",
        )
    write_to_url(page_key, page_param, str(st.session_state[page_key]))
    write_to_url(size_key, per_page_param, str(st.session_state[size_key]))
    return result


def closed_task_list(fetch: Callable[[int, int], ClosedTaskPage], config: AppConfig, *, key: str) -> ClosedTaskPage:
    """The tasks a unit led that were closed (wrong unit, revoked, replaced), latest first, 20 to a
    page; selecting a row opens the task (its văn thư files it away from there: lưu kết thúc).

    ``fetch(page, per_page)``: the service's page (a page past the last comes back as the last)."""
    page_key = f"{key}_page"
    if page_key not in st.session_state:
        st.session_state[page_key] = 1
    result = fetch(int(st.session_state[page_key]), 20)
    st.session_state[page_key] = result.page
    reasons = config.app.close_reasons
    event = st.dataframe(
        pa.table(
            {
                "Mã": pa.array([t.task_id for t in result.items], pa.int64()),
                "Văn bản": pa.array([t.document_code for t in result.items], pa.string()),
                "Nội dung nhiệm vụ": pa.array([t.content for t in result.items], pa.string()),
                "Đơn vị chủ trì": pa.array([t.lead_unit_name for t in result.items], pa.string()),
                "Ngày đóng": pa.array([fmt_date(t.closed_on) for t in result.items], pa.string()),
                "Lý do": pa.array(
                    [reasons[t.closed_reason] if t.closed_reason else "" for t in result.items], pa.string()
                ),
            }
        ),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={
            "Mã": st.column_config.NumberColumn(width=45, format="%d"),
            "Văn bản": st.column_config.TextColumn(width=100),
            "Nội dung nhiệm vụ": st.column_config.TextColumn(width=320),
            "Ngày đóng": st.column_config.TextColumn(width=90),
        },
    )
    pages = max(1, -(-result.total // result.per_page))
    pager = st.columns([3, 1], vertical_alignment="bottom")
    pager[0].caption(
        f"{fmt_count(result.total)} nhiệm vụ đã đóng, không tính vào số liệu. Chọn một dòng để mở nhiệm vụ."
    )
    if pages > 1:
        pager[1].number_input("Trang", min_value=1, max_value=pages, step=1, key=page_key)
    selected = event.selection.rows if event is not None else []  # type: ignore[union-attr]
    if selected:
        st.switch_page("pages/task_detail.py", query_params={"id": str(result.items[selected[0]].task_id)})
    return result
