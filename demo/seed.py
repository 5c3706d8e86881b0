"""Demo data: one account per role and a few dozen tasks in every state, dated around today.

Everything is created through the same services as the UI (so the journal is complete), with
the ``now`` of each step set in the past. Running it twice changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache

from sqlmodel import Session, col, select

from models import ActionKey, ConfirmOutcome, Flow, OrgUnit, Role, Task, UnitKind, User
from models.extensions import ExtensionRequestInput
from models.schemas import (
    AssignmentCreate,
    ConfirmationCreate,
    NoteInput,
    ReplyCreate,
    ReplyInput,
    StepInput,
    TaskCreate,
    WrongUnitRequestInput,
)
from services.access.accounts import create_user
from services.access.auth import hash_password
from services.access.permissions import Actor, build_actor
from services.actions.registry import perform
from services.config.loader import AppConfig
from services.org.units import office_unit, unit_by_code
from services.tasks.assignment import create_assignment
from services.workflow.engine import main_flow

DEMO_PASSWORD = "giaoviec2026"
FINANCE = "000.00.05.H21"  # Sở Tài chính
PLEIKU = "000.00.31.H21"  # UBND thành phố Pleiku
ICT = "000.00.11.H21"  # Sở Thông tin và Truyền thông


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    unit_code: str | None  # None: the office


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("vp.theodoi", "Nguyễn Thị Thu Hà", Role.TRACKER, None),
    DemoAccount("vp.lanhdao", "Trần Văn Minh", Role.LEADER, None),
    DemoAccount("stc.vanthu", "Lê Thị Hoa", Role.CLERK, FINANCE),
    DemoAccount("stc.lanhdao", "Phạm Quốc Bảo", Role.LEADER, FINANCE),
    DemoAccount("stc.chuyenvien", "Võ Thị Lan", Role.SPECIALIST, FINANCE),
    DemoAccount("pleiku.lanhdao", "Rơ Châm Hyơ", Role.LEADER, PLEIKU),
    DemoAccount("pleiku.chuyenvien", "Đặng Văn Tú", Role.SPECIALIST, PLEIKU),
    DemoAccount("admin", "Quản trị Sở TT&TT", Role.ADMIN, ICT),
)

_SCENARIOS = ("open", "due_soon", "overdue", "replied", "done_on_time", "done_late", "not_done_extended")
_CONTENTS = (
    "Báo cáo tình hình giải ngân vốn đầu tư công 9 tháng đầu năm",
    "Tham mưu kế hoạch chuyển đổi số năm tiếp theo",
    "Rà soát thủ tục hành chính thuộc thẩm quyền giải quyết",
    "Kiểm tra, xử lý vi phạm hành lang an toàn giao thông",
    "Đề xuất phương án phòng chống hạn hán mùa khô",
    "Tổng hợp ý kiến góp ý dự thảo Nghị quyết của HĐND tỉnh",
    "Báo cáo kết quả thực hiện Chương trình mục tiêu quốc gia",
    "Triển khai cấp giấy chứng nhận quyền sử dụng đất cho hộ đồng bào",
    "Xây dựng phương án bảo đảm an ninh mạng cho hệ thống thông tin",
    "Kiểm tra công tác phòng cháy chữa cháy tại các chợ",
    "Báo cáo tiến độ xây dựng nông thôn mới",
    "Đề xuất bố trí kinh phí sửa chữa trường học",
)


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone(timedelta(hours=7))).astimezone(UTC)


@cache
def _demo_hash() -> str:
    """One argon2 hash of the shared demo password, computed once per process."""
    return hash_password(DEMO_PASSWORD)


def ensure_demo_accounts(*, session: Session, config: AppConfig) -> None:
    """The accounts of the README's table, unless already there (``seed_demo`` and ``demo.generate``)."""
    office_code = office_unit(session=session).code
    for acc in DEMO_ACCOUNTS:
        if session.exec(select(User).where(User.username == acc.username)).first() is None:
            create_user(
                session=session,
                username=acc.username,
                full_name=acc.full_name,
                password=DEMO_PASSWORD,
                password_hash=_demo_hash(),
                role=acc.role,
                unit_code=acc.unit_code or office_code,
            )


@dataclass(frozen=True)
class UnitStaff:
    clerk: Actor
    leader: Actor
    specialist: Actor


_STAFF_NAMES = {FINANCE: ("stc.vanthu", "stc.lanhdao", "stc.chuyenvien")}


