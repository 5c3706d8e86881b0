"""One login attempt from start to end: throttle, password, session, audit log.

The HTTP route (``web/auth_routes.py``) runs this in a thread pool: it verifies an argon2 hash
(~0.25 s of CPU on purpose), and the server's event loop must keep answering everybody else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from models import AuthEventKind, User
from services.access.audit import record_event, record_refusal
from services.access.auth import authenticate, normalise_username
from services.access.sessions import start_session
from services.access.throttle import Refusal, check, record_failure, record_success
from services.config.loader import LoginConfig

WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


class LoginOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # wrong name or password (or an inactive account): the same answer for all
    REFUSED = "refused"  # throttled or locked out: the password was not even checked


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    message: str = ""  # Vietnamese, for the form; empty on success
    session_id: str | None = None  # the new session's secret (sign it into the cookie)
    user_id: int | None = None
    retry_at: datetime | None = None  # when a refused (or now throttled) attempt may come back


def _user(session: Session, account: str) -> User | None:
    return session.exec(select(User).where(User.username == account)).first()


def _refused(session: Session, refusal: Refusal, account: str, ip: str, now: datetime) -> LoginResult:
    known = _user(session, account)
    record_refusal(
        session=session,
        kind=AuthEventKind.THROTTLED,
        at=now,
        username=account,
        user_id=known.id if known else None,
        ip=ip,
        detail=refusal.detail,
    )
    return LoginResult(outcome=LoginOutcome.REFUSED, message=refusal.message, retry_at=refusal.until)


def attempt_login(
    *,
    session: Session,
    username: str,
    password: str,
    ip: str,
    user_agent: str,
    rules: LoginConfig,
    now: datetime,
) -> LoginResult:
    """Check the throttle, then the password; on success open a session. Everything is
    journalled in the audit log and committed. A throttled attempt is refused without looking
    at the password (a correct one during a lockout is refused too) and is not counted; the
    same name refused from the same address is journalled once a minute at most."""
    account = normalise_username(username)
    refusal = check(session=session, account=account, address=ip, rules=rules, now=now)
    if refusal is not None:
        return _refused(session, refusal, account, ip, now)
    session.rollback()  # no read transaction stays open for the length of argon2
    user = authenticate(session=session, username=account, password=password)
    if user is None or user.id is None:
        known = _user(session, account)
        known_id = known.id if known else None
        why = (
            "tên đăng nhập không tồn tại"
            if known is None
            else ("tài khoản đã ngừng hoạt động" if not known.active else "sai mật khẩu")
        )
        session.rollback()  # the counting UPDATE starts a fresh write transaction
        locks = record_failure(session=session, account=account, address=ip, rules=rules, now=now)
        record_event(
            session=session,
            kind=AuthEventKind.LOGIN_FAILED,
            at=now,
            username=account,
            user_id=known_id,
            ip=ip,
            detail=why,
            commit=False,
        )
        for lock in locks:
            record_event(
                session=session,
                kind=AuthEventKind.LOCKED_OUT,
                at=now,
                username=account,
                user_id=known_id,
                ip=ip,
                detail=lock.detail,
                commit=False,
            )
        session.commit()
        # Say when the next attempt will be heard, if it has to wait.
        wait = check(session=session, account=account, address=ip, rules=rules, now=now)
        return LoginResult(
            outcome=LoginOutcome.WRONG,
            message=f"{WRONG_CREDENTIALS} {wait.message}" if wait else WRONG_CREDENTIALS,
            retry_at=wait.until if wait else None,
        )
    user_id = user.id
    session.rollback()
    record_success(session=session, account=account)
    session_id = start_session(session=session, user_id=user_id, now=now, ip=ip, user_agent=user_agent, commit=False)
    record_event(
        session=session, kind=AuthEventKind.LOGIN_OK, at=now, username=account, user_id=user_id, ip=ip, commit=False
    )
    session.commit()
    return LoginResult(outcome=LoginOutcome.OK, session_id=session_id, user_id=user_id)
