"""Giám sát in Chromium: a named period from the URL (?ky=ca-nam) and "Tải Excel" downloads the
biểu thống kê, whose figures are the screen's (read back with openpyxl).

Screenshot: docs/screenshots/giam-sat-bao-cao.png (the period chooser and the download buttons).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from demo.generate import generate_tasks
from services.runtime import Runtime
from services.stats.presets import PeriodPreset, preset_dates
from services.stats.statistics import make_period, unit_statistics

from .accounts import TRACKER, Account
from .conftest import SCREENSHOTS
from .ui import login, settle, shot, vn_today, wait_clear_of_midnight

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS: tuple[Account, ...] = ()  # the tracker (and the clerk) only


@pytest.fixture(scope="module")
def tasks(backend: Runtime, accounts: dict[str, Account]) -> Iterator[None]:
    wait_clear_of_midnight()
    with Session(backend.engine) as session:
        generate_tasks(session=session, config=backend.config, tasks=120, today=vn_today(), seed=3)
    yield


def test_download_the_workbook_of_the_table_shown(page: Page, tasks: None, backend: Runtime, tmp_path: Path) -> None:
    today = vn_today()
    login(page, TRACKER, start="/giam-sat?ky=ca-nam")
    expect(page.get_by_role("heading", name="Giám sát công việc", level=1)).to_be_visible()
    first, last = preset_dates(PeriodPreset.THIS_YEAR, today=today)
    expect(page.get_by_text(re.compile(rf"Kỳ báo cáo Cả năm {first:%d/%m/%Y} – {last:%d/%m/%Y};"))).to_be_visible()
    excel = page.get_by_role("button", name="Tải Excel")
    expect(excel).to_be_visible()
    expect(page.get_by_role("button", name="Tải báo cáo (Word)")).to_be_visible()
    settle(page)
    shot(page, SCREENSHOTS / "giam-sat-bao-cao.png", full_page=True)
    with page.expect_download(timeout=30_000) as download:
        excel.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"bieu-thong-ke_{first.isoformat()}_{last.isoformat()}.xlsx"
    book = openpyxl.load_workbook(saved)
    sheet = book["Biểu thống kê"]
    lines = [list(row) for row in sheet.iter_rows(min_row=7, max_col=8, values_only=True) if row[1] is not None]
    with Session(backend.engine) as session:
        report = unit_statistics(session=session, period=make_period(date_from=first, date_to=last, today=today))
    expected = [
        [str(i) if i else None, s.unit_name, s.documents, s.total, *s.counts.values()]
        for i, s in [*enumerate(report.rows, 1), (0, report.total)]
    ]
    assert lines == expected
    total = page.get_by_test_id("stMetric").filter(has_text="Tổng số nhiệm vụ")
    expect(total).to_contain_text(str(report.total.total))
