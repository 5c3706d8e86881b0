"""Trường tùy chỉnh on the pages (issue 10): the inputs of Giao nhiệm vụ, the read-only block of
the task page, and the lists' optional columns and filter. Every rule is in
``services.custom_fields``; here only widgets, and every typed value shown as text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st
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
from services.stats.rows import TaskRow
from ui.format import md_escape
from ui.forms import FormErrors, date_field, required
from ui.runtime import db

PER_ROW = 3
BASE_COLUMNS = {"Mã", "Văn bản", "Nội dung nhiệm vụ", "Đơn vị chủ trì", "Hạn xử lý", "Thời hạn", "Tình trạng"}


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


def column_choice(actor: Actor, *, key: str) -> list[FieldDef]:
    """"Cột bổ sung": the custom fields the person switches on as columns of a list."""
    with db() as session:
        fields = visible_fields(session=session, actor=actor)
    if not fields:
        return []
    by_key = {f.key: f for f in fields}
    chosen = st.multiselect(
        "Cột bổ sung (trường tùy chỉnh)",
        list(by_key),
        format_func=lambda k: by_key[k].label + (" (ngừng dùng)" if by_key[k].retired else ""),
        key=key,
        placeholder="Không hiện",
        select_all=False,  # Streamlit's "Select all" is English
    )
    return [by_key[k] for k in chosen]


def custom_columns(actor: Actor, fields: Sequence[FieldDef]) -> Callable[[list[TaskRow]], dict[str, list[str]]] | None:
    """The lists' extra columns (``ui.task_list``'s ``extra``) for the fields switched on."""
    if not fields:
        return None

    def columns(rows: list[TaskRow]) -> dict[str, list[str]]:
        with db() as session:
            found = values_for_tasks(session=session, actor=actor, task_ids=[r.task_id for r in rows], fields=fields)
        titles: dict[str, list[str]] = {}
        for definition in fields:
            title = definition.label
            while title in titles or title in BASE_COLUMNS:
                title += " (tùy chỉnh)"
            titles[title] = [found.get(r.task_id, {}).get(definition.key, "") for r in rows]
        return titles

    return columns


def value_filter(actor: Actor, *, key: str, where: DeltaGenerator | None = None) -> set[int] | None:
    """"Lọc theo trường tùy chỉnh": a choice or yes/no field and its value; the task ids that hold
    it, or None when no filter is chosen."""
    with db() as session:
        fields = filter_fields(session=session, actor=actor)
    if not fields:
        return None
    by_key = {f.key: f for f in fields}
    place = where or st
    a, b = place.columns(2)
    field_key = a.selectbox(
        "Lọc theo trường tùy chỉnh",
        list(by_key),
        index=None,
        placeholder="Không lọc",
        format_func=lambda k: by_key[k].label,
        key=f"{key}_field",
    )
    if field_key is None:
        return None
    definition = by_key[field_key]
    options = [YES, NO] if definition.kind == YES_NO else list(definition.choices)
    value = b.selectbox("Giá trị", options, key=f"{key}_value_{field_key}")
    with db() as session:
        return tasks_with_value(session=session, actor=actor, key=field_key, value=value)
