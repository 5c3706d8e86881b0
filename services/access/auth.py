"""Local accounts: argon2 password hashes and the signed session token of the login cookie.

The cookie is set by the ASGI route in ``web/auth_routes.py`` (HttpOnly, SameSite=Strict) so a
reload or a new tab keeps the user logged in; the Streamlit script only reads and verifies it.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, select

from models import User

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("giaoviec-dummy-password")
SESSION_COOKIE = "gv_session"
_SALT = "giaoviec-session"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same time either way)."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def make_session_token(*, user_id: int, secret: str) -> str:
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps({"uid": user_id})


def read_session_token(*, token: str | None, secret: str, max_age_seconds: int) -> int | None:
    """The user id in a valid, unexpired token, else None."""
    if not token:
        return None
    try:
        data = URLSafeTimedSerializer(secret, salt=_SALT).loads(token, max_age=max_age_seconds)
    except BadSignature:
        return None
    uid = data.get("uid") if isinstance(data, dict) else None
    return uid if isinstance(uid, int) else None
