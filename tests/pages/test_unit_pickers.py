"""Unit pickers: "Tìm đơn vị" finds units with or without accents, and only units that may lead
are offered as lead units (never a phòng, an inactive unit or VP UBND).

The standard world (``conftest``): Sở Tài chính leads a1, b1, b2, c1, c3; Sở Y tế a2, d1.
"""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import OrgUnit
from tests.actions import request_wrong_unit
from tests.conftest import FINANCE, HEALTH, OFFICE, PLEIKU
from tests.pages.conftest import BUDGET, INVESTMENT, World, by_label

WORLD_USERS = ["vp.theodoi", "admin"]
FIND = "Tìm đơn vị"


def _find(at: AppTest, text: str, *, nth: int = 0) -> AppTest:
    boxes = [t for t in at.text_input if t.label == FIND]
    boxes[nth].input(text).run()
    assert not at.exception
    return at


def _captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def _unit_id(world: World, code: str) -> int:
    with world.session() as s:
        unit_id = s.exec(select(OrgUnit.id).where(OrgUnit.code == code)).one()
    assert unit_id is not None
    return unit_id


def _shown(widget) -> str:  # type: ignore[no-untyped-def]
    """What a select box shows as chosen."""
    return str(widget.options[widget.index])


def test_unit_tasks_found_without_accents(world: World) -> None:
    """VP UBND's viewer types "y te": the list shows Sở Y tế's tasks (the first unit found)."""
    at = world.app_as("vp.theodoi", "pages/unit_tasks.py")
    assert not at.exception
    picker = by_label(at.selectbox, "Đơn vị")
    assert picker.value != _unit_id(world, HEALTH)
    _find(at, "so y te")
    assert by_label(at.selectbox, "Đơn vị").value == _unit_id(world, HEALTH)
    assert set(at.dataframe[0].value["Đơn vị chủ trì"]) == {"Sở Y tế"}
    assert any(c.startswith("1 đơn vị khớp “so y te”: Sở Y tế") for c in _captions(at)), _captions(at)
    # accents typed the Vietnamese way still work, and so does the mã định danh
    _find(at, "TÀI CHÍNH")
    assert by_label(at.selectbox, "Đơn vị").value == _unit_id(world, FINANCE)
    _find(at, "000.00.16")
    assert by_label(at.selectbox, "Đơn vị").value == _unit_id(world, HEALTH)
    # the full name is searched too: "thong tin" is Sở TT&TT, whose short name does not spell it
    _find(at, "thong tin truyen thong")
    assert _shown(by_label(at.selectbox, "Đơn vị")) == "Sở TT&TT"
    _find(at, "khong co don vi nay")
    assert "Không có đơn vị nào khớp “khong co don vi nay”." in _captions(at)
    assert by_label(at.selectbox, "Đơn vị").value is not None  # nothing found: the choice stays


def _labelled(widgets, start: str):  # type: ignore[no-untyped-def]
    """The widgets whose label starts with ``start`` ("Đơn vị chủ trì *": required fields are marked)."""
    return [w for w in widgets if w.label.startswith(start)]


def test_assign_offers_only_units_that_may_lead(world: World) -> None:
    """Giao nhiệm vụ: a phòng (P. QLNS, P. TCĐT of Sở Tài chính) and VP UBND are never offered
    to lead; a phòng may still coordinate. "tai chinh" puts what it finds first in both lists."""
    at = world.app_as("vp.theodoi", "pages/assign.py")
    assert not at.exception
    (lead,) = _labelled(at.selectbox, "Đơn vị chủ trì")
    (coordinators,) = _labelled(at.multiselect, "Đơn vị phối hợp")
    leads = list(lead.options)
    assert "Sở Tài chính (000.00.05.H21)" in leads and "UBND TP Pleiku (000.00.31.H21)" in leads
    assert not [o for o in leads if o.startswith(("P. ", "TT ", "VP UBND"))], leads
    assert f"P. QLNS (Sở Tài chính) ({BUDGET})" in coordinators.options
    assert not [o for o in coordinators.options if o.startswith("VP UBND")]

    _find(at, "tai chinh")
    (lead,) = _labelled(at.selectbox, "Đơn vị chủ trì")
    (coordinators,) = _labelled(at.multiselect, "Đơn vị phối hợp")
    assert lead.options[0] == "Sở Tài chính (000.00.05.H21)"
    assert len(lead.options) == len(leads)  # nothing is taken out of the list
    assert coordinators.options[:3] == [
        "Sở Tài chính (000.00.05.H21)",
        f"P. QLNS (Sở Tài chính) ({BUDGET})",
        f"P. TCĐT (Sở Tài chính) ({INVESTMENT})",
    ]
    found = [c for c in _captions(at) if "khớp “tai chinh”" in c]
    assert found and found[0].startswith("4 đơn vị khớp “tai chinh”: Sở Tài chính, P. QLNS (Sở Tài chính)"), found


def test_reroute_and_replace_pickers(world: World) -> None:
    """The tracker's re-routing (a "not our remit" request accepted) and replacement forms offer
    only units that may lead, and "Tìm đơn vị" chooses the first unit found."""
    task = world.new_task(FINANCE, "Kiểm tra hồ sơ mua sắm trang thiết bị y tế")
    with world.session() as s:
        request_wrong_unit(session=s, actor=world.actor("stc.lanhdao"), task_id=task, reason="Thuộc Sở Y tế.")
    at = world.app_as("vp.theodoi", "pages/task_detail.py", {"id": str(task)})
    assert not at.exception
    by_label(at.radio, "Quyết định").set_value(True).run()
    (right_unit,) = _labelled(at.selectbox, "Đơn vị đúng chức năng")
    assert "Sở Y tế" in right_unit.options
    assert not [o for o in right_unit.options if o.startswith(("P. ", "TT ", "VP UBND"))], right_unit.options
    at.text_input(key=f"wrong_unit_find_{task}").input("so y te").run()
    assert not at.exception
    (right_unit,) = _labelled(at.selectbox, "Đơn vị đúng chức năng")
    assert right_unit.value == HEALTH
    assert right_unit.options[0] == "Sở Y tế"

    at.text_input(key=f"replace_find_{task}").input("pleiku").run()
    assert not at.exception
    (replace_lead,) = _labelled(at.selectbox, "Đơn vị chủ trì")
    assert replace_lead.value == PLEIKU
    assert not [o for o in replace_lead.options if o.startswith(("P. ", "TT ", "VP UBND"))]


def test_monitor_drill_down_unit_found_without_accents(world: World) -> None:
    at = world.app_as("vp.theodoi", "pages/monitor.py")
    assert not at.exception
    at.text_input(key="drill_find").input("y te").run()
    assert not at.exception
    assert at.session_state["drill_unit"] == _unit_id(world, HEALTH)
    assert at.query_params["unit"] == str(_unit_id(world, HEALTH))  # the link keeps it


def test_the_office_is_never_a_lead_unit(world: World) -> None:
    """Also refused by the service whatever a page offers (the JSON API, an old form)."""
    at = world.app_as("vp.theodoi", "pages/assign.py")
    (lead,) = _labelled(at.selectbox, "Đơn vị chủ trì")
    assert not [o for o in lead.options if OFFICE in o]
