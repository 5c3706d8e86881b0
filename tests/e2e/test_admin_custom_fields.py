"""Trường tùy chỉnh in Chromium: the admin adds a field of each task (a choice, required) and one
of the document (a text); the tracker, in a browser of their own, fills them in Giao nhiệm vụ
(refused first without the required one), sees them on the task page as text, and on Giám sát's
drill-down as columns with the choice as its filter, from a link. Screenshots
``quan-tri-truong-tuy-chinh.png``, ``giao-nhiem-vu-truong-tuy-chinh.png`` (the required field
refused), ``chi-tiet-truong-tuy-chinh.png`` and ``giam-sat-truong-tuy-chinh.png``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from models import Document, Task
from services.runtime import Runtime

from .accounts import ICT, TRACKER, Account
from .conftest import TIMEOUT_MS
from .ui import choose, grid_rows, login, open_page, settle, shot, success, text_area, type_date, vn_today

pytestmark = pytest.mark.e2e
ADMIN = Account("qt.truong", "Rơ Châm Trường", "admin", ICT, "Truong-tuy-chinh-2026!")
E2E_ACCOUNTS = (ADMIN,)
CODE = "88/UBND-KTTH"
CONTRACT = "HĐ <b>01</b>/2026 =SUM(A1)"


def _add_field(page: Page, *, key: str, label: str, kind: str, target: str, choices: str = "", needed: bool = False,
               help_text: str = "") -> None:
    page.get_by_role("textbox", name="Mã trường *", exact=True).fill(key)
    page.get_by_role("textbox", name="Tên hiển thị *", exact=True).fill(label)
    choose(page, "Kiểu dữ liệu *", kind)
    page.get_by_test_id("stRadio").get_by_text(target, exact=True).click()
    if needed:
        page.get_by_text("Bắt buộc nhập", exact=True).click()
    if help_text:
        page.get_by_role("textbox", name="Hướng dẫn (hiện cạnh ô nhập)", exact=True).fill(help_text)
    if choices:
        page.get_by_role("textbox", name="Lựa chọn — chỉ cho kiểu “Chọn từ danh sách”, mỗi dòng một lựa chọn").fill(
            choices
        )
    page.get_by_role("button", name="Thêm trường").click()
    expect(success(page).first).to_contain_text(f"Đã thêm trường “{label}” ({key}).")
    settle(page)


def test_the_admin_adds_a_field_and_the_tracker_fills_it(
    page: Page, browser: Browser, app_server: str, backend: Runtime, screenshots: Path
) -> None:
    login(page, ADMIN, start="/truong-tuy-chinh")  # a bookmark: the menu shows it under "View more"
    expect(page.get_by_role("heading", name="Trường tùy chỉnh", level=1)).to_be_visible()
    settle(page)
    expect(page.get_by_text("Chưa có trường tùy chỉnh nào.")).to_be_visible()
    _add_field(page, key="nguon_von", label="Nguồn vốn", kind="Chọn từ danh sách", target="Từng nhiệm vụ",
               choices="Ngân sách tỉnh\nNgân sách trung ương\nODA", needed=True, help_text="Nguồn kinh phí thực hiện")
    _add_field(page, key="so_hop_dong", label="Số hợp đồng", kind="Văn bản ngắn", target="Văn bản giao")
    table = page.get_by_test_id("stDataFrame").first
    expect(grid_rows(table)).to_have_count(2)
    expect(grid_rows(table).first).to_contain_text("Ngân sách tỉnh; Ngân sách trung ương; ODA")
    shot(page, screenshots / "quan-tri-truong-tuy-chinh.png", full_page=True)

    context = browser.new_context(
        base_url=app_server, viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        tracker = context.new_page()
        login(tracker, TRACKER)
        open_page(tracker, "Giao nhiệm vụ")
        settle(tracker)
        tracker.get_by_role("textbox", name="Số/ký hiệu *", exact=True).fill(CODE)
        choose(tracker, "Loại văn bản *", "Công văn")
        tracker.get_by_role("textbox", name="Người ký *", exact=True).fill("Phó Chủ tịch Nguyễn Văn A")
        text_area(tracker, "Trích yếu *").fill("V/v triển khai dự án đường liên huyện")
        tracker.get_by_role("textbox", name="Số hợp đồng", exact=True).fill(CONTRACT)
        text_area(tracker, "Nội dung nhiệm vụ *").fill("Thẩm định nguồn vốn dự án")
        choose(tracker, "Đơn vị chủ trì *", "Sở Tài chính (000.00.05.H21)", search="Sở Tài chính")
        type_date(tracker, "Hạn xử lý (ngày cụ thể)", vn_today() + timedelta(days=15))
        tracker.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
        error = tracker.get_by_test_id("stAlertContentError")
        expect(error.first).to_have_text("Nhiệm vụ 1 — Nguồn vốn không được để trống.")
        expect(error.last).to_contain_text("“Nhiệm vụ 1: Nguồn vốn”")
        expect(tracker.get_by_role("textbox", name="Số hợp đồng", exact=True)).to_have_value(CONTRACT)  # kept
        shot(tracker, screenshots / "giao-nhiem-vu-truong-tuy-chinh.png", full_page=True)
        tracker.wait_for_timeout(500)  # the window is back to its size: let the page lay itself out again
        tracker.locator('input[role="combobox"][aria-label="Nguồn vốn *"]').scroll_into_view_if_needed()
        choose(tracker, "Nguồn vốn *", "ODA")
        tracker.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
        expect(success(tracker).first).to_contain_text(f"Đã giao 1 nhiệm vụ theo văn bản {CODE}.")

        with Session(backend.engine) as session:
            document = session.exec(select(Document).where(Document.code == CODE)).one()
            task_id = session.exec(select(Task.id).where(Task.document_id == document.id)).one()
        tracker.goto(f"/chi-tiet?id={task_id}")
        expect(tracker.get_by_role("heading", name=f"Nhiệm vụ #{task_id}", level=1)).to_be_visible()
        extra = tracker.get_by_test_id("stExpander").filter(has_text="Thông tin bổ sung")
        expect(extra).to_contain_text("Nguồn vốn: ODA")
        expect(extra).to_contain_text(f"Số hợp đồng: {CONTRACT}")  # the tags as text, not bold
        expect(extra.locator("b")).to_have_count(0)
        extra.scroll_into_view_if_needed()
        shot(tracker, screenshots / "chi-tiet-truong-tuy-chinh.png")

        # Giám sát's lists: the fields as columns, the choice as the filter, all from the link
        tracker.goto("/giam-sat?columns=nguon_von,so_hop_dong&field=nguon_von&value=ODA")
        expect(tracker.get_by_role("heading", name="Xem chi tiết số liệu")).to_be_visible()
        settle(tracker)
        drill = tracker.get_by_test_id("stDataFrame").last
        expect(grid_rows(drill)).to_have_count(1)
        expect(grid_rows(drill).first).to_contain_text("Thẩm định nguồn vốn dự án")
        expect(grid_rows(drill).first).to_contain_text("ODA")  # (the grid draws the columns in sight only)
        expect(tracker.get_by_text("nhiệm vụ, 1 nhiệm vụ khớp bộ lọc trường tùy chỉnh")).to_be_visible()
        expect(tracker.get_by_text("dùng cho cả Nhiệm vụ quá hạn và Xem chi tiết số liệu")).to_be_visible()
        tracker.get_by_test_id("stHeading").filter(has_text="Xem chi tiết số liệu").scroll_into_view_if_needed()
        shot(tracker, screenshots / "giam-sat-truong-tuy-chinh.png")
    finally:
        context.close()
