"""Người dùng in Chromium: the admin creates an account and reads its first password off the
screen; the new account, in a browser of its own, logs in with it, can open nothing but "Đổi mật
khẩu" until it has chosen its own, then lands on its role's page (screenshot
``quan-tri-nguoi-dung.png``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .accounts import ICT, Account
from .conftest import TIMEOUT_MS
from .ui import choose, login, open_page, settle, shot, sidebar, success

pytestmark = pytest.mark.e2e
ADMIN = Account("qt.tinh", "Rơ Lan Quản Trị", "admin", ICT, "Quan-tri-2026!")
E2E_ACCOUNTS = (ADMIN,)
NEW_PASSWORD = "Hang-syt-2026!"


def test_a_new_account_changes_its_first_password_then_works(
    page: Page, browser: Browser, app_server: str, screenshots: Path
) -> None:
    login(page, ADMIN)
    open_page(page, "Người dùng")
    settle(page)
    page.get_by_role("textbox", name="Tên đăng nhập *", exact=True).fill("syt.vanthu")
    page.get_by_role("textbox", name="Họ tên *", exact=True).last.fill("Đỗ Thị Hằng")
    settle(page)
    choose(page, "Vai trò *", "Văn thư", nth=1, search="Văn thư")
    choose(page, "Đơn vị *", "Sở Y tế", nth=1, search="Sở Y tế")
    page.get_by_role("textbox", name="E-mail", exact=True).last.fill("hang.dt@gialai.gov.vn")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(success(page).first).to_contain_text("Đã tạo tài khoản “syt.vanthu”.")
    password = page.get_by_test_id("stCode").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}", password), password
    # the list has it, waiting for its first change
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    shot(page, screenshots / "quan-tri-nguoi-dung.png", full_page=True)

    # the new account on its own computer
    context = browser.new_context(
        base_url=app_server, viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        clerk = context.new_page()
        clerk.goto("/giam-sat")  # a bookmark: the change comes first, never "page not found"
        expect(clerk).to_have_url(re.compile(r"/auth/login\?next="))
        clerk.locator("#username").fill("syt.vanthu")
        clerk.locator("#password").fill(password)
        clerk.get_by_role("button", name="Đăng nhập").click()
        expect(clerk.get_by_role("heading", name="Đổi mật khẩu", level=1)).to_be_visible()
        expect(clerk.get_by_text("Mật khẩu bạn đang dùng do quản trị viên cấp.")).to_be_visible()
        expect(clerk.get_by_test_id("stSidebarNav")).to_have_count(0)  # nothing else to open
        expect(clerk.get_by_text("Không tìm thấy trang")).to_have_count(0)
        expect(sidebar(clerk).get_by_text("Đỗ Thị Hằng")).to_be_visible()
        clerk.locator('input[aria-label="Mật khẩu hiện tại *"]').fill(password)
        clerk.locator('input[aria-label="Mật khẩu mới *"]').fill(NEW_PASSWORD)
        clerk.locator('input[aria-label="Nhập lại mật khẩu mới *"]').fill(NEW_PASSWORD)
        clerk.get_by_role("button", name="Đổi mật khẩu").click()
        # the same session goes on, on the văn thư's own page, with the whole menu
        expect(clerk.get_by_role("heading", name="Việc chờ tôi xử lý", level=1)).to_be_visible()
        expect(clerk.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text="Đổi mật khẩu")).to_be_visible()
        settle(clerk)
    finally:
        context.close()
