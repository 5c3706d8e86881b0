"""Small helpers that act like a person on Streamlit's widgets (shared by the e2e tests).

Every wait is on something the person would see (a text, a heading, a row), bounded by the
default timeout set in ``conftest.py``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from services.infra.clock import VN_TZ

from .accounts import Account

ASSIGNEE = "Chuyển cho chuyên viên"
SUBUNITS = "Chuyển đơn vị liên thông nội bộ (phòng, đơn vị trực thuộc)"
# the routing cases at bút phê, as the leader picks them (ui/task_workflow.py case_name)
CASE_SHORT = "Đơn vị tự xử lý — giao chuyên viên xử lý, không chuyển phòng"
CASE_TH1 = "Trường hợp 1 — chuyển chuyên viên theo dõi, đồng thời chuyển các phòng, đơn vị trực thuộc"
CASE_TH2 = "Trường hợp 2 — chuyển thẳng lãnh đạo các phòng, đơn vị trực thuộc"
INBOX = "Việc chờ tôi xử lý"


def vn_today() -> date:
    """The app's 'today' (Vietnam time), whatever the machine's time zone is."""
    return datetime.now(VN_TZ).date()


def wait_clear_of_midnight(margin_s: int = 240) -> None:
    """Dates are asserted exactly, so do not start a run that would straddle midnight in Vietnam."""
    now = datetime.now(VN_TZ)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=VN_TZ)
    left = (midnight - now).total_seconds()
    if left < margin_s:
        time.sleep(left + 2)


def success(page: Page) -> Locator:
    """The green success box (the same text also pops up briefly as a toast)."""
    return page.get_by_test_id("stAlertContentSuccess")


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def login(page: Page, account: Account, *, start: str = "/") -> None:
    """Open ``start`` (a bookmark, say); the anonymous visit goes to the login form and back."""
    page.goto(start)
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    page.locator("#username").fill(account.username)
    page.locator("#password").fill(account.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(sidebar(page).get_by_text(account.name)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)


def logout(page: Page) -> None:
    sidebar(page).get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.locator("#username")).to_be_visible()


def open_page(page: Page, title: str, heading: str | None = None) -> None:
    """Click the page in the sidebar menu and wait for its title."""
    page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=title).click()
    expect(page.get_by_role("heading", name=heading or title, level=1)).to_be_visible()


def choose(page: Page, label: str, option: str, *, nth: int = 0, search: str | None = None) -> None:
    """Pick an option of a selectbox; typing first narrows long lists (they are virtualised)."""
    # CSS, not get_by_role: an open list hides every other combobox from the accessibility tree.
    box = page.locator(f'input[role="combobox"][aria-label="{label}"]').nth(nth)
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        box.click()
        if search:
            box.fill(search)
        try:
            # a rerun just after a save (the form drawn anew) closes a list opened meanwhile: open it again
            wanted.click(timeout=4_000 if attempt < 2 else 20_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            settle(page)
    expect(box).to_have_value(option)


def fill_date(page: Page, label: str, day: date, *, nth: int = 0) -> None:
    """st.date_input is a react-aria DateField: type into its day, month and year spinbuttons."""
    for part, value in (("day", f"{day.day:02d}"), ("month", f"{day.month:02d}"), ("year", str(day.year))):
        page.get_by_role("spinbutton", name=f"{part}, {label}", exact=True).nth(nth).click()
        page.keyboard.type(value)
    page.keyboard.press("Escape")  # else the calendar popover swallows the next click
    field = page.get_by_test_id("stDateInput").filter(has_text=label).nth(nth)
    expect(field.locator("input[type=date]")).to_have_value(day.isoformat())


def type_date(page: Page, label: str, day: date | str, *, nth: int = 0) -> None:
    """A form's date is typed as ngày/tháng/năm text (ui/forms.py date_field): read as typed."""
    text = day if isinstance(day, str) else f"{day:%d/%m/%Y}"
    box = page.get_by_role("textbox", name=label, exact=True).nth(nth)
    box.fill(text)
    expect(box).to_have_value(text)


def choose_option(page: Page, option: str) -> None:
    """Pick a radio option by its text (the bút phê case, a verdict): its form is drawn below it.

    Settled before and after: while a run is slow (a busy machine), the previous run's radio is
    still on the page beside the new one, and the same label matches both."""
    settle(page)
    page.get_by_text(option, exact=True).click()
    settle(page)
    expect(page.get_by_role("radio", name=option, exact=True)).to_be_checked()


def text_area(page: Page, label: str, *, nth: int = 0) -> Locator:
    return page.get_by_role("textbox", name=label, exact=True).nth(nth)


def metric(page: Page, label: str) -> Locator:
    """The value of the st.metric whose label is exactly ``label``."""
    card = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return card.get_by_test_id("stMetricValue")


def labelled(page: Page, label: str) -> Locator:
    """The paragraph that starts with the bold ``label`` (the detail page's fields)."""
    return page.locator("[data-testid=stMarkdownContainer] p").filter(
        has=page.locator("strong").get_by_text(label, exact=True)
    )


def grid_rows(frame: Locator) -> Locator:
    """Body rows of an st.dataframe: the canvas grid keeps an accessible table for screen readers."""
    return frame.locator("table[role=grid] tbody tr")


