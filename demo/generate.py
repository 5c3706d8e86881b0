"""A realistic data set of any size: ``python manage.py generate --tasks N``.

Why: the read paths (statistics, lists, the task page) must be measured and tried on a province's
years of history, not on the few dozen tasks of ``demo/seed.py``. Going through the services
would take hours for a million tasks, so this module simulates what the services would have
written and bulk-inserts it (the driver's ``executemany`` in chunks on SQLite, ``COPY`` on
PostgreSQL, explicit ids, one transaction with the spans):

* assignment documents of the configured issuers, numbered per issuer and year in date order,
  spread over about two years (more in recent months, none after today), most with one task and
  some with two to five tasks for different units, with coordinating units now and then;
* for each task a history as the actions would leave it: the unit's steps of its workflow
  (``config/workflows.yaml``: the short one, or Trường hợp 1/2 with sub-unit flows where the unit
  has sub-units), progress notes, a returned draft now and then, the reply (on time or late, some
  entered a few days after their date), VP UBND's verdict (done, or not done with a new deadline
  and a new round at step 1), deadline updates, wrong-unit requests (refused, pending, accepted
  with the task re-routed), revocations and replacements;
* ``Task.status``, ``Task.version`` and the flows as they stand on ``today``, and the journal
  entries of every action (each task has its "assigned" or "re-routed" entry);
* the notifications still to be acted on: each open task's latest journal entries notify whom
  they would have notified (``notify_what_is_left``, the rule of the task import), unread.

The data version is bumped and the spans of the statistics rebuilt (``rebuild_all_spans``, which
commits the whole load at once), and the planner gets fresh statistics (``ANALYZE``).
"""

from __future__ import annotations

import math
import random
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cached_property
from itertools import accumulate
from operator import itemgetter
from typing import Any

import holidays
from sqlalchemy import Boolean, Date, DateTime, Table, TypeDecorator, func, select, text
from sqlmodel import Session, SQLModel

from demo.seed import UnitStaff, ensure_demo_accounts, unit_staff
from models import (
    CloseReason,
    ConfirmOutcome,
    DocumentKind,
    EventAction,
    OrgUnit,
    RequestStatus,
    Role,
    TaskStatus,
    UnitKind,
)
from services.access.permissions import Actor, build_actor
from services.config.loader import AppConfig
from services.config.store import current_version_id
from services.config.workflows import ActorUnit, FlowKind, TransitionDef, WorkflowDef
from services.infra.clock import VN_TZ
from services.infra.data_version import bump_data_version
from services.infra.text import document_code_key, fold
from services.notifications.recipients import notify_what_is_left
from services.org.units import list_units, office_unit
from services.stats.spans import rebuild_all_spans
from services.workflow.engine import default_main_workflow, subunits_of, unit_main_workflows

_VN = timezone(timedelta(hours=7))
_DAY = timedelta(days=1)
HISTORY_DAYS = 730  # documents are dated over about two years before today
_FLUSH_ROWS = 40_000  # rows buffered before they are written (bounded memory at a million tasks)

# --- words --------------------------------------------------------------------------------------

_VERBS = (
    "Báo cáo",
    "Tham mưu",
    "Rà soát",
    "Triển khai",
    "Kiểm tra",
    "Đề xuất",
    "Tổng hợp",
    "Hướng dẫn",
    "Chủ trì xây dựng",
    "Đôn đốc",
)
_TOPICS = (
    "tình hình giải ngân vốn đầu tư công",
    "kế hoạch chuyển đổi số",
    "thủ tục hành chính thuộc thẩm quyền giải quyết",
    "xử lý vi phạm hành lang an toàn giao thông",
    "phương án phòng chống hạn hán mùa khô",
    "ý kiến góp ý dự thảo Nghị quyết của HĐND tỉnh",
    "kết quả thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững",
    "cấp giấy chứng nhận quyền sử dụng đất cho hộ đồng bào dân tộc thiểu số",
    "phương án bảo đảm an ninh mạng cho hệ thống thông tin",
    "công tác phòng cháy chữa cháy tại các chợ",
    "tiến độ xây dựng nông thôn mới",
    "kinh phí sửa chữa trường học",
    "kết quả thu ngân sách nhà nước",
    "công tác quản lý, bảo vệ rừng",
    "đề án sắp xếp đơn vị hành chính cấp xã",
    "tình hình dịch bệnh trên đàn gia súc",
    "công tác cải cách hành chính",
    "kiến nghị của cử tri trước kỳ họp HĐND tỉnh",
    "tiến độ giải phóng mặt bằng các dự án trọng điểm",
    "công tác tiếp công dân, giải quyết khiếu nại, tố cáo",
    "kế hoạch tổ chức các hoạt động chào mừng ngày lễ lớn",
    "tình hình sản xuất vụ Đông Xuân",
    "phương án ứng phó mưa lũ",
    "việc thực hiện kết luận thanh tra",
    "công tác bảo đảm trật tự an toàn giao thông dịp Tết",
    "chỉ số năng lực cạnh tranh cấp tỉnh (PCI)",
    "danh mục dự án kêu gọi đầu tư",
    "chính sách hỗ trợ người lao động",
    "kết quả tuyển sinh đầu cấp",
    "công tác tiêm chủng mở rộng",
    "quy hoạch sử dụng đất",
    "tình hình thực hiện dịch vụ công trực tuyến",
)
_PERIODS = (
    "",
    "",
    " năm {y}",
    " quý {q}/{y}",
    " 6 tháng đầu năm {y}",
    " trên địa bàn tỉnh",
    " năm {y} và kế hoạch năm sau",
)
_RESULTS = (
    "Đã triển khai thực hiện và báo cáo kết quả theo yêu cầu.",
    "Đã hoàn thành rà soát, tổng hợp số liệu gửi kèm theo.",
    "Đã ban hành kế hoạch triển khai, giao các phòng chuyên môn thực hiện.",
    "Đã kiểm tra thực tế, kết quả chi tiết tại phụ lục kèm theo.",
    "Đã tham mưu dự thảo văn bản, kính trình UBND tỉnh xem xét.",
    "Đã phối hợp các đơn vị liên quan xử lý dứt điểm.",
)
# a reply entered long after its date (nobody answered for weeks): the reason its văn thư gives
_BACKDATE_REASON = "Văn bản đã ký đúng ngày, vào sổ và nhập phần mềm chậm."
_NOT_DONE = (
    "Báo cáo chưa có số liệu cụ thể theo từng xã.",
    "Chưa đánh giá đầy đủ nguyên nhân, đề xuất giải pháp.",
    "Nội dung chưa đúng yêu cầu của văn bản giao, đề nghị bổ sung.",
    "Chưa có ý kiến thống nhất của các đơn vị phối hợp.",
    "Số liệu chưa khớp với báo cáo của Sở Tài chính.",
)
_NOTES = (
    "Đã giao phòng chuyên môn tham mưu.",
    "Đang tổng hợp số liệu từ các xã, phường.",
    "Đã xin ý kiến các đơn vị phối hợp, chờ phản hồi.",
    "Đang hoàn thiện dự thảo báo cáo.",
    "Đã làm việc với các đơn vị liên quan.",
)
_WRONG_UNIT = (
    "Nội dung thuộc chức năng quản lý nhà nước của đơn vị khác theo phân cấp.",
    "Đơn vị không được giao quản lý lĩnh vực này.",
)
_REFUSALS = ("Đơn vị chủ trì là cơ quan tham mưu chính về lĩnh vực này, đề nghị tiếp tục thực hiện.",)
_REVOKE = ("UBND tỉnh đã có chỉ đạo khác, thu hồi nhiệm vụ.", "Nhiệm vụ không còn phù hợp với tình hình thực tế.")
_REPLACE = ("Điều chỉnh nội dung theo kết luận mới của Chủ tịch UBND tỉnh.", "Giao lại cho phù hợp chức năng.")
_UPDATE = ("Điều chỉnh thời hạn theo đề nghị của đơn vị.", "Gia hạn do phát sinh nội dung cần xin ý kiến bộ, ngành.")
_STEP_NOTES = {
    "but_phe": ("Giao chuyên viên tham mưu, báo cáo đúng hạn.", "", "Phối hợp các phòng liên quan."),
    "gui_don_vi_cha": ("Văn bản liên thông nội bộ gửi đơn vị, kèm số liệu.",),
    "tra_lai_du_thao": ("Bổ sung số liệu, làm rõ nguyên nhân.", "Chỉnh sửa theo ý kiến bút phê."),
}
_SIGNERS = ("Võ Ngọc Thành", "Rah Lan Chung", "Nguyễn Hữu Quế", "Dương Mah Tiệp")
_DOC_TYPES: tuple[tuple[str, float, str], ...] = (  # key, weight, số/ký hiệu suffix
    ("cong_van", 0.55, "UBND-{field}"),
    ("thong_bao", 0.13, "TB-VP"),
    ("ke_hoach", 0.1, "KH-UBND"),
    ("quyet_dinh", 0.1, "QĐ-UBND"),
    ("chi_thi", 0.03, "CT-UBND"),
    ("van_ban_khac", 0.09, "UBND-TH"),
)
_FIELDS = ("KT", "KGVX", "NC", "CNXD", "NL", "TH")
# deadlines: working days after the document, or calendar days (annual plans: months)
_WORKING_DAYS = ((5, 7, 10, 15, 20, 30), tuple(accumulate((0.1, 0.1, 0.2, 0.15, 0.1, 0.1))))
_CALENDAR_DAYS = ((30, 45, 60, 90, 180), tuple(accumulate((0.08, 0.05, 0.05, 0.04, 0.03))))


