"""Chi tiết nhiệm vụ: who sees a task, who may note, the unit's steps (Điều 5.1.e) and the journal.

A unit's reply is the last step of its flow: the clerk vào sổ, the leader bút phê to a
specialist, the specialist submits the draft, the leader approves, the clerk issues the reply.
Each step is a form under "Việc chờ bạn xử lý", shown only to whom may fire it now; the
"Đang ở bước" table shows where the task stands in each unit.
"""

from __future__ import annotations

import re

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import Document, DocumentKind, EventAction, Task, TaskStatus
from tests.conftest import FINANCE, HEALTH
from tests.pages.conftest import World, by_label, values
from tests.pages.steps import (
    ASSIGNEE,
    BAN_HANH,
    BUT_PHE,
    BUT_PHE_TH1,
    BUT_PHE_TH2,
    CASE_SHORT,
    CASE_TH1,
    CASE_TH2,
    DUYET,
    PENDING,
    REQUIRED,
    ROUTE,
    SUBUNITS,
    TRA_LAI,
    TRINH,
    VAO_SO,
    WHERE_NOW,
    choose_case,
    fire_on_page,
    flow_id,
    form_key,
    reply_fields,
    step_buttons,
    step_forms,
    steps_now,
    where_now,
    widget,
)

WORLD_USERS = ["syt.vanthu", "syt.lanhdao", "syt.chuyenvien"]
PAGE = "pages/task_detail.py"
NOTE_FIELD = "Nội dung cập nhật *"  # required fields end with " *"
REPLY_CODE = "Số/ký hiệu văn bản trả lời *"


def open_task(world: World, username: str, key: str | int) -> AppTest:
    task_id = world.tasks[key] if isinstance(key, str) else key
    at = world.app_as(username, PAGE, {"id": str(task_id)})
    assert not at.exception
    return at


def _md(at: AppTest) -> list[str]:
    """Markdown texts with markdown escapes (user text is escaped) removed."""
    return [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]


def _labels(at: AppTest) -> set[str]:
    return {w.label for w in [*at.text_area, *at.text_input, *at.button]}


def _journal(at: AppTest) -> list[str]:
    """The journal lines' bold action labels, newest first, as drawn."""
    return [m.split("**")[1] for m in _md(at) if m.startswith("**") and " — " in m]


def _status(world: World, key: str | int) -> TaskStatus:
    with world.session() as s:
        task = s.get(Task, world.tasks[key] if isinstance(key, str) else key)
        assert task is not None
        return task.status


def test_lead_clerk_sees_task_document_note_form_and_the_first_step(world: World) -> None:
    at = open_task(world, "stc.vanthu", "b1")
    assert values(at.title) == [f"Nhiệm vụ #{world.tasks['b1']}"]
    md = _md(at)
    assert "### Rà soát đề án đầu tư công" in md
    assert "**Đơn vị chủ trì**  \nSở Tài chính" in md
    assert f"**Hạn xử lý**  \n{world.day(2):%d/%m/%Y}" in md
    assert any("**Số/ký hiệu:** 102/UBND-VX" in m and "**Trích yếu:** V/v đầu tư công năm nay" in m for m in md)
    assert any("Sắp đến hạn" in m for m in md)  # the state badge
    assert {NOTE_FIELD, "Lưu cập nhật", VAO_SO} <= _labels(at)
    assert REPLY_CODE not in _labels(at)  # the reply is the last step, not a free form
    assert [h for h in values(at.subheader) if h in (WHERE_NOW, PENDING)] == [WHERE_NOW, PENDING]
    # Sở Tài chính has sub-units: the workflow is chosen at bút phê
    assert where_now(at) == [
        {
            "Đơn vị": "Sở Tài chính",
            "Quy trình": "Chưa chọn quy trình",
            "Bước hiện tại": "Chờ văn thư vào sổ",
            "Chuyên viên được giao": "—",
            "Tình trạng": "đang xử lý",
        }
    ]
    assert step_buttons(at) == [VAO_SO]
    assert any(m == f"**Bước 1: {VAO_SO}** · Sở Tài chính" for m in md)
    assert _journal(at) == ["Giao nhiệm vụ"]


