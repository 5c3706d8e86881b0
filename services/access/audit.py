"""The security audit log: every login, failure, refusal, lockout, logout and ended session.

An admin reads it on "Nhật ký đăng nhập" to see who tried what from where; the rows only grow
(the database refuses UPDATE and DELETE on ``auth_event``). Other services write their own
account changes here too (``record_event`` with ``PASSWORD_CHANGED``, ``ACCOUNT_LOCKED`` …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import AuthEvent, AuthEventKind, Permission, User
from services.access.permissions import Actor, require
from services.infra.clock import VN_TZ, now_utc

# What the admin reads for each kind (the page's filter and table).
KIND_LABELS: dict[AuthEventKind, str] = {
    AuthEventKind.LOGIN_OK: "Đăng nhập thành công",
    AuthEventKind.LOGIN_FAILED: "Đăng nhập sai",
    AuthEventKind.THROTTLED: "Bị từ chối (chờ / đang khóa)",
    AuthEventKind.LOCKED_OUT: "Bắt đầu khóa tạm thời",
    AuthEventKind.CSRF_REFUSED: "Biểu mẫu không hợp lệ (CSRF)",
    AuthEventKind.LOGOUT: "Đăng xuất",
    AuthEventKind.SESSION_ENDED: "Phiên kết thúc",
    AuthEventKind.SESSIONS_ENDED_BY_ADMIN: "Quản trị kết thúc mọi phiên",
    AuthEventKind.PASSWORD_CHANGED: "Đổi mật khẩu",
    AuthEventKind.ACCOUNT_LOCKED: "Khóa tài khoản",
    AuthEventKind.ACCOUNT_UNLOCKED: "Mở khóa tài khoản",
}
DEFAULT_LIMIT = 500


def record_event(
    *,
    session: Session,
    kind: AuthEventKind,
    at: datetime | None = None,
    username: str = "",
    user_id: int | None = None,
    by_user_id: int | None = None,
    ip: str = "",
    detail: str = "",
    commit: bool = True,
) -> AuthEvent:
    """Append one event (texts cut to their columns). ``commit=False`` leaves the commit to a
    caller that writes more in the same transaction (the login writes its throttle too)."""
    event = AuthEvent(
        at=at or now_utc(),
        kind=kind,
        username=username.strip().lower()[:64],
        user_id=user_id,
        by_user_id=by_user_id,
        ip=ip[:64],
        detail=detail[:500],
    )
    session.add(event)
    if commit:
        session.commit()
    return event


REPEAT_QUIET = timedelta(minutes=1)


def record_refusal(
    *,
    session: Session,
    kind: AuthEventKind,
    at: datetime,
    username: str = "",
    user_id: int | None = None,
    ip: str = "",
    detail: str = "",
) -> bool:
    """Journal a refused request (a throttled attempt, a form refused for CSRF) unless the same
    kind for the same name from the same address was journalled within ``REPEAT_QUIET``; commits.

    The log only grows and cannot be cleaned: somebody hammering a locked account, or a page of
    another site posting in a loop, must not write a row per request. Failures, lockouts, logins
    and logouts are always journalled (``record_event``). Returns whether a row was written."""
    name, address = username.strip().lower()[:64], ip[:64]
    recent = session.exec(
        select(AuthEvent.id)
        .where(
            AuthEvent.kind == kind,
            AuthEvent.username == name,
            AuthEvent.ip == address,
            col(AuthEvent.at) > at - REPEAT_QUIET,
        )
        .limit(1)
    ).first()
    if recent is not None:
        return False
    record_event(session=session, kind=kind, at=at, username=name, user_id=user_id, ip=address, detail=detail)
    return True


@dataclass(frozen=True)
class AuthEventRow:
    """One event as the admin page lists it."""

    event_id: int
    at: datetime
    kind: AuthEventKind
    label: str
    username: str
    full_name: str  # of the account when known, else ""
    ip: str
    detail: str
    by_username: str  # the admin who did it, else ""


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in Vietnam, as UTC (the log is read in local days)."""
    return datetime.combine(day, time(0), tzinfo=VN_TZ).astimezone(UTC)


def list_events(
    *,
    session: Session,
    actor: Actor,
    username: str = "",
    kind: AuthEventKind | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[AuthEventRow]:
    """The newest events first, filtered by user name (exact, any case), kind and Vietnam days
    (both included). Admins only: the log shows who failed to log in from where."""
    require(actor, Permission.ADMIN, "Chỉ quản trị hệ thống xem nhật ký đăng nhập.")
    admin = aliased(User)
    query = (
        select(AuthEvent, User.full_name, admin.username)
        .outerjoin(User, col(User.id) == col(AuthEvent.user_id))
        .outerjoin(admin, col(admin.id) == col(AuthEvent.by_user_id))
    )
    if name := username.strip().lower():
        query = query.where(AuthEvent.username == name)
    if kind is not None:
        query = query.where(AuthEvent.kind == kind)
    if date_from is not None:
        query = query.where(col(AuthEvent.at) >= _start_of(date_from))
    if date_to is not None:
        query = query.where(col(AuthEvent.at) < _start_of(date_to + timedelta(days=1)))
    rows = session.exec(query.order_by(col(AuthEvent.at).desc(), col(AuthEvent.id).desc()).limit(limit)).all()
    return [
        AuthEventRow(
            event_id=event.id or 0,
            at=event.at,
            kind=event.kind,
            label=KIND_LABELS[event.kind],
            username=event.username,
            full_name=full_name or "",
            ip=event.ip,
            detail=event.detail,
            by_username=by_username or "",
        )
        for event, full_name, by_username in rows
    ]
