"""Helpers for the workflow part of the task page ("Đang ở bước", "Việc chờ bạn xử lý").

Each step the user may fire is one ``st.form`` keyed ``act_<flow id>_<workflow>_<transition>``;
its widgets are keyed ``<form key>_assignee`` / ``_subunits`` / ``_code`` / ``_date`` /
``_signer`` / ``_summary`` / ``_result`` / ``_note``, and its submit button carries the form
key as ``form_id``. Several forms can show the same labels (one form per sub-unit flow), so the
tests find widgets by these keys, not by label.

Where the leader chooses the routing case at bút phê (a unit with sub-units), the cases are a
radio keyed ``route_<flow id>`` and only the chosen case's form is drawn: ``fire_on_page`` picks
the case of the form it is given first (``choose_case``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import OrgUnit
from tests.pages.conftest import World

TABLE_COLUMNS = ["Đơn vị", "Quy trình", "Bước hiện tại", "Chuyên viên được giao", "Tình trạng"]
PENDING = "Việc chờ bạn xử lý"
WHERE_NOW = "Đang ở bước"
ROUTE = "Cách chuyển xử lý (Điều 5.1.e)"
CASE_SHORT = "Đơn vị tự xử lý — giao chuyên viên xử lý, không chuyển phòng"
CASE_TH1 = "Trường hợp 1 — chuyển chuyên viên theo dõi, đồng thời chuyển các phòng, đơn vị trực thuộc"
CASE_TH2 = "Trường hợp 2 — chuyển thẳng lãnh đạo các phòng, đơn vị trực thuộc"
MAIN_WORKFLOWS = ("truong_hop_1", "truong_hop_2", "ngan")  # the routing cases' workflows (config)

# labels of the steps (config/workflows.yaml)
VAO_SO = "Vào sổ, chuyển lãnh đạo"
BUT_PHE = "Bút phê, chuyển chuyên viên xử lý"
BUT_PHE_TH1 = "Bút phê: chuyển chuyên viên theo dõi, đồng thời chuyển đơn vị liên thông nội bộ"
BUT_PHE_TH2 = "Bút phê chuyển xử lý trực tiếp cho lãnh đạo phòng, đơn vị trực thuộc"
TRINH = "Trình dự thảo văn bản trả lời"
TRA_LAI = "Trả lại dự thảo"
DUYET = "Duyệt, chuyển văn thư ban hành"
BAN_HANH = "Ban hành văn bản trả lời, gửi UBND tỉnh"
ASSIGNEE = "Chuyển cho chuyên viên"
SUBUNITS = "Chuyển đơn vị liên thông nội bộ (phòng, đơn vị trực thuộc)"
REQUIRED = " *"  # a required field's label ends so


def flow_id(world: World, task_id: int, unit_code: str | None = None) -> int:
    """The id of the task's active flow at ``unit_code`` (default: the main flow)."""
    return world.flow_id(task_id, unit_code)


def form_key(flow: int, workflow: str, transition: str) -> str:
    return f"act_{flow}_{workflow}_{transition}"


def step_forms(at: AppTest) -> list[str]:
    """The keys of the step forms shown, in page order."""
    return [b.form_id for b in at.button if b.form_id.startswith("act_")]


def step_buttons(at: AppTest) -> list[str]:
    """The labels of the step forms' submit buttons, in page order."""
    return [b.label for b in at.button if b.form_id.startswith("act_")]


def choose_case(at: AppTest, key: str) -> AppTest:
    """Pick the routing case of the bút phê form ``key`` on its radio, when the page has one."""
    flow = key.split("_")[1]
    radios = [r for r in at.radio if r.key == f"route_{flow}"]
    if not radios or key in step_forms(at):
        return at
    rest = key[len(f"act_{flow}_") :]
    (workflow,) = [w for w in MAIN_WORKFLOWS if rest.startswith(w + "_")]
    radios[0].set_value(workflow).run()
    assert not at.exception, at.exception
    return at


def submit(at: AppTest, key: str) -> AppTest:
    (button,) = [b for b in at.button if b.form_id == key]
    button.click().run()
    assert not at.exception, at.exception
    return at


def widget(at: AppTest, kind: str, key: str, field: str) -> Any:
    """The ``kind`` widget (selectbox, multiselect, text_area, ...) of a step form."""
    return getattr(at, kind)(key=f"{key}_{field}")


def fire_on_page(
    at: AppTest,
    key: str,
    *,
    note: str = "",
    assignee: int | None = None,
    subunits: list[int] | None = None,
    reply: dict[str, Any] | None = None,
) -> AppTest:
    """Fill one step form as a person would and press its button."""
    choose_case(at, key)
    if assignee is not None:
        widget(at, "selectbox", key, "assignee").set_value(assignee)
    if subunits is not None:
        widget(at, "multiselect", key, "subunits").set_value(subunits)
    if reply is not None:
        widget(at, "text_input", key, "code").input(reply["code"])
        if "date" in reply:  # typed as ngày/tháng/năm (ui/forms.py date_field)
            day = reply["date"]
            widget(at, "text_input", key, "date").input(day if isinstance(day, str) else f"{day:%d/%m/%Y}")
        widget(at, "text_input", key, "signer").input(reply.get("signer", ""))
        widget(at, "text_input", key, "summary").input(reply.get("summary", ""))
        widget(at, "text_area", key, "result").input(reply.get("result", ""))
    if note:
        widget(at, "text_area", key, "note").input(note)
    return submit(at, key)


def where_now(at: AppTest) -> list[dict[str, str]]:
    """The rows of the "Đang ở bước" table."""
    frame = at.table[0].value
    assert list(frame.columns) == TABLE_COLUMNS
    return [{k: str(v) for k, v in row.items()} for row in frame.to_dict("records")]


def steps_now(at: AppTest) -> list[tuple[str, str]]:
    """(unit, current step) of each flow, as the table shows them."""
    return [(r["Đơn vị"], r["Bước hiện tại"]) for r in where_now(at)]


def unit_id(world: World, code: str) -> int:
    with world.session() as s:
        unit = s.exec(select(OrgUnit).where(OrgUnit.code == code)).one()
    assert unit.id is not None
    return unit.id


def reply_fields(code: str, day: date, result: str = "Đã thực hiện xong") -> dict[str, Any]:
    return {"code": code, "date": day, "signer": "Giám đốc Sở", "summary": "Báo cáo kết quả", "result": result}
