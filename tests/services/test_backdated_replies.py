"""A reply dated back: refused beyond ``reply_backdate_limit_days`` without a reason, flagged with one.

The figures judge a reply by its own date, and the clerk types it. The finding behind these tests:
on a task 20 days overdue the clerk dated the reply one day before the deadline, and the task
became "đúng hạn" at once. The rule of the figures stays (a reply is judged against the deadline in
force on its date); what changes is that such a reply cannot be entered silently: it needs "Lý do
ghi lùi ngày", it carries both dates and the reason (document, journal, the confirmation queue, the
lists), and it is never dated before its draft was approved or before the task was assigned.

Run on SQLite and on PostgreSQL (``GIAOVIEC_TEST_BACKEND=postgresql``), like every service test.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import ActionKey, Document, DocumentKind, EventAction, Task, TaskClass, TaskEvent, TaskSpan
from models.schemas import ReplyInput
from services.access.permissions import Actor
from services.actions.confirmation import list_pending
from services.actions.registry import perform
from services.config.loader import AppConfig, ConfigError, load_config
from services.infra.clock import local_date
from services.infra.data_version import current_data_version
from services.infra.database import ROOT
from services.infra.errors import InvalidInput
from services.runtime import Runtime
from services.stats.statistics import make_period, tasks_behind
from services.tasks.queries import get_task_detail, list_unit_tasks
from services.workflow.engine import main_flow
from tests.actions import decide_wrong_unit, fire, request_wrong_unit
from tests.conftest import FINANCE, PLEIKU, at
from tests.services.support import assign, confirm, reply_data, staff, task, walk_to_issue

ASSIGNED = date(2026, 3, 2)
DEADLINE = date(2026, 3, 10)
REASON = "Văn bản ký ngày 09/03 nhưng văn thư nghỉ ốm, đến nay mới vào sổ *gấp* [xem](http://x)"


@pytest.fixture
def tid(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> int:
    """One task of Sở Tài chính, assigned 02/03/2026, deadline 10/03/2026."""
    _, (task_id,) = assign(
        runtime,
        session,
        actors["tracker"],
        code="70/UBND-TH",
        issued=ASSIGNED,
        tasks=[task("Báo cáo kết quả rà soát", FINANCE, DEADLINE)],
    )
    return task_id


def _reply(
    runtime: Runtime,
    session: Session,
    task_id: int,
    *,
    dated: date,
    entered: date,
    reason: str = "",
    config: AppConfig | None = None,
    code: str | None = None,
) -> Any:
    """The clerk of Sở Tài chính issues the reply dated ``dated`` on ``entered`` (the flow is at ban hành)."""
    clerk = staff(runtime, session, FINANCE).clerk
    data = ReplyInput(**reply_data(code or f"{task_id}/STC-VP", dated).model_dump(), note="").model_copy(
        update={"backdate_reason": reason}
    )
    return perform(
        session=session,
        actor=clerk,
        config=config or runtime.config,
        task_id=task_id,
        action=ActionKey.REPLY,
        data=data,
        now=at(entered, 15),
    )


def _footprint(session: Session, task_id: int) -> tuple[Any, ...]:
    """What a refused reply must leave as it was: the task, its journal, its spans, the documents."""
    session.expire_all()
    current = session.get(Task, task_id)
    assert current is not None
    spans = session.exec(
        select(TaskSpan.valid_from, TaskSpan.valid_to, TaskSpan.task_class)
        .where(TaskSpan.task_id == task_id)
        .order_by(col(TaskSpan.valid_from))
    ).all()
    events = session.exec(select(func.count()).select_from(TaskEvent).where(TaskEvent.task_id == task_id)).one()
    documents = session.exec(select(func.count()).select_from(Document)).one()
    return current.version, current.status, events, list(spans), documents, current_data_version(session=session)


def _the_reply(session: Session, task_id: int) -> Document:
    return session.exec(select(Document).where(Document.task_id == task_id, Document.kind == DocumentKind.REPLY)).one()


def _reply_event(session: Session, task_id: int) -> TaskEvent:
    return session.exec(
        select(TaskEvent).where(TaskEvent.task_id == task_id, TaskEvent.action == EventAction.REPLIED)
    ).one()


def test_within_the_limit_accepted_unflagged(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tid: int
) -> None:
    """Dated Wednesday 25/03, entered Saturday 28/03: three days, the limit; nothing is asked, a
    reason typed anyway is not kept (nothing to flag), and the entry day is kept."""
    walk_to_issue(runtime, session, tid, now=at(date(2026, 3, 25)))
    _reply(runtime, session, tid, dated=date(2026, 3, 25), entered=date(2026, 3, 28), reason="Không cần")
    answer = _the_reply(session, tid)
    assert (answer.issue_date, answer.entered_on, answer.backdate_reason) == (
        date(2026, 3, 25),
        date(2026, 3, 28),
        None,
    )
    assert "ghi lùi" not in _reply_event(session, tid).note
    [pending] = list_pending(session=session, actor=actors["tracker"], today=date(2026, 3, 28))
    assert (pending.reply_date, pending.entered_on, pending.backdated) == (date(2026, 3, 25), date(2026, 3, 28), False)


def test_twenty_days_overdue_dated_before_the_deadline_needs_a_reason_and_is_flagged(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tid: int
) -> None:
    """The finding: the draft was approved on 09/03, the reply is entered on 30/03 (20 days after
    the deadline) dated 09/03. Without a reason: refused, and the task, its journal, its spans and
    the data version are as they were. With one: accepted, flagged everywhere a person judges or
    reports it; the figure still follows the reply's date (the rule does not change)."""
    walk_to_issue(runtime, session, tid, now=at(date(2026, 3, 9)))
    entered = date(2026, 3, 30)
    before = _footprint(session, tid)
    with pytest.raises(InvalidInput) as refused:
        _reply(runtime, session, tid, dated=date(2026, 3, 9), entered=entered)
    assert refused.value.field == "backdate_reason"
    assert refused.value.message == (
        "Văn bản trả lời ghi lùi ngày: ngày văn bản 09/03/2026 sớm hơn ngày nhập 30/03/2026 21 ngày "
        "(quá 3 ngày). Nhập “Lý do ghi lùi ngày”: Văn phòng UBND tỉnh sẽ thấy cả hai ngày và lý do khi "
        "xác nhận kết quả."
    )
    assert _footprint(session, tid) == before
    with pytest.raises(InvalidInput):  # blank is no reason
        _reply(runtime, session, tid, dated=date(2026, 3, 9), entered=entered, reason="   ")
    assert _footprint(session, tid) == before

    result = _reply(runtime, session, tid, dated=date(2026, 3, 9), entered=entered, reason=REASON)
    assert "trả lời ghi lùi ngày" in result.outcome.message
    answer = _the_reply(session, tid)
    assert (answer.issue_date, answer.entered_on, answer.backdate_reason) == (date(2026, 3, 9), entered, REASON)
    # the journal entry of the reply carries the flag: both dates and the reason
    assert _reply_event(session, tid).note == (
        f"Văn bản {tid}/STC-VP ngày 09/03/2026: Đã thực hiện\n"
        f"Trả lời ghi lùi ngày: văn bản ngày 09/03/2026, nhập ngày 30/03/2026 (21 ngày sau). "
        f"Lý do ghi lùi ngày: {REASON}"
    )
    # the confirmation queue: both dates and the reason, before anybody judges
    [pending] = list_pending(session=session, actor=actors["tracker"], today=entered)
    assert (pending.reply_date, pending.entered_on, pending.backdate_reason, pending.backdated, pending.on_time) == (
        date(2026, 3, 9),
        entered,
        REASON,
        True,
        True,
    )
    # the task page's replies, and the lists: the unit's own, and the statistics' drill-down
    detail = get_task_detail(session=session, actor=actors["clerk"], task_id=tid, today=entered, due_soon_days=3)
    [shown] = detail.replies
    assert (shown.entered_on, shown.backdate_reason, shown.backdated, detail.row.backdated_reply) == (
        entered,
        REASON,
        True,
        True,
    )
    [row] = list_unit_tasks(session=session, actor=actors["clerk"], today=entered, due_soon_days=3)
    assert (row.task_id, row.backdated_reply) == (tid, True)

    confirm(runtime, session, actors["tracker"], tid, on=date(2026, 3, 31))
    done = session.exec(
        select(TaskEvent).where(TaskEvent.task_id == tid, TaskEvent.action == EventAction.CONFIRMED_DONE)
    ).one()
    assert done.note == (
        f"Hoàn thành đúng hạn (văn bản {tid}/STC-VP ngày 09/03/2026, hạn 10/03/2026; "
        "trả lời ghi lùi ngày, nhập ngày 30/03/2026)."
    )
    period = make_period(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), today=date(2026, 3, 31))
    [behind] = tasks_behind(
        session=session, actor=actors["tracker"], period=period, due_soon_days=3, task_class=TaskClass.DONE_ON_TIME
    )
    assert (behind.task_id, behind.state.task_class, behind.backdated_reply) == (tid, TaskClass.DONE_ON_TIME, True)


