"""Danh mục và tham số in Chromium: the admin renames an issuer and adds a day off (nghỉ bù); the
tracker, in a browser of their own, sees the new label in Giao nhiệm vụ at once and a deadline in
working days that skips the day off (no restart). Screenshots ``quan-tri-cau-hinh.png``,
``quan-tri-lich-su-cau-hinh.png`` and, of the roles' matrices, ``quan-tri-vai-tro.png``."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .accounts import ICT, TRACKER, Account
from .conftest import TIMEOUT_MS
from .ui import grid_rows, login, open_page, settle, shot, success, vn_today, wait_clear_of_midnight

pytestmark = pytest.mark.e2e
ADMIN = Account("qt.cauhinh", "Rơ Lan Cấu Hình", "admin", ICT, "Cau-hinh-2026!")
E2E_ACCOUNTS = (ADMIN,)
LABEL = "Ủy ban nhân dân tỉnh Gia Lai"


def _monday_of_december(year: int) -> date:
    """A Monday in December whose Tuesday is in December too (no public holiday in December)."""
    day = date(year, 12, 1)
    while day.weekday() != 0:
        day += timedelta(days=1)
    return day


def test_an_issuer_label_and_a_day_off_take_effect_for_the_tracker(
    page: Page, browser: Browser, app_server: str, screenshots: Path
) -> None:
    wait_clear_of_midnight()
    year = vn_today().year
    monday = _monday_of_december(year)
    day_off = monday + timedelta(days=1)

    login(page, ADMIN)
    open_page(page, "Danh mục và tham số")
    settle(page)
    label = page.get_by_role("textbox", name="Cơ quan ban hành 1 — nhãn", exact=True)
    expect(label).to_have_value("UBND tỉnh")
    label.fill(LABEL)
    page.get_by_role("button", name="Lưu danh mục").click()
    expect(success(page).first).to_contain_text("Đã lưu phiên bản cấu hình 2.")
    settle(page)
    expect(page.get_by_role("textbox", name="Cơ quan ban hành 1 — nhãn", exact=True)).to_have_value(LABEL)

    page.get_by_role("tab", name="Lịch làm việc").click()
    days_off = page.get_by_role("textbox", name=f"Ngày nghỉ bù năm {year}", exact=True)
    days_off.fill(f"{day_off:%d/%m/%Y}")
    page.get_by_role("textbox", name="Từ ngày", exact=True).fill(f"{monday:%d/%m/%Y}")
    page.get_by_role("spinbutton", name="Số ngày làm việc", exact=True).fill("1")
    page.get_by_role("button", name="Xem hạn xử lý").click()
    settle(page)
    wednesday = monday + timedelta(days=2)
    expect(page.get_by_text(f"1 ngày làm việc sau {monday:%d/%m/%Y} → hạn xử lý")).to_contain_text(
        f"{wednesday:%d/%m/%Y}"
    )
    page.get_by_role("textbox", name="Ghi chú thay đổi (không bắt buộc)").last.fill(
        f"Nghỉ bù {day_off:%d/%m/%Y} theo thông báo của UBND tỉnh"
    )
    page.get_by_role("button", name="Lưu lịch làm việc").click()
    expect(success(page).first).to_contain_text("Đã lưu phiên bản cấu hình 3.")
    settle(page)
    page.get_by_role("tab", name="Lịch làm việc").click()
    expect(page.get_by_role("textbox", name=f"Ngày nghỉ bù năm {year}", exact=True)).to_have_value(
        f"{day_off:%d/%m/%Y}"
    )
    page.get_by_role("textbox", name="Từ ngày", exact=True).fill(f"{monday:%d/%m/%Y}")
    page.get_by_role("spinbutton", name="Số ngày làm việc", exact=True).fill("1")
    page.get_by_role("button", name="Xem hạn xử lý").click()
    settle(page)
    expect(page.get_by_text(f"1 ngày làm việc sau {monday:%d/%m/%Y} → hạn xử lý")).to_contain_text(
        f"{wednesday:%d/%m/%Y}"
    )
    shot(page, screenshots / "quan-tri-cau-hinh.png", full_page=True)

    open_page(page, "Lịch sử cấu hình")
    settle(page)
    expect(grid_rows(page.get_by_test_id("stDataFrame").first)).to_have_count(3)
    expect(page.get_by_role("button", name="Xuất cấu hình")).to_be_visible()
    changes = page.get_by_test_id("stDataFrame").nth(1)
    expect(grid_rows(changes).first).to_contain_text("Ngày nghỉ bù")
    expect(grid_rows(changes).first).to_contain_text(f"{day_off:%d/%m/%Y}")
    shot(page, screenshots / "quan-tri-lich-su-cau-hinh.png", full_page=True)

    # Vai trò và quyền: the roles' names and both matrices, each permission by its label
    open_page(page, "Vai trò và quyền")
    settle(page)
    expect(page.get_by_role("textbox", name="Tên vai trò").first).to_have_value("Văn thư")
    expect(page.get_by_text("Khi thuộc VP UBND tỉnh", exact=True)).to_be_visible()
    expect(page.get_by_text("Ghi tiến độ xử lý").first).to_be_visible()
    expect(
        page.get_by_role("checkbox", name="Ghi tiến độ xử lý — Văn thư — Khi thuộc VP UBND tỉnh")
    ).not_to_be_checked()
    expect(
        page.get_by_role(
            "checkbox",
            name="Ghi tiến độ xử lý — Văn thư — Khi thuộc sở, ban, ngành, UBND cấp huyện và đơn vị trực thuộc",
        )
    ).to_be_checked()
    shot(page, screenshots / "quan-tri-vai-tro.png", full_page=True)

    # the tracker, in a browser of their own: the new label and the day off, no restart
    context = browser.new_context(
        base_url=app_server, viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        tracker = context.new_page()
        login(tracker, TRACKER)
        open_page(tracker, "Giao nhiệm vụ")
        settle(tracker)
        issuer = tracker.locator('input[role="combobox"][aria-label="Cơ quan ban hành *"]')
        expect(issuer).to_have_value(LABEL)
        issued = tracker.get_by_role("textbox", name="Ngày ban hành *", exact=True)
        issued.fill(f"{monday:%d/%m/%Y}")
        tracker.get_by_role("spinbutton", name="hoặc số ngày làm việc kể từ ngày ban hành").fill("1")
        tracker.get_by_role("button", name="Xem hạn xử lý tính theo ngày làm việc").click()
        expect(tracker.get_by_text("→ Hạn xử lý:")).to_contain_text(f"{wednesday:%d/%m/%Y}")
    finally:
        context.close()
