"""Danh mục và tham số — the admin edits catalogues, labels and colours, parameters and the
working-day calendar; each save is a new configuration version (``services.admin.config_admin``),
in force at once for every user. The service checks the admin permission and every rule again."""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlmodel import Session

from models import ConfigVersion, Permission, TaskClass, TaskStatus
from services.admin import config_admin
from services.admin.config_admin import LABELS, CalendarYear, SettingsEdit
from services.infra.clock import fmt_date
from services.infra.errors import InvalidInput
from services.infra.validation import fmt_day
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, date_field, run
from ui.runtime import config, require_actor, runtime, today

MESSAGE_KEY = "admin_config_message"
BLANK_ROWS = 2  # empty rows under each catalogue, for new entries
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")

actor = require_actor()
st.title("Danh mục và tham số")
if not actor.can(Permission.ADMIN):
    st.error("Chỉ quản trị hệ thống xem trang này.")
    st.stop()

rt = runtime()
cfg = config()
app = cfg.app
seed_dir = rt.seed_dir
version = rt.config_version
st.caption(
    (f"Cấu hình đang dùng: phiên bản {version}." if version else "Cấu hình đang dùng: bản gốc config/*.yaml.")
    + " Mỗi lần lưu tạo một phiên bản mới, có hiệu lực ngay với mọi người dùng; xem, so sánh và khôi phục ở "
    "trang “Lịch sử cấu hình”."
)
banner = st.empty()  # always drawn: the tabs below keep their place (and their selection) on every run
if message := st.session_state.pop(MESSAGE_KEY, None):
    banner.success(md_escape(message))

rounds = FormRound("admin_config")  # a save redraws every form from the new version
k = rounds.key


def _saved(row: ConfigVersion | None) -> None:
    if row is None:
        return
    st.session_state[MESSAGE_KEY] = f"Đã lưu phiên bản cấu hình {row.id}."
    rounds.next()
    st.rerun()


def _save(form: FormErrors, typed: TypedInput, edit: SettingsEdit, note: str) -> None:
    def call(session: Session) -> ConfigVersion:
        return config_admin.save_settings(
            session=session, actor=actor, edit=edit, based_on=version, config_dir=seed_dir, note=note
        )

    _saved(run(form, typed, call))


def _catalogue_rows(name: str, entries: dict[str, str]) -> list[tuple[str, str]]:
    """One row per entry (mã, nhãn) and blank rows for new ones; a row emptied is removed."""
    head = st.columns([1, 2])
    head[0].caption("Mã (lưu trong văn bản, không dấu)")
    head[1].caption("Nhãn hiển thị")
    rows: list[tuple[str, str]] = []
    items = [*entries.items(), *[("", "")] * BLANK_ROWS]
    for number, (key, label) in enumerate(items, start=1):
        left, right = st.columns([1, 2])
        typed_key = left.text_input(
            f"{LABELS[name]} {number} — mã", value=key, key=k(f"{name}_key_{number}"), label_visibility="collapsed"
        )
        typed_label = right.text_input(
            f"{LABELS[name]} {number} — nhãn",
            value=label,
            key=k(f"{name}_label_{number}"),
            label_visibility="collapsed",
        )
        rows.append((typed_key, typed_label))
    return rows


def _note(name: str) -> str:
    return st.text_input("Ghi chú thay đổi (không bắt buộc)", key=k(f"{name}_note"), max_chars=300)


catalogues, labels, parameters, calendar = st.tabs(
    ["Danh mục", "Nhãn và màu", "Tham số", "Lịch làm việc"], key="admin_config_tab", on_change="rerun"
)

with catalogues, st.form(k("catalogues_form"), enter_to_submit=False):
    form, typed = FormErrors(), TypedInput()
    st.subheader(LABELS["issuers"])
    issuers = _catalogue_rows("issuers", app.issuers)
    form.slot("issuers", LABELS["issuers"])
    st.subheader(LABELS["document_types"])
    document_types = _catalogue_rows("document_types", app.document_types)
    form.slot("document_types", LABELS["document_types"])
    st.caption("Xóa cả mã và nhãn của một dòng để bỏ mục đó (mục đã có văn bản dùng thì không bỏ được).")
    note = _note("catalogues")
    form.slot("config", "Cấu hình")
    form.summary_here()
    if st.form_submit_button("Lưu danh mục", type="primary"):
        _save(form, typed, SettingsEdit(issuers=issuers, document_types=document_types), note)

