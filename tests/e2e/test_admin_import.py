"""Nhập dữ liệu in Chromium: the admin uploads a 200-row .xlsx of tasks (50 documents, some tasks
already replied and confirmed), reads the preview, imports it, and finds the 200 tasks on Giám sát
(screenshot ``quan-tri-nhap-du-lieu.png``: the preview before "Nhập")."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from services.imports import schemas as s
from services.imports.templates import workbook_bytes
from services.infra.validation import fmt_day

from .accounts import FINANCE, ICT, PLEIKU, STC_LEADER, STC_SPECIALIST, Account
from .ui import grid_rows, login, settle, shot, vn_today

pytestmark = pytest.mark.e2e
ADMIN = Account("qt.nhap", "Rơ Lan Quản Trị", "admin", ICT, "Quan-tri-nhap-2026!")
E2E_ACCOUNTS = (ADMIN, STC_LEADER, STC_SPECIALIST)  # with the clerk: Sở Tài chính can reply
ROWS = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(today: date) -> list[list[str]]:
    rows: list[list[str]] = []
    start = max(date(today.year, 1, 2), today - timedelta(days=120))
    for number in range(ROWS):
        doc = number // 4
        issued = min(today, start + timedelta(days=doc * 2))
        deadline = issued + timedelta(days=15)
        lead = FINANCE if number % 2 == 0 else PLEIKU
        reply = ["", "", ""]
        verdict = ["", "", "", ""]
        if lead == FINANCE and number % 10 == 0 and issued + timedelta(days=3) <= today:
            replied = issued + timedelta(days=3)
            reply = [f"{number}/STC-KH", fmt_day(replied), "Đã thực hiện, báo cáo kết quả."]
            if number % 20 == 0:
                verdict = [fmt_day(replied), s.OUTCOME_DONE, "", ""]
        rows.append(
            [
                f"{doc + 1}/UBND-NHAP",
                fmt_day(issued),
                "UBND tỉnh",
                "Công văn",
                f"V/v triển khai nhiệm vụ đợt {doc + 1}",
                "Võ Ngọc Thành",
                f"Nhiệm vụ nhập số {number + 1}: <b>báo cáo</b> **kết quả**",
                lead,
                "",
                fmt_day(deadline),
                *reply,
                *verdict,
            ]
        )
    return rows


def test_the_admin_imports_200_tasks_and_finds_them_on_giam_sat(page: Page, app_server: str, screenshots: Path) -> None:
    today = vn_today()
    data = workbook_bytes(s.TASK_SHEET, s.TASK_COLUMNS, _rows(today))
    login(page, ADMIN, start="/nhap-du-lieu")  # the menu shows the last admin pages under "View more"
    expect(page.get_by_role("heading", name="Nhập dữ liệu", level=1)).to_be_visible()
    settle(page)
    expect(page.get_by_role("button", name="Tải tệp mẫu (.xlsx)")).to_be_visible()
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "nhiem-vu-ton-dong.xlsx", "mimeType": XLSX, "buffer": data}]
    )
    expect(page.get_by_text("Sẽ tạo 200 nhiệm vụ của 50 văn bản", exact=False)).to_be_visible(timeout=120_000)
    settle(page)
    preview = page.get_by_test_id("stDataFrame").first
    expect(grid_rows(preview).nth(3)).to_be_attached()
    shot(page, screenshots / "quan-tri-nhap-du-lieu.png", full_page=True)

    page.get_by_role("button", name="Nhập", exact=True).click()
    expect(page.get_by_text("Đã nhập 200 dòng từ tệp nhiem-vu-ton-dong.xlsx.")).to_be_visible(timeout=300_000)
    settle(page)

    page.goto(f"{app_server}/giam-sat?from={today.year}-01-01&to={today.isoformat()}")
    expect(page.get_by_role("heading", name="Giám sát công việc", level=1)).to_be_visible()
    settle(page)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid_rows(grid).nth(1)).to_be_attached()
    lines = grid_rows(grid).evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('td, th')).map(c => c.textContent.trim()))"
    )
    total = lines[0]
    assert total[1] == "Tổng cộng", total
    assert (total[2], total[3]) == ("50", "200"), total  # documents, tasks
    names = {line[1] for line in lines[1:]}
    assert {"Sở Tài chính", "UBND TP Pleiku"} <= names or len(names) == 2, names
