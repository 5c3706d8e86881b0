"""API tokens (services/access/tokens.py): the secret is given once and only its hash is kept; the
owner or an admin creates and revokes; a revoked or expired token, or an inactive account, is
nobody; the token's actor is the account's actor, with the same permissions."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from models import ApiToken, User
from services.access.permissions import Actor, build_actor
from services.access.tokens import (
    TokenStatus,
    actor_for_token,
    create_token,
    expiry_at_end_of,
    last_valid_day,
    list_tokens,
    revoke_token,
    token_owners,
)
from services.admin.users import change_own_password, reset_password
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.runtime import Runtime
from tests.conftest import at

NOW = at(date(2026, 3, 10))


def _tokens(session: Session) -> list[tuple[int, str, str, str, datetime | None]]:
    rows = session.exec(select(ApiToken).order_by(col(ApiToken.id))).all()
    return [(t.user_id, t.name, t.prefix, t.token_hash, t.revoked_at) for t in rows]


def test_secret_is_given_once_and_only_its_hash_is_stored(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    clerk = actors["clerk"]
    token, secret = create_token(
        session=session, actor=clerk, owner_user_id=clerk.user_id, name="  Báo cáo tự động  ", expires_at=None, now=NOW
    )
    assert secret.startswith("gv_") and len(secret) == 3 + 43
    assert token.prefix == secret[:10]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "Báo cáo tự động"
    assert token.created_by == clerk.user_id and token.created_at == NOW
    # nothing in the database holds the secret itself
    session.expire_all()
    stored = session.exec(select(ApiToken)).one()
    assert secret not in (stored.token_hash, stored.prefix, stored.name)
    assert stored.token_hash == token.token_hash
    # two tokens never share a secret
    _, other = create_token(
        session=session, actor=clerk, owner_user_id=clerk.user_id, name="Thứ hai", expires_at=None, now=NOW
    )
    assert other != secret
    infos = list_tokens(session=session, actor=clerk, now=NOW)
    assert [(i.name, i.status, i.owner_username) for i in infos] == [
        ("Thứ hai", TokenStatus.ACTIVE, "stc.vanthu"),
        ("Báo cáo tự động", TokenStatus.ACTIVE, "stc.vanthu"),
    ]


def test_token_acts_as_its_account(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    leader = actors["leader"]
    _, secret = create_token(
        session=session, actor=leader, owner_user_id=leader.user_id, name="Sở TC", expires_at=None, now=NOW
    )
    assert actor_for_token(session=session, config=runtime.config, secret=secret, now=NOW) == leader
    assert actor_for_token(session=session, config=runtime.config, secret=secret + "x", now=NOW) is None
    assert actor_for_token(session=session, config=runtime.config, secret="", now=NOW) is None
    assert actor_for_token(session=session, config=runtime.config, secret=secret[3:], now=NOW) is None


def test_last_used_is_written_at_most_once_a_minute(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    clerk = actors["clerk"]
    token, secret = create_token(
        session=session, actor=clerk, owner_user_id=clerk.user_id, name="Khóa", expires_at=None, now=NOW
    )
    assert token.last_used_at is None
    for seconds, expected in ((0, NOW), (30, NOW), (59, NOW), (60, NOW + timedelta(seconds=60))):
        assert actor_for_token(
            session=session, config=runtime.config, secret=secret, now=NOW + timedelta(seconds=seconds)
        )
        session.expire_all()
        assert session.get(ApiToken, token.id).last_used_at == expected  # type: ignore[union-attr]
    assert [i.last_used_at for i in list_tokens(session=session, actor=clerk)] == [NOW + timedelta(seconds=60)]


def test_owner_admin_and_other_user(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    clerk, leader, admin = actors["clerk"], actors["leader"], actors["admin"]
    with pytest.raises(PermissionDenied, match="chỉ tạo được khóa API cho tài khoản của mình"):
        create_token(session=session, actor=leader, owner_user_id=clerk.user_id, name="Hộ", expires_at=None, now=NOW)
    assert _tokens(session) == []
    own, _ = create_token(
        session=session, actor=clerk, owner_user_id=clerk.user_id, name="Của văn thư", expires_at=None, now=NOW
    )
    by_admin, admin_secret = create_token(
        session=session, actor=admin, owner_user_id=clerk.user_id, name="Quản trị tạo", expires_at=None, now=NOW
    )
    assert by_admin.user_id == clerk.user_id and by_admin.created_by == admin.user_id
    # the admin's token for the clerk acts as the clerk, not as the admin
    assert actor_for_token(session=session, config=runtime.config, secret=admin_secret, now=NOW) == clerk

    # lists: own only; another's needs the admin; the admin sees every account's
    assert [t.name for t in list_tokens(session=session, actor=leader, now=NOW)] == []
    with pytest.raises(PermissionDenied, match="chỉ xem được khóa API của tài khoản mình"):
        list_tokens(session=session, actor=leader, owner_user_id=clerk.user_id)
    assert {t.name for t in list_tokens(session=session, actor=clerk, now=NOW)} == {"Của văn thư", "Quản trị tạo"}
    create_token(session=session, actor=leader, owner_user_id=leader.user_id, name="Lãnh đạo", expires_at=None, now=NOW)
    everyone = list_tokens(session=session, actor=admin, now=NOW)
    assert sorted((t.owner_username, t.name) for t in everyone) == [
        ("stc.lanhdao", "Lãnh đạo"),
        ("stc.vanthu", "Của văn thư"),
        ("stc.vanthu", "Quản trị tạo"),
    ]
    assert [t.name for t in list_tokens(session=session, actor=admin, owner_user_id=leader.user_id)] == ["Lãnh đạo"]

    # revoke: not another user's; the owner's own; the admin anyone's
    with pytest.raises(PermissionDenied, match="chỉ thu hồi được khóa API của tài khoản mình"):
        revoke_token(session=session, actor=leader, token_id=own.id or 0, now=NOW)
    assert session.get(ApiToken, own.id).revoked_at is None  # type: ignore[union-attr]
    revoke_token(session=session, actor=clerk, token_id=own.id or 0, now=NOW)
    revoke_token(session=session, actor=admin, token_id=by_admin.id or 0, now=NOW)
    assert [(t.name, t.status) for t in list_tokens(session=session, actor=clerk, now=NOW)] == [
        ("Quản trị tạo", TokenStatus.REVOKED),
        ("Của văn thư", TokenStatus.REVOKED),
    ]
    # who may be chosen as the owner of a new token
    assert [u.username for u in token_owners(session=session, actor=clerk)] == ["stc.vanthu"]
    assert {"stc.vanthu", "stc.lanhdao", "admin", "vp.theodoi"} <= {
        u.username for u in token_owners(session=session, actor=admin)
    }


def test_revoked_token_stops_and_revoking_twice_is_a_conflict(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    clerk = actors["clerk"]
    token, secret = create_token(
        session=session, actor=clerk, owner_user_id=clerk.user_id, name="Khóa cũ", expires_at=None, now=NOW
    )
    later = NOW + timedelta(hours=1)
    revoked = revoke_token(session=session, actor=clerk, token_id=token.id or 0, now=later)
    assert revoked.revoked_at == later
    assert actor_for_token(session=session, config=runtime.config, secret=secret, now=later) is None
    with pytest.raises(Conflict, match="“Khóa cũ” đã bị thu hồi trước đó"):
        revoke_token(session=session, actor=clerk, token_id=token.id or 0, now=later)
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at == later  # type: ignore[union-attr]
    with pytest.raises(NotFound, match="Không có khóa API #999"):
        revoke_token(session=session, actor=clerk, token_id=999)


def test_expiry(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    clerk = actors["clerk"]
    # "dùng được đến hết ngày 12/03/2026": midnight after that day in Vietnam, 17:00 UTC on the 12th
    expires = expiry_at_end_of(date(2026, 3, 12))
    assert expires == datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
    assert last_valid_day(expires) == date(2026, 3, 12)
    token, secret = create_token(
        session=session, actor=clerk, owner_user_id=clerk.user_id, name="Ngắn hạn", expires_at=expires, now=NOW
    )
    assert actor_for_token(session=session, config=runtime.config, secret=secret, now=expires - timedelta(seconds=1))
    assert actor_for_token(session=session, config=runtime.config, secret=secret, now=expires) is None
    assert [t.status for t in list_tokens(session=session, actor=clerk, now=expires)] == [TokenStatus.EXPIRED]
    assert [t.status for t in list_tokens(session=session, actor=clerk, now=NOW)] == [TokenStatus.ACTIVE]
    # an expiry that has passed, or is now, is refused and nothing is saved
    for past in (NOW, NOW - timedelta(days=1)):
        with pytest.raises(InvalidInput, match="Ngày hết hạn phải sau thời điểm hiện tại") as refused:
            create_token(session=session, actor=clerk, owner_user_id=clerk.user_id, name="Cũ", expires_at=past, now=NOW)
        assert refused.value.field == "expires_at"
    assert [name for _, name, *_ in _tokens(session)] == ["Ngắn hạn"]
    assert token.expires_at == expires


def test_inactive_account_or_unit_is_nobody(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    clerk = actors["clerk"]
    _, secret = create_token(
        session=session, actor=clerk, owner_user_id=clerk.user_id, name="Khóa", expires_at=None, now=NOW
    )
    user = session.get(User, clerk.user_id)
    assert user is not None
    user.active = False
    session.add(user)
    session.commit()
    assert actor_for_token(session=session, config=runtime.config, secret=secret, now=NOW) is None
    assert build_actor(session=session, config=runtime.config, user_id=clerk.user_id) is None
    with pytest.raises(InvalidInput, match=r"“stc\.vanthu” đã ngừng hoạt động"):
        create_token(
            session=session, actor=actors["admin"], owner_user_id=clerk.user_id, name="Mới", expires_at=None, now=NOW
        )
    with pytest.raises(InvalidInput, match="Không có tài khoản #999"):
        create_token(session=session, actor=actors["admin"], owner_user_id=999, name="Mới", expires_at=None, now=NOW)


def test_a_password_reset_by_the_admin_stops_the_tokens_until_the_person_sets_their_own(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    clerk = actors["clerk"]
    _, secret = create_token(
        session=session, actor=clerk, owner_user_id=clerk.user_id, name="Khóa", expires_at=None, now=NOW
    )
    generated = reset_password(session=session, actor=actors["admin"], username="stc.vanthu", now=NOW)
    assert actor_for_token(session=session, config=runtime.config, secret=secret, now=NOW) is None
    change_own_password(
        session=session,
        actor=build_actor(session=session, config=runtime.config, user_id=clerk.user_id) or clerk,
        current_password=generated,
        new_password="Ngay-mai-troi-sang-26",
        new_password_again="Ngay-mai-troi-sang-26",
    )
    back = actor_for_token(session=session, config=runtime.config, secret=secret, now=NOW + timedelta(minutes=5))
    assert back is not None and back.user_id == clerk.user_id


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Tên khóa không được để trống"),
        ("\u200b\u00ad\ufeff", "Tên khóa không được để trống"),  # only invisible characters
        ("x" * 121, "Tên khóa dài quá 120 ký tự"),
    ],
)
def test_bad_names_are_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], name: str, message: str
) -> None:
    clerk = actors["clerk"]
    with pytest.raises(InvalidInput) as refused:
        create_token(session=session, actor=clerk, owner_user_id=clerk.user_id, name=name, expires_at=None, now=NOW)
    assert refused.value.message.startswith(message)
    assert refused.value.field == "name"
    assert _tokens(session) == []
