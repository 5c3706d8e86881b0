"""Xin gia hạn on the pages: the lead unit's leader asks on the task page, VP UBND's tracker grants or
refuses on "Xác nhận kết quả", and the task page shows the request, then the decision.

Tasks are made relative to the real today (the pages read the real clock): due in 10 days.
"""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import ActionKey, Extension, ExtensionRequest, RequestStatus
from models.extensions import ExtensionRequestInput
from services.actions.registry import perform
from services.infra.clock import fmt_date
from tests.conftest import FINANCE, at
from tests.pages.conftest import World, by_label, values

TASK_PAGE = "pages/task_detail.py"
CONFIRM_PAGE = "pages/confirm.py"
SEND = "Gửi đề nghị gia hạn"
DATE = "Xin gia hạn đến ngày *"
REASON = "Lý do xin gia hạn *"
WHY = "Chờ số liệu quyết toán của Kho bạc <b>Nhà nước</b>"
DECIDE = "Lưu quyết định"


def open_task(world: World, username: str, task_id: int) -> AppTest:
    at_ = world.app_as(username, TASK_PAGE, {"id": str(task_id)})
    assert not at_.exception
    return at_


def _requests(world: World, task_id: int) -> list[ExtensionRequest]:
    with world.session() as s:
        return list(s.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task_id)).all())


def _asked(world: World, content: str, *, days: int = 14) -> tuple[int, int]:
    """A task due in 10 days whose leader asked for ``days`` more: (task id, request id)."""
    assert world.runtime is not None
    task_id = world.new_task(FINANCE, content)
    with world.session() as s:
        perform(
            session=s,
            actor=world.actor("stc.lanhdao"),
            config=world.runtime.config,
            task_id=task_id,
            action=ActionKey.EXTENSION_REQUEST,
            data=ExtensionRequestInput(requested_deadline=world.day(10 + days), reason=WHY),
            now=at(world.today),
        )
    [request] = _requests(world, task_id)
    return task_id, request.id or 0


def test_only_the_lead_units_leader_has_the_request_form(world: World) -> None:
    task = world.new_task(FINANCE, "Báo cáo tiến độ giải ngân vốn đầu tư công")
    at_ = open_task(world, "stc.lanhdao", task)
    assert by_label(at_.button, SEND).form_id == "extension_request"
    assert "Xin gia hạn" in [e.label for e in at_.expander]
    for username in ("stc.vanthu", "stc.chuyenvien", "vp.theodoi"):
        at_ = open_task(world, username, task)
        assert SEND not in [b.label for b in at_.button], username
        assert "Xin gia hạn" not in [e.label for e in at_.expander], username


def test_a_refused_request_keeps_what_was_typed_then_waits_for_the_office(world: World) -> None:
    task = world.new_task(FINANCE, "Báo cáo kết quả thu ngân sách quý IV")
    at_ = open_task(world, "stc.lanhdao", task)
    by_label(at_.text_input, DATE).input("31/02/2027")
    by_label(at_.text_area, REASON).input(WHY)
    by_label(at_.button, SEND).click().run()
    assert not at_.exception
    assert "Xin gia hạn đến ngày 31/02/2027 không có thật: tháng 02/2027 chỉ có 28 ngày." in values(at_.error)
    assert by_label(at_.text_input, DATE).value == "31/02/2027"  # kept as typed
    assert by_label(at_.text_area, REASON).value == WHY
    too_far = fmt_date(world.day(10 + 31))
    by_label(at_.text_input, DATE).input(too_far)
    by_label(at_.button, SEND).click().run()
    deadline = fmt_date(world.day(10))
    assert (
        f"Ngày xin gia hạn đến {too_far} quá xa: chỉ được xin tối đa 30 ngày sau hạn xử lý hiện tại ({deadline}), "
        f"tức đến {fmt_date(world.day(40))}." in values(at_.error)
    )
    assert _requests(world, task) == []
    wanted = fmt_date(world.day(24))
    by_label(at_.text_input, DATE).input(wanted)
    by_label(at_.button, SEND).click().run()
    assert not at_.exception
    assert values(at_.error) == []
    assert f"Đã gửi đề nghị gia hạn đến {wanted}; chờ Văn phòng UBND tỉnh xem xét." in values(at_.success)
    [request] = _requests(world, task)
    assert (request.status, request.requested_deadline, request.reason) == (RequestStatus.PENDING, world.day(24), WHY)
    # the form is gone (one request at a time); the unit sees it waiting, the reason escaped
    assert SEND not in [b.label for b in at_.button]
    for username in ("stc.lanhdao", "stc.vanthu"):
        at_ = open_task(world, username, task)
        [waiting] = [i.value for i in at_.info if "Đang chờ VP UBND xem xét" in i.value]
        assert f"Xin gia hạn đến **{wanted}** (hạn khi đề nghị {deadline})" in waiting
        assert "Lý do: Chờ số liệu quyết toán của Kho bạc &lt;b&gt;Nhà nước&lt;/b&gt;" in waiting  # escaped


