"""The data generator (``demo/generate.py``): its histories are what the services would have written.

The generator bypasses the services for speed, so these tests check its output against the
services' own rules: every class occurs, statuses follow from the facts, each task's version counts
its actions, open tasks carry one active main flow, a generated task accepts real actions through
``perform`` and its page loads, and the statistics read from the rebuilt spans equal ``classify``.
One history of 1 500 tasks is generated once for the module; each test gets a copy of it.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from demo.generate import GenerateReport, generate_tasks
from demo.seed import unit_staff
from models import (
    ActionKey,
    CloseReason,
    Confirmation,
    ConfirmOutcome,
    Document,
    DocumentKind,
    EventAction,
    Extension,
    Flow,
    Notification,
    NotificationKind,
    OrgUnit,
    RequestStatus,
    Role,
    Task,
    TaskClass,
    TaskEvent,
    TaskStatus,
    User,
    WrongUnitRequest,
)
from models.schemas import ConfirmationCreate, NoteInput
from services.access.permissions import Actor, build_actor
from services.actions.registry import offers, perform
from services.actions.workbench import task_workbench
from services.infra.clock import local_date
from services.journal.events import events_of
from services.journal.timeline import describe_timeline
from services.notifications.center import unread_count
from services.notifications.recipients import NOTIFIED
from services.runtime import Runtime
from services.stats.classify import classify, done_on, load_facts
from services.stats.statistics import in_scope, make_period, unit_statistics
from services.tasks.queries import get_task_detail
from tests.conftest import at
from tests.services.support import FAST_HASHER, database_handle, release, runtime_on_copy

TODAY = date(2026, 11, 26)
TASKS = 1500


@pytest.fixture(scope="module")
def _generated(
    tmp_path_factory: pytest.TempPathFactory, _template_runtime: tuple[Runtime, Path | str]
) -> tuple[Runtime, Path | str, GenerateReport]:
    """1 500 generated tasks, built once into a copy of the migrated template."""
    template, database = _template_runtime
    built = runtime_on_copy(database, tmp_path_factory.mktemp("generated"), template)
    with pytest.MonkeyPatch.context() as patch, Session(built.engine, expire_on_commit=False) as session:
        patch.setattr("services.access.accounts.hash_password", FAST_HASHER.hash)
        report = generate_tasks(session=session, config=built.config, tasks=TASKS, today=TODAY, seed=3)
    print(f"generated: {report.summary()}")
    built.engine.dispose()
    return template, database_handle(built), report


@pytest.fixture
def runtime(tmp_path: Path, _generated: tuple[Runtime, Path | str, GenerateReport]) -> Iterator[Runtime]:
    """Overrides the suite's ``runtime``: a copy of the generated database."""
    template, database, _ = _generated
    runtime = runtime_on_copy(database, tmp_path, template)
    yield runtime
    release(runtime)


@pytest.fixture
def report(_generated: tuple[Runtime, Path | str, GenerateReport]) -> GenerateReport:
    return _generated[2]


def _actor(runtime: Runtime, session: Session, username: str) -> Actor:
    user = session.exec(select(User).where(User.username == username)).one()
    actor = build_actor(session=session, config=runtime.config, user_id=user.id or 0)
    assert actor is not None
    return actor


