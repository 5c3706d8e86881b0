"""Throttling of failed logins (services.access.throttle, services.access.login) on a real database.

Time is a parameter (``now=``): every wait, lockout and window below is checked to the second
without sleeping. Run on SQLite and PostgreSQL like every service test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from models import AuthEvent, AuthEventKind, LoginThrottle, Role, ThrottleScope
from services.access.login import WRONG_CREDENTIALS, LoginOutcome, LoginResult, attempt_login
from services.access.permissions import Actor
from services.access.throttle import check, record_failure, wait_after
from services.config.loader import LoginConfig
from services.runtime import Runtime
from tests.conftest import FINANCE, PASSWORD

RULES = LoginConfig(
    failure_window_minutes=15,
    free_failures_per_account=3,
    free_failures_per_address=5,
    first_delay_seconds=2,
    max_delay_seconds=10,
    max_failures_per_account=6,
    max_failures_per_address=12,
    lockout_minutes=15,
)
T0 = datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC)  # 08:00:00 in Vietnam
IP = "10.0.0.7"


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def clerk(make_user: Callable[[str, Role, str], Actor]) -> Actor:
    return make_user("stc.vanthu", Role.CLERK, FINANCE)


def attempt(
    session: Session, now: datetime, password: str = "sai-mat-khau", *, username: str = "stc.vanthu", ip: str = IP
) -> LoginResult:
    return attempt_login(
        session=session, username=username, password=password, ip=ip, user_agent="pytest", rules=RULES, now=now
    )


def kinds(session: Session) -> list[AuthEventKind]:
    return list(session.exec(select(AuthEvent.kind).order_by(col(AuthEvent.id))).all())


def failures(session: Session, scope: ThrottleScope, key: str) -> int | None:
    row = session.exec(select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key)).first()
    if row is None:
        return None
    session.refresh(row)
    return row.failures


def test_wait_grows_from_the_first_delay_doubling_up_to_the_cap() -> None:
    waits = [wait_after(failures=n, free=3, rules=RULES).total_seconds() for n in range(10)]
    assert waits == [0, 0, 0, 0, 2, 4, 8, 10, 10, 10]
    assert wait_after(failures=10_000, free=3, rules=RULES) == timedelta(seconds=10)


def test_account_waits_grow_then_lock_even_the_right_password(session: Session, clerk: Actor) -> None:
    # three free failures: the plain answer, no wait
    for i in range(3):
        result = attempt(session, s(i))
        assert (result.outcome, result.message, result.retry_at) == (LoginOutcome.WRONG, WRONG_CREDENTIALS, None)
    # the 4th: the next attempt must wait 2 s, and the answer says until when (Vietnam time)
    fourth = attempt(session, s(3))
    assert fourth.outcome is LoginOutcome.WRONG
    assert fourth.retry_at == s(5)
    assert fourth.message == (
        f"{WRONG_CREDENTIALS} Bạn đã nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau 2 giây (lúc 08:00:05)."
    )
    # too early: refused unheard, even with the right password, and not counted
    early = attempt(session, s(4), PASSWORD)
    assert early.outcome is LoginOutcome.REFUSED
    assert early.retry_at == s(5)
    assert early.message == "Bạn đã nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau 1 giây (lúc 08:00:05)."
    assert failures(session, ThrottleScope.ACCOUNT, "stc.vanthu") == 4
    # on time, wrong again: now 4 s
    assert attempt(session, s(5)).retry_at == s(9)
    # the 6th failure (max_failures_per_account) locks the account name for 15 minutes
    locking = attempt(session, s(9))
    assert locking.outcome is LoginOutcome.WRONG
    assert locking.retry_at == s(9 + 15 * 60)
    assert locking.message == (
        f"{WRONG_CREDENTIALS} Tài khoản tạm bị khóa vì nhập sai mật khẩu quá nhiều lần. "
        "Vui lòng thử lại sau 15 phút (lúc 08:15:09)."
    )
    # during the lockout the right password is refused too
    locked = attempt(session, s(9 + 14 * 60 + 59), PASSWORD)
    assert locked.outcome is LoginOutcome.REFUSED
    assert locked.message == (
        "Tài khoản tạm bị khóa vì nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau 1 giây (lúc 08:15:09)."
    )
    # once it is over, the right password opens a session and the account's count is forgotten
    ok = attempt(session, s(9 + 15 * 60), PASSWORD)
    assert ok.outcome is LoginOutcome.OK and ok.user_id == clerk.user_id and ok.session_id
    assert failures(session, ThrottleScope.ACCOUNT, "stc.vanthu") is None
    assert failures(session, ThrottleScope.ADDRESS, IP) == 6  # the address remembers
    F, R = AuthEventKind.LOGIN_FAILED, AuthEventKind.THROTTLED
    assert kinds(session) == [F, F, F, F, R, F, F, AuthEventKind.LOCKED_OUT, R, AuthEventKind.LOGIN_OK]


def test_the_audit_log_says_who_from_where_and_why(session: Session, clerk: Actor) -> None:
    attempt(session, s(0), username="  STC.VanThu ")
    attempt(session, s(1), username="khong.ai")
    attempt(session, s(2), PASSWORD)
    rows = session.exec(select(AuthEvent).order_by(col(AuthEvent.id))).all()
    assert [(e.kind, e.username, e.user_id, e.ip, e.detail) for e in rows] == [
        (AuthEventKind.LOGIN_FAILED, "stc.vanthu", clerk.user_id, IP, "sai mật khẩu"),
        (AuthEventKind.LOGIN_FAILED, "khong.ai", None, IP, "tên đăng nhập không tồn tại"),
        (AuthEventKind.LOGIN_OK, "stc.vanthu", clerk.user_id, IP, ""),
    ]
    assert [e.at for e in rows] == [s(0), s(1), s(2)]


def test_an_unknown_name_is_throttled_exactly_like_a_real_account(session: Session, clerk: Actor) -> None:
    """The answers never tell whether an account exists."""
    real = [attempt(session, s(20 * i)).message for i in range(7)]
    ghost = [attempt(session, s(20 * i), username="khong.ton.tai", ip="10.0.0.8").message for i in range(7)]
    assert real == ghost
    assert "Tài khoản tạm bị khóa" in ghost[-1]


def test_a_success_forgets_the_accounts_failures(session: Session, clerk: Actor) -> None:
    for i in range(5):
        attempt(session, s(10 * i))
    assert attempt(session, s(100), PASSWORD).outcome is LoginOutcome.OK
    # a fresh count: three free failures again (from another address, which has no count yet)
    assert [attempt(session, s(101 + i), ip="10.0.0.8").retry_at for i in range(4)] == [None, None, None, s(106)]


def test_failures_are_forgotten_after_a_quiet_window(session: Session, clerk: Actor) -> None:
    for i in range(5):
        attempt(session, s(10 * i))
    assert check(session=session, account="stc.vanthu", address=IP, rules=RULES, now=s(40 + 3)) is not None
    quiet = s(40 + 15 * 60)  # 15 minutes after the last failure
    assert check(session=session, account="stc.vanthu", address=IP, rules=RULES, now=quiet) is None
    assert attempt(session, quiet).retry_at is None  # counted as the first of a new series
    assert failures(session, ThrottleScope.ACCOUNT, "stc.vanthu") == 1


def test_a_lockout_over_starts_the_count_again(session: Session, clerk: Actor) -> None:
    for i in range(6):
        attempt(session, s(100 * i))
    after = s(500 + 15 * 60)
    assert attempt(session, after).retry_at is None
    assert failures(session, ThrottleScope.ACCOUNT, "stc.vanthu") == 1


def test_the_address_is_counted_across_account_names(session: Session, clerk: Actor) -> None:
    """Guessing one password for many names: each name stays under its limit, the address does not."""
    results = [attempt(session, s(20 * i), username=f"ten{i}") for i in range(12)]
    assert [r.retry_at is not None for r in results[:5]] == [False] * 5
    assert results[5].message == (
        f"{WRONG_CREDENTIALS} Có nhiều lần đăng nhập sai từ địa chỉ của bạn. "
        "Vui lòng thử lại sau 2 giây (lúc 08:01:42)."
    )
    assert "Địa chỉ của bạn tạm bị chặn đăng nhập" in results[11].message
    # the right password of a real account from that address is refused, from another it is not
    refused = attempt(session, s(20 * 11 + 60), PASSWORD)
    assert refused.outcome is LoginOutcome.REFUSED
    assert refused.message.startswith("Địa chỉ của bạn tạm bị chặn đăng nhập vì có quá nhiều lần đăng nhập sai.")
    assert attempt(session, s(20 * 11 + 60), PASSWORD, ip="10.0.0.9").outcome is LoginOutcome.OK
    locks = session.exec(select(AuthEvent).where(AuthEvent.kind == AuthEventKind.LOCKED_OUT)).all()
    assert [(e.username, e.ip, e.detail) for e in locks] == [
        ("ten11", IP, "địa chỉ đang khóa đến 08:18:40 sau 12 lần sai")
    ]


def test_parallel_failures_are_all_counted(runtime: Runtime, session: Session) -> None:
    """Twelve threads, each with its own connection, count a failure at the same moment: the
    count is one UPDATE per failure, so none is lost (and the lock begins exactly once)."""
    threads = 12
    barrier = threading.Barrier(threads)
    started: list[int] = []
    errors: list[BaseException] = []

    def fail() -> None:
        try:
            with Session(runtime.engine) as own:
                barrier.wait(timeout=30)
                locks = record_failure(session=own, account="ai.do", address="10.0.0.99", rules=RULES, now=s(0))
                own.commit()
                started.append(len(locks))
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=fail) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert errors == []
    assert failures(session, ThrottleScope.ACCOUNT, "ai.do") == threads
    assert failures(session, ThrottleScope.ADDRESS, "10.0.0.99") == threads
    # the account's lock (at 6) and the address's (at 12) each began in exactly one thread
    assert sum(started) == 2


def test_hammering_a_locked_name_writes_a_row_a_minute_not_a_row_a_request(session: Session, clerk: Actor) -> None:
    """The log cannot be cleaned, so refusals of one name from one address are journalled once a
    minute; every real failure still is."""
    for i in range(6):
        attempt(session, s(100 * i))  # locked at s(500) until s(1400)
    for second in range(0, 150, 5):  # 30 refused attempts over two and a half minutes
        assert attempt(session, s(600 + second), PASSWORD).outcome is LoginOutcome.REFUSED
    attempt(session, s(700), ip="10.0.0.8")  # another address: journalled on its own
    throttled = session.exec(
        select(AuthEvent.at, AuthEvent.ip).where(AuthEvent.kind == AuthEventKind.THROTTLED).order_by(col(AuthEvent.id))
    ).all()
    assert [(at, ip) for at, ip in throttled] == [(s(600), IP), (s(660), IP), (s(720), IP), (s(700), "10.0.0.8")]
    assert kinds(session).count(AuthEventKind.LOGIN_FAILED) == 6