# --- the report ---------------------------------------------------------------------------------


@dataclass
class GenerateReport:
    """What ``generate_tasks`` wrote, and how long it took (the spans' rebuild counted apart)."""

    documents: int = 0
    tasks: int = 0
    replies: int = 0
    confirmations: int = 0
    not_done: int = 0
    extensions: int = 0
    closed: int = 0
    flows: int = 0
    events: int = 0
    requests: int = 0
    notifications: int = 0
    spans: int = 0
    seconds: float = 0.0  # everything
    insert_seconds: float = 0.0  # simulating and inserting the history
    spans_seconds: float = 0.0  # rebuild_all_spans
    analyze_seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.tasks} nhiệm vụ trong {self.documents} văn bản giao; {self.replies} văn bản trả lời, "
            f"{self.confirmations} xác nhận ({self.not_done} chưa hoàn thành), {self.extensions} gia hạn, "
            f"{self.closed} đã đóng, {self.requests} đề nghị điều chỉnh, {self.flows} luồng, {self.events} "
            f"mục nhật ký, {self.notifications} thông báo, {self.spans} span. "
            f"Thời gian: {self.seconds:.1f} s (ghi {self.insert_seconds:.1f} s, "
            f"span {self.spans_seconds:.1f} s, ANALYZE {self.analyze_seconds:.1f} s)."
        )


# --- the world: units, staff, workflows, calendar -----------------------------------------------


@dataclass(frozen=True)
class _Path:
    """One workflow's way from its first state to the reply (main) or to a final state (sub)."""

    workflow: str
    steps: tuple[tuple[str, TransitionDef], ...]
    returns: dict[int, tuple[str, TransitionDef]]  # step index -> the transition sending it back


@dataclass
class _Unit:
    id: int
    unit: OrgUnit
    staff: UnitStaff
    default_workflow: str
    initial: str
    mains: dict[str, WorkflowDef]
    choices: tuple[tuple[str, float], ...]  # main workflow, weight
    subunits: list[_Unit]
    on_time: float  # how often the unit replies by the deadline
    weight: float  # how many tasks it gets
    abbr: str
    parent: _Unit | None = None

    @cached_property
    def choice_keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.choices)

    @cached_property
    def choice_cum(self) -> tuple[float, ...]:
        return tuple(accumulate(w for _, w in self.choices))


def _abbreviation(name: str) -> str:
    """ "Sở Tài chính" -> "STC": initials, upper-case words kept ("UBND TP Pleiku" -> "UBNDTPP")."""
    parts = []
    for word in re.split(r"[\s.()]+", name):
        letters = "".join(ch for ch in word if ch.isalnum())
        if not letters:
            continue
        parts.append(letters if letters.isupper() and len(letters) > 1 else letters[0].upper())
    return unicodedata.normalize("NFC", "".join(parts))[:12] or "DV"


class _Calendar:
    """Working days (weekends, Vietnamese public holidays and the configured swaps), precomputed."""

    def __init__(self, first: date, last: date, config: AppConfig) -> None:
        off = set(config.app.extra_days_off)
        on = set(config.app.extra_working_days)
        public = holidays.country_holidays("VN", years=range(first.year, last.year + 1))
        self.first = first
        self.working: list[bool] = []
        day = first
        while day <= last:
            self.working.append(day in on or (day.weekday() < 5 and day not in off and day not in public))
            day += _DAY
        self.last = last

    def is_working(self, day: date) -> bool:
        index = (day - self.first).days
        if 0 <= index < len(self.working):
            return self.working[index]
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        current = start
        while days > 0:
            current += _DAY
            if self.is_working(current):
                days -= 1
        return current

    def next_working(self, day: date, limit: date) -> date:
        """The first working day from ``day``, unless that passes ``limit`` (then ``day``)."""
        current = day
        while not self.is_working(current) and current < limit:
            current += _DAY
        return current if self.is_working(current) else day


_MINUTES = [timedelta(minutes=m - 7 * 60) for m in range(24 * 60)]  # Vietnam time of day -> from UTC midnight
_MIDNIGHTS: dict[date, datetime] = {}


def _midnight(day: date) -> datetime:
    found = _MIDNIGHTS.get(day)
    if found is None:
        found = _MIDNIGHTS[day] = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return found


def _ri(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)`` at a third of its cost (it is drawn millions of times)."""
    return low + int(rng.random() * (high - low + 1))


class _Clock:
    """Moments of one task's history: never backwards, on the dates the simulation chose, in
    office hours of Vietnam time (kept as a day and a minute of that day, returned in UTC)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.day: date | None = None
        self.base = _midnight(date(2000, 1, 1))
        self.minute = 0
        self.last: datetime | None = None

    def at(self, day: date) -> datetime:
        if self.day is not None and self.day >= day:
            self.minute = min(self.minute + _ri(self.rng, 2, 40), 24 * 60 - 1)
        else:
            self.day, self.base, self.minute = day, _midnight(day), 450 + _ri(self.rng, 0, 540)
        moment = self.base + _MINUTES[self.minute]
        self.last = moment
        return moment

    def follow(self, other: _Clock) -> None:
        """Go on from where ``other`` stands (a task starts when its document is entered)."""
        self.day, self.base, self.minute, self.last = other.day, other.base, other.minute, other.last


