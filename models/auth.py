"""Tables of the login: server-side sessions, the login throttle and the security audit log.

A login cookie carries only a signed random secret; what it is worth is decided here, in the
database, on every request: ending a row (logout, an admin, a password change) refuses the cookie
at once in every server process. Failed logins are counted per account and per address in
``login_throttle`` for the same reason (several processes behind nginx share one count). The
audit log ``auth_event`` only grows, like the task journal: the database refuses UPDATE and
DELETE (migration 0007).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import enum_type


class AuthEventKind(StrEnum):
    """What the security audit log records (labels: ``services.access.audit.KIND_LABELS``)."""

    LOGIN_OK = "login_ok"
    LOGIN_FAILED = "login_failed"
    THROTTLED = "throttled"  # an attempt refused unheard: too early after failures, or during a lockout
    LOCKED_OUT = "locked_out"  # a lockout began (of an account or of an address)
    CSRF_REFUSED = "csrf_refused"  # a login/logout form from another site or without its token
    LOGOUT = "logout"
    SESSION_ENDED = "session_ended"  # idle, too old, account changed, or ended by a service
    SESSIONS_ENDED_BY_ADMIN = "sessions_ended_by_admin"
    PASSWORD_CHANGED = "password_changed"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_UNLOCKED = "account_unlocked"


class SessionEndReason(StrEnum):
    """Why a login session is over (``auth_session.ended_reason``)."""

    LOGOUT = "logout"
    IDLE = "idle"  # no request for longer than the idle timeout
    EXPIRED = "expired"  # older than the absolute timeout
    ACCOUNT_CHANGED = "account_changed"  # begun before ``app_user.sessions_valid_after``, or account inactive
    ENDED_BY_ADMIN = "ended_by_admin"
    PASSWORD_CHANGED = "password_changed"
    ACCOUNT_LOCKED = "account_locked"


class ThrottleScope(StrEnum):
    """What a ``login_throttle`` row counts failures of."""

    ACCOUNT = "account"  # the user name as typed (known or not: the answer must not tell)
    ADDRESS = "address"  # the client IP address


class AuthSession(SQLModel, table=True):
    """One login: valid while not ended, not idle, not too old, and begun after the account's
    ``sessions_valid_after``. Only a SHA-256 of the cookie's secret is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime
    last_seen_at: datetime  # written at most once a minute (services.access.sessions.TOUCH_EVERY)
    ended_at: datetime | None = None
    ended_reason: SessionEndReason | None = Field(default=None, sa_type=enum_type(SessionEndReason), nullable=True)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)


class LoginThrottle(SQLModel, table=True):
    """Recent failed logins of one account name or one address, and its lockout if any."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_login_throttle_scope_key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: ThrottleScope = Field(sa_type=enum_type(ThrottleScope))
    key: str = Field(max_length=64)
    failures: int = 0  # since the count last started again (quiet for the window, or a lockout over)
    last_failure_at: datetime
    locked_until: datetime | None = None


class AuthEvent(SQLModel, table=True):
    """One line of the security audit log (append-only)."""

    __tablename__ = "auth_event"
    __table_args__ = (Index("ix_auth_event_username_at", "username", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    kind: AuthEventKind = Field(sa_type=enum_type(AuthEventKind))
    username: str = Field(default="", max_length=64)  # as typed (trimmed, lower case) or the account's
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    by_user_id: int | None = Field(default=None, foreign_key="app_user.id")  # the admin who did it
    ip: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=500)