def test_never_dated_before_the_approval_of_its_draft(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tid: int
) -> None:
    """The leader approved the draft (bước 4 · duyệt) on 20/03: a reply dated 09/03 would be a
    document issued before anybody approved it. Refused even with a reason, naming that step and
    its day; dated on the day of the approval it goes through."""
    walk_to_issue(runtime, session, tid, now=at(date(2026, 3, 20)))
    before = _footprint(session, tid)
    with pytest.raises(InvalidInput) as refused:
        _reply(runtime, session, tid, dated=date(2026, 3, 9), entered=date(2026, 3, 21), reason=REASON)
    assert refused.value.field == "issue_date"
    assert refused.value.message == (
        "Ngày văn bản trả lời 09/03/2026 trước ngày dự thảo được duyệt: Bước 4 · Duyệt, chuyển văn thư "
        "ban hành ngày 20/03/2026. Văn bản trả lời chỉ ban hành được từ ngày đó."
    )
    assert _footprint(session, tid) == before
    _reply(runtime, session, tid, dated=date(2026, 3, 20), entered=date(2026, 3, 21))
    assert _the_reply(session, tid).backdate_reason is None


def test_the_approval_that_counts_is_the_last_one(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tid: int
) -> None:
    """A draft returned (trả lại dự thảo) and approved again: the reply counts from the approval the
    issued text went through (16/03), not the first one; and after "chưa hoàn thành" a new round's
    reply counts from that round's approval, not the last round's."""
    team = staff(runtime, session, FINANCE)
    flow = main_flow(session=session, task_id=tid)
    assert flow is not None and flow.id is not None
    for transition, who, day, extra in (
        ("vao_so", team.clerk, 3, {}),
        ("but_phe", team.leader, 3, {"assignee_id": team.specialist.user_id}),
        ("trinh_du_thao", team.specialist, 4, {}),
        ("duyet", team.leader, 5, {}),
    ):
        fire(
            session=session,
            actor=who,
            config=runtime.config,
            flow_id=flow.id,
            transition=transition,
            now=at(date(2026, 3, day)),
            **extra,
        )
    _reply(runtime, session, tid, dated=date(2026, 3, 5), entered=date(2026, 3, 6))
    confirm(runtime, session, actors["tracker"], tid, on=date(2026, 3, 9), done=False, reason="Thiếu số liệu")
    flow = main_flow(session=session, task_id=tid)
    assert flow is not None and flow.id is not None
    for transition, who, day, extra in (
        ("vao_so", team.clerk, 10, {}),
        ("but_phe", team.leader, 10, {"assignee_id": team.specialist.user_id}),
        ("trinh_du_thao", team.specialist, 11, {}),
        ("tra_lai_du_thao", team.leader, 12, {"note": "Bổ sung số liệu quý I"}),
        ("trinh_du_thao", team.specialist, 13, {}),
        ("duyet", team.leader, 16, {}),
    ):
        fire(
            session=session,
            actor=who,
            config=runtime.config,
            flow_id=flow.id,
            transition=transition,
            now=at(date(2026, 3, day)),
            **extra,
        )
    with pytest.raises(InvalidInput) as refused:
        _reply(runtime, session, tid, dated=date(2026, 3, 11), entered=date(2026, 3, 16), code="2/STC-VP")
    assert "trước ngày dự thảo được duyệt: Bước 4 · Duyệt, chuyển văn thư ban hành ngày 16/03/2026" in (
        refused.value.message
    )
    _reply(runtime, session, tid, dated=date(2026, 3, 16), entered=date(2026, 3, 16), code="2/STC-VP")


