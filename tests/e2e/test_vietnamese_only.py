"""Vietnamese only: every screen of every role, in an en-US and a vi-VN browser, shows no English.

Each role (tracker, clerk, leader, specialist, admin) logs in once per browser language, opening
a deep link first (never Streamlit's "Page not found … Running the app's main page."), then opens
every page its menu offers and the task page, and on each: types into a text box (Streamlit's
"Press Enter …" hints), opens a select box and types what matches nothing ("No results"), opens
a multiselect ("Select all"), opens a date picker (month and weekday names), hovers a table (its
toolbar) and opens a table column's menu ("Sort ascending" …). After each, ``scan`` reads what a
person can see (the text of visible elements, without icon ligatures such as "monitoring", and
without text hidden by ``ui/vietnamese.py``) and what a screen reader reads (``aria-label``,
``title``, ``placeholder``, ``aria-roledescription`` of visible elements, live regions: a chart's
parts too), and looks for ``ENGLISH``.
``page.inner_text`` is not used: it also returns text drawn at font size 0 (the skip link's
English under its Vietnamese replacement) and the names of icons.

One server for the module (``conftest``); the data (two tasks of Sở Tài chính, one with a "not
our remit" request) is put in through the services, so the tracker's task page has the
re-routing and the change forms, and the unit's people have step forms.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from models import Task, User
from models.schemas import AssignmentCreate, TaskCreate
from services.access.permissions import Actor, build_actor
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from tests.actions import request_wrong_unit

from .accounts import CLERK, FINANCE, ICT, STC_LEADER, STC_SPECIALIST, TRACKER, Account
from .conftest import TIMEOUT_MS
from .ui import login, settle, vn_today

pytestmark = pytest.mark.e2e

ADMIN = Account("quantri.e2e", "Lương Thị Quản Trị", "admin", ICT, "Mk2026!-quantri-e2e")
E2E_ACCOUNTS = (STC_LEADER, STC_SPECIALIST, ADMIN)  # besides the tracker and the clerk
ROLES = {"tracker": TRACKER, "clerk": CLERK, "leader": STC_LEADER, "specialist": STC_SPECIALIST, "admin": ADMIN}
HEALTH = "000.00.16.H21"

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
MONTHS += ["November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# Streamlit's and the browser's English, as whole words (case kept: "Stop" is not "stop").
ENGLISH = [
    *(re.escape(s) for s in ("Press Enter", "Ctrl+Enter", "⌘+Enter", "to submit form", "to apply")),
    *(re.escape(s) for s in ("No results", "No options", "Choose an option", "Choose options", "Select all")),
    *(re.escape(s) for s in ("Download as CSV", "Download as PNG", "Show/hide columns", "Show data")),
    *(re.escape(s) for s in ("Sort ascending", "Sort descending", "Pin column", "Hide column", "Autosize")),
    *(re.escape(s) for s in ("Page not found", "Running the app", "Made with Streamlit", "Record a screencast")),
    *(re.escape(s) for s in ("Drag and drop", "per file", "Skip to main content", "Date set outside")),
    *(re.escape(s) for s in ("options available", "option available", "Use arrow keys", "Selected values")),
    r"\bSearch\b",
    # Vega's descriptions of a chart for screen readers ("X-axis titled …", "rect mark container")
    r"\b[XY]-axis\b",
    r"\btitled\b",
    r"\bmark container\b",
    r"\bvisualization\b",
    r"\bdiscrete scale\b",
    r"\bView \d+ more\b",  # a collapsed menu (the admin's is long)
    r"\bView less\b",
    r"\bBrowse files\b",
    r"\bFullscreen\b",
    r"\bRunning\b",
    r"\bClear\b",
    r"\bDeploy\b",
    r"\bRerun\b",
    r"\bSettings\b",
    r"\bPrint\b",
    r"\bStop\b",
    r"\bConnecting\b",
    r"\bError\b",
    r"\bChoose date\b",
    r"\bSu Mo Tu\b",
    *(rf"\b{m}\b" for m in MONTHS),
    *(rf"\b{d}\b" for d in DAYS),
    # abbreviated weekdays in a row ("Su Mo Tu", "Sun Mon"): alone, "Thu" is Vietnamese (thu hồi)
    r"\b(?:Su|Mo|Tu|We|Th|Fr|Sa)\s+(?:Su|Mo|Tu|We|Th|Fr|Sa)\b",
    r"\b(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)\s+(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)\b",
]
ENGLISH_RE = re.compile("|".join(f"(?:{p})" for p in ENGLISH))

# What a person sees and what a screen reader reads, as [kind, text] pairs.
SCAN_JS = """() => {
  const out = [];
  const shown = (el) => el.checkVisibility({ checkVisibilityCSS: true });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.nodeValue.trim();
    // icons are glyphs drawn from their names ("monitoring", "check_circle"): no text to read
    if (!el || !text || el.closest('[translate="no"][aria-hidden="true"], script, style')) continue;
    const style = getComputedStyle(el);
    if (!shown(el) || style.visibility !== "visible" || parseFloat(style.fontSize) === 0) continue;
    out.push(["text", text]);
  }
  for (const el of document.querySelectorAll("[aria-label],[title],[placeholder],[alt],[aria-roledescription]")) {
    if (!shown(el)) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt", "aria-roledescription"]) {
      const value = el.getAttribute(name);
      if (value) out.push([name, value]);
    }
  }
  for (const el of document.querySelectorAll("[aria-live],[data-live-announcer]")) {
    if (el.textContent.trim()) out.push(["live", el.textContent.trim()]);
  }
  return out;
}"""


@dataclass
class Findings:
    """English found: each text once, with the screen and moment it was first seen."""

    items: dict[str, str] = field(default_factory=dict)
    looked: int = 0
    menus: int = 0  # table column menus opened

    def scan(self, page: Page, where: str) -> None:
        self.looked += 1
        for kind, text in page.evaluate(SCAN_JS):
            hit = ENGLISH_RE.search(text)
            if hit:
                self.items.setdefault(f"{hit.group(0)!r} in {kind} {text[:160]!r}", where)

    def report(self) -> str:
        return "\n".join(f"{what}, first at {where}" for what, where in self.items.items())


def _actor(session: Session, backend: Runtime, account: Account) -> Actor:
    user = session.exec(select(User).where(User.username == account.username)).one()
    assert user.id is not None
    actor = build_actor(session=session, config=backend.config, user_id=user.id)
    assert actor is not None
    return actor


@pytest.fixture(scope="module")
def task_ids(backend: Runtime, accounts: dict[str, Account]) -> list[int]:
    """Two tasks of Sở Tài chính (one coordinated by Sở Y tế); the leader says the second is not
    the unit's remit, so VP UBND's tracker has a decision to take on its page."""
    today = vn_today()
    with Session(backend.engine, expire_on_commit=False) as session:
        document = create_assignment(
            session=session,
            actor=_actor(session, backend, TRACKER),
            config=backend.config,
            data=AssignmentCreate(
                code="77/UBND-TH",
                issue_date=today,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary="V/v rà soát các khoản chi thường xuyên",
                signer="Nguyễn Văn Ký",
                tasks=[
                    TaskCreate(
                        content="Rà soát các khoản chi thường xuyên quý này",
                        lead_unit_code=FINANCE,
                        coordinating_unit_codes=[HEALTH],
                        deadline=today + timedelta(days=10),
                    ),
                    TaskCreate(
                        content="Kiểm tra hồ sơ mua sắm trang thiết bị y tế",
                        lead_unit_code=FINANCE,
                        deadline=today + timedelta(days=5),
                    ),
                ],
            ),
        )
        ids = list(session.exec(select(Task.id).where(Task.document_id == document.id).order_by(Task.seq)).all())
        request_wrong_unit(
            session=session,
            actor=_actor(session, backend, STC_LEADER),
            task_id=ids[1],
            reason="Việc mua sắm trang thiết bị y tế thuộc chức năng của Sở Y tế.",
        )
    return [i for i in ids if i is not None]


@pytest.fixture
def window(browser: Browser, app_server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A browser profile in the language under test (``locale`` parameter)."""
    context = browser.new_context(
        base_url=app_server,
        viewport={"width": 1440, "height": 900},
        locale=request.node.callspec.params["locale"],
        timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _type_into_text_boxes(page: Page, findings: Findings, where: str) -> None:
    """Typing shows Streamlit's "Press Enter to …" under a text box (Ctrl+Enter under a text area);
    the text is taken back before leaving the box, so nothing is sent."""
    for selector in ('[data-testid="stTextInput"] input', '[data-testid="stTextArea"] textarea'):
        boxes = page.locator(f"{selector}:visible")
        if boxes.count():
            box = boxes.first
            box.click()
            box.press_sequentially("ab")
            findings.scan(page, f"{where}, typing in a text box")
            box.fill("")


def _open_select_boxes(page: Page, findings: Findings, where: str) -> None:
    """A select box with a search that matches nothing, then a multiselect's list."""
    combos = page.locator('[data-testid="stSelectbox"] input[role="combobox"]:visible')
    if combos.count():
        box = combos.first
        box.click()
        box.fill("zzz qqq")
        empty = page.locator('[role="listbox"][data-empty="true"]')
        expect(empty).to_be_visible()
        findings.scan(page, f"{where}, a select box finding nothing")
        after = empty.locator('[role="option"] > span').evaluate("e => getComputedStyle(e, '::after').content")
        assert after == '"Không có mục nào khớp"', after
        page.keyboard.press("Escape")
        expect(page.get_by_role("listbox")).to_have_count(0)
    multi = page.locator('[data-testid="stMultiSelect"] input[role="combobox"]:visible')
    if multi.count():
        multi.first.click()
        multi.first.press("ArrowDown")  # in a form a click may only focus the box
        expect(page.get_by_role("listbox")).to_be_visible()
        findings.scan(page, f"{where}, a multiselect's list")
        page.keyboard.press("Escape")
        expect(page.get_by_role("listbox")).to_have_count(0)


def _open_date_picker(page: Page, findings: Findings, where: str) -> None:
    dates = page.get_by_test_id("stDateInput").filter(visible=True)
    if dates.count():
        dates.first.get_by_role("button").first.click()
        calendar = page.get_by_role("grid")
        expect(calendar).to_be_visible()
        findings.scan(page, f"{where}, the date picker open")
        # the calendar speaks Vietnamese whatever the browser's language: "Tháng 11", "T2 … CN"
        expect(page.get_by_test_id("stDateInputCalendar")).to_contain_text(re.compile(r"Tháng \d+"))
        expect(page.get_by_test_id("stDateInputCalendar")).to_contain_text(re.compile(r"T2\s*T3"))
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("stDateInputCalendar")).to_have_count(0)