def _fmt(day: date) -> str:
    """dd/mm/yyyy, as ``fmt_date`` writes it (without strftime: it runs a million times)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _path(wf_key: str, wf: WorkflowDef, *, main: bool) -> _Path:
    """Shortest way through the workflow (breadth first): to the reply for a main workflow, to a
    final state for a sub one; and for each step the "return" transition that may undo it."""
    usable = {k: t for k, t in wf.transitions.items() if not t.only_as_effect}
    start = wf.initial
    previous: dict[str, tuple[str, str, TransitionDef] | None] = {start: None}
    queue = [start]
    goal: tuple[str, str, TransitionDef] | None = None  # (from state, key, transition)
    while queue and goal is None:
        state = queue.pop(0)
        for key, tr in usable.items():
            if state not in tr.from_states:
                continue
            if (main and tr.issue_reply) or (not main and wf.states[tr.to].final):
                goal = (state, key, tr)
                break
            if tr.to not in previous:
                previous[tr.to] = (state, key, tr)
                queue.append(tr.to)
    assert goal is not None, f"workflow {wf_key} has no way to its end"
    steps: list[tuple[str, TransitionDef]] = [(goal[1], goal[2])]
    state = goal[0]
    while previous[state] is not None:
        before = previous[state]
        assert before is not None
        steps.append((before[1], before[2]))
        state = before[0]
    steps.reverse()
    returns: dict[int, tuple[str, TransitionDef]] = {}
    for index, (_, tr) in enumerate(steps):
        if tr.issue_reply or tr.start_subflows or tr.wait_subflows:
            continue
        for key, back in usable.items():
            if back.note_required and tr.to in back.from_states and back.to in tr.from_states:
                returns[index] = (key, back)
                break
    return _Path(wf_key, tuple(steps), returns)


# --- the generator ------------------------------------------------------------------------------


@dataclass
class _FlowRow:
    id: int
    task_id: int
    unit: _Unit
    parent_flow_id: int | None
    workflow: str
    committed: bool
    state: str
    created_at: datetime
    updated_at: datetime
    assignee_id: int | None = None
    active: bool = True

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task_id": self.task_id,
            "unit_id": self.unit.id,
            "parent_flow_id": self.parent_flow_id,
            "workflow": self.workflow,
            "committed": self.committed,
            "state": self.state,
            "assignee_id": self.assignee_id,
            "active": self.active,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass
class _TaskState:
    """One task while its history is simulated."""

    id: int
    document_id: int
    document_code: str
    assigned_on: date
    unit: _Unit
    deadline: date
    content: str
    seq: int
    created_at: datetime
    clock: _Clock
    status: TaskStatus = TaskStatus.OPEN
    version: int = 0
    deadlines: list[tuple[date, date]] = field(default_factory=list)  # (granted on, new deadline)
    flows: list[_FlowRow] = field(default_factory=list)
    closed_reason: CloseReason | None = None
    closed_on: date | None = None
    replaces_task_id: int | None = None
    coordinators: list[_Unit] = field(default_factory=list)
    reply_id: int = 0  # the latest reply, which the next verdict judges
    reply_code: str = ""

    def deadline_on(self, day: date) -> date:
        """The deadline in force on ``day`` (the latest extension granted by then)."""
        granted = [d for g, d in self.deadlines if g <= day]
        return granted[-1] if granted else self.deadline


@dataclass(frozen=True)
class _Planned:
    """An assignment document decided up front, so its number follows the dates of its issuer's year."""

    issue_date: date
    issuer: str
    doc_type: str
    code: str
    fates: tuple[str, ...]  # one per task: normal | revoked | wrong_unit | replaced


