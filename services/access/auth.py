"""Local accounts: argon2 password hashes, the signed login cookie and the forms' CSRF tokens.

The cookie is set by the ASGI route in ``web/auth_routes.py`` (HttpOnly, SameSite=Strict) so a
reload or a new tab keeps the user logged in; the Streamlit script only reads and verifies it.
It carries the signed random secret of a server-side session (``services.access.sessions``),
never the user id itself: what a cookie is worth is decided by the session's row, so logging
out, an admin or a password change refuses a copied cookie at once.

argon2 is slow on purpose (~0.25 s of CPU): callers on an event loop run ``authenticate`` in a
thread pool, so one login never stalls every other request of the server.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, select

from models import User
from models.text import normalise_text

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("giaoviec-dummy-password")
SESSION_COOKIE = "gv_session"
# The login form's own random value (a double-submit cookie): its HMAC is the form's CSRF token.
LOGIN_CSRF_COOKIE = "gv_login_csrf"
_SALT = "giaoviec-session"


class CsrfPurpose(StrEnum):
    """Which form a CSRF token is for: a login form's token never passes for a logout."""

    LOGIN = "login"
    LOGOUT = "logout"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_username(username: str) -> str:
    """How user names are stored and looked up: invisible and control characters removed (a NUL
    typed into the login form must not reach PostgreSQL), trimmed, lower case."""
    return normalise_text(username, multiline=False).lower()


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same time either way)."""
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def sign_session_id(*, session_id: str, secret: str) -> str:
    """The cookie's value for a session's random secret (``services.access.sessions``)."""
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps({"sid": session_id})


def read_session_token(*, token: str | None, secret: str, max_age_seconds: int) -> str | None:
    """The session secret in a genuine, unexpired cookie value, else None.

    Only the signature and the age are checked here; whether the session is still open is the
    database's answer (``services.access.sessions.session_user``)."""
    if not token:
        return None
    try:
        data = URLSafeTimedSerializer(secret, salt=_SALT).loads(token, max_age=max_age_seconds)
    except BadSignature:
        return None
    sid = data.get("sid") if isinstance(data, dict) else None
    return sid if isinstance(sid, str) and sid else None


def csrf_token(*, purpose: CsrfPurpose, binding: str, secret: str) -> str:
    """HMAC of ``binding`` (the login form's cookie value, or the session secret for logout).

    A page of another site can neither read the cookie nor compute the HMAC, so it cannot send
    a form that passes; the Streamlit script can compute the logout token itself from the
    cookie it reads (``ui.runtime.logout_csrf_token``)."""
    message = f"{purpose.value}\x00{binding}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def csrf_token_valid(*, token: str | None, purpose: CsrfPurpose, binding: str | None, secret: str) -> bool:
    if not token or not binding:
        return False
    return hmac.compare_digest(token, csrf_token(purpose=purpose, binding=binding, secret=secret))