def settle(page: Page) -> None:
    """Wait until the script run is over and no element is still a loading placeholder."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)


def taking_screenshots() -> bool:
    """``make screenshots`` (``GIAOVIEC_SCREENSHOTS=1``) refreshes ``docs/screenshots/``; ``make
    test`` does not: a full-page shot makes Streamlit lay the page out twice more and costs about
    two seconds of both cores, and no test reads the pictures back."""
    return os.environ.get("GIAOVIEC_SCREENSHOTS", "") not in ("", "0")


def shot(page: Page, path: Path, *, full_page: bool = False) -> None:
    """Save a screenshot (when ``taking_screenshots``); ``full_page`` grows the window to the
    page's height first. Either way the page has settled when this returns.

    Playwright's own full_page does not help: Streamlit scrolls inside <main data-testid=stMain>,
    not the document, so the whole page only shows in a window as tall as that content.
    """
    settle(page)
    if not taking_screenshots():
        return
    page.wait_for_timeout(300)  # fonts and images; the state itself is already asserted
    if not full_page:
        page.screenshot(path=str(path))
        return
    size = page.viewport_size
    assert size is not None
    height = page.get_by_test_id("stMain").evaluate("main => main.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    page.wait_for_function(
        "() => { const m = document.querySelector('[data-testid=stMain]'); return m.scrollHeight <= m.clientHeight; }"
    )
    page.wait_for_timeout(500)  # charts re-render at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


# --- task lists and the task page --------------------------------------------------------------


def open_row(page: Page, text: str) -> int:
    """Select the list row containing ``text`` (its check box, left of the first column); return the task id."""
    frame = page.get_by_test_id("stDataFrame").filter(has_text=text).first  # the list holding it (of several)
    rows = grid_rows(frame)
    expect(rows.filter(has_text=text)).to_have_count(1)
    texts = rows.all_inner_texts()
    index = next(i for i, row in enumerate(texts) if text in row)
    canvas = frame.locator("canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None
    header_h = 35  # glide-data-grid's header height in Streamlit
    # rows are 35 px high, or taller where a list wraps its texts ("Việc chờ tôi xử lý"); a list shows
    # at most ten of them (height "auto")
    row_h = (box["height"] - header_h) / min(len(texts), 10)
    page.mouse.click(box["x"] + 14, box["y"] + header_h + row_h * index + row_h / 2)
    expect(page.get_by_role("heading", name=re.compile(r"^Nhiệm vụ #\d+$"), level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/chi-tiet\?id=\d+"))
    match = re.search(r"id=(\d+)", page.url)
    assert match is not None
    return int(match.group(1))


def open_from_inbox(page: Page, text: str) -> int:
    """From any page: "Việc chờ tôi xử lý" in the menu, then the row of the task."""
    open_page(page, INBOX)
    return open_row(page, text)


def pick(page: Page, box: Locator, option: str) -> None:
    """Choose an option of a select box in a form: typing its text opens the filtered list.

    (A bare click on a react-aria combobox inside a form often only focuses it.)
    """
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


def step_form(page: Page, label: str) -> Locator:
    """The form of one step under "Việc chờ bạn xử lý" (its button says the step).

    Located by position, not by ``has=button``: while a select list is open, react-aria hides
    the rest of the page from the accessibility tree and a role filter would find nothing.
    """
    forms = page.get_by_test_id("stForm")
    expect(forms.filter(has=page.get_by_role("button", name=label, exact=True))).to_have_count(1)
    buttons = forms.evaluate_all(
        "forms => forms.map(f => Array.from(f.querySelectorAll('button')).map(b => b.innerText.trim()))"
    )
    (index,) = [i for i, names in enumerate(buttons) if label in names]
    return forms.nth(index)


def act(
    page: Page,
    label: str,
    *,
    assignee: str | None = None,
    subunits: Sequence[str] = (),
    note: str = "",
    done: str | None = None,
    case: str | None = None,
) -> None:
    """Fill the step's form as the person would, press its button, wait for the confirmation.

    ``case``: at bút phê in a unit with sub-units, the routing case picked first by its name."""
    if case is not None:
        choose_option(page, case)
    form = step_form(page, label)
    expect(form).to_have_count(1)
    settle(page)  # a click during a rerun may land on a widget about to be replaced
    if assignee is not None:
        box = form.locator(f'input[role="combobox"][aria-label="{ASSIGNEE} *"]')  # required: " *"
        pick(page, box, assignee)
        expect(box).to_have_value(assignee)
    if subunits:
        box = form.locator(f'input[role="combobox"][aria-label="{SUBUNITS} *"]')
        for unit in subunits:
            pick(page, box, unit)
        page.keyboard.press("Escape")
        for unit in subunits:
            expect(form.get_by_test_id("stMultiSelect").get_by_text(unit, exact=True)).to_be_visible()
    if note:
        form.get_by_role("textbox", name=re.compile(r"^Ý kiến")).fill(note)
    form.get_by_role("button", name=label, exact=True).click()
    expect(success(page).get_by_text(done or f"Đã thực hiện: {label}.", exact=True)).to_be_visible()


def where_now(page: Page) -> Locator:
    """The rows of the "Đang ở bước" table (the only st.table of the task page)."""
    return page.get_by_test_id("stTable").locator("tbody tr")


def expect_steps(page: Page, expected: Sequence[tuple[str, str]]) -> None:
    """Each row of "Đang ở bước" shows (unit, current step), in order."""
    rows = where_now(page)
    expect(rows).to_have_count(len(expected))
    for i, (unit, step) in enumerate(expected):
        expect(rows.nth(i)).to_contain_text(unit)
        expect(rows.nth(i)).to_contain_text(step)


def journal(page: Page) -> Locator:
    """The journal lines' first paragraphs ("<action> — dd/mm/yyyy hh:mm"), newest first."""
    return (
        page.get_by_test_id("stMarkdownContainer")
        .locator("p")
        .filter(has_text=re.compile(r"^[^\n]+ — \d{2}/\d{2}/\d{4} \d{2}:\d{2}"))
    )