class _Generator:
    """Simulates the histories document by document and buffers their rows, which ``flush``
    writes in bulk. Ids are given here (from the tables' maxima), so rows can name each other
    before they are written."""

    def __init__(self, session: Session, config: AppConfig, today: date, seed: int, report: GenerateReport) -> None:
        self.session = session
        self.config = config
        self.today = today
        self.report = report
        self.seed = seed
        self.next_id = {name: self._max_id(name) + 1 for name in _ID_TABLES}
        # another run on the same database continues with other random choices, same seed or not
        self.rng = random.Random(seed * 1_000_003 + self.next_id["task"])
        self.calendar = _Calendar(today - timedelta(days=HISTORY_DAYS + 30), today + timedelta(days=800), config)
        self.buffers: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        dialect = session.get_bind().dialect.name
        self.writers = {name: _Writer(_T["document" if name == "reply" else name], dialect) for name in _INSERT_ORDER}
        # every flow runs on the configuration version in force now, as start_main_flow records it
        self.config_version_id = current_version_id(session) or None
        assert self.writers["task_event"].columns == _EVENT_COLUMNS, "task_event changed: update _event"
        self.stamp: Callable[[datetime], Any] = _sqlite_datetime if dialect == "sqlite" else _same
        self.people: dict[int, tuple[int, str, str, int]] = {}
        self.buffered = 0
        self.codes: dict[tuple[str, int], set[str]] = defaultdict(set)
        self.numbers: dict[tuple[str, int], int] = defaultdict(int)
        for issuer, year, key in session.execute(
            select(_T["document"].c.issuer, _T["document"].c.issue_year, _T["document"].c.code_key)
        ):
            self.codes[(issuer, year)].add(key)
            number = re.match(r"\d+", key)
            if number:
                self.numbers[(issuer, year)] = max(self.numbers[(issuer, year)], int(number.group()))
        self._load_world()

    # -- set-up --

    def _max_id(self, name: str) -> int:
        return int(self.session.execute(select(func.max(_T[name].c.id))).scalar() or 0)

    def _actor(self, username: str) -> Actor:
        user = self.session.execute(select(_T["app_user"].c.id).where(_T["app_user"].c.username == username)).scalar()
        assert user is not None, f"no account {username}"
        actor = build_actor(session=self.session, config=self.config, user_id=int(user))
        assert actor is not None
        return actor

    def _load_world(self) -> None:
        session, config = self.session, self.config
        self.tracker = self._actor("vp.theodoi")
        self.office = office_unit(session=session)
        assert self.office.id is not None
        leads = [u for u in list_units(session=session) if u.kind in (UnitKind.DEPARTMENT, UnitKind.DISTRICT)]
        self.units: list[_Unit] = []
        for unit in leads:
            assert unit.id is not None
            subs = [self._subunit(s) for s in subunits_of(session=session, unit_id=unit.id)]
            mains = unit_main_workflows(session=session, config=config, unit_id=unit.id)
            default = default_main_workflow(session=session, config=config, unit_id=unit.id)
            others = [k for k in mains if k != default]
            choices = ((default, 0.55), *((k, 0.45 / len(others)) for k in others)) if others else ((default, 1.0),)
            kind_weight = 1.5 if unit.kind is UnitKind.DEPARTMENT else 1.0
            habits = random.Random(f"{self.seed}:{unit.code}")  # a unit keeps its habits from run to run
            lead = _Unit(
                id=unit.id,
                unit=unit,
                staff=unit_staff(session, config, unit),
                default_workflow=default,
                initial=mains[default].initial,
                mains=mains,
                choices=choices,
                subunits=subs,
                on_time=habits.uniform(0.55, 0.95),
                weight=kind_weight * habits.uniform(0.4, 2.0),
                abbr=_abbreviation(unit.short_name),
            )
            for sub in subs:
                sub.parent = lead
            self.units.append(lead)
        assert self.units, "config/org.yaml has no active department or district"
        self.unit_cum = list(accumulate(u.weight for u in self.units))
        self.paths: dict[str, _Path] = {}
        for key, wf in config.workflows.workflows.items():
            self.paths[key] = _path(key, wf, main=wf.kind is FlowKind.MAIN)
        self.commit_cache: dict[tuple[int, str, str, str], bool] = {}

    def _subunit(self, unit: OrgUnit) -> _Unit:
        assert unit.id is not None
        return _Unit(
            id=unit.id,
            unit=unit,
            staff=unit_staff(self.session, self.config, unit),
            default_workflow="",
            initial="",
            mains={},
            choices=(),
            subunits=[],
            on_time=1.0,
            weight=0.0,
            abbr=_abbreviation(unit.short_name),
        )

    def _id(self, name: str) -> int:
        value = self.next_id[name]
        self.next_id[name] = value + 1
        return value

    # -- planning the documents --

    def plan(self, tasks: int) -> list[_Planned]:
        """Documents with their tasks' fates, dated in order, until the tasks (successors of
        re-routed and replaced ones included) number exactly ``tasks``."""
        rng, today = self.rng, self.today
        days = [today - timedelta(days=age) for age in range(HISTORY_DAYS, -1, -1)]
        weights = []
        for day in days:
            recency = math.exp(-(today - day).days / 365)
            weights.append(recency * (1.0 if self.calendar.is_working(day) else 0.04))
        cum = []
        total = 0.0
        for w in weights:
            total += w
            cum.append(total)
        fates_left = tasks
        drafts: list[tuple[date, tuple[str, ...]]] = []
        while fates_left > 0:
            size = rng.choices((1, 2, 3, 4, 5), weights=(0.76, 0.1, 0.06, 0.04, 0.04))[0]
            size = min(size, len(self.units))
            fates: list[str] = []
            day = rng.choices(days, cum_weights=cum)[0]
            for _ in range(size):
                if fates_left <= 0:
                    break
                roll = rng.random()
                fate = "normal"
                if (today - day).days >= 10 and fates_left >= 2:
                    if roll < 0.012:
                        fate = "revoked"
                    elif roll < 0.022:
                        fate = "wrong_unit"
                    elif roll < 0.027:
                        fate = "replaced"
                fates_left -= 2 if fate in ("wrong_unit", "replaced") else 1
                fates.append(fate)
            drafts.append((day, tuple(fates)))
        drafts.sort(key=lambda d: d[0])
        issuers = list(self.config.app.issuers)
        type_keys = [t for t in _DOC_TYPES if t[0] in self.config.app.document_types] or [
            (k, 1.0, "UBND-TH") for k in self.config.app.document_types
        ]
        planned: list[_Planned] = []
        for day, doc_fates in drafts:
            issuer = issuers[0] if len(issuers) == 1 or rng.random() < 0.8 else rng.choice(issuers[1:])
            doc_type, _, suffix = rng.choices(type_keys, weights=[t[1] for t in type_keys])[0]
            suffix = suffix.format(field=rng.choice(_FIELDS))
            code = self._code(issuer, day.year, suffix)
            planned.append(_Planned(day, issuer, doc_type, code, doc_fates))
        return planned

    def _code(self, issuer: str, year: int, suffix: str) -> str:
        """The next free number of this issuer in this year (the unique số/ký hiệu rule)."""
        key = (issuer, year)
        taken = self.codes[key]
        while True:
            self.numbers[key] += 1
            code = f"{self.numbers[key]}/{suffix}"
            code_key = document_code_key(code)
            if code_key not in taken:
                taken.add(code_key)
                return code

    # -- writing --

    def _add(self, table: str, row: dict[str, Any]) -> None:
        self.buffers[table].append(self.writers[table].values(row))
        self.buffered += 1

    def flush(self) -> None:
        """Write the buffered rows, parents first: SQLite in chunks of one ``executemany`` of the
        driver, PostgreSQL by ``COPY``. The rows are plain values already (no ORM, no per-row
        SQLAlchemy processing, which costs more than the simulation itself at a million tasks)."""
        connection = self.session.connection()
        for name in _INSERT_ORDER:
            rows = self.buffers.get(name)
            if not rows:
                continue
            writer = self.writers[name]
            if writer.copy is not None:  # PostgreSQL: COPY, several times faster than INSERTs
                driver: Any = connection.connection.dbapi_connection
                with driver.cursor() as cursor, cursor.copy(writer.copy) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                for start in range(0, len(rows), 5000):
                    connection.exec_driver_sql(writer.sql, rows[start : start + 5000])
            rows.clear()
        self.buffered = 0

    def _office_event(
        self, task: _TaskState, at: datetime, action: EventAction, *, note: str, to_unit: int | None
    ) -> None:
        """A journal entry VP UBND's tracker writes to the task's unit (assign, verdict, extension…)."""
        self._event(task, at, action, self.tracker, note=note, from_unit=self.tracker.unit_id, to_unit=to_unit)

    def _event(
        self,
        task: _TaskState,
        at: datetime,
        action: EventAction,
        actor: Actor,
        *,
        note: str = "",
        from_unit: int | None = None,
        to_unit: int | None = None,
        flow_id: int | None = None,
        transition: str | None = None,
        step: int | None = None,
        from_state: str | None = None,
        to_user_name: str | None = None,
    ) -> None:
        person = self.people.get(actor.user_id)
        if person is None:
            person = self.people[actor.user_id] = (actor.user_id, actor.full_name, actor.role.value, actor.unit_id)
        self.buffers["task_event"].append(
            (
                self._id("task_event"),
                task.id,
                self.stamp(at),
                action.value,
                *person,
                from_unit,
                to_unit,
                note,
                flow_id,
                transition,
                step,
                from_state,
                to_user_name,
            )
        )
        self.buffered += 1
        self.report.events += 1

    # -- one document --

    def document(self, planned: _Planned) -> None:
        rng, today = self.rng, self.today
        doc_id = self._id("document")
        entered = min(today, planned.issue_date + timedelta(days=rng.choice((0, 0, 0, 0, 1, 2, 3))))
        clock = _Clock(rng)
        created_at = clock.at(entered)
        verb = rng.choice(_VERBS)
        topic = rng.choice(_TOPICS)
        period = rng.choice(_PERIODS).format(y=planned.issue_date.year, q=(planned.issue_date.month - 1) // 3 + 1)
        signer = _SIGNERS[0] if planned.issuer != "ubnd_tinh" else rng.choice(_SIGNERS)
        self._add(
            "document",
            {
                "id": doc_id,
                "kind": DocumentKind.ASSIGNMENT.value,
                "issuer": planned.issuer,
                "code": planned.code,
                "code_key": document_code_key(planned.code),
                "issue_date": planned.issue_date,
                "issue_year": planned.issue_date.year,
                "doc_type": planned.doc_type,
                "summary": f"V/v {verb.lower()} {topic}{period}",
                "search_folded": fold(f"{planned.code} V/v {verb.lower()} {topic}{period}"),
                "signer": signer,
                "result": "",
                "unit_id": None,
                "reply_to_id": None,
                "task_id": None,
                "created_by": self.tracker.user_id,
                "created_at": created_at,
                "entered_on": None,  # a reply's columns (migration 0009)
                "backdate_reason": None,
            },
        )
        self.report.documents += 1
        deadline = self._deadline(planned.issue_date)
        leads = self._distinct_units(len(planned.fates))
        for seq, (fate, unit) in enumerate(zip(planned.fates, leads, strict=True), start=1):
            own_deadline = deadline if rng.random() < 0.7 else self._deadline(planned.issue_date)
            content = f"{rng.choice(_VERBS) if seq > 1 else verb} {topic}{period}"
            task = _TaskState(
                id=self._id("task"),
                document_id=doc_id,
                document_code=planned.code,
                assigned_on=planned.issue_date,
                unit=unit,
                deadline=own_deadline,
                content=content,
                seq=seq,
                created_at=created_at,
                clock=_Clock(rng),
            )
            task.clock.follow(clock)
            if rng.random() < 0.2:
                task.coordinators = [u for u in self._distinct_units(_ri(rng, 1, 3)) if u is not unit]
            note = f"Văn bản {planned.code}; hạn xử lý {_fmt(own_deadline)}"
            if task.coordinators:
                note += "; phối hợp: " + ", ".join(u.unit.short_name for u in task.coordinators)
            self._office_event(
                task,
                created_at,
                EventAction.ASSIGNED,
                note=note,
                to_unit=unit.id,
            )
            self._life(task, fate)
        if self.buffered >= _FLUSH_ROWS:
            self.flush()

    def _deadline(self, issued: date) -> date:
        rng = self.rng
        if rng.random() < 0.65:
            days = rng.choices(_WORKING_DAYS[0], cum_weights=_WORKING_DAYS[1])[0]
            return self.calendar.add_working_days(issued, days)
        days = rng.choices(_CALENDAR_DAYS[0], cum_weights=_CALENDAR_DAYS[1])[0]
        return self.calendar.next_working(issued + timedelta(days=days), issued + timedelta(days=days + 7))

    def _distinct_units(self, count: int) -> list[_Unit]:
        chosen: list[_Unit] = []
        while len(chosen) < min(count, len(self.units)):
            unit = self.rng.choices(self.units, cum_weights=self.unit_cum)[0]
            if unit not in chosen:
                chosen.append(unit)
        return chosen

    # -- one task's life --

    def _life(self, task: _TaskState, fate: str) -> None:
        """Rounds of handling until today, or the closing the task's fate holds for it."""
        rng, today = self.rng, self.today
        start = task.created_at.astimezone(_VN).date()
        successor: _TaskState | None = None
        if fate == "normal":
            self._rounds(task, start)
        elif fate == "wrong_unit":
            asked = min(today, start + timedelta(days=_ri(rng, 1, 5)))
            decided = min(today, asked + timedelta(days=_ri(rng, 0, 6)))
            self._round(task, start, horizon=asked, hold=True)
            successor = self._wrong_unit(task, asked, decided)
        else:
            closing = min(today, start + timedelta(days=_ri(rng, 2, 30)))
            self._round(task, start, horizon=closing - _DAY, hold=True)
            successor = self._close_by_office(task, closing, fate)
        self._write_task(task)
        if successor is not None:  # written after the task it replaces (a foreign key on PostgreSQL)
            self._rounds(successor, successor.assigned_on)
            self._write_task(successor)

    def _rounds(self, task: _TaskState, start: date) -> None:
        """Round after round while VP UBND says "not done" (at most three)."""
        rounds = 0
        verdict: date | None = start
        while verdict is not None:
            rounds += 1
            verdict = self._round(task, verdict, horizon=self.today, last_round=rounds >= 3)

    def _round(
        self, task: _TaskState, start: date, *, horizon: date, hold: bool = False, last_round: bool = False
    ) -> date | None:
        """One round: the unit's steps up to the reply, then VP UBND's verdict. Only what is dated
        on or before ``horizon`` happens; ``hold``: no reply by then (the task is closed next).
        The date of a "not done" verdict (a new round starts then), or None."""
        rng, cal, today = self.rng, self.calendar, self.today
        unit = task.unit
        first_round = not task.flows
        opened_at = task.clock.last or task.created_at
        flow = _FlowRow(
            id=self._id("flow"),
            task_id=task.id,
            unit=unit,
            parent_flow_id=None,
            workflow=unit.default_workflow,
            committed=False,
            state=unit.initial,
            created_at=opened_at,
            updated_at=opened_at,
        )
        task.flows.append(flow)
        # a deadline update by VP UBND now and then (before the reply)
        update_on: date | None = None
        if first_round and rng.random() < 0.04:
            update_on = start + timedelta(days=_ri(rng, 1, 15))
            new = max(task.deadline_on(update_on), update_on) + timedelta(days=_ri(rng, 10, 40))
            if update_on <= horizon:
                task.deadlines.append((update_on, cal.next_working(new, new + timedelta(days=7))))
            else:
                update_on = None
        deadline = task.deadline_on(update_on or start)
        if rng.random() < 0.03:  # forgotten: nobody answers for a long time
            replied = max(start, deadline) + timedelta(days=_ri(rng, 150, 700))
        elif rng.random() < unit.on_time and deadline >= start:
            replied = start + timedelta(days=round((deadline - start).days * rng.betavariate(2.5, 1.4)))
        else:
            replied = max(start, deadline) + timedelta(days=1 + min(150, int(rng.expovariate(1 / 12))))
        replied = cal.next_working(replied, deadline if replied <= deadline else replied + timedelta(days=3))
        if update_on is not None:
            replied = max(replied, update_on)
        entered = replied + timedelta(days=rng.choice((0, 0, 0, 0, 0, 1, 2, 3)))  # some replies backdated
        if hold and entered <= horizon:
            entered = horizon + timedelta(days=_ri(rng, 1, 20))
        events = self._plan_steps(task, flow, start, entered, replied)
        timeline: list[tuple[date, float, int, tuple[Any, ...]]] = [
            (day, phase, n, what) for n, (day, phase, what) in enumerate(events)
        ]
        for n in range(_notes(rng)):
            day = start + timedelta(days=_ri(rng, 0, max(0, (entered - start).days)))
            timeline.append((day, 1000.0, n, ("note",)))
        if update_on is not None:
            timeline.append((update_on, -1.0, 0, ("update",)))
        if first_round and not hold and entered > today and rng.random() < 0.03:  # VP UBND has yet to decide
            asked = max(start, today - timedelta(days=_ri(rng, 0, 7)))
            timeline.append((asked, -0.5, 0, ("request",)))
        elif first_round and not hold and rng.random() < 0.015:  # "not our remit", refused
            asked = start + timedelta(days=_ri(rng, 0, min(30, max(0, (entered - start).days - 1))))
            decided = asked + timedelta(days=_ri(rng, 1, 10))
            if asked <= today and (decided < entered or entered > today):
                timeline.append((asked, -0.5, 0, ("request",)))
                timeline.append((decided, -0.5, 0, ("refuse",)))
        timeline.sort(key=lambda item: (item[0], item[1], item[2]))
        reply_done = False
        request: dict[str, Any] | None = None
        for day, _, _, what in timeline:
            if day > horizon:
                break
            kind = what[0]
            if kind == "step":
                reply_done = self._fire(task, flow, day, what, replied) or reply_done
            elif kind == "note":
                actor = unit.staff.specialist if flow.assignee_id else unit.staff.leader
                self._event(task, task.clock.at(day), EventAction.NOTE, actor, note=rng.choice(_NOTES))
                task.version += 1
            elif kind == "update":
                granted, new_deadline = next(d for d in task.deadlines if d[0] == update_on)
                at = task.clock.at(granted)
                reason = rng.choice(_UPDATE)
                self._extension(task, granted, new_deadline, f"Cập nhật nhiệm vụ: {reason}", None, at)
                self._office_event(
                    task,
                    at,
                    EventAction.UPDATED,
                    note=f"hạn xử lý → {_fmt(new_deadline)}. Lý do: {reason}",
                    to_unit=unit.id,
                )
                task.version += 1
            elif kind == "request":
                request = self._request(task, day)
            elif kind == "refuse" and request is not None:
                self._refuse(task, request, day)
        if request is not None:
            self._add("wrong_unit_request", request)
        if not reply_done:
            return None
        # VP UBND's verdict
        lag = min(30, int(rng.expovariate(1 / 4)))  # VP UBND reads most replies within the week
        confirmed = cal.next_working(entered + timedelta(days=lag), entered + timedelta(days=lag + 4))
        if confirmed > horizon:
            return None
        not_done = not last_round and rng.random() < 0.06 + 0.12 * (1 - unit.on_time)
        at = task.clock.at(confirmed)
        confirmation_id = self._id("confirmation")
        reason = rng.choice(_NOT_DONE) if not_done else ""
        self._add(
            "confirmation",
            {
                "id": confirmation_id,
                "task_id": task.id,
                "reply_id": task.reply_id,
                "outcome": (ConfirmOutcome.NOT_DONE if not_done else ConfirmOutcome.DONE).value,
                "confirmed_on": confirmed,
                "reason": reason,
                "actor_id": self.tracker.user_id,
                "created_at": at,
            },
        )
        self.report.confirmations += 1
        task.version += 1
        if not not_done:
            in_force = task.deadline_on(replied)
            verdict = "đúng hạn" if replied <= in_force else "trễ hạn"
            self._event(
                task,
                at,
                EventAction.CONFIRMED_DONE,
                self.tracker,
                note=f"Hoàn thành {verdict} (văn bản {task.reply_code} ngày {_fmt(replied)}, hạn {_fmt(in_force)}).",
            )
            task.status = TaskStatus.DONE
            return None
        self.report.not_done += 1
        task.status = TaskStatus.OPEN
        for old in task.flows:
            if old.active:
                old.active, old.updated_at = False, at
        self._office_event(
            task,
            at,
            EventAction.CONFIRMED_NOT_DONE,
            note=f"Chưa hoàn thành: {reason}",
            to_unit=unit.id,
        )
        new_deadline = cal.next_working(confirmed + timedelta(days=_ri(rng, 5, 30)), confirmed + timedelta(days=40))
        self._extension(task, confirmed, new_deadline, reason, confirmation_id, at)
        task.deadlines.append((confirmed, new_deadline))
        self._office_event(
            task,
            at,
            EventAction.EXTENDED,
            note=f"Gia hạn đến {_fmt(new_deadline)}: {reason}",
            to_unit=unit.id,
        )
        return confirmed

    def _plan_steps(
        self, task: _TaskState, flow: _FlowRow, start: date, entered: date, replied: date
    ) -> list[tuple[date, float, tuple[Any, ...]]]:
        """The round's steps with their dates: the main flow's (a returned draft now and then),
        and the sub flows' between the step that starts them and the one that waits for them."""
        rng, unit = self.rng, task.unit
        wf_key = unit.default_workflow
        if len(unit.choices) > 1:
            wf_key = rng.choices(unit.choice_keys, cum_weights=unit.choice_cum)[0]
        path = self.paths[wf_key]
        steps = _with_returns(path, rng)
        days = _spread(rng, steps, start, entered)
        # every step before the one that issues the reply is taken by the reply's date: the services
        # refuse a reply dated before the approval of its draft (a backdated reply is entered later)
        days = [min(day, replied) for day in days[:-1]] + days[-1:]
        planned: list[tuple[date, float, tuple[Any, ...]]] = []
        sub_span: tuple[date, date] | None = None
        started = -1
        for index, ((key, tr), day) in enumerate(zip(steps, days, strict=True)):
            chosen: list[_Unit] = []
            if tr.start_subflows is not None:
                count = _ri(rng, 1, min(3, len(unit.subunits)))
                chosen = rng.sample(unit.subunits, count)
                started = index
            if tr.wait_subflows and started >= 0:
                sub_span = (days[started], day)
            planned.append((day, float(index), ("step", flow, wf_key, key, tr, chosen)))
        if started >= 0:
            begin, end = sub_span or (days[started], entered)
            start_tr = steps[started][1]
            assert start_tr.start_subflows is not None
            sub_key = start_tr.start_subflows
            sub_path = self.paths[sub_key]
            chosen_units = planned[started][2][5]
            for number, sub in enumerate(chosen_units):
                sub_steps = _with_returns(sub_path, rng)
                done_by = end - timedelta(days=_ri(rng, 0, min(3, max(0, (end - begin).days))))
                sub_days = _spread(rng, sub_steps, begin, done_by)
                for offset, ((key, tr), day) in enumerate(zip(sub_steps, sub_days, strict=True)):
                    phase = started + 0.1 + number * 0.01 + offset * 0.0001
                    planned.append((day, phase, ("substep", number, sub_key, key, tr, sub)))
        planned.sort(key=lambda p: (p[0], p[1]))
        return planned

    def _fire(self, task: _TaskState, flow: _FlowRow, day: date, what: tuple[Any, ...], replied: date) -> bool:
        """Apply one planned step as ``apply_step`` would; True when it issued the reply."""
        if what[0] == "substep":
            _, _, sub_key, key, tr, sub = what
            child = next(f for f in task.flows if f.parent_flow_id == flow.id and f.unit is sub)
            actor = _actor_for(tr, sub if tr.actor_unit is ActorUnit.FLOW else task.unit, child)
            at = task.clock.at(day)
            self._move(task, child, key, tr, actor, at, sub_key)
            task.version += 1
            return False
        _, _, wf_key, key, tr, chosen = what
        actor = _actor_for(tr, task.unit, flow)
        at = task.clock.at(day)
        if tr.issue_reply:
            self._reply(task, flow, key, tr, actor, at, replied, wf_key)
            return True
        self._move(task, flow, key, tr, actor, at, wf_key)
        task.version += 1
        if tr.start_subflows is not None:
            for sub in chosen:
                sub_wf = self.config.workflows.workflows[tr.start_subflows]
                child = _FlowRow(
                    id=self._id("flow"),
                    task_id=task.id,
                    unit=sub,
                    parent_flow_id=flow.id,
                    workflow=tr.start_subflows,
                    committed=True,
                    state=sub_wf.initial,
                    created_at=at,
                    updated_at=at,
                )
                task.flows.append(child)
                self._event(
                    task,
                    at,
                    EventAction.STEP,
                    actor,
                    from_unit=task.unit.id,
                    to_unit=sub.id,
                    flow_id=child.id,
                    transition=key,
                    step=tr.step,
                )
        if tr.archive_subflows is not None:
            for child in task.flows:
                if child.parent_flow_id != flow.id or not child.active:
                    continue
                sub_tr = self.config.workflows.workflows[child.workflow].transitions.get(tr.archive_subflows)
                if sub_tr is None or child.state not in sub_tr.from_states:
                    continue
                archived_from = child.state
                child.state, child.updated_at = sub_tr.to, at
                self._event(
                    task,
                    at,
                    EventAction.ARCHIVED,
                    actor,
                    from_unit=actor.unit_id,
                    to_unit=child.unit.id,
                    flow_id=child.id,
                    transition=tr.archive_subflows,
                    step=sub_tr.step,
                    from_state=archived_from,
                )
        return False

    def _move(
        self, task: _TaskState, flow: _FlowRow, key: str, tr: TransitionDef, actor: Actor, at: datetime, wf_key: str
    ) -> None:
        """The transition on the flow (state, commitment to a workflow, assignee) and its journal entry."""
        previous = flow.state
        if not flow.committed and flow.parent_flow_id is None and self._commits(flow, key, tr, wf_key):
            flow.workflow, flow.committed = wf_key, True
        flow.state, flow.updated_at = tr.to, at
        assignee_name: str | None = None
        if tr.choose_assignee:
            flow.assignee_id = flow.unit.staff.specialist.user_id
            assignee_name = flow.unit.staff.specialist.full_name
        choices = _STEP_NOTES.get(key)
        note = self.rng.choice(choices) if choices else ""
        to_unit = flow.unit.id
        if (tr.actor_unit is ActorUnit.PARENT or tr.to_parent) and flow.unit.parent is not None:
            to_unit = flow.unit.parent.id
        self._event(
            task,
            at,
            EventAction.STEP,
            actor,
            note=note,
            from_unit=actor.unit_id,
            to_unit=to_unit,
            flow_id=flow.id,
            transition=key,
            step=tr.step,
            from_state=previous,
            to_user_name=assignee_name,
        )

    def _commits(self, flow: _FlowRow, key: str, tr: TransitionDef, wf_key: str) -> bool:
        """As ``apply_step``: a main flow commits to its workflow at the first step that is not
        the same in every main workflow the unit could still be running (or when only one fits)."""
        cache_key = (flow.unit.id, flow.state, key, wf_key)
        found = self.commit_cache.get(cache_key)
        if found is None:
            candidates = [k for k, w in flow.unit.mains.items() if flow.state in w.states]
            same = all(flow.unit.mains[k].transitions.get(key) == tr for k in candidates)
            found = not same or len(candidates) == 1
            self.commit_cache[cache_key] = found
        return found

    def _reply(
        self,
        task: _TaskState,
        flow: _FlowRow,
        key: str,
        tr: TransitionDef,
        actor: Actor,
        at: datetime,
        replied: date,
        wf_key: str,
    ) -> None:
        """The step that issues the reply: the reply document (linked) and one journal entry."""
        rng, unit = self.rng, task.unit
        previous = flow.state
        if not flow.committed and self._commits(flow, key, tr, wf_key):
            flow.workflow, flow.committed = wf_key, True
        flow.state, flow.updated_at = tr.to, at
        code = self._code(unit.unit.code, replied.year, f"BC-{unit.abbr}")
        result = rng.choice(_RESULTS)
        reply_id = self._id("document")
        task.reply_id, task.reply_code = reply_id, code
        self._add(
            "reply",
            {
                "id": reply_id,
                "kind": DocumentKind.REPLY.value,
                "issuer": unit.unit.code,
                "code": code,
                "code_key": document_code_key(code),
                "issue_date": replied,
                "issue_year": replied.year,
                "doc_type": "",
                "summary": f"Báo cáo kết quả thực hiện Văn bản số {task.document_code}",
                "search_folded": fold(f"{code} Báo cáo kết quả thực hiện Văn bản số {task.document_code}"),
                "signer": unit.staff.leader.full_name,
                "result": result,
                "unit_id": unit.id,
                "reply_to_id": task.document_id,
                "task_id": task.id,
                "created_by": actor.user_id,
                "created_at": at,
                # the day it was entered; dated back beyond the limit, with the reason the services ask for
                "entered_on": at.astimezone(VN_TZ).date(),
                "backdate_reason": _BACKDATE_REASON
                if (at.astimezone(VN_TZ).date() - replied).days > self.config.app.reply_backdate_limit_days
                else None,
            },
        )
        self.report.replies += 1
        task.status = TaskStatus.REPLIED
        task.version += 1
        self._event(
            task,
            at,
            EventAction.REPLIED,
            actor,
            note=f"Văn bản {code} ngày {_fmt(replied)}: {result}",
            from_unit=actor.unit_id,
            to_unit=self.office.id,
            flow_id=flow.id,
            transition=key,
            step=tr.step,
            from_state=previous,
        )

    def _extension(
        self, task: _TaskState, granted: date, new_deadline: date, reason: str, confirmation: int | None, at: datetime
    ) -> None:
        self._add(
            "extension",
            {
                "id": self._id("extension"),
                "task_id": task.id,
                "new_deadline": new_deadline,
                "granted_on": granted,
                "reason": reason,
                "confirmation_id": confirmation,
                "actor_id": self.tracker.user_id,
                "created_at": at,
            },
        )
        self.report.extensions += 1

    def _request(self, task: _TaskState, asked: date) -> dict[str, Any]:
        """A "not our remit" request of the lead unit's leader: its row, pending until decided."""
        unit = task.unit
        at = task.clock.at(asked)
        reason = self.rng.choice(_WRONG_UNIT)
        self._event(
            task,
            at,
            EventAction.WRONG_UNIT_REQUESTED,
            unit.staff.leader,
            note=reason,
            from_unit=unit.id,
            to_unit=self.office.id,
        )
        task.version += 1
        self.report.requests += 1
        return {
            "id": self._id("wrong_unit_request"),
            "task_id": task.id,
            "reason": reason,
            "requested_by": unit.staff.leader.user_id,
            "requested_at": at,
            "status": RequestStatus.PENDING.value,
            "decided_by": None,
            "decided_at": None,
            "decision_note": "",
            "new_task_id": None,
        }

    def _refuse(self, task: _TaskState, request: dict[str, Any], day: date) -> None:
        """VP UBND refuses the request: the unit keeps the task."""
        at = task.clock.at(day)
        note = self.rng.choice(_REFUSALS)
        request.update(
            status=RequestStatus.REFUSED.value, decided_by=self.tracker.user_id, decided_at=at, decision_note=note
        )
        self._office_event(
            task,
            at,
            EventAction.WRONG_UNIT_REFUSED,
            note=note,
            to_unit=task.unit.id,
        )
        task.version += 1

    # -- closings --

    def _close(self, task: _TaskState, reason: CloseReason, day: date, at: datetime) -> None:
        task.status, task.closed_reason, task.closed_on = TaskStatus.CLOSED, reason, day
        for flow in task.flows:
            if flow.active:
                flow.active, flow.updated_at = False, at
        task.version += 1
        self.report.closed += 1

    def _successor(
        self, old: _TaskState, unit: _Unit, day: date, at: datetime, deadline: date, content: str
    ) -> _TaskState:
        new = _TaskState(
            id=self._id("task"),
            document_id=old.document_id,
            document_code=old.document_code,
            assigned_on=day,
            unit=unit,
            deadline=deadline,
            content=content,
            seq=old.seq,
            created_at=at,
            clock=_Clock(self.rng),
            replaces_task_id=old.id,
        )
        new.clock.follow(old.clock)
        return new

    def _close_by_office(self, task: _TaskState, day: date, fate: str) -> _TaskState | None:
        """Thu hồi, or thay thế by a new task of the same document (which then lives its own life)."""
        rng = self.rng
        at = task.clock.at(day)
        if fate == "revoked":
            reason = rng.choice(_REVOKE)
            self._close(task, CloseReason.REVOKED, day, at)
            self._office_event(
                task,
                at,
                EventAction.REVOKED,
                note=reason,
                to_unit=task.unit.id,
            )
            return None
        reason = rng.choice(_REPLACE)
        self._close(task, CloseReason.REPLACED, day, at)
        unit = task.unit if rng.random() < 0.6 else self._distinct_units(1)[0]
        deadline = self.calendar.add_working_days(day, rng.choice((7, 10, 15, 20)))
        new = self._successor(task, unit, day, at, deadline, f"{task.content} (điều chỉnh)")
        self._office_event(
            task,
            at,
            EventAction.REPLACED,
            note=f"Thay thế bằng nhiệm vụ #{new.id}. Lý do: {reason}",
            to_unit=task.unit.id,
        )
        self._office_event(
            new,
            at,
            EventAction.ASSIGNED,
            note=f"Thay thế nhiệm vụ #{task.id}; hạn xử lý {_fmt(deadline)}",
            to_unit=unit.id,
        )
        return new

    def _wrong_unit(self, task: _TaskState, asked: date, decided: date) -> _TaskState:
        """The lead unit says the task is not its remit; VP UBND accepts and re-routes it."""
        rng, unit = self.rng, task.unit
        asked_at = task.clock.at(asked)
        reason = rng.choice(_WRONG_UNIT)
        self._event(
            task,
            asked_at,
            EventAction.WRONG_UNIT_REQUESTED,
            unit.staff.leader,
            note=reason,
            from_unit=unit.id,
            to_unit=self.office.id,
        )
        task.version += 1
        at = task.clock.at(decided)
        in_force = task.deadline_on(decided)
        deadline = in_force
        if in_force < decided + timedelta(days=3) or rng.random() < 0.5:
            deadline = self.calendar.add_working_days(decided, rng.choice((5, 10, 15)))
        others = [u for u in self.units if u is not unit]
        target = rng.choices(others, weights=[u.weight for u in others])[0]
        self._close(task, CloseReason.WRONG_UNIT, decided, at)
        new = self._successor(task, target, decided, at, deadline, task.content)
        new.coordinators = [u for u in task.coordinators if u is not target]
        self._add(
            "wrong_unit_request",
            {
                "id": self._id("wrong_unit_request"),
                "task_id": task.id,
                "reason": reason,
                "requested_by": unit.staff.leader.user_id,
                "requested_at": asked_at,
                "status": RequestStatus.ACCEPTED.value,
                "decided_by": self.tracker.user_id,
                "decided_at": at,
                "decision_note": "",
                "new_task_id": new.id,
            },
        )
        self.report.requests += 1
        self._office_event(
            task,
            at,
            EventAction.WRONG_UNIT_ACCEPTED,
            note=f"Đã hoàn thành về thủ tục (không tính cho đơn vị); chuyển {target.unit.short_name} "
            f"(nhiệm vụ #{new.id}).",
            to_unit=unit.id,
        )
        self._office_event(
            new,
            at,
            EventAction.REROUTED,
            note=f"Chuyển từ nhiệm vụ #{task.id} (không đúng đơn vị); hạn xử lý {_fmt(deadline)}",
            to_unit=target.id,
        )
        archived = decided + timedelta(days=_ri(rng, 0, 10))
        if rng.random() < 0.6 and archived <= self.today:
            self._event(
                task,
                task.clock.at(archived),
                EventAction.ARCHIVED,
                unit.staff.clerk,
                note="Lưu kết thúc văn bản giao nhiệm vụ (không thuộc chức năng của đơn vị)",
                from_unit=unit.id,
            )
            task.version += 1
        return new

    def _write_task(self, task: _TaskState) -> None:
        self._add(
            "task",
            {
                "id": task.id,
                "document_id": task.document_id,
                "seq": task.seq,
                "content": task.content,
                "content_folded": fold(task.content),
                "lead_unit_id": task.unit.id,
                "deadline": task.deadline,
                "status": task.status.value,
                "tracker_id": self.tracker.user_id,
                "created_by": self.tracker.user_id,
                "created_at": task.created_at,
                "closed_reason": task.closed_reason.value if task.closed_reason else None,
                "closed_on": task.closed_on,
                "replaces_task_id": task.replaces_task_id,
                "version": task.version,
            },
        )
        for coordinator in task.coordinators:
            self._add("task_coordinator", {"task_id": task.id, "unit_id": coordinator.id})
        for flow in task.flows:
            self._add("flow", {**flow.row(), "config_version_id": self.config_version_id})
        self.report.flows += len(task.flows)
        self.report.tasks += 1

    def finish(self) -> None:
        """The rest of the buffers; on PostgreSQL the id sequences move past the ids written."""
        self.flush()
        if self.session.get_bind().dialect.name == "postgresql":
            for name in _ID_TABLES:
                self.session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM {name}))")
                )