TASK_LIST_COLUMNS = ["Mã", "Văn bản", "Nội dung nhiệm vụ", "Đơn vị chủ trì", "Hạn xử lý", "Thời hạn", "Tình trạng"]


def _table_toolbar_and_menu(page: Page, findings: Findings, where: str) -> None:
    """Hover the first table (its toolbar), then open the menu of the "Nội dung nhiệm vụ" column of
    the first task list (``ui/task_list.py``, whose column widths are known)."""
    frames = page.get_by_test_id("stDataFrame").filter(visible=True)
    if not frames.count():
        return
    frames.first.scroll_into_view_if_needed()
    frames.first.hover()
    page.wait_for_timeout(300)  # the toolbar fades in
    findings.scan(page, f"{where}, a table hovered")
    toolbar = frames.first.get_by_test_id("stElementToolbar")
    if toolbar.count():
        expect(toolbar).to_be_hidden()
    lists = [f for f in frames.all() if f.locator("table thead th").all_inner_texts() == TASK_LIST_COLUMNS]
    if not lists:
        return
    frame = lists[0]
    frame.scroll_into_view_if_needed()
    box = frame.locator("canvas").first.bounding_box()
    assert box is not None
    # the task list's columns: selection box 30 px, Mã 45, Văn bản 100, Nội dung nhiệm vụ 300; the
    # menu button shows at the right end of a header under the mouse
    header_y = box["y"] + 17
    page.mouse.move(box["x"] + 250, header_y)
    page.mouse.click(box["x"] + 30 + 45 + 100 + 300 - 14, header_y)
    menu = page.get_by_test_id("stDataFrameColumnMenu")
    expect(menu).to_be_attached()  # opened …
    expect(menu).to_be_hidden()  # … and hidden: its English has nowhere to show
    findings.scan(page, f"{where}, a column menu opened")
    findings.menus += 1
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)


