"""Danh mục và tham số, Lịch sử cấu hình: the admin's pages of the configuration versions.

The module's world starts on the seed (config/*.yaml, no version stored); the tests run in order
and each save is a new version the later tests see."""

from __future__ import annotations

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from models import AdminChange, ConfigVersion
from services.infra.settings import ROOT
from tests.pages.conftest import World, by_label, values
from ui.runtime import TOKEN_STATE_KEY

WORLD_USERS = ["admin"]
PAGE = "pages/admin_config.py"
HISTORY = "pages/admin_config_history.py"
ASSIGN = "pages/assign.py"


def _versions(world: World) -> int:
    with world.session() as session:
        return int(session.exec(select(func.count()).select_from(ConfigVersion)).one())


def _click(at: AppTest, label: str) -> AppTest:
    (button,) = [b for b in at.button if b.label == label]
    return button.click().run()


def _errors(at: AppTest) -> str:
    return "\n".join(values(at.error))


def test_the_admin_sees_the_seed_configuration(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert values(at.title) == ["Danh mục và tham số"]
    assert "bản gốc config/*.yaml" in values(at.caption)[0]
    assert [t.label for t in at.tabs] == ["Danh mục", "Nhãn và màu", "Tham số", "Lịch làm việc"]
    assert at.text_input(key="issuers_key_1").value == "ubnd_tinh"
    assert at.text_input(key="issuers_label_1").value == "UBND tỉnh"
    assert at.number_input(key="param_due_soon_days").value == 3
    assert at.number_input(key="param_ranking_min_tasks").value == 5
    assert _versions(world) == 0


@pytest.mark.parametrize("username", ["vp.theodoi", "stc.lanhdao"])
def test_other_roles_have_no_such_page(world: World, username: str) -> None:
    at = world.app_as(username)
    names = [p["page_name"] for p in at._registered_pages.values()]
    assert "Danh mục và tham số" not in names and "Lịch sử cấu hình" not in names
    world.activate()
    alone = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    alone.session_state[TOKEN_STATE_KEY] = world.token(username)
    alone.run()
    assert values(alone.error) == ["Chỉ quản trị hệ thống xem trang này."]
    assert not alone.text_input


def test_bad_input_is_shown_by_its_field_and_nothing_is_saved(world: World) -> None:
    at = world.app_as("admin", PAGE)
    at.text_input(key="class_color_done_on_time").set_value("red")
    at = _click(at, "Lưu nhãn và màu")
    assert not at.exception
    assert "“red” phải là mã màu dạng #rrggbb" in _errors(at)
    assert "Hoàn thành đúng hạn" in _errors(at)
    at.number_input(key="param_due_soon_days").set_value(-1)
    at = _click(at, "Lưu tham số")
    assert "Số ngày “sắp đến hạn”: “-1” phải lớn hơn hoặc bằng 0." in _errors(at)
    at.number_input(key="param_due_soon_days").set_value(3)
    at.number_input(key="param_ranking_min_tasks").set_value(0)
    at = _click(at, "Lưu tham số")
    assert "Số nhiệm vụ tối thiểu để được xếp hạng: “0” phải lớn hơn hoặc bằng 1." in _errors(at)
    at.text_input(key="issuers_key_3").set_value("ubnd_tinh")
    at.text_input(key="issuers_label_3").set_value("Trùng")
    at = _click(at, "Lưu danh mục")
    assert "Cơ quan ban hành, dòng 3: mã “ubnd\\_tinh” bị trùng" in _errors(at)  # (markdown-escaped)
    assert at.text_input(key="issuers_label_3").value == "Trùng"  # what was typed stays
    assert _versions(world) == 0


def test_the_calendar_preview_counts_the_typed_day_off(world: World) -> None:
    at = world.app_as("admin", PAGE)
    year = by_label(at.selectbox, "Năm").value
    at.text_input(key=f"preview_from_{year}").set_value(f"01/04/{year}")
    at.number_input(key="preview_days").set_value(1)
    at = _click(at, "Xem hạn xử lý")
    before = [v for v in values(at.info) if "ngày làm việc sau" in v]
    assert len(before) == 1
    at.text_area(key=f"days_off_{year}").set_value(f"02/04/{year}\n03/04/{year}")
    at = _click(at, "Xem hạn xử lý")
    (after,) = [v for v in values(at.info) if "ngày làm việc sau" in v]
    assert after != before[0]
    assert f"02/04/{year}" not in after.split("→", 1)[1]
    at.text_area(key=f"days_off_{year}").set_value("31/02/2027")
    at = _click(at, "Lưu lịch làm việc")
    assert "31/02/2027 không có thật" in _errors(at)
    assert _versions(world) == 0


def test_a_saved_label_shows_in_giao_nhiem_vu_for_the_tracker(world: World) -> None:
    at = world.app_as("admin", PAGE)
    at.text_input(key="issuers_label_1").set_value("Ủy ban nhân dân tỉnh Gia Lai")
    at = _click(at, "Lưu danh mục")
    assert not at.exception
    assert "Đã lưu phiên bản cấu hình 2." in values(at.success)
    assert _versions(world) == 2  # the seed, then the save
    with world.session() as session:
        (change,) = session.exec(select(AdminChange)).all()
    assert change.after == {"app.issuers.ubnd_tinh": "Ủy ban nhân dân tỉnh Gia Lai"}
    tracker = world.app_as("vp.theodoi", ASSIGN)
    issuer = by_label(tracker.selectbox, "Cơ quan ban hành *")
    assert issuer.options[0] == "Ủy ban nhân dân tỉnh Gia Lai"


def test_the_history_compares_and_restores(world: World) -> None:
    at = world.app_as("admin", HISTORY)
    assert not at.exception
    assert values(at.title) == ["Lịch sử cấu hình"]
    frame = at.dataframe[0].value
    assert list(frame["Phiên bản"]) == [2, 1]
    assert list(frame["Người thực hiện"]) == ["Quản Trị Viên", "(hệ thống)"]
    changes = at.dataframe[1].value
    assert list(changes["Mục"]) == ["Cơ quan ban hành › ubnd_tinh"]
    assert list(changes["Phiên bản cũ"]) == ["UBND tỉnh"]
    assert list(changes["Phiên bản mới"]) == ["Ủy ban nhân dân tỉnh Gia Lai"]
    (diff,) = [c.value for c in at.code]
    assert "-  ubnd_tinh: UBND tỉnh\n+  ubnd_tinh: Ủy ban nhân dân tỉnh Gia Lai\n" in diff
    assert diff.count("\n-") == 1  # only the value that changed, not the seed's comments
    assert [b.label for b in at.get("download_button")] == ["Xuất cấu hình"]
    by_label(at.selectbox, "Phiên bản cần khôi phục").select(1)
    at = _click(at, "Khôi phục phiên bản này")
    assert not at.exception
    assert "Đã khôi phục phiên bản 1: phiên bản cấu hình 3 đang được dùng." in values(at.success)
    tracker = world.app_as("vp.theodoi", ASSIGN)
    assert by_label(tracker.selectbox, "Cơ quan ban hành *").options[0] == "UBND tỉnh"
