"""Demo data: one account per role and a few dozen tasks in every state, dated around today.

Everything is created through the same services as the UI (so the journal is complete), with
the ``now`` of each step set in the past. Running it twice changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlmodel import Session, select

from models import ConfirmOutcome, OrgUnit, Role, UnitKind, User
from models.schemas import AssignmentCreate, ConfirmationCreate, ReplyCreate, TaskCreate
from services.accounts import create_user
from services.assignment import create_assignment
from services.config import AppConfig
from services.confirmation import confirm_task
from services.org import office_unit, unit_by_code
from services.permissions import Actor, build_actor
from services.work import add_note, issue_reply

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


def _ensure_accounts(session: Session, config: AppConfig) -> None:
    office_code = office_unit(session=session).code
    for acc in DEMO_ACCOUNTS:
        if session.exec(select(User).where(User.username == acc.username)).first() is None:
            create_user(
                session=session,
                username=acc.username,
                full_name=acc.full_name,
                password=DEMO_PASSWORD,
                role=acc.role,
                unit_code=acc.unit_code or office_code,
            )


def _unit_clerk(session: Session, config: AppConfig, unit: OrgUnit) -> Actor:
    """The unit's clerk who issues demo replies (``vt.<code>``; finance uses stc.vanthu)."""
    if unit.code == FINANCE:
        username = "stc.vanthu"
    else:
        username = f"vt.{unit.code.lower()}"
        if session.exec(select(User).where(User.username == username)).first() is None:
            create_user(
                session=session,
                username=username,
                full_name=f"Văn thư {unit.short_name}",
                password=DEMO_PASSWORD,
                role=Role.CLERK,
                unit_code=unit.code,
            )
    user = session.exec(select(User).where(User.username == username)).one()
    assert user.id is not None
    actor = build_actor(session=session, config=config, user_id=user.id)
    assert actor is not None
    return actor


def seed_demo(*, session: Session, config: AppConfig, today: date) -> int:
    """Create demo accounts and tasks unless already there; return the number of tasks created."""
    _ensure_accounts(session, config)
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
                    lead_unit_codes=[unit.code],
                    coordinating_unit_codes=coordinators,
                    deadline=deadline,
                )
            ],
        )
        document = create_assignment(session=session, actor=tracker, config=config, data=data, now=_at(doc_date, 8))
        created += 1
        task_id = _first_task_id(session, document.id)
        clerk = _unit_clerk(session, config, unit)
        if scenario in ("open", "overdue", "due_soon") and number % 2:
            add_note(
                session=session,
                actor=clerk,
                task_id=task_id,
                note="Đã giao phòng chuyên môn tham mưu.",
                now=_at(min(today, doc_date + timedelta(days=2)), 10),
            )
        reply_after = {"replied": 12, "done_on_time": 10, "done_late": 13, "not_done_extended": 6}.get(scenario)
        if reply_after is None:
            continue
        reply_date = min(today, doc_date + timedelta(days=reply_after))
        issue_reply(
            session=session,
            actor=clerk,
            task_id=task_id,
            data=ReplyCreate(
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
        confirm_task(session=session, actor=tracker, task_id=task_id, data=verdict, now=_at(confirm_day, 16))
    return created


def _first_task_id(session: Session, document_id: int | None) -> int:
    from models import Task

    task = session.exec(select(Task).where(Task.document_id == document_id)).first()
    assert task is not None and task.id is not None
    return task.id