EXERCISED: set[tuple[str, str]] = set()  # (page, whose) whose widgets were tried


def _exercise(page: Page, findings: Findings, where: str, *, once_per: str) -> None:
    """Scan the page, then try its widgets and scan after each. A menu page is the same for the
    people of one unit (the clerk's, the leader's and the specialist's Giám sát), a task page for
    one role, in either browser language (``ui/vietnamese.py`` gives Streamlit's widgets vi-VN in
    both): ``once_per`` (the unit, the role) tries its widgets once, in the en-US browser that
    comes first, and the page is only scanned for the others."""
    settle(page)
    findings.scan(page, where)
    if (where, once_per) in EXERCISED:
        return
    EXERCISED.add((where, once_per))
    _type_into_text_boxes(page, findings, where)
    _open_select_boxes(page, findings, where)
    _open_date_picker(page, findings, where)
    _table_toolbar_and_menu(page, findings, where)


# Every role in an en-US browser, where the browser's own English (calendar, hints) would show,
# and in the vi-VN browser of the people it is made for. The vi-VN walks only scan what the en-US
# ones already tried (``_exercise``) and the app sends the same words to both browsers, so `make
# test` walks vi-VN as the tracker alone (every menu page and the task page with the change forms,
# about a minute of its two workers saved); `make e2e`, `make screenshots` and `make hunt`
# (``GIAOVIEC_E2E_EVERY_CASE=1``) walk every role in both.
EVERY_CASE = os.environ.get("GIAOVIEC_E2E_EVERY_CASE") == "1"
CASES = [
    (role, locale)
    for locale in ("en-US", "vi-VN")
    for role in ROLES
    if locale == "en-US" or role == "tracker" or EVERY_CASE
]