def _notes(rng: random.Random) -> int:
    roll = rng.random()
    return 0 if roll < 0.75 else 1 if roll < 0.93 else 2


_SMALL_GAPS = (0, 0, 1, 1, 1, 2, 3)  # days between two steps that are paperwork


def _spread(rng: random.Random, steps: Sequence[tuple[str, TransitionDef]], start: date, end: date) -> list[date]:
    """The steps' dates from ``start`` to ``end`` (the last step on ``end``): paperwork steps a day
    or two apart, and the long wait where the work is done, after the step that hands the flow to a
    specialist (drafting, or sub-units at work) - not months before a leader's bút phê."""
    span = max(0, (end - start).days)
    gaps = [rng.choice(_SMALL_GAPS) for _ in steps]
    handed = next((i + 1 for i, (_, tr) in enumerate(steps[:-1]) if tr.choose_assignee), len(steps) - 1)
    small = sum(gaps)
    if small > span:  # a short deadline: everything moves faster
        gaps = [gap * span // small for gap in gaps]
    else:
        gaps[handed] += span - small
    days: list[date] = []
    day = start
    for gap in gaps:
        day = min(end, day + timedelta(days=gap))
        days.append(day)
    days[-1] = end
    return days


def _with_returns(path: _Path, rng: random.Random) -> list[tuple[str, TransitionDef]]:
    """The path's steps, with a returned draft (and its second submission) now and then."""
    steps: list[tuple[str, TransitionDef]] = []
    for index, step in enumerate(path.steps):
        steps.append(step)
        back = path.returns.get(index)
        if back is not None and rng.random() < 0.08:
            steps.extend((back, step))
    return steps


def _actor_for(tr: TransitionDef, unit: _Unit, flow: _FlowRow) -> Actor:
    """Who fires the transition: the assignee where it says so, else the unit's person of a role it names."""
    staff = unit.staff
    if tr.assignee and flow.assignee_id == staff.specialist.user_id:
        return staff.specialist
    for role, actor in ((Role.CLERK, staff.clerk), (Role.LEADER, staff.leader), (Role.SPECIALIST, staff.specialist)):
        if role in tr.roles:
            return actor
    return staff.specialist


_ID_TABLES = ("document", "task", "flow", "confirmation", "extension", "task_event", "wrong_unit_request")
_INSERT_ORDER = (
    "document",
    "task",
    "task_coordinator",
    "flow",
    "reply",
    "confirmation",
    "extension",
    "wrong_unit_request",
    "task_event",
)


_T = SQLModel.metadata.tables
_EVENT_COLUMNS = (
    "id",
    "task_id",
    "at",
    "action",
    "actor_id",
    "actor_name",
    "actor_role",
    "actor_unit_id",
    "from_unit_id",
    "to_unit_id",
    "note",
    "flow_id",
    "transition",
    "step",
    "from_state",
    "to_user_name",
)


def _same(value: datetime) -> datetime:
    return value


def _sqlite_datetime(value: datetime) -> str:
    """As SQLAlchemy stores a DATETIME in SQLite: the fields of the UTC moment (every moment
    written here is UTC already), microseconds always."""
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


class _Writer:
    """One table's INSERT in the driver's own terms, and its rows as the driver takes them.

    SQLite gets what SQLAlchemy's types would send (dates and datetimes as text in SQLAlchemy's
    format, booleans as 0/1); psycopg adapts dates, datetimes and booleans itself."""

    def __init__(self, table: Table, dialect: str) -> None:
        self.columns = tuple(c.name for c in table.columns)
        marker = "?" if dialect == "sqlite" else "%s"
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(self.columns)}) VALUES ({', '.join([marker] * len(self.columns))})"
        )
        self.copy = f"COPY {table.name} ({', '.join(self.columns)}) FROM STDIN" if dialect == "postgresql" else None
        self.pick = itemgetter(*self.columns)
        self.convert: list[tuple[int, Callable[[Any], Any]]] = []
        if dialect == "sqlite":
            for index, column in enumerate(table.columns):
                kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
                if isinstance(kind, DateTime):  # sqlmodel's UTCDateTime too: the UTC moment's fields
                    self.convert.append((index, _sqlite_datetime))
                elif isinstance(kind, Date):
                    self.convert.append((index, date.isoformat))
                elif isinstance(kind, Boolean):
                    self.convert.append((index, int))

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        picked = self.pick(row)
        if not self.convert:
            return tuple(picked)
        values = list(picked)
        for index, convert in self.convert:
            if values[index] is not None:
                values[index] = convert(values[index])
        return tuple(values)


