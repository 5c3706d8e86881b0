"""Debian's chromium as the browser tests and ``scripts/browser_timing.py`` launch it (Playwright
with ``executable_path``: ``playwright install`` cannot download here)."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
