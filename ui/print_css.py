"""Printing a page: A4 landscape, the page's content only, the full width of the paper.

Giám sát is printed and filed (the report a head of unit answers for). What a browser prints of a
Streamlit page by default is one screen: the app scrolls inside its own box, and the sidebar, the
forms and the interactive grid (a canvas showing the rows in view) come along. The stylesheet
lets the document grow to its content, drops every control, and swaps the parts of the page that
only work on a screen for their printable copies: a container keyed ``k`` is the element of class
``st-key-k`` (Streamlit's own class for a keyed container).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

# What is never printed: the app's frame and every widget (a printed form is of no use).
_CHROME = (
    '[data-testid="stSidebar"]',
    '[data-testid="stSidebarCollapsedControl"]',
    '[data-testid="stHeader"]',
    '[data-testid="stToolbar"]',
    '[data-testid="stDecoration"]',
    '[data-testid="stStatusWidget"]',
    '[data-testid="stForm"]',
    '[data-testid="stSelectbox"]',
    '[data-testid="stMultiSelect"]',
    '[data-testid="stNumberInput"]',
    '[data-testid="stDateInput"]',
    '[data-testid="stTextInput"]',
    '[data-testid="stCheckbox"]',
    '[data-testid="stButton"]',
    '[data-testid="stDataFrame"]',  # a canvas: it prints only the rows in view
    '[data-testid="stHeaderActionElements"]',  # a heading's link icon
)
# The boxes Streamlit scrolls in: in print they grow to their content, or one screen is printed.
_SCROLLERS = (
    "html",
    "body",
    "#root",
    '[data-testid="stApp"]',
    '[data-testid="stAppViewContainer"]',
    '[data-testid="stMain"]',
)


def _keyed(keys: Sequence[str]) -> str:
    return ", ".join(f".st-key-{key}" for key in keys)


def stylesheet(*, screen_only: Sequence[str] = (), print_only: Sequence[str] = ()) -> str:
    """The CSS: the containers keyed ``print_only`` are hidden on screen and shown on paper, those
    keyed ``screen_only`` the other way round."""
    hidden = [*_CHROME, *(f".st-key-{key}" for key in screen_only)]
    rules = [
        f"{_keyed(print_only)} {{ display: none; }}" if print_only else "",
        "@page { size: A4 landscape; margin: 10mm; }",
        "@media print {",
        f"  {', '.join(hidden)} {{ display: none !important; }}",
        f"  {_keyed(print_only)} {{ display: block !important; }}" if print_only else "",
        f"  {', '.join(_SCROLLERS)} {{ height: auto !important; min-height: 0 !important;"
        " overflow: visible !important; position: static !important; }",
        '  [data-testid="stMainBlockContainer"] { max-width: none !important; width: 100% !important;'
        " padding: 0 !important; margin: 0 !important; }",
        "  table { width: 100% !important; font-size: 9pt; border-collapse: collapse; }",
        "  thead { display: table-header-group; }",  # the header again on every sheet
        "  tr, h1, h2, h3, [data-testid='stMetric'] { break-inside: avoid; }",
        "  h2, h3 { break-after: avoid; }",
        '  [data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
        " { max-width: 100% !important; height: auto !important; }",
        "  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }",
        "}",
    ]
    return "\n".join(rule for rule in rules if rule)


def print_stylesheet(*, screen_only: Sequence[str] = (), print_only: Sequence[str] = ()) -> None:
    """Put ``stylesheet`` on the page (a style-only st.html takes no room on it)."""
    st.html(f"<style>\n{stylesheet(screen_only=screen_only, print_only=print_only)}\n</style>")
