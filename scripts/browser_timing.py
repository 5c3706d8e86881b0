"""How long Giám sát takes in a real browser, from navigation until the page has finished.

The services' timings (``scripts/bench.py``) and the websocket load (``scripts/ws_load.py``) leave
out what a person waits for: the browser loading Streamlit's assets, the websocket handshake, the
script run, and drawing the table, the chart and the lists. This drives Debian's chromium
(Playwright, never ``playwright install``) against a running server and times:

* **cold**: a fresh browser context (empty cache, already logged in by its cookie), from
  ``goto`` until the script has finished and the drill-down's pager is drawn;
* **warm**: a reload in the same context (assets cached);
* **period change**: a new "Từ ngày" typed, then from the click on "Xem thống kê" until the run is
  over and the caption shows the new period.

Run: ``.venv/bin/python scripts/browser_timing.py --url http://127.0.0.1:8501 --user vp.theodoi
--password … [--rounds 5]``; ``browser_times(...)`` returns the medians for the benchmark.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.server import streamlit_process

TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class BrowserTimes:
    cold_ms: float
    warm_ms: float
    period_change_ms: float
    rounds: int


# Checked on every animation frame (Playwright's ``expect`` retries after 100, 250, 500 and 1000 ms,
# which would add up to half a second to a figure): the run is over, nothing is still a skeleton,
# and the things a person looks at are drawn: the figures, the table, the chart and both lists.
_DRAWN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
    && document.querySelectorAll('[data-testid="stMetric"]').length > 0
    && !!document.querySelector('[data-testid="stTable"]')
    && !!document.querySelector('.vega-embed canvas, .vega-embed svg')
    && document.querySelectorAll('[data-testid="stDataFrame"] canvas').length >= 2
    && document.body.innerText.includes('Xem chi tiết số liệu');
}"""


def _finished(page: Page) -> None:
    """The script run is over and the page is drawn, down to the drill-down's list."""
    page.wait_for_function(_DRAWN, polling="raf", timeout=TIMEOUT_MS)


def _context(browser: Browser) -> BrowserContext:
    return browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 1400, "height": 900})


def _login(browser: Browser, url: str, user: str, password: str) -> BrowserContext:
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{url}/auth/login")
    page.locator("#username").fill(user)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=TIMEOUT_MS)
    page.close()
    return context


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _round(browser: Browser, cookies: list[Any], target: str, new_from: date) -> tuple[float, float, float]:
    """One fresh context: cold load, reload, period change (milliseconds)."""
    context = _context(browser)
    try:
        context.add_cookies(cookies)
        page = context.new_page()
        start = time.perf_counter()
        page.goto(target)
        _finished(page)
        cold = _ms_since(start)
        start = time.perf_counter()
        page.reload()
        _finished(page)
        warm = _ms_since(start)
        _type_period(page, new_from)
        start = time.perf_counter()  # from the click on "Xem thống kê": typing is the person's time
        page.get_by_role("button", name="Xem thống kê").click()
        expect(page.get_by_text(f"Kỳ báo cáo {new_from.strftime('%d/%m/%Y')}")).to_be_visible(timeout=TIMEOUT_MS)
        _finished(page)
        return cold, warm, _ms_since(start)
    finally:
        context.close()


def browser_times(url: str, *, user: str, password: str, page_path: str = "giam-sat", rounds: int = 5) -> BrowserTimes:
    """Median cold, warm and period-change times of ``page_path`` as ``user``, over ``rounds``."""
    today = date.today()
    target = f"{url}/{page_path}?from={today.year}-01-01&to={today.isoformat()}"
    return _timed(target, rounds, login=(url, user, password))


def floor_times(rounds: int = 5) -> BrowserTimes:
    """The same medians for the floor page (``scripts/browser_floor_app.py``), on a Streamlit
    server of its own started here and stopped afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "floor.log"
        with streamlit_process(dict(os.environ), log, script="scripts/browser_floor_app.py") as (url, _pid):
            return _timed(f"{url}/", rounds, login=None)


def _timed(target: str, rounds: int, *, login: tuple[str, str, str] | None) -> BrowserTimes:
    cold: list[float] = []
    warm: list[float] = []
    change: list[float] = []
    today = date.today()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            cookies = [] if login is None else _login(browser, *login).cookies()
            for index in range(rounds):
                times = _round(browser, list(cookies), target, date(today.year, 2 + index % 6, 1))
                for series, value in zip((cold, warm, change), times, strict=True):
                    series.append(value)
        finally:
            browser.close()
    return BrowserTimes(statistics.median(cold), statistics.median(warm), statistics.median(change), rounds)


def _type_period(page: Page, new_from: date) -> None:
    """Type a new "Từ ngày" (not submitted yet)."""
    parts = (("day", f"{new_from.day:02d}"), ("month", f"{new_from.month:02d}"), ("year", str(new_from.year)))
    for part, value in parts:
        page.get_by_role("spinbutton", name=f"{part}, Từ ngày", exact=True).click()
        page.keyboard.type(value)
    page.keyboard.press("Escape")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--user", default="vp.theodoi")
    parser.add_argument("--password", required=True)
    parser.add_argument("--page", default="giam-sat")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--floor", action="store_true", help="also time the floor page, on a server of its own")
    args = parser.parse_args(argv)
    times = browser_times(args.url, user=args.user, password=args.password, page_path=args.page, rounds=args.rounds)
    print(
        f"Giám sát in chromium, medians of {times.rounds}: cold {times.cold_ms:.0f} ms, "
        f"warm {times.warm_ms:.0f} ms, period change {times.period_change_ms:.0f} ms"
    )
    if args.floor:
        floor = floor_times(args.rounds)
        print(
            f"floor (the same elements from constants, scripts/browser_floor_app.py): cold {floor.cold_ms:.0f} ms, "
            f"warm {floor.warm_ms:.0f} ms, period change {floor.period_change_ms:.0f} ms; ratios "
            f"{times.cold_ms / floor.cold_ms:.2f}, {times.warm_ms / floor.warm_ms:.2f}, "
            f"{times.period_change_ms / floor.period_change_ms:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
