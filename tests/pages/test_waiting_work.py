"""Waiting work (issue 9) as the user sees it: a task sent back says so at the top of its page and
in the lists; the menu counts the work waiting for each role and follows each step; after a step
the page offers the next waiting task and the way back to the list; the inbox lists the tasks the
unit coordinates, with what it may do there.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from streamlit.testing.v1 import AppTest

from models import ConfirmOutcome
from models.schemas import ConfirmationCreate
from services.actions.confirmation import list_pending
from services.infra.clock import fmt_date
from services.workflow.engine import inbox_task_ids
from tests.actions import confirm_task, request_wrong_unit
from tests.conftest import FINANCE, PLEIKU, at
from tests.pages.conftest import BUDGET, World, values
from tests.pages.steps import fire_on_page, flow_id, form_key, unit_id
from ui.format import md_escape

WORLD_USERS = ["syt.vanthu", "syt.lanhdao", "syt.chuyenvien", "vp.lanhdao"]
DETAIL, INBOX, UNIT_TASKS = "pages/task_detail.py", "pages/inbox.py", "pages/unit_tasks.py"
# user text with Markdown in it: shown as typed, never as a link or emphasis
REASON = "Thiếu số liệu *từng xã*, xem [phụ lục](http://evil.example)"


def menu(at_: AppTest) -> list[str]:
    """The titles the menu shows (AppTest's registry of st.navigation; hidden pages left out)."""
    hidden = {"Trang chủ", "Chi tiết nhiệm vụ"}
    return [p["page_name"] for p in at_._registered_pages.values() if p["page_name"] not in hidden]


def send_back(world: World, content: str, *, new_deadline: date | None) -> int:
    """A Sở Tài chính task replied two days ago and judged "Chưa hoàn thành" yesterday."""
    assert world.runtime is not None
    task_id = world.new_task(FINANCE, content, offset=-6, deadline=4)
    world.reply(task_id, f"{task_id}/STC-TH", -2)
    with world.session() as s:
        confirm_task(
            session=s,
            actor=world.actor("vp.theodoi"),
            config=world.runtime.config,
            task_id=task_id,
            now=at(world.day(-1)),
            data=ConfirmationCreate(outcome=ConfirmOutcome.NOT_DONE, reason=REASON, new_deadline=new_deadline),
        )
    return task_id


def scrolls_to_top(page: AppTest) -> bool:
    """The page tells the browser to scroll to the top (ui/next_step.py ``open_at_top``)."""
    return any("gv-scroll-top" in e.proto.body for e in page.get("html"))


def situation_of(frame: Any, task_id: int) -> list[str]:
    """The "Tình trạng" pills of a task's line in a list."""
    [line] = [list(s) for i, s in zip(frame["Mã"], frame["Tình trạng"], strict=True) if int(i) == task_id]
    return line


def test_a_task_sent_back_says_so_under_its_title(world: World) -> None:
    extended = world.day(12)
    task_id = send_back(world, "Báo cáo rà soát nợ đọng", new_deadline=extended)
    page = world.app_as("stc.vanthu", DETAIL, {"id": str(task_id)})
    assert not page.exception
    [banner] = page.warning
    assert banner.value == (
        f"VP UBND xác nhận chưa hoàn thành ngày {fmt_date(world.day(-1))} — lý do: {md_escape(REASON)}  \n"
        f"Văn bản trả lời {task_id}/STC-TH không được chấp nhận; gia hạn đến {fmt_date(extended)}."
    )
    # right under the title, before the content and everything else
    shown = [e for e in page.main if getattr(e, "type", "") in ("title", "warning", "markdown")]
    assert [e.type for e in shown[:3]] == ["title", "warning", "markdown"]
    assert shown[0].value == f"Nhiệm vụ #{task_id}"
    markdown = values(page.markdown)
    assert any("Bị trả lại · trong hạn" in m for m in markdown)  # the pill, not "Đang thực hiện trong hạn"
    [rejected] = [m for m in markdown if m.startswith(f"- **{task_id}/STC-TH**")]
    assert f":red[(không được chấp nhận ngày {fmt_date(world.day(-1))})]" in rejected

    # without an extension the deadline stays, and the banner says so
    kept = send_back(world, "Báo cáo công nợ", new_deadline=None)
    page = world.app_as("stc.vanthu", DETAIL, {"id": str(kept)})
    assert values(page.warning)[0].endswith("không được chấp nhận; hạn xử lý không đổi.")
    # a task never sent back has no banner
    page = world.app_as("stc.vanthu", DETAIL, {"id": str(world.tasks["b1"])})
    assert not page.exception and values(page.warning) == []


def test_the_lists_mark_a_task_sent_back(world: World) -> None:
    task_id = send_back(world, "Báo cáo tồn quỹ", new_deadline=world.day(20))
    inbox = world.app_as("stc.vanthu", INBOX)
    assert not inbox.exception
    assert situation_of(inbox.dataframe[0].value, task_id) == ["Bị trả lại · trong hạn"]
    assert situation_of(inbox.dataframe[0].value, world.tasks["b1"]) == ["Sắp đến hạn"]
    unit = world.app_as("stc.vanthu", UNIT_TASKS)
    assert not unit.exception
    assert situation_of(unit.dataframe[0].value, task_id) == ["Bị trả lại · trong hạn"]
    assert situation_of(unit.dataframe[0].value, world.tasks["a1"]) == ["Đang thực hiện quá hạn"]


def test_the_menu_counts_the_work_waiting_for_each_role(world: World) -> None:
    assert world.runtime is not None
    for username in ("stc.vanthu", "stc.lanhdao", "stc.chuyenvien", "syt.vanthu"):
        with world.session() as s:
            waiting = len(inbox_task_ids(session=s, actor=world.actor(username), config=world.runtime.config))
        title = f"Việc chờ tôi xử lý ({waiting})" if waiting else "Việc chờ tôi xử lý"
        assert menu(world.app_as(username))[0] == title, username
    # VP UBND's tracker: the replies waiting for a verdict, and the "not our remit" requests
    with world.session() as s:
        replies = len(list_pending(session=s, actor=world.actor("vp.theodoi"), today=world.today))
    assert replies >= 1  # c3
    assert menu(world.app_as("vp.theodoi"))[:2] == ["Giao nhiệm vụ", f"Xác nhận kết quả ({replies})"]
    misrouted = world.new_task(PLEIKU, "Kiểm tra an toàn thực phẩm tại chợ")
    with world.session() as s:
        request_wrong_unit(
            session=s, actor=world.actor("pleiku.lanhdao"), task_id=misrouted, reason="Thuộc chức năng Sở Y tế"
        )
    assert menu(world.app_as("vp.theodoi"))[1] == f"Xác nhận kết quả ({replies} · 1 đề nghị)"
    # those who wait for nothing see the bare titles
    assert menu(world.app_as("vp.lanhdao"))[0] == "Giám sát công việc"


def test_a_step_moves_the_counts_and_offers_the_next_task(world: World) -> None:
    task_id = world.new_task(FINANCE, "Thẩm định giá đất", deadline=30)
    with world.session() as s:
        assert world.runtime is not None
        before = {
            u: len(inbox_task_ids(session=s, actor=world.actor(u), config=world.runtime.config))
            for u in ("stc.vanthu", "stc.lanhdao")
        }
    page = world.app_as("stc.vanthu", DETAIL, {"id": str(task_id)})
    assert menu(page)[0] == f"Việc chờ tôi xử lý ({before['stc.vanthu']})"
    assert scrolls_to_top(page)  # a task not shown before in this session opens at its title
    fire_on_page(page, form_key(flow_id(world, task_id), "ngan", "vao_so"))
    assert not scrolls_to_top(page)  # the same task again: the page stays where the form was
    [done] = values(page.success)
    assert done.startswith("Đã thực hiện: Vào sổ, chuyển lãnh đạo")
    # the menu follows at once: one task less for the clerk, one more for the leader
    assert menu(page)[0] == f"Việc chờ tôi xử lý ({before['stc.vanthu'] - 1})"
    assert menu(world.app_as("stc.lanhdao"))[0] == f"Việc chờ tôi xử lý ({before['stc.lanhdao'] + 1})"
    links = {link.value: link.proto for link in page.get("page_link")}
    # the clerk's most urgent waiting task: a1, overdue
    following = links[f"Việc chờ tiếp theo: Nhiệm vụ #{world.tasks['a1']}"]
    assert (following.page, following.query_string) == ("chi-tiet", f"id={world.tasks['a1']}")
    assert links["Về danh sách việc chờ"].page == "viec-cho-toi"


def test_the_inbox_lists_the_coordinated_tasks_and_no_own_unit_column(world: World) -> None:
    page = world.app_as("syt.vanthu", INBOX)
    assert not page.exception
    own, coordinated = (frame.value for frame in page.dataframe)
    # Sở Y tế's own tasks: its name is not repeated on every line
    assert "Đơn vị chủ trì" not in own.columns
    assert list(own.columns) == ["Mã", "Văn bản", "Nội dung nhiệm vụ", "Đang ở bước", "Hạn xử lý", "Tình trạng"]
    assert set(own["Đang ở bước"]) == {"Chờ văn thư vào sổ"}
    assert values(page.subheader) == ["Nhiệm vụ đơn vị phối hợp"]
    # b2: led by Sở Tài chính, coordinated by Sở Y tế; the clerk may send a contribution there
    assert [int(i) for i in coordinated["Mã"]] == [world.tasks["b2"]]
    assert list(coordinated["Đơn vị chủ trì"]) == ["Sở Tài chính"]
    assert list(coordinated["Bạn có thể"]) == ["Gửi ý kiến phối hợp"]
    # a unit that coordinates nothing has no such section
    assert values(world.app_as("stc.vanthu", INBOX).subheader) == []


def test_a_sub_units_flow_names_the_lead_unit(world: World) -> None:
    """P. QLNS's leader waits on a Trường hợp 2 task Sở Tài chính routed to it: the lead unit is
    another unit, so the column is there."""
    assert world.runtime is not None
    world.create_users(["qlns.vanthu", "qlns.lanhdao", "qlns.chuyenvien"])
    task_id = world.new_task(FINANCE, "Lập dự toán ngân sách phòng")
    world.step("stc.vanthu", task_id, "vao_so")
    world.step("stc.lanhdao", task_id, "but_phe", workflow="truong_hop_2", subunit_ids=[unit_id(world, BUDGET)])
    page = world.app_as("qlns.lanhdao", INBOX)
    assert not page.exception
    [frame] = (f.value for f in page.dataframe)
    assert [int(i) for i in frame["Mã"]] == [task_id]
    assert list(frame["Đơn vị chủ trì"]) == ["Sở Tài chính"]
    assert list(frame["Đang ở bước"]) == ["Chờ lãnh đạo phòng chuyển chuyên viên"]
    assert menu(page)[0] == "Việc chờ tôi xử lý (1)"
