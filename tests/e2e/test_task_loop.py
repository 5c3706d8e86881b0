"""The whole loop in a real browser, as the officials do it: assign, handle in the unit, confirm, monitor.

VP UBND's tracker assigns two tasks in one document (one to Sở Tài chính with a fixed date,
one to UBND TP Pleiku in working days). Sở Tài chính handles its task step by step, each
person at their own computer (Điều 5.1.e, the short workflow): the clerk sees only the unit's
task, notes progress and enters it (vào sổ); the leader, whose "Việc chờ tôi xử lý" now lists
it, hands it to the specialist (bút phê); the specialist submits the draft; the leader
approves; the clerk issues the reply. The tracker confirms it; the dashboard then shows
exactly 2 tasks: 1 done on time, 1 open on time, 50,0 %. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from services.config.loader import load_config
from services.infra.clock import fmt_date
from services.infra.settings import ROOT
from services.tasks.assignment import working_day_deadline

from .accounts import CLERK, STC_LEADER, STC_SPECIALIST, TRACKER
from .conftest import Desks
from .ui import (
    CASE_SHORT,
    CASE_TH1,
    CASE_TH2,
    act,
    choose,
    choose_option,
    expect_steps,
    grid_rows,
    journal,
    labelled,
    login,
    logout,
    metric,
    open_from_inbox,
    open_page,
    open_row,
    shot,
    sidebar,
    success,
    text_area,
    type_date,
    vn_today,
    wait_clear_of_midnight,
    where_now,
)

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS = (STC_LEADER, STC_SPECIALIST)  # besides the tracker and the clerk

DOC_CODE = "125/UBND-KT"
DOC_SUMMARY = "V/v triển khai thực hiện các nhiệm vụ về tài chính – ngân sách năm 2026"
SIGNER = "Phạm Văn Ký"
TASK_FINANCE = "Rà soát, báo cáo tình hình giải ngân vốn đầu tư công của tỉnh"
TASK_PLEIKU = "Kiểm tra, xử lý các điểm ngập úng trên địa bàn thành phố Pleiku"
NOTE = "Đã giao Phòng Tài chính đầu tư tổng hợp số liệu."
VAO_SO = "Vào sổ, chuyển lãnh đạo"
BUT_PHE = "Bút phê, chuyển chuyên viên xử lý"
TRINH = "Trình dự thảo văn bản trả lời"
DUYET = "Duyệt, chuyển văn thư ban hành"
BAN_HANH = "Ban hành văn bản trả lời, gửi UBND tỉnh"
REPLY_CODE = "45/STC-TCĐT"
REPLY_SUMMARY = "Báo cáo tình hình giải ngân vốn đầu tư công"
REPLY_RESULT = "Đã rà soát và báo cáo đầy đủ tình hình giải ngân vốn đầu tư công."


# --- the steps ------------------------------------------------------------------------------


def working_days_after(day: date, days: int) -> date:
    """The deadline the page shows for ``days`` working days after ``day`` (the shipped calendar)."""
    return working_day_deadline(issue_date=day, working_days=days, config=load_config(ROOT / "config"))


def fill_document(page: Page) -> None:
    """The document's fields; required ones are labelled with a trailing " *"."""
    page.get_by_role("textbox", name="Số/ký hiệu *", exact=True).fill(DOC_CODE)
    choose(page, "Cơ quan ban hành *", "Chủ tịch UBND tỉnh")
    choose(page, "Loại văn bản *", "Công văn")
    page.get_by_role("textbox", name="Người ký *", exact=True).fill(SIGNER)
    text_area(page, "Trích yếu *").fill(DOC_SUMMARY)


