"""Người dùng (issue 10): accounts through the admin's forms, on both backends.

Every change is one service call that checks the admin, refuses bad input field by field in
Vietnamese with the database unchanged, writes one journal row (never a password or a hash) and
commits; the last active admin can be neither locked nor demoted; a generated password must be
changed at the first login, by the person, with their current password.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from models import AdminChange, AdminEntity, AuthEvent, AuthEventKind, AuthSession, OrgUnit, Role, User
from models.reminders import SYSTEM_USERNAME
from services.access import accounts as accounts_service
from services.access import administrators
from services.access.accounts import check_password
from services.access.auth import authenticate, verify_password
from services.access.permissions import Actor, build_actor
from services.access.sessions import SessionLimits, session_user, start_session
from services.admin.journal import history
from services.admin.users import (
    ADMIN_ONLY,
    change_own_password,
    create_account,
    generate_password,
    list_accounts,
    reset_password,
    set_account_locked,
    update_account,
)
from services.infra.clock import now_utc
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.infra.settings import ROOT as _ROOT
from services.reminders.system import system_user_id
from services.runtime import Runtime
from tests.conftest import FINANCE, HEALTH, PASSWORD, PLEIKU
from tests.services.support import FAST_HASHER, pause_after

SEED = _ROOT / "config"  # the seed configuration: its roles are in force while no version is stored

ICT = "000.00.11.H21"
LIMITS = SessionLimits(idle=timedelta(hours=1), max_age=timedelta(hours=12))


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.admin.users.hash_password", FAST_HASHER.hash)


def _state(session: Session) -> tuple[Any, ...]:
    """Everything a refused call must leave as it was."""
    session.expire_all()
    users = session.exec(select(User).order_by(col(User.id))).all()
    return (
        [u.model_dump() for u in users],
        [(c.id, c.action) for c in session.exec(select(AdminChange)).all()],
        len(session.exec(select(AuthEvent)).all()),
        [(s.id, s.ended_at) for s in session.exec(select(AuthSession)).all()],
    )


def _user(session: Session, username: str) -> User:
    session.expire_all()
    return session.exec(select(User).where(User.username == username)).one()


def _journal(session: Session, username: str) -> list[AdminChange]:
    return list(reversed(history(session=session, entity=AdminEntity.USER, key=username)))


def _create(session: Session, admin: Actor, username: str = "syt.vanthu", **changes: Any) -> str:
    fields: dict[str, Any] = {
        "username": username,
        "full_name": "Đỗ Thị Hằng",
        "role": Role.CLERK,
        "unit_code": HEALTH,
        "email": "hang.dt@gialai.gov.vn",
        **changes,
    }
    _, password = create_account(session=session, actor=admin, **fields)
    return password


# --- create ------------------------------------------------------------------------------------


def test_an_account_is_created_with_a_password_shown_once(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    row, password = create_account(
        session=session,
        actor=admin,
        username="  SYT.VanThu ",
        full_name=" Đỗ Thị Hằng ",
        role="clerk",
        unit_code=HEALTH,
        email=" hang.dt@gialai.gov.vn ",
    )
    assert (row.username, row.full_name, row.role, row.unit_code, row.email) == (
        "syt.vanthu",
        "Đỗ Thị Hằng",
        Role.CLERK,
        HEALTH,
        "hang.dt@gialai.gov.vn",
    )
    user = _user(session, "syt.vanthu")
    assert user.active and user.must_change_password
    # kept only as its hash; it follows the policy and logs in
    assert password not in user.password_hash and verify_password(user.password_hash, password)
    check_password(username="syt.vanthu", password=password)
    assert authenticate(session=session, username="syt.vanthu", password=password) is not None
    [entry] = _journal(session, "syt.vanthu")
    assert (entry.action, entry.actor_user_id, entry.before) == ("create", admin.user_id, None)
    assert entry.after == {
        "username": "syt.vanthu",
        "full_name": "Đỗ Thị Hằng",
        "role": "clerk",
        "unit": HEALTH,
        "email": "hang.dt@gialai.gov.vn",
        "active": True,
        "must_change_password": True,
    }
    assert password not in json.dumps(entry.after) + entry.detail


def test_generated_passwords_differ_and_pass_the_policy() -> None:
    drawn = {generate_password() for _ in range(50)}
    assert len(drawn) == 50
    for password in drawn:
        check_password(username="admin", password=password)


def test_every_wrong_field_is_refused_at_once_and_nothing_changes(session: Session, actors: dict[str, Actor]) -> None:
    before = _state(session)
    with pytest.raises(InvalidInput) as refused:
        create_account(
            session=session,
            actor=actors["admin"],
            username="Văn thư",
            full_name="   ",
            role="giam_doc",
            unit_code="999.99.99.H21",
            email="khong-phai-email",
        )
    messages = {e.field: e.message for e in refused.value.errors}
    assert set(messages) == {"username", "full_name", "role", "unit", "email"}
    assert messages["username"].startswith("Tên đăng nhập gồm 3 đến 64 ký tự")
    assert "Họ tên" in messages["full_name"]
    assert messages["role"] == "Vai trò: không có vai trò “giam_doc”."
    assert messages["unit"] == "Đơn vị: không có đơn vị mã “999.99.99.H21”."
    assert messages["email"] == "E-mail không đúng dạng (ví dụ: ten@gialai.gov.vn)."
    assert _state(session) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "STC.VanThu"}, "username", "Tên đăng nhập “stc.vanthu” đã có; hãy chọn tên khác."),
        ({"username": ""}, "username", "Tên đăng nhập không được để trống."),
        ({"username": "ab"}, "username", "Tên đăng nhập gồm 3 đến 64 ký tự"),
        ({"username": "a" * 65}, "username", "Tên đăng nhập gồm 3 đến 64 ký tự"),
        ({"role": ""}, "role", "Vai trò: hãy chọn vai trò của tài khoản."),
        ({"unit_code": ""}, "unit", "Đơn vị: hãy chọn đơn vị của tài khoản."),
        ({"unit_code": "000.00.05.h21"}, "unit", "Đơn vị: không có đơn vị mã “000.00.05.h21”."),
        ({"email": "a@b"}, "email", "E-mail không đúng dạng"),
        ({"email": "x" * 250 + "@gialai.gov.vn"}, "email", "E-mail dài quá 255 ký tự."),
    ],
)
def test_one_wrong_field_is_named_in_vietnamese(
    session: Session, actors: dict[str, Actor], changes: dict[str, str], field: str, message: str
) -> None:
    before = _state(session)
    with pytest.raises(InvalidInput) as refused:
        _create(session, actors["admin"], **changes)
    [error] = refused.value.errors
    assert error.field == field and error.message.startswith(message)
    assert _state(session) == before


def test_a_closed_unit_is_refused(session: Session, actors: dict[str, Actor]) -> None:
    unit = session.exec(select(OrgUnit).where(OrgUnit.code == PLEIKU)).one()
    unit.active = False
    session.add(unit)
    session.commit()
    before = _state(session)
    with pytest.raises(InvalidInput) as refused:
        _create(session, actors["admin"], unit_code=PLEIKU)
    assert refused.value.field == "unit"
    assert refused.value.message == f"Đơn vị: “{unit.short_name}” đã ngừng hoạt động."
    assert _state(session) == before


def test_only_the_admin_administers_accounts(session: Session, actors: dict[str, Actor]) -> None:
    before = _state(session)
    tracker = actors["tracker"]
    calls: list[Callable[[], object]] = [
        lambda: _create(session, tracker),
        lambda: list_accounts(session=session, actor=tracker),
        lambda: update_account(
            config_dir=SEED,
            session=session, actor=tracker, username="stc.vanthu", full_name="X Y", role="admin", unit_code=FINANCE
        ),
        lambda: set_account_locked(config_dir=SEED, session=session, actor=tracker, username="admin", locked=True),
        lambda: reset_password(session=session, actor=tracker, username="admin"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied, match=re.escape(ADMIN_ONLY)):
            call()
    assert _state(session) == before


# --- list ----------------------------------------------------------------------------------------


def test_the_list_is_searched_without_diacritics_and_filtered(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    _create(session, admin, "syt.vanthu", full_name="Đỗ Thị Hằng")
    _create(session, admin, "syt.lanhdao", full_name="Nguyễn Văn Đức", role=Role.LEADER)
    set_account_locked(config_dir=SEED, session=session, actor=admin, username="syt.lanhdao", locked=True)

    def names(**filters: Any) -> list[str]:
        return [r.username for r in list_accounts(session=session, actor=admin, **filters)]

    assert names() == sorted([*(a.username for a in actors.values()), "syt.lanhdao", "syt.vanthu"])
    assert names(query="do thi hang") == ["syt.vanthu"]
    assert names(query="ĐỨC") == names(query="duc") == ["syt.lanhdao"]
    assert names(query="syt") == ["syt.lanhdao", "syt.vanthu"]
    assert names(query="lanhdao") == ["pleiku.lanhdao", "stc.lanhdao", "syt.lanhdao", "vp.lanhdao"]
    assert names(unit_code=HEALTH) == ["syt.lanhdao", "syt.vanthu"]
    assert names(unit_code=FINANCE, role=Role.LEADER) == ["stc.lanhdao"]
    assert names(locked=True) == ["syt.lanhdao"]
    assert "syt.lanhdao" not in names(locked=False)
    assert names(query="khong co ai") == []
    [row] = list_accounts(session=session, actor=admin, query="syt.vanthu")
    assert (row.unit_name, row.email, row.active, row.must_change_password) == (
        "Sở Y tế",
        "hang.dt@gialai.gov.vn",
        True,
        True,
    )


# --- edit ----------------------------------------------------------------------------------------


def test_name_role_unit_and_email_are_edited_and_journaled(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"]
    changed = update_account(
        config_dir=SEED,
        session=session,
        actor=admin,
        username="stc.chuyenvien",
        full_name="Võ Thị Lan",
        role="leader",
        unit_code=PLEIKU,
        email="lan.vt@gialai.gov.vn",
    )
    assert changed
    user = _user(session, "stc.chuyenvien")
    assert (user.full_name, user.role, user.email) == ("Võ Thị Lan", Role.LEADER, "lan.vt@gialai.gov.vn")
    [entry] = _journal(session, "stc.chuyenvien")
    assert entry.action == "update"
    assert entry.before == {"full_name": "Stc.Chuyenvien", "role": "specialist", "unit": FINANCE, "email": None}
    assert entry.after == {"full_name": "Võ Thị Lan", "role": "leader", "unit": PLEIKU, "email": "lan.vt@gialai.gov.vn"}
    # the new role and unit are the account's at its next page run
    actor = build_actor(session=session, config=runtime.config, user_id=user.id or 0)
    assert actor is not None and actor.role is Role.LEADER and actor.unit_name == "UBND TP Pleiku"
    # the same values again: nothing written
    again = update_account(
        config_dir=SEED,
        session=session,
        actor=admin,
        username="stc.chuyenvien",
        full_name="Võ Thị Lan",
        role=Role.LEADER,
        unit_code=PLEIKU,
        email="lan.vt@gialai.gov.vn",
    )
    assert not again and len(_journal(session, "stc.chuyenvien")) == 1


def test_a_wrong_edit_changes_nothing(session: Session, actors: dict[str, Actor]) -> None:
    before = _state(session)
    with pytest.raises(InvalidInput) as refused:
        update_account(
            config_dir=SEED,
            session=session,
            actor=actors["admin"],
            username="stc.vanthu",
            full_name="",
            role="chu_tich",
            unit_code="000.00.99.H21",
            email="@",
        )
    assert {e.field for e in refused.value.errors} == {"full_name", "role", "unit", "email"}
    assert _state(session) == before
    with pytest.raises(NotFound, match=re.escape("Không có tài khoản 'khong.co'.")):
        update_account(
            config_dir=SEED,
            session=session,
            actor=actors["admin"],
            username="khong.co",
            full_name="A B",
            role="clerk",
            unit_code=FINANCE,
        )
    assert _state(session) == before


# --- the last admin ------------------------------------------------------------------------------


def test_the_last_active_admin_is_neither_locked_nor_demoted(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    before = _state(session)
    with pytest.raises(Conflict) as locked:
        set_account_locked(config_dir=SEED, session=session, actor=admin, username="admin", locked=True)
    assert locked.value.message.startswith("Không thể khóa “admin”: đây là tài khoản quản trị cuối cùng còn hoạt động.")
    with pytest.raises(Conflict) as demoted:
        update_account(
            config_dir=SEED, session=session, actor=admin, username="admin", full_name="Admin", role="tracker",
            unit_code=ICT,
        )
    assert demoted.value.message.startswith(
        "Không thể đổi vai trò của “admin”: đây là tài khoản quản trị cuối cùng còn hoạt động."
    )
    assert _state(session) == before
    # a second admin, locked, does not count; active, it does
    _create(session, admin, "admin2", role=Role.ADMIN, unit_code=ICT)
    set_account_locked(config_dir=SEED, session=session, actor=admin, username="admin2", locked=True)
    with pytest.raises(Conflict):
        set_account_locked(config_dir=SEED, session=session, actor=admin, username="admin", locked=True)
    set_account_locked(config_dir=SEED, session=session, actor=admin, username="admin2", locked=False)
    assert update_account(
        config_dir=SEED,
        session=session, actor=admin, username="admin", full_name="Admin", role="tracker", unit_code=ICT
    )
    assert _user(session, "admin").role is Role.TRACKER
    # and now admin2 is the last one
    with pytest.raises(Conflict):
        set_account_locked(config_dir=SEED, session=session, actor=admin, username="admin2", locked=True)


@pytest.mark.parametrize("change", ["demote", "lock"])
def test_two_admins_removing_each_other_at_once_leave_one(
    runtime: Runtime, session: Session, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """admin takes admin2's role (or locks it) while admin2 does the same to admin. Each racer waits
    for the other right after counting the other admins: were the count not under a lock, both
    would count one, both would save, and nobody could administer the app any more."""
    admin = actors["admin"]
    _create(session, admin, "admin2", role=Role.ADMIN, unit_code=ICT)
    admin2 = build_actor(session=session, config=runtime.config, user_id=_user(session, "admin2").id or 0)
    assert admin2 is not None
    pause_after(monkeypatch, administrators, "administrators")  # the other counts meanwhile, unless held back
    outcomes: dict[str, BaseException | None] = {}

    def act(actor: Actor, target: str) -> None:
        with Session(runtime.engine, expire_on_commit=False) as own:
            try:
                if change == "lock":
                    set_account_locked(config_dir=SEED, session=own, actor=actor, username=target, locked=True)
                else:
                    update_account(
                        config_dir=SEED,
                        session=own, actor=actor, username=target, full_name=target.title(), role="tracker",
                        unit_code=ICT,
                    )
                outcomes[target] = None
            except BaseException as exc:  # judged below
                outcomes[target] = exc

    racers = [
        threading.Thread(target=act, args=(admin, "admin2")),
        threading.Thread(target=act, args=(admin2, "admin")),
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    refused = [exc for exc in outcomes.values() if exc is not None]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    assert isinstance(refused[0], Conflict) and "tài khoản quản trị cuối cùng còn hoạt động" in refused[0].message
    session.expire_all()
    still = session.exec(select(User).where(User.role == Role.ADMIN, col(User.active).is_(True))).all()
    assert len(still) == 1


# --- lock, unlock, reset -------------------------------------------------------------------------


def test_lock_ends_the_sessions_and_unlock_lets_back_in(session: Session, actors: dict[str, Actor]) -> None:
    admin, clerk = actors["admin"], actors["clerk"]
    secret = start_session(session=session, user_id=clerk.user_id, now=now_utc() - timedelta(minutes=5))
    assert set_account_locked(config_dir=SEED, session=session, actor=admin, username="stc.vanthu", locked=True)
    assert not _user(session, "stc.vanthu").active
    assert session_user(session=session, session_id=secret, limits=LIMITS, now=now_utc()) is None
    assert authenticate(session=session, username="stc.vanthu", password=PASSWORD) is None
    # already
    assert not set_account_locked(config_dir=SEED, session=session, actor=admin, username="stc.vanthu", locked=True)
    assert set_account_locked(config_dir=SEED, session=session, actor=admin, username="stc.vanthu", locked=False)
    assert authenticate(session=session, username="stc.vanthu", password=PASSWORD) is not None
    assert [(e.action, e.before, e.after) for e in _journal(session, "stc.vanthu")] == [
        ("lock", {"active": True}, {"active": False}),
        ("unlock", {"active": False}, {"active": True}),
    ]
    kinds = session.exec(select(AuthEvent.kind, AuthEvent.detail).where(AuthEvent.username == "stc.vanthu")).all()
    assert (AuthEventKind.ACCOUNT_LOCKED, "bởi quản trị viên admin (trang Người dùng)") in kinds
    assert (AuthEventKind.ACCOUNT_UNLOCKED, "bởi quản trị viên admin (trang Người dùng)") in kinds


def test_a_reset_password_ends_the_sessions_and_must_be_changed(session: Session, actors: dict[str, Actor]) -> None:
    admin, clerk = actors["admin"], actors["clerk"]
    old_hash = _user(session, "stc.vanthu").password_hash
    secret = start_session(session=session, user_id=clerk.user_id, now=now_utc() - timedelta(minutes=5))
    password = reset_password(session=session, actor=admin, username="stc.vanthu")
    user = _user(session, "stc.vanthu")
    assert user.must_change_password and user.password_hash != old_hash
    assert authenticate(session=session, username="stc.vanthu", password=PASSWORD) is None
    assert authenticate(session=session, username="stc.vanthu", password=password) is not None
    assert session_user(session=session, session_id=secret, limits=LIMITS, now=now_utc()) is None
    [entry] = _journal(session, "stc.vanthu")
    assert (entry.action, entry.before, entry.after) == (
        "reset_password",
        {"must_change_password": False},
        {"must_change_password": True},
    )
    # neither the password nor a hash anywhere in the journals
    journals = json.dumps([(c.before, c.after, c.detail) for c in session.exec(select(AdminChange)).all()])
    journals += json.dumps([e.detail for e in session.exec(select(AuthEvent)).all()])
    assert password not in journals and "$argon2" not in journals
    assert user.password_hash not in journals and old_hash not in journals


# --- the forced change at first login ------------------------------------------------------------


def test_the_first_login_change(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    first = _create(session, actors["admin"], "syt.vanthu")
    user = _user(session, "syt.vanthu")
    actor = build_actor(session=session, config=runtime.config, user_id=user.id or 0)
    assert actor is not None and actor.must_change_password
    now = now_utc()
    this_browser = start_session(session=session, user_id=actor.user_id, now=now - timedelta(minutes=2))
    elsewhere = start_session(session=session, user_id=actor.user_id, now=now - timedelta(minutes=1))
    before = _state(session)

    def refused(current: str, new: str, again: str) -> dict[str, str]:
        with pytest.raises(InvalidInput) as error:
            change_own_password(
                session=session,
                actor=actor,
                current_password=current,
                new_password=new,
                new_password_again=again,
                keep_session_id=this_browser,
            )
        assert _state(session) == before
        return {e.field: e.message for e in error.value.errors}

    assert refused("sai-mat-khau", "Mat-khau-moi-2026", "Mat-khau-moi-2026") == {
        "current_password": "Mật khẩu hiện tại không đúng."
    }
    assert refused(first, "Mat-khau-moi-2026", "Mat-khau-moi-2027") == {
        "new_password_again": "Hai lần nhập mật khẩu mới không giống nhau."
    }
    assert refused(first, "ngan", "ngan") == {"new_password": "Mật khẩu phải có ít nhất 10 ký tự."}
    assert refused(first, "syt.vanthu-2026", "syt.vanthu-2026") == {
        "new_password": "Mật khẩu không được chứa tên đăng nhập."
    }
    assert refused(first, first, first) == {"new_password": "Mật khẩu mới phải khác mật khẩu hiện tại."}
    assert set(refused("", "", "x")) == {"current_password", "new_password", "new_password_again"}

    ended = change_own_password(
        session=session,
        actor=actor,
        current_password=first,
        new_password="Mat-khau-moi-2026",
        new_password_again="Mat-khau-moi-2026",
        keep_session_id=this_browser,
        now=now,
    )
    assert ended == 1
    user = _user(session, "syt.vanthu")
    assert not user.must_change_password
    assert authenticate(session=session, username="syt.vanthu", password="Mat-khau-moi-2026") is not None
    assert authenticate(session=session, username="syt.vanthu", password=first) is None
    # this browser goes on, the other one is out
    assert session_user(session=session, session_id=this_browser, limits=LIMITS, now=now) == user.id
    assert session_user(session=session, session_id=elsewhere, limits=LIMITS, now=now) is None
    after = build_actor(session=session, config=runtime.config, user_id=user.id or 0)
    assert after is not None and not after.must_change_password
    [event] = session.exec(
        select(AuthEvent).where(AuthEvent.username == "syt.vanthu", AuthEvent.kind == AuthEventKind.PASSWORD_CHANGED)
    ).all()
    assert event.detail == "Người dùng tự đổi mật khẩu; kết thúc 1 phiên đăng nhập khác."
    # the person's own change is not an admin change
    assert [c.action for c in _journal(session, "syt.vanthu")] == ["create"]


def test_the_reminder_jobs_account_is_never_changed(session: Session, actors: dict[str, Actor]) -> None:
    """The daily reminder job acts as an inactive system account: nobody may unlock it, edit it or
    give it a password, so nobody can ever log in as the job."""
    system_user_id(session=session, now=now_utc())
    session.commit()
    admin = actors["admin"]
    before = _state(session)
    attempts: list[Callable[[], object]] = [
        lambda: set_account_locked(
            config_dir=SEED, session=session, actor=admin, username=SYSTEM_USERNAME, locked=False
        ),
        lambda: reset_password(session=session, actor=admin, username=SYSTEM_USERNAME),
        lambda: update_account(
            config_dir=SEED,
            session=session, actor=admin, username=SYSTEM_USERNAME, full_name="X", role="admin", unit_code=ICT
        ),
        lambda: accounts_service.set_locked(
            session=session, username=SYSTEM_USERNAME, locked=False, now=now_utc(), config_dir=SEED
        ),
        lambda: accounts_service.set_password(
            session=session, username=SYSTEM_USERNAME, password="Mot-mat-khau-dai-2026", now=now_utc()
        ),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as refused:
            attempt()
        assert "tài khoản hệ thống của việc đôn đốc tự động" in refused.value.message
        session.rollback()
    assert _state(session) == before
    assert not _user(session, SYSTEM_USERNAME).active