def test_lead_clerk_adds_a_progress_note(world: World) -> None:
    at = open_task(world, "stc.vanthu", "b1")
    by_label(at.text_area, NOTE_FIELD).input("Đã họp với các phòng, dự kiến xong trong tuần")
    by_label(at.button, "Lưu cập nhật").click().run()
    assert not at.exception
    assert values(at.error) == []
    assert values(at.success) == ["Đã lưu cập nhật tiến độ."]
    assert _journal(at) == ["Cập nhật tiến độ", "Giao nhiệm vụ"]
    assert "Đã họp với các phòng, dự kiến xong trong tuần" in values(at.text)
    notes = [e for e in world.events(world.tasks["b1"]) if e.action is EventAction.NOTE]
    assert [(e.note, e.actor_id) for e in notes] == [
        ("Đã họp với các phòng, dự kiến xong trong tuần", world.user_ids["stc.vanthu"])
    ]
    assert _status(world, "b1") is TaskStatus.OPEN


def test_empty_note_is_refused(world: World) -> None:
    before = len(world.events(world.tasks["a1"]))
    at = open_task(world, "stc.vanthu", "a1")
    by_label(at.button, "Lưu cập nhật").click().run()
    assert values(at.error) == ["Nội dung cập nhật không được để trống."]
    assert len(world.events(world.tasks["a1"])) == before


