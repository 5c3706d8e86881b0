"""Filters live in the URL (st.query_params) so a link or a reload shows the same view.

A widget keeps its identity through a fixed ``key`` (passing the URL value as ``value=``
would give it a new identity on every change and lose every second edit). Its value is taken
from the URL when the URL says something the page did not write itself: a new session, a
link, or navigation with query parameters; otherwise the widget's own state wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

T = TypeVar("T")


def _marker(key: str) -> str:
    return f"_url_written_{key}"


def init_from_url(key: str, param: str, default: T, parse: Callable[[str], T]) -> None:
    """Seed ``st.session_state[key]`` from the URL parameter when the URL is news to the page."""
    raw = st.query_params.get(param)
    if key in st.session_state and (raw is None or raw == st.session_state.get(_marker(key))):
        return
    try:
        st.session_state[key] = parse(raw) if raw is not None else default
    except ValueError:
        st.session_state[key] = default
    st.session_state[_marker(key)] = raw


def write_to_url(key: str, param: str, text: str) -> None:
    """Put the widget's value in the URL and remember that the page wrote it (each write sends the
    browser a message, so only a change is written)."""
    if st.query_params.get(param) != text:
        st.query_params[param] = text
    st.session_state[_marker(key)] = text
