"""Nhật ký đăng nhập (the admin's audit log page), and the pages' own check of the login session:
a session ended by logout, by an admin, by ``sessions_valid_after`` or by its timeouts is
refused by ``current_actor`` from the very next run, and the sidebar's logout form carries the
session's CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from models import AuthEventKind, AuthSession, User
from services.access.audit import record_event
from services.access.auth import CsrfPurpose, csrf_token, read_session_token
from services.access.sessions import end_session, key_hash
from services.infra.settings import ROOT
from tests.pages.conftest import SECRET, World, by_label, values
from ui.format import md_escape
from ui.runtime import TOKEN_STATE_KEY

WORLD_USERS = ["admin"]
PAGE = "pages/security_log.py"
TWELVE_HOURS = 12 * 3600


def _record(world: World, kind: AuthEventKind, username: str, *, minutes_ago: int, ip: str, detail: str = "") -> None:
    with world.session() as session:
        record_event(
            session=session,
            kind=kind,
            at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            username=username,
            user_id=world.user_ids.get(username),
            ip=ip,
            detail=detail,
        )


def _table(at: AppTest) -> list[tuple[str, str, str, str]]:
    frame = at.dataframe[0].value
    return list(zip(frame["Sự kiện"], frame["Tên đăng nhập"], frame["Địa chỉ IP"], frame["Chi tiết"], strict=True))


def test_the_admin_reads_the_log_filtered_from_the_url(world: World) -> None:
    _record(world, AuthEventKind.LOGIN_FAILED, "stc.lanhdao", minutes_ago=3, ip="10.1.1.1", detail="sai mật khẩu")
    _record(world, AuthEventKind.LOGIN_OK, "stc.lanhdao", minutes_ago=2, ip="10.1.1.1")
    _record(world, AuthEventKind.LOCKED_OUT, "ai.do", minutes_ago=1, ip="10.6.6.6", detail="tài khoản đang khóa")
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert values(at.title) == ["Nhật ký đăng nhập"]
    rows = _table(at)
    assert rows[:3] == [
        ("Bắt đầu khóa tạm thời", "ai.do", "10.6.6.6", "tài khoản đang khóa"),
        ("Đăng nhập thành công", "stc.lanhdao", "10.1.1.1", ""),
        ("Đăng nhập sai", "stc.lanhdao", "10.1.1.1", "sai mật khẩu"),
    ]
    # a link with filters opens the same view, and the form shows them
    filtered = world.app_as("admin", PAGE, query={"user": "stc.lanhdao", "kind": "login_failed"})
    assert not filtered.exception
    assert _table(filtered) == [("Đăng nhập sai", "stc.lanhdao", "10.1.1.1", "sai mật khẩu")]
    assert by_label(filtered.text_input, "Tên đăng nhập").value == "stc.lanhdao"
    assert by_label(filtered.selectbox, "Sự kiện").value == "login_failed"
    # changing a filter writes it to the URL
    by_label(filtered.selectbox, "Sự kiện").set_value("login_ok")
    filtered.button[0].click().run()
    assert _table(filtered) == [("Đăng nhập thành công", "stc.lanhdao", "10.1.1.1", "")]
    assert filtered.query_params["kind"] == "login_ok"
    # nothing before the chosen days
    old = world.app_as("admin", PAGE, query={"to": (datetime.now(UTC) - timedelta(days=3)).date().isoformat()})
    assert not old.dataframe
    assert values(old.info) == ["Không có sự kiện nào khớp bộ lọc."]


def test_the_admin_ends_every_session_of_an_account(world: World) -> None:
    world.activate()
    user_at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    user_at.session_state[TOKEN_STATE_KEY] = world.token("pleiku.chuyenvien")
    user_at.run()
    assert values(user_at.title) == ["Việc chờ tôi xử lý"]

    admin_at = world.app_as("admin", PAGE)
    choice = by_label(admin_at.selectbox, "Tài khoản")
    uid = world.user_ids["pleiku.chuyenvien"]
    assert choice.format_func(uid).endswith("(pleiku.chuyenvien) — 1 phiên đang mở")
    choice.set_value(uid)
    by_label(admin_at.button, "Kết thúc mọi phiên đăng nhập").click().run()
    assert not admin_at.exception
    # (the markdown source: the user name escaped, so it shows as typed)
    name = md_escape("pleiku.chuyenvien")
    assert values(admin_at.success) == [f"Đã kết thúc 1 phiên đăng nhập của tài khoản {name}."]
    assert ("Quản trị kết thúc mọi phiên", "pleiku.chuyenvien") in [row[:2] for row in _table(admin_at)]
    # the user's next click finds the session over
    user_at.run()
    assert values(user_at.title) == ["Giao việc"]
    assert any("Bạn chưa đăng nhập" in v for v in values(user_at.info))


def test_the_page_itself_refuses_a_non_admin(world: World) -> None:
    world.activate()
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    at.session_state[TOKEN_STATE_KEY] = world.token("stc.lanhdao")
    at.run()
    assert not at.exception
    assert values(at.error) == ["Chỉ quản trị hệ thống xem nhật ký đăng nhập."]
    assert not at.dataframe


def _session_row(world: World, token: str) -> Callable[[Session], AuthSession]:
    session_id = read_session_token(token=token, secret=SECRET, max_age_seconds=TWELVE_HOURS)
    assert session_id is not None

    def find(session: Session) -> AuthSession:
        return session.exec(select(AuthSession).where(AuthSession.key_hash == key_hash(session_id))).one()

    return find


def _logout(world: World, token: str) -> None:
    session_id = read_session_token(token=token, secret=SECRET, max_age_seconds=TWELVE_HOURS)
    assert session_id is not None
    with world.session() as session:
        end_session(session=session, session_id=session_id, now=datetime.now(UTC))


def _idle(world: World, token: str) -> None:
    with world.session() as session:
        row = _session_row(world, token)(session)
        row.last_seen_at = datetime.now(UTC) - timedelta(minutes=60)
        session.add(row)
        session.commit()


def _too_old(world: World, token: str) -> None:
    with world.session() as session:
        row = _session_row(world, token)(session)
        row.created_at = datetime.now(UTC) - timedelta(hours=12)
        session.add(row)
        session.commit()


def _password_changed(world: World, token: str) -> None:
    """What manage.py set-password does to the account: every older session is over."""
    with world.session() as session:
        user = session.get(User, world.user_ids["stc.chuyenvien"])
        assert user is not None
        user.sessions_valid_after = datetime.now(UTC)
        session.add(user)
        session.commit()


@pytest.mark.parametrize("end", [_logout, _idle, _too_old, _password_changed])
def test_a_session_over_is_refused_at_the_next_run(world: World, end: Callable[[World, str], None]) -> None:
    world.activate()
    token = world.token("stc.chuyenvien")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state[TOKEN_STATE_KEY] = token
    at.run()
    assert values(at.title) == ["Việc chờ tôi xử lý"]
    end(world, token)
    at.run()
    assert not at.exception
    assert values(at.title) == ["Giao việc"]
    assert any("Bạn chưa đăng nhập" in v for v in values(at.info))


def test_the_sidebars_logout_form_carries_the_sessions_token(world: World) -> None:
    world.activate()
    token = world.token("stc.vanthu")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state[TOKEN_STATE_KEY] = token
    at.run()
    session_id = read_session_token(token=token, secret=SECRET, max_age_seconds=TWELVE_HOURS)
    assert session_id is not None
    expected = csrf_token(purpose=CsrfPurpose.LOGOUT, binding=session_id, secret=SECRET)
    [form] = at.sidebar.html
    assert '<form method="post" action="/auth/logout">' in form.value
    assert f'<input type="hidden" name="csrf" value="{expected}">' in form.value
