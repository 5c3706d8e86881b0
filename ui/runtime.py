"""The cached runtime (engine + parsed config) and the current user.

Only the engine and the parsed config are cached, once per process (``get_runtime``, shared with
the HTTP routes); per-user data is always read fresh in each run. The configuration is keyed by
the version in force (``services.config.store``): each page run reads that number once (one
indexed read) and uses the configuration validated once per version, so an admin's save shows
at the next click of every user, in every server process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import streamlit as st
from sqlmodel import Session
from streamlit.runtime.scriptrunner import get_script_run_ctx

from services.access.auth import SESSION_COOKIE, CsrfPurpose, csrf_token, read_session_token
from services.access.permissions import Actor, build_actor
from services.access.sessions import SessionLimits, session_user
from services.config.loader import AppConfig, ConfigError
from services.infra.clock import local_date, now_utc
from services.runtime import Runtime, get_runtime

# AppTest cannot send cookies: a test puts the same signed token in session_state instead
# (``services.access.sessions.make_session_token``, which opens a real session row).
TOKEN_STATE_KEY = "gv_session_token"
# "Đổi mật khẩu" done: its note, shown (a toast) by app.py on the page the person lands on next
PASSWORD_CHANGED_KEY = "gv_password_changed"


# The runtime of this script run: the configuration version is read once per run. A run's
# ``ScriptRunContext.cursors`` is a new dict at every run's start, so it marks the run.
_this_run = threading.local()


def _runtime_of_this_run() -> Runtime:
    ctx = get_script_run_ctx(suppress_warning=True)
    marker = getattr(ctx, "cursors", None)
    memo: tuple[object, Runtime] | None = getattr(_this_run, "memo", None)
    if marker is not None and memo is not None and memo[0] is marker:
        return memo[1]
    rt = get_runtime()
    if marker is not None:
        _this_run.memo = (marker, rt)
    return rt


def runtime() -> Runtime:
    """The runtime, or a clear Vietnamese error page (naming file and field) if config is bad."""
    try:
        return _runtime_of_this_run()
    except ConfigError as exc:
        st.error("Không khởi động được vì cấu hình sai. Quản trị viên cần sửa các lỗi sau:")
        st.code(str(exc), language=None)
        st.stop()
        raise  # unreachable; keeps type checkers content


def config() -> AppConfig:
    """The configuration in force in this run (the newest stored version, else ``config/*.yaml``)."""
    return runtime().config


@contextmanager
def db() -> Iterator[Session]:
    with Session(runtime().engine, expire_on_commit=False) as session:
        yield session


def today() -> date:
    return local_date(now_utc())


def _session_token() -> str | None:
    """The login cookie's value (HttpOnly: the browser sends it with the websocket), or a test's."""
    token = st.context.cookies.get(SESSION_COOKIE) if st.context.cookies else None
    return token or st.session_state.get(TOKEN_STATE_KEY)


def _session_id(rt: Runtime) -> str | None:
    return read_session_token(
        token=_session_token(),
        secret=rt.settings.resolved_secret_key(),
        max_age_seconds=rt.config.app.login.session_max_hours * 3600,
    )


def current_actor() -> Actor | None:
    """The logged-in user of a valid server-side session, else None.

    Asked on every page run: a session ended by logout, by an admin, by a password change
    (``User.sessions_valid_after``) or by its timeouts is refused from the next click on."""
    rt = runtime()
    session_id = _session_id(rt)
    if session_id is None:
        return None
    with db() as session:
        uid = session_user(
            session=session, session_id=session_id, limits=SessionLimits.of(rt.config.app.login), now=now_utc()
        )
        if uid is None:
            return None
        return build_actor(session=session, config=rt.config, user_id=uid)


def current_session_id() -> str | None:
    """The secret of this browser's login session (not stored anywhere; its SHA-256 is): the one
    session a person's own password change keeps open."""
    return _session_id(runtime())


def logout_csrf_token() -> str:
    """The logout form's CSRF token: the HMAC of this browser's session secret, which the server
    route computes again from the cookie (a page of another site can compute neither)."""
    rt = runtime()
    session_id = _session_id(rt)
    if session_id is None:
        return ""
    return csrf_token(purpose=CsrfPurpose.LOGOUT, binding=session_id, secret=rt.settings.resolved_secret_key())


def require_actor() -> Actor:
    """Stop the page for anonymous visitors (the services check permissions again)."""
    actor = current_actor()
    if actor is None:
        st.warning("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.")
        st.link_button("Đăng nhập", "/auth/login")
        st.stop()
        raise RuntimeError("unreachable")
    return actor
