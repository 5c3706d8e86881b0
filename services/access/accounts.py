"""Local user accounts (created by the admin CLI and the demo seed)."""

from __future__ import annotations

from sqlmodel import Session, select

from models import Role, User
from services.access.auth import hash_password
from services.infra.errors import InvalidInput
from services.org.units import unit_by_code


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
    """Create an active account; the username is stored lower-case.

    ``password_hash`` (argon2, of ``password``) lets the demo seed hash its one shared password
    once instead of a hundred times: argon2 is slow on purpose.
    """
    name = username.strip().lower()
    if not name or session.exec(select(User).where(User.username == name)).first() is not None:
        raise InvalidInput(f"Tên đăng nhập '{username}' trống hoặc đã tồn tại.", field="username")
    if len(password) < 8:
        raise InvalidInput("Mật khẩu phải có ít nhất 8 ký tự.", field="password")
    unit = unit_by_code(session=session, code=unit_code)
    if unit is None or unit.id is None:
        raise InvalidInput(f"Không có đơn vị mã '{unit_code}'.", field="unit")
    hashed = password_hash or hash_password(password)
    user = User(username=name, full_name=full_name, password_hash=hashed, role=role, unit_id=unit.id)
    session.add(user)
    session.commit()
    return user
