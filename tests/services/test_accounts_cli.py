"""Accounts from the command line: the password policy, create-admin / create-user / set-password /
lock / unlock, and the refusal to go live with the demo password (``manage.py check``).

The commands run through ``manage.main`` in this process, on the test's own database (SQLite,
or PostgreSQL under ``GIAOVIEC_TEST_BACKEND=postgresql``) reached through the environment as an
operator's would be; the password comes from stdin (not a terminal), or from ``getpass`` when
stdin is made to look like a terminal.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

import manage
from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, ensure_demo_accounts
from models import AuthEvent, AuthEventKind, AuthSession, Role, SessionEndReason, User
from services.access import accounts
from services.access.accounts import COMMAND_LINE, accounts_with_password, check_password, common_passwords
from services.access.auth import authenticate, verify_password
from services.access.permissions import Actor
from services.access.sessions import SessionLimits, session_user, start_session
from services.infra.clock import now_utc
from services.infra.errors import InvalidInput
from services.infra.settings import ROOT as _ROOT
from services.infra.settings import get_settings
from services.runtime import Runtime
from tests.conftest import PASSWORD
from tests.services.support import SECRET

SEED = _ROOT / "config"  # the seed configuration: its roles are in force while no version is stored

ICT = "000.00.11.H21"
NEW_PASSWORD = "Ngay-mai-troi-sang-26"

Cli = Callable[..., tuple[int, str, str]]


class Terminal(io.StringIO):
    """Standard input that says it is a terminal: the command must use getpass, not read it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """``manage.py ARGS`` against this test's database, with ``stdin`` as its standard input."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GIAOVIEC_DATABASE_URL", runtime.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("GIAOVIEC_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("GIAOVIEC_SECRET_KEY", SECRET)
    get_settings.cache_clear()

    def run(*argv: str, stdin: str = "", tty: bool = False) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr("sys.stdin", Terminal(stdin) if tty else io.StringIO(stdin))
        code = manage.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()


def user(runtime: Runtime, username: str) -> User:
    with Session(runtime.engine) as session:
        return session.exec(select(User).where(User.username == username)).one()


# --- the policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("stc.vanthu", "Ngan-26!", "ít nhất 10 ký tự"),
        ("stc.vanthu", "123456789", "ít nhất 10 ký tự"),
        ("stc.vanthu", "stc.vanthu", "chứa tên đăng nhập"),
        ("nguyenvana", "nguyenvana", "chứa tên đăng nhập"),
        ("nguyenvana", "NguyenVanA-2026", "chứa tên đăng nhập"),
        ("stc.vanthu", "xxSTC.VANTHUxx", "chứa tên đăng nhập"),
        ("admin", "giaoviec2026", "quá phổ biến"),
        ("admin", "GiaoViec2026", "quá phổ biến"),
        ("admin", "12345678910", "quá phổ biến"),
        ("admin", "matkhau123", "quá phổ biến"),
        ("admin", "password123", "quá phổ biến"),
        ("admin", "Qwertyuiop", "quá phổ biến"),
    ],
)
def test_a_weak_password_is_refused_with_its_reason(username: str, password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        check_password(username=username, password=password)
    assert refused.value.field == "password"


def test_a_good_password_passes_and_the_list_is_read_from_the_data_file() -> None:
    check_password(username="stc.vanthu", password=NEW_PASSWORD)
    check_password(username="admin", password="mot cau rat dai co dau cach")
    listed = common_passwords()
    assert {"giaoviec2026", "12345678910", "matkhau123", "password123"} <= listed
    assert all(not p.startswith("#") for p in listed)
    assert len(listed) >= 90


# --- create-admin, create-user --------------------------------------------------------------------


def test_create_admin_reads_the_password_from_stdin(runtime: Runtime, cli: Cli) -> None:
    code, out, err = cli(
        "create-admin", "Quan.Tri", "--name", "Quản trị viên", "--unit", ICT, stdin=NEW_PASSWORD + "\n"
    )
    assert (code, err) == (0, "")
    assert out == "Đã tạo tài khoản quan.tri (admin).\n"
    created = user(runtime, "quan.tri")
    assert (created.role, created.full_name, created.active) == (Role.ADMIN, "Quản trị viên", True)
    assert verify_password(created.password_hash, NEW_PASSWORD)


def test_create_admin_asks_twice_on_a_terminal(runtime: Runtime, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([NEW_PASSWORD, NEW_PASSWORD + "x"])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("manage.getpass.getpass", fake_getpass)
    code, _, err = cli("create-admin", "quantri2", "--name", "Quản trị 2", "--unit", ICT, stdin=NEW_PASSWORD, tty=True)
    assert code == 1
    assert err == "Hai lần nhập mật khẩu không khớp; không có gì thay đổi.\n"
    assert prompts == ["Mật khẩu mới cho quantri2: ", "Nhập lại mật khẩu: "]
    with Session(runtime.engine) as session:
        assert session.exec(select(User).where(User.username == "quantri2")).first() is None

    answers = iter([NEW_PASSWORD, NEW_PASSWORD])
    code, out, _ = cli("create-admin", "quantri2", "--name", "Quản trị 2", "--unit", ICT, tty=True)
    assert (code, out) == (0, "Đã tạo tài khoản quantri2 (admin).\n")
    assert verify_password(user(runtime, "quantri2").password_hash, NEW_PASSWORD)


def test_create_admin_refuses_a_weak_password_and_creates_nothing(runtime: Runtime, cli: Cli) -> None:
    with Session(runtime.engine) as session:
        before = len(session.exec(select(User)).all())
    code, out, err = cli("create-admin", "quantri", "--name", "Quản trị", "--unit", ICT, stdin="giaoviec2026\n")
    assert (code, out) == (1, "")
    assert "quá phổ biến" in err
    code, _, err = cli("create-admin", "quantri", "--name", "Quản trị", "--unit", ICT, stdin="quantri-2026-moi\n")
    assert (code, err) == (1, "Mật khẩu không được chứa tên đăng nhập.\n")
    with Session(runtime.engine) as session:
        assert len(session.exec(select(User)).all()) == before


def test_create_user_prompts_and_warns_about_password_on_the_command_line(runtime: Runtime, cli: Cli) -> None:
    code, out, err = cli(
        "create-user",
        "syt.vanthu",
        "--name",
        "Văn thư Y tế",
        "--role",
        "clerk",
        "--unit",
        "000.00.16.H21",
        stdin=NEW_PASSWORD + "\n",
    )
    assert (code, err, out) == (0, "", "Đã tạo tài khoản syt.vanthu (clerk).\n")
    assert verify_password(user(runtime, "syt.vanthu").password_hash, NEW_PASSWORD)

    code, out, err = cli(
        "create-user",
        "syt.lanhdao",
        "--name",
        "Lãnh đạo Y tế",
        "--role",
        "leader",
        "--unit",
        "000.00.16.H21",
        "--password",
        "Mat-khau-tren-dong-lenh",
    )
    assert code == 0
    assert "Cảnh báo: mật khẩu trên dòng lệnh lộ trong lịch sử lệnh" in err
    assert verify_password(user(runtime, "syt.lanhdao").password_hash, "Mat-khau-tren-dong-lenh")


def test_create_user_help_discourages_the_password_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        manage.main(["create-user", "--help"])
    assert done.value.code == 0
    assert "KHÔNG KHUYẾN KHÍCH" in " ".join(capsys.readouterr().out.split())


# --- set-password, lock, unlock -------------------------------------------------------------------


def test_set_password_ends_the_sessions_and_replaces_the_password(
    runtime: Runtime, actors: dict[str, Actor], cli: Cli
) -> None:
    assert user(runtime, "stc.vanthu").sessions_valid_after is None
    before = now_utc()
    code, out, err = cli("set-password", "STC.VanThu", stdin=NEW_PASSWORD + "\n")
    after = now_utc()
    assert (code, err) == (0, "")
    assert out == "Đã đặt mật khẩu mới cho stc.vanthu; mọi phiên đăng nhập trước đó đã kết thúc.\n"
    changed = user(runtime, "stc.vanthu")
    assert changed.sessions_valid_after is not None
    assert before <= changed.sessions_valid_after <= after
    with Session(runtime.engine) as session:
        assert authenticate(session=session, username="stc.vanthu", password=PASSWORD) is None
        assert authenticate(session=session, username="stc.vanthu", password=NEW_PASSWORD) is not None


def test_set_password_refusals_change_nothing(runtime: Runtime, actors: dict[str, Actor], cli: Cli) -> None:
    old_hash = user(runtime, "stc.vanthu").password_hash
    code, _, err = cli("set-password", "stc.vanthu", stdin="matkhau123\n")
    assert (code, err) == (
        1,
        "Mật khẩu này quá phổ biến (có trong danh sách mật khẩu hay bị dò); hãy chọn mật khẩu khác.\n",
    )
    code, _, err = cli("set-password", "stc.vanthu", stdin="\n")
    assert (code, err) == (1, "Mật khẩu phải có ít nhất 10 ký tự.\n")
    unchanged = user(runtime, "stc.vanthu")
    assert (unchanged.password_hash, unchanged.sessions_valid_after) == (old_hash, None)
    code, _, err = cli("set-password", "khong.co.ai", stdin=NEW_PASSWORD + "\n")
    assert (code, err) == (1, "Không có tài khoản 'khong.co.ai'.\n")


def test_lock_ends_the_sessions_and_unlock_lets_the_user_in_again(
    runtime: Runtime, actors: dict[str, Actor], cli: Cli
) -> None:
    before = now_utc()
    code, out, err = cli("lock", "stc.vanthu", "stc.lanhdao")
    assert (code, err) == (0, "")
    assert out == (
        "Đã khoá stc.vanthu; mọi phiên đăng nhập đã kết thúc.\nĐã khoá stc.lanhdao; mọi phiên đăng nhập đã kết thúc.\n"
    )
    for name in ("stc.vanthu", "stc.lanhdao"):
        locked = user(runtime, name)
        assert locked.active is False
        assert locked.sessions_valid_after is not None and locked.sessions_valid_after >= before
    with Session(runtime.engine) as session:
        assert authenticate(session=session, username="stc.vanthu", password=PASSWORD) is None
    assert user(runtime, "stc.chuyenvien").active is True

    stamp = user(runtime, "stc.vanthu").sessions_valid_after
    code, out, _ = cli("lock", "stc.vanthu")
    assert (code, out) == (0, "Tài khoản stc.vanthu đã bị khoá từ trước.\n")
    assert user(runtime, "stc.vanthu").sessions_valid_after == stamp

    code, out, _ = cli("unlock", "stc.vanthu")
    assert (code, out) == (0, "Đã mở khoá stc.vanthu.\n")
    with Session(runtime.engine) as session:
        assert authenticate(session=session, username="stc.vanthu", password=PASSWORD) is not None
    code, out, _ = cli("unlock", "stc.vanthu")
    assert (code, out) == (0, "Tài khoản stc.vanthu đã đang hoạt động từ trước.\n")
    code, _, err = cli("lock", "khong.co.ai")
    assert (code, err) == (1, "Không có tài khoản 'khong.co.ai'.\n")


def test_the_last_active_admin_cannot_be_locked(runtime: Runtime, actors: dict[str, Actor], cli: Cli) -> None:
    code, out, err = cli("lock", "admin")
    assert (code, out) == (1, "")
    assert err.startswith("Không thể khoá 'admin': đây là tài khoản quản trị cuối cùng còn hoạt động.")
    assert user(runtime, "admin").active is True
    assert user(runtime, "admin").sessions_valid_after is None

    assert cli("create-admin", "quantri2", "--name", "Quản trị 2", "--unit", ICT, stdin=NEW_PASSWORD)[0] == 0
    assert cli("lock", "admin")[0] == 0
    assert user(runtime, "admin").active is False
    code, _, err = cli("lock", "quantri2")
    assert code == 1 and "quản trị cuối cùng" in err
    assert user(runtime, "quantri2").active is True


# --- the demo password ----------------------------------------------------------------------------


def test_check_refuses_the_demo_accounts_until_each_is_fixed(runtime: Runtime, session: Session, cli: Cli) -> None:
    assert cli("check") == (0, "Cơ sở dữ liệu đã được cập nhật; không còn tài khoản nào có mật khẩu mẫu.\n", "")
    ensure_demo_accounts(session=session, config=runtime.config)
    demo = sorted(a.username for a in DEMO_ACCOUNTS)
    assert len(demo) == 8

    code, out, err = cli("check")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"Không khởi động: 8 tài khoản còn mật khẩu mẫu công khai '{DEMO_PASSWORD}' (in trong README): "
        f"{', '.join(demo)}.\n"
    )
    assert "python manage.py create-admin TÊN" in err
    assert "python manage.py set-password admin\n" in err
    assert err.endswith("python manage.py lock --demo\n")
    assert cli("serve", "--port", "1")[0] == 1  # refused before anything starts

    # admin is the only admin: locked are the seven others, admin is refused (exit 1).
    code, out, err = cli("lock", "--demo")
    assert code == 1
    assert out.count("Đã khoá ") == 7 and "Đã khoá admin" not in out
    assert err.startswith("Không thể khoá 'admin'")
    code, _, err = cli("check")
    assert code == 1 and "1 tài khoản còn mật khẩu mẫu" in err and "(in trong README): admin." in err

    assert cli("set-password", "admin", stdin=NEW_PASSWORD + "\n")[0] == 0
    assert cli("check")[0] == 0
    # Found again, though no other active account shares its hash any more.
    assert cli("unlock", "pleiku.chuyenvien")[0] == 0
    code, _, err = cli("check")
    assert code == 1 and "(in trong README): pleiku.chuyenvien." in err


def test_demo_accounts_are_found_with_one_argon2_verification_per_shared_hash(
    runtime: Runtime, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_demo_accounts(session=session, config=runtime.config)  # eight accounts, one hash
    for name in ("nguyen.van.a", "tran.thi.b"):  # real people: each password hashed with its own salt
        accounts.create_user(
            session=session,
            username=name,
            full_name=name,
            password=NEW_PASSWORD,
            role=Role.CLERK,
            unit_code="000.00.05.H21",
        )
    accounts.set_locked(config_dir=SEED, session=session, username="vp.lanhdao", locked=True, now=now_utc())
    accounts.set_password(session=session, username="stc.vanthu", password=NEW_PASSWORD, now=now_utc())
    checked: list[str] = []

    def counting_verify(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return verify_password(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting_verify)
    found = accounts_with_password(session=session, password=DEMO_PASSWORD, usernames=["admin", "stc.vanthu"])
    assert found == ["admin", "pleiku.chuyenvien", "pleiku.lanhdao", "stc.chuyenvien", "stc.lanhdao", "vp.theodoi"]
    assert len(checked) == 2  # the shared demo hash, and stc.vanthu's new one (named)
    # A lone account left with the demo hash is still found while the others are locked.
    for name in found:
        if name != "admin":
            accounts.set_locked(config_dir=SEED, session=session, username=name, locked=True, now=now_utc())
    accounts.set_locked(config_dir=SEED, session=session, username="vp.lanhdao", locked=False, now=now_utc())
    assert accounts_with_password(session=session, password=DEMO_PASSWORD, usernames=[]) == ["admin", "vp.lanhdao"]


def test_sessions_valid_after_is_utc(runtime: Runtime, actors: dict[str, Actor], session: Session) -> None:
    changed = accounts.set_password(session=session, username="stc.vanthu", password=NEW_PASSWORD, now=now_utc())
    assert isinstance(changed.sessions_valid_after, datetime)
    assert user(runtime, "stc.vanthu").sessions_valid_after.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_set_password_and_lock_end_the_open_sessions_and_are_in_the_audit_log(
    runtime: Runtime, actors: dict[str, Actor], cli: Cli
) -> None:
    limits = SessionLimits(idle=timedelta(hours=1), max_age=timedelta(hours=12))
    opened = now_utc() - timedelta(minutes=5)
    with Session(runtime.engine) as session:
        clerk = [start_session(session=session, user_id=actors["clerk"].user_id, now=opened) for _ in range(2)]
        leader = start_session(session=session, user_id=actors["leader"].user_id, now=opened)

    assert cli("set-password", "stc.vanthu", stdin=NEW_PASSWORD)[0] == 0
    assert cli("lock", "stc.lanhdao")[0] == 0
    assert cli("unlock", "stc.lanhdao")[0] == 0
    later = now_utc()
    with Session(runtime.engine) as session:
        for secret in (*clerk, leader):
            assert session_user(session=session, session_id=secret, limits=limits, now=later) is None
        rows = session.exec(select(AuthSession).order_by(col(AuthSession.id))).all()
        assert [(r.user_id, r.ended_reason) for r in rows] == [
            (actors["clerk"].user_id, SessionEndReason.PASSWORD_CHANGED),
            (actors["clerk"].user_id, SessionEndReason.PASSWORD_CHANGED),
            (actors["leader"].user_id, SessionEndReason.ACCOUNT_LOCKED),
        ]
        events = session.exec(select(AuthEvent).order_by(col(AuthEvent.id))).all()
        assert [(e.kind, e.username, e.detail) for e in events] == [
            (AuthEventKind.PASSWORD_CHANGED, "stc.vanthu", COMMAND_LINE),
            (AuthEventKind.SESSION_ENDED, "stc.vanthu", "Kết thúc 2 phiên đang mở: đổi mật khẩu"),
            (AuthEventKind.ACCOUNT_LOCKED, "stc.lanhdao", COMMAND_LINE),
            (AuthEventKind.SESSION_ENDED, "stc.lanhdao", "Kết thúc 1 phiên đang mở: tài khoản bị khóa"),
            (AuthEventKind.ACCOUNT_UNLOCKED, "stc.lanhdao", COMMAND_LINE),
        ]
