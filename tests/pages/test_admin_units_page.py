"""Đơn vị (Quản trị): the admin sees the tree, adds, renames, moves, deactivates and merges units
through the forms; refusals show under their fields and change nothing; other roles never see it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import OrgUnit, Task
from services.admin import workflow_admin
from services.admin.workflow_admin import AddedStep
from services.config import store
from services.infra.settings import ROOT
from tests.conftest import FINANCE, HEALTH, PLEIKU
from tests.pages.conftest import World, by_label, values
from ui.runtime import TOKEN_STATE_KEY

WORLD_USERS = ["admin"]
PAGE = "pages/admin_units.py"
HOSTILE = "<img src=x onerror=alert(1)> <script>alert(1)</script> =cmd|' /C calc'!A0 **đậm**"


def _frames(at: AppTest) -> list[Any]:
    return [d.value for d in at.dataframe]


def _unit(world: World, code: str) -> OrgUnit | None:
    with world.session() as s:
        return s.exec(select(OrgUnit).where(OrgUnit.code == code)).first()


def _errors(at: AppTest) -> str:
    return " ".join(values(at.error))


def test_the_admin_sees_the_tree_with_codes(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert values(at.title) == ["Đơn vị"]
    tree = _frames(at)[0]
    assert list(tree.columns) == [
        "Đơn vị", "Tên viết tắt", "Mã định danh", "Loại", "Đơn vị cha", "Trạng thái", "Đang xử lý",
        "Người dùng",
    ]
    codes = list(tree["Mã định danh"])
    assert codes[0] == "000.00.01.H21" and FINANCE in codes
    row = tree[tree["Mã định danh"] == "000.01.05.H21"].iloc[0]
    assert row["Đơn vị cha"] == "Sở Tài chính" and row["Đơn vị"].endswith("Phòng Quản lý ngân sách")
    assert [t.label for t in at.tabs] == ["Thêm đơn vị", "Sửa một đơn vị", "Sáp nhập đơn vị"]


@pytest.mark.parametrize("username", ["vp.theodoi", "stc.lanhdao"])
def test_other_roles_cannot_open_the_page(world: World, username: str) -> None:
    at = world.app_as(username)
    assert not at.exception
    assert "Đơn vị" not in [p["page_name"] for p in at._registered_pages.values()]
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_the_page_itself_refuses_a_non_admin(world: World) -> None:
    world.activate()
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    at.session_state[TOKEN_STATE_KEY] = world.token("stc.lanhdao")
    at.run()
    assert not at.exception
    assert values(at.error) == ["Chỉ quản trị hệ thống quản lý được cơ cấu đơn vị."]
    assert _frames(at) == []


def test_add_a_unit_refused_then_accepted(world: World) -> None:
    at = world.app_as("admin", PAGE)
    by_label(at.text_input, "Mã định danh *").input("000.00.20.h21")
    by_label(at.text_input, "Tên đơn vị *").input("")
    by_label(at.text_input, "Tên viết tắt *").input("Sở DT&TG")
    by_label(at.button, "Thêm đơn vị").click().run()
    assert not at.exception
    assert "có ký tự không được phép" in _errors(at)
    assert "Tên đơn vị không được để trống" in _errors(at)
    assert "Chưa lưu. Sửa 2 ô" in _errors(at)
    assert _unit(world, "000.00.20.h21") is None
    # what was typed is kept; corrected, it is saved
    assert by_label(at.text_input, "Tên viết tắt *").value == "Sở DT&TG"
    by_label(at.text_input, "Mã định danh *").input("000.00.20.H21")
    by_label(at.text_input, "Tên đơn vị *").input(HOSTILE)
    by_label(at.button, "Thêm đơn vị").click().run()
    assert not at.exception and not at.error
    assert values(at.success) == ["Đã thêm đơn vị “Sở DT&TG” (mã 000.00.20.H21)."]
    unit = _unit(world, "000.00.20.H21")
    assert unit is not None and unit.name == HOSTILE and unit.active
    tree = _frames(at)[0]
    assert HOSTILE in list(tree["Đơn vị"])  # a dataframe cell: shown as text
    assert not any("<script>" in v for v in values(at.markdown))


def test_rename_move_deactivate_and_history(world: World) -> None:
    at = world.app_as("admin", PAGE)
    by_label(at.selectbox, "Đơn vị").set_value("000.01.05.H21").run()
    assert not at.exception
    rename = next(w for w in at.text_input if w.key == "admin_units_000.01.05.H21_short")
    rename.input("P. Ngân sách")
    by_label(at.button, "Lưu tên mới").click().run()
    assert not at.exception and values(at.success) == ["Đã đổi tên đơn vị mã 000.01.05.H21."]
    assert _unit(world, "000.01.05.H21").short_name == "P. Ngân sách"  # type: ignore[union-attr]
    # move: to Pleiku
    by_label(at.selectbox, "Đơn vị cha mới *").set_value(PLEIKU)
    by_label(at.button, "Chuyển đơn vị").click().run()
    assert not at.exception, at.exception
    moved = _unit(world, "000.01.05.H21")
    pleiku = _unit(world, PLEIKU)
    assert moved is not None and pleiku is not None and moved.parent_id == pleiku.id
    # refused: no parent chosen
    by_label(at.button, "Chuyển đơn vị").click().run()
    assert "hãy chọn một đơn vị" in _errors(at)
    # deactivate, then the history names every change
    by_label(at.button, "Ngừng hoạt động").click().run()
    assert not at.exception
    assert not _unit(world, "000.01.05.H21").active  # type: ignore[union-attr]
    lines = [v for v in values(at.markdown) if "Quản Trị Viên · " in v]
    assert [v.split(" · ")[-1] for v in lines] == ["Ngừng hoạt động", "Chuyển đơn vị cha", "Đổi tên"]
    assert "Tên viết tắt: P. QLNS (Sở Tài chính) → P. Ngân sách" in values(at.caption)
    by_label(at.button, "Cho hoạt động lại").click().run()
    assert _unit(world, "000.01.05.H21").active  # type: ignore[union-attr]


def test_merge_two_units_into_a_new_one(world: World) -> None:
    with world.session() as s:
        health = s.exec(select(OrgUnit).where(OrgUnit.code == HEALTH)).one()
        open_tasks = [t.id for t in s.exec(select(Task).where(Task.lead_unit_id == health.id)).all()
                      if t.status.value in ("open", "replied")]
    assert open_tasks
    # Sở Y tế has its own variant of the short workflow (a legal check): the successor takes it
    assert world.runtime is not None
    with world.session() as s:
        workflow_admin.save_variant(
            session=s,
            actor=world.actor("admin"),
            config=world.runtime.config,
            added=AddedStep(
                base="ngan", variant="ngan_so_y_te", variant_label="Sở Y tế: có thẩm định pháp chế", units=[HEALTH],
                after="trinh_du_thao", state="cho_tham_dinh", state_label="Chờ pháp chế thẩm định",
                transition="tham_dinh", transition_label="Thẩm định pháp chế", roles=["specialist"],
            ),
            based_on=None,
            config_dir=ROOT / "config",
        )
    at = world.app_as("admin", PAGE)
    # refused: nothing chosen, a date not yet come
    by_label(at.text_input, "Ngày sáp nhập *").input("31/12/2999")
    by_label(at.button, "Sáp nhập").click().run()
    assert not at.exception
    assert "hãy chọn ít nhất một đơn vị" in _errors(at)
    assert _unit(world, HEALTH).active  # type: ignore[union-attr]
    by_label(at.multiselect, "Đơn vị bị sáp nhập *").set_value([HEALTH, "000.00.12.H21"])
    by_label(at.text_input, "Ngày sáp nhập *").input(world.day(0).strftime("%d/%m/%Y"))
    by_label(at.radio, "Đơn vị kế thừa *").set_value("new")
    by_label(at.text_input, "Mã định danh mới").input("000.00.60.H21")
    by_label(at.text_input, "Tên đơn vị mới").input("Sở Y tế và Xã hội")
    by_label(at.text_input, "Tên viết tắt mới").input("Sở YT&XH")
    by_label(at.button, "Sáp nhập").click().run()
    assert not at.exception and not at.error, _errors(at)
    assert values(at.success)[0].startswith("Đã sáp nhập 000.00.16.H21, 000.00.12.H21 vào 000.00.60.H21")
    assert values(at.success)[0].endswith("Đơn vị kế thừa dùng quy trình riêng: ngan\\_so\\_y\\_te.")
    with world.session() as s:
        workflows = store.workflows_of_version(s, store.current_version_id(s))
    assert workflows.workflows["ngan_so_y_te"].units == (HEALTH, "000.00.60.H21")
    successor = _unit(world, "000.00.60.H21")
    assert successor is not None and successor.active
    assert not _unit(world, HEALTH).active  # type: ignore[union-attr]
    with world.session() as s:
        assert {t.lead_unit_id for t in s.exec(select(Task).where(Task.id.in_(open_tasks))).all()} == {  # type: ignore[union-attr]
            successor.id
        }