def test_each_step_fires_from_its_form_as_the_right_person(world: World) -> None:
    """vào sổ → bút phê → trình → trả lại → trình → duyệt → ban hành, each by whom it belongs to."""
    task = world.new_task(FINANCE, "Báo cáo quyết toán ngân sách địa phương")
    flow = flow_id(world, task)
    specialist = world.user_ids["stc.chuyenvien"]

    # 1. the clerk: vào sổ; nobody else has a form now
    for other in ("stc.lanhdao", "stc.chuyenvien"):
        assert step_forms(open_task(world, other, task)) == []
    at = open_task(world, "stc.vanthu", task)
    at = fire_on_page(at, form_key(flow, "ngan", "vao_so"))
    assert values(at.error) == []
    assert values(at.success) == [f"Đã thực hiện: {VAO_SO}."]
    assert steps_now(at) == [("Sở Tài chính", "Chờ lãnh đạo bút phê")]
    assert step_forms(at) == []  # the clerk's part is done
    assert PENDING not in values(at.subheader)

    # 2. the leader: bút phê to the specialist (the short workflow: no sub-unit)
    at = open_task(world, "stc.lanhdao", task)
    key = form_key(flow, "ngan", "but_phe")
    assert step_forms(at) == []  # Sở Tài chính has sub-units: the case is chosen first
    choose_case(at, key)
    assert step_forms(at) == [key]
    people = widget(at, "selectbox", key, "assignee")
    assert people.label == ASSIGNEE + REQUIRED
    assert people.value is None  # nobody is chosen for the leader
    assert "Võ Chuyên Viên (Chuyên viên)" in people.options
    at = fire_on_page(at, key, assignee=specialist, note="Đề nghị hoàn thành trước thứ Sáu")
    assert values(at.success) == [f"Đã thực hiện: {BUT_PHE}."]
    assert where_now(at) == [
        {
            "Đơn vị": "Sở Tài chính",
            "Quy trình": "Đơn vị tự xử lý (không chuyển đơn vị trực thuộc)",
            "Bước hiện tại": "Chuyên viên đang dự thảo",
            "Chuyên viên được giao": "Võ Chuyên Viên",
            "Tình trạng": "đang xử lý",
        }
    ]
    assert step_forms(at) == []

    # 3. the specialist submits the draft; the leader returns it (a reason is required)
    at = fire_on_page(open_task(world, "stc.chuyenvien", task), form_key(flow, "ngan", "trinh_du_thao"))
    assert values(at.success) == [f"Đã thực hiện: {TRINH}."]
    assert steps_now(at) == [("Sở Tài chính", "Chờ lãnh đạo duyệt dự thảo")]
    at = open_task(world, "stc.lanhdao", task)
    assert step_buttons(at) == [TRA_LAI, DUYET]
    returned = form_key(flow, "ngan", "tra_lai_du_thao")
    assert widget(at, "text_area", returned, "note").label == "Ý kiến *"
    before = len(world.events(task))
    at = fire_on_page(at, returned)
    assert values(at.error) == ["Ý kiến xử lý không được để trống."]  # the form's one field: no summary
    assert len(world.events(task)) == before
    at = fire_on_page(at, returned, note="Bổ sung số liệu quý III")
    assert values(at.success) == [f"Đã thực hiện: {TRA_LAI}."]
    assert steps_now(at) == [("Sở Tài chính", "Chuyên viên đang dự thảo")]
    fire_on_page(open_task(world, "stc.chuyenvien", task), form_key(flow, "ngan", "trinh_du_thao"))

    # 4. the leader approves
    at = fire_on_page(open_task(world, "stc.lanhdao", task), form_key(flow, "ngan", "duyet"))
    assert values(at.success) == [f"Đã thực hiện: {DUYET}."]
    assert steps_now(at) == [("Sở Tài chính", "Chờ văn thư ban hành")]

    # 5. the clerk issues the reply
    at = open_task(world, "stc.vanthu", task)
    assert step_buttons(at) == [BAN_HANH]
    at = fire_on_page(at, form_key(flow, "ngan", "ban_hanh"), reply=reply_fields("51/STC-NS", world.today))
    assert values(at.error) == []
    assert values(at.success) == [
        f"Đã ban hành văn bản trả lời 51/STC-NS ngày {world.today:%d/%m/%Y}; chờ Văn phòng UBND tỉnh xác nhận."
    ]
    assert where_now(at)[0]["Bước hiện tại"] == "Đã ban hành văn bản trả lời"
    assert where_now(at)[0]["Tình trạng"] == "đã xong phần việc"
    assert _status(world, task) is TaskStatus.REPLIED

    # the journal has each step, by whom, with what they wrote; the reply step is the reply entry
    steps = [
        (e.action, e.transition, e.note, e.to_user_name, e.actor_id)
        for e in world.events(task)
        if e.action in (EventAction.STEP, EventAction.REPLIED)
    ]
    ids = world.user_ids
    assert steps == [
        (EventAction.STEP, "vao_so", "", None, ids["stc.vanthu"]),
        (EventAction.STEP, "but_phe", "Đề nghị hoàn thành trước thứ Sáu", "Võ Chuyên Viên", ids["stc.lanhdao"]),
        (EventAction.STEP, "trinh_du_thao", "", None, ids["stc.chuyenvien"]),
        (EventAction.STEP, "tra_lai_du_thao", "Bổ sung số liệu quý III", None, ids["stc.lanhdao"]),
        (EventAction.STEP, "trinh_du_thao", "", None, ids["stc.chuyenvien"]),
        (EventAction.STEP, "duyet", "", None, ids["stc.lanhdao"]),
        (EventAction.REPLIED, "ban_hanh", steps[-1][2], None, ids["stc.vanthu"]),
    ]
    assert steps[-1][2].startswith("Văn bản 51/STC-NS ngày ")
    # the timeline as drawn: newest first, each step titled by the regulation's step
    assert _journal(at) == [
        f"Bước 5 · {BAN_HANH}",
        f"Bước 4 · {DUYET}",
        f"Bước 3 · {TRINH}",
        f"Bước 3 · {TRA_LAI}",
        f"Bước 3 · {TRINH}",
        f"Bước 2 · {BUT_PHE}",
        f"Bước 1 · {VAO_SO}",
        "Giao nhiệm vụ",
    ]
    assert "Chuyển chuyên viên: Võ Chuyên Viên" in values(at.caption)



