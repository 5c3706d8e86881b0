"""Vai trò và quyền: the admin's page of the roles' labels and the role × permission matrices
(``services.admin.roles_admin``).

The module's world starts on the seed (no version stored); the tests run in order and each save
is a new version the later tests see."""

from __future__ import annotations

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from models import AdminChange, AdminEntity, ConfigVersion
from services.infra.settings import ROOT
from tests.pages.conftest import World, values
from ui.runtime import TOKEN_STATE_KEY

WORLD_USERS = ["admin", "vp.lanhdao"]
PAGE = "pages/admin_roles.py"


def _versions(world: World) -> int:
    with world.session() as session:
        return int(session.exec(select(func.count()).select_from(ConfigVersion)).one())


def _save(at: AppTest) -> AppTest:
    (button,) = [b for b in at.button if b.label == "Lưu vai trò và quyền"]
    return button.click().run()


def _errors(at: AppTest) -> str:
    return "\n".join(values(at.error))


def _pages(at: AppTest) -> list[str]:
    return [p["page_name"] for p in at._registered_pages.values()]


def test_the_admin_sees_labels_and_both_matrices(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert values(at.title) == ["Vai trò và quyền"]
    assert "Vai trò và quyền" in _pages(at)
    assert "bản gốc config/roles.yaml" in values(at.caption)[0]
    assert [s.value for s in at.subheader] == [
        "Tên vai trò",
        "Khi thuộc VP UBND tỉnh",
        "Khi thuộc sở, ban, ngành, UBND cấp huyện và đơn vị trực thuộc",
    ]
    assert at.text_input(key="label_clerk").value == "Văn thư"
    assert at.checkbox(key="at_office_tracker_task.assign").value is True
    assert at.checkbox(key="at_unit_tracker_task.assign").value is False
    assert at.checkbox(key="at_unit_clerk_task.note").value is True
    assert at.checkbox(key="at_unit_admin_admin").value is True
    shown = values(at.markdown)
    # the permission's label from config, its key small beside it; never the key alone
    assert "Ghi tiến độ xử lý :gray[:small[`task.note`]]" in shown
    assert "Giao nhiệm vụ; thu hồi, điều chỉnh, thay thế :gray[:small[`task.assign`]]" in shown
    assert len(at.checkbox) == 2 * 5 * 11
    assert _versions(world) == 0


@pytest.mark.parametrize("username", ["vp.theodoi", "stc.lanhdao"])
def test_other_roles_have_no_such_page(world: World, username: str) -> None:
    at = world.app_as(username)
    assert "Vai trò và quyền" not in _pages(at)
    world.activate()
    alone = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    alone.session_state[TOKEN_STATE_KEY] = world.token(username)
    alone.run()
    assert values(alone.error) == ["Chỉ quản trị hệ thống xem trang này."]
    assert not alone.checkbox


def test_refusals_are_shown_and_nothing_is_saved(world: World) -> None:
    at = world.app_as("admin", PAGE)
    at.text_input(key="label_leader").set_value(" ")
    at.checkbox(key="at_unit_admin_admin").uncheck()
    at = _save(at)
    assert not at.exception
    errors = _errors(at)
    assert "Vai trò “Lãnh đạo” (leader) — tên vai trò: không được để trống." in errors
    assert _versions(world) == 0
    at.text_input(key="label_leader").set_value("Lãnh đạo")
    at = _save(at)
    lost = "Không lưu: sau thay đổi này không còn tài khoản đang hoạt động nào có quyền “Quản trị hệ thống”."
    assert lost in _errors(at)
    assert at.checkbox(key="at_unit_admin_admin").value is False  # what was ticked stays
    assert _versions(world) == 0


def test_a_granted_permission_shows_at_the_next_run_of_its_users(world: World) -> None:
    before = world.app_as("vp.lanhdao")
    assert "Giao nhiệm vụ" not in _pages(before)
    at = world.app_as("admin", PAGE)
    at.checkbox(key="at_office_leader_task.assign").check()
    at.text_input(key="label_specialist").set_value("Chuyên viên <b>xử lý</b>")
    at = _save(at)
    assert not at.exception
    assert values(at.success) == ["Đã lưu phiên bản cấu hình 2."]
    assert at.checkbox(key="at_office_leader_task.assign_1").value is True  # redrawn from the new version
    assert at.text_input(key="label_specialist_1").value == "Chuyên viên <b>xử lý</b>"
    assert "**Chuyên viên &lt;b&gt;xử lý&lt;/b&gt;**" in values(at.markdown)  # shown as text
    with world.session() as session:
        (change,) = session.exec(select(AdminChange)).all()
    assert change.entity is AdminEntity.ROLE
    assert change.after == {
        "roles.roles.leader.at_office": ["task.assign", "tasks.view_all", "dashboard.view"],
        "roles.roles.specialist.label": "Chuyên viên <b>xử lý</b>",
    }
    after = world.app_as("vp.lanhdao")
    assert "Giao nhiệm vụ" in _pages(after)
