"""Personal API tokens: a token acts exactly as its account would in the pages.

The secret (``gv_`` + 43 URL-safe characters) is returned once by ``create_token`` and never
stored: the database keeps its SHA-256 (``token_hash``) and its first characters (``prefix``)
so a person can recognise it in a list. ``actor_for_token`` turns a secret into the same
``Actor`` the pages build for the account (``build_actor``), so every permission check of the
services applies unchanged. A token may be created and revoked by its owner or by an admin.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from models import ApiToken, Permission, User
from services.access.permissions import Actor, build_actor
from services.config.loader import AppConfig
from services.infra.clock import VN_TZ, now_utc
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.infra.text import clean_text
from services.infra.validation import DateLimits, check_date

SECRET_PREFIX = "gv_"
PREFIX_LENGTH = 10  # "gv_" and 7 characters of the secret: enough to tell tokens apart in a list
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


class TokenStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class TokenInfo:
    """One token as a list shows it (never the secret, which is not stored)."""

    token_id: int
    name: str
    prefix: str
    owner_user_id: int
    owner_username: str
    owner_name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    status: TokenStatus


def hash_secret(secret: str) -> str:
    """What ``token_hash`` holds for a secret (SHA-256, hex)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def expiry_at_end_of(day: date) -> datetime:
    """A token "valid until ``day``" expires at midnight after that day, Vietnam time (as UTC)."""
    if day >= date.max - timedelta(days=1):  # no midnight after it to expire at
        raise InvalidInput(f"Ngày hết hạn {day:%d/%m}/{day.year:04d} không hợp lệ.", field="expires_at")
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=VN_TZ).astimezone(UTC)


def last_valid_day(expires_at: datetime) -> date:
    """The last day (Vietnam time) on which a token expiring at ``expires_at`` still works."""
    return (_aware(expires_at).astimezone(VN_TZ) - timedelta(microseconds=1)).date()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _status(token: ApiToken, now: datetime) -> TokenStatus:
    if token.revoked_at is not None:
        return TokenStatus.REVOKED
    if token.expires_at is not None and _aware(token.expires_at) <= now:
        return TokenStatus.EXPIRED
    return TokenStatus.ACTIVE


def _may_manage(actor: Actor, owner_user_id: int) -> bool:
    return actor.user_id == owner_user_id or actor.can(Permission.ADMIN)


def create_token(
    *,
    session: Session,
    actor: Actor,
    owner_user_id: int,
    name: str,
    expires_at: datetime | None,
    now: datetime | None = None,
    limits: DateLimits | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``owner_user_id`` (the actor's own; an admin's for anyone) and commit.

    Returns the row and the secret; the secret is shown once and cannot be read back later.
    """
    now = _aware(now or now_utc())
    if not _may_manage(actor, owner_user_id):
        raise PermissionDenied("Bạn chỉ tạo được khóa API cho tài khoản của mình.")
    owner = session.get(User, owner_user_id)
    if owner is None or owner.id is None:
        raise InvalidInput(f"Không có tài khoản #{owner_user_id}.", field="owner_user_id")
    if not owner.active:
        raise InvalidInput(f"Tài khoản “{owner.username}” đã ngừng hoạt động.", field="owner_user_id")
    clean_name = clean_text(name, label="Tên khóa", field="name", max_len=120, multiline=False)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidInput("Thời điểm hết hạn phải có múi giờ.", field="expires_at")
        if expires_at <= now:
            raise InvalidInput("Ngày hết hạn phải sau thời điểm hiện tại.", field="expires_at")
        if limits is not None:  # config/app.yaml's range of typed dates (the page passes it)
            today = now.astimezone(VN_TZ).date()
            check_date(last_valid_day(expires_at), label="Ngày hết hạn", field="expires_at", today=today, limits=limits)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=clean_name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        created_by=actor.user_id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.commit()
    return token, secret


def list_tokens(
    *, session: Session, actor: Actor, owner_user_id: int | None = None, now: datetime | None = None
) -> list[TokenInfo]:
    """The actor's tokens; an admin's call without ``owner_user_id`` lists every account's.

    Newest first. Asking for another account's tokens needs the admin permission.
    """
    now = _aware(now or now_utc())
    if owner_user_id is not None and not _may_manage(actor, owner_user_id):
        raise PermissionDenied("Bạn chỉ xem được khóa API của tài khoản mình.")
    if owner_user_id is None and not actor.can(Permission.ADMIN):
        owner_user_id = actor.user_id
    query = select(ApiToken, User).join(User, col(User.id) == col(ApiToken.user_id))
    if owner_user_id is not None:
        query = query.where(ApiToken.user_id == owner_user_id)
    rows = session.exec(query.order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())).all()
    return [
        TokenInfo(
            token_id=token.id or 0,
            name=token.name,
            prefix=token.prefix,
            owner_user_id=token.user_id,
            owner_username=user.username,
            owner_name=user.full_name,
            created_at=_aware(token.created_at),
            expires_at=_aware(token.expires_at) if token.expires_at else None,
            revoked_at=_aware(token.revoked_at) if token.revoked_at else None,
            last_used_at=_aware(token.last_used_at) if token.last_used_at else None,
            status=_status(token, now),
        )
        for token, user in rows
    ]


def revoke_token(*, session: Session, actor: Actor, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke a token (its owner, or an admin) and commit; it stops working at once."""
    now = _aware(now or now_utc())
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"Không có khóa API #{token_id}.")
    if not _may_manage(actor, token.user_id):
        raise PermissionDenied("Bạn chỉ thu hồi được khóa API của tài khoản mình.")
    if token.revoked_at is not None:
        raise Conflict(f"Khóa API “{token.name}” đã bị thu hồi trước đó.")
    token.revoked_at = now
    session.add(token)
    session.commit()
    return token


def actor_for_token(*, session: Session, config: AppConfig, secret: str, now: datetime | None = None) -> Actor | None:
    """The account's actor for a valid secret; None when unknown, revoked, expired, the account
    (or its unit) is inactive, or the account must first replace a password the admin gave it
    (a reset often means the account was at risk: its tokens wait for the person, too).
    Records the use, at most once a minute (a committed write)."""
    now = _aware(now or now_utc())
    if not secret.startswith(SECRET_PREFIX):
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))).first()
    if token is None or _status(token, now) is not TokenStatus.ACTIVE:
        return None
    actor = build_actor(session=session, config=config, user_id=token.user_id)
    if actor is None or actor.must_change_password:  # a password the admin set: nothing works until replaced
        return None
    if token.last_used_at is None or now - _aware(token.last_used_at) >= LAST_USED_EVERY:
        token.last_used_at = now
        session.add(token)
        session.commit()
    return actor


def token_owners(*, session: Session, actor: Actor) -> list[User]:
    """The accounts the actor may create a token for: their own, or (admin) every active one."""
    if not actor.can(Permission.ADMIN):
        own = session.get(User, actor.user_id)
        return [own] if own is not None else []
    return list(session.exec(select(User).where(User.active == True).order_by(col(User.username))).all())  # noqa: E712
