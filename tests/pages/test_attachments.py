"""Attached files and số đến on the task page (AppTest, issue 9).

The clerk's vào sổ form asks số đến and ngày đến and the page then says where the task was
entered; the progress note form takes files (a wrong type is refused in Vietnamese and nothing is
saved); the task page lists the files of the assignment and of each note with a "Tải về" link to
``/tep/{id}``, for the lead unit and for VP UBND alike; another unit sees no task at all.
File names are user text: shown escaped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from models import Attachment, AttachmentOwner, IncomingEntry, Task
from models.schemas import AssignmentCreate, AttachmentUpload, TaskCreate
from services.attachments import read_attachment
from services.infra.clock import fmt_datetime
from services.tasks.assignment import create_assignment
from tests.conftest import FINANCE, PLEIKU, at
from tests.pages.conftest import STAFF, World, make_world, values
from ui.format import md_line

PDF = b"%PDF-1.7\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
HOSTILE_NAME = "*Báo cáo* [x](javascript:alert) <b>$y$ :red[đỏ].pdf"  # a file name is user text
PICKER = "Tệp đính kèm (không bắt buộc)"


def _seed(w: World) -> None:
    """A task of Sở Tài chính whose document carries a scan, and a second task to enter after it."""
    assert w.runtime is not None
    with w.session() as s:
        document = create_assignment(
            session=s,
            actor=w.actor("vp.theodoi"),
            config=w.runtime.config,
            now=at(w.day(-2)),
            data=AssignmentCreate(
                code="777/UBND-KT",
                issue_date=w.day(-2),
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary="V/v báo cáo",
                signer="A",
                tasks=[TaskCreate(content="Báo cáo giải ngân", lead_unit_code=FINANCE, deadline=w.day(10))],
                attachments=[AttachmentUpload(file_name="777-UBND-KT.png", content=PNG)],
            ),
        )
        task_id = s.exec(select(Task.id).where(Task.document_id == document.id)).one()
    (other,) = w.assign(
        "778/UBND-KT", -1, [TaskCreate(content="Kiểm tra số liệu", lead_unit_code=FINANCE, deadline=w.day(9))]
    )
    w.tasks.update(task=task_id or 0, other=other)


@pytest.fixture
def fw(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path / "files", _seed, ["vp.theodoi", *STAFF[FINANCE], STAFF[PLEIKU][0]])


def _open(w: World, username: str, task_id: int) -> AppTest:
    at_ = w.app_as(username, "pages/task_detail.py", {"id": str(task_id)})
    assert not at_.exception, at_.exception
    return at_


def _note_picker(at_: AppTest) -> Any:
    [picker] = [f for f in at_.file_uploader if f.label == PICKER and "note" in (f.key or "")]
    return picker


def _links(at_: AppTest) -> list[str]:
    return [b.proto.url for b in at_.link_button if b.proto.label == "Tải về"]


def _markdown(at_: AppTest) -> str:
    return "\n".join(str(m.value) for m in at_.markdown)


def test_vao_so_asks_so_den_and_the_page_shows_it(fw: World) -> None:
    task_id = fw.tasks["task"]
    clerk = STAFF[FINANCE][0]
    at_ = _open(fw, clerk, task_id)
    [number] = [n for n in at_.number_input if n.label == "Số đến"]
    [received] = [t for t in at_.text_input if t.label == "Ngày đến"]
    assert number.value is None and received.value == f"{fw.today:%d/%m/%Y}"  # empty: the next number; today
    [button] = [b for b in at_.button if b.form_id == number.form_id]
    # typed as ngày/tháng/năm and read exactly: 31/02 is no date; before the document's date is refused
    for typed, reason in (
        ("31/02/2026", "Ngày đến"),
        (f"{fw.day(-3):%d/%m/%Y}", f"trước ngày ban hành văn bản giao {fw.day(-2):%d/%m/%Y}"),
    ):
        received.set_value(typed)
        number.set_value(7)
        button.click().run()
        assert not at_.exception, at_.exception
        shown = " ".join(str(e.value) for e in at_.error)
        assert reason in shown, shown
        with fw.session() as s:
            assert s.exec(select(IncomingEntry)).all() == []
        [number] = [n for n in at_.number_input if n.label == "Số đến"]
        [received] = [t for t in at_.text_input if t.label == "Ngày đến"]
        assert received.value == typed  # kept as typed, to correct
        [button] = [b for b in at_.button if b.form_id == number.form_id]
    received.set_value(f"{fw.today:%d/%m/%Y}")
    number.set_value(7)
    button.click().run()
    assert not at_.exception, at_.exception
    assert values(at_.error) == []
    with fw.session() as s:
        entry = s.exec(select(IncomingEntry).where(IncomingEntry.task_id == task_id)).one()
    assert (entry.number, entry.received_on) == (7, fw.today)
    assert f"**Vào sổ:** số đến 7, ngày đến {fw.today:%d/%m/%Y} (Sở Tài chính)" in _markdown(at_)
    assert f"Số đến: 7, ngày đến: {fw.today:%d/%m/%Y}" in [str(c.value) for c in at_.caption]
    # the next task, no number typed: the register's next one
    at_ = _open(fw, clerk, fw.tasks["other"])
    [number] = [n for n in at_.number_input if n.label == "Số đến"]
    [button] = [b for b in at_.button if b.form_id == number.form_id]
    button.click().run()
    with fw.session() as s:
        numbers = [e.number for e in s.exec(select(IncomingEntry).order_by(col(IncomingEntry.id))).all()]
    assert numbers == [7, 8]


def test_a_note_with_a_wrong_file_is_refused_and_a_right_one_is_listed(fw: World) -> None:
    task_id = fw.tasks["task"]
    clerk = STAFF[FINANCE][0]
    at_ = _open(fw, clerk, task_id)
    [note] = [t for t in at_.text_area if t.label.startswith("Nội dung cập nhật")]
    note.set_value("Gửi kèm báo cáo")
    _note_picker(at_).set_value([("bao-cao.pdf", PNG, "application/pdf")])
    [button] = [b for b in at_.button if b.label == "Lưu cập nhật"]
    button.click().run()
    assert not at_.exception, at_.exception
    errors = " ".join(str(e.value) for e in at_.error)
    assert "không phải tệp PDF thật (nội dung là ảnh PNG)" in errors, errors
    with fw.session() as s:
        assert [a.owner for a in s.exec(select(Attachment)).all()] == [AttachmentOwner.ASSIGNMENT]

    at_ = _open(fw, clerk, task_id)
    [note] = [t for t in at_.text_area if t.label.startswith("Nội dung cập nhật")]
    note.set_value("Gửi kèm báo cáo")
    _note_picker(at_).set_value([(HOSTILE_NAME, PDF, "application/pdf")])
    [button] = [b for b in at_.button if b.label == "Lưu cập nhật"]
    button.click().run()
    assert not at_.exception, at_.exception
    assert values(at_.error) == []
    assert "Đã lưu cập nhật tiến độ kèm 1 tệp đính kèm." in values(at_.success)
    with fw.session() as s:
        rows = s.exec(select(Attachment).order_by(col(Attachment.id))).all()
    assert [(r.owner, r.file_name) for r in rows] == [
        (AttachmentOwner.ASSIGNMENT, "777-UBND-KT.png"),
        (AttachmentOwner.NOTE, HOSTILE_NAME),
    ]
    for who in (clerk, "vp.theodoi"):
        page = _open(fw, who, task_id)
        assert "Tệp đính kèm" in [str(h.value) for h in page.subheader]
        assert _links(page) == [f"/tep/{rows[0].id}", f"/tep/{rows[1].id}"]
        text = _markdown(page)
        assert "**Văn bản giao nhiệm vụ 777/UBND\\-KT ngày" in text or "Văn bản giao nhiệm vụ 777/UBND" in text
        # the name is shown escaped: no emphasis, no link, no LaTeX
        for markup in ("*Báo cáo*", "](javascript", "$y$", "<b>", ":red["):
            assert markup not in text, markup
        assert "\\*Báo cáo\\*" in text
        assert not [c for c in page.caption if str(c.value).startswith("Đã tải")]  # nobody downloaded yet

    # the tracker downloads the note's file: the page shows who, from which unit, when
    with fw.session() as s:
        read_attachment(session=s, actor=fw.actor("vp.theodoi"), attachment_id=rows[1].id or 0, now=at(fw.today))
    page = _open(fw, clerk, task_id)
    downloaded = [str(c.value) for c in page.caption if str(c.value).startswith("Đã tải")]
    assert downloaded == [md_line(f"Đã tải 1 lượt: Nguyễn Văn Theo Dõi (VP UBND tỉnh) {fmt_datetime(at(fw.today))}")]


def test_another_unit_sees_neither_the_task_nor_its_files(fw: World) -> None:
    at_ = _open(fw, STAFF[PLEIKU][0], fw.tasks["task"])
    assert any("Không tìm thấy nhiệm vụ" in str(e.value) for e in at_.error)
    assert _links(at_) == []
