"""Xin gia hạn in a real browser: Sở Tài chính's leader asks for 14 more days on the task page, VP
UBND's tracker grants it on "Xác nhận kết quả", and the task's deadline in force is the new one.
A screenshot of the tracker's screen, the request and its decision form, goes to
``docs/screenshots/xin-gia-han.png``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from services.runtime import Runtime

from .accounts import STC_LEADER, TRACKER
from .conftest import SCREENSHOTS, assigned_task
from .ui import (
    choose_option,
    labelled,
    login,
    settle,
    shot,
    success,
    text_area,
    type_date,
    vn_today,
    wait_clear_of_midnight,
)

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS = (STC_LEADER,)
WHY = "Chờ số liệu quyết toán của Kho bạc Nhà nước tỉnh"


def _task(backend: Runtime) -> int:
    today = vn_today()
    return assigned_task(
        backend,
        code="915/UBND-KT",
        summary="V/v báo cáo quyết toán vốn đầu tư công năm 2025",
        content="Báo cáo quyết toán vốn đầu tư công năm 2025",
        issued=today - timedelta(days=2),
        deadline=today + timedelta(days=5),
    )


def test_the_leader_asks_and_the_tracker_grants(page: Page, backend: Runtime, app_server: str) -> None:
    wait_clear_of_midnight()
    task_id = _task(backend)
    today = vn_today()
    deadline, wanted = today + timedelta(days=5), today + timedelta(days=19)

    # --- the leader asks on the task page ---------------------------------------------------------
    login(page, STC_LEADER, start=f"/chi-tiet?id={task_id}")
    expect(page.get_by_role("heading", name=f"Nhiệm vụ #{task_id}", level=1)).to_be_visible()
    settle(page)
    page.get_by_text("Xin gia hạn", exact=True).click()  # the expander
    type_date(page, "Xin gia hạn đến ngày *", wanted)
    text_area(page, "Lý do xin gia hạn *").fill(WHY)
    page.get_by_role("button", name="Gửi đề nghị gia hạn").click()
    expect(
        success(page).get_by_text(
            f"Đã gửi đề nghị gia hạn đến {wanted:%d/%m/%Y}; chờ Văn phòng UBND tỉnh xem xét.", exact=True
        )
    ).to_be_visible()
    expect(page.get_by_text("Đang chờ VP UBND xem xét.")).to_be_visible()

    # --- the tracker grants it on Xác nhận kết quả ---------------------------------------------------
    desk = page.context.browser.new_context(  # type: ignore[union-attr]
        base_url=app_server, viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    ).new_page()
    try:
        login(desk, TRACKER, start="/xac-nhan")
        expect(desk.get_by_role("heading", name="Đề nghị gia hạn (1)")).to_be_visible()
        expect(desk.get_by_text(WHY)).to_be_visible()
        choose_option(desk, "Đồng ý gia hạn")
        expect(desk.get_by_role("button", name="Lưu quyết định")).to_be_visible()
        shot(desk, SCREENSHOTS / "xin-gia-han.png")
        desk.get_by_role("button", name="Lưu quyết định").click()
        expect(
            success(desk).get_by_text(f"Đã đồng ý gia hạn nhiệm vụ #{task_id} đến {wanted:%d/%m/%Y}.", exact=True)
        ).to_be_visible()
        expect(desk.get_by_role("heading", name="Đề nghị gia hạn (1)")).to_have_count(0)
    finally:
        desk.context.close()

    # --- the unit sees the new deadline in force and the decision ----------------------------------
    page.reload()
    expect(page.get_by_role("heading", name=f"Nhiệm vụ #{task_id}", level=1)).to_be_visible()
    expect(labelled(page, "Hạn xử lý")).to_contain_text(f"{wanted:%d/%m/%Y}")
    expect(page.get_by_text(f"Đồng ý gia hạn đến {wanted:%d/%m/%Y}")).to_be_visible()
    assert deadline < wanted
