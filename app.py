"""Giao việc — Streamlit entry script: config, database, login, and the pages the user may open.

Served by ``streamlit run asgi.py`` (which adds the login routes); pages are thin and call
services for every rule.
"""

from __future__ import annotations

import streamlit as st

from models import Permission
from services.notifications.center import unread_count
from services.tasks.counters import WaitingCounts, waiting_counts
from ui.errors import run_page
from ui.format import md_escape
from ui.runtime import PASSWORD_CHANGED_KEY, config, current_actor, db, logout_csrf_token, runtime
from ui.vietnamese import speak_vietnamese

st.set_page_config(page_title="Giao việc", page_icon=":material/assignment_turned_in:", layout="wide")
speak_vietnamese()  # Streamlit's own English hidden or replaced, <html lang="vi"> (ui/vietnamese.py)
runtime()  # validates config and migrates; shows the errors and stops if config is bad


def counted(title: str, count: int, requests: int = 0) -> str:
    """A menu title with the work waiting there, "Việc chờ tôi xử lý (3)", "Xác nhận kết quả (7 · 1 đề
    nghị)" (replies, then "not our remit" requests); nothing waiting: the bare title."""
    parts = ([str(count)] if count else []) + ([f"{requests} đề nghị"] if requests else [])
    return f"{title} ({' · '.join(parts)})" if parts else title


actor = current_actor()
# The waiting work beside the menu's pages: per user, read on every run (never cached across users).
waiting = WaitingCounts()
unread = 0  # Thông báo chưa đọc: one indexed count (services/notifications/center.py)
if actor is not None:
    with db() as session:
        waiting = waiting_counts(session=session, actor=actor, config=config())
        unread = unread_count(session=session, user_id=actor.user_id)

PAGES = {
    "monitor": st.Page(
        "pages/monitor.py", title="Giám sát công việc", icon=":material/monitoring:", url_path="giam-sat"
    ),
    "trends": st.Page(
        "pages/trends.py", title="Xếp hạng và xu hướng", icon=":material/trending_up:", url_path="xep-hang"
    ),
    "assign": st.Page(
        "pages/assign.py", title="Giao nhiệm vụ", icon=":material/assignment_add:", url_path="giao-nhiem-vu"
    ),
    "confirm": st.Page(
        "pages/confirm.py",
        # "not our remit" requests are decided from this page too: counted beside the replies
        title=counted("Xác nhận kết quả", waiting.replies, waiting.wrong_unit + waiting.extensions),
        icon=":material/fact_check:",
        url_path="xac-nhan",
    ),
    "inbox": st.Page(
        "pages/inbox.py",
        title=counted("Việc chờ tôi xử lý", waiting.inbox),
        icon=":material/inbox:",
        url_path="viec-cho-toi",
    ),
    "workflows": st.Page(
        "pages/workflows.py", title="Quy trình xử lý", icon=":material/account_tree:", url_path="quy-trinh"
    ),
    "unit_tasks": st.Page(
        "pages/unit_tasks.py", title="Nhiệm vụ của đơn vị", icon=":material/list_alt:", url_path="nhiem-vu"
    ),
    "task": st.Page(
        "pages/task_detail.py",
        title="Chi tiết nhiệm vụ",
        icon=":material/description:",
        url_path="chi-tiet",
        visibility="hidden",
    ),
    "notifications": st.Page(
        "pages/notifications.py",
        title=counted("Thông báo", unread),
        icon=":material/notifications:",
        url_path="thong-bao",
    ),
    "api_tokens": st.Page("pages/api_tokens.py", title="Khóa API", icon=":material/key:", url_path="khoa-api"),
    "security_log": st.Page(
        "pages/security_log.py",
        title="Nhật ký đăng nhập",
        icon=":material/security:",
        url_path="nhat-ky-dang-nhap",
    ),
    "admin_users": st.Page(
        "pages/admin_users.py", title="Người dùng", icon=":material/manage_accounts:", url_path="nguoi-dung"
    ),
    "change_password": st.Page(
        "pages/change_password.py", title="Đổi mật khẩu", icon=":material/password:", url_path="doi-mat-khau"
    ),
}

