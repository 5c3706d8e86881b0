"""Internal routing on the task page (Điều 5.1.e): Trường hợp 1 and 2 at Sở Tài chính.

Sở Tài chính has two sub-units, P. QLNS and P. TCĐT. In Trường hợp 1 its leader hands the
task to a tracking specialist and, at once, to sub-units; each sub-unit runs its own steps
(3–7) and sends its document up; the Sở's clerk takes it in (8) only when every sub-unit is
done, the leader hands it back to the tracking specialist (9), who drafts on the same flow and
archive-closes the sub-units' documents (10). In Trường hợp 2 the sub-units' leaders submit
directly to the Sở's leader.
"""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from demo.seed import unit_staff
from models import OrgUnit, Task, TaskStatus
from tests.actions import fire
from tests.conftest import FINANCE
from tests.pages.conftest import BUDGET, INVESTMENT, World, values
from tests.pages.steps import (
    ASSIGNEE,
    BUT_PHE_TH1,
    SUBUNITS,
    fire_on_page,
    flow_id,
    form_key,
    reply_fields,
    step_buttons,
    step_forms,
    steps_now,
    submit,
    unit_id,
    where_now,
    widget,
)

WORLD_USERS = ["qlns.vanthu", "qlns.lanhdao", "qlns.chuyenvien"]
PAGE = "pages/task_detail.py"
SUB = "truong_hop_1_truc_thuoc"
QLNS, TCDT = "P. QLNS (Sở Tài chính)", "P. TCĐT (Sở Tài chính)"
SUB_LABEL = "Trường hợp 1 — phần việc của phòng, đơn vị trực thuộc"
RECEIVE = "Chờ văn thư phòng/đơn vị trực thuộc tiếp nhận"


def open_task(world: World, username: str, task_id: int) -> AppTest:
    at = world.app_as(username, PAGE, {"id": str(task_id)})
    assert not at.exception
    assert values(at.title) == [f"Nhiệm vụ #{task_id}"], values(at.error)
    return at


def _task_at_but_phe(world: World, content: str) -> int:
    task = world.new_task(FINANCE, content)
    world.walk(task, "but_phe")
    return task


def test_truong_hop_1_needs_a_sub_unit(world: World) -> None:
    task = _task_at_but_phe(world, "Rà soát định mức chi hành chính")
    at = open_task(world, "stc.lanhdao", task)
    key = form_key(flow_id(world, task), "truong_hop_1", "but_phe")
    at = fire_on_page(at, key, assignee=world.user_ids["stc.chuyenvien"], subunits=[])
    assert values(at.error) == [
        "Chọn ít nhất một phòng, đơn vị trực thuộc để chuyển liên thông nội bộ.",
        f"Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “{SUBUNITS}”.",
    ]
    assert steps_now(at) == [("Sở Tài chính", "Chờ lãnh đạo bút phê")]