def test_but_phe_without_a_specialist_is_refused(world: World) -> None:
    task = world.new_task(FINANCE, "Rà soát nợ xây dựng cơ bản")
    world.walk(task, "but_phe")
    at = open_task(world, "stc.lanhdao", task)
    at = fire_on_page(at, form_key(flow_id(world, task), "ngan", "but_phe"))
    assert values(at.error) == [
        "Chọn chuyên viên của đơn vị để chuyển xử lý.",
        "Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “Chuyển cho chuyên viên”.",
    ]
    assert steps_now(at) == [("Sở Tài chính", "Chờ lãnh đạo bút phê")]


def test_lead_clerk_issues_the_reply(world: World) -> None:
    world.walk(world.tasks["b2"], "ban_hanh")  # vào sổ, bút phê, dự thảo, duyệt: ready to issue
    at = open_task(world, "stc.vanthu", "b2")
    key = form_key(flow_id(world, world.tasks["b2"]), "ngan", "ban_hanh")
    by_label(at.text_input, REPLY_CODE).input("45/STC-NS")
    assert by_label(at.text_input, "Ngày văn bản *").value == f"{world.today:%d/%m/%Y}"  # today, typed
    by_label(at.text_input, "Người ký").input("Giám đốc Sở")
    by_label(at.text_input, "Trích yếu văn bản trả lời *").input("Báo cáo tổng hợp ý kiến")
    by_label(at.text_area, "Kết quả thực hiện *").input("Đã tổng hợp ý kiến của 12 sở")
    by_label(at.button, BAN_HANH).click().run()
    assert not at.exception
    assert values(at.error) == []
    assert values(at.success) == [
        f"Đã ban hành văn bản trả lời 45/STC-NS ngày {world.today:%d/%m/%Y}; chờ Văn phòng UBND tỉnh xác nhận."
    ]
    assert _journal(at)[:2] == [f"Bước 5 · {BAN_HANH}", f"Bước 4 · {DUYET}"]
    assert _journal(at)[-1] == "Giao nhiệm vụ"
    assert "Văn bản trả lời" in values(at.subheader)
    assert any(m.startswith("- **45/STC-NS** ngày") and "Đã tổng hợp ý kiến của 12 sở" in m for m in _md(at))
    # replied: no second reply, notes still possible
    assert REPLY_CODE not in _labels(at)
    assert key not in step_forms(at)
    assert NOTE_FIELD in _labels(at)

    assert _status(world, "b2") is TaskStatus.REPLIED
    with world.session() as s:
        reply = s.exec(select(Document).where(Document.code == "45/STC-NS")).one()
        assignment = s.exec(select(Document).where(Document.code == "102/UBND-VX")).one()
    assert reply.kind is DocumentKind.REPLY
    assert (reply.task_id, reply.reply_to_id) == (world.tasks["b2"], assignment.id)  # on the same flow
    assert (reply.issue_date, reply.result, reply.signer) == (
        world.today,
        "Đã tổng hợp ý kiến của 12 sở",
        "Giám đốc Sở",
    )


def test_reply_without_result_is_refused(world: World) -> None:
    task = world.new_task(FINANCE, "Báo cáo thu ngân sách quý")
    world.walk(task, "ban_hanh")
    docs = world.count(Document)
    at = open_task(world, "stc.vanthu", task)
    by_label(at.text_input, REPLY_CODE).input("46/STC-NS")
    by_label(at.text_input, "Trích yếu văn bản trả lời *").input("Báo cáo")
    by_label(at.button, BAN_HANH).click().run()
    assert values(at.error) == [
        "Kết quả thực hiện không được để trống.",
        "Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “Kết quả thực hiện”.",
    ]
    assert world.count(Document) == docs
    assert _status(world, task) is TaskStatus.OPEN
    assert steps_now(at) == [("Sở Tài chính", "Chờ văn thư ban hành")]


