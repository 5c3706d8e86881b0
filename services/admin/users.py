"""Người dùng: the admin's accounts through forms (issue 10), and a person's own password change.

Every admin change here is one call: it checks ``Permission.ADMIN``, validates every field at
once (so a form shows all its refusals in one round), applies the change, writes one row of the
administration journal (``services.admin.journal.record``: never a password nor a hash) and
commits, all in one transaction: the journal holds exactly what was done.

A password the admin hands out (a new account's, a reset) is generated here, returned once for
the admin's screen and never stored in clear: the account is marked ``must_change_password`` and
the app shows its user nothing but "Đổi mật khẩu" until they choose their own. The admin saw it,
so it must not stay the account's password.

The last account able to administer (``services.access.administrators``) can be neither locked,
demoted nor moved where its role lacks ``admin``: nobody could then administer the app through
its pages (only ``manage.py`` on the server could).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import AdminEntity, AuthEventKind, AuthSession, OrgUnit, Permission, Role, SessionEndReason, User
from services.access import accounts, administrators
from services.access.audit import record_event
from services.access.auth import hash_password, normalise_username, verify_password
from services.access.permissions import Actor, require
from services.access.sessions import key_hash
from services.admin import journal
from services.infra.clock import now_utc
from services.infra.errors import FieldError, InvalidInput, NotFound, ServiceError
from services.infra.text import clean_text, matches, normalise_text

ADMIN_ONLY = "Chỉ quản trị hệ thống quản lý được tài khoản người dùng."
USERNAME_RULE = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
USERNAME_HINT = (
    "Tên đăng nhập gồm 3 đến 64 ký tự: chữ thường không dấu, chữ số và các dấu . _ -, "
    "bắt đầu bằng chữ hoặc số (ví dụ stc.vanthu)."
)
EMAIL_RULE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
EMAIL_MAX = 255
# No look-alikes (0/O, 1/l/I) in a password read off a screen and typed by hand.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PASSWORD_GROUPS = 3
_GROUP_LENGTH = 4


@dataclass(frozen=True)
class AccountRow:
    """One account as the "Người dùng" list shows it (no hash)."""

    user_id: int
    username: str
    full_name: str
    role: Role
    unit_code: str
    unit_name: str
    email: str
    active: bool
    must_change_password: bool


def generate_password() -> str:
    """A random first password, "Xk7p-2mQa-9tRe" (about 70 bits): easy to read off the screen and
    type once, and it passes ``check_password`` for any username (drawn again on the rare miss)."""
    while True:
        groups = (
            "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_PASSWORD_GROUPS)
        )
        password = "-".join(groups)
        try:
            accounts.check_password(username="", password=password)
        except InvalidInput:  # pragma: no cover - a common password drawn by chance
            continue
        return password


def _fits_username(password: str, username: str) -> str:
    """``password``, or a new one if it happens to contain the username (a very short one)."""
    while True:
        try:
            accounts.check_password(username=username, password=password)
        except InvalidInput:  # pragma: no cover - a 3-letter username drawn inside the password
            password = generate_password()
            continue
        return password


def list_accounts(
    *,
    session: Session,
    actor: Actor,
    query: str = "",
    unit_code: str | None = None,
    role: Role | None = None,
    locked: bool | None = None,
) -> list[AccountRow]:
    """The accounts matching the filters, by username. ``query`` finds every word in the username
    or the full name, with or without accents ("nguyen van" finds "Nguyễn Văn …"): people type
    names without diacritics on many keyboards."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    rows = session.exec(
        select(User, OrgUnit).join(OrgUnit, col(OrgUnit.id) == col(User.unit_id)).order_by(col(User.username))
    ).all()
    found: list[AccountRow] = []
    for user, unit in rows:
        if unit_code and unit.code != unit_code:
            continue
        if role is not None and user.role != role:
            continue
        if locked is not None and user.active == locked:
            continue
        if query.strip() and not matches(query, user.username, user.full_name):
            continue
        found.append(_row(user, unit))
    return found