def _account(session: Session, config: AppConfig, username: str, full_name: str, role: Role, unit: OrgUnit) -> Actor:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = create_user(
            session=session,
            username=username,
            full_name=full_name,
            password=DEMO_PASSWORD,
            password_hash=_demo_hash(),
            role=role,
            unit_code=unit.code,
        )
    assert user.id is not None
    actor = build_actor(session=session, config=config, user_id=user.id)
    assert actor is not None
    return actor


def unit_staff(session: Session, config: AppConfig, unit: OrgUnit) -> UnitStaff:
    """The unit's clerk, leader and specialist (``vt.``/``ld.``/``cv.<code>`` unless listed)."""
    code = unit.code.lower()
    clerk, leader, specialist = _STAFF_NAMES.get(unit.code, (f"vt.{code}", f"ld.{code}", f"cv.{code}"))
    if unit.code == PLEIKU:
        leader, specialist = "pleiku.lanhdao", "pleiku.chuyenvien"
    return UnitStaff(
        clerk=_account(session, config, clerk, f"Văn thư {unit.short_name}", Role.CLERK, unit),
        leader=_account(session, config, leader, f"Lãnh đạo {unit.short_name}", Role.LEADER, unit),
        specialist=_account(session, config, specialist, f"Chuyên viên {unit.short_name}", Role.SPECIALIST, unit),
    )


def process_in_unit(
    *,
    session: Session,
    config: AppConfig,
    task_id: int,
    staff: UnitStaff,
    now: datetime,
    until: str = "ban_hanh",
    reply: ReplyCreate | None = None,
) -> None:
    """Walk the lead unit's short workflow (vào sổ → bút phê → dự thảo → duyệt → ban hành),
    stopping before the transition ``until`` unless it is ``ban_hanh`` with a reply."""
    steps: list[tuple[str, Actor, int | None]] = [
        ("vao_so", staff.clerk, None),
        ("but_phe", staff.leader, staff.specialist.user_id),
        ("trinh_du_thao", staff.specialist, None),
        ("duyet", staff.leader, None),
    ]
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.id is not None
    for key, actor, assignee_id in steps:
        if key == until:
            return
        step = StepInput(flow_id=flow.id, transition=key, assignee_id=assignee_id)
        perform(session=session, actor=actor, config=config, task_id=task_id, action=ActionKey.STEP, data=step, now=now)
    if until == "ban_hanh" and reply is not None:
        perform(
            session=session,
            actor=staff.clerk,
            config=config,
            task_id=task_id,
            action=ActionKey.REPLY,
            data=ReplyInput(**reply.model_dump()),
            now=now,
        )


