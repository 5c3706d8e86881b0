"""Người dùng (Quản trị) through AppTest: the list searched without accents and filtered; an
account created with its password shown once; refusals under their fields with nothing saved;
an edit, a lock, a reset; the last admin kept; and the forced "Đổi mật khẩu" at the first login,
after which the role's page opens."""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import AdminChange, Role, User
from services.access.auth import verify_password
from services.access.sessions import make_session_token
from services.admin.users import create_account
from services.infra.settings import ROOT
from tests.conftest import HEALTH, PASSWORD
from tests.pages.conftest import SECRET, World, by_label, values
from ui.format import md_escape
from ui.runtime import TOKEN_STATE_KEY

WORLD_USERS = ["admin"]
PAGE = "pages/admin_users.py"
CHANGE = "pages/change_password.py"


def _user(world: World, username: str) -> User | None:
    with world.session() as s:
        return s.exec(select(User).where(User.username == username)).first()


def _journal_count(world: World) -> int:
    with world.session() as s:
        return len(s.exec(select(AdminChange)).all())


def _table(at: AppTest) -> list[dict[str, str]]:
    frame = at.dataframe[0].value
    return [{str(k): str(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _filter(at: AppTest, query: str = "", status: str = "") -> None:
    at.text_input(key="admin_users_query").set_value(query)
    at.selectbox(key="admin_users_status").set_value(status)
    by_label(at.button, "Lọc").click().run()
    assert not at.exception


def test_the_admin_finds_accounts_without_accents(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert values(at.title) == ["Người dùng"]
    names = [row["Tên đăng nhập"] for row in _table(at)]
    assert "admin" in names and "stc.vanthu" in names
    _filter(at, "le thi van thu")
    assert [(r["Tên đăng nhập"], r["Họ tên"], r["Vai trò"], r["Đơn vị"], r["Trạng thái"]) for r in _table(at)] == [
        ("stc.vanthu", "Lê Thị Văn Thư", "Văn thư", "Sở Tài chính", "Đang hoạt động")
    ]
    _filter(at, "khong ai ten nay")
    assert values(at.info) == ["Không có tài khoản nào khớp bộ lọc."]


def test_create_an_account_shows_its_password_once(world: World) -> None:
    at = world.app_as("admin", PAGE)
    at.text_input(key="admin_users_new_username").set_value("syt.vanthu2")
    at.text_input(key="admin_users_new_full_name").set_value("Đỗ Thị Hằng")
    at.selectbox(key="admin_users_new_role").set_value("clerk")
    at.selectbox(key="admin_users_new_unit").set_value(HEALTH)
    at.text_input(key="admin_users_new_email").set_value("hang.dt@gialai.gov.vn")
    by_label(at.button, "Tạo tài khoản").click().run()
    assert not at.exception and not at.error
    assert values(at.success)[0].startswith("Đã tạo tài khoản “syt.vanthu2”. Mật khẩu dưới đây chỉ hiện **một lần**")
    (password,) = values(at.code)
    user = _user(world, "syt.vanthu2")
    assert user is not None and user.must_change_password and user.email == "hang.dt@gialai.gov.vn"
    assert verify_password(user.password_hash, password)
    # the form starts afresh, and the password is gone at the next run
    assert at.text_input(key="admin_users_new_username_1").value == ""
    at.run()
    assert not at.code and not at.success


def test_refusals_are_shown_under_their_fields_and_nothing_is_saved(world: World) -> None:
    at = world.app_as("admin", PAGE)
    before = _journal_count(world)
    at.text_input(key="admin_users_new_username").set_value("STC.VanThu")
    at.text_input(key="admin_users_new_full_name").set_value("Ai Đó")
    at.text_input(key="admin_users_new_email").set_value("khong-phai-email")
    by_label(at.button, "Tạo tài khoản").click().run()
    assert not at.exception and not at.code
    errors = values(at.error)
    assert "Tên đăng nhập “stc.vanthu” đã có; hãy chọn tên khác." in errors
    assert "Vai trò: hãy chọn vai trò của tài khoản." in errors
    assert "Đơn vị: hãy chọn đơn vị của tài khoản." in errors
    assert md_escape("E-mail không đúng dạng (ví dụ: ten@gialai.gov.vn).") in errors
    assert any(e.startswith("Chưa lưu. Sửa 4 ô được đánh dấu đỏ ở trên") for e in errors)
    assert _journal_count(world) == before
    # what was typed is kept
    assert at.text_input(key="admin_users_new_full_name").value == "Ai Đó"


def test_edit_lock_and_reset_an_account(world: World) -> None:
    at = world.app_as("admin", PAGE)
    _filter(at, "pleiku van thu")
    assert at.selectbox(key="admin_users_chosen").value == "pleiku.vanthu"
    uid = world.user_ids["pleiku.vanthu"]
    at.text_input(key=f"admin_users_edit_{uid}_full_name").set_value("Siu H'Nga <b>")
    at.text_input(key=f"admin_users_edit_{uid}_email").set_value("nga@pleiku.gov.vn")
    by_label(at.button, "Lưu thay đổi").click().run()
    assert not at.exception and not at.error
    assert values(at.success) == ["Đã lưu tài khoản “pleiku.vanthu”."]
    user = _user(world, "pleiku.vanthu")
    assert user is not None and (user.full_name, user.email) == ("Siu H'Nga <b>", "nga@pleiku.gov.vn")
    assert _table(at)[0]["Họ tên"] == "Siu H'Nga <b>"  # a table cell: text, never markup

    by_label(at.button, "Khóa tài khoản").click().run()
    assert values(at.success) == ["Đã khóa tài khoản “pleiku.vanthu”."]
    assert _table(at)[0]["Trạng thái"] == "Đã khóa"
    by_label(at.button, "Mở khóa tài khoản").click().run()
    assert values(at.success) == ["Đã mở khóa tài khoản “pleiku.vanthu”."]

    by_label(at.button, "Cấp lại mật khẩu").click().run()
    assert not at.exception
    assert values(at.success)[0].startswith("Đã cấp lại mật khẩu cho tài khoản “pleiku.vanthu”.")
    (password,) = values(at.code)
    user = _user(world, "pleiku.vanthu")
    assert user is not None and user.must_change_password and verify_password(user.password_hash, password)
    assert _table(at)[0]["Mật khẩu"] == "Chờ người dùng đổi"


def test_the_last_admin_cannot_lock_or_demote_itself(world: World) -> None:
    at = world.app_as("admin", PAGE)
    _filter(at, "admin")
    assert at.selectbox(key="admin_users_chosen").value == "admin"
    before = _journal_count(world)
    by_label(at.button, "Khóa tài khoản").click().run()
    assert not at.exception
    assert values(at.error)[0].startswith("Không thể khóa “admin”: đây là tài khoản quản trị cuối cùng còn hoạt động.")
    uid = world.user_ids["admin"]
    at.selectbox(key=f"admin_users_edit_{uid}_role").set_value("tracker")
    by_label(at.button, "Lưu thay đổi").click().run()
    assert values(at.error)[0].startswith("Không thể đổi vai trò của “admin”")
    user = _user(world, "admin")
    assert user is not None and user.active and user.role is Role.ADMIN
    assert _journal_count(world) == before


def test_other_roles_do_not_reach_the_page_but_change_their_password(world: World) -> None:
    at = world.app_as("stc.vanthu")
    pages = [p["page_name"] for p in at._registered_pages.values()]
    assert "Đổi mật khẩu" in pages and "Người dùng" not in pages
    admin_pages = [p["page_name"] for p in world.app_as("admin")._registered_pages.values()]
    assert "Người dùng" in admin_pages and "Đổi mật khẩu" in admin_pages
    at.switch_page(CHANGE).run()
    assert values(at.title) == ["Đổi mật khẩu"] and not at.warning
    by_label(at.text_input, "Mật khẩu hiện tại *").set_value("sai-mat-khau")
    by_label(at.text_input, "Mật khẩu mới *").set_value("Mat-khau-moi-2026")
    by_label(at.text_input, "Nhập lại mật khẩu mới *").set_value("Mat-khau-moi-2026")
    by_label(at.button, "Đổi mật khẩu").click().run()
    assert "Mật khẩu hiện tại không đúng." in values(at.error)
    user = _user(world, "stc.vanthu")
    assert user is not None and verify_password(user.password_hash, PASSWORD)


def _first_login_only(at: AppTest) -> bool:
    """The password change is the one page: every other app URL is a hidden stand-in leading to it
    (a bookmark opens the change, not "page not found"), with no page file of its own."""
    pages = list(at._registered_pages.values())
    real = [p for p in pages if str(p["script_path"]).startswith(str(ROOT / "pages"))]
    stand_ins = [p for p in pages if p not in real]
    return (
        [p.get("page_name") for p in real] == ["Đổi mật khẩu"]
        and {p.get("url_pathname") for p in stand_ins} >= {"giam-sat", "nguoi-dung", "chi-tiet", "viec-cho-toi"}
    )


def test_the_first_login_shows_only_the_password_change(world: World) -> None:
    with world.session() as s:
        admin = world.actor("admin")
        row, first = create_account(
            session=s, actor=admin, username="stc.moi", full_name="Cán Bộ Mới", role="clerk", unit_code="000.00.05.H21"
        )
        token = make_session_token(session=s, user_id=row.user_id, secret=SECRET)
    world.activate()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state[TOKEN_STATE_KEY] = token
    at.run()
    assert not at.exception
    assert _first_login_only(at)
    assert values(at.title) == ["Đổi mật khẩu"]
    assert values(at.warning)[0].startswith("Mật khẩu bạn đang dùng do quản trị viên cấp.")
    by_label(at.text_input, "Mật khẩu hiện tại *").set_value(first)
    by_label(at.text_input, "Mật khẩu mới *").set_value("stc.moi")
    by_label(at.text_input, "Nhập lại mật khẩu mới *").set_value("stc.moi")
    by_label(at.button, "Đổi mật khẩu").click().run()
    assert "Mật khẩu phải có ít nhất 10 ký tự." in values(at.error)
    assert _first_login_only(at)

    by_label(at.text_input, "Mật khẩu mới *").set_value("Can-bo-moi-2026")
    by_label(at.text_input, "Nhập lại mật khẩu mới *").set_value("Can-bo-moi-2026")
    by_label(at.button, "Đổi mật khẩu").click().run()
    assert not at.exception
    # the same session goes on, on the clerk's own page, with the whole menu
    assert values(at.title) == ["Việc chờ tôi xử lý"]
    assert "Đổi mật khẩu" in [p["page_name"] for p in at._registered_pages.values()]
    assert values(at.toast) == ["Đã đổi mật khẩu."]
    user = _user(world, "stc.moi")
    assert user is not None and not user.must_change_password
    assert verify_password(user.password_hash, "Can-bo-moi-2026")