def account(*, session: Session, actor: Actor, username: str) -> AccountRow:
    """One account, for the edit form (``NotFound`` when there is none)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    user = accounts.find_user(session=session, username=username)
    return _row(user, _unit_of(session, user))


def create_account(
    *,
    session: Session,
    actor: Actor,
    username: str,
    full_name: str,
    role: Role | str,
    unit_code: str,
    email: str = "",
) -> tuple[AccountRow, str]:
    """Create an active account with a generated first password; return it and the password.

    The password is returned once for the admin's screen and kept only as its argon2 hash; the
    account must change it at its first login (``must_change_password``). Every field is checked
    before anything is written: a refusal names each wrong field and changes nothing."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    errors: list[FieldError] = []
    name = normalise_username(username)
    if not name:
        errors.append(FieldError("username", "Tên đăng nhập không được để trống."))
    elif not USERNAME_RULE.fullmatch(name):
        errors.append(FieldError("username", USERNAME_HINT))
    elif session.exec(select(User.id).where(User.username == name)).first() is not None:
        errors.append(FieldError("username", f"Tên đăng nhập “{name}” đã có; hãy chọn tên khác."))
    clean_name = _collect(errors, _full_name, full_name)
    chosen_role = _collect(errors, _role, role)
    unit = _collect(errors, _unit, session, unit_code)
    clean_email = _collect(errors, _email, email)
    if errors:
        raise InvalidInput.of(errors)
    assert clean_name is not None and chosen_role is not None and unit is not None and unit.id is not None
    password = _fits_username(generate_password(), name)
    user = User(
        username=name,
        full_name=clean_name,
        password_hash=hash_password(password),
        role=chosen_role,
        unit_id=unit.id,
        email=clean_email,
        must_change_password=True,
    )
    session.add(user)
    journal.record(
        session=session,
        actor=actor,
        entity=AdminEntity.USER,
        key=name,
        action="create",
        after=_snapshot(user, unit),
        detail="Tạo tài khoản; mật khẩu đầu tiên do hệ thống sinh, phải đổi khi đăng nhập lần đầu.",
    )
    _commit(session, name)
    return _row(user, unit), password


def update_account(
    *,
    session: Session,
    actor: Actor,
    username: str,
    full_name: str,
    role: Role | str,
    unit_code: str,
    config_dir: Path,
    email: str = "",
) -> bool:
    """Save the account's full name, role, unit and e-mail; return whether anything changed
    (nothing changed: nothing is written, not even a journal row).

    A new role or unit takes effect at the account's next click: the pages build its permissions
    from the database on every run. The last account able to administer keeps a role and a unit
    that let it (``services.access.administrators``; ``config_dir``: the seed configuration)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    user = accounts.changeable(accounts.find_user(session=session, username=username))
    errors: list[FieldError] = []
    clean_name = _collect(errors, _full_name, full_name)
    chosen_role = _collect(errors, _role, role)
    unit = _collect(errors, _unit, session, unit_code, current=user.unit_id)
    clean_email = _collect(errors, _email, email)
    if errors:
        raise InvalidInput.of(errors)
    assert clean_name is not None and chosen_role is not None and unit is not None and unit.id is not None
    roles = administrators.lock_roles(session=session, config_dir=config_dir)
    admins_before = administrators.administrators(session=session, roles=roles)
    before = _snapshot(user, _unit_of(session, user))
    user.full_name, user.role, user.unit_id, user.email = clean_name, chosen_role, unit.id, clean_email
    after = _snapshot(user, unit)
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        session.rollback()
        return False
    session.add(user)
    what = "đổi vai trò của" if "role" in changed else "chuyển đơn vị của"
    administrators.keep_one(
        session=session,
        roles=roles,
        before=admins_before,
        refusal=f"Không thể {what} “{user.username}”: đây là tài khoản quản trị cuối cùng còn hoạt động. "
        "Hãy cấp vai trò Quản trị hệ thống cho một tài khoản khác trước.",
    )
    journal.record(
        session=session,
        actor=actor,
        entity=AdminEntity.USER,
        key=user.username,
        action="update",
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    _commit(session, user.username)
    return True


def set_account_locked(
    *, session: Session, actor: Actor, username: str, locked: bool, config_dir: Path, now: datetime | None = None
) -> bool:
    """Lock (its sessions end at once) or unlock the account; return whether anything changed.

    ``services.access.accounts.set_locked`` does the change and writes the security log; the
    administration journal's row goes into the same transaction. The last account able to
    administer cannot be locked: ``set_locked``'s guard, refusing in the pages' words."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    user = accounts.changeable(accounts.find_user(session=session, username=username))
    if user.active != locked:
        return False  # already so
    journal.record(
        session=session,
        actor=actor,
        entity=AdminEntity.USER,
        key=user.username,
        action="lock" if locked else "unlock",
        before={"active": user.active},
        after={"active": not locked},
        detail="Khóa tài khoản; mọi phiên đăng nhập đã kết thúc." if locked else "Mở khóa tài khoản.",
    )
    try:
        accounts.set_locked(
            session=session,
            username=user.username,
            locked=locked,
            now=now or now_utc(),
            config_dir=config_dir,
            detail=_by(actor),
            refusal=f"Không thể khóa “{user.username}”: đây là tài khoản quản trị cuối cùng còn hoạt động. "
            "Hãy cấp vai trò Quản trị hệ thống cho một tài khoản khác trước.",
        )
    except ServiceError:
        session.rollback()
        raise
    return True


