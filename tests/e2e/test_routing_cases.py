"""Điều 5.1.e in a real browser: a task routed inside a unit that has sub-units.

Trường hợp 1 (Sở TT&TT, sub-units P. CNTT and TT CNTT-TT), every step by its own person at
their own computer: VP UBND's tracker assigns; the Sở's clerk enters it (1); the Sở's leader
hands it to the tracking specialist and, at once, to both sub-units (2); in P. CNTT the clerk
receives (3), the leader hands it to a specialist (4), who drafts (5), the leader approves (6)
and the clerk sends the document up (7), in the browser; TT CNTT-TT's people take the same five
steps through the services (a second browser round would only repeat the first); the Sở's
clerk takes both documents in (8), the leader hands it
back to the tracking specialist (9), who drafts on the same flow and archive-closes the
sub-units' documents (10); the leader approves (11) and the clerk issues the reply; VP UBND's
tracker finds it in "Xác nhận kết quả".

Trường hợp 2 (UBND TP Pleiku, phòng P. TC-KH and P. TN&MT): the assignment, vào sổ and
P. TN&MT's own part are done through the services (to keep the run short); the leader's bút
phê straight to both phòng leaders (2), P. TC-KH's leader and specialist (3–5), the approval
(6), which waits for both phòng, and the reply are done in the browser.

Screenshots of the task page ("Đang ở bước" and "Nhật ký xử lý") go to docs/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from models import Flow, OrgUnit, Task, User
from models.schemas import AssignmentCreate, TaskCreate
from services.access.permissions import Actor, build_actor
from services.infra.clock import fmt_date
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from services.workflow.engine import main_flow
from tests.actions import fire

from .accounts import (
    CENTRE_CLERK,
    CENTRE_LEADER,
    CENTRE_SPECIALIST,
    ENV_LEADER,
    ENV_SPECIALIST,
    FIN_LEADER,
    FIN_SPECIALIST,
    ICT_CENTRE,
    ICT_CLERK,
    ICT_LEADER,
    ICT_TRACKING,
    IT_CLERK,
    IT_LEADER,
    IT_SPECIALIST,
    PLEIKU,
    PLEIKU_CLERK,
    PLEIKU_ENV,
    PLEIKU_LEADER,
    TRACKER,
    Account,
)
from .conftest import Desks
from .ui import (
    CASE_SHORT,
    CASE_TH1,
    CASE_TH2,
    INBOX,
    act,
    choose,
    choose_option,
    expect_steps,
    journal,
    open_from_inbox,
    open_page,
    open_row,
    settle,
    shot,
    step_form,
    success,
    text_area,
    vn_today,
    wait_clear_of_midnight,
    where_now,
)

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS = (
    *(ICT_CLERK, ICT_LEADER, ICT_TRACKING, IT_CLERK, IT_LEADER, IT_SPECIALIST),
    *(CENTRE_CLERK, CENTRE_LEADER, CENTRE_SPECIALIST),
    *(PLEIKU_CLERK, PLEIKU_LEADER, FIN_LEADER, FIN_SPECIALIST, ENV_LEADER, ENV_SPECIALIST),
)  # besides the tracker (and Sở Tài chính's clerk, unused here)

# --- Trường hợp 1 ----------------------------------------------------------------------------------
TH1_DOC = "2024/UBND-KGVX"
TH1_TASK = "Triển khai nền tảng chia sẻ dữ liệu dùng chung, báo cáo kết quả kết nối"
TH1_REPLY = "310/STTTT-CNTT"
IT, CENTRE, ICT_NAME = "P. CNTT (Sở TT&TT)", "TT CNTT-TT (Sở TT&TT)", "Sở TT&TT"
VAO_SO = "Vào sổ, chuyển lãnh đạo"
BUT_PHE = "Bút phê, chuyển chuyên viên xử lý"
BUT_PHE_TH1 = "Bút phê: chuyển chuyên viên theo dõi, đồng thời chuyển đơn vị liên thông nội bộ"
TH1_STEPS_3_7 = (
    "Tiếp nhận, trình lãnh đạo phòng",
    "Chuyển chuyên viên xử lý",
    "Trình dự thảo văn bản",
    "Duyệt, chuyển văn thư ban hành",
    "Ban hành văn bản đi liên thông nội bộ gửi đơn vị cha",
)
TH1_STEP_8 = "Tiếp nhận văn bản của đơn vị trực thuộc, chuyển lãnh đạo"
TH1_STEP_9 = "Chuyển chuyên viên theo dõi"
TH1_STEP_10 = "Dự thảo trên chính luồng, lưu kết thúc văn bản của đơn vị trực thuộc"
TH1_STEP_11 = "Duyệt ban hành, chuyển văn thư"
TH1_ISSUE = "Ban hành văn bản đi, gửi UBND tỉnh"
SUB_RECEIVE = "Chờ văn thư phòng/đơn vị trực thuộc tiếp nhận"
SUB_SENT = "Đã gửi văn bản liên thông nội bộ đến đơn vị cha"
SUB_ARCHIVED = "Đơn vị cha đã lưu kết thúc"

# --- Trường hợp 2 ----------------------------------------------------------------------------------
TH2_DOC = "2031/UBND-NL"
TH2_TASK = "Kiểm tra, báo cáo tình hình sử dụng đất công trên địa bàn thành phố"
TH2_REPLY = "455/UBND-TCKH"
FIN, ENV, PLEIKU_NAME = "P. TC-KH (TP Pleiku)", "P. TN&MT (TP Pleiku)", "UBND TP Pleiku"
BUT_PHE_TH2 = "Bút phê chuyển xử lý trực tiếp cho lãnh đạo phòng, đơn vị trực thuộc"
TH2_STEP_3 = "Chuyển chuyên viên xử lý"
TH2_STEP_4 = "Trình dự thảo, chuyển lãnh đạo phòng kiểm tra"
TH2_STEP_5 = "Trình lãnh đạo đơn vị cha phê duyệt ban hành"
TH2_STEP_6 = "Phê duyệt ban hành, chuyển văn thư"
TH2_ISSUE = "Ban hành văn bản đi, gửi UBND tỉnh"


def role_label(account: Account) -> str:
    return {"specialist": "Chuyên viên", "tracker": "Chuyên viên theo dõi"}[account.role]


def assign_one(page: Page, *, code: str, summary: str, content: str, unit: str, search: str, days: int) -> None:
    """VP UBND's tracker enters a document with one task (deadline in working days)."""
    open_page(page, "Giao nhiệm vụ")
    page.get_by_role("textbox", name="Số/ký hiệu *", exact=True).fill(code)
    choose(page, "Cơ quan ban hành *", "Chủ tịch UBND tỉnh")
    choose(page, "Loại văn bản *", "Chỉ thị")
    page.get_by_role("textbox", name="Người ký *", exact=True).fill("Võ Ngọc Thành")
    text_area(page, "Trích yếu *").fill(summary)
    text_area(page, "Nội dung nhiệm vụ *").fill(content)
    choose(page, "Đơn vị chủ trì *", unit, search=search)
    page.get_by_role("spinbutton", name="hoặc số ngày làm việc kể từ ngày ban hành", exact=True).fill(str(days))
    settle(page)  # the unit search's own rerun is over: a press during it would be lost (seen under load)
    page.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
    # the date the working days give is shown first; the second press saves it
    expect(page.get_by_test_id("stAlertContentInfo")).to_contain_text("Hạn xử lý tính theo ngày làm việc: Nhiệm vụ 1 →")
    page.get_by_role("button", name="Lưu và giao nhiệm vụ").click()
    expect(success(page).get_by_text(f"Đã giao 1 nhiệm vụ theo văn bản {code}.")).to_be_visible()