with labels, st.form(k("labels_form"), enter_to_submit=False):
    form, typed = FormErrors(), TypedInput()
    st.subheader(LABELS["task_classes"])
    st.caption("Màu dạng #rrggbb, ví dụ #2e7d32; dùng cho biểu đồ và bảng thống kê.")
    classes: dict[str, tuple[str, str]] = {}
    for cls in TaskClass:
        style = app.task_classes[cls]
        left, mid, right = st.columns([3, 1, 0.4])
        label = left.text_input(f"Nhãn nhóm “{cls.value}”", value=style.label, key=k(f"class_label_{cls.value}"))
        color = mid.text_input(f"Màu nhóm “{cls.value}”", value=style.color, key=k(f"class_color_{cls.value}"))
        right.html(
            f'<div title="{style.color}" style="margin-top:2rem;width:1.6rem;height:1.6rem;border-radius:4px;'
            f'background:{style.color}"></div>'
        )
        classes[cls.value] = (label, color)
    form.slot("task_classes", LABELS["task_classes"])
    st.subheader(LABELS["task_statuses"])
    statuses = {
        status.value: st.text_input(
            f"Trạng thái “{status.value}”", value=app.task_statuses[status], key=k(f"status_{status.value}")
        )
        for status in TaskStatus
    }
    form.slot("task_statuses", LABELS["task_statuses"])
    note = _note("labels")
    form.slot("config", "Cấu hình")
    form.summary_here()
    if st.form_submit_button("Lưu nhãn và màu", type="primary"):
        _save(form, typed, SettingsEdit(task_classes=classes, task_statuses=statuses), note)

PARAMETER_HELP = {
    "due_soon_days": "Nhiệm vụ còn trong hạn, còn không quá số ngày này là “sắp đến hạn” (0–60).",
    "reply_backdate_limit_days": "Văn bản trả lời ghi lùi ngày quá số ngày này phải có lý do (0–60).",
    "monitor_chart_units": "Biểu đồ Giám sát vẽ bấy nhiêu đơn vị có nhiều nhiệm vụ quá hạn nhất (5–500).",
    "ranking_min_tasks": "Trang Xếp hạng và xu hướng chỉ xếp hạng đơn vị có ít nhất bấy nhiêu nhiệm vụ "
    "trong kỳ; đơn vị ít hơn được liệt kê riêng (1–1000).",
    "earliest_year": "Mọi ngày nhập vào từ 01/01 của năm này (không sau năm nay).",
    "years_ahead": "Mọi ngày nhập vào không quá bấy nhiêu năm sau hôm nay (1–100).",
}

with parameters, st.form(k("parameters_form"), enter_to_submit=False):
    form, typed = FormErrors(), TypedInput()
    values: dict[str, int] = {}
    for name in config_admin.PARAMETERS:
        values[name] = int(
            st.number_input(
                LABELS[name], value=int(getattr(app, name)), step=1, key=k(f"param_{name}"), help=PARAMETER_HELP[name]
            )
        )
        form.slot(name, LABELS[name])
    # Xin gia hạn (config/app.yaml extension_requests): how often and how far a unit may ask
    st.markdown(f"**{LABELS['extension_requests']}**")
    asked = app.extension_requests
    limits: dict[str, int | bool] = {}
    for name, bounds in (("max_per_task", "1–20"), ("max_days", "1–365")):
        limits[name] = int(
            st.number_input(
                config_admin.EXTENSION_LIMITS[name],
                value=int(getattr(asked, name)),
                step=1,
                key=k(f"extension_{name}"),
                help=f"Giới hạn đề nghị gia hạn của đơn vị chủ trì ({bounds}).",
            )
        )
        form.slot(f"extension_requests.{name}", config_admin.EXTENSION_LIMITS[name])
    limits["allow_after_deadline"] = st.checkbox(
        config_admin.EXTENSION_LIMITS["allow_after_deadline"],
        value=asked.allow_after_deadline,
        key=k("extension_allow_after_deadline"),
        help="Không chọn: hạn xử lý đang áp dụng đã qua thì đơn vị không xin gia hạn được nữa.",
    )
    form.slot("extension_requests.allow_after_deadline", config_admin.EXTENSION_LIMITS["allow_after_deadline"])
    note = _note("parameters")
    form.slot("config", "Cấu hình")
    form.summary_here()
    if st.form_submit_button("Lưu tham số", type="primary"):
        _save(form, typed, SettingsEdit(parameters=values, extension_requests=limits), note)