def test_reply_form_is_only_for_the_clerk_at_the_last_step(world: World) -> None:
    task = world.new_task(FINANCE, "Tổng hợp dự toán năm sau")
    world.walk(task, "duyet")  # waiting for the leader's approval
    for username in ("stc.vanthu", "stc.chuyenvien"):
        at = open_task(world, username, task)
        assert REPLY_CODE not in _labels(at)
        assert step_forms(at) == []
    assert step_buttons(open_task(world, "stc.lanhdao", task)) == [TRA_LAI, DUYET]


def test_unit_with_sub_units_leader_chooses_how_to_route(world: World) -> None:
    """Sở Tài chính has sub-units: the leader picks Trường hợp 1, Trường hợp 2 or the short
    workflow by name, then fills the one form of that case (one button)."""
    task = world.new_task(FINANCE, "Rà soát các khoản chi thường xuyên")
    world.walk(task, "but_phe")
    flow = flow_id(world, task)
    at = open_task(world, "stc.lanhdao", task)
    route = at.radio(key=f"route_{flow}")
    assert route.label == ROUTE
    assert route.options == [CASE_TH1, CASE_TH2, CASE_SHORT]  # the regulation's cases first
    assert route.value is None  # nothing chosen for the leader
    assert step_forms(at) == []  # no form before a case is chosen
    assert "Chọn một cách chuyển xử lý để điền bút phê." in values(at.caption)

    short, th1 = form_key(flow, "ngan", "but_phe"), form_key(flow, "truong_hop_1", "but_phe")
    route.set_value("truong_hop_1").run()
    assert step_forms(at) == [th1]
    assert step_buttons(at) == [BUT_PHE_TH1]  # one button
    # Trường hợp 1: the tracking specialist and the sub-units
    assert widget(at, "selectbox", th1, "assignee").label == ASSIGNEE + REQUIRED
    subunits = widget(at, "multiselect", th1, "subunits")
    assert subunits.label == SUBUNITS + REQUIRED
    assert subunits.options == ["P. QLNS (Sở Tài chính)", "P. TCĐT (Sở Tài chính)"]

    # the short workflow: a specialist only
    at.radio(key=f"route_{flow}").set_value("ngan").run()
    assert step_forms(at) == [short]
    assert step_buttons(at) == [BUT_PHE]
    assert widget(at, "selectbox", short, "assignee").label == ASSIGNEE + REQUIRED
    assert not _has(at, "multiselect", f"{short}_subunits")


def _has(at: AppTest, kind: str, key: str) -> bool:
    try:
        getattr(at, kind)(key=key)
    except KeyError:
        return False
    return True


def test_one_but_phe_form_per_routing_case(world: World) -> None:
    """Điều 5.1.e: the leader may also route directly to the sub-units' leaders (Trường hợp 2):
    its form has the sub-units and no tracking specialist."""
    task = world.new_task(FINANCE, "Kiểm tra quyết toán vốn các dự án hoàn thành")
    world.walk(task, "but_phe")
    flow = flow_id(world, task)
    at = open_task(world, "stc.lanhdao", task)
    th2 = form_key(flow, "truong_hop_2", "but_phe")
    at.radio(key=f"route_{flow}").set_value("truong_hop_2").run()
    assert step_forms(at) == [th2]
    assert step_buttons(at) == [BUT_PHE_TH2]
    assert not _has(at, "selectbox", f"{th2}_assignee")  # no tracking specialist in Trường hợp 2
    assert widget(at, "multiselect", th2, "subunits").label == SUBUNITS + REQUIRED


def test_one_but_phe_form_for_a_unit_without_sub_units(world: World) -> None:
    task = world.new_task(HEALTH, "Giám sát dịch bệnh mùa mưa")
    at = fire_on_page(open_task(world, "syt.vanthu", task), form_key(flow_id(world, task), "ngan", "vao_so"))
    assert values(at.success) == [f"Đã thực hiện: {VAO_SO}."]
    at = open_task(world, "syt.lanhdao", task)
    assert step_buttons(at) == [BUT_PHE]
    assert not at.multiselect
    assert not at.radio  # one way only: no case to choose
    at = fire_on_page(at, form_key(flow_id(world, task), "ngan", "but_phe"), assignee=world.user_ids["syt.chuyenvien"])
    assert values(at.success) == [f"Đã thực hiện: {BUT_PHE}."]
    assert steps_now(at) == [("Sở Y tế", "Chuyên viên đang dự thảo")]