def seed_demo(*, session: Session, config: AppConfig, today: date) -> int:
    """Create demo accounts and tasks unless already there; return the number of tasks created."""
    ensure_demo_accounts(session=session, config=config)
    # every phòng (sub-unit) gets its văn thư, lãnh đạo and chuyên viên: a leader offered
    # Trường hợp 1 or 2 can route a task to any of them, and someone must be there to log in
    for subunit in session.exec(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.SUBUNIT, col(OrgUnit.active)).order_by(OrgUnit.sort_order)  # type: ignore[arg-type]
    ).all():
        unit_staff(session, config, subunit)
    tracker_user = session.exec(select(User).where(User.username == "vp.theodoi")).one()
    assert tracker_user.id is not None
    tracker = build_actor(session=session, config=config, user_id=tracker_user.id)
    assert tracker is not None
    from models import Document

    if session.exec(select(Document.id)).first() is not None:
        return 0
    rng = random.Random(2026)
    targets = [
        u
        for u in session.exec(select(OrgUnit).order_by(OrgUnit.sort_order)).all()  # type: ignore[arg-type]
        if u.kind in (UnitKind.DEPARTMENT, UnitKind.DISTRICT) and u.active
    ]
    favourites = [unit_by_code(session=session, code=FINANCE), unit_by_code(session=session, code=PLEIKU)]
    created = 0
    issuers = list(config.app.issuers)
    asked_extension = False
    for number in range(1, 43):
        scenario = _SCENARIOS[number % len(_SCENARIOS)]
        unit = favourites[number % 2] if number % 3 == 0 else targets[(number * 11) % len(targets)]
        assert unit is not None
        if scenario in ("open", "due_soon"):
            doc_date = today - timedelta(days=rng.randint(2, 40))
        else:
            doc_date = today - timedelta(days=rng.randint(30, 150))
        if number == 1:
            doc_date = date(today.year - 1, 12, 15)  # carried over from last year
        deadline = {
            "open": today + timedelta(days=rng.randint(6, 40)),
            "due_soon": today + timedelta(days=rng.randint(0, 3)),
            "overdue": doc_date + timedelta(days=rng.randint(5, 20)),
            "replied": doc_date + timedelta(days=25),
            "done_on_time": doc_date + timedelta(days=20),
            "done_late": doc_date + timedelta(days=8),
            "not_done_extended": doc_date + timedelta(days=10),
        }[scenario]
        coordinators = [targets[(number * 5 + 3) % len(targets)].code] if number % 4 == 0 else []
        if unit.code in coordinators:
            coordinators = []
        data = AssignmentCreate(
            code=f"{100 + number * 13}/{'QĐ-UBND' if number % 5 == 0 else 'UBND-KT'}",
            issue_date=doc_date,
            issuer=issuers[number % len(issuers)],
            doc_type="quyet_dinh" if number % 5 == 0 else "cong_van",
            summary=f"V/v {_CONTENTS[number % len(_CONTENTS)].lower()}",
            signer="Võ Ngọc Thành" if number % 2 else "Rah Lan Chung",
            tasks=[
                TaskCreate(
                    content=_CONTENTS[number % len(_CONTENTS)],
                    lead_unit_code=unit.code,
                    coordinating_unit_codes=coordinators,
                    deadline=deadline,
                )
            ],
        )
        document = create_assignment(session=session, actor=tracker, config=config, data=data, now=_at(doc_date, 8))
        created += 1
        task_id = _first_task_id(session, document.id)
        staff = unit_staff(session, config, unit)
        clerk = staff.clerk
        if scenario in ("open", "overdue", "due_soon"):
            stop = ("vao_so", "but_phe", "trinh_du_thao", "duyet")[number % 4]
            process_in_unit(
                session=session, config=config, task_id=task_id, staff=staff, now=_at(doc_date, 10), until=stop
            )
        if scenario in ("open", "overdue", "due_soon") and number % 2:
            perform(
                session=session,
                actor=clerk if stop != "trinh_du_thao" else staff.specialist,
                config=config,
                task_id=task_id,
                action=ActionKey.NOTE,
                data=NoteInput(note="Đã giao phòng chuyên môn tham mưu."),
                now=_at(min(today, doc_date + timedelta(days=2)), 10),
            )
        if scenario == "due_soon" and unit.code == FINANCE and not asked_extension:
            # Xin gia hạn: Sở Tài chính's leader asks for ten more days; the tracker finds it waiting
            perform(
                session=session,
                actor=staff.leader,
                config=config,
                task_id=task_id,
                action=ActionKey.EXTENSION_REQUEST,
                data=ExtensionRequestInput(
                    requested_deadline=deadline + timedelta(days=10),
                    reason="Cần thêm thời gian tổng hợp số liệu của các xã, phường.",
                ),
                now=_at(today, 7),
            )
            asked_extension = True
        reply_after = {"replied": 12, "done_on_time": 10, "done_late": 13, "not_done_extended": 6}.get(scenario)
        if reply_after is None:
            continue
        reply_date = min(today, doc_date + timedelta(days=reply_after))
        process_in_unit(
            session=session,
            config=config,
            task_id=task_id,
            staff=staff,
            reply=ReplyCreate(
                code=f"{200 + number}/{unit.code[7:9]}-VP",
                issue_date=reply_date,
                summary=f"Báo cáo thực hiện văn bản {data.code}",
                result="Đã triển khai thực hiện và báo cáo kết quả theo yêu cầu.",
                signer="Lãnh đạo đơn vị",
            ),
            now=_at(reply_date, 15),
        )
        if scenario == "replied":
            continue
        confirm_day = min(today, reply_date + timedelta(days=2))
        if scenario == "not_done_extended":
            verdict = ConfirmationCreate(
                outcome=ConfirmOutcome.NOT_DONE,
                reason="Báo cáo chưa có số liệu cụ thể theo từng xã.",
                new_deadline=today + timedelta(days=10),
            )
        else:
            verdict = ConfirmationCreate(outcome=ConfirmOutcome.DONE)
        perform(
            session=session,
            actor=tracker,
            config=config,
            task_id=task_id,
            action=ActionKey.CONFIRM,
            data=verdict,
            now=_at(confirm_day, 16),
        )
    created += _seed_routing_examples(session, config, tracker, today)
    return created


