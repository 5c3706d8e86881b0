"""Thông báo in a real browser: the daily job (``send_due_reminders``, what ``manage.py remind``
runs) reminds Sở Tài chính of a task due in two days; its văn thư's menu counter moves from 1 (the
new task) to 2, and "Thông báo" lists the reminder first, with a link to the task. A screenshot of
the list goes to ``docs/screenshots/thong-bao.png``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from services.infra.clock import now_utc
from services.reminders.job import send_due_reminders
from services.runtime import Runtime

from .accounts import CLERK
from .conftest import SCREENSHOTS, assigned_task
from .ui import login, settle, shot, sidebar, vn_today, wait_clear_of_midnight

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS = ()  # the tracker and the clerk are enough


def _task(backend: Runtime) -> int:
    today = vn_today()
    return assigned_task(
        backend,
        code="1208/UBND-KT",
        summary="V/v báo cáo tiến độ giải ngân vốn đầu tư công",
        content="Báo cáo tiến độ giải ngân vốn đầu tư công quý IV",
        issued=today - timedelta(days=8),
        deadline=today + timedelta(days=2),
    )


def test_a_reminder_moves_the_clerks_counter(page: Page, backend: Runtime, app_server: str) -> None:
    wait_clear_of_midnight()
    task_id = _task(backend)
    login(page, CLERK)
    menu = sidebar(page).get_by_test_id("stSidebarNav")
    expect(menu.get_by_role("link", name="Thông báo (1)")).to_be_visible()

    with Session(backend.engine, expire_on_commit=False) as session:
        run = send_due_reminders(session=session, config=backend.config, now=now_utc())
    assert [(d.task_id, d.level.value) for d in run.sent] == [(task_id, "notice")]

    page.goto("/thong-bao")
    expect(page.get_by_role("heading", name="Thông báo", level=1)).to_be_visible()
    expect(menu.get_by_role("link", name="Thông báo (2)")).to_be_visible()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Đôn đốc mức “Nhắc nhở”")).to_be_visible()
    expect(main.get_by_role("link", name=f"Mở nhiệm vụ #{task_id}").first).to_be_visible()
    text = main.inner_text()
    assert text.index("Đôn đốc nhiệm vụ của đơn vị") < text.rindex("Nhiệm vụ mới giao cho đơn vị")  # newest first
    assert text.count("Chưa đọc") == 2
    settle(page)
    shot(page, SCREENSHOTS / "thong-bao.png")

    main.get_by_role("button", name="Đánh dấu đã đọc").first.click()
    expect(menu.get_by_role("link", name="Thông báo (1)")).to_be_visible()