def test_every_kind_of_history_occurs(session: Session, report: GenerateReport) -> None:
    """All four classes as of today, "not done" rounds with their new deadline, every way of
    closing, wrong-unit requests in each state, and exactly the tasks asked for."""
    tasks = session.exec(select(Task)).all()
    assert len(tasks) == TASKS == report.tasks
    facts = load_facts(session=session)
    classes = Counter(classify(f, TODAY).task_class for f in facts.values() if f.closed_on is None)
    assert set(classes) == set(TaskClass), classes
    assert min(classes.values()) >= 20, classes
    awaiting = sum(1 for f in facts.values() if f.closed_on is None and classify(f, TODAY).awaiting_confirmation)
    assert awaiting >= 5

    not_done = session.exec(select(Confirmation).where(Confirmation.outcome == ConfirmOutcome.NOT_DONE)).all()
    assert len(not_done) >= 30
    granted = {e.confirmation_id: e for e in session.exec(select(Extension)).all()}
    for verdict in not_done:  # a "not done" verdict comes with a new deadline from its day
        extension = granted[verdict.id]
        assert extension.granted_on == verdict.confirmed_on <= extension.new_deadline
    replied_again = sum(1 for f in facts.values() if len(f.replies) > 1)  # a new round after "not done"
    assert replied_again >= 20
    assert any(e.confirmation_id is None for e in granted.values())  # a deadline update by VP UBND

    reasons = Counter(t.closed_reason for t in tasks if t.closed_reason is not None)
    assert set(reasons) == set(CloseReason), reasons
    successors = [t for t in tasks if t.replaces_task_id is not None]
    assert len(successors) == reasons[CloseReason.WRONG_UNIT] + reasons[CloseReason.REPLACED]
    requests = Counter(r.status for r in session.exec(select(WrongUnitRequest)).all())
    assert requests[RequestStatus.ACCEPTED] == reasons[CloseReason.WRONG_UNIT]
    assert requests[RequestStatus.REFUSED] >= 1 and requests[RequestStatus.PENDING] >= 1

    documents = Counter(t.document_id for t in tasks if t.replaces_task_id is None)
    assert 0.6 < sum(1 for n in documents.values() if n == 1) / len(documents) < 0.9
    assert max(documents.values()) >= 3
    dates = [d.issue_date for d in session.exec(select(Document).where(Document.kind == DocumentKind.ASSIGNMENT))]
    assert max(dates) <= TODAY and min(dates) >= date(2024, 11, 1)
    assert sum(1 for d in dates if (TODAY - d).days <= 180) > sum(1 for d in dates if (TODAY - d).days > 540)
    late = [f for f in facts.values() if f.replies and max(r.reply_date for r in f.replies) > f.deadline]
    assert len(late) >= 50
    replies = session.exec(select(Document).where(Document.kind == DocumentKind.REPLY)).all()
    assert sum(1 for r in replies if local_date(r.created_at) > r.issue_date) >= 20  # entered after their date
    workflows = Counter(f.workflow for f in session.exec(select(Flow).where(col(Flow.parent_flow_id).is_not(None))))
    assert {"truong_hop_1_truc_thuoc", "truong_hop_2_truc_thuoc"} <= set(workflows)  # sub-units at work


