"""Filters live in the URL (st.query_params) so a link or a reload shows the same view.

A widget keeps its identity through a fixed ``key`` (passing the URL value as ``value=``
would give it a new identity on every change and lose every second edit). Its value is taken
from the URL when the URL says something the page did not write itself: a new session, a
link, or navigation with query parameters; otherwise the widget's own state wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import streamlit as st

T = TypeVar("T")

# A URL is typed, pasted and edited by people: only plain ASCII digits are a number (str.isdigit
# and int() also take "²", "٣" or "1_000", and twenty digits overflow a database integer).
_ID = re.compile(r"[0-9]{1,9}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def url_int(raw: str | None) -> int | None:
    """A whole number from the URL (1 to 9 ASCII digits), else None."""
    return int(raw) if raw is not None and _ID.fullmatch(raw) else None


def parse_url_int(raw: str) -> int:
    """``url_int`` for ``init_from_url``: ValueError (the default is used) when not a number."""
    number = url_int(raw)
    if number is None:
        raise ValueError(raw)
    return number


def parse_url_date(raw: str) -> date:
    """A date from the URL, YYYY-MM-DD in ASCII digits, from year 1900 to 2999; else ValueError."""
    if not _ISO_DATE.fullmatch(raw):
        raise ValueError(raw)
    day = date.fromisoformat(raw)
    if not 1900 <= day.year <= 2999:
        raise ValueError(raw)
    return day


def _marker(key: str) -> str:
    return f"_url_written_{key}"


def init_from_url(key: str, param: str, default: T, parse: Callable[[str], T]) -> None:
    """Seed ``st.session_state[key]`` from the URL parameter when the URL is news to the page."""
    raw = st.query_params.get(param)
    if key in st.session_state and (raw is None or raw == st.session_state.get(_marker(key))):
        return
    try:
        st.session_state[key] = parse(raw) if raw is not None else default
    except (ValueError, OverflowError):  # a hand-edited link: the default, never a traceback
        st.session_state[key] = default
    st.session_state[_marker(key)] = raw


def write_to_url(key: str, param: str, text: str) -> None:
    """Put the widget's value in the URL and remember that the page wrote it (each write sends the
    browser a message, so only a change is written)."""
    if st.query_params.get(param) != text:
        st.query_params[param] = text
    st.session_state[_marker(key)] = text
