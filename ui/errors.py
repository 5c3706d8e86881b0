"""No traceback ever reaches a user: an unexpected error becomes a short incident id.

The services refuse bad input with their own typed errors, and the pages show those messages.
Anything else is a bug: Streamlit would draw the exception with its traceback (file paths,
code, sometimes data) or, with ``client.showErrorDetails = "none"``, an English sentence. Instead
the page run is wrapped (``run_page`` in app.py): the full trace goes to the server log under a
random incident id of 8 hex digits, and the user sees that id in a Vietnamese message, to quote
when reporting it; the administrator finds the trace by grepping the log for the id.

Streamlit's own control flow passes through untouched: ``st.stop``, ``st.rerun`` and
``st.switch_page`` raise ``StopException`` / ``RerunException``, subclasses of
``ScriptControlException``, which derives from ``BaseException`` precisely so that an
``except Exception`` does not swallow them (streamlit/runtime/scriptrunner_utils/exceptions.py).
An error inside an ``st.fragment`` is drawn by Streamlit itself during a full run and then raised
again as ``FragmentHandledException``: it is logged here with an id as well.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable

import streamlit as st
from streamlit.errors import FragmentHandledException

LOGGER = logging.getLogger("giaoviec.incident")

INCIDENT_MESSAGE = (
    "Đã có lỗi không mong muốn. Mã sự cố: {incident}. Vui lòng thử lại hoặc báo quản trị viên kèm mã này."
)


def new_incident_id() -> str:
    """8 hex digits: short enough to read out on the phone, enough to find one line in a log."""
    return secrets.token_hex(4)


_REPORTED = "giaoviec_incident"  # set on an exception once reported, so it is never shown twice


def report_incident(exc: BaseException) -> str:
    """Log ``exc`` with its full trace under a new incident id; show the id; return it."""
    known = getattr(exc, _REPORTED, None)
    if isinstance(known, str):
        return known
    incident = new_incident_id()
    LOGGER.error("Sự cố %s: lỗi không mong muốn khi chạy trang", incident, exc_info=exc)
    st.error(INCIDENT_MESSAGE.format(incident=incident))
    with contextlib.suppress(AttributeError):  # a type with __slots__: it is reported once anyway
        setattr(exc, _REPORTED, incident)
    return incident


def on_script_error(exc: Exception) -> bool:
    """``st.App(on_script_error=…)``: what ``run_page`` cannot catch, in the server. A widget
    callback's error, an error before the page runs (reading the user), and an error in a
    fragment's own rerun (Giám sát's drill-down) are reported the same way. True: Streamlit draws
    nothing of its own."""
    report_incident(exc)
    return True


def run_page(run: Callable[[], object]) -> None:
    """Run the page (``st.navigation(...).run``); an unexpected error is reported, never shown raw."""
    try:
        run()
    except FragmentHandledException as handled:  # a fragment's error, already drawn by Streamlit
        original = handled.args[0] if handled.args and isinstance(handled.args[0], BaseException) else handled
        report_incident(original)
    except Exception as exc:  # st.stop / st.rerun / st.switch_page are BaseException: they pass
        report_incident(exc)