def assign_two_tasks(page: Page, today: date, screenshots: Path) -> None:
    open_page(page, "Giao nhiệm vụ")
    fill_document(page)  # typed first: adding a task (a button of the form) keeps it
    page.get_by_role("button", name="Thêm nhiệm vụ").click()
    expect(page.get_by_role("heading", name="Nhiệm vụ 2")).to_be_visible()
    expect(page.locator('input[role="combobox"][aria-label="Đơn vị chủ trì *"]')).to_have_count(2)
    expect(page.get_by_role("spinbutton", name="hoặc số ngày làm việc kể từ ngày ban hành")).to_have_count(2)
    expect(page.get_by_role("textbox", name="Số/ký hiệu *", exact=True)).to_have_value(DOC_CODE)
    # The issue date is today, typed out as ngày/tháng/năm.
    expect(page.get_by_role("textbox", name="Ngày ban hành *", exact=True)).to_have_value(fmt_date(today))

    text_area(page, "Nội dung nhiệm vụ *", nth=0).fill(TASK_FINANCE)
    choose(page, "Đơn vị chủ trì *", "Sở Tài chính (000.00.05.H21)", nth=0, search="Sở Tài chính")
    type_date(page, "Hạn xử lý (ngày cụ thể)", today + timedelta(days=5), nth=0)

    text_area(page, "Nội dung nhiệm vụ *", nth=1).fill(TASK_PLEIKU)
    choose(page, "Đơn vị chủ trì *", "UBND TP Pleiku (000.00.31.H21)", nth=1, search="Pleiku")
    page.get_by_role("spinbutton", name="hoặc số ngày làm việc kể từ ngày ban hành", exact=True).nth(1).fill("10")

    # 10 working days: the date they give is shown before anything is saved, then saved
    page.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
    due = re.escape(f"Nhiệm vụ 2 → {fmt_date(working_days_after(today, 10))}")
    expect(page.get_by_test_id("stAlertContentInfo")).to_contain_text(re.compile(due))
    expect(success(page)).to_have_count(0)
    page.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
    expect(success(page).get_by_text(f"Đã giao 2 nhiệm vụ theo văn bản {DOC_CODE}.")).to_be_visible()
    # The form starts over, empty, for the next document.
    expect(page.get_by_role("textbox", name="Số/ký hiệu *", exact=True)).to_have_value("")
    expect(page.get_by_role("heading", name="Nhiệm vụ 2")).to_have_count(0)
    shot(page, screenshots / "giao-nhiem-vu.png", full_page=True)  # the message is above the fold


def duplicate_code_is_refused(page: Page) -> None:
    """Entering the same document again (same issuer, year and số/ký hiệu) is refused, nothing saved."""
    fill_document(page)
    text_area(page, "Nội dung nhiệm vụ *").fill(TASK_FINANCE)
    choose(page, "Đơn vị chủ trì *", "Sở Tài chính (000.00.05.H21)", search="Sở Tài chính")
    type_date(page, "Hạn xử lý (ngày cụ thể)", vn_today() + timedelta(days=5))
    page.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_have_text(
        [
            f"Số/ký hiệu '{DOC_CODE}' đã có trong năm {vn_today().year} của cơ quan ban hành này.",  # under the field
            "Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “Số/ký hiệu”.",  # by the button
        ]
    )
    expect(success(page)).to_have_count(0)
    # What the user typed is kept so it can be corrected.
    expect(page.get_by_role("textbox", name="Số/ký hiệu *", exact=True)).to_have_value(DOC_CODE)
    expect(text_area(page, "Nội dung nhiệm vụ *")).to_have_value(TASK_FINANCE)
    expect(page.get_by_role("textbox", name="Hạn xử lý (ngày cụ thể)")).to_have_value(
        fmt_date(vn_today() + timedelta(days=5))
    )