def test_the_tracker_grants_on_xac_nhan_ket_qua(world: World) -> None:
    task, rid = _asked(world, "Rà soát hồ sơ quyết toán dự án hoàn thành")
    at_ = world.app_as("vp.theodoi", CONFIRM_PAGE)
    assert not at_.exception
    assert any(h.value.startswith("Đề nghị gia hạn (") for h in at_.subheader)
    shown = " ".join(m.value for m in at_.markdown)
    assert (
        f"Hạn xử lý hiện tại: **{fmt_date(world.day(10))}** → xin gia hạn đến **{fmt_date(world.day(24))}** (14 ngày)"
        in shown
    )
    assert f"**Nhiệm vụ #{task}**" in shown
    at_.radio(key=f"extension_decision_{rid}").set_value(True).run()
    earlier = fmt_date(world.day(20))
    at_.text_input(key=f"extension_grant_{rid}_date").input(earlier)
    [button] = [b for b in at_.button if b.label == DECIDE and b.form_id == f"extension_grant_{rid}"]
    button.click().run()
    assert not at_.exception
    assert values(at_.error) == []
    assert f"Đã đồng ý gia hạn nhiệm vụ #{task} đến {earlier}." in values(at_.success)
    [request] = _requests(world, task)
    with world.session() as s:
        [extension] = s.exec(select(Extension).where(Extension.task_id == task)).all()
    assert (request.status, request.granted_deadline, extension.new_deadline, extension.granted_on) == (
        RequestStatus.ACCEPTED,
        world.day(20),
        world.day(20),
        world.today,
    )
    # the task page: the new deadline in force, the decision, the journal
    at_ = open_task(world, "stc.lanhdao", task)
    shown = " ".join(m.value for m in at_.markdown)
    assert f"**Hạn xử lý**  \n{earlier}" in shown
    assert f"Đồng ý gia hạn đến {earlier}" in shown
    assert any(m.value.startswith("**Đồng ý gia hạn** —") for m in at_.markdown)


def test_the_tracker_refuses_with_a_reason(world: World) -> None:
    task, rid = _asked(world, "Tổng hợp báo cáo nợ đọng xây dựng cơ bản", days=5)
    at_ = world.app_as("vp.theodoi", CONFIRM_PAGE)
    at_.radio(key=f"extension_decision_{rid}").set_value(False).run()
    [button] = [b for b in at_.button if b.label == DECIDE and b.form_id == f"extension_refuse_{rid}"]
    button.click().run()
    assert "Lý do không đồng ý không được để trống." in values(at_.error)
    assert at_.radio(key=f"extension_decision_{rid}").value is False  # the choice stays
    at_.text_area(key=f"extension_refuse_{rid}_note").input("Đủ thời gian thực hiện")
    [button] = [b for b in at_.button if b.label == DECIDE and b.form_id == f"extension_refuse_{rid}"]
    button.click().run()
    assert not at_.exception
    deadline = fmt_date(world.day(10))
    assert f"Đã trả lời đơn vị: không đồng ý gia hạn nhiệm vụ #{task} (hạn xử lý vẫn là {deadline})." in values(
        at_.success
    )
    [request] = _requests(world, task)
    assert (request.status, request.decision_note) == (RequestStatus.REFUSED, "Đủ thời gian thực hiện")
    at_ = open_task(world, "stc.lanhdao", task)
    shown = " ".join(m.value for m in at_.markdown)
    assert "Không đồng ý gia hạn" in shown and "Lý do: Đủ thời gian thực hiện" in shown
    assert f"**Hạn xử lý**  \n{deadline}" in shown


def test_the_admin_edits_the_limits_on_danh_muc_va_tham_so(world: World) -> None:
    """Last of the module: the version it saves is the configuration the module's world keeps."""
    page = "pages/admin_config.py"
    at_ = world.app_as("admin", page)
    assert not at_.exception
    assert at_.number_input(key="extension_max_per_task").value == 2
    assert at_.number_input(key="extension_max_days").value == 30
    assert at_.checkbox(key="extension_allow_after_deadline").value is False
    at_.number_input(key="extension_max_days").set_value(400)
    [save] = [b for b in at_.button if b.label == "Lưu tham số"]
    save.click().run()
    assert "Số ngày tối đa được xin thêm sau hạn đang áp dụng: “400” phải nhỏ hơn hoặc bằng 365." in values(at_.error)
    assert at_.number_input(key="extension_max_days").value == 400  # what was typed stays
    at_.number_input(key="extension_max_days").set_value(45)
    at_.checkbox(key="extension_allow_after_deadline").check()
    [save] = [b for b in at_.button if b.label == "Lưu tham số"]
    save.click().run()
    assert not at_.exception
    assert values(at_.error) == []
    assert world.runtime is not None
    limits = world.runtime.current().config.app.extension_requests
    assert (limits.max_per_task, limits.max_days, limits.allow_after_deadline) == (2, 45, True)
