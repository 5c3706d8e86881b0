"""Trường tùy chỉnh on the pages (issue 10): the inputs of Giao nhiệm vụ, the read-only block of
the task page, and the lists' optional columns and filter (Nhiệm vụ của đơn vị, Việc chờ tôi xử
lý, Giám sát's lists), both kept in the URL (``?columns=&field=&value=``). Every rule is in
``services.custom_fields``; here only widgets, and every typed value shown as text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st
from sqlmodel import Session
from streamlit.delta_generator import DeltaGenerator

from models import FieldTarget
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.custom_fields import (
    CHOICE,
    DATE,
    LONG_TEXT,
    NO,
    NUMBER,
    UNIT,
    YES,
    YES_NO,
    FieldDef,
    ShownValue,
    filter_fields,
    task_values,
    tasks_with_value,
    values_for_tasks,
    visible_fields,
)
from services.org.units import assignable_units
from services.reports.content import TASK_HEADER
from services.stats.rows import TaskRow
from ui.format import md_escape
from ui.forms import FormErrors, date_field, required
from ui.runtime import db
from ui.url_state import init_from_url, write_to_url

PER_ROW = 3
# the lists' own columns and those of their CSV files: a field's title never takes one of them
BASE_COLUMNS = {
    "Mã",
    "Văn bản",
    "Nội dung nhiệm vụ",
    "Đơn vị chủ trì",
    "Hạn xử lý",
    "Thời hạn",
    "Tình trạng",
    "Đang ở bước",
    "Bạn có thể",
    *TASK_HEADER,
}


def custom_inputs(
    fields: Sequence[FieldDef],
    *,
    key_prefix: str,
    form: FormErrors,
    config: AppConfig,
    prefix: str,
    label_prefix: str = "",
) -> dict[str, Any]:
    """One input per field, three to a row (widget key ``<key_prefix><field key>``), each with its
    error slot (``<prefix><field key>``); returns field key -> what was typed or chosen (the
    service checks it by type)."""
    if not fields:
        return {}
    units: dict[str, str] = {}
    if any(f.kind == UNIT for f in fields):
        with db() as session:
            units = {u.code: f"{u.short_name} ({u.code})" for u in assignable_units(session=session)}
    typed: dict[str, Any] = {}
    for start in range(0, len(fields), PER_ROW):
        columns = st.columns(PER_ROW)
        for definition, where in zip(fields[start : start + PER_ROW], columns, strict=False):
            typed[definition.key] = _input(definition, where, f"{key_prefix}{definition.key}", config, units)
            form.slot(f"{prefix}{definition.key}", f"{label_prefix}{definition.label}", where)
    return typed


def _input(definition: FieldDef, where: DeltaGenerator, key: str, config: AppConfig, units: dict[str, str]) -> Any:
    label = required(definition.label) if definition.required else definition.label
    help_text = definition.help or None
    kind = definition.kind
    if kind == LONG_TEXT:
        return where.text_area(label, key=key, help=help_text, height=80)
    if kind == DATE:
        return date_field(label, key=key, config=config, where=where, hint=definition.help)
    if kind == CHOICE:
        return where.selectbox(
            label, list(definition.choices), index=None, placeholder="Chọn một", key=key, help=help_text
        )
    if kind == YES_NO:
        chosen = where.selectbox(
            label, [YES, NO], index=None, placeholder="Chọn Có hoặc Không", key=key, help=help_text
        )
        return None if chosen is None else chosen == YES
    if kind == UNIT:
        return where.selectbox(
            label,
            list(units),
            index=None,
            placeholder="Chọn một đơn vị",
            format_func=lambda code: units.get(code, code),
            key=key,
            help=help_text,
        )
    placeholder = "Số, ví dụ 12 hoặc 12,5" if kind == NUMBER else None
    return where.text_input(label, key=key, help=help_text, placeholder=placeholder, max_chars=500)


def show_task_values(actor: Actor, task_id: int, document_id: int) -> None:
    """The task page: its values and its document's, read only, as text."""
    with db() as session:
        shown = task_values(session=session, actor=actor, task_id=task_id, document_id=document_id)
    if not shown:
        return
    with st.expander("Thông tin bổ sung", expanded=True):
        for group, title in ((FieldTarget.DOCUMENT, "Của văn bản giao"), (FieldTarget.TASK, "Của nhiệm vụ")):
            items = [v for v in shown if v.target is group]
            if items:
                st.markdown(f"**{title}**  \n" + "  \n".join(_line(v) for v in items))


def _line(value: ShownValue) -> str:
    retired = " _(trường đã ngừng dùng)_" if value.retired else ""
    return f"{md_escape(value.label)}: {md_escape(value.text)}{retired}"