def test_what_is_left_to_do_is_in_thong_bao(session: Session, report: GenerateReport) -> None:
    """The notifications a person would still find: each open task's latest notified entries (the
    task import's rule), never one of a task replied, done or closed, never of one's own act, each
    person once per entry, unread; the assignments and verdicts to the lead unit's clerks and
    leaders."""
    notes = session.exec(select(Notification)).all()
    assert len(notes) == report.notifications > 100
    tasks = {t.id: t for t in session.exec(select(Task)).all()}
    users = {u.id: u for u in session.exec(select(User)).all()}
    events = {e.id: e for e in session.exec(select(TaskEvent)).all()}
    latest: dict[int, datetime] = {}
    for entry in events.values():
        if entry.action in NOTIFIED and (entry.task_id not in latest or entry.at > latest[entry.task_id]):
            latest[entry.task_id] = entry.at
    kinds: Counter[NotificationKind] = Counter()
    for note in notes:
        entry, task = events[note.event_id], tasks[note.task_id]
        assert entry.task_id == task.id and task.status is TaskStatus.OPEN
        assert entry.at == latest[task.id] == note.created_at  # the task's latest notified entry
        assert note.user_id != entry.actor_id and note.read_at is None
        kind = NotificationKind(note.kind)
        kinds[kind] += 1
        if kind in (NotificationKind.NEW_TASK, NotificationKind.VERDICT):
            person = users[note.user_id]
            assert person.unit_id == task.lead_unit_id and Role(person.role) in (Role.CLERK, Role.LEADER)
    assert {NotificationKind.NEW_TASK, NotificationKind.STEP_WAITING} <= set(kinds), kinds
    assert len({(n.user_id, n.event_id) for n in notes}) == len(notes)
    # an open task whose latest entry is its assignment, or a "not done" verdict: every active
    # clerk and leader of its lead unit is told of exactly that entry
    told_of = {(n.user_id, n.event_id) for n in notes}
    to_lead_unit = (EventAction.ASSIGNED, EventAction.REROUTED, EventAction.CONFIRMED_NOT_DONE)
    checked = 0
    for entry in events.values():
        task = tasks[entry.task_id]
        if task.status is not TaskStatus.OPEN or entry.at != latest.get(task.id) or entry.action not in to_lead_unit:
            continue
        lead = {
            u.id
            for u in users.values()
            if u.unit_id == task.lead_unit_id and u.active and Role(u.role) in (Role.CLERK, Role.LEADER)
        }
        assert lead and all((user_id, entry.id) in told_of for user_id in lead - {entry.actor_id})
        checked += 1
    assert checked >= 10
    waiting = [t for t in tasks.values() if t.status is TaskStatus.OPEN and t.id in latest]
    told = {n.task_id for n in notes}
    assert len(told) > 0.5 * len(waiting)  # most open tasks wait for somebody who is told
    clerk = session.exec(select(User).where(User.username == "stc.vanthu")).one()
    assert unread_count(session=session, user_id=clerk.id or 0) == sum(1 for n in notes if n.user_id == clerk.id) > 0


def test_statuses_flows_and_versions_agree_with_the_history(runtime: Runtime, session: Session) -> None:
    """Status from the facts, one active main flow per live task (none once closed), the journal
    opens every task, replies follow the services' date rules, and the version counts the actions."""
    facts = load_facts(session=session)
    flows: dict[int, list[Flow]] = defaultdict(list)
    workflows = runtime.config.workflows.workflows
    for flow in session.exec(select(Flow)).all():
        flows[flow.task_id].append(flow)
        assert flow.state in workflows[flow.workflow].states, (flow.id, flow.workflow, flow.state)
    events: dict[int, list[TaskEvent]] = defaultdict(list)
    for event in session.exec(select(TaskEvent)).all():
        events[event.task_id].append(event)
    reasons = {t.id: t.closed_reason for t in session.exec(select(Task)).all()}
    assignments = {d.id: d for d in session.exec(select(Document).where(Document.kind == DocumentKind.ASSIGNMENT))}
    for task in session.exec(select(Task)).all():
        assert task.id is not None
        fact = facts[task.id]
        confirmed = {c.reply_id for c in fact.confirmations}
        if task.closed_on is not None:
            expected = TaskStatus.CLOSED
        elif done_on(fact) is not None:
            expected = TaskStatus.DONE
        elif any(r.reply_id not in confirmed for r in fact.replies):
            expected = TaskStatus.REPLIED
        else:
            expected = TaskStatus.OPEN
        assert task.status is expected, (task.id, task.status, fact)
        active_main = [f for f in flows[task.id] if f.active and f.parent_flow_id is None]
        assert len(active_main) == (0 if expected is TaskStatus.CLOSED else 1), task.id
        if expected is TaskStatus.REPLIED or expected is TaskStatus.DONE:
            assert active_main[0].state == "da_ban_hanh"
        first = min(events[task.id], key=lambda e: e.id or 0)
        rerouted = task.replaces_task_id is not None and reasons[task.replaces_task_id] is CloseReason.WRONG_UNIT
        assert first.action is (EventAction.REROUTED if rerouted else EventAction.ASSIGNED), task.id
        assigned = assignments[task.document_id].issue_date
        verdicts = {c.reply_id: c for c in fact.confirmations}
        replies = sorted(fact.replies, key=lambda r: r.reply_id)
        for reply in replies:
            assert assigned <= reply.reply_date <= TODAY
        for before, after in itertools.pairwise(replies):  # a new round follows a "not done"
            verdict = verdicts[before.reply_id]
            assert verdict.outcome is ConfirmOutcome.NOT_DONE and after.reply_date >= verdict.confirmed_on
        actions = [
            e
            for e in events[task.id]
            if e.action not in (EventAction.ASSIGNED, EventAction.REROUTED, EventAction.EXTENDED)
            and not (e.action is EventAction.STEP and e.from_state is None)  # a sub flow starting
            and not (e.action is EventAction.ARCHIVED and e.flow_id is not None)  # lưu kết thúc, an effect
        ]
        assert task.version == len(actions), (task.id, task.version, [e.action for e in events[task.id]])
        moments = [e.at for e in sorted(events[task.id], key=lambda e: e.id or 0)]
        assert moments == sorted(moments), task.id