def issue_reply(page: Page, label: str, *, code: str, summary: str, result: str, signer: str) -> None:
    form = step_form(page, label)
    form.get_by_role("textbox", name="Số/ký hiệu văn bản trả lời *").fill(code)
    form.get_by_role("textbox", name="Người ký").fill(signer)
    form.get_by_role("textbox", name="Trích yếu văn bản trả lời *").fill(summary)
    form.get_by_role("textbox", name="Kết quả thực hiện *").fill(result)
    day = form.get_by_role("textbox", name="Ngày văn bản *").input_value()  # today, as the form fills it
    act(page, label, done=f"Đã ban hành văn bản trả lời {code} ngày {day}; chờ Văn phòng UBND tỉnh xác nhận.")


def tracker_sees_reply(page: Page, task_id: int, code: str, today: date) -> None:
    """VP UBND's tracker finds the reply in "Xác nhận kết quả", then opens the task page."""
    open_page(page, "Xác nhận kết quả")
    rows = page.get_by_test_id("stDataFrame").locator("table[role=grid] tbody tr").filter(has_text=code)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"{code} ({fmt_date(today)})")
    expect(rows.first).to_contain_text("đúng hạn")
    page.goto(f"/chi-tiet?id={task_id}")  # the task page, as from a bookmark
    expect(page.get_by_role("heading", name=f"Nhiệm vụ #{task_id}", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Xác nhận kết quả nhiệm vụ này")).to_be_visible()


def nothing_waits(page: Page) -> None:
    open_page(page, INBOX)
    expect(page.get_by_text("Không có việc nào đang chờ bạn xử lý.")).to_be_visible()


def sub_unit_steps_3_to_7(desks: Desks, clerk: Account, leader: Account, specialist: Account, doc: str) -> None:
    """One sub-unit's own part, each step by its own person."""
    receive, assign, draft, approve, send = TH1_STEPS_3_7
    page = desks(clerk)
    open_row(page, TH1_TASK)  # "/" of a unit user is "Việc chờ tôi xử lý"
    act(page, receive)
    page = desks(leader)
    open_row(page, TH1_TASK)
    act(page, assign, assignee=f"{specialist.name} (Chuyên viên)")
    page = desks(specialist)
    open_row(page, TH1_TASK)
    act(page, draft)
    desks.leave(specialist)
    page = desks(leader)
    open_from_inbox(page, TH1_TASK)
    act(page, approve)
    desks.leave(leader)
    page = desks(clerk)
    open_from_inbox(page, TH1_TASK)
    form = step_form(page, send)
    expect(form.get_by_role("textbox", name="Ý kiến *")).to_be_visible()  # the document sent up: required
    act(page, send, note=f"Văn bản số {doc} gửi Sở: kết quả phần việc của đơn vị.")
    desks.leave(clerk)


def _centre_part_through_services(backend: Runtime, task_id: int) -> None:
    """Steps 3–7 of Trường hợp 1 in TT CNTT-TT, each by its own person, through the services (the
    same steps P. CNTT's people take in the browser just before: the run stays short)."""
    with Session(backend.engine, expire_on_commit=False) as session:
        unit_id = session.exec(select(OrgUnit.id).where(OrgUnit.code == ICT_CENTRE)).one()
        flow = session.exec(select(Flow).where(Flow.task_id == task_id, Flow.unit_id == unit_id)).one()
        clerk, boss, staff = (_actor(session, backend, a) for a in (CENTRE_CLERK, CENTRE_LEADER, CENTRE_SPECIALIST))
        for actor, transition, extra in (
            (clerk, "tiep_nhan", {}),
            (boss, "phan_cong", {"assignee_id": staff.user_id}),
            (staff, "trinh_du_thao", {}),
            (boss, "duyet", {}),
            (clerk, "gui_don_vi_cha", {"note": "Văn bản số 21/TTCNTT gửi Sở: kết quả phần việc của đơn vị."}),
        ):
            assert flow.id is not None
            fire(session=session, actor=actor, config=backend.config, flow_id=flow.id, transition=transition, **extra)


def test_truong_hop_1_every_role_in_the_browser(desks: Desks, backend: Runtime, screenshots: Path) -> None:
    wait_clear_of_midnight()
    today = vn_today()

    tracker = desks(TRACKER)
    assign_one(
        tracker,
        code=TH1_DOC,
        summary="V/v triển khai nền tảng chia sẻ dữ liệu dùng chung của tỉnh",
        content=TH1_TASK,
        unit="Sở TT&TT (000.00.11.H21)",
        search="TT&TT",
        days=10,
    )

    # 1. the Sở's clerk
    page = desks(ICT_CLERK)
    task_id = open_row(page, TH1_TASK)
    expect_steps(page, [(ICT_NAME, "Chờ văn thư vào sổ")])
    act(page, VAO_SO)
    expect_steps(page, [(ICT_NAME, "Chờ lãnh đạo bút phê")])

    # 2. the Sở's leader: the tracking specialist and both sub-units
    page = desks(ICT_LEADER)
    open_row(page, TH1_TASK)
    # the three ways of Điều 5.1.e are offered by name; the chosen one's form has one button
    for case in (CASE_TH1, CASE_TH2, CASE_SHORT):
        expect(page.get_by_role("radio", name=case, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Bút phê"))).to_have_count(0)
    act(
        page,
        BUT_PHE_TH1,
        case=CASE_TH1,
        assignee=f"{ICT_TRACKING.name} ({role_label(ICT_TRACKING)})",
        subunits=[IT, CENTRE],
        note="P. CNTT chủ trì kỹ thuật, TT CNTT-TT bảo đảm hạ tầng.",
    )
    expect_steps(
        page,
        [(ICT_NAME, "Các phòng, đơn vị trực thuộc đang xử lý"), (IT, SUB_RECEIVE), (CENTRE, SUB_RECEIVE)],
    )
    expect(where_now(page).first).to_contain_text(ICT_TRACKING.name)

    # 3–7. P. CNTT in the browser, then TT CNTT-TT; the Sở's clerk has nothing to do until both are done
    sub_unit_steps_3_to_7(desks, IT_CLERK, IT_LEADER, IT_SPECIALIST, "15/CNTT")
    nothing_waits(desks(ICT_CLERK))
    _centre_part_through_services(backend, task_id)

    # 8. the Sở's clerk takes the sub-units' documents in
    page = desks(ICT_CLERK)
    open_from_inbox(page, TH1_TASK)
    expect_steps(page, [(ICT_NAME, "Các phòng, đơn vị trực thuộc đang xử lý"), (IT, SUB_SENT), (CENTRE, SUB_SENT)])
    act(page, TH1_STEP_8)
    # 9. the leader hands it back to the tracking specialist
    page = desks(ICT_LEADER)
    open_from_inbox(page, TH1_TASK)
    act(page, TH1_STEP_9)
    # 10. the tracking specialist drafts on the same flow and archive-closes the sub-units' documents
    page = desks(ICT_TRACKING)
    open_row(page, TH1_TASK)
    act(page, TH1_STEP_10)
    expect_steps(page, [(ICT_NAME, "Chờ lãnh đạo duyệt ban hành"), (IT, SUB_ARCHIVED), (CENTRE, SUB_ARCHIVED)])
    desks.leave(ICT_TRACKING)
    # 11. the leader approves; the clerk issues the reply to UBND tỉnh
    page = desks(ICT_LEADER)
    open_from_inbox(page, TH1_TASK)
    act(page, TH1_STEP_11)
    desks.leave(ICT_LEADER)
    page = desks(ICT_CLERK)
    open_from_inbox(page, TH1_TASK)
    issue_reply(
        page,
        TH1_ISSUE,
        code=TH1_REPLY,
        summary="Báo cáo kết quả kết nối nền tảng chia sẻ dữ liệu dùng chung",
        result="Đã kết nối 20/20 hệ thống thông tin của các sở, ngành.",
        signer="Nguyễn Hữu Phước",
    )
    expect_steps(page, [(ICT_NAME, "Đã ban hành văn bản trả lời"), (IT, SUB_ARCHIVED), (CENTRE, SUB_ARCHIVED)])
    desks.leave(ICT_CLERK)

    # VP UBND's tracker: the reply waits for confirmation; the task page tells the whole story
    tracker_sees_reply(tracker, task_id, TH1_REPLY, today)
    expect_steps(tracker, [(ICT_NAME, "Đã ban hành văn bản trả lời"), (IT, SUB_ARCHIVED), (CENTRE, SUB_ARCHIVED)])
    entries = journal(tracker)
    # one entry per action: assignment; steps 1, 2 (routing to both sub-units in one entry),
    # 3–7 in each sub-unit, 8, 9, 10 and its archiving of both sub-units' documents, 11 (leader),
    # 11 (the clerk issues: the reply itself)
    expect(entries).to_have_count(1 + 1 + 1 + 10 + 1 + 1 + 2 + 1 + 1)
    expect(entries.first).to_contain_text(f"Bước 11 · Ban hành văn bản đi, gửi UBND tỉnh — {fmt_date(today)}")
    expect(entries.last).to_contain_text("Giao nhiệm vụ")
    sent = entries.filter(has_text="Bước 7 · Ban hành văn bản đi liên thông nội bộ gửi đơn vị cha")
    expect(sent).to_have_count(2)
    expect(sent.filter(has_text=f"{IT} → {ICT_NAME}")).to_have_count(1)
    expect(sent.filter(has_text=f"{CENTRE} → {ICT_NAME}")).to_have_count(1)
    archived = entries.filter(has_text="Bước 10 · Lưu kết thúc văn bản của đơn vị trực thuộc")
    expect(archived).to_have_count(1)
    expect(archived).not_to_contain_text("→")  # nothing leaves the unit
    expect(tracker.get_by_text(f"Văn bản của: {IT}, {CENTRE}", exact=True)).to_be_visible()
    expect(tracker.get_by_text(f"Chuyển đến: {IT}, {CENTRE}")).to_be_visible()  # under "Chuyển chuyên viên: …"
    shot(tracker, screenshots / "truong-hop-1.png", full_page=True)


def _actor(session: Session, backend: Runtime, account: Account) -> Actor:
    user = session.exec(select(User).where(User.username == account.username)).one()
    assert user.id is not None
    actor = build_actor(session=session, config=backend.config, user_id=user.id)
    assert actor is not None
    return actor


def _prepare_pleiku_task(backend: Runtime, today: date) -> int:
    """Assigned by VP UBND and entered (vào sổ) by Pleiku's clerk, through the services."""
    with Session(backend.engine, expire_on_commit=False) as session:
        document = create_assignment(
            session=session,
            actor=_actor(session, backend, TRACKER),
            config=backend.config,
            data=AssignmentCreate(
                code=TH2_DOC,
                issue_date=today,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary="V/v rà soát quỹ đất công",
                signer="Rah Lan Chung",
                tasks=[TaskCreate(content=TH2_TASK, lead_unit_code=PLEIKU, deadline=today + timedelta(days=15))],
            ),
        )
        task = session.exec(select(Task).where(Task.document_id == document.id)).one()
        assert task.id is not None
        flow = main_flow(session=session, task_id=task.id)
        assert flow is not None and flow.id is not None
        fire(
            session=session,
            actor=_actor(session, backend, PLEIKU_CLERK),
            config=backend.config,
            flow_id=flow.id,
            transition="vao_so",
        )
        return task.id


def _phong_part_through_services(
    backend: Runtime, task_id: int, unit: str, leader: Account, specialist: Account
) -> None:
    """Steps 3–5 of Trường hợp 2 in one phòng, by its own leader and specialist."""
    with Session(backend.engine, expire_on_commit=False) as session:
        unit_id = session.exec(select(OrgUnit.id).where(OrgUnit.code == unit)).one()
        flow = session.exec(select(Flow).where(Flow.task_id == task_id, Flow.unit_id == unit_id)).one()
        boss, staff = _actor(session, backend, leader), _actor(session, backend, specialist)
        for actor, transition, extra in (
            (boss, "phan_cong", {"assignee_id": staff.user_id}),
            (staff, "trinh_du_thao", {}),
            (boss, "trinh_don_vi_cha", {}),
        ):
            assert flow.id is not None
            fire(session=session, actor=actor, config=backend.config, flow_id=flow.id, transition=transition, **extra)


def test_truong_hop_2_phong_leaders_submit_to_the_leader(desks: Desks, backend: Runtime, screenshots: Path) -> None:
    wait_clear_of_midnight()
    today = vn_today()
    task_id = _prepare_pleiku_task(backend, today)

    # 2. the leader routes straight to the phòng leaders (no tracking specialist)
    page = desks(PLEIKU_LEADER)
    open_row(page, TH2_TASK)
    choose_option(page, CASE_TH2)
    th2 = step_form(page, BUT_PHE_TH2)
    expect(th2.locator('input[aria-label="Chuyển cho chuyên viên *"]')).to_have_count(0)
    act(page, BUT_PHE_TH2, subunits=[FIN, ENV], note="P. TC-KH tổng hợp, P. TN&MT cung cấp số liệu đất đai.")
    expect_steps(
        page,
        [
            (PLEIKU_NAME, "Các phòng, đơn vị trực thuộc đang xử lý"),
            (FIN, "Chờ lãnh đạo phòng chuyển chuyên viên"),
            (ENV, "Chờ lãnh đạo phòng chuyển chuyên viên"),
        ],
    )
    # 3–5 in P. TC-KH, in the browser: its leader hands to a specialist, who drafts; the leader submits it up
    page = desks(FIN_LEADER)
    open_row(page, TH2_TASK)
    act(page, TH2_STEP_3, assignee=f"{FIN_SPECIALIST.name} (Chuyên viên)")
    page = desks(FIN_SPECIALIST)
    open_row(page, TH2_TASK)
    act(page, TH2_STEP_4)
    desks.leave(FIN_SPECIALIST)
    page = desks(FIN_LEADER)
    open_from_inbox(page, TH2_TASK)
    act(page, TH2_STEP_5)
    desks.leave(FIN_LEADER)
    # the leader cannot approve while P. TN&MT has not submitted; then P. TN&MT does (services)
    page = desks(PLEIKU_LEADER)
    open_page(page, INBOX)
    expect(page.get_by_text("Không có việc nào đang chờ bạn xử lý.")).to_be_visible()
    _phong_part_through_services(backend, task_id, PLEIKU_ENV, ENV_LEADER, ENV_SPECIALIST)
    # 6. the leader approves; the clerk issues the reply
    open_from_inbox(page, TH2_TASK)
    act(page, TH2_STEP_6)
    desks.leave(PLEIKU_LEADER)
    page = desks(PLEIKU_CLERK)
    open_row(page, TH2_TASK)
    issue_reply(
        page,
        TH2_ISSUE,
        code=TH2_REPLY,
        summary="Báo cáo tình hình sử dụng đất công",
        result="Đã rà soát 146 khu đất công; 12 khu sử dụng sai mục đích đã có phương án xử lý.",
        signer="Rơ Châm Hyơ",
    )
    done = "Đã trình lãnh đạo đơn vị cha phê duyệt"
    expect_steps(page, [(PLEIKU_NAME, "Đã ban hành văn bản trả lời"), (FIN, done), (ENV, done)])
    desks.leave(PLEIKU_CLERK)

    tracker = desks(TRACKER)
    tracker_sees_reply(tracker, task_id, TH2_REPLY, today)
    shot(tracker, screenshots / "truong-hop-2.png", full_page=True)
