"""A reply dated back, as people see it: the clerk's form asks for "Lý do ghi lùi ngày", and the
tracker on Xác nhận kết quả, anybody on the task page and in the unit's list sees the flag.

The world's task (Sở Tài chính, document of today-30, deadline today-20) is 20 days overdue; its
draft was approved yesterday-but-twenty (today-21), and the clerk dates the reply today-21, the day
the leader approved it (before the deadline). The reason is user text with markdown in it: it is
shown as typed, never interpreted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import Document, DocumentKind, Task, TaskStatus
from models.schemas import TaskCreate
from tests.conftest import FINANCE
from tests.pages.conftest import STAFF, World, make_world, values
from tests.pages.steps import fire_on_page, form_key, reply_fields, widget

REASON = "Văn thư nghỉ ốm; *đã ký* ngày [duyệt](http://x) <b>gấp</b>"
FLAG = "Trả lời ghi lùi ngày"


def _seed(w: World) -> None:
    (late,) = w.assign(
        "501/UBND-TH",
        -30,
        [TaskCreate(content="Báo cáo rà soát nợ đọng", lead_unit_code=FINANCE, deadline=w.day(-20))],
        summary="V/v rà soát nợ đọng",
    )
    w.walk(late, "ban_hanh", -21)  # vào sổ, bút phê, dự thảo, duyệt: all on today-21
    w.tasks.update(late=late)


@pytest.fixture
def bw(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path / "backdated", _seed, ["vp.theodoi", *STAFF[FINANCE]])


def _unescaped(text: str) -> str:
    """What the reader sees of escaped markdown: the backslash escapes, HTML entities and invisible
    word joiners (which break autolinks) undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", text)).replace("\u2060", "")


def _not_interpreted(raw: str) -> None:
    """The reason's markdown, link and HTML reach the page escaped, never as markup."""
    for markup in ("*đã ký*", "[duyệt](http://x)", "<b>"):
        assert markup not in raw, f"{markup!r} shown as markup in {raw!r}"


def _replies(w: World) -> list[Document]:
    with w.session() as s:
        return list(s.exec(select(Document).where(Document.kind == DocumentKind.REPLY)).all())


def _issue(w: World, reason: str | None) -> AppTest:
    at = w.app_as("stc.vanthu", "pages/task_detail.py", {"id": str(w.tasks["late"])})
    assert not at.exception
    key = form_key(w.flow_id(w.tasks["late"]), "ngan", "ban_hanh")
    if reason is not None:
        widget(at, "text_input", key, "backdate_reason").input(reason)
    return fire_on_page(at, key, reply=reply_fields("77/STC-VP", w.day(-21)))


def test_the_clerk_must_give_a_reason_then_everybody_sees_the_flag(bw: World) -> None:
    task_id = bw.tasks["late"]
    # the form has the field, and says when it is needed
    at = bw.app_as("stc.vanthu", "pages/task_detail.py", {"id": str(task_id)})
    key = form_key(bw.flow_id(task_id), "ngan", "ban_hanh")
    field = widget(at, "text_input", key, "backdate_reason")
    assert field.label == "Lý do ghi lùi ngày"
    assert "quá 3 ngày" in (field.help or "")

    # without a reason: refused with the message, nothing saved
    events = len(bw.events(task_id))
    at = _issue(bw, None)
    error, summary = values(at.error)  # under "Lý do ghi lùi ngày", and by the button naming it
    assert summary == "Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “Lý do ghi lùi ngày”."
    assert error.startswith(
        f"Văn bản trả lời ghi lùi ngày: ngày văn bản {bw.day(-21):%d/%m/%Y} sớm hơn ngày nhập "
        f"{bw.today:%d/%m/%Y} 21 ngày (quá 3 ngày)."
    )
    assert values(at.success) == []
    assert _replies(bw) == [] and len(bw.events(task_id)) == events
    with bw.session() as s:
        task = s.get(Task, task_id)
        assert task is not None and task.status is TaskStatus.OPEN

    # with one: accepted and flagged
    at = _issue(bw, REASON)
    assert values(at.error) == []
    [reply] = _replies(bw)
    assert (reply.issue_date, reply.entered_on, reply.backdate_reason) == (bw.day(-21), bw.today, REASON)

    # the task page: both dates and the reason, as typed (escaped markdown, no link, no HTML)
    at = bw.app_as("stc.lanhdao", "pages/task_detail.py", {"id": str(task_id)})
    assert not at.exception
    [warning] = [w.value for w in at.warning if FLAG in w.value]
    assert _unescaped(warning) == (
        f"**{FLAG}**: văn bản 77/STC-VP ngày {bw.day(-21):%d/%m/%Y}, nhập ngày {bw.today:%d/%m/%Y}.  \n"
        f"Lý do ghi lùi ngày: {REASON}"
    )
    _not_interpreted(warning)
    assert any(FLAG in c.value for c in at.caption)

    # Xác nhận kết quả: the warning with both dates and the reason, before the verdict
    at = bw.app_as("vp.theodoi", "pages/confirm.py")
    assert not at.exception
    [warning] = [w.value for w in at.warning if FLAG in w.value]
    assert _unescaped(warning) == (
        f"**{FLAG}**: ngày văn bản trả lời {bw.day(-21):%d/%m/%Y}, ngày nhập {bw.today:%d/%m/%Y} "
        f"(21 ngày sau).  \nLý do ghi lùi ngày: {REASON}"
    )
    _not_interpreted(warning)
    assert any(
        f"Văn bản trả lời ngày {bw.day(-21):%d/%m/%Y}, nhập ngày {bw.today:%d/%m/%Y}" in _unescaped(m.value)
        for m in at.markdown
    )
    [row] = at.dataframe[0].value.to_dict("records")
    assert row["Trả lời"] == "đúng hạn · trả lời ghi lùi ngày"

    # the unit's list names it next to the class
    at = bw.app_as("stc.lanhdao", "pages/unit_tasks.py")
    assert not at.exception
    [listed] = [r for r in at.dataframe[0].value.to_dict("records") if r["Mã"] == task_id]
    assert list(listed["Tình trạng"]) == ["Chờ xác nhận (trả lời đúng hạn)", FLAG]


def test_a_reply_within_the_limit_is_not_flagged(bw: World) -> None:
    """The same task with its reply dated today: no reason asked, no flag anywhere."""
    task_id = bw.tasks["late"]
    at = bw.app_as("stc.vanthu", "pages/task_detail.py", {"id": str(task_id)})
    key = form_key(bw.flow_id(task_id), "ngan", "ban_hanh")
    at = fire_on_page(at, key, reply=reply_fields("78/STC-VP", bw.today))
    assert values(at.error) == []
    [reply] = _replies(bw)
    assert reply.backdate_reason is None
    at = bw.app_as("vp.theodoi", "pages/confirm.py")
    assert [w.value for w in at.warning if FLAG in w.value] == []
    at = bw.app_as("stc.lanhdao", "pages/task_detail.py", {"id": str(task_id)})
    assert [w.value for w in at.warning if FLAG in w.value] == []
