"""Server-side login sessions (services.access.sessions) and the audit log (services.access.audit)
on a real database, SQLite and PostgreSQL. Time is a parameter: timeouts to the second."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from models import AuthEvent, AuthEventKind, AuthSession, SessionEndReason, User
from services.access.audit import list_events, record_event
from services.access.auth import read_session_token, sign_session_id
from services.access.permissions import Actor
from services.access.sessions import (
    SessionLimits,
    accounts_with_sessions,
    cookie_user,
    end_session,
    end_sessions_by_admin,
    end_user_sessions,
    key_hash,
    make_session_token,
    session_user,
    start_session,
)
from services.infra.errors import PermissionDenied
from services.runtime import Runtime
from tests.services.support import SECRET

LIMITS = SessionLimits(idle=timedelta(minutes=60), max_age=timedelta(hours=12))
T0 = datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC)  # 08:00 in Vietnam


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def valid(session: Session, sid: str, now: datetime) -> int | None:
    return session_user(session=session, session_id=sid, limits=LIMITS, now=now)


def row(session: Session, sid: str) -> AuthSession:
    found = session.exec(select(AuthSession).where(AuthSession.key_hash == key_hash(sid))).one()
    session.refresh(found)
    return found


def events(session: Session) -> list[tuple[AuthEventKind, str, str]]:
    rows = session.exec(select(AuthEvent).order_by(col(AuthEvent.id))).all()
    return [(e.kind, e.username, e.detail) for e in rows]


def test_limits_come_from_the_config(runtime: Runtime) -> None:
    assert SessionLimits.of(runtime.config.app.login) == SessionLimits(
        idle=timedelta(minutes=60), max_age=timedelta(hours=12)
    )


def test_a_session_stores_only_a_hash_of_its_secret(session: Session, actors: dict[str, Actor]) -> None:
    sid = start_session(session=session, user_id=actors["clerk"].user_id, now=T0, ip="10.1.2.3", user_agent="Firefox")
    assert len(sid) >= 40
    stored = row(session, sid)
    assert stored.key_hash == key_hash(sid) != sid
    assert (stored.user_id, stored.created_at, stored.last_seen_at, stored.ip, stored.user_agent) == (
        actors["clerk"].user_id,
        T0,
        T0,
        "10.1.2.3",
        "Firefox",
    )
    assert valid(session, sid, at(minutes=1)) == actors["clerk"].user_id
    assert valid(session, "doan-bua", at(minutes=1)) is None


def test_logout_ends_the_session_at_once(session: Session, actors: dict[str, Actor]) -> None:
    clerk = actors["clerk"].user_id
    sid = start_session(session=session, user_id=clerk, now=T0)
    other = start_session(session=session, user_id=clerk, now=T0)  # another browser of the same person
    assert end_session(session=session, session_id=sid, now=at(minutes=5), ip="10.1.2.3") == clerk
    assert valid(session, sid, at(minutes=5)) is None
    assert valid(session, other, at(minutes=5)) == clerk
    ended = row(session, sid)
    assert (ended.ended_at, ended.ended_reason) == (at(minutes=5), SessionEndReason.LOGOUT)
    # logging out twice journals once; an unknown secret is nothing
    assert end_session(session=session, session_id=sid, now=at(minutes=6)) == clerk
    assert end_session(session=session, session_id="khong-co", now=at(minutes=6)) is None
    assert events(session) == [(AuthEventKind.LOGOUT, "stc.vanthu", f"Phiên #{ended.id}: đăng xuất")]


def test_last_seen_is_written_at_most_once_a_minute(session: Session, actors: dict[str, Actor]) -> None:
    sid = start_session(session=session, user_id=actors["clerk"].user_id, now=T0)
    assert valid(session, sid, at(seconds=59)) is not None
    assert row(session, sid).last_seen_at == T0
    assert valid(session, sid, at(seconds=60)) is not None
    assert row(session, sid).last_seen_at == at(seconds=60)
    assert valid(session, sid, at(seconds=90)) is not None
    assert row(session, sid).last_seen_at == at(seconds=60)


def test_idle_timeout(session: Session, actors: dict[str, Actor]) -> None:
    sid = start_session(session=session, user_id=actors["clerk"].user_id, now=T0)
    assert valid(session, sid, at(minutes=59, seconds=59)) is not None  # and seen now
    assert valid(session, sid, at(minutes=119, seconds=58)) is not None  # 59:59 after the last request
    assert valid(session, sid, at(minutes=179, seconds=58)) is None  # 60 minutes without one
    ended = row(session, sid)
    assert (ended.ended_at, ended.ended_reason) == (at(minutes=179, seconds=58), SessionEndReason.IDLE)
    assert valid(session, sid, at(minutes=180)) is None  # ended stays ended
    assert events(session) == [
        (AuthEventKind.SESSION_ENDED, "stc.vanthu", f"Phiên #{ended.id}: quá thời gian không hoạt động")
    ]


def test_absolute_timeout_however_busy(session: Session, actors: dict[str, Actor]) -> None:
    sid = start_session(session=session, user_id=actors["clerk"].user_id, now=T0)
    for minutes in range(30, 12 * 60, 30):
        assert valid(session, sid, at(minutes=minutes)) is not None, minutes
    assert valid(session, sid, at(hours=11, minutes=59, seconds=59)) is not None
    assert valid(session, sid, at(hours=12)) is None
    assert row(session, sid).ended_reason is SessionEndReason.EXPIRED


def test_sessions_begun_before_sessions_valid_after_are_over(session: Session, actors: dict[str, Actor]) -> None:
    """What a password change or a lock does (manage.py sets the column itself): honoured at once."""
    clerk = actors["clerk"].user_id
    before = start_session(session=session, user_id=clerk, now=T0)
    user = session.get(User, clerk)
    assert user is not None
    user.sessions_valid_after = at(minutes=10)
    session.add(user)
    session.commit()
    after = start_session(session=session, user_id=clerk, now=at(minutes=10, seconds=1))
    assert valid(session, before, at(minutes=11)) is None
    assert row(session, before).ended_reason is SessionEndReason.ACCOUNT_CHANGED
    assert valid(session, after, at(minutes=11)) == clerk


def test_an_inactive_account_has_no_session(session: Session, actors: dict[str, Actor]) -> None:
    clerk = actors["clerk"].user_id
    sid = start_session(session=session, user_id=clerk, now=T0)
    user = session.get(User, clerk)
    assert user is not None
    user.active = False
    session.add(user)
    session.commit()
    assert valid(session, sid, at(minutes=1)) is None
    assert row(session, sid).ended_reason is SessionEndReason.ACCOUNT_CHANGED


def test_end_user_sessions_ends_every_session_of_that_account_only(
    session: Session, actors: dict[str, Actor]
) -> None:
    clerk, leader = actors["clerk"].user_id, actors["leader"].user_id
    mine = [start_session(session=session, user_id=clerk, now=at(minutes=i)) for i in range(3)]
    theirs = start_session(session=session, user_id=leader, now=T0)
    end_session(session=session, session_id=mine[0], now=at(minutes=4))
    count = end_user_sessions(
        session=session, user_id=clerk, reason=SessionEndReason.PASSWORD_CHANGED, now=at(minutes=5)
    )
    assert count == 2  # the one logged out before is not counted again
    assert [valid(session, sid, at(minutes=6)) for sid in mine] == [None, None, None]
    assert valid(session, theirs, at(minutes=6)) == leader
    user = session.get(User, clerk)
    assert user is not None
    session.refresh(user)
    assert user.sessions_valid_after == at(minutes=5)
    assert [row(session, sid).ended_reason for sid in mine] == [
        SessionEndReason.LOGOUT,
        SessionEndReason.PASSWORD_CHANGED,
        SessionEndReason.PASSWORD_CHANGED,
    ]
    assert events(session)[-1] == (
        AuthEventKind.SESSION_ENDED,
        "stc.vanthu",
        "Kết thúc 2 phiên đang mở: đổi mật khẩu",
    )


def test_only_an_admin_ends_anothers_sessions(session: Session, actors: dict[str, Actor]) -> None:
    clerk = actors["clerk"].user_id
    sid = start_session(session=session, user_id=clerk, now=T0)
    with pytest.raises(PermissionDenied) as refused:
        end_sessions_by_admin(session=session, actor=actors["leader"], user_id=clerk, now=at(minutes=1))
    assert refused.value.message == "Chỉ quản trị hệ thống kết thúc được phiên đăng nhập của tài khoản."
    assert valid(session, sid, at(minutes=1)) == clerk
    assert events(session) == []
    admin = actors["admin"]
    assert end_sessions_by_admin(session=session, actor=admin, user_id=clerk, now=at(minutes=2), ip="10.9.9.9") == 1
    assert valid(session, sid, at(minutes=3)) is None
    event = session.exec(select(AuthEvent)).one()
    assert (event.kind, event.username, event.user_id, event.by_user_id, event.ip, event.detail) == (
        AuthEventKind.SESSIONS_ENDED_BY_ADMIN,
        "stc.vanthu",
        clerk,
        admin.user_id,
        "10.9.9.9",
        "Kết thúc 1 phiên đang mở: quản trị viên kết thúc",
    )


def test_cookie_user_needs_the_signature_and_the_session(session: Session, actors: dict[str, Actor]) -> None:
    clerk = actors["clerk"].user_id
    token = make_session_token(session=session, user_id=clerk, secret=SECRET, now=T0)
    sid = read_session_token(token=token, secret=SECRET, max_age_seconds=3600)
    assert sid is not None and row(session, sid).user_id == clerk

    def user(value: str | None, secret: str = SECRET) -> int | None:
        return cookie_user(session=session, token=value, secret=secret, limits=LIMITS, now=at(minutes=1))

    assert user(token) == clerk
    assert user(token, secret="other-secret") is None
    assert user(sign_session_id(session_id="doan-bua", secret=SECRET)) is None
    assert user(None) is None
    end_session(session=session, session_id=sid, now=at(minutes=2))
    assert user(token) is None  # a copied cookie dies with the session


def test_accounts_with_sessions_counts_live_sessions(session: Session, actors: dict[str, Actor]) -> None:
    now = datetime.now(UTC)
    clerk, leader = actors["clerk"].user_id, actors["leader"].user_id
    start_session(session=session, user_id=clerk, now=now - timedelta(minutes=5))
    start_session(session=session, user_id=clerk, now=now - timedelta(minutes=1))
    start_session(session=session, user_id=leader, now=now - timedelta(minutes=61))  # idle
    with pytest.raises(PermissionDenied):
        accounts_with_sessions(session=session, actor=actors["clerk"], limits=LIMITS, now=now)
    found = accounts_with_sessions(session=session, actor=actors["admin"], limits=LIMITS, now=now)
    assert [(a.username, a.open_sessions) for a in found][:2] == [("stc.vanthu", 2), ("admin", 0)]
    assert len(found) == len(actors)
    assert found[0].last_seen_at == now - timedelta(minutes=1)


def test_the_audit_log_only_grows(runtime: Runtime, session: Session) -> None:
    record_event(session=session, kind=AuthEventKind.LOGIN_FAILED, at=T0, username="ai.do", ip="10.0.0.1")
    for statement in ("UPDATE auth_event SET detail = 'sua'", "DELETE FROM auth_event"):
        with runtime.engine.connect() as connection, pytest.raises(DBAPIError):
            connection.execute(sa.text(statement))
            connection.commit()
    assert events(session) == [(AuthEventKind.LOGIN_FAILED, "ai.do", "")]


def test_list_events_filters_newest_first_and_admins_only(session: Session, actors: dict[str, Actor]) -> None:
    vn_midnight = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 00:00 of 3 March in Vietnam
    for seconds, kind, name in [
        (-2, AuthEventKind.LOGIN_FAILED, "stc.vanthu"),  # 23:59:58 on 2 March
        (-1, AuthEventKind.LOGIN_OK, "stc.vanthu"),
        (0, AuthEventKind.LOGIN_FAILED, "stc.vanthu"),  # 00:00 on 3 March
        (1, AuthEventKind.LOGIN_FAILED, "ai.do"),
        (2, AuthEventKind.LOGOUT, "stc.vanthu"),
    ]:
        record_event(
            session=session,
            kind=kind,
            at=vn_midnight + timedelta(seconds=seconds),
            username=name,
            user_id=actors["clerk"].user_id if name == "stc.vanthu" else None,
        )
    with pytest.raises(PermissionDenied) as refused:
        list_events(session=session, actor=actors["tracker"])
    assert refused.value.message == "Chỉ quản trị hệ thống xem nhật ký đăng nhập."
    admin = actors["admin"]

    def listed(**filters: object) -> list[tuple[str, str]]:
        rows = list_events(session=session, actor=admin, **filters)  # type: ignore[arg-type]
        return [(r.at.astimezone(UTC).strftime("%H:%M:%S"), r.username) for r in rows]

    assert listed() == [
        ("17:00:02", "stc.vanthu"),
        ("17:00:01", "ai.do"),
        ("17:00:00", "stc.vanthu"),
        ("16:59:59", "stc.vanthu"),
        ("16:59:58", "stc.vanthu"),
    ]
    assert listed(username=" STC.VanThu ", kind=AuthEventKind.LOGIN_FAILED) == [
        ("17:00:00", "stc.vanthu"),
        ("16:59:58", "stc.vanthu"),
    ]
    assert listed(date_from=date(2026, 3, 3)) == [
        ("17:00:02", "stc.vanthu"),
        ("17:00:01", "ai.do"),
        ("17:00:00", "stc.vanthu"),
    ]
    assert listed(date_to=date(2026, 3, 2)) == [("16:59:59", "stc.vanthu"), ("16:59:58", "stc.vanthu")]
    assert listed(limit=1) == [("17:00:02", "stc.vanthu")]
    [first] = list_events(session=session, actor=admin, kind=AuthEventKind.LOGOUT)
    assert (first.label, first.full_name) == ("Đăng xuất", actors["clerk"].full_name)
