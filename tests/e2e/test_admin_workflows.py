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