def _to_url(key: str, param: str, text: str) -> None:
    """``write_to_url``, leaving the parameter out of a URL that never had it while it is empty."""
    if text or param in st.query_params:
        write_to_url(key, param, text)


def column_choice(actor: Actor, *, key: str, param: str = "columns") -> list[FieldDef]:
    """ "Cột bổ sung": the custom fields the person switches on as columns of a list, kept in the
    URL as their keys (``?columns=nguon_von,so_hd``); a key the role may not see is dropped."""
    with db() as session:
        fields = visible_fields(session=session, actor=actor)
    if not fields:
        return []
    by_key = {f.key: f for f in fields}
    none: list[str] = []
    init_from_url(key, param, none, lambda raw: [k for k in raw.split(",") if k])
    st.session_state[key] = [k for k in dict.fromkeys(st.session_state[key]) if k in by_key]
    chosen = st.multiselect(
        "Cột bổ sung (trường tùy chỉnh)",
        list(by_key),
        format_func=lambda k: by_key[k].label + (" (ngừng dùng)" if by_key[k].retired else ""),
        key=key,
        placeholder="Không hiện",
        select_all=False,  # Streamlit's "Select all" is English
    )
    _to_url(key, param, ",".join(chosen))
    return [by_key[k] for k in chosen]


def _titled(
    session: Session, actor: Actor, fields: Sequence[FieldDef], rows: Sequence[TaskRow]
) -> dict[str, list[str]]:
    """Column title -> the rows' values as shown, looked up for these rows only (a page's); a
    field the actor's role may not see has no column."""
    fields = [f for f in fields if f.seen_by(actor.role)]
    found = values_for_tasks(session=session, actor=actor, task_ids=[r.task_id for r in rows], fields=fields)
    titles: dict[str, list[str]] = {}
    for definition in fields:
        title = definition.label
        while title in titles or title in BASE_COLUMNS:
            title += " (tùy chỉnh)"
        titles[title] = [found.get(r.task_id, {}).get(definition.key, "") for r in rows]
    return titles


def custom_columns(actor: Actor, fields: Sequence[FieldDef]) -> Callable[[list[TaskRow]], dict[str, list[str]]] | None:
    """The lists' extra columns (``ui.task_list``'s ``extra``) for the fields switched on."""
    if not fields:
        return None

    def columns(rows: list[TaskRow]) -> dict[str, list[str]]:
        with db() as session:
            return _titled(session, actor, fields, rows)

    return columns


def file_columns(
    actor: Actor, fields: Sequence[FieldDef]
) -> Callable[[Session, Sequence[TaskRow]], dict[str, list[str]]] | None:
    """The same columns for a list's CSV (``ui.downloads.list_csv_button``'s ``extra``), read in
    the file's own session when the button is pressed."""
    if not fields:
        return None
    return lambda session, rows: _titled(session, actor, fields, rows)


def value_filter(
    actor: Actor,
    *,
    key: str,
    where: DeltaGenerator | None = None,
    on_change: Callable[[], None] | None = None,
    field_param: str = "field",
    value_param: str = "value",
) -> set[int] | None:
    """ "Lọc theo trường tùy chỉnh": a choice or yes/no field and its value (in the URL:
    ``?field=nguon_von&value=ODA``); the task ids that hold it, or None when no filter is chosen.
    A field the role may not see, or a value not in its list, from a link: no filter / the first
    value. ``on_change``: a paged list goes back to its first page."""
    with db() as session:
        fields = filter_fields(session=session, actor=actor)
    if not fields:
        return None
    by_key = {f.key: f for f in fields}
    field_state = f"{key}_field"
    init_from_url(field_state, field_param, None, lambda raw: raw if raw in by_key else None)
    if st.session_state[field_state] not in by_key:
        st.session_state[field_state] = None
    place = where or st
    a, b = place.columns(2)
    field_key = a.selectbox(
        "Lọc theo trường tùy chỉnh",
        list(by_key),
        index=None,
        placeholder="Không lọc",
        format_func=lambda k: by_key[k].label,
        key=field_state,
        on_change=on_change,
    )
    _to_url(field_state, field_param, field_key or "")
    value_state = f"{key}_value_{field_key}"
    if field_key is None:
        _to_url(value_state, value_param, "")
        return None
    definition = by_key[field_key]
    options = [YES, NO] if definition.kind == YES_NO else list(definition.choices)
    init_from_url(value_state, value_param, options[0], lambda raw: raw if raw in options else options[0])
    value = b.selectbox("Giá trị", options, key=value_state, on_change=on_change)
    _to_url(value_state, value_param, value)
    with db() as session:
        return tasks_with_value(session=session, actor=actor, key=field_key, value=value)