def reset_password(*, session: Session, actor: Actor, username: str, now: datetime | None = None) -> str:
    """Give the account a new generated password and return it, once, for the admin's screen.

    As ``services.access.accounts.set_password`` does, every login session of the account ends
    (whoever used the old password is out); the account must choose its own password at its next
    login. The journal says a reset happened, never the password."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    user = accounts.changeable(accounts.find_user(session=session, username=username))
    password = _fits_username(generate_password(), user.username)
    journal.record(
        session=session,
        actor=actor,
        entity=AdminEntity.USER,
        key=user.username,
        action="reset_password",
        before={"must_change_password": user.must_change_password},
        after={"must_change_password": True},
        detail="Cấp lại mật khẩu; mọi phiên đăng nhập đã kết thúc.",
    )
    user.must_change_password = True
    session.add(user)
    try:
        accounts.set_password(
            session=session, username=user.username, password=password, now=now or now_utc(), detail=_by(actor)
        )
    except ServiceError:  # pragma: no cover - a generated password always passes the policy
        session.rollback()
        raise
    return password


def change_own_password(
    *,
    session: Session,
    actor: Actor,
    current_password: str,
    new_password: str,
    new_password_again: str,
    keep_session_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """The logged-in person replaces their password ("Đổi mật khẩu"; at first login, or after a
    reset, the only page they can open).

    The current password is asked again (a browser left open must not be enough to take the
    account over); the new one is typed twice, must follow ``check_password`` and differ from the
    current one. Every other login session of the account ends (``keep_session_id``: the secret of
    the session making the change, which stays: the cookie is HttpOnly, a page cannot issue a new
    one). Written to the security log, not to the administration journal: no admin acted.
    Returns how many other sessions were ended."""
    now = now or now_utc()
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise NotFound("Không tìm thấy tài khoản đang đăng nhập.")
    errors: list[FieldError] = []
    if not verify_password(user.password_hash, current_password):
        errors.append(FieldError("current_password", "Mật khẩu hiện tại không đúng."))
    try:
        accounts.check_password(username=user.username, password=new_password)
    except InvalidInput as refused:
        errors.append(FieldError("new_password", refused.message))
    else:
        if new_password == current_password:
            errors.append(FieldError("new_password", "Mật khẩu mới phải khác mật khẩu hiện tại."))
    if new_password != new_password_again:
        errors.append(FieldError("new_password_again", "Hai lần nhập mật khẩu mới không giống nhau."))
    if errors:
        raise InvalidInput.of(errors)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    session.add(user)
    others = sa.update(AuthSession.__table__).where(  # type: ignore[attr-defined]
        col(AuthSession.user_id) == user.id, col(AuthSession.ended_at).is_(None)
    )
    if keep_session_id is not None:
        others = others.where(col(AuthSession.key_hash) != key_hash(keep_session_id))
    ended = session.execute(others.values(ended_at=now, ended_reason=SessionEndReason.PASSWORD_CHANGED))
    count = int(ended.rowcount)  # type: ignore[attr-defined]
    record_event(
        session=session,
        kind=AuthEventKind.PASSWORD_CHANGED,
        at=now,
        username=user.username,
        user_id=user.id,
        detail=f"Người dùng tự đổi mật khẩu; kết thúc {count} phiên đăng nhập khác.",
        commit=False,
    )
    session.commit()
    return count


# --- helpers --------------------------------------------------------------------------------------


def _row(user: User, unit: OrgUnit) -> AccountRow:
    return AccountRow(
        user_id=user.id or 0,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        unit_code=unit.code,
        unit_name=unit.short_name,
        email=user.email or "",
        active=user.active,
        must_change_password=user.must_change_password,
    )


def _snapshot(user: User, unit: OrgUnit) -> dict[str, Any]:
    """What the journal keeps of an account: never its password hash."""
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": Role(user.role).value,
        "unit": unit.code,
        "email": user.email,
        "active": user.active,
        "must_change_password": user.must_change_password,
    }


def _unit_of(session: Session, user: User) -> OrgUnit:
    unit = session.get(OrgUnit, user.unit_id)
    assert unit is not None  # a foreign key
    return unit


def _collect(errors: list[FieldError], check: Any, *args: Any, **kwargs: Any) -> Any:
    """``check(*args)``'s value, or None with its refusal added to ``errors``."""
    try:
        return check(*args, **kwargs)
    except InvalidInput as refused:
        errors.extend(refused.errors)
        return None


