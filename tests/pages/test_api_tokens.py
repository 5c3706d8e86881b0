"""Khóa API: a user creates a token (its secret shown once), sees it listed, revokes it; the admin
sees and manages every account's tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from models import ApiToken
from services.access.tokens import expiry_at_end_of
from services.infra.clock import fmt_date
from tests.pages.conftest import World, by_label, values

WORLD_USERS = ["admin"]
PAGE = "pages/api_tokens.py"
NAME = "Tên khóa"
SUBMIT = "Tạo khóa"
EXPIRY = "Dùng được đến hết ngày (bỏ trống: không hết hạn)"


def _tokens(world: World, username: str) -> list[ApiToken]:
    with world.session() as s:
        return list(
            s.exec(
                select(ApiToken).where(ApiToken.user_id == world.user_ids[username]).order_by(col(ApiToken.id))
            ).all()
        )


def _table(at: AppTest) -> list[dict[str, str]]:
    frame = at.dataframe[0].value
    return [{str(k): str(v) for k, v in row.items()} for row in frame.to_dict("records")]


def test_create_show_once_and_revoke(world: World) -> None:
    at = world.app_as("stc.vanthu", PAGE)
    assert not at.exception
    assert values(at.title) == ["Khóa API"]
    assert values(at.info) == ["Chưa có khóa API nào."]
    assert not at.selectbox  # only the admin picks an account

    by_label(at.text_input, NAME).set_value("Báo cáo tự động")
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception and not at.error
    assert "chỉ hiện **một lần**" in values(at.success)[0]
    (secret,) = values(at.code)
    (token,) = _tokens(world, "stc.vanthu")
    assert secret.startswith("gv_") and token.prefix == secret[:10]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.expires_at is None and token.revoked_at is None
    (row,) = _table(at)
    assert row == {
        "Tên khóa": "Báo cáo tự động",
        "Mã đầu": f"{secret[:10]}…",
        "Tạo lúc": row["Tạo lúc"],
        "Hết hạn": "Không",
        "Dùng lần cuối": "Chưa dùng",
        "Trạng thái": "Đang dùng",
    }
    assert row["Tạo lúc"].startswith(fmt_date(world.today))

    # the next run shows the list, never the secret again
    at.run()
    assert not at.code and not at.success
    assert secret not in str(at)

    # a name of only invisible characters is empty: refused, nothing saved
    by_label(at.text_input, NAME).set_value("\u200b\u00ad\u200b")
    by_label(at.button, SUBMIT).click().run()
    assert values(at.error) == [
        "Tên khóa không được để trống.",
        "Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “Tên khóa”.",
    ]
    assert len(_tokens(world, "stc.vanthu")) == 1

    # a date typed wrong is refused with its reason, never moved to a date nobody chose;
    # the name typed stays
    by_label(at.text_input, NAME).set_value("Ngắn hạn")
    for typed, reason in (
        ("31/02/2027", "Ngày hết hạn 31/02/2027 không có thật"),
        (fmt_date(world.today - timedelta(days=1)), "phải sau thời điểm hiện tại"),
    ):
        by_label(at.text_input, EXPIRY).set_value(typed)
        by_label(at.button, SUBMIT).click().run()
        assert not at.exception
        assert any(reason in e for e in values(at.error)), values(at.error)
        assert by_label(at.text_input, NAME).value == "Ngắn hạn"
        assert by_label(at.text_input, EXPIRY).value == typed
        assert len(_tokens(world, "stc.vanthu")) == 1

    # an expiry date: valid to the end of that day
    day = world.today + timedelta(days=30)
    by_label(at.text_input, EXPIRY).set_value(fmt_date(day))
    by_label(at.button, SUBMIT).click().run()
    assert not at.error
    short = _tokens(world, "stc.vanthu")[-1]
    assert short.name == "Ngắn hạn" and short.expires_at == expiry_at_end_of(day)
    assert [r["Hết hạn"] for r in _table(at)] == [fmt_date(day), "Không"]

    # revoke the first one
    at.run()
    revoke = [b for b in at.button if b.label == "Thu hồi"]
    assert len(revoke) == 2
    next(b for b in revoke if b.key == f"revoke_token_{token.id}").click().run()
    assert not at.exception
    assert values(at.success) == ["Đã thu hồi khóa “Báo cáo tự động”."]
    assert [r["Trạng thái"] for r in _table(at)] == ["Đang dùng", "Đã thu hồi"]
    assert [t.revoked_at is not None for t in _tokens(world, "stc.vanthu")] == [True, False]
    assert [b.key for b in at.button if b.label == "Thu hồi"] == [f"revoke_token_{short.id}"]


def test_another_user_sees_only_their_own(world: World) -> None:
    at = world.app_as("stc.lanhdao", PAGE)
    assert not at.exception
    assert values(at.info) == ["Chưa có khóa API nào."]


def test_admin_manages_every_accounts_tokens(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception
    account = by_label(at.selectbox, "Tài khoản")
    assert account.value == world.user_ids["admin"]
    account.set_value(world.user_ids["pleiku.lanhdao"])
    by_label(at.text_input, NAME).set_value("Đồng bộ Pleiku")
    by_label(at.button, SUBMIT).click().run()
    assert not at.error
    (created,) = _tokens(world, "pleiku.lanhdao")
    assert created.name == "Đồng bộ Pleiku" and created.created_by == world.user_ids["admin"]
    rows = _table(at)
    assert {(r["Tài khoản"], r["Tên khóa"]) for r in rows} >= {
        ("Hồ Lãnh Đạo Pleiku (pleiku.lanhdao)", "Đồng bộ Pleiku"),
    }
    # the admin may revoke another account's token
    at.run()
    by_label([b for b in at.button if b.key == f"revoke_token_{created.id}"], "Thu hồi").click().run()
    assert values(at.success) == ["Đã thu hồi khóa “Đồng bộ Pleiku”."]
    assert _tokens(world, "pleiku.lanhdao")[0].revoked_at is not None
