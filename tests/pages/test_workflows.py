"""Quy trình xử lý: the admin reads one Graphviz diagram per workflow of config/workflows.yaml."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from services.infra.settings import ROOT
from tests.pages.conftest import World, clear_caches, values
from ui.runtime import TOKEN_STATE_KEY

WORLD_USERS = ["admin", "vp.lanhdao"]
PAGE = "pages/workflows.py"
EXPANDERS = [
    "Đơn vị tự xử lý (không chuyển đơn vị trực thuộc) (ngan)",
    "Trường hợp 1: chuyển chuyên viên theo dõi và đồng thời chuyển đơn vị trực thuộc (truong_hop_1)",
    "Trường hợp 1 — phần việc của phòng, đơn vị trực thuộc (truong_hop_1_truc_thuoc)",
    "Trường hợp 2: chuyển xử lý trực tiếp cho lãnh đạo các phòng, đơn vị trực thuộc (truong_hop_2)",
    "Trường hợp 2 — phần việc của phòng, đơn vị trực thuộc (truong_hop_2_truc_thuoc)",
]


def _diagrams(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("graphviz_chart")]


def test_admin_sees_one_diagram_per_workflow(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert values(at.title) == ["Quy trình xử lý trong đơn vị"]
    assert not at.error
    assert [e.label for e in at.expander] == EXPANDERS
    assert world.runtime is not None
    assert len(world.runtime.config.workflows.workflows) == len(EXPANDERS)
    diagrams = _diagrams(at)
    assert len(diagrams) == len(EXPANDERS)
    assert all(d.startswith("digraph {") and d.rstrip().endswith("}") for d in diagrams)
    short, th1, th1_sub, th2, th2_sub = diagrams
    # states as boxes (the final one doubled), steps as labelled arrows with the roles
    assert '"cho_vao_so" [label="Chờ văn thư vào sổ"' in short
    assert '"da_ban_hanh" [label="Đã ban hành văn bản trả lời", peripheries=2]' in short
    assert '"cho_vao_so" -> "cho_but_phe" [label="B1: Vào sổ, chuyển lãnh đạo\\n[Văn thư]"' in short
    assert "B5: Ban hành văn bản trả lời, gửi UBND tỉnh" in short
    assert "B8: Tiếp nhận văn bản của đơn vị trực thuộc, chuyển lãnh đạo" in th1
    assert "B10: Lưu kết thúc văn bản của đơn vị trực thuộc\\n[Chuyên viên, Chuyên viên theo dõi (đơn vị cha)]" in (
        th1_sub
    )
    assert "B6: Phê duyệt ban hành, chuyển văn thư" in th2
    assert "B5: Trình lãnh đạo đơn vị cha phê duyệt ban hành" in th2_sub


@pytest.mark.parametrize("username", ["vp.theodoi", "vp.lanhdao", "stc.lanhdao", "stc.vanthu"])
def test_other_roles_cannot_open_the_page(world: World, username: str) -> None:
    at = world.app_as(username)
    assert not at.exception
    assert "Quy trình xử lý" not in [p["page_name"] for p in at._registered_pages.values()]
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_the_page_itself_refuses_a_non_admin(world: World) -> None:
    """Run alone (as if the menu let it through): the page checks the role itself."""
    world.activate()
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    at.session_state[TOKEN_STATE_KEY] = world.token("stc.lanhdao")
    at.run()
    assert not at.exception
    assert values(at.error) == ["Chỉ quản trị hệ thống xem trang này."]
    assert _diagrams(at) == []


def test_a_units_own_variant_is_drawn_with_its_units(world: World, tmp_path: Path) -> None:
    """A workflow with ``units``/``replaces`` (a unit's own steps) says whose it is and what it replaces."""
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    data = yaml.safe_load((folder / "workflows.yaml").read_text(encoding="utf-8"))
    variant = copy.deepcopy(data["workflows"]["ngan"])
    variant.update(label="Sở Y tế: có bước thẩm định pháp chế", units=["000.00.16.H21"], replaces=["ngan"])
    data["workflows"]["ngan_so_y_te"] = variant
    (folder / "workflows.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    world.activate()
    world.monkeypatch.setenv("GIAOVIEC_CONFIG_DIR", str(folder))
    clear_caches()
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert [e.label for e in at.expander][-1] == "Sở Y tế: có bước thẩm định pháp chế (ngan_so_y_te)"
    assert values(at.caption)[-1] == (
        "Quy trình riêng của: Sở Y tế; thay cho: Đơn vị tự xử lý (không chuyển đơn vị trực thuộc)"
    )
    assert len(_diagrams(at)) == len(EXPANDERS) + 1