def reload_keeps_login(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/giao-nhiem-vu$"))  # "/" sends the tracker to the real page URL
    page.reload()
    expect(sidebar(page).get_by_text(TRACKER.name)).to_be_visible()
    expect(page.get_by_role("heading", name="Giao nhiệm vụ", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/giao-nhiem-vu$"))


def unit_sees_only_its_task(page: Page, screenshots: Path) -> None:
    open_page(page, "Nhiệm vụ của đơn vị")
    expect(metric(page, "Đang thực hiện")).to_have_text("1")
    frame = page.get_by_test_id("stDataFrame")
    rows = grid_rows(frame)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(TASK_FINANCE)
    expect(rows.first).to_contain_text(DOC_CODE)
    expect(rows.first).to_contain_text(fmt_date(vn_today() + timedelta(days=5)))
    expect(frame).not_to_contain_text("Pleiku")
    shot(page, screenshots / "nhiem-vu-don-vi.png")


def clerk_enters_the_task(page: Page, today: date) -> int:
    """The clerk opens the task from the unit's list, notes progress and enters it (vào sổ)."""
    task_id = open_row(page, TASK_FINANCE)
    expect(page.get_by_role("heading", name=TASK_FINANCE)).to_be_visible()
    expect(labelled(page, "Đơn vị chủ trì")).to_have_text("Đơn vị chủ trì Sở Tài chính")
    expect(labelled(page, "Hạn xử lý")).to_have_text(f"Hạn xử lý {fmt_date(today + timedelta(days=5))}")
    document = labelled(page, "Số/ký hiệu:")
    expect(document).to_contain_text(f"Số/ký hiệu: {DOC_CODE} · Ngày ban hành: {fmt_date(today)}")
    expect(document).to_contain_text("Cơ quan ban hành: Chủ tịch UBND tỉnh")
    expect(document).to_contain_text(f"Loại văn bản: Công văn · Người ký: {SIGNER}")
    # Sở Tài chính has sub-units: the workflow is chosen by the leader at bút phê
    expect_steps(page, [("Sở Tài chính", "Chờ văn thư vào sổ")])
    expect(where_now(page).first).to_contain_text("Chưa chọn quy trình")
    # the reply is the last step, not a form for now
    expect(page.get_by_role("textbox", name="Số/ký hiệu văn bản trả lời *")).to_have_count(0)

    page.get_by_role("textbox", name="Nội dung cập nhật *").fill(NOTE)
    page.get_by_role("button", name="Lưu cập nhật").click()
    expect(success(page).get_by_text("Đã lưu cập nhật tiến độ.")).to_be_visible()
    expect(page.get_by_text(NOTE, exact=True)).to_be_visible()

    act(page, VAO_SO)
    expect_steps(page, [("Sở Tài chính", "Chờ lãnh đạo bút phê")])
    expect(page.get_by_role("heading", name="Việc chờ bạn xử lý")).to_have_count(0)  # the clerk's part is done
    return task_id


def leader_hands_to_specialist(desks: Desks) -> None:
    """The leader's "/" is "Việc chờ tôi xử lý": one task; the short workflow's bút phê."""
    page = desks(STC_LEADER)
    expect(page.get_by_role("heading", name="Việc chờ tôi xử lý", level=1)).to_be_visible()
    expect(grid_rows(page.get_by_test_id("stDataFrame"))).to_have_count(1)
    open_row(page, TASK_FINANCE)
    # a unit with sub-units: the leader picks the routing case by name (Điều 5.1.e), then one form
    expect(page.get_by_text("Cách chuyển xử lý (Điều 5.1.e)")).to_be_visible()
    for case in (CASE_TH1, CASE_TH2, CASE_SHORT):
        expect(page.get_by_role("radio", name=case, exact=True)).not_to_be_checked()
    expect(page.get_by_role("button", name=re.compile(r"^Bút phê"))).to_have_count(0)  # no form before the choice
    choose_option(page, CASE_SHORT)
    expect(page.get_by_role("button", name=re.compile(r"^Bút phê"))).to_have_text([BUT_PHE])  # one button
    act(page, BUT_PHE, assignee=f"{STC_SPECIALIST.name} (Chuyên viên)", note="Đề nghị khẩn trương tổng hợp.")
    expect_steps(page, [("Sở Tài chính", "Chuyên viên đang dự thảo")])
    expect(where_now(page).first).to_contain_text("Đơn vị tự xử lý (không chuyển đơn vị trực thuộc)")
    expect(where_now(page).first).to_contain_text(STC_SPECIALIST.name)


def specialist_submits_draft(desks: Desks) -> None:
    page = desks(STC_SPECIALIST)
    expect(page.get_by_role("heading", name="Việc chờ tôi xử lý", level=1)).to_be_visible()
    open_row(page, TASK_FINANCE)
    act(page, TRINH)
    expect_steps(page, [("Sở Tài chính", "Chờ lãnh đạo duyệt dự thảo")])
    desks.leave(STC_SPECIALIST)


def leader_approves(desks: Desks) -> None:
    page = desks(STC_LEADER)
    open_from_inbox(page, TASK_FINANCE)
    expect(page.get_by_role("button", name="Trả lại dự thảo", exact=True)).to_be_visible()
    act(page, DUYET)
    expect_steps(page, [("Sở Tài chính", "Chờ văn thư ban hành")])
    desks.leave(STC_LEADER)


def clerk_issues_reply(page: Page, today: date, screenshots: Path) -> None:
    open_from_inbox(page, TASK_FINANCE)
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=BAN_HANH, exact=True))
    form.get_by_role("textbox", name="Số/ký hiệu văn bản trả lời *").fill(REPLY_CODE)
    expect(form.get_by_role("textbox", name="Ngày văn bản *")).to_have_value(fmt_date(today))
    form.get_by_role("textbox", name="Người ký").fill("Lê Thị Giám Đốc")
    form.get_by_role("textbox", name="Trích yếu văn bản trả lời *").fill(REPLY_SUMMARY)
    form.get_by_role("textbox", name="Kết quả thực hiện *").fill(REPLY_RESULT)
    act(
        page,
        BAN_HANH,
        done=f"Đã ban hành văn bản trả lời {REPLY_CODE} ngày {fmt_date(today)}; chờ Văn phòng UBND tỉnh xác nhận.",
    )
    expect_steps(page, [("Sở Tài chính", "Đã ban hành văn bản trả lời")])

    # The journal, newest first: steps 5 (the reply itself) to 1, the note, the assignment.
    entries = journal(page)
    expect(entries).to_have_count(7)
    expect(entries.nth(0)).to_contain_text(f"Bước 5 · {BAN_HANH} — {fmt_date(today)}")
    expect(entries.nth(0)).to_contain_text(f"{CLERK.name} (Văn thư, Sở Tài chính) · Sở Tài chính → VP UBND tỉnh")
    steps = [
        (f"Bước 4 · {DUYET}", STC_LEADER.name),
        (f"Bước 3 · {TRINH}", STC_SPECIALIST.name),
        (f"Bước 2 · {BUT_PHE}", STC_LEADER.name),
        (f"Bước 1 · {VAO_SO}", CLERK.name),
    ]
    for i, (title, name) in enumerate(steps, start=1):
        expect(entries.nth(i)).to_contain_text(title)
        expect(entries.nth(i)).to_contain_text(name)
        expect(entries.nth(i)).not_to_contain_text("→")  # nothing left the unit
    expect(page.get_by_text(f"Chuyển chuyên viên: {STC_SPECIALIST.name}", exact=True)).to_be_visible()
    expect(page.get_by_text("Đề nghị khẩn trương tổng hợp.", exact=True)).to_be_visible()
    expect(entries.nth(5)).to_contain_text("Cập nhật tiến độ")
    expect(entries.nth(6)).to_contain_text(f"Giao nhiệm vụ — {fmt_date(today)}")
    # The reply is recorded on the task, and no step is left (the reply awaits confirmation).
    expect(page.get_by_text(f"{REPLY_CODE} ngày {fmt_date(today)} (Sở Tài chính)")).to_be_visible()
    expect(page.get_by_role("heading", name="Việc chờ bạn xử lý")).to_have_count(0)
    shot(page, screenshots / "chi-tiet-nhiem-vu.png", full_page=True)


def confirm_done(page: Page, task_id: int, today: date, screenshots: Path) -> None:
    open_page(page, "Xác nhận kết quả")
    expect(page.get_by_text("1 văn bản trả lời chờ xác nhận, chờ lâu nhất lên đầu.")).to_be_visible()
    rows = grid_rows(page.get_by_test_id("stDataFrame"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"{REPLY_CODE} ({fmt_date(today)})")
    expect(rows.first).to_contain_text("đúng hạn")
    expect(page.get_by_role("combobox", name="Nhiệm vụ cần xác nhận")).to_have_value(
        re.compile(rf"^#{task_id} · Sở Tài chính · {re.escape(REPLY_CODE)} · ")
    )
    expect(page.get_by_text(f"Kết quả đơn vị báo cáo: {REPLY_RESULT}")).to_be_visible()
    expect(page.get_by_role("button", name="Xác nhận", exact=True)).to_be_visible()
    shot(page, screenshots / "xac-nhan.png")

    page.get_by_text("Hoàn thành", exact=True).click()
    expect(page.get_by_role("radio", name="Hoàn thành", exact=True)).to_be_checked()
    page.get_by_role("button", name="Xác nhận", exact=True).click()
    expect(success(page).get_by_text(f"Đã xác nhận nhiệm vụ #{task_id}: hoàn thành")).to_be_visible()
    expect(page.get_by_text("Không có văn bản trả lời nào chờ xác nhận.")).to_be_visible()


def monitor_figures(page: Page, today: date, screenshots: Path) -> None:
    open_page(page, "Giám sát công việc")
    expect(page.get_by_text(f"Kỳ báo cáo 01/01/{today.year} – {fmt_date(today)}")).to_be_visible()
    expect(metric(page, "Tổng số nhiệm vụ")).to_have_text("2")
    expect(metric(page, "Hoàn thành đúng hạn")).to_have_text("1")
    expect(metric(page, "Hoàn thành trễ hạn")).to_have_text("0")
    expect(metric(page, "Đang thực hiện trong hạn")).to_have_text("1")
    expect(metric(page, "Đang thực hiện quá hạn")).to_have_text("0")
    expect(metric(page, "Đã trả lời, chờ xác nhận")).to_have_text("0")
    # Vietnamese decimal comma (services.stats.statistics.fmt_percent), as in the official table below.
    expect(metric(page, "Tỷ lệ hoàn thành đúng hạn")).to_have_text("50,0 %")

    # The official table (st.table is real HTML): one line per unit with tasks, then the total.
    table = page.get_by_test_id("stTable").locator("table")
    expect(table.locator("tbody tr")).to_have_count(3)
    header = [cell.strip() for cell in table.locator("thead th").all_inner_texts()]
    lines = [
        dict(zip(header, (cell.strip() for cell in row.locator("td, th").all_inner_texts()), strict=True))
        for row in table.locator("tbody tr").all()
    ]
    wanted = ["Cơ quan thực hiện", "Tổng số văn bản", "Tổng số nhiệm vụ", "Đã hoàn thành — Đúng hạn"]
    wanted += ["Đã hoàn thành — Quá hạn", "Chưa hoàn thành — Trong hạn", "Chưa hoàn thành — Quá hạn"]
    wanted += ["Tỷ lệ hoàn thành đúng hạn"]
    assert [[line[name] for name in wanted] for line in lines] == [
        ["Sở Tài chính", "1", "1", "1", "0", "0", "0", "100,0 %"],
        ["UBND TP Pleiku", "1", "1", "0", "0", "1", "0", "0,0 %"],
        ["Tổng cộng", "1", "2", "1", "0", "1", "0", "50,0 %"],
    ], lines

    chart = page.get_by_test_id("stVegaLiteChart").locator("canvas, svg").first
    expect(chart).to_be_visible()
    expect(page.get_by_role("heading", name="Nhiệm vụ quá hạn")).to_be_visible()

    # The drill-down: every class at first ("Tất cả", never an empty placeholder); choosing one
    # lists its tasks and puts the filter in the URL.
    drill_class = page.locator('input[role="combobox"][aria-label="Nhóm"]')
    expect(drill_class).to_have_value("Tất cả")
    expect(page.get_by_text("2 nhiệm vụ", exact=True)).to_be_visible()
    choose(page, "Nhóm", "Đang thực hiện trong hạn", search="trong hạn")
    expect(page.get_by_text("1 nhiệm vụ", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]class=open_on_time(&|$)"))
    choose(page, "Nhóm", "Tất cả", search="Tất cả")
    expect(page.get_by_text("2 nhiệm vụ", exact=True)).to_be_visible()
    shot(page, screenshots / "giam-sat.png", full_page=True)


def test_assign_handle_confirm_monitor(page: Page, desks: Desks, screenshots: Path) -> None:
    wait_clear_of_midnight()
    today = vn_today()

    # 1. VP UBND's tracker assigns a document with two tasks; a second entry of it is refused.
    login(page, TRACKER)
    assign_two_tasks(page, today, screenshots)
    duplicate_code_is_refused(page)

    # 2. F5 keeps the session (HttpOnly cookie); then log out.
    reload_keeps_login(page)
    logout(page)

    # 3. Sở Tài chính's clerk sees its one task, notes progress and enters it (vào sổ).
    login(page, CLERK, start="/nhiem-vu")  # from a bookmark: lands on that page after the login form
    expect(page).to_have_url(re.compile(r"/nhiem-vu"))
    unit_sees_only_its_task(page, screenshots)
    task_id = clerk_enters_the_task(page, today)

    # 4. The leader hands it to the specialist; the specialist drafts; the leader approves.
    leader_hands_to_specialist(desks)
    specialist_submits_draft(desks)
    leader_approves(desks)

    # 5. Back at the clerk's desk: the reply is issued to VP UBND.
    clerk_issues_reply(page, today, screenshots)
    logout(page)

    # 6. The tracker confirms the reply: done.
    login(page, TRACKER)
    confirm_done(page, task_id, today, screenshots)

    # 7. The dashboard counts it: 2 tasks, 1 done on time, 1 open on time, 50,0 %.
    monitor_figures(page, today, screenshots)
