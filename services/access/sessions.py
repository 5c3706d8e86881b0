"""Server-side login sessions: what a login cookie is worth is decided here, on every request.

The cookie carries a signed random secret (``services.access.auth.sign_session_id``); the
database keeps its SHA-256 in ``auth_session``. A session is valid while it is not ended, has
seen a request within ``session_idle_minutes``, is younger than ``session_max_hours``
(``config/app.yaml`` ``login:``), its account is active, and it began after the account's
``sessions_valid_after`` (set when the password changes, the account is locked, or an admin
ends all its sessions). Logging out ends the row at once, so a copied cookie is refused by
every server process from the next request on. A session found idle or too old is ended
(and journalled) by the request that finds it so.

``last_seen_at`` is written at most once a minute (``TOUCH_EVERY``): a page run of Streamlit
happens at every click, and a write per run would cost more than the whole check.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import AuthEventKind, AuthSession, Permission, SessionEndReason, User
from services.access.audit import record_event
from services.access.auth import read_session_token, sign_session_id
from services.access.permissions import Actor, require
from services.config.loader import LoginConfig
from services.infra.clock import now_utc
from services.infra.errors import NotFound

TOUCH_EVERY = timedelta(minutes=1)
_sessions = AuthSession.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]

REASON_LABELS: dict[SessionEndReason, str] = {
    SessionEndReason.LOGOUT: "đăng xuất",
    SessionEndReason.IDLE: "quá thời gian không hoạt động",
    SessionEndReason.EXPIRED: "quá thời hạn tối đa của phiên",
    SessionEndReason.ACCOUNT_CHANGED: "tài khoản đã thay đổi (mật khẩu, khóa, hoặc ngừng hoạt động)",
    SessionEndReason.ENDED_BY_ADMIN: "quản trị viên kết thúc",
    SessionEndReason.PASSWORD_CHANGED: "đổi mật khẩu",
    SessionEndReason.ACCOUNT_LOCKED: "tài khoản bị khóa",
}


def key_hash(session_id: str) -> str:
    """What ``auth_session.key_hash`` holds for a cookie's secret (SHA-256, hex)."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionLimits:
    """The two timeouts of ``config/app.yaml`` ``login:``."""

    idle: timedelta
    max_age: timedelta

    @classmethod
    def of(cls, rules: LoginConfig) -> SessionLimits:
        return cls(idle=timedelta(minutes=rules.session_idle_minutes), max_age=timedelta(hours=rules.session_max_hours))


def start_session(
    *, session: Session, user_id: int, now: datetime, ip: str = "", user_agent: str = "", commit: bool = True
) -> str:
    """Open a session for the account and return its secret (put it in the cookie signed, with
    ``sign_session_id``; it is not stored and cannot be read back)."""
    secret = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            key_hash=key_hash(secret),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            ip=ip[:64],
            user_agent=user_agent[:255],
        )
    )
    if commit:
        session.commit()
    return secret


def make_session_token(
    *, session: Session, user_id: int, secret: str, now: datetime | None = None, ip: str = "", user_agent: str = ""
) -> str:
    """A new session for the account, as the cookie's value (the login route's, and the tests'
    way to log somebody in without a password)."""
    session_id = start_session(session=session, user_id=user_id, now=now or now_utc(), ip=ip, user_agent=user_agent)
    return sign_session_id(session_id=session_id, secret=secret)


