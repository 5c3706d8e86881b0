"""Local user accounts: created, given a new password, locked and unlocked by the admin's command
line (``manage.py``), and by the demo seed.

One password policy (``check_password``) for every password a person chooses. A new password and
a lock end the account's login sessions at once (``services.access.sessions.end_user_sessions``:
``User.sessions_valid_after`` and every open ``auth_session`` row): whoever knew the old
password, or sits at a browser the account was left open in, is out from that moment. Each
change is written to the security audit log (``auth_event``) in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlmodel import Session, select

from models import AuthEventKind, Role, SessionEndReason, User
from models.reminders import SYSTEM_USERNAME
from services.access import administrators
from services.access.audit import record_event
from services.access.auth import hash_password, normalise_username, verify_password
from services.access.sessions import end_user_sessions
from services.infra.errors import Conflict, InvalidInput, NotFound
from services.infra.text import clean_text
from services.org.units import unit_by_code

MIN_PASSWORD_LENGTH = 10
COMMAND_LINE = "qua dòng lệnh (manage.py)"  # the audit log's detail when no one is logged in
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The refused passwords of ``common_passwords.txt``, lower-case (read once per process)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def check_password(*, username: str, password: str) -> None:
    """Refuse a password that is easy to guess: shorter than 10 characters, the username or
    containing it (whatever the case), or one of the common passwords shipped with the app
    (the demo password of the README among them). Raises ``InvalidInput`` on ``password``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.", field="password")
    name = normalise_username(username).casefold()
    if name and name in password.casefold():
        raise InvalidInput("Mật khẩu không được chứa tên đăng nhập.", field="password")
    if password.strip().casefold() in common_passwords():
        raise InvalidInput(
            "Mật khẩu này quá phổ biến (có trong danh sách mật khẩu hay bị dò); hãy chọn mật khẩu khác.",
            field="password",
        )


def find_user(*, session: Session, username: str) -> User:
    """The account with this username (any case, spaces around ignored), else ``NotFound``."""
    name = normalise_username(username)
    user = session.exec(select(User).where(User.username == name)).first()
    if user is None:
        raise NotFound(f"Không có tài khoản '{username}'.")
    return user


def create_user(
    *,
    session: Session,
    username: str,
    full_name: str,
    password: str,
    role: Role,
    unit_code: str,
    password_hash: str | None = None,
) -> User:
    """Create an active account; the username is stored lower-case; the password must pass
    ``check_password``.

    ``password_hash`` (argon2, of ``password``) lets the demo seed hash its one shared password
    once instead of a hundred times: argon2 is slow on purpose. That password is public (it is in
    the README) and is not checked here; the production start refuses any account that still has
    it (``accounts_with_password``).
    """
    name = normalise_username(username)
    full_name = clean_text(full_name, label="Họ tên", field="full_name", max_len=255, multiline=False)
    if not name or session.exec(select(User).where(User.username == name)).first() is not None:
        raise InvalidInput(f"Tên đăng nhập '{username}' trống hoặc đã tồn tại.", field="username")
    if password_hash is None:
        check_password(username=name, password=password)
    unit = unit_by_code(session=session, code=unit_code)
    if unit is None or unit.id is None:
        raise InvalidInput(f"Không có đơn vị mã '{unit_code}'.", field="unit")
    hashed = password_hash or hash_password(password)
    user = User(username=name, full_name=full_name, password_hash=hashed, role=role, unit_id=unit.id)
    session.add(user)
    session.commit()
    return user


def set_password(
    *, session: Session, username: str, password: str, now: datetime, detail: str = COMMAND_LINE
) -> User:
    """Give the account a new password (``check_password``) and end its login sessions: every
    session begun before ``now`` is over, so a browser still logged in with the old password is
    logged out at its next request. One transaction: the hash, the sessions, the audit entry."""
    user = changeable(find_user(session=session, username=username))
    check_password(username=user.username, password=password)
    user.password_hash = hash_password(password)
    session.add(user)
    _audit(session, user, AuthEventKind.PASSWORD_CHANGED, now, detail)
    end_user_sessions(session=session, user_id=_id(user), reason=SessionEndReason.PASSWORD_CHANGED, now=now)
    return user