def test_a_generated_task_takes_real_actions_and_its_page_loads(runtime: Runtime, session: Session) -> None:
    """An open task: its unit's people get the offers of its state, a note and the next step go
    through ``perform``; a replied one is confirmed by VP UBND; the page's data loads for both."""
    config = runtime.config
    tracker = _actor(runtime, session, "vp.theodoi")
    open_task = session.exec(
        select(Task)
        .join(Flow, col(Flow.task_id) == col(Task.id))
        .where(Task.status == TaskStatus.OPEN, Flow.active == True, Flow.state == "cho_du_thao")  # noqa: E712
        .order_by(col(Task.id))
    ).first()
    assert open_task is not None and open_task.id is not None
    unit = session.get(OrgUnit, open_task.lead_unit_id)
    assert unit is not None
    staff = unit_staff(session, config, unit)
    now = at(TODAY, 16)
    version = open_task.version
    for person in (staff.clerk, staff.leader, staff.specialist):
        get_task_detail(session=session, actor=person, task_id=open_task.id, today=TODAY, due_soon_days=3)
        task_workbench(session=session, actor=person, config=config, task_id=open_task.id)
    note = perform(
        session=session,
        actor=staff.specialist,
        config=config,
        task_id=open_task.id,
        action=ActionKey.NOTE,
        data=NoteInput(note="Đang hoàn thiện dự thảo."),
        expected_version=version,
        now=now,
    )
    assert note.version == version + 1
    steps = [o for o in offers(session=session, actor=staff.specialist, config=config, task_id=open_task.id)]
    step = next(o for o in steps if o.key is ActionKey.STEP)
    assert step.transition == "trinh_du_thao"
    perform(
        session=session,
        actor=staff.specialist,
        config=config,
        task_id=open_task.id,
        action=ActionKey.STEP,
        data={"flow_id": step.flow_id, "transition": step.transition},
        now=now,
    )
    timeline = describe_timeline(
        session=session, config=config, entries=events_of(session=session, task_id=open_task.id)
    )
    assert len(timeline) >= 4

    replied = session.exec(select(Task).where(Task.status == TaskStatus.REPLIED).order_by(col(Task.id))).first()
    assert replied is not None and replied.id is not None
    get_task_detail(session=session, actor=tracker, task_id=replied.id, today=TODAY, due_soon_days=3)
    assert any(
        o.key is ActionKey.CONFIRM
        for o in task_workbench(session=session, actor=tracker, config=config, task_id=replied.id).offers
    )
    perform(
        session=session,
        actor=tracker,
        config=config,
        task_id=replied.id,
        action=ActionKey.CONFIRM,
        data=ConfirmationCreate(outcome=ConfirmOutcome.DONE),
        now=now,
    )
    session.refresh(replied)
    assert replied.status is TaskStatus.DONE


def _count(documents: object) -> int:
    """A row's documents: a set of ids, or already their number."""
    return documents if isinstance(documents, int) else len(documents)  # type: ignore[arg-type]