def test_unit_without_sub_units_shows_its_workflow_once_routed(world: World) -> None:
    task = world.new_task(HEALTH, "Kiểm tra vệ sinh an toàn thực phẩm bếp ăn tập thể")
    world.walk(task, "trinh_du_thao")  # vào sổ and bút phê done
    at = open_task(world, "syt.chuyenvien", task)
    assert where_now(at)[0]["Bước hiện tại"] == "Chuyên viên đang dự thảo"
    assert where_now(at)[0]["Quy trình"] == "Đơn vị tự xử lý (không chuyển đơn vị trực thuộc)"


def test_clerk_of_another_unit_cannot_open_the_task(world: World) -> None:
    for username in ("syt.vanthu", "pleiku.lanhdao"):
        at = open_task(world, username, "a1")
        assert values(at.title) == ["Chi tiết nhiệm vụ"]
        assert len(at.error) == 1
        assert at.error[0].value.startswith(f"Không tìm thấy nhiệm vụ #{world.tasks['a1']}")
        assert "Báo cáo tình hình thu chi ngân sách quý" not in " ".join(_md(at))
        assert not _labels(at) & {NOTE_FIELD, REPLY_CODE, VAO_SO}


def test_unknown_task_id_is_not_found(world: World) -> None:
    at = world.app_as("vp.theodoi", PAGE, {"id": "99999"})
    assert not at.exception
    assert values(at.error) == ["Không tìm thấy nhiệm vụ #99999 hoặc bạn không có quyền xem."]


def test_coordinating_unit_reads_but_cannot_act(world: World) -> None:
    at = open_task(world, "syt.vanthu", "b2")
    assert values(at.title) == [f"Nhiệm vụ #{world.tasks['b2']}"]
    assert "**Đơn vị phối hợp**  \nSở Y tế" in _md(at)
    assert not _labels(at) & {NOTE_FIELD, REPLY_CODE}
    assert step_forms(at) == []


def test_specialist_may_note_but_has_no_step_before_bút_phê(world: World) -> None:
    at = open_task(world, "stc.chuyenvien", "a1")
    assert values(at.title) == [f"Nhiệm vụ #{world.tasks['a1']}"]
    labels = _labels(at)
    assert {NOTE_FIELD, "Lưu cập nhật"} <= labels
    assert not labels & {REPLY_CODE, "Kết quả thực hiện *", BAN_HANH, VAO_SO}
    assert step_forms(at) == []
    assert any("Đang thực hiện quá hạn" in m for m in _md(at))


def test_tracker_reads_a_pending_reply_with_a_link_to_confirm(world: World) -> None:
    at = open_task(world, "vp.theodoi", "c3")
    assert values(at.title) == [f"Nhiệm vụ #{world.tasks['c3']}"]
    assert any(m.startswith("- **33/STC-VP** ngày") for m in _md(at))
    links = at.get("page_link")
    assert [link.proto.label for link in links] == ["Xác nhận kết quả nhiệm vụ này"]
    assert not _labels(at) & {NOTE_FIELD, REPLY_CODE}  # the office does not act for the unit
    assert step_forms(at) == []
    assert where_now(at)[0]["Bước hiện tại"] == "Đã ban hành văn bản trả lời"
    # vào sổ, bút phê, dự thảo, duyệt, ban hành: five steps, then the reply itself
    assert _journal(at) == [
        f"Bước 5 · {BAN_HANH}",
        f"Bước 4 · {DUYET}",
        f"Bước 3 · {TRINH}",
        f"Bước 2 · {BUT_PHE}",
        f"Bước 1 · {VAO_SO}",
        "Giao nhiệm vụ",
    ]
