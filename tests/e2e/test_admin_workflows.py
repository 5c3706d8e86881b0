"""Quy trình xử lý in Chromium: the admin opens "Phân quyền chuyển bước", lets the leader enter
documents in the register too (vào sổ) and saves: a new configuration version. Screenshot
``quan-tri-quy-trinh.png`` (the matrix)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .accounts import ICT, Account
from .ui import login, open_page, settle, shot, success

pytestmark = pytest.mark.e2e
ADMIN = Account("qt.quytrinh", "Rơ Lan Quy Trình", "admin", ICT, "Quy-trinh-2026!")
E2E_ACCOUNTS = (ADMIN,)


def test_the_matrix_lets_the_leader_enter_documents(page: Page, app_server: str, screenshots: Path) -> None:
    login(page, ADMIN)
    open_page(page, "Quy trình xử lý")
    settle(page)
    page.get_by_role("tab", name="Phân quyền chuyển bước").click()
    settle(page)
    box = page.get_by_role("checkbox", name="Vào sổ, chuyển lãnh đạo (vao_so) — Lãnh đạo", exact=True)
    expect(box).not_to_be_checked()
    box.check(force=True)
    page.get_by_role("button", name="Lưu phân quyền").click()
    expect(success(page).first).to_contain_text("Đã lưu phiên bản cấu hình 2.")
    settle(page)
    page.get_by_role("tab", name="Phân quyền chuyển bước").click()
    settle(page)
    expect(
        page.get_by_role("checkbox", name="Vào sổ, chuyển lãnh đạo (vao_so) — Lãnh đạo", exact=True)
    ).to_be_checked()
    shot(page, screenshots / "quan-tri-quy-trinh.png", full_page=True)


def test_a_unit_variant_is_previewed_then_saved(page: Page, app_server: str, screenshots: Path) -> None:
    login(page, ADMIN)
    open_page(page, "Quy trình xử lý")
    settle(page)
    page.get_by_role("tab", name="Quy trình riêng của đơn vị").click()
    settle(page)
    page.get_by_role("textbox", name="Mã quy trình riêng *", exact=True).fill("ngan_so_y_te")
    page.get_by_role("textbox", name="Tên quy trình riêng *", exact=True).fill("Sở Y tế: có bước thẩm định pháp chế")
    units = page.locator('input[role="combobox"][aria-label^="Đơn vị dùng quy trình này"]')
    units.click()
    units.fill("Sở Y tế")
    page.get_by_role("option", name="Sở Y tế", exact=True).click()
    page.keyboard.press("Escape")
    after = page.locator('input[role="combobox"][aria-label="Chèn bước mới sau bước *"]')
    after.click()
    after.fill("trinh_du_thao")
    page.get_by_role("option").filter(has_text="(trinh_du_thao)").click()
    page.get_by_role("textbox", name="Mã trạng thái mới *", exact=True).fill("cho_tham_dinh")
    page.get_by_role("textbox", name="Nhãn trạng thái mới *", exact=True).fill("Chờ pháp chế thẩm định")
    page.get_by_role("textbox", name="Mã bước mới *", exact=True).fill("tham_dinh")
    page.get_by_role("textbox", name="Nhãn bước mới (nút bấm) *", exact=True).fill("Thẩm định pháp chế dự thảo")
    roles = page.locator('input[role="combobox"][aria-label^="Vai trò được bấm bước mới"]')
    roles.click()
    roles.fill("Chuyên viên")
    page.get_by_role("option", name="Chuyên viên", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Xem trước sơ đồ").click()
    settle(page)
    expect(page.get_by_role("heading", name="Xem trước: Sở Y tế: có bước thẩm định pháp chế")).to_be_visible()
    expect(page.get_by_test_id("stGraphVizChart").last).to_contain_text("Chờ pháp chế thẩm định")
    shot(page, screenshots / "quan-tri-quy-trinh-rieng.png", full_page=True)
    page.get_by_role("button", name="Lưu quy trình riêng").click()
    expect(success(page).first).to_contain_text("Đã lưu phiên bản cấu hình")
