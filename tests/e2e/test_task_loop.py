"""The whole loop in a real browser, as the officials do it: assign, reply, confirm, monitor.

VP UBND's tracker assigns two tasks in one document (one to Sở Tài chính with a fixed date,
one to UBND TP Pleiku in working days); Sở Tài chính's clerk sees only its task, notes
progress and issues the reply; the tracker confirms it; the dashboard then shows exactly
2 tasks: 1 done on time, 1 open on time, 50,0 %. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from services.clock import VN_TZ, fmt_date

from .accounts import CLERK, TRACKER, Account

pytestmark = pytest.mark.e2e

DOC_CODE = "125/UBND-KT"
DOC_SUMMARY = "V/v triển khai thực hiện các nhiệm vụ về tài chính – ngân sách năm 2026"
SIGNER = "Phạm Văn Ký"
TASK_FINANCE = "Rà soát, báo cáo tình hình giải ngân vốn đầu tư công của tỉnh"
TASK_PLEIKU = "Kiểm tra, xử lý các điểm ngập úng trên địa bàn thành phố Pleiku"
NOTE = "Đã giao Phòng Tài chính đầu tư tổng hợp số liệu."
REPLY_CODE = "45/STC-TCĐT"
REPLY_SUMMARY = "Báo cáo tình hình giải ngân vốn đầu tư công"
REPLY_RESULT = "Đã rà soát và báo cáo đầy đủ tình hình giải ngân vốn đầu tư công."



def success(page: Page) -> Locator:
    """The green success box (the same text also pops up briefly as a toast)."""
    return page.get_by_test_id("stAlertContentSuccess")

def vn_today() -> date:
    """The app's 'today' (Vietnam time), whatever the machine's time zone is."""
    return datetime.now(VN_TZ).date()


def wait_clear_of_midnight(margin_s: int = 120) -> None:
    """Dates are asserted exactly, so do not start a run that would straddle midnight in Vietnam."""
    now = datetime.now(VN_TZ)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=VN_TZ)
    left = (midnight - now).total_seconds()
    if left < margin_s:
        time.sleep(left + 2)


# --- small helpers that act like a person on Streamlit's widgets -----------------------------


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def login(page: Page, account: Account, *, start: str = "/") -> None:
    """Open ``start`` (a bookmark, say); the anonymous visit goes to the login form and back."""
    page.goto(start)
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    page.locator("#username").fill(account.username)
    page.locator("#password").fill(account.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(sidebar(page).get_by_text(account.name)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)


def logout(page: Page) -> None:
    sidebar(page).get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.locator("#username")).to_be_visible()


def open_page(page: Page, title: str) -> None:
    """Click the page in the sidebar menu and wait for its title."""
    page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


def choose(page: Page, label: str, option: str, *, nth: int = 0, search: str | None = None) -> None:
    """Pick an option of a selectbox; typing first narrows long lists (they are virtualised)."""
    # CSS, not get_by_role: an open list hides every other combobox from the accessibility tree.
    box = page.locator(f'input[role="combobox"][aria-label="{label}"]').nth(nth)
    box.click()
    if search:
        box.fill(search)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def fill_date(page: Page, label: str, day: date, *, nth: int = 0) -> None:
    """st.date_input is a react-aria DateField: type into its day, month and year spinbuttons."""
    for part, value in (("day", f"{day.day:02d}"), ("month", f"{day.month:02d}"), ("year", str(day.year))):
        page.get_by_role("spinbutton", name=f"{part}, {label}", exact=True).nth(nth).click()
        page.keyboard.type(value)
    page.keyboard.press("Escape")  # else the calendar popover swallows the next click
    field = page.get_by_test_id("stDateInput").filter(has_text=label).nth(nth)
    expect(field.locator("input[type=date]")).to_have_value(day.isoformat())


def text_area(page: Page, label: str, *, nth: int = 0) -> Locator:
    return page.get_by_role("textbox", name=label, exact=True).nth(nth)


def metric(page: Page, label: str) -> Locator:
    """The value of the st.metric whose label is exactly ``label``."""
    card = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return card.get_by_test_id("stMetricValue")


def labelled(page: Page, label: str) -> Locator:
    """The paragraph that starts with the bold ``label`` (the detail page's fields)."""
    return page.locator("[data-testid=stMarkdownContainer] p").filter(
        has=page.locator("strong").get_by_text(label, exact=True)
    )


def grid_rows(frame: Locator) -> Locator:
    """Body rows of an st.dataframe: the canvas grid keeps an accessible table for screen readers."""
    return frame.locator("table[role=grid] tbody tr")


def settle(page: Page) -> None:
    """Wait until the script run is over and no element is still a loading placeholder."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)


def shot(page: Page, path: Path, *, full_page: bool = False) -> None:
    """Save a screenshot; ``full_page`` grows the window to the page's height first.

    Playwright's own full_page does not help: Streamlit scrolls inside <main data-testid=stMain>,
    not the document, so the whole page only shows in a window as tall as that content.
    """
    settle(page)
    page.wait_for_timeout(300)  # fonts and images; the state itself is already asserted
    if not full_page:
        page.screenshot(path=str(path))
        return
    size = page.viewport_size
    assert size is not None
    height = page.get_by_test_id("stMain").evaluate("main => main.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    page.wait_for_function(
        "() => { const m = document.querySelector('[data-testid=stMain]'); return m.scrollHeight <= m.clientHeight; }"
    )
    page.wait_for_timeout(500)  # charts re-render at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


# --- the steps ------------------------------------------------------------------------------


def fill_document(page: Page) -> None:
    page.get_by_role("textbox", name="Số/ký hiệu", exact=True).fill(DOC_CODE)
    choose(page, "Cơ quan ban hành", "Chủ tịch UBND tỉnh")
    choose(page, "Loại văn bản", "Công văn")
    page.get_by_role("textbox", name="Người ký", exact=True).fill(SIGNER)
    text_area(page, "Trích yếu").fill(DOC_SUMMARY)


def assign_two_tasks(page: Page, today: date, screenshots: Path) -> None:
    open_page(page, "Giao nhiệm vụ")
    count = page.get_by_role("spinbutton", name="Số nhiệm vụ trong văn bản", exact=True)
    count.fill("2")
    count.press("Enter")
    expect(page.get_by_role("heading", name="Nhiệm vụ 2")).to_be_visible()
    expect(page.locator('input[role="combobox"][aria-label="Đơn vị chủ trì"]')).to_have_count(2)
    expect(page.get_by_role("spinbutton", name="hoặc số ngày làm việc kể từ ngày ban hành")).to_have_count(2)

    fill_document(page)
    # The issue date stays today, as shown.
    issue = page.get_by_test_id("stDateInput").filter(has_text="Ngày ban hành")
    expect(issue.locator("input[type=date]")).to_have_value(today.isoformat())

    text_area(page, "Nội dung nhiệm vụ", nth=0).fill(TASK_FINANCE)
    choose(page, "Đơn vị chủ trì", "Sở Tài chính (000.00.05.H21)", nth=0, search="Sở Tài chính")
    fill_date(page, "Hạn xử lý (ngày cụ thể)", today + timedelta(days=5), nth=0)

    text_area(page, "Nội dung nhiệm vụ", nth=1).fill(TASK_PLEIKU)
    choose(page, "Đơn vị chủ trì", "UBND TP Pleiku (000.00.31.H21)", nth=1, search="Pleiku")
    page.get_by_role("spinbutton", name="hoặc số ngày làm việc kể từ ngày ban hành", exact=True).nth(1).fill("10")

    page.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
    expect(success(page).get_by_text(f"Đã giao 2 nhiệm vụ theo văn bản {DOC_CODE}.")).to_be_visible()
    # The form starts over, empty, for the next document.
    expect(page.get_by_role("textbox", name="Số/ký hiệu", exact=True)).to_have_value("")
    expect(page.get_by_role("heading", name="Nhiệm vụ 2")).to_have_count(0)
    shot(page, screenshots / "giao-nhiem-vu.png", full_page=True)  # the message is above the fold


def duplicate_code_is_refused(page: Page) -> None:
    """Entering the same document again (same issuer, year and số/ký hiệu) is refused, nothing saved."""
    fill_document(page)
    text_area(page, "Nội dung nhiệm vụ").fill(TASK_FINANCE)
    choose(page, "Đơn vị chủ trì", "Sở Tài chính (000.00.05.H21)", search="Sở Tài chính")
    page.get_by_role("spinbutton", name="hoặc số ngày làm việc kể từ ngày ban hành", exact=True).fill("5")
    page.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_have_text(f"Số/ký hiệu '{DOC_CODE}' đã có trong năm {vn_today().year} của cơ quan ban hành này.")
    expect(success(page)).to_have_count(0)
    # What the user typed is kept so it can be corrected.
    expect(page.get_by_role("textbox", name="Số/ký hiệu", exact=True)).to_have_value(DOC_CODE)


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


def open_first_row(page: Page) -> None:
    """Select the first row of the task list (its check box, left of the first column)."""
    frame = page.get_by_test_id("stDataFrame")
    canvas = frame.locator("canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None
    header_h = row_h = 35  # glide-data-grid's default row and header heights in Streamlit
    page.mouse.click(box["x"] + 14, box["y"] + header_h + row_h / 2)


def work_on_task(page: Page, today: date, screenshots: Path) -> int:
    open_first_row(page)
    heading = page.get_by_role("heading", name=re.compile(r"^Nhiệm vụ #\d+$"), level=1)
    expect(heading).to_be_visible()
    expect(page).to_have_url(re.compile(r"/chi-tiet\?id=\d+"))
    task_id = int(re.search(r"id=(\d+)", page.url).group(1))  # type: ignore[union-attr]
    expect(page.get_by_role("heading", name=TASK_FINANCE)).to_be_visible()
    expect(labelled(page, "Đơn vị chủ trì")).to_have_text("Đơn vị chủ trì Sở Tài chính")
    expect(labelled(page, "Hạn xử lý")).to_have_text(f"Hạn xử lý {fmt_date(today + timedelta(days=5))}")
    document = labelled(page, "Số/ký hiệu:")
    expect(document).to_contain_text(f"Số/ký hiệu: {DOC_CODE} · Ngày ban hành: {fmt_date(today)}")
    expect(document).to_contain_text("Cơ quan ban hành: Chủ tịch UBND tỉnh")
    expect(document).to_contain_text(f"Loại văn bản: Công văn · Người ký: {SIGNER}")

    page.get_by_role("textbox", name="Nội dung cập nhật").fill(NOTE)
    page.get_by_role("button", name="Lưu cập nhật").click()
    expect(success(page).get_by_text("Đã lưu cập nhật tiến độ.")).to_be_visible()
    expect(page.get_by_text(NOTE, exact=True)).to_be_visible()

    page.get_by_role("textbox", name="Số/ký hiệu văn bản trả lời").fill(REPLY_CODE)
    reply_date = page.get_by_test_id("stDateInput").filter(has_text="Ngày văn bản")
    expect(reply_date.locator("input[type=date]")).to_have_value(today.isoformat())
    page.get_by_role("textbox", name="Người ký").fill("Lê Thị Giám Đốc")
    page.get_by_role("textbox", name="Trích yếu văn bản trả lời").fill(REPLY_SUMMARY)
    page.get_by_role("textbox", name="Kết quả thực hiện").fill(REPLY_RESULT)
    page.get_by_role("button", name="Ban hành văn bản trả lời").click()
    expect(
        success(page).get_by_text(f"Đã ban hành văn bản trả lời {REPLY_CODE}; chờ Văn phòng UBND tỉnh xác nhận.")
    ).to_be_visible()

    # The journal, newest first: the reply, the note, the assignment, each dated dd/mm/yyyy hh:mm.
    entries = (
        page.get_by_test_id("stMarkdownContainer")
        .locator("p")
        .filter(
            has_text=re.compile(
                r"^(Ban hành văn bản trả lời|Cập nhật tiến độ|Giao nhiệm vụ) — \d{2}/\d{2}/\d{4} \d{2}:\d{2}"
            )
        )
    )
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text(f"Ban hành văn bản trả lời — {fmt_date(today)}")
    expect(entries.nth(0)).to_contain_text(f"{CLERK.name} (Văn thư, Sở Tài chính) · Sở Tài chính → VP UBND tỉnh")
    expect(entries.nth(1)).to_contain_text("Cập nhật tiến độ")
    expect(entries.nth(2)).to_contain_text(f"Giao nhiệm vụ — {fmt_date(today)}")
    # The reply is recorded on the task, and the reply form is gone (one reply awaits confirmation).
    expect(page.get_by_text(f"{REPLY_CODE} ngày {fmt_date(today)} (Sở Tài chính)")).to_be_visible()
    expect(page.get_by_role("button", name="Ban hành văn bản trả lời")).to_have_count(0)
    shot(page, screenshots / "chi-tiet-nhiem-vu.png", full_page=True)
    return task_id


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
    expect(success(page).get_by_text(f"Đã xác nhận nhiệm vụ #{task_id}.")).to_be_visible()
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
    # Vietnamese decimal comma (ui.format.fmt_percent), as in the official table below.
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
    shot(page, screenshots / "giam-sat.png", full_page=True)


def test_assign_reply_confirm_monitor(page: Page, screenshots: Path) -> None:
    wait_clear_of_midnight()
    today = vn_today()

    # 1. VP UBND's tracker assigns a document with two tasks; a second entry of it is refused.
    login(page, TRACKER)
    assign_two_tasks(page, today, screenshots)
    duplicate_code_is_refused(page)

    # 2. F5 keeps the session (HttpOnly cookie); then log out.
    reload_keeps_login(page)
    logout(page)

    # 3. Sở Tài chính's clerk sees its one task, notes progress and issues the reply.
    login(page, CLERK, start="/nhiem-vu")  # from a bookmark: lands on that page after the login form
    expect(page).to_have_url(re.compile(r"/nhiem-vu"))
    unit_sees_only_its_task(page, screenshots)
    task_id = work_on_task(page, today, screenshots)
    logout(page)

    # 4. The tracker confirms the reply: done.
    login(page, TRACKER)
    confirm_done(page, task_id, today, screenshots)

    # 5. The dashboard counts it: 2 tasks, 1 done on time, 1 open on time, 50,0 %.
    monitor_figures(page, today, screenshots)