def analyze(session: Session) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL: VACUUM ANALYZE, outside a transaction)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.commit()
        engine = bind.engine
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()


@contextmanager
def _one_transaction(session: Session) -> Iterator[None]:
    """Let ``demo.seed``'s account creation (``create_user`` commits each account) flush instead,
    and commit once at the end: on a loaded disk 140 commits take seconds."""
    session.commit = session.flush  # type: ignore[method-assign]
    try:
        yield
    finally:
        del session.commit


@contextmanager
def _roomy_cache(session: Session) -> Iterator[None]:
    """SQLite: a 256 MiB page cache for the load (inserts into the indexes land on pages all over
    the file; the default 2 MiB makes them go to the OS for most of them), the old size after."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
    session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
    try:
        yield
    finally:
        session.connection().exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")
        session.commit()


def generate_tasks(
    *, session: Session, config: AppConfig, tasks: int, today: date, seed: int = 1, run_analyze: bool = True
) -> GenerateReport:
    """Add ``tasks`` tasks with their histories to the database, as of ``today``; commits.

    Runs again add as many more (ids and document numbers continue). The demo accounts come first
    (``ensure_demo_accounts``) and every lead unit and sub-unit gets its clerk, leader and
    specialist (``unit_staff``), who act in the journal.
    """
    if tasks < 1:
        raise ValueError("tasks must be >= 1")
    began = time.perf_counter()
    report = GenerateReport()
    with _one_transaction(session):  # a hundred accounts, one commit instead of one each
        ensure_demo_accounts(session=session, config=config)
        generator = _Generator(session, config, today, seed, report)
    session.commit()
    with _roomy_cache(session):
        for planned in generator.plan(tasks):
            generator.document(planned)
        generator.finish()
        # what a person would still find in Thông báo: the open tasks' latest entries, as an
        # import leaves them (no plugin channel is called for a history nobody lived)
        report.notifications = notify_what_is_left(session=session)
        report.insert_seconds = time.perf_counter() - began
        spans_began = time.perf_counter()
        # One transaction: the new tasks, their spans and the new data version commit together
        # (rebuild_all_spans commits), so no reader sees tasks without spans or a stale cache key.
        bump_data_version(session=session)
        report.spans = rebuild_all_spans(session=session)
        report.spans_seconds = time.perf_counter() - spans_began
    if run_analyze:
        analyze_began = time.perf_counter()
        analyze(session)
        report.analyze_seconds = time.perf_counter() - analyze_began
    report.seconds = time.perf_counter() - began
    return report


__all__ = ["GenerateReport", "analyze", "generate_tasks"]