def test_generated_rows_are_stored_as_the_orm_stores_them(runtime: Runtime, session: Session) -> None:
    """Dates, moments and flags written by the bulk insert look, in the database itself, like those
    the services write (SQLite keeps them as text: one format, or comparisons in SQL go wrong)."""
    task = session.exec(select(Task).where(Task.status == TaskStatus.OPEN).order_by(col(Task.id))).first()
    assert task is not None and task.id is not None
    unit = session.get(OrgUnit, task.lead_unit_id)
    assert unit is not None
    staff = unit_staff(session, runtime.config, unit)
    perform(
        session=session,
        actor=staff.leader,
        config=runtime.config,
        task_id=task.id,
        action=ActionKey.NOTE,
        data=NoteInput(note="Đôn đốc chuyên viên."),
        now=at(TODAY, 17),
    )
    raw = session.connection().exec_driver_sql
    moments = [row[0] for row in raw("SELECT at FROM task_event ORDER BY id")]
    shapes = {_shape(v) for v in moments}
    assert len(shapes) == 1 and _shape(moments[-1]) in shapes, shapes  # the last one came through the ORM
    for table, columns in {
        "document": "issue_date, created_at",
        "task": "deadline, created_at",
        "flow": "created_at, updated_at, active, committed",
        "confirmation": "confirmed_on, created_at",
        "extension": "new_deadline, granted_on, created_at",
        "wrong_unit_request": "requested_at",
    }.items():
        rows = raw(f"SELECT {columns} FROM {table}").all()
        assert rows and len({tuple(_shape(v) for v in row) for row in rows}) == 1, table


def _shape(value: object) -> str:
    """A value's type, and for text its pattern (digits as 9)."""
    if isinstance(value, str):
        return "str:" + "".join("9" if ch.isdigit() else ch for ch in value)
    if hasattr(value, "tzinfo"):
        return f"{type(value).__name__}:{value.tzinfo is not None}"  # type: ignore[attr-defined]
    return type(value).__name__


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [(date(2026, 1, 1), TODAY), (date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 11, 1), date(2026, 12, 31))],
)
def test_statistics_from_the_rebuilt_spans_equal_classify(session: Session, date_from: date, date_to: date) -> None:
    """The official table (read from the spans the generator rebuilt) counts what ``classify``
    and ``in_scope`` say of every task's facts."""
    period = make_period(date_from=date_from, date_to=date_to, today=TODAY)
    expected: dict[int, Counter[TaskClass]] = defaultdict(Counter)
    documents: dict[int, set[int]] = defaultdict(set)
    for facts in load_facts(session=session).values():
        if in_scope(facts, period):
            expected[facts.lead_unit_id][classify(facts, period.as_of).task_class] += 1
            documents[facts.lead_unit_id].add(facts.document_id)
    report = unit_statistics(session=session, period=period)
    assert {row.unit_id: Counter({c: n for c, n in row.counts.items() if n}) for row in report.rows} == expected
    assert {row.unit_id: _count(row.documents) for row in report.rows} == {u: len(d) for u, d in documents.items()}
    assert report.total.total == sum(sum(c.values()) for c in expected.values()) > 0


def test_a_second_run_adds_as_many_tasks_with_new_ids_and_codes(runtime: Runtime, session: Session) -> None:
    """Ids continue, document numbers stay unique per issuer and year (the unique index holds)."""
    before = session.exec(select(func.max(Task.id))).one() or 0
    documents = session.exec(select(func.count()).select_from(Document)).one()
    report = generate_tasks(session=session, config=runtime.config, tasks=200, today=TODAY, seed=3)
    assert report.tasks == 200
    ids = session.exec(select(col(Task.id)).where(col(Task.id) > before)).all()
    assert len(ids) == 200 and session.exec(select(func.count()).select_from(Task)).one() == TASKS + 200
    assert session.exec(select(func.count()).select_from(Document)).one() == documents + report.documents + (
        report.replies
    )
    keys = session.exec(select(Document.issuer, Document.issue_year, Document.code_key)).all()
    assert len(keys) == len(set(keys))
