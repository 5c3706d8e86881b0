"""The cached runtime (engine + parsed config) and the current user.

Only the engine and the parsed config are cached, once per process (``get_runtime``, shared with
the HTTP routes); per-user data is always read fresh in each run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import streamlit as st
from sqlmodel import Session

from services.access.auth import SESSION_COOKIE, read_session_token
from services.access.permissions import Actor, build_actor
from services.config.loader import AppConfig, ConfigError
from services.infra.clock import local_date, now_utc
from services.runtime import Runtime, get_runtime

# AppTest cannot send cookies: a test puts the same signed token in session_state instead.
TOKEN_STATE_KEY = "gv_session_token"


def runtime() -> Runtime:
    """The runtime, or a clear Vietnamese error page (naming file and field) if config is bad."""
    try:
        return get_runtime()
    except ConfigError as exc:
        st.error("Không khởi động được vì cấu hình sai. Quản trị viên cần sửa các lỗi sau:")
        st.code(str(exc), language=None)
        st.stop()
        raise  # unreachable; keeps type checkers content


def config() -> AppConfig:
    return runtime().config


@contextmanager
def db() -> Iterator[Session]:
    with Session(runtime().engine, expire_on_commit=False) as session:
        yield session


def today() -> date:
    return local_date(now_utc())


def current_actor() -> Actor | None:
    """The logged-in user from the signed HttpOnly cookie (or a test's token), else None."""
    rt = runtime()
    token = st.context.cookies.get(SESSION_COOKIE) if st.context.cookies else None
    token = token or st.session_state.get(TOKEN_STATE_KEY)
    uid = read_session_token(
        token=token, secret=rt.settings.resolved_secret_key(), max_age_seconds=rt.settings.session_hours * 3600
    )
    if uid is None:
        return None
    with db() as session:
        return build_actor(session=session, config=rt.config, user_id=uid)


def require_actor() -> Actor:
    """Stop the page for anonymous visitors (the services check permissions again)."""
    actor = current_actor()
    if actor is None:
        st.warning("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.")
        st.link_button("Đăng nhập", "/auth/login")
        st.stop()
        raise RuntimeError("unreachable")
    return actor
