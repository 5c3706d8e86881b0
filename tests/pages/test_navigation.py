"""Login state and role → pages: what each role can open, and that every page it can open runs."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from services.access.sessions import make_session_token
from services.infra.settings import ROOT
from tests.pages.conftest import World, values
from ui.runtime import TOKEN_STATE_KEY

WORLD_USERS = ["vp.lanhdao", "admin"]

ASSIGN, CONFIRM, INBOX, UNIT_TASKS, MONITOR, DETAIL, WORKFLOWS, TOKENS, SECURITY_LOG, PASSWORD, LOGIN = (
    "pages/assign.py",
    "pages/confirm.py",
    "pages/inbox.py",
    "pages/unit_tasks.py",
    "pages/monitor.py",
    "pages/task_detail.py",
    "pages/workflows.py",
    "pages/api_tokens.py",
    "pages/security_log.py",
    "pages/change_password.py",
    "pages/login.py",
)
TRENDS = "pages/trends.py"  # Xếp hạng và xu hướng, beside Giám sát for whoever may see it
# the admin's own pages (issue 10), in menu order, with their titles
ADMIN_PAGES = {
    "pages/admin_users.py": "Người dùng",
    "pages/admin_roles.py": "Vai trò và quyền",
    "pages/admin_units.py": "Đơn vị",
    "pages/admin_config.py": "Danh mục và tham số",
    "pages/admin_custom_fields.py": "Trường tùy chỉnh",
    "pages/admin_import.py": "Nhập dữ liệu",
    "pages/admin_config_history.py": "Lịch sử cấu hình",
    "pages/admin_plugins.py": "Phần mở rộng",
}
TITLES = {
    ASSIGN: "Giao nhiệm vụ",
    CONFIRM: "Xác nhận kết quả",
    INBOX: "Việc chờ tôi xử lý",
    UNIT_TASKS: "Nhiệm vụ của đơn vị",
    MONITOR: "Giám sát công việc",
    TRENDS: "Xếp hạng và xu hướng",
    DETAIL: "Chi tiết nhiệm vụ",
    WORKFLOWS: "Quy trình xử lý trong đơn vị",
    TOKENS: "Khóa API",
    SECURITY_LOG: "Nhật ký đăng nhập",
    PASSWORD: "Đổi mật khẩu",
    **ADMIN_PAGES,
}
APP_PAGES = list(TITLES)
OFFICE_PAGES = {UNIT_TASKS, MONITOR, TRENDS, DETAIL, TOKENS, PASSWORD}
UNIT_PAGES = {INBOX, *OFFICE_PAGES}

# username -> (page shown at "/", pages reachable, sidebar line "role · unit")
ROLES: dict[str, tuple[str, set[str], str]] = {
    "vp.theodoi": (
        ASSIGN,
        {ASSIGN, CONFIRM, UNIT_TASKS, MONITOR, TRENDS, DETAIL, TOKENS, PASSWORD},
        "Chuyên viên theo dõi · VP UBND tỉnh",
    ),
    "vp.lanhdao": (MONITOR, OFFICE_PAGES, "Lãnh đạo · VP UBND tỉnh"),
    "stc.vanthu": (INBOX, UNIT_PAGES, "Văn thư · Sở Tài chính"),
    "stc.lanhdao": (INBOX, UNIT_PAGES, "Lãnh đạo · Sở Tài chính"),
    "stc.chuyenvien": (INBOX, UNIT_PAGES, "Chuyên viên · Sở Tài chính"),
    "pleiku.lanhdao": (INBOX, UNIT_PAGES, "Lãnh đạo · UBND TP Pleiku"),
    "admin": (MONITOR, {*OFFICE_PAGES, WORKFLOWS, SECURITY_LOG, *ADMIN_PAGES}, "Quản trị hệ thống · Sở TT&TT"),
}
# the visible pages in menu order (sections "Công việc"/"Theo dõi"/"Khác"/"Quản trị"; "/" and the
# detail page are hidden). AppTest's registry keeps the order but not the section headers.
# The work waiting for the user is counted beside its page: c3's reply for VP UBND, a1, b1 and b2
# waiting for Sở Tài chính's văn thư to vào sổ (tests/pages/test_waiting_work.py follows the counts).
OWN = ["Khóa API", "Đổi mật khẩu"]
# "Thông báo" before them, with the unread notifications of the seeded history: Sở Tài chính's văn thư
# heard of its 5 tasks, 2 drafts to ban hành and c1's verdict; its leader of the 5 tasks, 4 steps
# (bút phê, duyệt) and the verdict; VP UBND's accounts and the admin did everything themselves.
MONITORING = ["Giám sát công việc", "Xếp hạng và xu hướng"]  # the "Theo dõi" section
MENUS: dict[str, list[str]] = {
    "vp.theodoi": ["Giao nhiệm vụ", "Xác nhận kết quả (1)", "Nhiệm vụ của đơn vị", *MONITORING, "Thông báo", *OWN],
    "stc.vanthu": ["Việc chờ tôi xử lý (3)", "Nhiệm vụ của đơn vị", *MONITORING, "Thông báo (8)", *OWN],
    "stc.lanhdao": ["Việc chờ tôi xử lý", "Nhiệm vụ của đơn vị", *MONITORING, "Thông báo (10)", *OWN],
    "admin": [
        *MONITORING,
        "Nhiệm vụ của đơn vị",
        "Thông báo",
        *OWN,
        "Người dùng",
        "Vai trò và quyền",
        "Đơn vị",
        "Danh mục và tham số",
        "Quy trình xử lý",
        "Trường tùy chỉnh",
        "Nhập dữ liệu",
        "Lịch sử cấu hình",
        "Phần mở rộng",
        "Nhật ký đăng nhập",
    ],
}

def _assert_login_page(at: AppTest) -> None:
    assert not at.exception
    assert values(at.title) == ["Giao việc"]
    assert any("Bạn chưa đăng nhập" in v for v in values(at.info))
    # the private registry is the only view AppTest gives of what st.navigation registered
    assert [p["script_path"] for p in at._registered_pages.values()] == [str(ROOT / LOGIN)]
    for page in APP_PAGES:
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_anonymous_sees_only_the_login_page(world: World) -> None:
    at = world.app_as(None)
    _assert_login_page(at)
    assert not at.sidebar.markdown  # no user block in the sidebar


def test_token_signed_with_another_secret_is_anonymous(world: World) -> None:
    world.activate()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    with world.session() as session:
        forged = make_session_token(session=session, user_id=world.user_ids["vp.theodoi"], secret="some-other-secret")
    at.session_state[TOKEN_STATE_KEY] = forged
    at.run()
    _assert_login_page(at)


@pytest.mark.parametrize("username", list(ROLES))
def test_role_reaches_exactly_its_pages(world: World, username: str) -> None:
    landing, reachable, sidebar_line = ROLES[username]
    at = world.app_as(username)
    assert not at.exception
    # "/" opens the role's main page
    assert values(at.title) == [TITLES[landing]]
    full_name = world.actor(username).full_name
    assert f"**{full_name}**  \n{sidebar_line}" in values(at.sidebar.markdown)

    for page in APP_PAGES:
        if page not in reachable:
            with pytest.raises(ValueError):
                at.switch_page(page)
            continue
        at.switch_page(page).run()
        assert not at.exception, f"{page}: {at.exception}"
        assert values(at.title) == [TITLES[page]], page
        assert not at.error, f"{page}: {values(at.error)}"
    with pytest.raises(ValueError):
        at.switch_page(LOGIN)


def test_detail_page_without_task_id_asks_to_choose_one(world: World) -> None:
    at = world.app_as("stc.vanthu", DETAIL)
    assert not at.exception
    assert values(at.title) == ["Chi tiết nhiệm vụ"]
    assert values(at.warning) == ["Chưa chọn nhiệm vụ. Hãy mở nhiệm vụ từ danh sách."]


@pytest.mark.parametrize("username", list(MENUS))
def test_menu_lists_the_role_pages_in_order(world: World, username: str) -> None:
    at = world.app_as(username)
    hidden = {"Trang chủ", "Chi tiết nhiệm vụ"}
    assert [p["page_name"] for p in at._registered_pages.values() if p["page_name"] not in hidden] == MENUS[username]
