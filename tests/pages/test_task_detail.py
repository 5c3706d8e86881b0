"""Chi tiết nhiệm vụ: who sees a task, who may note and reply, and the journal."""

from __future__ import annotations

import re

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import Document, DocumentKind, EventAction, Task, TaskStatus
from tests.pages.conftest import World, by_label, values

WORLD_USERS = ["stc.chuyenvien", "syt.vanthu"]
PAGE = "pages/task_detail.py"
NOTE_FIELD = "Nội dung cập nhật"
REPLY_CODE = "Số/ký hiệu văn bản trả lời"
REPLY_BUTTON = "Ban hành văn bản trả lời"


def open_task(world: World, username: str, key: str) -> AppTest:
    at = world.app_as(username, PAGE, {"id": str(world.tasks[key])})
    assert not at.exception
    return at


def _md(at: AppTest) -> list[str]:
    """Markdown texts with markdown escapes (user text is escaped) removed."""
    return [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]


def _labels(at: AppTest) -> set[str]:
    return {w.label for w in [*at.text_area, *at.text_input, *at.button]}


def _journal(at: AppTest) -> list[str]:
    """The journal lines' bold action labels, newest first, as drawn."""
    return [m.split("**")[1] for m in _md(at) if m.startswith("**") and " — " in m]


def _status(world: World, key: str) -> TaskStatus:
    with world.session() as s:
        task = s.get(Task, world.tasks[key])
        assert task is not None
        return task.status


def test_lead_clerk_sees_task_document_and_both_forms(world: World) -> None:
    at = open_task(world, "stc.vanthu", "b1")
    assert values(at.title) == [f"Nhiệm vụ #{world.tasks['b1']}"]
    md = _md(at)
    assert "### Rà soát đề án đầu tư công" in md
    assert "**Đơn vị chủ trì**  \nSở Tài chính" in md
    assert f"**Hạn xử lý**  \n{world.day(2):%d/%m/%Y}" in md
    assert any("**Số/ký hiệu:** 102/UBND-VX" in m and "**Trích yếu:** V/v đầu tư công năm nay" in m for m in md)
    assert any("Sắp đến hạn" in m for m in md)  # the state badge
    assert {NOTE_FIELD, "Lưu cập nhật", REPLY_CODE, "Kết quả thực hiện", REPLY_BUTTON} <= _labels(at)
    assert _journal(at) == ["Giao nhiệm vụ"]


def test_lead_clerk_adds_a_progress_note(world: World) -> None:
    at = open_task(world, "stc.vanthu", "b1")
    by_label(at.text_area, NOTE_FIELD).input("Đã họp với các phòng, dự kiến xong trong tuần")
    by_label(at.button, "Lưu cập nhật").click().run()
    assert not at.exception
    assert values(at.error) == []
    assert values(at.success) == ["Đã lưu cập nhật tiến độ."]
    assert _journal(at) == ["Cập nhật tiến độ", "Giao nhiệm vụ"]
    assert "Đã họp với các phòng, dự kiến xong trong tuần" in values(at.text)
    notes = [e for e in world.events(world.tasks["b1"]) if e.action is EventAction.NOTE]
    assert [(e.note, e.actor_id) for e in notes] == [
        ("Đã họp với các phòng, dự kiến xong trong tuần", world.user_ids["stc.vanthu"])
    ]
    assert _status(world, "b1") is TaskStatus.OPEN


def test_empty_note_is_refused(world: World) -> None:
    before = len(world.events(world.tasks["a1"]))
    at = open_task(world, "stc.vanthu", "a1")
    by_label(at.button, "Lưu cập nhật").click().run()
    assert values(at.error) == ["Nội dung cập nhật không được để trống."]
    assert len(world.events(world.tasks["a1"])) == before


