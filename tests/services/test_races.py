"""Races: two people act on one task (or save one số/ký hiệu) at the same moment.

Every race runs two real threads, each with its own Session on the test's engine (an SQLite file
in WAL mode; the real PostgreSQL server under GIAOVIEC_TEST_BACKEND=postgresql), released
together by a ``threading.Barrier``, on a task built fresh for each round. Even rounds are
*forced*: a second barrier holds each thread just before its first write (``registry._claim``,
or the document's INSERT after ``ensure_unique_code``), so both have read the same state and
passed their guard, and only the claim (or the unique index) can decide. Odd rounds are left to
the scheduler: the loser may also have read part of the state after the winner committed.

For every race: the loser gets a ServiceError whose code is "conflict" (StaleState in forced
rounds), never an IntegrityError, OperationalError or anything else; the winner's effect is there
exactly once; the task's invariants hold afterwards. Where both may legitimately succeed one
after the other (two notes; a revoke after the reply), the result is that of doing them in
turn. A số/ký hiệu saved twice at once (a new document; two tasks' replies) answers the
pre-check's InvalidInput on "code" instead. ``pytest -s`` prints how each round was decided.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import (
    ActionKey,
    CloseReason,
    Confirmation,
    ConfirmOutcome,
    Document,
    EventAction,
    Extension,
    Flow,
    RequestStatus,
    Role,
    Task,
    TaskEvent,
    TaskStatus,
    WrongUnitRequest,
)
from models.schemas import (
    AssignmentCreate,
    ConfirmationCreate,
    NoteInput,
    ReplaceInput,
    ReplyInput,
    RevokeInput,
    StepInput,
    WrongUnitAcceptInput,
    WrongUnitRequestInput,
)
from services.access.permissions import Actor
from services.actions import registry
from services.actions.registry import perform
from services.infra.errors import STALE_MESSAGE, InvalidInput, ServiceError, StaleState
from services.runtime import Runtime
from services.tasks import assignment
from services.tasks.assignment import create_assignment
from services.workflow.engine import flow_views, main_flow
from tests.conftest import FINANCE, HEALTH, OFFICE, PLEIKU, at
from tests.services.support import assign, make_actor, reply, reply_data, staff, task, unit_id, walk_to_issue

ROUNDS = 12  # per race: even rounds forced, odd rounds free; the thread order flips every two rounds
TIMEOUT = 30.0  # seconds a racer may wait at a barrier or run; far above SQLite's busy_timeout

ICT = "000.00.11.H21"  # Sở TT&TT: three sub-units
ICT_SUBUNITS = ("000.01.11.H21", "000.02.11.H21", "000.03.11.H21")
ISSUED = date(2026, 3, 2)
DAY = date(2026, 3, 5)
NOW = at(DAY)
DEADLINE = date(2026, 3, 31)

# How each round was decided, per race: printed at the end of the module (pytest -s).
TALLY: defaultdict[str, Counter[str]] = defaultdict(Counter)


# --- the race harness ----------------------------------------------------------------------------

_thread = threading.local()  # .gate: the forced round's barrier, held just before the first write


def _hold_before_writing() -> None:
    gate: threading.Barrier | None = getattr(_thread, "gate", None)
    if gate is not None:
        _thread.gate = None  # once per racer
        gate.wait()


@pytest.fixture(autouse=True)
def _gates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hook the barrier of forced rounds in front of the first write; outside a race it does nothing."""
    claim = registry._claim
    unique = assignment.ensure_unique_code
    overtaken = registry._overtaken
    context = registry._context

    def counted_context(**kwargs: Any) -> Any:
        _thread.readings = getattr(_thread, "readings", 0) + 1
        return context(**kwargs)

    def noted_overtaken(session: Session, task: Task) -> bool:
        moved = overtaken(session, task)
        _thread.overtaken = getattr(_thread, "overtaken", False) or moved
        return moved

    def held_claim(session: Session, task: Task) -> None:
        _hold_before_writing()
        claim(session, task)

    def held_unique(**kwargs: Any) -> str:
        key = unique(**kwargs)
        _hold_before_writing()
        return key

    monkeypatch.setattr(registry, "_claim", held_claim)
    monkeypatch.setattr(assignment, "ensure_unique_code", held_unique)
    monkeypatch.setattr(registry, "_overtaken", noted_overtaken)
    monkeypatch.setattr(registry, "_context", counted_context)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    for race_name, counts in sorted(TALLY.items()):
        print(f"\n{race_name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


@dataclass
class Outcome:
    who: str
    result: Any = None
    error: BaseException | None = None
    overtaken: bool = False  # refused because its guard read across the winner's commit
    readings: int = 0  # how many times perform read the task (2: judged again after a unique clash)

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        if self.error is None:
            return f"{self.who}: ok"
        return f"{self.who}:\n" + "".join(traceback.format_exception(self.error))


Call = Callable[[Session], Any]


def race(engine: Engine, calls: Mapping[str, Call], *, forced: bool) -> dict[str, Outcome]:
    """Run the calls at once, one thread and one Session each; what each returned or raised."""
    start = threading.Barrier(len(calls), timeout=TIMEOUT)
    gate = threading.Barrier(len(calls), timeout=TIMEOUT) if forced else None
    outcomes = {name: Outcome(name) for name in calls}

    def run(name: str) -> None:
        _thread.gate, _thread.overtaken, _thread.readings = gate, False, 0
        try:
            with Session(engine, expire_on_commit=False) as session:
                start.wait()
                outcomes[name].result = calls[name](session)
        except BaseException as exc:  # kept for the test to judge
            outcomes[name].error = exc
            if gate is not None and getattr(_thread, "gate", None) is not None:
                gate.abort()  # refused before its first write: do not leave the other waiting
        finally:
            outcomes[name].overtaken, outcomes[name].readings = _thread.overtaken, _thread.readings
            _thread.gate = None

    threads = [threading.Thread(target=run, args=(name,), daemon=True) for name in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a racer never finished (a deadlock?)"
    return outcomes


def rounds() -> Iterator[tuple[int, bool]]:
    """(round, forced)."""
    for number in range(ROUNDS):
        yield number, number % 2 == 0


def in_order(calls: dict[str, Call], number: int) -> dict[str, Call]:
    """The calls, their threads started in the other order every second pair of rounds."""
    names = list(calls)
    if (number // 2) % 2:
        names.reverse()
    return {name: calls[name] for name in names}


def _conflict(outcome: Outcome) -> None:
    error = outcome.error
    assert isinstance(error, ServiceError) and error.code == "conflict", outcome.describe()
    assert error.message, outcome.describe()


def tally(name: str, forced: bool, outcomes: Mapping[str, Outcome]) -> None:
    mode = "forced" if forced else "free"
    losers = [o for o in outcomes.values() if not o.ok]
    if not losers:
        TALLY[name][f"{mode}: both succeeded"] += 1
    for o in losers:
        kind = type(o.error).__name__
        if isinstance(o.error, StaleState):
            kind = "stale (guard read across the commit)" if o.overtaken else "stale (claim)"
        if o.readings > 1:
            kind += " after judging again"
        TALLY[name][f"{mode}: {kind}"] += 1


def one_winner(name: str, outcomes: Mapping[str, Outcome], *, forced: bool) -> Outcome:
    """Exactly one succeeded; the other was refused as a conflict (StaleState when forced)."""
    tally(name, forced, outcomes)
    winners = [o for o in outcomes.values() if o.ok]
    losers = [o for o in outcomes.values() if not o.ok]
    for loser in losers:
        _conflict(loser)
        if forced:
            assert isinstance(loser.error, StaleState) and not loser.overtaken, loser.describe()
            assert loser.error.message == STALE_MESSAGE
    assert len(winners) == 1, "\n".join(o.describe() for o in outcomes.values())
    return winners[0]


def act(runtime: Runtime, actor: Actor, task_id: int, action: ActionKey, data: BaseModel) -> Call:
    def call(session: Session) -> registry.ActionResult:
        return perform(
            session=session, actor=actor, config=runtime.config, task_id=task_id, action=action, data=data, now=NOW
        )

    return call


def creating(runtime: Runtime, tracker: Actor, data: AssignmentCreate) -> Call:
    def call(session: Session) -> Document:
        return create_assignment(session=session, actor=tracker, config=runtime.config, data=data, now=NOW)

    return call


# --- setting the scene ---------------------------------------------------------------------------


def fresh_tasks(
    runtime: Runtime, session: Session, tracker: Actor, lead: str, code: str, count: int = ROUNDS
) -> list[int]:
    """One document with ``count`` new tasks led by ``lead``: a fresh task for every round."""
    _, ids = assign(
        runtime,
        session,
        tracker,
        code=code,
        issued=ISSUED,
        tasks=[task(f"Nhiệm vụ số {n}", lead, DEADLINE) for n in range(1, count + 1)],
    )
    return ids


def main_flow_id(session: Session, task_id: int) -> int:
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.id is not None
    return flow.id


def version(session: Session, task_id: int) -> int:
    return session.exec(select(Task.version).where(Task.id == task_id)).one()


def events(session: Session, task_id: int, action: EventAction, transition: str | None = None) -> list[TaskEvent]:
    query = select(TaskEvent).where(TaskEvent.task_id == task_id, TaskEvent.action == action)
    if transition is not None:
        query = query.where(TaskEvent.transition == transition)
    return list(session.exec(query.order_by(col(TaskEvent.id))).all())


def check_flows(runtime: Runtime, session: Session, task_id: int) -> list[Flow]:
    """Every flow is in a state of its own workflow, and the task page can draw them."""
    workflows = runtime.config.workflows.workflows
    flows = list(session.exec(select(Flow).where(Flow.task_id == task_id).order_by(col(Flow.id))).all())
    for flow in flows:
        assert flow.state in workflows[flow.workflow].states, (flow.workflow, flow.state)
    assert len(flow_views(session=session, config=runtime.config, task_id=task_id)) == len(flows)
    return flows


# --- 1. bút phê: two leaders choose different routing cases -------------------------------------


def test_two_leaders_route_one_task_differently_at_but_phe(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    team = staff(runtime, session, ICT)
    second_leader = make_actor(runtime, session, "ld2.000.00.11.h21", Role.LEADER, ICT)
    subunits = [unit_id(session, code) for code in ICT_SUBUNITS]
    choices: dict[str, dict[str, Any]] = {
        "truong_hop_1": {"subunit_ids": subunits[:2], "assignee_id": team.specialist.user_id},
        "truong_hop_2": {"subunit_ids": subunits[1:]},
        "ngan": {"assignee_id": team.specialist.user_id},
    }
    workflows = runtime.config.workflows.workflows
    ids = fresh_tasks(runtime, session, actors["tracker"], ICT, "101/UBND-KT")
    for number, forced in rounds():
        task_id = ids[number]
        flow_id = main_flow_id(session, task_id)
        perform(
            session=session,
            actor=team.clerk,
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.STEP,
            data=StepInput(flow_id=flow_id, transition="vao_so"),
            now=NOW,
        )
        # Trường hợp 1 against Trường hợp 2 (rounds 0-3, 8-11) or the short path (4-7), each forced and
        # free, in both thread orders
        rival = "ngan" if (number // 4) % 2 else "truong_hop_2"
        leaders = {"truong_hop_1": team.leader, rival: second_leader}
        calls = {
            wf: act(
                runtime,
                leader,
                task_id,
                ActionKey.STEP,
                StepInput(flow_id=flow_id, transition="but_phe", workflow=wf, note=f"Bút phê theo {wf}", **choices[wf]),
            )
            for wf, leader in leaders.items()
        }
        before = version(session, task_id)
        winner = one_winner("1 bút phê", race(runtime.engine, in_order(calls, number), forced=forced), forced=forced)

        with Session(runtime.engine) as check:
            chosen, tr = winner.who, workflows[winner.who].transitions["but_phe"]
            flows = check_flows(runtime, check, task_id)
            main = main_flow(session=check, task_id=task_id)
            assert main is not None
            assert (main.workflow, main.committed, main.state, main.active) == (chosen, True, tr.to, True)
            assert main.assignee_id == choices[chosen].get("assignee_id")
            subs = [f for f in flows if f.parent_flow_id is not None]
            assert sorted(f.unit_id for f in subs) == sorted(choices[chosen].get("subunit_ids", []))
            for sub in subs:  # sub flows only as the winner started them
                assert sub.parent_flow_id == main.id and sub.workflow == tr.start_subflows
                assert sub.state == workflows[sub.workflow].initial
            but_phe = events(check, task_id, EventAction.STEP, "but_phe")
            assert [(e.flow_id, e.actor_id) for e in but_phe if e.flow_id == main.id] == [
                (main.id, leaders[chosen].user_id)
            ]
            assert len(but_phe) == 1 + len(subs)  # and one entry per sub flow it started
            assert version(check, task_id) == before + 1


# --- 2. revoke racing the reply ------------------------------------------------------------------


def test_revoke_racing_the_reply(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    ids = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "102/UBND-KT")
    for number, forced in rounds():
        task_id = ids[number]
        team = walk_to_issue(runtime, session, task_id, now=NOW)
        calls = {
            "reply": act(
                runtime,
                team.clerk,
                task_id,
                ActionKey.REPLY,
                ReplyInput(**reply_data(f"{number + 1}/BC-STC", DAY).model_dump()),
            ),
            "revoke": act(
                runtime,
                actors["tracker"],
                task_id,
                ActionKey.REVOKE,
                RevokeInput(reason="Thu hồi do thay đổi chủ trương"),
            ),
        }
        before = version(session, task_id)
        outcomes = race(runtime.engine, in_order(calls, number), forced=forced)
        succeeded = {name for name, o in outcomes.items() if o.ok}
        if succeeded == {"reply", "revoke"}:
            # legitimate only one after the other: the Office may revoke a replied task; never when forced
            tally("2 revoke vs reply", forced, outcomes)
            assert not forced
        else:
            one_winner("2 revoke vs reply", outcomes, forced=forced)

        with Session(runtime.engine) as check:
            current = check.get(Task, task_id)
            assert current is not None
            replies = check.exec(select(Document).where(Document.task_id == task_id)).all()
            flows = check_flows(runtime, check, task_id)
            assert not (current.status is TaskStatus.REPLIED and current.closed_reason is not None)
            if "revoke" in succeeded:
                assert (current.status, current.closed_reason, current.closed_on) == (
                    TaskStatus.CLOSED,
                    CloseReason.REVOKED,
                    DAY,
                )
                assert not any(f.active for f in flows)
                assert len(replies) == (1 if "reply" in succeeded else 0)
                if "reply" in succeeded:  # the reply came first
                    [replied] = events(check, task_id, EventAction.REPLIED)
                    [revoked] = events(check, task_id, EventAction.REVOKED)
                    assert (replied.id or 0) < (revoked.id or 0)
            else:
                assert (current.status, current.closed_reason, current.closed_on) == (TaskStatus.REPLIED, None, None)
                assert len(replies) == 1
                main = main_flow(session=check, task_id=task_id)
                assert main is not None and (main.state, main.active) == ("da_ban_hanh", True)
                assert events(check, task_id, EventAction.REVOKED) == []
            assert len(events(check, task_id, EventAction.REPLIED)) == len(replies)
            assert version(check, task_id) == before + len(succeeded)


# --- 3. two trackers accept one wrong-unit request ----------------------------------------------


def test_two_trackers_accept_one_wrong_unit_request(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    second_tracker = make_actor(runtime, session, "vp.theodoi2", Role.TRACKER, OFFICE)
    targets = {"to Pleiku": (actors["tracker"], PLEIKU), "to Sở Y tế": (second_tracker, HEALTH)}
    ids = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "103/UBND-KT")
    for number, forced in rounds():
        task_id = ids[number]
        perform(
            session=session,
            actor=actors["leader"],
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.WRONG_UNIT_REQUEST,
            data=WrongUnitRequestInput(reason="Không thuộc chức năng"),
            now=NOW,
        )
        calls = {
            name: act(
                runtime,
                tracker,
                task_id,
                ActionKey.WRONG_UNIT_ACCEPT,
                WrongUnitAcceptInput(new_lead_unit_code=code, note=f"Đồng ý, chuyển {name}"),
            )
            for name, (tracker, code) in targets.items()
        }
        before = version(session, task_id)
        winner = one_winner(
            "3 accept wrong unit", race(runtime.engine, in_order(calls, number), forced=forced), forced=forced
        )

        with Session(runtime.engine) as check:
            old = check.get(Task, task_id)
            assert old is not None
            assert (old.status, old.closed_reason) == (TaskStatus.CLOSED, CloseReason.WRONG_UNIT)
            [new] = check.exec(select(Task).where(Task.replaces_task_id == task_id)).all()
            assert new.lead_unit_id == unit_id(check, targets[winner.who][1])
            [request] = check.exec(select(WrongUnitRequest).where(WrongUnitRequest.task_id == task_id)).all()
            assert (request.status, request.new_task_id, request.decided_by) == (
                RequestStatus.ACCEPTED,
                new.id,
                targets[winner.who][0].user_id,
            )
            assert not any(f.active for f in check_flows(runtime, check, task_id))
            assert len(check_flows(runtime, check, new.id or 0)) == 1
            assert len(events(check, task_id, EventAction.WRONG_UNIT_ACCEPTED)) == 1
            assert len(events(check, new.id or 0, EventAction.REROUTED)) == 1
            assert version(check, task_id) == before + 1


# --- 4. one task replaced twice at once ----------------------------------------------------------


def test_one_task_replaced_twice_at_once(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    second_tracker = make_actor(runtime, session, "vp.theodoi2", Role.TRACKER, OFFICE)
    replacements = {"by Pleiku": (actors["tracker"], PLEIKU), "by Sở Y tế": (second_tracker, HEALTH)}
    ids = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "104/UBND-KT")
    for number, forced in rounds():
        task_id = ids[number]
        calls = {
            name: act(
                runtime,
                tracker,
                task_id,
                ActionKey.REPLACE,
                ReplaceInput(
                    reason="Giao lại", content=f"Nhiệm vụ thay thế {name}", lead_unit_code=code, deadline=DEADLINE
                ),
            )
            for name, (tracker, code) in replacements.items()
        }
        before = version(session, task_id)
        winner = one_winner(
            "4 replace twice", race(runtime.engine, in_order(calls, number), forced=forced), forced=forced
        )

        with Session(runtime.engine) as check:
            old = check.get(Task, task_id)
            assert old is not None and (old.status, old.closed_reason) == (TaskStatus.CLOSED, CloseReason.REPLACED)
            [new] = check.exec(select(Task).where(Task.replaces_task_id == task_id)).all()
            assert (new.content, new.lead_unit_id) == (
                f"Nhiệm vụ thay thế {winner.who}",
                unit_id(check, replacements[winner.who][1]),
            )
            assert not any(f.active for f in check_flows(runtime, check, task_id))
            assert len(check_flows(runtime, check, new.id or 0)) == 1
            assert len(events(check, task_id, EventAction.REPLACED)) == 1
            assert version(check, task_id) == before + 1


# --- 5. vào sổ twice -----------------------------------------------------------------------------


def test_vao_so_twice(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    second_clerk = make_actor(runtime, session, "stc.vanthu2", Role.CLERK, FINANCE)
    ids = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "105/UBND-KT")
    for number, forced in rounds():
        task_id = ids[number]
        flow_id = main_flow_id(session, task_id)
        # a double submission by one clerk, or the unit's two clerks
        clerks = {"first": actors["clerk"], "again": actors["clerk"] if number % 3 else second_clerk}
        calls = {
            name: act(
                runtime,
                clerk,
                task_id,
                ActionKey.STEP,
                StepInput(flow_id=flow_id, transition="vao_so", note=f"Vào sổ ({name})"),
            )
            for name, clerk in clerks.items()
        }
        before = version(session, task_id)
        winner = one_winner(
            "5 vào sổ twice", race(runtime.engine, in_order(calls, number), forced=forced), forced=forced
        )

        with Session(runtime.engine) as check:
            [flow] = check_flows(runtime, check, task_id)
            assert (flow.state, flow.committed) == ("cho_but_phe", False)
            [entry] = events(check, task_id, EventAction.STEP, "vao_so")
            assert entry.note == f"Vào sổ ({winner.who})"
            assert version(check, task_id) == before + 1


# --- 6. the wrong-unit request sent twice --------------------------------------------------------


def test_wrong_unit_request_twice(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    second_leader = make_actor(runtime, session, "stc.lanhdao2", Role.LEADER, FINANCE)
    ids = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "106/UBND-KT")
    for number, forced in rounds():
        task_id = ids[number]
        leaders = {"first": actors["leader"], "again": actors["leader"] if number % 3 else second_leader}
        calls = {
            name: act(
                runtime,
                leader,
                task_id,
                ActionKey.WRONG_UNIT_REQUEST,
                WrongUnitRequestInput(reason=f"Không thuộc chức năng ({name})"),
            )
            for name, leader in leaders.items()
        }
        before = version(session, task_id)
        winner = one_winner(
            "6 wrong-unit request twice", race(runtime.engine, in_order(calls, number), forced=forced), forced=forced
        )

        with Session(runtime.engine) as check:
            [request] = check.exec(select(WrongUnitRequest).where(WrongUnitRequest.task_id == task_id)).all()
            assert (request.status, request.reason) == (RequestStatus.PENDING, f"Không thuộc chức năng ({winner.who})")
            assert len(events(check, task_id, EventAction.WRONG_UNIT_REQUESTED)) == 1
            current = check.get(Task, task_id)
            assert current is not None and current.status is TaskStatus.OPEN
            assert version(check, task_id) == before + 1


# --- 7. one reply confirmed twice ----------------------------------------------------------------


def test_one_reply_confirmed_twice(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    second_tracker = make_actor(runtime, session, "vp.theodoi2", Role.TRACKER, OFFICE)
    verdicts = {
        "done": (actors["tracker"], ConfirmationCreate(outcome=ConfirmOutcome.DONE)),
        "not done": (
            second_tracker,
            ConfirmationCreate(outcome=ConfirmOutcome.NOT_DONE, reason="Chưa đủ số liệu", new_deadline=DEADLINE),
        ),
    }
    ids = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "107/UBND-KT")
    for number, forced in rounds():
        task_id = ids[number]
        answer = reply(runtime, session, task_id, code=f"{number + 1}/BC-STC", on=DAY)
        calls = {
            name: act(runtime, tracker, task_id, ActionKey.CONFIRM, data) for name, (tracker, data) in verdicts.items()
        }
        before = version(session, task_id)
        winner = one_winner(
            "7 confirm twice", race(runtime.engine, in_order(calls, number), forced=forced), forced=forced
        )

        with Session(runtime.engine) as check:
            [confirmation] = check.exec(select(Confirmation).where(Confirmation.task_id == task_id)).all()
            assert (confirmation.reply_id, confirmation.actor_id) == (answer.id, verdicts[winner.who][0].user_id)
            current = check.get(Task, task_id)
            assert current is not None
            flows = check_flows(runtime, check, task_id)
            extensions = check.exec(select(Extension).where(Extension.task_id == task_id)).all()
            if winner.who == "done":
                assert (confirmation.outcome, current.status) == (ConfirmOutcome.DONE, TaskStatus.DONE)
                assert extensions == [] and len(events(check, task_id, EventAction.CONFIRMED_DONE)) == 1
                assert events(check, task_id, EventAction.CONFIRMED_NOT_DONE) == []
            else:
                assert (confirmation.outcome, current.status) == (ConfirmOutcome.NOT_DONE, TaskStatus.OPEN)
                assert [(e.new_deadline, e.confirmation_id) for e in extensions] == [(DEADLINE, confirmation.id)]
                assert [f.state for f in flows if f.active] == ["cho_vao_so"]  # one new round
                assert len(events(check, task_id, EventAction.CONFIRMED_NOT_DONE)) == 1
                assert events(check, task_id, EventAction.CONFIRMED_DONE) == []
            assert version(check, task_id) == before + 1


# --- 8. one số/ký hiệu saved twice through create_assignment --------------------------------------


def test_one_code_saved_twice_at_once(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    second_tracker = make_actor(runtime, session, "vp.theodoi2", Role.TRACKER, OFFICE)
    for number, forced in rounds():
        spellings = {"first": f"{200 + number}/UBND-KT", "second": f"{200 + number} / ubnd-kt"}
        trackers = {"first": actors["tracker"], "second": second_tracker}
        leads = {"first": [FINANCE], "second": [PLEIKU, HEALTH]}

        calls = {
            name: creating(
                runtime,
                trackers[name],
                AssignmentCreate(
                    code=spellings[name],
                    issue_date=ISSUED,
                    issuer="ubnd_tinh",
                    doc_type="cong_van",
                    summary=f"Văn bản nhập lần {name}",
                    signer="Nguyễn Văn A",
                    tasks=[task(f"Nhiệm vụ {name} {n}", lead, DEADLINE) for n, lead in enumerate(leads[name])],
                ),
            )
            for name in spellings
        }
        with Session(runtime.engine) as check:
            tasks_before = len(check.exec(select(Task.id)).all())
        outcomes = race(runtime.engine, in_order(calls, number), forced=forced)
        tally("8 same số/ký hiệu", forced, outcomes)
        winners = [o for o in outcomes.values() if o.ok]
        losers = [o for o in outcomes.values() if not o.ok]
        assert len(winners) == 1 and len(losers) == 1, "\n".join(o.describe() for o in outcomes.values())
        [winner], [loser] = winners, losers
        assert isinstance(loser.error, InvalidInput), loser.describe()
        assert (loser.error.field, loser.error.message) == (
            "code",
            f"Số/ký hiệu '{spellings[loser.who]}' đã có trong năm {ISSUED.year} của cơ quan ban hành này.",
        )

        with Session(runtime.engine) as check:
            [document] = check.exec(
                select(Document).where(Document.code_key == f"{200 + number}/UBND-KT", Document.issuer == "ubnd_tinh")
            ).all()
            assert (document.code, document.summary) == (spellings[winner.who], f"Văn bản nhập lần {winner.who}")
            created = check.exec(select(Task).where(Task.document_id == document.id)).all()
            assert len(created) == len(leads[winner.who])
            assert len(check.exec(select(Task.id)).all()) == tasks_before + len(created)  # nothing of the loser's
            for new in created:
                assert len(check_flows(runtime, check, new.id or 0)) == 1
                assert len(events(check, new.id or 0, EventAction.ASSIGNED)) == 1


# --- 9. a stale page, a stale read ---------------------------------------------------------------


def test_an_action_from_a_stale_page_is_refused(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    [task_id] = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "109/UBND-KT", count=1)
    shown = version(session, task_id)  # the version the leader's page showed
    perform(
        session=session,
        actor=actors["clerk"],
        config=runtime.config,
        task_id=task_id,
        action=ActionKey.STEP,
        data=StepInput(flow_id=main_flow_id(session, task_id), transition="vao_so"),
        now=NOW,
    )
    with Session(runtime.engine) as page, pytest.raises(StaleState) as refused:
        perform(
            session=page,
            actor=actors["leader"],
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.NOTE,
            data=NoteInput(note="Đã xem"),
            expected_version=shown,
            now=NOW,
        )
    assert (refused.value.code, refused.value.message) == ("conflict", STALE_MESSAGE)
    with Session(runtime.engine) as check:
        assert version(check, task_id) == shown + 1
        assert events(check, task_id, EventAction.NOTE) == []
    # with the version it shows now, the same action goes through
    with Session(runtime.engine) as page:
        done = perform(
            session=page,
            actor=actors["leader"],
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.NOTE,
            data=NoteInput(note="Đã xem"),
            expected_version=shown + 1,
            now=NOW,
        )
    assert done.version == shown + 2


def test_a_stale_read_cannot_claim_the_task(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """A session that read the task and its flow before someone else's step still holds them (its
    identity map); its own step passes the guard on that old state, and the claim, which runs on
    the newest committed row (SQLite: the UPDATE starts the transaction; PostgreSQL: READ
    COMMITTED re-checks the row), refuses it."""
    [task_id] = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "110/UBND-KT", count=1)
    flow_id = main_flow_id(session, task_id)
    with Session(runtime.engine, expire_on_commit=False) as stale, Session(runtime.engine) as other:
        read, read_flow = stale.get(Task, task_id), stale.get(Flow, flow_id)  # held: the identity map is weak
        assert read is not None and read_flow is not None and read_flow.state == "cho_vao_so"
        read_version = read.version
        if runtime.engine.url.get_backend_name() == "sqlite":  # pysqlite: a SELECT opened no transaction
            assert not stale.connection().connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
        perform(
            session=other,
            actor=actors["clerk"],
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.STEP,
            data=StepInput(flow_id=flow_id, transition="vao_so", note="Vào sổ trước"),
            now=NOW,
        )
        with pytest.raises(StaleState):
            perform(
                session=stale,
                actor=actors["clerk"],
                config=runtime.config,
                task_id=task_id,
                action=ActionKey.STEP,
                data=StepInput(flow_id=flow_id, transition="vao_so", note="Vào sổ sau"),
                now=NOW,
            )
    with Session(runtime.engine) as check:
        assert [e.note for e in events(check, task_id, EventAction.STEP, "vao_so")] == ["Vào sổ trước"]
        [flow] = check_flows(runtime, check, task_id)
        assert flow.state == "cho_but_phe"
        assert version(check, task_id) == read_version + 1


def test_a_refusal_read_across_someone_elses_commit_is_a_conflict(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """The guard's reads are separate statements: a reply whose guard read the task before the
    Office revoked it and its flows after (here: the task held in the session, the flows read
    afresh) saw an open task whose flows had stopped, and was refused as if the clerk were not the
    clerk (PermissionDenied). It is the conflict it is: someone acted meanwhile."""
    [task_id] = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "113/UBND-KT", count=1)
    team = walk_to_issue(runtime, session, task_id, now=NOW)
    with Session(runtime.engine, expire_on_commit=False) as torn, Session(runtime.engine) as office:
        read = torn.get(Task, task_id)
        assert read is not None and read.status is TaskStatus.OPEN
        perform(
            session=office,
            actor=actors["tracker"],
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.REVOKE,
            data=RevokeInput(reason="Thu hồi"),
            now=NOW,
        )
        with pytest.raises(StaleState):
            perform(
                session=torn,
                actor=team.clerk,
                config=runtime.config,
                task_id=task_id,
                action=ActionKey.REPLY,
                data=ReplyInput(**reply_data("1/BC-STC", DAY).model_dump()),
                now=NOW,
            )
    with Session(runtime.engine) as check:
        current = check.get(Task, task_id)
        assert current is not None and (current.status, current.closed_reason) == (
            TaskStatus.CLOSED,
            CloseReason.REVOKED,
        )
        assert check.exec(select(Document).where(Document.task_id == task_id)).all() == []


# --- 10. two progress notes at once --------------------------------------------------------------


def test_two_notes_at_once(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """Both notes may go through one after the other; a note refused as stale leaves no entry."""
    writers = {"leader": actors["leader"], "specialist": actors["specialist"]}
    ids = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "111/UBND-KT")
    for number, forced in rounds():
        task_id = ids[number]
        calls = {
            name: act(runtime, actor, task_id, ActionKey.NOTE, NoteInput(note=f"Tiến độ của {name}"))
            for name, actor in writers.items()
        }
        before = version(session, task_id)
        outcomes = race(runtime.engine, in_order(calls, number), forced=forced)
        if forced:
            one_winner("10 two notes", outcomes, forced=True)
        else:
            tally("10 two notes", forced, outcomes)
            for loser in (o for o in outcomes.values() if not o.ok):
                _conflict(loser)
        written = sorted(f"Tiến độ của {name}" for name, o in outcomes.items() if o.ok)
        with Session(runtime.engine) as check:
            assert sorted(e.note for e in events(check, task_id, EventAction.NOTE)) == written
            assert version(check, task_id) == before + len(written)


# --- 11. two tasks of one unit answered with one số/ký hiệu at once --------------------------------


def test_two_replies_with_one_code_at_once(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """Two different tasks, so no claim stands between them: the reply's unique số/ký hiệu does, and
    the unit that comes second gets the pre-check's answer, not a conflict about its task."""
    ids = fresh_tasks(runtime, session, actors["tracker"], FINANCE, "112/UBND-KT", count=2 * ROUNDS)
    for number, forced in rounds():
        pair = {"first": ids[2 * number], "second": ids[2 * number + 1]}
        team = staff(runtime, session, FINANCE)
        for task_id in pair.values():
            walk_to_issue(runtime, session, task_id, now=NOW)
        spellings = {"first": f"{300 + number}/BC-STC", "second": f"{300 + number}/bc-stc"}
        calls = {
            name: act(
                runtime,
                team.clerk,
                task_id,
                ActionKey.REPLY,
                ReplyInput(**reply_data(spellings[name], DAY).model_dump()),
            )
            for name, task_id in pair.items()
        }
        versions = {name: version(session, task_id) for name, task_id in pair.items()}
        outcomes = race(runtime.engine, in_order(calls, number), forced=forced)
        tally("11 one reply code, two tasks", forced, outcomes)
        winners = [o for o in outcomes.values() if o.ok]
        losers = [o for o in outcomes.values() if not o.ok]
        assert len(winners) == 1 and len(losers) == 1, "\n".join(o.describe() for o in outcomes.values())
        [winner], [loser] = winners, losers
        assert isinstance(loser.error, InvalidInput), loser.describe()
        assert (loser.error.field, loser.error.message) == (
            "code",
            f"Số/ký hiệu văn bản trả lời '{spellings[loser.who]}' đã có trong năm {DAY.year} của cơ quan ban hành này.",
        )

        with Session(runtime.engine) as check:
            [document] = check.exec(select(Document).where(Document.code_key == f"{300 + number}/BC-STC")).all()
            assert document.task_id == pair[winner.who]
            answered, refused = check.get(Task, pair[winner.who]), check.get(Task, pair[loser.who])
            assert answered is not None and refused is not None
            assert (answered.status, refused.status) == (TaskStatus.REPLIED, TaskStatus.OPEN)
            assert check.exec(select(Document).where(Document.task_id == pair[loser.who])).all() == []
            assert [f.state for f in check_flows(runtime, check, pair[loser.who])] == ["cho_ban_hanh"]
            assert events(check, pair[loser.who], EventAction.REPLIED) == []
            assert version(check, pair[winner.who]) == versions[winner.who] + 1
            assert version(check, pair[loser.who]) == versions[loser.who]
