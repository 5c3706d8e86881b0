"""Đơn vị in Chromium: the admin adds a unit through the form, merges two units into it, and
last year's report on Giám sát shows the merged units and their figures exactly as before the
merge; this year's shows their open tasks with the successor. Screenshot quan-tri-don-vi.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from models import User
from models.schemas import AssignmentCreate, TaskCreate
from services.access.permissions import build_actor
from services.infra.clock import VN_TZ
from services.runtime import Runtime
from services.stats.statistics import make_period, unit_statistics
from services.tasks.assignment import create_assignment

from .accounts import CLI_ACCOUNTS, FINANCE, ICT, PLEIKU, TRACKER, Account, _acc
from .ui import login, settle, shot, success, vn_today, wait_clear_of_midnight

ADMIN = _acc("qt.admin", "Quản Trị Viên", "admin", ICT)
E2E_ACCOUNTS = (ADMIN,)
PLANNING = "000.00.04.H21"  # Sở KH&ĐT
NEW_CODE = "000.00.70.H21"
NEW_SHORT = "Sở TC-KH"
LAST_YEAR = vn_today().year - 1

assert TRACKER in CLI_ACCOUNTS


def _assign(backend: Runtime, code: str, issued: date, lead: str, deadline: date) -> None:
    with Session(backend.engine) as session:
        user = session.exec(select(User).where(User.username == TRACKER.username)).one()
        actor = build_actor(session=session, config=backend.config, user_id=user.id or 0)
        assert actor is not None
        create_assignment(
            session=session,
            actor=actor,
            config=backend.config,
            now=datetime.combine(issued, time(9), tzinfo=VN_TZ),
            data=AssignmentCreate(
                code=code,
                issue_date=issued,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary=f"V/v thực hiện văn bản {code}",
                signer="Nguyễn Văn A",
                tasks=[TaskCreate(content=f"Nhiệm vụ của văn bản {code}", lead_unit_code=lead, deadline=deadline)],
            ),
        )


@pytest.fixture(scope="module")
def last_year(backend: Runtime, accounts: dict[str, Account]) -> Iterator[list[tuple[str, int]]]:
    """Three open tasks of last year (Sở Tài chính, Sở KH&ĐT, Pleiku); last year's table as the
    service computes it before any merge (unit, tasks)."""
    _assign(backend, "11/UBND-KT", date(LAST_YEAR, 3, 2), FINANCE, date(LAST_YEAR, 3, 20))
    _assign(backend, "12/UBND-KT", date(LAST_YEAR, 5, 4), PLANNING, date(LAST_YEAR, 5, 29))
    _assign(backend, "13/UBND-KT", date(LAST_YEAR, 8, 3), PLEIKU, date(LAST_YEAR, 8, 28))
    with Session(backend.engine) as session:
        report = unit_statistics(
            session=session,
            period=make_period(date_from=date(LAST_YEAR, 1, 1), date_to=date(LAST_YEAR, 12, 31), today=vn_today()),
        )
    yield [(r.unit_name, r.total) for r in [*report.rows, report.total]]


def _table(page: Page) -> list[dict[str, str]]:
    """Giám sát's official table as printed (an st.table of real HTML, hidden on screen where the
    same lines are a grid; the total row last), a dict per line by column header."""
    table = page.get_by_test_id("stTable").locator("table")
    expect(table.locator("tbody tr").first).to_be_attached()
    header = [cell.strip() for cell in table.locator("thead th").all_text_contents()]
    return [
        dict(zip(header, (cell.strip() for cell in row.locator("td, th").all_text_contents()), strict=True))
        for row in table.locator("tbody tr").all()
    ]


def _units(table: list[dict[str, str]]) -> list[str]:
    return [line["Cơ quan thực hiện"] for line in table]


def test_admin_adds_a_unit_merges_two_into_it_and_last_year_stays(
    page: Page, accounts: dict[str, Account], last_year: list[tuple[str, int]], screenshots: Path
) -> None:
    wait_clear_of_midnight()
    assert last_year == [("Sở KH&ĐT", 1), ("Sở Tài chính", 1), ("UBND TP Pleiku", 1), ("Tổng cộng", 3)]
    login(page, ADMIN)
    # last year's report before the merge, as the browser shows it
    page.goto(f"/giam-sat?from={LAST_YEAR}-01-01&to={LAST_YEAR}-12-31")
    expect(page.get_by_role("heading", name="Giám sát công việc", level=1)).to_be_visible()
    settle(page)
    before = _table(page)
    assert _units(before) == ["Sở KH&ĐT", "Sở Tài chính", "UBND TP Pleiku", "Tổng cộng"], before
    assert [line["Tổng số nhiệm vụ"] for line in before] == ["1", "1", "1", "3"], before

    # a new unit through the form
    page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text="Đơn vị").filter(
        has_not_text="Nhiệm vụ"
    ).click()
    expect(page.get_by_role("heading", name="Đơn vị", level=1)).to_be_visible()
    page.get_by_role("textbox", name="Mã định danh *", exact=True).fill(NEW_CODE)
    page.get_by_role("textbox", name="Tên đơn vị *", exact=True).first.fill("Sở Tài chính và Kế hoạch")
    page.get_by_role("textbox", name="Tên viết tắt *", exact=True).first.fill(NEW_SHORT)
    page.get_by_role("button", name="Thêm đơn vị", exact=True).click()
    expect(success(page).get_by_text(f"Đã thêm đơn vị “{NEW_SHORT}” (mã {NEW_CODE}).")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()

    # merge Sở Tài chính and Sở KH&ĐT into it, today
    page.get_by_role("tab", name="Sáp nhập đơn vị").click()
    merged = page.locator('input[role="combobox"][aria-label="Đơn vị bị sáp nhập *"]')
    for code, label in ((FINANCE, "Sở Tài chính"), (PLANNING, "Sở KH&ĐT")):
        merged.click()
        merged.fill(code)
        page.get_by_role("option", name=f"{label} ({code})", exact=True).click()
        page.keyboard.press("Escape")
    successor = page.locator('input[role="combobox"][aria-label="Đơn vị kế thừa đang có"]')
    successor.click()
    successor.fill(NEW_CODE)
    page.get_by_role("option", name=f"{NEW_SHORT} ({NEW_CODE})", exact=True).click()
    page.get_by_role("button", name="Sáp nhập", exact=True).click()
    expect(
        success(page).get_by_text(
            f"Đã sáp nhập {FINANCE}, {PLANNING} vào {NEW_CODE}: chuyển 2 nhiệm vụ đang xử lý", exact=False
        )
    ).to_be_visible()

    # the unit's history, and the screenshot of the page (each click after the run it starts is over:
    # on a busy machine the pickers stay disabled while the merge's rerun draws the page)
    settle(page)
    page.get_by_role("tab", name="Sửa một đơn vị").click()
    settle(page)
    box = page.locator('input[role="combobox"][aria-label="Đơn vị"]')
    expect(box).to_be_enabled(timeout=60_000)
    box.click()
    box.fill(FINANCE)
    page.get_by_role("option", name=f"Sở Tài chính ({FINANCE}) — ngừng hoạt động", exact=True).click()
    expect(page.get_by_text("Lịch sử thay đổi")).to_be_visible()
    expect(page.get_by_text("Quản Trị Viên · Sáp nhập vào đơn vị khác")).to_be_visible()
    box.blur()
    settle(page)
    shot(page, screenshots / "quan-tri-don-vi.png", full_page=True)

    # last year's report: the same table; this year's: the open tasks are the successor's
    page.goto(f"/giam-sat?from={LAST_YEAR}-01-01&to={LAST_YEAR}-12-31")
    expect(page.get_by_role("heading", name="Giám sát công việc", level=1)).to_be_visible()
    settle(page)
    assert _table(page) == before
    page.goto(f"/giam-sat?from={vn_today().year}-01-01&to={vn_today().isoformat()}")
    expect(page.get_by_role("heading", name="Giám sát công việc", level=1)).to_be_visible()
    settle(page)
    now = _table(page)
    assert _units(now) == [NEW_SHORT, "UBND TP Pleiku", "Tổng cộng"], now
    assert now[0]["Tổng số nhiệm vụ"] == "2", now
