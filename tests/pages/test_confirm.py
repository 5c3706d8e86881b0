"""Xác nhận kết quả: the queue of replies with their age, and the tracker's verdict.

Each test gets a fresh world (the verdicts change the queue) with one pending reply:
x1 (Sở Tài chính, document 301 of today-12, deadline today+5) replied today-4 by 41/STC-VP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import Confirmation, ConfirmOutcome, EventAction, Extension, Task, TaskStatus
from models.schemas import TaskCreate
from tests.actions import request_wrong_unit
from tests.conftest import FINANCE, at
from tests.pages.conftest import STAFF, World, by_label, make_world, values

PAGE = "pages/confirm.py"
SUBMIT = "Xác nhận"
OUTCOME = "Kết quả xác nhận"
REASON = "Lý do chưa hoàn thành *"  # "Chưa hoàn thành" asks it (required: " *")
EXTEND = "Gia hạn đến ngày"  # typed as ngày/tháng/năm
EMPTY = "Không có văn bản trả lời nào chờ xác nhận."


def _seed(w: World) -> None:
    x1, x2 = w.assign(
        "301/UBND-TH",
        -12,
        [
            TaskCreate(content="Báo cáo tiến độ giải ngân", lead_unit_code=FINANCE, deadline=w.day(5)),
            TaskCreate(content="Rà soát nợ đọng xây dựng", lead_unit_code=FINANCE, deadline=w.day(-6)),
        ],
        summary="V/v giải ngân vốn",
    )
    w.reply(x1, "41/STC-VP", -4, result="Đã giải ngân 85% kế hoạch vốn")
    w.tasks.update(x1=x1, x2=x2)


@pytest.fixture
def cw(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path / "confirm", _seed, ["vp.theodoi", *STAFF[FINANCE]])


def _md(at: AppTest) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]


def _task(w: World, key: str) -> Task:
    with w.session() as s:
        task = s.get(Task, w.tasks[key])
        assert task is not None
        return task


def _confirmations(w: World) -> list[Confirmation]:
    with w.session() as s:
        return list(s.exec(select(Confirmation)).all())


def required_mark(at: AppTest) -> bool:
    """The form explains its " *" marks."""
    return "\\* bắt buộc" in values(at.caption)


def open_queue(w: World, query: dict[str, str] | None = None) -> AppTest:
    at = w.app_as("vp.theodoi", PAGE, query)
    assert not at.exception
    assert values(at.title) == ["Xác nhận kết quả"]
    return at


def test_queue_lists_pending_replies_oldest_first_with_age(cw: World) -> None:
    cw.reply(cw.tasks["x2"], "42/STC-VP", -1, result="Đã rà soát xong")  # late: deadline today-6
    at = open_queue(cw)
    assert values(at.caption) == ["2 văn bản trả lời chờ xác nhận, chờ lâu nhất lên đầu."]
    frame = at.dataframe[0].value
    assert set(frame.columns) == {
        "Mã",
        "Chờ (ngày)",
        "Đơn vị",
        "Văn bản giao",
        "Nội dung nhiệm vụ",
        "Hạn xử lý",
        "Văn bản trả lời",
        "Trả lời",
    }
    rows = frame.to_dict("records")
    assert [r["Mã"] for r in rows] == [cw.tasks["x1"], cw.tasks["x2"]]
    assert rows[0] == {
        "Mã": cw.tasks["x1"],
        "Đơn vị": "Sở Tài chính",
        "Văn bản giao": "301/UBND-TH",
        "Nội dung nhiệm vụ": "Báo cáo tiến độ giải ngân",
        "Hạn xử lý": f"{cw.day(5):%d/%m/%Y}",
        "Văn bản trả lời": f"41/STC-VP ({cw.day(-4):%d/%m/%Y})",
        "Trả lời": "đúng hạn",
        "Chờ (ngày)": 4,
    }
    assert (rows[1]["Trả lời"], rows[1]["Chờ (ngày)"]) == ("trễ hạn", 1)

    # the oldest is chosen first, with the unit's result and what a "done" would count as
    assert by_label(at.selectbox, "Nhiệm vụ cần xác nhận").value == cw.tasks["x1"]
    md = _md(at)
    assert "**Kết quả đơn vị báo cáo:** Đã giải ngân 85% kế hoạch vốn" in md
    assert any(m.endswith("nếu xác nhận hoàn thành, nhiệm vụ được tính **đúng hạn**.") for m in md)

    # a link from the task page (?task=) preselects that task
    at = open_queue(cw, {"task": str(cw.tasks["x2"])})
    assert by_label(at.selectbox, "Nhiệm vụ cần xác nhận").value == cw.tasks["x2"]
    assert any(m.endswith("nếu xác nhận hoàn thành, nhiệm vụ được tính **trễ hạn**.") for m in _md(at))


def _not_done(at: AppTest) -> AppTest:
    """Choose "Chưa hoàn thành": its form (a reason, a new deadline) replaces the other."""
    by_label(at.radio, OUTCOME).set_value(ConfirmOutcome.NOT_DONE).run()
    assert not at.exception
    return at


def _nothing_saved(w: World, events: int) -> None:
    assert _task(w, "x1").status is TaskStatus.REPLIED
    assert _confirmations(w) == []
    with w.session() as s:
        assert s.exec(select(Extension)).all() == []
    assert len(w.events(w.tasks["x1"])) == events


def _still_typed(at: AppTest, reason: str, day: str) -> None:
    """The refused form shows the choice, the reason and the date as the tracker left them."""
    assert by_label(at.radio, OUTCOME).value is ConfirmOutcome.NOT_DONE
    assert by_label(at.text_area, REASON).value == reason
    assert by_label(at.text_input, EXTEND).value == day
    assert [int(i) for i in at.dataframe[0].value["Mã"]] == [int(at.selectbox[0].value)]  # still waiting


def test_not_done_without_reason_is_refused_and_changes_nothing(cw: World) -> None:
    """The finding: the error switched the choice back to "Hoàn thành" and cleared the new
    deadline, so the next click confirmed the task as done. Now everything stays."""
    events = len(cw.events(cw.tasks["x1"]))
    at = _not_done(open_queue(cw))
    later = f"{cw.day(10):%d/%m/%Y}"
    by_label(at.text_input, EXTEND).input(later)
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception
    assert values(at.error) == [
        "Lý do không được để trống.",
        "Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “Lý do chưa hoàn thành”.",
    ]
    assert values(at.success) == []
    _nothing_saved(cw, events)
    _still_typed(at, "", later)
    # corrected, the same form confirms as "not done" with the date kept
    by_label(at.text_area, REASON).input("Thiếu số liệu quý III")
    by_label(at.button, SUBMIT).click().run()
    assert values(at.success) == [f"Đã xác nhận nhiệm vụ #{cw.tasks['x1']}: chưa hoàn thành, gia hạn đến {later}."]
    assert _task(cw, "x1").status is TaskStatus.OPEN


def test_a_past_extension_is_refused_never_dropped(cw: World) -> None:
    """The finding: a past "Gia hạn đến ngày" was dropped and the task saved as not done without
    an extension. Now it is refused, naming the field and the dates allowed, and nothing is saved."""
    events = len(cw.events(cw.tasks["x1"]))
    at = _not_done(open_queue(cw))
    past = f"{cw.day(-3):%d/%m/%Y}"
    by_label(at.text_area, REASON).input("Thiếu số liệu quý III")
    by_label(at.text_input, EXTEND).input(past)
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception
    latest = cw.today.replace(year=cw.today.year + 10)
    assert values(at.error) == [
        f"Gia hạn đến ngày {past} đã qua: chỉ nhận ngày từ hôm nay ({cw.today:%d/%m/%Y}) đến {latest:%d/%m/%Y}.",
        "Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “Gia hạn đến ngày”.",
    ]
    _nothing_saved(cw, events)
    _still_typed(at, "Thiếu số liệu quý III", past)


def test_every_error_of_the_form_at_once(cw: World) -> None:
    events = len(cw.events(cw.tasks["x1"]))
    at = _not_done(open_queue(cw))
    by_label(at.text_input, EXTEND).input("31/02/2027")
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception
    assert values(at.error) == [
        "Lý do không được để trống.",
        "Gia hạn đến ngày 31/02/2027 không có thật: tháng 02/2027 chỉ có 28 ngày.",
        "Chưa lưu. Sửa 2 ô được đánh dấu đỏ ở trên: “Lý do chưa hoàn thành”, “Gia hạn đến ngày”.",
    ]
    _nothing_saved(cw, events)
    _still_typed(at, "", "31/02/2027")


def test_an_impossible_or_out_of_range_extension_is_refused(cw: World) -> None:
    events = len(cw.events(cw.tasks["x1"]))
    at = _not_done(open_queue(cw))
    by_label(at.text_area, REASON).input("Thiếu số liệu quý III")
    latest = cw.today.replace(year=cw.today.year + 10)
    for typed, message in (
        ("31/02/2027", "Gia hạn đến ngày 31/02/2027 không có thật: tháng 02/2027 chỉ có 28 ngày."),
        ("15/13/2026", "Gia hạn đến ngày 15/13/2026 không có thật: tháng phải từ 1 đến 12."),
        ("mai", "Gia hạn đến ngày “mai” không đọc được: nhập ngày/tháng/năm bằng số, ví dụ 05/11/2026."),
        (
            "31/12/9999",
            f"Gia hạn đến ngày 31/12/9999 không hợp lệ: chỉ nhận ngày từ 01/01/2000 đến {latest:%d/%m/%Y}.",
        ),
    ):
        by_label(at.text_input, EXTEND).input(typed)
        by_label(at.button, SUBMIT).click().run()
        assert not at.exception
        assert values(at.error)[0] == message
        _nothing_saved(cw, events)
        _still_typed(at, "Thiếu số liệu quý III", typed)


def test_not_done_without_extension_says_the_deadline_stays(cw: World) -> None:
    at = _not_done(open_queue(cw))
    by_label(at.text_area, REASON).input("Thiếu số liệu quý III")
    by_label(at.button, SUBMIT).click().run()
    assert values(at.error) == []
    assert values(at.success) == [
        f"Đã xác nhận nhiệm vụ #{cw.tasks['x1']}: chưa hoàn thành, không gia hạn "
        f"(hạn xử lý vẫn là {cw.day(5):%d/%m/%Y})."
    ]
    with cw.session() as s:
        assert s.exec(select(Extension)).all() == []


def test_confirm_done_empties_the_queue(cw: World) -> None:
    at = open_queue(cw)
    assert by_label(at.radio, "Kết quả xác nhận").value is ConfirmOutcome.DONE  # the default
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception
    assert values(at.error) == []
    assert values(at.success) == [f"Đã xác nhận nhiệm vụ #{cw.tasks['x1']}: hoàn thành đúng hạn."]
    assert values(at.info) == [EMPTY]
    assert not at.dataframe

    assert _task(cw, "x1").status is TaskStatus.DONE
    (confirmation,) = _confirmations(cw)
    assert (confirmation.outcome, confirmation.confirmed_on, confirmation.actor_id) == (
        ConfirmOutcome.DONE,
        cw.today,
        cw.user_ids["vp.theodoi"],
    )
    last = cw.events(cw.tasks["x1"])[-1]
    assert last.action is EventAction.CONFIRMED_DONE
    assert last.note.startswith("Hoàn thành đúng hạn (văn bản 41/STC-VP")

    # a new visit still shows the empty queue
    assert values(open_queue(cw).info) == [EMPTY]


def test_not_done_with_reason_and_new_deadline_reopens_the_task(cw: World) -> None:
    at = _not_done(open_queue(cw))
    assert required_mark(at)
    by_label(at.text_area, REASON).input("Thiếu số liệu của quý III")
    by_label(at.text_input, EXTEND).input(f"{cw.day(10):%d/%m/%Y}")
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception
    assert values(at.error) == []
    assert values(at.success) == [
        f"Đã xác nhận nhiệm vụ #{cw.tasks['x1']}: chưa hoàn thành, gia hạn đến {cw.day(10):%d/%m/%Y}."
    ]
    assert values(at.info) == [EMPTY]

    assert _task(cw, "x1").status is TaskStatus.OPEN
    (confirmation,) = _confirmations(cw)
    assert (confirmation.outcome, confirmation.reason) == (ConfirmOutcome.NOT_DONE, "Thiếu số liệu của quý III")
    with cw.session() as s:
        (extension,) = s.exec(select(Extension)).all()
    assert (extension.task_id, extension.new_deadline) == (cw.tasks["x1"], cw.day(10))
    actions = [e.action for e in cw.events(cw.tasks["x1"])][-2:]
    assert actions == [EventAction.CONFIRMED_NOT_DONE, EventAction.EXTENDED]


def test_unit_clerk_cannot_open_the_queue(cw: World) -> None:
    at = cw.app_as("stc.vanthu")
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_queue_lists_pending_wrong_unit_requests_with_links(cw: World) -> None:
    with cw.session() as s:
        request_wrong_unit(
            session=s,
            actor=cw.actor("stc.lanhdao"),
            task_id=cw.tasks["x2"],
            reason="Nợ đọng xây dựng cơ bản của huyện do UBND huyện tổng hợp.",
            now=at(cw.day(-1)),
        )
    page = open_queue(cw)
    assert values(page.subheader) == [
        "Đề nghị điều chỉnh đơn vị (không đúng chức năng)",
        "Văn bản trả lời chờ xác nhận",
    ]
    links = page.get("page_link")
    assert [(link.proto.label, link.proto.page, link.proto.query_string) for link in links] == [
        (
            f"Nhiệm vụ #{cw.tasks['x2']}: Nợ đọng xây dựng cơ bản của huyện do UBND huyện tổng hợp.",
            "chi-tiet",  # the task page, where the tracker decides
            f"id={cw.tasks['x2']}",
        )
    ]
    assert [int(i) for i in page.dataframe[0].value["Mã"]] == [cw.tasks["x1"]]  # the reply queue below


def test_requests_show_even_when_no_reply_waits(cw: World) -> None:
    by_label(open_queue(cw).button, SUBMIT).click().run()  # confirm x1: no reply left
    with cw.session() as s:
        request_wrong_unit(
            session=s, actor=cw.actor("stc.lanhdao"), task_id=cw.tasks["x2"], reason="Không thuộc chức năng"
        )
    page = open_queue(cw)
    assert values(page.info) == [EMPTY]
    assert [link.proto.label for link in page.get("page_link")] == [
        f"Nhiệm vụ #{cw.tasks['x2']}: Không thuộc chức năng"
    ]
