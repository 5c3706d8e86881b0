"""Waiting work in the browser (issue 9): the clerk's menu counts the tasks waiting for them, the
inbox shows them whole (texts wrapped, no column repeating their own unit) with a task sent back
marked, the task page says why it was sent back under its title, and after a step the page offers
the next waiting task, which opens at its title under its own address.

Screenshots: docs/screenshots/viec-cho-toi.png (the inbox), bi-tra-lai.png (the task page of a task
sent back), viec-tiep-theo.png (the page right after a step).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from demo.seed import UnitStaff, process_in_unit
from models import ConfirmOutcome, Task, User
from models.schemas import AssignmentCreate, ConfirmationCreate, ReplyCreate, TaskCreate
from services.access.permissions import Actor, build_actor
from services.actions.registry import perform
from services.infra.clock import fmt_date
from services.runtime import Runtime
from services.tasks.assignment import create_assignment

from .accounts import CLERK, FINANCE, STC_LEADER, STC_SPECIALIST, TRACKER, Account
from .conftest import SCREENSHOTS, TIMEOUT_MS
from .ui import INBOX, act, login, open_row, settle, shot, sidebar, success, vn_today, wait_clear_of_midnight

E2E_ACCOUNTS = (STC_LEADER, STC_SPECIALIST)
REASON = "Báo cáo chưa có số liệu cụ thể theo từng xã."
SENT_BACK = "Rà soát nợ đọng xây dựng cơ bản"
OVERDUE = "Báo cáo thu chi ngân sách quý"
LATER = "Tổng hợp đề xuất kinh phí năm sau"


def _actor(session: Session, runtime: Runtime, account: Account) -> Actor:
    user = session.exec(select(User).where(User.username == account.username)).one()
    actor = build_actor(session=session, config=runtime.config, user_id=user.id or 0)
    assert actor is not None
    return actor


@pytest.fixture(scope="module")
def tasks(backend: Runtime, accounts: dict[str, Account]) -> dict[str, int]:
    """Three Sở Tài chính tasks waiting for the văn thư's vào sổ: one overdue, one sent back by VP
    UBND yesterday ("Chưa hoàn thành", extended), one due later."""
    wait_clear_of_midnight()
    today = vn_today()
    with Session(backend.engine) as session:
        tracker = _actor(session, backend, TRACKER)
        staff = UnitStaff(
            clerk=_actor(session, backend, CLERK),
            leader=_actor(session, backend, STC_LEADER),
            specialist=_actor(session, backend, STC_SPECIALIST),
        )
        issued = today - timedelta(days=12)
        document = create_assignment(
            session=session,
            actor=tracker,
            config=backend.config,
            now=_noon(issued),
            data=AssignmentCreate(
                code="77/UBND-KT",
                issue_date=issued,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary="V/v rà soát ngân sách",
                signer="Võ Ngọc Thành",
                tasks=[
                    TaskCreate(content=OVERDUE, lead_unit_code=FINANCE, deadline=today - timedelta(days=2)),
                    TaskCreate(content=SENT_BACK, lead_unit_code=FINANCE, deadline=today + timedelta(days=3)),
                    TaskCreate(content=LATER, lead_unit_code=FINANCE, deadline=today + timedelta(days=40)),
                ],
            ),
        )
        found = session.exec(select(Task.id).where(Task.document_id == document.id).order_by(Task.seq)).all()  # type: ignore[arg-type]
        ids = {key: task_id or 0 for key, task_id in zip(("overdue", "sent_back", "later"), found, strict=True)}
        reply_day = today - timedelta(days=2)
        process_in_unit(
            session=session,
            config=backend.config,
            task_id=ids["sent_back"],
            staff=staff,
            now=_noon(reply_day),
            reply=ReplyCreate(code="88/STC-NS", issue_date=reply_day, summary="Báo cáo rà soát", result="Đã rà soát"),
        )
        perform(
            session=session,
            actor=tracker,
            config=backend.config,
            task_id=ids["sent_back"],
            action="confirm",
            data=ConfirmationCreate(
                outcome=ConfirmOutcome.NOT_DONE, reason=REASON, new_deadline=today + timedelta(days=10)
            ),
            now=_noon(today - timedelta(days=1)),
        )
    return ids


def _noon(day: date) -> datetime:
    """Noon of ``day`` in Vietnam, as UTC (the services take their ``now``)."""
    return datetime.combine(day, time(12), tzinfo=timezone(timedelta(hours=7))).astimezone(UTC)


@pytest.fixture
def clerk_page(browser: Browser, app_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=app_server, viewport={"width": 1400, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def test_the_clerks_waiting_work(clerk_page: Page, tasks: dict[str, int]) -> None:
    page = clerk_page
    today = vn_today()
    login(page, CLERK)
    expect(page.get_by_role("heading", name=INBOX, level=1)).to_be_visible()
    menu = page.get_by_test_id("stSidebarNav")
    expect(menu.get_by_role("link").filter(has_text=INBOX)).to_have_text(re.compile(r"Việc chờ tôi xử lý \(3\)"))
    frame = page.get_by_test_id("stDataFrame")
    expect(frame).to_have_count(1)  # Sở Tài chính coordinates nothing here
    header = frame.locator("table[role=grid] thead")
    expect(header).to_contain_text("Nội dung nhiệm vụ")
    expect(header).not_to_contain_text("Đơn vị chủ trì")  # their own unit, on every line: left out
    rows = frame.locator("table[role=grid] tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(OVERDUE)  # urgent first
    expect(rows.nth(1)).to_contain_text(SENT_BACK)
    expect(rows.nth(1)).to_contain_text("Bị trả lại")
    settle(page)
    shot(page, SCREENSHOTS / "viec-cho-toi.png")

    # the second line: the rows are taller (wrapped texts), the click must still land on it
    assert open_row(page, SENT_BACK) == tasks["sent_back"]
    banner = page.get_by_test_id("stAlertContentWarning").first
    expect(banner).to_contain_text(
        f"VP UBND xác nhận chưa hoàn thành ngày {fmt_date(today - timedelta(days=1))} — lý do: {REASON}"
    )
    expect(banner).to_contain_text(f"gia hạn đến {fmt_date(today + timedelta(days=10))}")
    expect(page.get_by_text(f"(không được chấp nhận ngày {fmt_date(today - timedelta(days=1))})")).to_be_visible()
    shot(page, SCREENSHOTS / "bi-tra-lai.png", full_page=True)

    act(page, "Vào sổ, chuyển lãnh đạo")
    expect(success(page)).to_contain_text("Đã thực hiện: Vào sổ, chuyển lãnh đạo")
    following = page.get_by_role("link", name=f"Việc chờ tiếp theo: Nhiệm vụ #{tasks['overdue']}")
    expect(following).to_be_in_viewport()  # where the form was, not above the fold
    expect(page.get_by_role("link", name="Về danh sách việc chờ")).to_be_visible()
    expect(menu.get_by_role("link").filter(has_text=INBOX)).to_have_text(re.compile(r"Việc chờ tôi xử lý \(2\)"))
    settle(page)
    shot(page, SCREENSHOTS / "viec-tiep-theo.png")

    following.click()
    heading = page.get_by_role("heading", name=f"Nhiệm vụ #{tasks['overdue']}", level=1)
    expect(heading).to_be_in_viewport()  # opened at its title
    expect(page).to_have_url(re.compile(rf"/chi-tiet\?id={tasks['overdue']}$"))
    expect(sidebar(page)).to_contain_text(CLERK.name)
