"""Throttling of failed logins: growing waits, then a temporary lockout.

Wrong passwords are counted per account name (known or not, so the answer never tells whether
an account exists) and per client address (``config/app.yaml`` ``login:``). The first
``free_failures_*`` cost nothing; after each further one the next attempt must wait
``first_delay_seconds``, doubling up to ``max_delay_seconds``; at ``max_failures_*`` the account
name (or the address) is refused outright for ``lockout_minutes``, a correct password included.
Failures are forgotten after ``failure_window_minutes`` without a new one, and a lockout that is
over starts the count again. A successful login forgets the account's failures (not the
address's: one good account must not wash an address clean).

The server never sleeps: an early attempt is refused at once with the time it may come back.
The counts live in ``login_throttle`` so that every server process behind nginx shares them;
a failure is counted with one UPDATE of its row (``failures = failures + 1``), which the
database serialises, so parallel attempts cannot lose a count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from models import LoginThrottle, ThrottleScope
from services.config.loader import LoginConfig
from services.infra.clock import VN_TZ

_table = LoginThrottle.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Refusal:
    """An attempt refused before its password is even checked."""

    scope: ThrottleScope
    locked: bool  # a lockout (else a wait after failures)
    until: datetime  # the attempt may come back from this moment
    failures: int
    message: str  # Vietnamese, for the person at the form

    @property
    def detail(self) -> str:
        """For the audit log."""
        what = "tài khoản" if self.scope is ThrottleScope.ACCOUNT else "địa chỉ"
        state = "đang khóa" if self.locked else "phải chờ"
        return f"{what} {state} đến {_clock(self.until)} sau {self.failures} lần sai"

    def retry_after_seconds(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))


def _free(rules: LoginConfig, scope: ThrottleScope) -> int:
    return rules.free_failures_per_account if scope is ThrottleScope.ACCOUNT else rules.free_failures_per_address


def _max(rules: LoginConfig, scope: ThrottleScope) -> int:
    return rules.max_failures_per_account if scope is ThrottleScope.ACCOUNT else rules.max_failures_per_address


def wait_after(*, failures: int, free: int, rules: LoginConfig) -> timedelta:
    """How long the next attempt waits after ``failures`` wrong passwords in a row: nothing for
    the free ones, then ``first_delay_seconds``, doubled each time, at most ``max_delay_seconds``."""
    if failures <= free:
        return timedelta(0)
    doublings = min(failures - free - 1, 30)
    return timedelta(seconds=min(rules.first_delay_seconds * 2**doublings, rules.max_delay_seconds))


def _clock(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%H:%M:%S")


def _left(until: datetime, now: datetime) -> str:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return f"{seconds} giây" if seconds < 60 else f"{math.ceil(seconds / 60)} phút"


def _message(scope: ThrottleScope, locked: bool, until: datetime, now: datetime) -> str:
    when = f"Vui lòng thử lại sau {_left(until, now)} (lúc {_clock(until)})."
    if scope is ThrottleScope.ACCOUNT and locked:
        return f"Tài khoản tạm bị khóa vì nhập sai mật khẩu quá nhiều lần. {when}"
    if scope is ThrottleScope.ACCOUNT:
        return f"Bạn đã nhập sai mật khẩu nhiều lần. {when}"
    if locked:
        return f"Địa chỉ của bạn tạm bị chặn đăng nhập vì có quá nhiều lần đăng nhập sai. {when}"
    return f"Có nhiều lần đăng nhập sai từ địa chỉ của bạn. {when}"


def _refusal(
    scope: ThrottleScope,
    failures: int,
    last_failure_at: datetime,
    locked_until: datetime | None,
    *,
    rules: LoginConfig,
    now: datetime,
) -> Refusal | None:
    if locked_until is not None:
        if locked_until > now:
            return Refusal(
                scope=scope,
                locked=True,
                until=locked_until,
                failures=failures,
                message=_message(scope, True, locked_until, now),
            )
        return None  # the lockout is over: the count starts again
    if now - last_failure_at >= timedelta(minutes=rules.failure_window_minutes):
        return None
    until = last_failure_at + wait_after(failures=failures, free=_free(rules, scope), rules=rules)
    if until <= now:
        return None
    return Refusal(
        scope=scope, locked=False, until=until, failures=failures, message=_message(scope, False, until, now)
    )


def _keys(account: str, address: str) -> list[tuple[ThrottleScope, str]]:
    keys = [(ThrottleScope.ACCOUNT, account[:64])]
    if address:
        keys.append((ThrottleScope.ADDRESS, address[:64]))
    return keys


def check(*, session: Session, account: str, address: str, rules: LoginConfig, now: datetime) -> Refusal | None:
    """Why an attempt for ``account`` (the normalised user name) from ``address`` must not be
    heard now, or None. A lockout wins over a wait, then the later moment."""
    found: list[Refusal] = []
    for scope, key in _keys(account, address):
        # Core, not ORM objects: a session that counted a failure a moment ago reads the new row.
        row = session.execute(
            sa.select(_table.c.failures, _table.c.last_failure_at, _table.c.locked_until).where(
                _table.c.scope == scope, _table.c.key == key
            )
        ).first()
        if row is not None and (refusal := _refusal(scope, *row, rules=rules, now=now)) is not None:
            found.append(refusal)
    if not found:
        return None
    return max(found, key=lambda r: (r.locked, r.until))


def _insert_if_missing(session: Session, scope: ThrottleScope, key: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(_table)
        .values(scope=scope, key=key, failures=0, last_failure_at=now, locked_until=None)
        .on_conflict_do_nothing(index_elements=["scope", "key"])
    )
    session.execute(statement)


def record_failure(*, session: Session, account: str, address: str, rules: LoginConfig, now: datetime) -> list[Refusal]:
    """Count one wrong password for the account name and the address (not committed: the login
    commits it with its audit event). Returns the lockouts that this failure began."""
    started: list[Refusal] = []
    window_start = now - timedelta(minutes=rules.failure_window_minutes)
    lock_end = now + timedelta(minutes=rules.lockout_minutes)
    for scope, key in _keys(account, address):
        _insert_if_missing(session, scope, key, now)
        last = col(LoginThrottle.last_failure_at)
        locked_until = col(LoginThrottle.locked_until)
        failures = col(LoginThrottle.failures)
        # All SET expressions read the row as it was: a quiet window or an ended lockout starts over.
        fresh = sa.or_(last <= window_start, sa.and_(locked_until.is_not(None), locked_until <= now))
        lock_at = sa.literal(lock_end, _table.c.locked_until.type)
        limit = _max(rules, scope)
        session.execute(
            sa.update(_table)
            .where(_table.c.scope == scope, _table.c.key == key)
            .values(
                failures=sa.case((fresh, 1), else_=failures + 1),
                last_failure_at=now,
                locked_until=sa.case(
                    (fresh, lock_at if limit <= 1 else sa.null()),
                    (sa.and_(locked_until.is_(None), failures + 1 >= limit), lock_at),
                    else_=locked_until,
                ),
            )
        )
        count, until = session.execute(
            sa.select(_table.c.failures, _table.c.locked_until).where(_table.c.scope == scope, _table.c.key == key)
        ).one()
        if until is not None and until == lock_end and count == limit:  # this very failure locked it
            started.append(
                Refusal(
                    scope=scope,
                    locked=True,
                    until=lock_end,
                    failures=count,
                    message=_message(scope, True, lock_end, now),
                )
            )
    return started


def record_success(*, session: Session, account: str) -> None:
    """Forget the account name's failures (not committed; the login commits)."""
    session.execute(sa.delete(_table).where(_table.c.scope == ThrottleScope.ACCOUNT, _table.c.key == account[:64]))