def _seed_routing_examples(session: Session, config: AppConfig, tracker: Actor, today: date) -> int:
    """A Trường hợp 1 task at Sở TT&TT half-way through its sub-units, and a wrong-unit request."""
    ict = unit_by_code(session=session, code=ICT)
    assert ict is not None
    doc_date = today - timedelta(days=6)
    document = create_assignment(
        session=session,
        actor=tracker,
        config=config,
        now=_at(doc_date, 8),
        data=AssignmentCreate(
            code="2024/UBND-KGVX",
            issue_date=doc_date,
            issuer="chu_tich_ubnd_tinh",
            doc_type="chi_thi",
            summary="V/v triển khai nền tảng chia sẻ dữ liệu dùng chung của tỉnh",
            signer="Võ Ngọc Thành",
            tasks=[
                TaskCreate(
                    content="Triển khai nền tảng chia sẻ dữ liệu dùng chung, báo cáo kết quả kết nối",
                    lead_unit_code=ICT,
                    deadline=today + timedelta(days=12),
                ),
                TaskCreate(
                    content="Kiểm tra an toàn thông tin các cơ sở khám chữa bệnh",
                    lead_unit_code=ICT,
                    deadline=today + timedelta(days=20),
                ),
            ],
        ),
    )
    tasks = session.exec(select(Task).where(Task.document_id == document.id).order_by(col(Task.seq))).all()
    routed, misrouted = tasks[0], tasks[1]
    assert routed.id is not None and misrouted.id is not None
    staff = unit_staff(session, config, ict)
    flow = main_flow(session=session, task_id=routed.id)
    assert flow is not None and flow.id is not None
    at = _at(doc_date, 10)
    _step(session, config, staff.clerk, routed.id, StepInput(flow_id=flow.id, transition="vao_so"), at)
    subunits = [u for u in session.exec(select(OrgUnit).where(OrgUnit.parent_id == ict.id)).all()][:2]
    but_phe = StepInput(
        flow_id=flow.id,
        workflow="truong_hop_1",
        transition="but_phe",
        assignee_id=staff.specialist.user_id,
        subunit_ids=[u.id for u in subunits if u.id],
        note="Giao P. CNTT chủ trì kỹ thuật, Trung tâm CNTT-TT bảo đảm hạ tầng.",
    )
    _step(session, config, staff.leader, routed.id, but_phe, at)
    first = session.exec(select(Flow).where(Flow.parent_flow_id == flow.id, Flow.unit_id == subunits[0].id)).one()
    sub_staff = unit_staff(session, config, subunits[0])
    assert first.id is not None
    for key, actor, assignee in (
        ("tiep_nhan", sub_staff.clerk, None),
        ("phan_cong", sub_staff.leader, sub_staff.specialist.user_id),
        ("trinh_du_thao", sub_staff.specialist, None),
        ("duyet", sub_staff.leader, None),
    ):
        step = StepInput(flow_id=first.id, transition=key, assignee_id=assignee)
        _step(session, config, actor, routed.id, step, _at(doc_date + timedelta(days=2), 9))
    report = StepInput(
        flow_id=first.id, transition="gui_don_vi_cha", note="Văn bản số 15/CNTT gửi Sở: đã kết nối 12/20 hệ thống."
    )
    _step(session, config, sub_staff.clerk, routed.id, report, _at(doc_date + timedelta(days=3), 9))
    unit_staff(session, config, subunits[1])
    perform(
        session=session,
        actor=staff.leader,
        config=config,
        task_id=misrouted.id,
        action=ActionKey.WRONG_UNIT_REQUEST,
        data=WrongUnitRequestInput(
            reason="Kiểm tra an toàn thông tin tại cơ sở y tế thuộc chức năng của Sở Y tế theo phân cấp."
        ),
        now=_at(doc_date + timedelta(days=1), 9),
    )
    return 1


def _step(session: Session, config: AppConfig, actor: Actor, task_id: int, step: StepInput, at: datetime) -> None:
    perform(session=session, actor=actor, config=config, task_id=task_id, action=ActionKey.STEP, data=step, now=at)


def _first_task_id(session: Session, document_id: int | None) -> int:
    from models import Task

    task = session.exec(select(Task).where(Task.document_id == document_id)).first()
    assert task is not None and task.id is not None
    return task.id