def set_locked(
    *,
    session: Session,
    username: str,
    locked: bool,
    now: datetime,
    config_dir: Path,
    detail: str = COMMAND_LINE,
    refusal: str | None = None,
) -> tuple[User, bool]:
    """Lock (``active = False``, its sessions ended at ``now``) or unlock an account; return it
    and whether anything changed (locking a locked account changes nothing).

    A locked account cannot log in and its API tokens act as nobody; nothing it did is touched.
    The last account able to administer (``services.access.administrators``) cannot be locked:
    nobody would be left to unlock anyone (only the command line could, and it needs no account,
    but the pages' administration would be gone): ``Conflict`` with ``refusal`` (by default the
    command line's words). ``config_dir``: the seed configuration, whose roles are in force while
    no version is stored.
    """
    user = changeable(find_user(session=session, username=username))
    if user.active != locked:
        return user, False
    roles = administrators.lock_roles(session=session, config_dir=config_dir) if locked else None
    before = administrators.administrators(session=session, roles=roles) if roles is not None else []
    user.active = not locked
    session.add(user)
    if roles is not None:
        administrators.keep_one(
            session=session,
            roles=roles,
            before=before,
            refusal=refusal
            or f"Không thể khoá '{user.username}': đây là tài khoản quản trị cuối cùng còn hoạt động. "
            "Tạo một quản trị khác trước (python manage.py create-admin).",
        )
    _audit(session, user, AuthEventKind.ACCOUNT_LOCKED if locked else AuthEventKind.ACCOUNT_UNLOCKED, now, detail)
    if locked:
        end_user_sessions(session=session, user_id=_id(user), reason=SessionEndReason.ACCOUNT_LOCKED, now=now)
    else:
        session.commit()
    return user, True


def changeable(user: User) -> User:
    """The account, if a person's: the system account the daily reminder job acts as
    (``models.reminders.SYSTEM_USERNAME``) is never unlocked, edited or given a password, from
    the pages or the command line, so nobody can ever log in as the job."""
    if user.username == SYSTEM_USERNAME:
        raise Conflict(
            f"“{user.username}” là tài khoản hệ thống của việc đôn đốc tự động: không đăng nhập được, "
            "không sửa, không mở khóa, không cấp mật khẩu."
        )
    return user


def _id(user: User) -> int:
    assert user.id is not None
    return user.id


def _audit(session: Session, user: User, kind: AuthEventKind, now: datetime, detail: str) -> None:
    """The account change in the security audit log, committed with the change itself."""
    record_event(
        session=session, kind=kind, at=now, username=user.username, user_id=user.id, detail=detail, commit=False
    )


def accounts_with_password(*, session: Session, password: str, usernames: Collection[str]) -> list[str]:
    """The active accounts whose password is ``password``, sorted by username.

    Meant for one publicly known password (the demo's): argon2 is slow on purpose, so not every
    account is tried. Tried are the accounts named in ``usernames`` and every account whose hash
    it shares with another one: a person's own password is hashed with its own random salt, so
    equal hashes only come from one hash given to many accounts, which is what the demo seed does.
    Each distinct hash is verified once.
    """
    names = {normalise_username(u) for u in usernames}
    everyone = session.exec(select(User)).all()
    shared = Counter(u.password_hash for u in everyone)  # locked accounts too: one unlocked is found
    active = [u for u in everyone if u.active]
    candidates = {u.password_hash for u in active if u.username in names or shared[u.password_hash] > 1}
    matching = {h for h in candidates if verify_password(h, password)}
    return sorted(u.username for u in active if u.password_hash in matching)