def test_never_dated_before_a_rerouted_task_was_given_to_the_unit(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tid: int
) -> None:
    """VP UBND re-routes the task to UBND TP Pleiku on 15/03: Pleiku's reply may not be dated
    14/03 (the document is of 02/03, but the task was Pleiku's only from 15/03)."""
    request = request_wrong_unit(
        session=session, actor=actors["leader"], task_id=tid, reason="Không thuộc chức năng", now=at(date(2026, 3, 5))
    )
    assert request.id is not None
    new = decide_wrong_unit(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        request_id=request.id,
        accept=True,
        new_lead_unit_code=PLEIKU,
        new_deadline=date(2026, 3, 25),
        now=at(date(2026, 3, 15)),
    )
    assert new is not None and new.id is not None
    team = walk_to_issue(runtime, session, new.id, now=at(date(2026, 3, 15)))
    with pytest.raises(InvalidInput) as refused:
        perform(
            session=session,
            actor=team.clerk,
            config=runtime.config,
            task_id=new.id,
            action=ActionKey.REPLY,
            data=ReplyInput(**reply_data("5/UBND-PL", date(2026, 3, 14)).model_dump()),
            now=at(date(2026, 3, 16)),
        )
    assert refused.value.message == (
        "Ngày văn bản trả lời 14/03/2026 trước ngày nhiệm vụ được giao cho đơn vị (15/03/2026)."
    )