def test_truong_hop_1_through_the_page_forms(world: World) -> None:
    task = _task_at_but_phe(world, "Đánh giá tình hình thực hiện dự toán ngân sách")
    main = flow_id(world, task)
    tracking = world.user_ids["stc.chuyenvien"]

    # 2. the Sở's leader: tracking specialist + both sub-units
    at = open_task(world, "stc.lanhdao", task)
    at = fire_on_page(
        at,
        form_key(main, "truong_hop_1", "but_phe"),
        assignee=tracking,
        subunits=[unit_id(world, BUDGET), unit_id(world, INVESTMENT)],
        note="P. QLNS chủ trì số liệu",
    )
    assert values(at.error) == []
    assert values(at.success) == [f"Đã thực hiện: {BUT_PHE_TH1}."]
    rows = where_now(at)
    assert [(r["Đơn vị"], r["Quy trình"], r["Bước hiện tại"], r["Chuyên viên được giao"]) for r in rows] == [
        (
            "Sở Tài chính",
            "Trường hợp 1: chuyển chuyên viên theo dõi và đồng thời chuyển đơn vị trực thuộc",
            "Các phòng, đơn vị trực thuộc đang xử lý",
            "Võ Chuyên Viên",
        ),
        (
            f"↳ {QLNS}",
            "Trường hợp 1 — phần việc của phòng, đơn vị trực thuộc",
            "Chờ văn thư phòng/đơn vị trực thuộc tiếp nhận",
            "—",
        ),
        (
            f"↳ {TCDT}",
            "Trường hợp 1 — phần việc của phòng, đơn vị trực thuộc",
            "Chờ văn thư phòng/đơn vị trực thuộc tiếp nhận",
            "—",
        ),
    ]
    # nothing for the Sở's clerk while the sub-units work (step 8 waits for them)
    assert step_forms(open_task(world, "stc.vanthu", task)) == []

    # 3–7 at P. QLNS, through its own staff's forms
    sub = flow_id(world, task, BUDGET)
    at = fire_on_page(open_task(world, "qlns.vanthu", task), form_key(sub, SUB, "tiep_nhan"))
    assert (f"↳ {QLNS}", "Chờ lãnh đạo phòng chuyển chuyên viên") in steps_now(at)
    at = open_task(world, "qlns.lanhdao", task)
    assert step_buttons(at) == ["Chuyển chuyên viên xử lý"]
    fire_on_page(at, form_key(sub, SUB, "phan_cong"), assignee=world.user_ids["qlns.chuyenvien"])
    fire_on_page(open_task(world, "qlns.chuyenvien", task), form_key(sub, SUB, "trinh_du_thao"))
    fire_on_page(open_task(world, "qlns.lanhdao", task), form_key(sub, SUB, "duyet"))
    at = open_task(world, "qlns.vanthu", task)
    send = form_key(sub, SUB, "gui_don_vi_cha")
    at = fire_on_page(at, send)
    assert values(at.error) == ["Ý kiến xử lý không được để trống."]  # the document sent up is named
    at = fire_on_page(at, send, note="Văn bản số 12/QLNS gửi Sở")
    assert (f"↳ {QLNS}", "Đã gửi văn bản liên thông nội bộ đến đơn vị cha") in steps_now(at)

    # P. TCĐT has not finished: still no step 8; then its staff finish it (through the services)
    assert step_forms(open_task(world, "stc.vanthu", task)) == []
    _finish_sub_unit_as_its_own_staff(world, task)

    # 8. the Sở's clerk takes the sub-units' documents in
    at = open_task(world, "stc.vanthu", task)
    assert step_buttons(at) == ["Tiếp nhận văn bản của đơn vị trực thuộc, chuyển lãnh đạo"]
    at = fire_on_page(at, form_key(main, "truong_hop_1", "tiep_nhan_bao_cao"))
    assert steps_now(at)[0] == ("Sở Tài chính", "Chờ lãnh đạo chuyển chuyên viên theo dõi")
    # 9. the leader hands it to the tracking specialist chosen at step 2
    at = fire_on_page(open_task(world, "stc.lanhdao", task), form_key(main, "truong_hop_1", "chuyen_theo_doi"))
    assert steps_now(at)[0] == ("Sở Tài chính", "Chuyên viên theo dõi đang dự thảo trên chính luồng")
    # 10. the tracking specialist drafts and archive-closes the sub-units' documents
    at = open_task(world, "stc.chuyenvien", task)
    assert step_buttons(at)[0] == "Dự thảo trên chính luồng, lưu kết thúc văn bản của đơn vị trực thuộc"
    at = fire_on_page(at, form_key(main, "truong_hop_1", "trinh_du_thao"))
    assert steps_now(at) == [
        ("Sở Tài chính", "Chờ lãnh đạo duyệt ban hành"),
        (f"↳ {QLNS}", "Đơn vị cha đã lưu kết thúc"),
        (f"↳ {TCDT}", "Đơn vị cha đã lưu kết thúc"),
    ]
    # 11. approve, issue
    fire_on_page(open_task(world, "stc.lanhdao", task), form_key(main, "truong_hop_1", "duyet"))
    at = open_task(world, "stc.vanthu", task)
    assert step_buttons(at) == ["Ban hành văn bản đi, gửi UBND tỉnh"]
    at = fire_on_page(at, form_key(main, "truong_hop_1", "ban_hanh"), reply=reply_fields("71/STC-QLNS", world.today))
    assert values(at.success) == [
        f"Đã ban hành văn bản trả lời 71/STC-QLNS ngày {world.today:%d/%m/%Y}; chờ Văn phòng UBND tỉnh xác nhận."
    ]
    assert [r["Tình trạng"] for r in where_now(at)] == ["đã xong phần việc"] * 3
    with world.session() as s:
        replied = s.get(Task, task)
    assert replied is not None and replied.status is TaskStatus.REPLIED


