"""/cong-khai in Chromium without a login: the table, the chart, a period link, the way to log in.

The data is 400 generated tasks (``demo.generate``) in this module's database; the browser has
no cookie. Screenshot: ``docs/screenshots/cong-khai.png`` (the whole page).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from demo.generate import generate_tasks
from services.infra.clock import fmt_date
from services.runtime import Runtime
from services.stats.presets import PeriodPreset, preset_dates
from services.stats.statistics import Period, unit_statistics
from tests.services.support import FAST_HASHER

from .ui import taking_screenshots, vn_today

E2E_ACCOUNTS: list[object] = []  # the two command-line accounts are enough: nobody logs in here


def test_public_page_without_login(
    page: Page, backend: Runtime, screenshots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = vn_today()
    # the generator gives every unit its staff: a cheap hash for them (nobody logs in here)
    monkeypatch.setattr("services.access.accounts.hash_password", FAST_HASHER.hash)
    with Session(backend.engine, expire_on_commit=False) as session:
        generate_tasks(session=session, config=backend.config, tasks=400, today=today, seed=7)
        date_from, date_to = preset_dates(PeriodPreset.THIS_YEAR, today=today)  # the default period
        year = unit_statistics(session=session, period=Period(date_from, date_to, today))
    page.goto("/cong-khai")
    expect(page.get_by_role("heading", name="Công khai kết quả thực hiện nhiệm vụ", level=1)).to_be_visible()
    expect(page.locator("#tinh-den-ngay")).to_contain_text(f"Số liệu tính đến ngày {fmt_date(today)}")
    table = page.locator("#bang-so-lieu")
    expect(table.locator("tbody tr")).to_have_count(len(year.rows) + 1)
    total = table.locator("tr.total td")
    expect(total.nth(1)).to_have_text("Tổng cộng")
    expect(total.nth(6)).to_have_text(str(year.total.total))
    chart = page.locator("figure img")
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 300")  # the SVG was drawn
    if taking_screenshots():
        page.screenshot(path=str(screenshots / "cong-khai.png"), full_page=True)

    page.get_by_role("link", name="Quý I", exact=True).click()
    date_from, date_to = preset_dates(PeriodPreset.Q1, today=today)
    expect(page.get_by_role("heading", level=2)).to_have_text(
        f"Quý I: từ ngày {fmt_date(date_from)} đến ngày {fmt_date(date_to)}"
    )
    assert page.url.endswith("/cong-khai?ky=quy-1")
    page.get_by_role("link", name="Đăng nhập").first.click()
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