def _full_name(text: str) -> str:
    return clean_text(text, label="Họ tên", field="full_name", max_len=255, multiline=False)


def _role(value: Role | str | None) -> Role:
    if not value:
        raise InvalidInput("Vai trò: hãy chọn vai trò của tài khoản.", field="role")
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(f"Vai trò: không có vai trò “{value}”.", field="role") from None


def _unit(session: Session, code: str, *, current: int | None = None) -> OrgUnit:
    """The active unit with this mã định danh (the account's present unit may have closed since:
    keeping it is no change)."""
    code = normalise_text(code or "", multiline=False)
    if not code:
        raise InvalidInput("Đơn vị: hãy chọn đơn vị của tài khoản.", field="unit")
    unit = session.exec(select(OrgUnit).where(OrgUnit.code == code)).first()
    if unit is None:
        raise InvalidInput(f"Đơn vị: không có đơn vị mã “{code}”.", field="unit")
    if not unit.active and unit.id != current:
        raise InvalidInput(f"Đơn vị: “{unit.short_name}” đã ngừng hoạt động.", field="unit")
    return unit


def _email(text: str) -> str | None:
    value = normalise_text(text or "", multiline=False)
    if not value:
        return None
    if len(value) > EMAIL_MAX:
        raise InvalidInput(f"E-mail dài quá {EMAIL_MAX} ký tự.", field="email")
    if not EMAIL_RULE.fullmatch(value):
        raise InvalidInput("E-mail không đúng dạng (ví dụ: ten@gialai.gov.vn).", field="email")
    return value


def _by(actor: Actor) -> str:
    """The security log's detail of a change made through the pages."""
    return f"bởi quản trị viên {actor.username} (trang Người dùng)"


def _commit(session: Session, username: str) -> None:
    """Commit; two admins creating the same username at once: the second is told so."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput(f"Tên đăng nhập “{username}” đã có; hãy chọn tên khác.", field="username") from None