def test_the_limit_is_the_provinces(runtime: Runtime, session: Session, tid: int) -> None:
    """With ``reply_backdate_limit_days: 0`` a reply dated yesterday already needs a reason."""
    strict = runtime.config.model_copy(
        update={"app": runtime.config.app.model_copy(update={"reply_backdate_limit_days": 0})}
    )
    walk_to_issue(runtime, session, tid, now=at(date(2026, 3, 8)))
    with pytest.raises(InvalidInput) as refused:
        _reply(runtime, session, tid, dated=date(2026, 3, 8), entered=date(2026, 3, 9), config=strict)
    assert "sớm hơn ngày nhập 09/03/2026 1 ngày (quá 0 ngày)" in refused.value.message
    _reply(
        runtime, session, tid, dated=date(2026, 3, 8), entered=date(2026, 3, 9), reason="Ký chiều tối", config=strict
    )
    assert _the_reply(session, tid).backdate_reason == "Ký chiều tối"


@pytest.mark.parametrize("value", [-1, 61, "ba ngày"])
def test_the_limit_is_validated(tmp_path: Path, value: object) -> None:
    """A bad value stops the start, naming the file and the field."""
    target = tmp_path / "config"
    target.mkdir()
    for source in (ROOT / "config").glob("*.yaml"):
        (target / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    app = target / "app.yaml"
    data = yaml.safe_load(app.read_text(encoding="utf-8"))
    data["reply_backdate_limit_days"] = value
    app.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(target)
    assert "app.yaml" in str(caught.value) and "reply_backdate_limit_days" in str(caught.value)


def test_the_shipped_limit_is_three_days() -> None:
    assert load_config(ROOT / "config").app.reply_backdate_limit_days == 3


def test_migration_0009_fills_the_entry_day_of_older_replies(runtime: Runtime, session: Session, tid: int) -> None:
    """Down to 0008 and up again: a reply entered before 0009 gets the Vietnamese day of its
    ``created_at`` (entered at 23:30 on 10/03 Vietnam time, 16:30 UTC), and no flag."""
    walk_to_issue(runtime, session, tid, now=at(date(2026, 3, 10)))
    _reply(runtime, session, tid, dated=date(2026, 3, 10), entered=date(2026, 3, 10))
    answer = _the_reply(session, tid)
    late_evening = at(date(2026, 3, 10), 23).replace(minute=30)
    answer.created_at = late_evening
    session.add(answer)
    session.commit()
    session.close()
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    for action, revision in (("downgrade", "0008"), ("upgrade", "head")):
        with runtime.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            getattr(command, action)(cfg, revision)
    with Session(runtime.engine) as fresh:
        again = _the_reply(fresh, tid)
        assert (again.entered_on, again.backdate_reason) == (local_date(late_evening), None)
        assert again.entered_on == date(2026, 3, 10)


def test_generated_history_obeys_the_reply_rules(runtime: Runtime, session: Session) -> None:
    """``manage.py generate`` writes the rows the services would have written: every reply carries
    the day it was entered, one entered more than the limit after its date carries a reason, and
    none is dated before the step that approved its draft on its flow."""
    from demo.generate import generate_tasks  # the product code never imports demo

    generate_tasks(session=session, config=runtime.config, tasks=300, today=date(2026, 11, 26), seed=5)
    limit = runtime.config.app.reply_backdate_limit_days
    replies = session.exec(select(Document).where(Document.kind == DocumentKind.REPLY)).all()
    assert len(replies) > 100
    for answer in replies:
        assert answer.entered_on == local_date(answer.created_at), answer.code
        behind = (answer.entered_on - answer.issue_date).days
        assert (answer.backdate_reason is not None) == (behind > limit), (answer.code, behind)
        issued = session.exec(
            select(TaskEvent).where(
                TaskEvent.task_id == answer.task_id,
                TaskEvent.action == EventAction.REPLIED,
                col(TaskEvent.note).startswith(f"Văn bản {answer.code} "),
            )
        ).one()
        approved = session.exec(
            select(TaskEvent.at)
            .where(
                TaskEvent.flow_id == issued.flow_id,
                TaskEvent.action == EventAction.STEP,
                col(TaskEvent.at) <= issued.at,
            )
            .order_by(col(TaskEvent.at).desc())
        ).first()
        assert approved is not None and local_date(approved) <= answer.issue_date, answer.code
