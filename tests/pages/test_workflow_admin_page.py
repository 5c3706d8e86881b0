"""Quy trình xử lý administered through forms: labels, the role × transition matrix, a unit's
own variant previewed then saved, and its added step removed again (``services.admin.workflow_admin``).

The module's world starts on the seed (no version stored); the tests run in order and each save
is a new version the later tests see."""

from __future__ import annotations

from sqlmodel import col, func, select
from streamlit.testing.v1 import AppTest

from models import AdminChange, AdminEntity, ConfigVersion
from services.config import store
from services.config.workflows import WorkflowsConfig
from tests.pages.conftest import World

WORLD_USERS = ["admin"]
PAGE = "pages/workflows.py"
HEALTH = "000.00.16.H21"


def _versions(world: World) -> int:
    with world.session() as session:
        return int(session.exec(select(func.count()).select_from(ConfigVersion)).one())


def _workflows(world: World) -> WorkflowsConfig:
    with world.session() as session:
        version = store.current_version_id(session)
        return store.workflows_of_version(session, version)


def _click(at: AppTest, label: str) -> AppTest:
    (button,) = [b for b in at.button if b.label == label]
    return button.click().run()


def _errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def test_the_page_has_the_diagrams_and_three_forms(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert [t.label for t in at.tabs] == [
        "Sơ đồ",
        "Nhãn bước",
        "Phân quyền chuyển bước",
        "Quy trình riêng của đơn vị",
        "Bỏ trạng thái, bước chuyển",
    ]
    assert at.text_input(key="state_ngan_cho_du_thao").value == "Chuyên viên đang dự thảo"
    assert at.checkbox(key="matrix_ngan_vao_so_clerk").value is True
    assert at.checkbox(key="matrix_ngan_vao_so_leader").value is False
    assert _versions(world) == 0


def test_a_label_is_saved_as_a_new_version(world: World) -> None:
    at = world.app_as("admin", PAGE)
    at.text_input(key="state_ngan_cho_du_thao").set_value("Chuyên viên đang soạn dự thảo")
    at.text_input(key="transition_ngan_duyet").set_value("")
    at = _click(at, "Lưu nhãn bước")
    assert not at.exception
    assert "(ngan) — bước duyet — nhãn: không được để trống." in _errors(at)
    assert _versions(world) == 0
    at.text_input(key="transition_ngan_duyet").set_value("Duyệt dự thảo, chuyển văn thư")
    at = _click(at, "Lưu nhãn bước")
    assert not at.exception and not at.error
    assert [e.value for e in at.success] == ["Đã lưu phiên bản cấu hình 2."]
    ngan = _workflows(world).workflows["ngan"]
    assert ngan.states["cho_du_thao"].label == "Chuyên viên đang soạn dự thảo"
    assert ngan.transitions["duyet"].label == "Duyệt dự thảo, chuyển văn thư"
    assert at.text_input(key="state_ngan_cho_du_thao_1").value == "Chuyên viên đang soạn dự thảo"  # drawn anew


def test_the_matrix_saves_who_fires_each_step(world: World) -> None:
    at = world.app_as("admin", PAGE)
    at.checkbox(key="matrix_ngan_duyet_leader").uncheck()
    at = _click(at, "Lưu phân quyền")
    assert not at.exception
    assert "bước “Duyệt dự thảo, chuyển văn thư” (duyet) — vai trò: phải có ít nhất một vai trò" in _errors(at)
    assert _versions(world) == 2
    at.checkbox(key="matrix_ngan_duyet_specialist").check()
    at.checkbox(key="matrix_ngan_vao_so_leader").check()
    at = _click(at, "Lưu phân quyền")
    assert not at.exception and not at.error
    assert [e.value for e in at.success] == ["Đã lưu phiên bản cấu hình 3."]
    ngan = _workflows(world).workflows["ngan"]
    assert [r.value for r in ngan.transitions["duyet"].roles] == ["specialist"]
    assert [r.value for r in ngan.transitions["vao_so"].roles] == ["clerk", "leader"]
    with world.session() as session:
        rows = session.exec(select(AdminChange).where(AdminChange.entity == AdminEntity.WORKFLOW)).all()
    assert [(r.entity_key, r.action) for r in rows] == [("ngan", "workflow_labels"), ("ngan", "workflow_roles")]


def test_a_unit_variant_is_previewed_then_saved(world: World) -> None:
    at = world.app_as("admin", PAGE)
    charts = len(at.get("graphviz_chart"))
    at.text_input(key="variant_key_ngan").set_value("ngan_so_y_te")
    at.text_input(key="variant_label_ngan").set_value("Sở Y tế: có bước thẩm định pháp chế")
    at.multiselect(key="variant_units_ngan").set_value([HEALTH])
    at.selectbox(key="variant_after_ngan").set_value("trinh_du_thao")
    at.text_input(key="variant_state_ngan").set_value("cho_duyet")  # a key the workflow has
    at.text_input(key="variant_state_label_ngan").set_value("Chờ pháp chế thẩm định")
    at.text_input(key="variant_transition_ngan").set_value("tham_dinh")
    at.text_input(key="variant_tr_label_ngan").set_value("Thẩm định pháp chế dự thảo")
    at.multiselect(key="variant_roles_ngan").set_value(["specialist"])
    at = _click(at, "Xem trước sơ đồ")
    assert not at.exception
    assert "khóa “cho\\_duyet” bị trùng với trạng thái đã có" in _errors(at)
    assert len(at.get("graphviz_chart")) == charts
    at.text_input(key="variant_state_ngan").set_value("cho_tham_dinh")
    at = _click(at, "Xem trước sơ đồ")
    assert not at.exception and not at.error
    (preview,) = [c.proto.spec for c in at.get("graphviz_chart")][charts:]
    assert '"cho_du_thao" -> "cho_tham_dinh"' in preview
    assert '"cho_tham_dinh" -> "cho_duyet" [label="B3: Thẩm định pháp chế dự thảo\\n[Chuyên viên]"' in preview
    assert _versions(world) == 3  # a preview saves nothing
    at = _click(at, "Lưu quy trình riêng")
    assert not at.exception and not at.error
    assert [e.value for e in at.success] == ["Đã lưu phiên bản cấu hình 4."]
    variant = _workflows(world).workflows["ngan_so_y_te"]
    assert (variant.units, variant.replaces) == ((HEALTH,), ("ngan",))
    assert variant.transitions["trinh_du_thao"].to == "cho_tham_dinh"
    # the new diagram is drawn with its unit
    assert [e.label for e in at.expander][-1] == "Sở Y tế: có bước thẩm định pháp chế (ngan_so_y_te)"


def test_the_added_step_is_removed_after_a_preview(world: World) -> None:
    at = world.app_as("admin", PAGE)
    charts = len(at.get("graphviz_chart"))
    at.selectbox(key="removal_workflow").set_value("ngan_so_y_te").run()
    # the start and the final states are not offered
    assert "cho_vao_so" not in at.multiselect(key="removal_states_ngan_so_y_te").options
    at.multiselect(key="removal_states_ngan_so_y_te").set_value(["cho_duyet"])
    at = _click(at, "Xem trước sơ đồ sau khi bỏ")
    assert not at.exception
    assert (
        "— trạng thái “Chờ văn thư ban hành” (cho\\_ban\\_hanh): không đến được từ trạng thái đầu" in _errors(at)
    )
    assert len(at.get("graphviz_chart")) == charts
    at.multiselect(key="removal_states_ngan_so_y_te").set_value(["cho_tham_dinh"])
    at = _click(at, "Xem trước sơ đồ sau khi bỏ")
    assert not at.exception and not at.error
    (preview,) = [c.proto.spec for c in at.get("graphviz_chart")][charts:]
    assert "cho_tham_dinh" not in preview and '"cho_du_thao" -> "cho_duyet"' in preview
    assert _versions(world) == 4  # a preview saves nothing
    at = _click(at, "Lưu: bỏ trạng thái, bước chuyển đã chọn")
    assert not at.exception and not at.error
    assert [e.value for e in at.success] == ["Đã lưu phiên bản cấu hình 5."]
    variant = _workflows(world).workflows["ngan_so_y_te"]
    assert "cho_tham_dinh" not in variant.states
    assert variant.transitions["trinh_du_thao"].to == "cho_duyet"
    with world.session() as session:
        last = session.exec(select(AdminChange).order_by(col(AdminChange.id).desc())).first()
    assert last is not None and (last.entity_key, last.action) == ("ngan_so_y_te", "workflow_remove")