# the setting-up first (accounts, roles, units, catalogues, workflows, fields, imports), then the
# history and the extensions, then the security log
ADMIN_PAGES = [
    PAGES["admin_users"],
    st.Page(
        "pages/admin_roles.py", title="Vai trò và quyền", icon=":material/admin_panel_settings:", url_path="vai-tro"
    ),
    st.Page("pages/admin_units.py", title="Đơn vị", icon=":material/corporate_fare:", url_path="don-vi"),
    st.Page("pages/admin_config.py", title="Danh mục và tham số", icon=":material/tune:", url_path="cau-hinh"),
    PAGES["workflows"],
    st.Page(
        "pages/admin_custom_fields.py",
        title="Trường tùy chỉnh",
        icon=":material/dynamic_form:",
        url_path="truong-tuy-chinh",
    ),
    st.Page("pages/admin_import.py", title="Nhập dữ liệu", icon=":material/upload_file:", url_path="nhap-du-lieu"),
    st.Page(
        "pages/admin_config_history.py",
        title="Lịch sử cấu hình",
        icon=":material/history:",
        url_path="lich-su-cau-hinh",
    ),
    st.Page("pages/admin_plugins.py", title="Phần mở rộng", icon=":material/extension:", url_path="phan-mo-rong"),
    PAGES["security_log"],
]

if actor is None:
    nav = st.navigation([st.Page("pages/login.py", title="Đăng nhập", icon=":material/login:", url_path="dang-nhap")])
elif actor.must_change_password:
    # A password the admin generated (new account, reset): nothing else until the person chooses
    # their own. A URL of its own, so that after the change the run falls back to "/" (the role's page).
    first_login = st.Page(
        "pages/change_password.py",
        title="Đổi mật khẩu",
        icon=":material/password:",
        url_path="doi-mat-khau-lan-dau",
        default=True,
    )

    def _first_login() -> None:
        st.switch_page(first_login)

    # A bookmark of any page (the login form brings the person back to it) opens the change too,
    # never Streamlit's "page not found": each app URL is here, hidden, and leads to it.
    elsewhere = [
        st.Page(_first_login, title=page.title, url_path=page.url_path, visibility="hidden")
        for page in {p.url_path: p for p in (*PAGES.values(), *ADMIN_PAGES)}.values()
    ]
    nav = st.navigation([first_login, *elsewhere])
else:
    work: list[st.Page] = []
    if actor.can(Permission.UNIT_TASKS_VIEW) and not actor.at_office:
        work.append(PAGES["inbox"])
    if actor.can(Permission.TASK_ASSIGN):
        work.append(PAGES["assign"])
    if actor.can(Permission.TASK_CONFIRM):
        work.append(PAGES["confirm"])
    if actor.can(Permission.UNIT_TASKS_VIEW) or actor.can(Permission.TASKS_VIEW_ALL):
        work.append(PAGES["unit_tasks"])
    monitor = [PAGES["monitor"], PAGES["trends"]] if actor.can(Permission.DASHBOARD_VIEW) else []
    # "/" opens the role's main page: a unit's work list, the tracker's work, else the dashboard.
    # (A hidden home page redirects, so every real page keeps its own URL for links and reloads.)
    office_viewer = actor.can(Permission.TASKS_VIEW_ALL) and not (
        actor.can(Permission.TASK_ASSIGN) or actor.can(Permission.TASK_CONFIRM)
    )
    main_page = (monitor if office_viewer else work + monitor)[0]

    def _home() -> None:
        st.switch_page(main_page)

    home = st.Page(_home, title="Trang chủ", default=True, visibility="hidden")
    sections = {"Theo dõi": monitor, "Công việc": work} if office_viewer else {"Công việc": work, "Theo dõi": monitor}
    sections["Khác"] = [home, PAGES["notifications"], PAGES["task"], PAGES["api_tokens"], PAGES["change_password"]]
    if actor.can(Permission.ADMIN):
        sections["Quản trị"] = ADMIN_PAGES
    # expanded: every page listed (a collapsed menu adds Streamlit's English "View N more")
    nav = st.navigation({name: pages for name, pages in sections.items() if pages}, expanded=True)
    if nav is not home and (note := st.session_state.pop(PASSWORD_CHANGED_KEY, None)):
        st.toast(note, icon=":material/check_circle:")
if actor is not None:
    with st.sidebar:
        st.markdown(
            f"**{md_escape(actor.full_name)}**  \n{config().role_label(actor.role)} · {md_escape(actor.unit_name)}"
        )
        # A real POST form: the HttpOnly cookie can only be cleared (and the session ended) by the
        # server route; it checks the form's CSRF token, an HMAC of the session the script reads.
        st.html(
            '<form method="post" action="/auth/logout">'
            f'<input type="hidden" name="csrf" value="{logout_csrf_token()}">'
            '<button type="submit" class="gv-logout">Đăng xuất</button></form>'
            "<style>.gv-logout{border:1px solid #ccc;background:#fff;border-radius:6px;"
            "padding:.35rem .9rem;cursor:pointer}"
            ".gv-logout:hover{border-color:#b71c1c;color:#b71c1c}</style>"
        )
run_page(nav.run)  # an unexpected error: an incident id on the page, the trace in the server log
