"""The login in a real browser (Debian's chromium): the form's CSRF token and cookie, the
sidebar's "Đăng xuất" (an ``st.html`` POST form with the session's token), a copy of the cookie
refused after the logout, and the throttle's message on the form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from services.access.auth import SESSION_COOKIE

from .accounts import CLERK, TRACKER
from .ui import login, logout, sidebar

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS = ()  # the tracker and the clerk only


def test_logout_ends_the_session_and_its_copied_cookie(page: Page, browser: Browser, app_server: str) -> None:
    login(page, CLERK)
    [cookie] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # the sidebar's form carries the session's CSRF token (st.html keeps the hidden field)
    token = sidebar(page).locator('form[action="/auth/logout"] input[name="csrf"]')
    expect(token).to_have_count(1)
    assert re.fullmatch(r"[0-9a-f]{64}", token.get_attribute("value") or "")
    logout(page)
    assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}
    # someone who copied the cookie before the logout gets the login form
    thief = browser.new_context(base_url=app_server)
    try:
        thief.add_cookies([{**cookie}])  # type: ignore[list-item]
        stolen = thief.new_page()
        stolen.goto("/giam-sat")
        expect(stolen).to_have_url(re.compile(r"/auth/login\?next=/giam-sat"))
        expect(stolen.locator("#username")).to_be_visible()
    finally:
        thief.close()


def test_wrong_passwords_then_the_wait_is_said_on_the_form(page: Page) -> None:
    page.goto("/auth/login")
    for attempt in range(4):
        page.locator("#username").fill(TRACKER.username)
        page.locator("#password").fill(f"sai-mat-khau-{attempt}")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("alert")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    expect(page.get_by_role("alert")).to_contain_text("Bạn đã nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau")
    expect(page.locator("#username")).to_have_value(TRACKER.username)
