"""Attached files on the pages: the picker a form carries, and the list on the task page.

The picker hands the chosen files to the form's input model as ``AttachmentUpload`` (name and
bytes); the service checks them (type from the content, size, count) and refuses in Vietnamese,
so the widget is given neither ``type`` nor ``max_upload_size``: its own refusals would be
Streamlit's English. The list links each file to ``/tep/{id}`` (``web/attachment_routes.py``),
where the download is checked again against the session: the page only draws what the service
let this user see.

Also here: số đến / ngày đến, the vào sổ's fields in its step form and its line on the task page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from models.schemas import AttachmentUpload
from services.access.permissions import Actor
from services.actions.base import Offer
from services.attachments import DownloadView, accepted_types_text, download_path, task_attachments, task_downloads
from services.config.loader import AppConfig
from services.infra.clock import fmt_date, fmt_datetime
from services.tasks.incoming import task_incoming
from ui.format import md_line
from ui.forms import FormErrors, TypedInput, date_field
from ui.runtime import db, today


def attachment_picker(*, key: str, config: AppConfig, label: str = "Tệp đính kèm") -> list[AttachmentUpload]:
    """A multiple-file picker (inside the caller's ``st.form``); the files chosen, as input."""
    limits = config.app.attachments
    files = st.file_uploader(
        f"{label} (không bắt buộc)",
        accept_multiple_files=True,
        key=key,
        help=f"Nhận {accepted_types_text(limits)}; tối đa {limits.max_mb} MB mỗi tệp, "
        f"{limits.max_files} tệp mỗi lần gửi. Loại tệp được kiểm tra theo nội dung, không chỉ phần đuôi.",
    )
    return [AttachmentUpload(file_name=f.name, content=f.getvalue()) for f in files or []]


def attachment_list(actor: Actor, task_id: int) -> None:
    """"Tệp đính kèm": the files of the assignment, of each reply and of each progress note, each
    with its "Tải về" link; nothing when the task has none."""
    with db() as session:
        groups = task_attachments(session=session, actor=actor, task_id=task_id)
        downloads = task_downloads(session=session, actor=actor, task_id=task_id) if groups else {}
    if not groups:
        return
    st.subheader("Tệp đính kèm")
    for group in groups:
        st.markdown(f"**{md_line(group.title)}**")
        for item in group.items:
            name, link = st.columns([5, 1], vertical_alignment="center")
            name.markdown(f":material/attach_file: {md_line(item.file_name)} · {item.size_text}")
            name.caption(f"{md_line(item.uploaded_by)}, {fmt_datetime(item.uploaded_at)}")
            if seen := downloads.get(item.id):
                name.caption(md_line(downloaded_by(seen)))
            link.link_button("Tải về", download_path(item.id), icon=":material/download:")


def downloaded_by(seen: list[DownloadView], *, shown: int = 5) -> str:
    """"Đã tải 7 lượt: Nguyễn Thị Theo Dõi (VP UBND tỉnh) 26/11/2026 10:05; … và 2 lượt khác"."""
    names = "; ".join(f"{d.user_name} ({d.unit_name}) {fmt_datetime(d.at)}" for d in seen[:shown])
    more = f" và {len(seen) - shown} lượt khác" if len(seen) > shown else ""
    return f"Đã tải {len(seen)} lượt: {names}{more}"


def incoming_fields(
    offer: Offer, *, key: str, config: AppConfig, form: FormErrors, typed: TypedInput
) -> dict[str, Any]:
    """Số đến and ngày đến in the vào sổ step's form (``offer.register_incoming``), as the
    ``StepInput`` fields; nothing for any other step. Ngày đến is typed as ngày/tháng/năm like every
    date of the forms (``ui.forms.date_field``), today unless changed; a text that is no date is
    refused under the field (``typed``)."""
    if not offer.register_incoming:
        return {}
    left, right = st.columns(2)
    number = left.number_input(
        "Số đến",
        min_value=1,
        max_value=999_999,
        value=None,
        step=1,
        key=f"{key}_incoming_number",
        placeholder="Để trống: số tiếp theo trong sổ",
        help="Số thứ tự trong sổ đăng ký văn bản đến của đơn vị (đánh lại từ 1 mỗi năm).",
    )
    form.slot("incoming_number", "Số đến", left)
    received = date_field(
        "Ngày đến",
        key=f"{key}_incoming_date",
        config=config,
        where=right,
        initial=today(),
        hint="Ngày văn bản đến đơn vị: không trước ngày ban hành, không sau hôm nay; để trống là hôm nay.",
    )
    form.slot("incoming_date", "Ngày đến", right)
    return {
        "incoming_number": int(number) if number is not None else None,
        "incoming_date": typed.day(received, label="Ngày đến", field="incoming_date"),
    }


def incoming_lines(actor: Actor, task_id: int) -> None:
    """"Vào sổ: số đến 12, ngày đến 20/11/2026 (Sở Tài chính)", one line per vào sổ of the task."""
    with db() as session:
        entries = task_incoming(session=session, actor=actor, task_id=task_id)
    for entry in entries:
        st.markdown(
            f"**Vào sổ:** số đến {entry.number}, ngày đến {fmt_date(entry.received_on)} ({md_line(entry.unit_name)})"
        )