def _end(
    session: Session, row_id: int, user_id: int, username: str, reason: SessionEndReason, now: datetime, ip: str
) -> None:
    """End one session (if still open) and journal why; not committed."""
    ended = session.execute(
        sa.update(_sessions)
        .where(_sessions.c.id == row_id, _sessions.c.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )
    if ended.rowcount:  # type: ignore[attr-defined]
        kind = AuthEventKind.LOGOUT if reason is SessionEndReason.LOGOUT else AuthEventKind.SESSION_ENDED
        record_event(
            session=session,
            kind=kind,
            at=now,
            username=username,
            user_id=user_id,
            ip=ip,
            detail=f"Phiên #{row_id}: {REASON_LABELS[reason]}",
            commit=False,
        )


_CHECK = (
    sa.select(
        _sessions.c.id,
        _sessions.c.user_id,
        _sessions.c.created_at,
        _sessions.c.last_seen_at,
        _sessions.c.ended_at,
        _users.c.username,
        _users.c.active,
        _users.c.sessions_valid_after,
    )
    .join_from(_sessions, _users, _users.c.id == _sessions.c.user_id)
    .where(_sessions.c.key_hash == sa.bindparam("key_hash"))
)


def session_user(
    *, session: Session, session_id: str, limits: SessionLimits, now: datetime, ip: str = ""
) -> int | None:
    """The account of a valid session, else None; every page run and page load asks.

    One read; a write only to end a session found idle, too old or outdated by its account
    (journalled ``session_ended``), or to move ``last_seen_at`` once a minute."""
    row = session.execute(_CHECK, {"key_hash": key_hash(session_id)}).first()
    if row is None:
        return None
    row_id, user_id, created_at, last_seen_at, ended_at, username, active, valid_after = row
    if ended_at is not None:
        return None
    reason: SessionEndReason | None = None
    if not active or (valid_after is not None and created_at <= valid_after):
        reason = SessionEndReason.ACCOUNT_CHANGED
    elif now - created_at >= limits.max_age:
        reason = SessionEndReason.EXPIRED
    elif now - last_seen_at >= limits.idle:
        reason = SessionEndReason.IDLE
    if reason is not None:
        _end(session, row_id, user_id, username, reason, now, ip)
        session.commit()
        return None
    if now - last_seen_at >= TOUCH_EVERY:
        session.execute(
            sa.update(_sessions)
            .where(_sessions.c.id == row_id, _sessions.c.last_seen_at < now)
            .values(last_seen_at=now)
        )
        session.commit()
    return int(user_id)


def end_session(
    *,
    session: Session,
    session_id: str,
    now: datetime,
    reason: SessionEndReason = SessionEndReason.LOGOUT,
    ip: str = "",
) -> int | None:
    """End the session of this secret now (logout) and commit; returns its account's id, or None
    when there is no such session. Ending an ended session changes nothing."""
    row = session.execute(_CHECK, {"key_hash": key_hash(session_id)}).first()
    if row is None:
        return None
    _end(session, row.id, row.user_id, row.username, reason, now, ip)
    session.commit()
    return int(row.user_id)


def end_user_sessions(
    *,
    session: Session,
    user_id: int,
    reason: SessionEndReason,
    now: datetime | None = None,
    by_user_id: int | None = None,
    ip: str = "",
) -> int:
    """End every session of the account and commit: its ``sessions_valid_after`` becomes now (so
    a session being opened at this very moment is refused too) and each open row is ended with
    ``reason``. One event is journalled: ``sessions_ended_by_admin`` for ``ENDED_BY_ADMIN``, else
    ``session_ended``. Returns how many sessions were open. For a password change or a lock,
    call it after the change (or set ``User.sessions_valid_after`` yourself: it is honoured)."""
    now = now or now_utc()
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"Không có tài khoản #{user_id}.")
    user.sessions_valid_after = now
    session.add(user)
    ended = session.execute(
        sa.update(_sessions)
        .where(_sessions.c.user_id == user_id, _sessions.c.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )
    count = int(ended.rowcount)  # type: ignore[attr-defined]
    by_admin = reason is SessionEndReason.ENDED_BY_ADMIN
    record_event(
        session=session,
        kind=AuthEventKind.SESSIONS_ENDED_BY_ADMIN if by_admin else AuthEventKind.SESSION_ENDED,
        at=now,
        username=user.username,
        user_id=user_id,
        by_user_id=by_user_id,
        ip=ip,
        detail=f"Kết thúc {count} phiên đang mở: {REASON_LABELS[reason]}",
        commit=False,
    )
    session.commit()
    return count


def end_sessions_by_admin(
    *, session: Session, actor: Actor, user_id: int, now: datetime | None = None, ip: str = ""
) -> int:
    """ "Kết thúc mọi phiên đăng nhập" of an account (admins only): see ``end_user_sessions``."""
    require(actor, Permission.ADMIN, "Chỉ quản trị hệ thống kết thúc được phiên đăng nhập của tài khoản.")
    return end_user_sessions(
        session=session,
        user_id=user_id,
        reason=SessionEndReason.ENDED_BY_ADMIN,
        now=now,
        by_user_id=actor.user_id,
        ip=ip,
    )


@dataclass(frozen=True)
class AccountSessions:
    """An account as the admin's "end every session" choice shows it."""

    user_id: int
    username: str
    full_name: str
    active: bool
    open_sessions: int  # not ended, not idle, not too old, not outdated by the account
    last_seen_at: datetime | None


def accounts_with_sessions(
    *, session: Session, actor: Actor, limits: SessionLimits, now: datetime | None = None
) -> list[AccountSessions]:
    """Every account with the number of its live sessions, those with some first (admins only)."""
    require(actor, Permission.ADMIN, "Chỉ quản trị hệ thống xem phiên đăng nhập của các tài khoản.")
    now = now or now_utc()
    users = session.exec(select(User).order_by(col(User.username))).all()
    live = session.exec(
        select(AuthSession).where(
            col(AuthSession.ended_at).is_(None),
            col(AuthSession.created_at) > now - limits.max_age,
            col(AuthSession.last_seen_at) > now - limits.idle,
        )
    ).all()
    found: list[AccountSessions] = []
    for user in users:
        mine = [
            s
            for s in live
            if s.user_id == user.id
            and user.active
            and (user.sessions_valid_after is None or s.created_at > user.sessions_valid_after)
        ]
        found.append(
            AccountSessions(
                user_id=user.id or 0,
                username=user.username,
                full_name=user.full_name,
                active=user.active,
                open_sessions=len(mine),
                last_seen_at=max((s.last_seen_at for s in mine), default=None),
            )
        )
    return sorted(found, key=lambda a: (a.open_sessions == 0, a.username))


def cookie_user(
    *, session: Session, token: str | None, secret: str, limits: SessionLimits, now: datetime, ip: str = ""
) -> int | None:
    """The account behind a login cookie's value: genuine signature, then a valid session."""
    session_id = read_session_token(token=token, secret=secret, max_age_seconds=int(limits.max_age.total_seconds()))
    if session_id is None:
        return None
    return session_user(session=session, session_id=session_id, limits=limits, now=now, ip=ip)