def _days_text(days: list[date], year: int) -> str:
    return "\n".join(fmt_day(d) for d in sorted(days) if d.year == year)


def _typed_days(text: str, label: str, field: str, typed: TypedInput) -> tuple[date, ...]:
    found: list[date] = []
    for number, line in enumerate(text.splitlines(), start=1):
        day = typed.day(line, label=f"{label} (dòng {number})", field=field)
        if day is not None:
            found.append(day)
    return tuple(found)


with calendar:
    this_year = today().year
    year = st.selectbox(
        "Năm", list(range(this_year - 1, this_year + 3)), index=1, key="admin_config_year", format_func=str
    )
    holidays_of_year = config_admin.public_holidays(year)
    st.caption(
        "Ngày lễ, Tết theo luật (đã tự tính, kể cả Tết âm lịch): "
        + "; ".join(f"{fmt_date(d)} {name}" for d, name in holidays_of_year)
        + ". Nhập thêm ngày nghỉ bù và ngày làm việc bù theo thông báo hằng năm."
    )
    with st.form(k(f"calendar_form_{year}"), enter_to_submit=False):
        form, typed = FormErrors(), TypedInput()
        left, right = st.columns(2)
        days_off_text = left.text_area(
            f"{LABELS['extra_days_off']} năm {year}",
            value=_days_text(app.extra_days_off, year),
            key=k(f"days_off_{year}"),
            placeholder="Mỗi dòng một ngày dd/mm/yyyy",
            height=140,
        )
        form.slot("extra_days_off", LABELS["extra_days_off"], left)
        working_text = right.text_area(
            f"{LABELS['extra_working_days']} năm {year}",
            value=_days_text(app.extra_working_days, year),
            key=k(f"working_days_{year}"),
            placeholder="Mỗi dòng một ngày dd/mm/yyyy (thường là thứ Bảy)",
            height=140,
        )
        form.slot("extra_working_days", LABELS["extra_working_days"], right)
        st.markdown("**Xem thử hạn xử lý** theo lịch đang nhập (chưa cần lưu)")
        p1, p2 = st.columns(2)
        start_text = date_field("Từ ngày", key=k(f"preview_from_{year}"), config=cfg, where=p1, initial=today())
        form.slot("preview_from", "Từ ngày", p1)
        preview_days = int(
            p2.number_input("Số ngày làm việc", min_value=1, max_value=365, value=5, step=1, key=k("preview_days"))
        )
        preview_slot = st.empty()
        note = _note(f"calendar_{year}")
        form.slot("config", "Cấu hình")
        form.summary_here()
        with st.container(horizontal=True):
            save_calendar = st.form_submit_button("Lưu lịch làm việc", type="primary")
            st.form_submit_button("Xem hạn xử lý")
    days_off = _typed_days(days_off_text, LABELS["extra_days_off"], "extra_days_off", typed)
    working_days = _typed_days(working_text, LABELS["extra_working_days"], "extra_working_days", typed)
    typed_calendar = CalendarYear(year=year, days_off=days_off, working_days=working_days)
    preview_typed = TypedInput()  # a slip in the preview's date does not stop a save of the calendar
    start = preview_typed.day(start_text, label="Từ ngày", field="preview_from")
    if start is not None and not typed.errors and not preview_typed.errors:
        try:
            deadline = config_admin.deadline_preview(
                config=cfg, start=start, working_days=preview_days, calendar=typed_calendar
            )
        except InvalidInput as refused:
            preview_slot.error(md_escape(refused.message))
        else:
            preview_slot.info(
                f"{preview_days} ngày làm việc sau {fmt_date(start)} → hạn xử lý **{fmt_date(deadline)}** "
                f"({WEEKDAYS[deadline.weekday()]}), như trang Giao nhiệm vụ tính."
            )
    if save_calendar:
        _save(form, typed, SettingsEdit(calendar=typed_calendar), note)
    elif typed.errors or preview_typed.errors:
        form.show([*typed.errors, *preview_typed.errors])