def test_lead_clerk_issues_the_reply(world: World) -> None:
    at = open_task(world, "stc.vanthu", "b2")
    by_label(at.text_input, REPLY_CODE).input("45/STC-NS")
    assert by_label(at.date_input, "Ngày văn bản").value == world.today
    by_label(at.text_input, "Người ký").input("Giám đốc Sở")
    by_label(at.text_input, "Trích yếu văn bản trả lời").input("Báo cáo tổng hợp ý kiến")
    by_label(at.text_area, "Kết quả thực hiện").input("Đã tổng hợp ý kiến của 12 sở")
    by_label(at.button, REPLY_BUTTON).click().run()
    assert not at.exception
    assert values(at.error) == []
    assert values(at.success) == ["Đã ban hành văn bản trả lời 45/STC-NS; chờ Văn phòng UBND tỉnh xác nhận."]
    assert _journal(at)[0] == "Ban hành văn bản trả lời"
    assert _journal(at) == ["Ban hành văn bản trả lời", "Giao nhiệm vụ"]
    assert "Văn bản trả lời" in values(at.subheader)
    assert any(m.startswith("- **45/STC-NS** ngày") and "Đã tổng hợp ý kiến của 12 sở" in m for m in _md(at))
    # replied: no second reply, notes still possible
    assert REPLY_CODE not in _labels(at)
    assert NOTE_FIELD in _labels(at)

    assert _status(world, "b2") is TaskStatus.REPLIED
    with world.session() as s:
        reply = s.exec(select(Document).where(Document.code == "45/STC-NS")).one()
        assignment = s.exec(select(Document).where(Document.code == "102/UBND-VX")).one()
    assert reply.kind is DocumentKind.REPLY
    assert (reply.task_id, reply.reply_to_id) == (world.tasks["b2"], assignment.id)  # on the same flow
    assert (reply.issue_date, reply.result, reply.signer) == (
        world.today,
        "Đã tổng hợp ý kiến của 12 sở",
        "Giám đốc Sở",
    )


def test_reply_without_result_is_refused(world: World) -> None:
    docs = world.count(Document)
    at = open_task(world, "stc.vanthu", "a1")
    by_label(at.text_input, REPLY_CODE).input("46/STC-NS")
    by_label(at.text_input, "Trích yếu văn bản trả lời").input("Báo cáo")
    by_label(at.button, REPLY_BUTTON).click().run()
    assert values(at.error) == ["Kết quả thực hiện không được để trống."]
    assert world.count(Document) == docs
    assert _status(world, "a1") is TaskStatus.OPEN


def test_clerk_of_another_unit_cannot_open_the_task(world: World) -> None:
    for username in ("syt.vanthu", "pleiku.lanhdao"):
        at = open_task(world, username, "a1")
        assert values(at.title) == ["Chi tiết nhiệm vụ"]
        assert len(at.error) == 1
        assert at.error[0].value.startswith(f"Không tìm thấy nhiệm vụ #{world.tasks['a1']}")
        assert "Báo cáo tình hình thu chi ngân sách quý" not in " ".join(_md(at))
        assert not _labels(at) & {NOTE_FIELD, REPLY_CODE}


def test_unknown_task_id_is_not_found(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE, {"id": "99999"})
    assert not at.exception
    assert values(at.error) == ["Không tìm thấy nhiệm vụ #99999 hoặc bạn không có quyền xem."]


def test_coordinating_unit_reads_but_cannot_act(world: World) -> None:
    at = open_task(world, "syt.vanthu", "b2")
    assert values(at.title) == [f"Nhiệm vụ #{world.tasks['b2']}"]
    assert "**Đơn vị phối hợp**  \nSở Y tế" in _md(at)
    assert not _labels(at) & {NOTE_FIELD, REPLY_CODE}


def test_specialist_may_note_but_not_reply(world: World) -> None:
    at = open_task(world, "stc.chuyenvien", "a1")
    assert values(at.title) == [f"Nhiệm vụ #{world.tasks['a1']}"]
    labels = _labels(at)
    assert {NOTE_FIELD, "Lưu cập nhật"} <= labels
    assert not labels & {REPLY_CODE, "Kết quả thực hiện", REPLY_BUTTON}
    assert any("Đang thực hiện quá hạn" in m for m in _md(at))


def test_tracker_reads_a_pending_reply_with_a_link_to_confirm(world: World) -> None:
    at = open_task(world, "vp.theodoi", "c3")
    assert values(at.title) == [f"Nhiệm vụ #{world.tasks['c3']}"]
    assert any(m.startswith("- **33/STC-VP** ngày") for m in _md(at))
    links = at.get("page_link")
    assert [link.proto.label for link in links] == ["Xác nhận kết quả nhiệm vụ này"]
    assert not _labels(at) & {NOTE_FIELD, REPLY_CODE}  # the office does not act for the unit
    assert _journal(at) == ["Ban hành văn bản trả lời", "Giao nhiệm vụ"]