def _finish_sub_unit_as_its_own_staff(world: World, task: int) -> None:
    """P. TCĐT's part (steps 3–7), fired by its staff (made on the fly by demo.seed)."""
    assert world.runtime is not None
    cfg = world.runtime.config
    with world.session() as s:
        unit = s.exec(select(OrgUnit).where(OrgUnit.code == INVESTMENT)).one()
        staff = unit_staff(s, cfg, unit)
        sub = flow_id(world, task, INVESTMENT)
        for actor, transition, extra in (
            (staff.clerk, "tiep_nhan", {}),
            (staff.leader, "phan_cong", {"assignee_id": staff.specialist.user_id}),
            (staff.specialist, "trinh_du_thao", {}),
            (staff.leader, "duyet", {}),
            (staff.clerk, "gui_don_vi_cha", {"note": "Văn bản số 8/TCĐT gửi Sở"}),
        ):
            fire(session=s, actor=actor, config=cfg, flow_id=sub, transition=transition, **extra)


def test_truong_hop_2_through_the_page_forms(world: World) -> None:
    task = _task_at_but_phe(world, "Rà soát nguồn cải cách tiền lương")
    main = flow_id(world, task)
    at = open_task(world, "stc.lanhdao", task)
    at = fire_on_page(at, form_key(main, "truong_hop_2", "but_phe"), subunits=[unit_id(world, BUDGET)])
    assert values(at.error) == []
    assert steps_now(at) == [
        ("Sở Tài chính", "Các phòng, đơn vị trực thuộc đang xử lý"),
        (f"↳ {QLNS}", "Chờ lãnh đạo phòng chuyển chuyên viên"),
    ]
    sub = flow_id(world, task, BUDGET)
    key = "truong_hop_2_truc_thuoc"
    fire_on_page(
        open_task(world, "qlns.lanhdao", task),
        form_key(sub, key, "phan_cong"),
        assignee=world.user_ids["qlns.chuyenvien"],
    )
    fire_on_page(open_task(world, "qlns.chuyenvien", task), form_key(sub, key, "trinh_du_thao"))
    at = fire_on_page(open_task(world, "qlns.lanhdao", task), form_key(sub, key, "trinh_don_vi_cha"))
    assert (f"↳ {QLNS}", "Đã trình lãnh đạo đơn vị cha phê duyệt") in steps_now(at)
    at = fire_on_page(open_task(world, "stc.lanhdao", task), form_key(main, "truong_hop_2", "phe_duyet"))
    assert steps_now(at)[0] == ("Sở Tài chính", "Chờ văn thư ban hành")
    at = open_task(world, "stc.vanthu", task)
    at = fire_on_page(at, form_key(main, "truong_hop_2", "ban_hanh"), reply=reply_fields("72/STC-QLNS", world.today))
    assert values(at.success) == [
        f"Đã ban hành văn bản trả lời 72/STC-QLNS ngày {world.today:%d/%m/%Y}; chờ Văn phòng UBND tỉnh xác nhận."
    ]


def test_sub_units_documents_are_archived_only_at_step_10(world: World) -> None:
    task = _task_at_but_phe(world, "Thẩm tra quyết toán ngân sách huyện")
    world.step(
        "stc.lanhdao",
        task,
        "but_phe",
        workflow="truong_hop_1",
        assignee_id=world.user_ids["stc.chuyenvien"],
        subunit_ids=[unit_id(world, BUDGET)],
    )
    chuyenvien = world.user_ids["qlns.chuyenvien"]
    for username, transition, extra in (
        ("qlns.vanthu", "tiep_nhan", {}),
        ("qlns.lanhdao", "phan_cong", {"assignee_id": chuyenvien}),
        ("qlns.chuyenvien", "trinh_du_thao", {}),
        ("qlns.lanhdao", "duyet", {}),
        ("qlns.vanthu", "gui_don_vi_cha", {"note": "Văn bản số 13/QLNS"}),
    ):
        world.step(username, task, transition, unit_code=BUDGET, **extra)
    # step 8 is the clerk's; the tracking specialist has nothing to do before step 10
    assert step_buttons(open_task(world, "stc.vanthu", task)) == [
        "Tiếp nhận văn bản của đơn vị trực thuộc, chuyển lãnh đạo"
    ]
    assert step_forms(open_task(world, "stc.chuyenvien", task)) == []
    inbox = world.app_as("stc.chuyenvien", "pages/inbox.py")
    assert not inbox.dataframe or task not in [int(v) for v in inbox.dataframe[0].value["Mã"]]