@pytest.mark.parametrize(("role", "locale"), CASES)
def test_every_screen_is_vietnamese(window: Page, task_ids: list[int], role: str, locale: str) -> None:
    page, account, findings = window, ROLES[role], Findings()
    # a deep link right after login: the page itself, never "Page not found"
    login(page, account, start="/giam-sat")
    expect(page.get_by_role("heading", name="Giám sát công việc", level=1)).to_be_visible()
    settle(page)
    assert page.evaluate("document.documentElement.lang") == "vi"
    findings.scan(page, "Giám sát (deep link)")
    nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
    titles = [text.strip().split("\n")[-1] for text in nav.all_inner_texts()]  # without the icon's name
    assert len(titles) >= 3, titles
    heading = page.get_by_role("heading", level=1).first
    for index, title in enumerate(titles):
        before = heading.inner_text()
        nav.nth(index).click()
        if not title.startswith(before):  # else the page was open already
            expect(heading).not_to_have_text(before)  # the new page is drawn, not the old one
        _exercise(page, findings, title, once_per=account.unit)
    for task_id in task_ids:
        page.goto(f"/chi-tiet?id={task_id}")
        expect(page.get_by_role("heading", name=f"Nhiệm vụ #{task_id}", level=1)).to_be_visible()
        _exercise(page, findings, f"Nhiệm vụ #{task_id}", once_per=role)
    assert findings.looked >= len(titles) + len(task_ids)  # every page of the menu and each task page
    if role == "tracker" and locale == "en-US":  # Giám sát's drill-down lists the two tasks: its column menu
        assert findings.menus >= 1
    assert not findings.items, f"English on {role}'s screens ({locale}):\n{findings.report()}"