def test_but_phe_keeps_its_note_and_sub_units_after_an_error_and_across_cases(world: World) -> None:
    """The finding: bút phê lost its note and the chosen sub-unit when it showed an error."""
    task = _task_at_but_phe(world, "Rà soát chi sự nghiệp giáo dục")
    main = flow_id(world, task)
    th1, th2 = form_key(main, "truong_hop_1", "but_phe"), form_key(main, "truong_hop_2", "but_phe")
    budget = unit_id(world, BUDGET)
    at = open_task(world, "stc.lanhdao", task)
    at = fire_on_page(at, th1, subunits=[budget], note="P. QLNS chủ trì, báo cáo trước 20/12")
    assert values(at.error) == [
        "Chọn chuyên viên của đơn vị để chuyển xử lý.",
        f"Chưa lưu. Sửa 1 ô được đánh dấu đỏ ở trên: “{ASSIGNEE}”.",
    ]
    assert steps_now(at) == [("Sở Tài chính", "Chờ lãnh đạo bút phê")]

    def kept() -> None:
        assert at.radio(key=f"route_{main}").value == "truong_hop_1"
        assert widget(at, "multiselect", th1, "subunits").value == [budget]
        assert widget(at, "text_area", th1, "note").value == "P. QLNS chủ trì, báo cáo trước 20/12"
        assert widget(at, "selectbox", th1, "assignee").value is None

    kept()
    # a look at Trường hợp 2 and back: Trường hợp 1 still holds what the leader chose
    at.radio(key=f"route_{main}").set_value("truong_hop_2").run()
    assert step_forms(at) == [th2]
    assert widget(at, "text_area", th2, "note").value == ""  # each case its own values
    at.radio(key=f"route_{main}").set_value("truong_hop_1").run()
    kept()
    # corrected, it goes through with the note and the sub-unit kept
    at = fire_on_page(at, th1, assignee=world.user_ids["stc.chuyenvien"])
    assert values(at.error) == []
    assert values(at.success) == [f"Đã thực hiện: {BUT_PHE_TH1}."]
    assert [r["Đơn vị"] for r in where_now(at)] == ["Sở Tài chính", f"↳ {QLNS}"]
    notes = [e.note for e in world.events(task) if e.transition == "but_phe" and e.note]
    assert notes == ["P. QLNS chủ trì, báo cáo trước 20/12"]  # the leader's note, as typed the first time


def test_the_reply_form_keeps_every_field_and_shows_every_error(world: World) -> None:
    """The finding: the reply form lost trích yếu, kết quả and người ký at each error."""
    task = world.new_task(FINANCE, "Báo cáo kết quả rà soát nợ đọng")
    world.walk(task, "ban_hanh")
    key = form_key(flow_id(world, task), "ngan", "ban_hanh")
    at = open_task(world, "stc.vanthu", task)
    widget(at, "text_input", key, "signer").input("Giám đốc Sở")
    widget(at, "text_input", key, "summary").input("Báo cáo kết quả rà soát")
    widget(at, "text_area", key, "result").input("Đã rà soát 42 dự án")
    widget(at, "text_input", key, "date").input("31/02/2026")
    at = submit(at, key)
    assert values(at.error) == [
        "Số/ký hiệu văn bản trả lời không được để trống.",
        "Ngày văn bản trả lời 31/02/2026 không có thật: tháng 02/2026 chỉ có 28 ngày.",
        "Chưa lưu. Sửa 2 ô được đánh dấu đỏ ở trên: “Số/ký hiệu văn bản trả lời”, “Ngày văn bản”.",
    ]
    assert widget(at, "text_input", key, "signer").value == "Giám đốc Sở"
    assert widget(at, "text_input", key, "summary").value == "Báo cáo kết quả rà soát"
    assert widget(at, "text_area", key, "result").value == "Đã rà soát 42 dự án"
    assert widget(at, "text_input", key, "date").value == "31/02/2026"
    with world.session() as s:
        assert s.exec(select(Task).where(Task.id == task)).one().status is TaskStatus.OPEN
    # a future date is refused too, never replaced by today
    future = f"{world.day(3):%d/%m/%Y}"
    widget(at, "text_input", key, "code").input("73/STC-NS")
    widget(at, "text_input", key, "date").input(future)
    at = submit(at, key)
    assert values(at.error)[0] == f"Ngày văn bản trả lời {future} sau ngày hôm nay."
    widget(at, "text_input", key, "date").input(f"{world.today:%d/%m/%Y}")
    at = submit(at, key)
    assert values(at.success) == [
        f"Đã ban hành văn bản trả lời 73/STC-NS ngày {world.today:%d/%m/%Y}; chờ Văn phòng UBND tỉnh xác nhận."
    ]
