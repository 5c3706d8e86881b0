"""A valid input for every action of the registry, and the situations each action is meant for.

The permission matrix, the state machine and the API cells iterate over ``REGISTRY``; what they
cannot derive is a valid input and the states of a task where the action makes sense. That is
this table: **a new action of the registry needs one line in ``EXAMPLES``** (a test fails,
naming the key, until it has one). ``build`` gets an ``InputContext`` (the task's facts, today,
a fresh number, staff and units); ``possible`` names the situations (below) where the guard
passes for a permitted actor in scope; ``transition`` says which workflow step's roles decide
too (steps, the reply).

Situations (``tests/properties/situations.py`` prepares them with the real actions):
NEW (assigned, nobody acted), ROUTED (bút phê sent it to a sub-unit), AT_REPLY (waiting for the
clerk's ban hành), REPLIED, REQUESTED (a pending "not our remit" request), EXTENDING (routed, with
a pending request for a later deadline: Xin gia hạn), WRONG_UNIT (VP UBND accepted it: closed),
DONE, REVOKED.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar, get_args

from pydantic import BaseModel

from models import ActionKey, CloseReason, ConfirmOutcome, ReminderLevel, TaskStatus
from models.extensions import ExtensionGrantInput, ExtensionRefuseInput, ExtensionRequestInput
from models.schemas import (
    ArchiveInput,
    ConfirmationCreate,
    ContributionInput,
    NoteInput,
    RemindInput,
    ReplaceInput,
    ReplyInput,
    RevokeInput,
    StepInput,
    UpdateInput,
    WrongUnitAcceptInput,
    WrongUnitRefuseInput,
    WrongUnitRequestInput,
)
from tests.properties.expect import FlowFact, TaskFacts, moves, step_choices
from tests.properties.rules import CHILDREN_OF, WORKFLOWS, fitting_main_workflows, from_states

T = TypeVar("T")

NEW, ROUTED, AT_REPLY, REPLIED, REQUESTED = "new", "routed", "at_reply", "replied", "requested"
WRONG_UNIT, DONE, REVOKED, EXTENDING = "wrong_unit", "done", "revoked", "extending"
SITUATIONS = (NEW, ROUTED, AT_REPLY, REPLIED, REQUESTED, EXTENDING, WRONG_UNIT, DONE, REVOKED)
OPEN = frozenset({NEW, ROUTED, AT_REPLY, REQUESTED, EXTENDING})  # in the unit's hands
LIVE = OPEN | {REPLIED}  # not done, not closed


def situation_of(facts: TaskFacts) -> str:
    """The situation a task of any life is in (the state machine draws the actions meant for it)."""
    if facts.status is TaskStatus.DONE:
        return DONE
    if facts.status is TaskStatus.CLOSED:
        return WRONG_UNIT if facts.closed_reason is CloseReason.WRONG_UNIT else REVOKED
    if facts.status is TaskStatus.REPLIED:
        return REPLIED
    if facts.pending_request:
        return REQUESTED
    if facts.pending_extension:
        return EXTENDING
    if moves(facts, replies=True):
        return AT_REPLY
    return ROUTED if any(f.active and not f.main for f in facts.flows) else NEW


def first(label: str, options: Sequence[T]) -> T:
    return options[0]


@dataclass
class InputContext:
    """What an input is built from. ``pick`` chooses among valid options: the matrix takes the
    first, the state machine draws one."""

    facts: TaskFacts
    today: date
    number: int  # fresh for every input: số/ký hiệu must be unique
    user: Callable[[str, str], int]  # (staff label, unit code) -> user id
    unit_id: Callable[[str], int]  # unit code -> id
    units: Sequence[str]  # units a task may be (re-)assigned to
    pick: Callable[[str, Sequence[Any]], Any] = first

    def other_unit(self) -> str:
        return self.pick("unit", [u for u in self.units if u != self.facts.lead])


def workflow_choice(flow: FlowFact, workflow: str, key: str) -> str | None:
    """What the page sends as ``workflow``: none on a step every fitting main workflow shares
    (vào sổ, before the leader's choice), else the workflow."""
    if not flow.main or flow.committed:
        return workflow
    mine = WORKFLOWS[workflow]["transitions"][key]
    shared = all(
        (t := WORKFLOWS[w]["transitions"].get(key)) is not None
        and flow.state in from_states(t)
        and t["to"] == mine["to"]
        for w in fitting_main_workflows(flow.unit, flow.state)
    )
    return None if shared else workflow


def step_input(
    c: InputContext,
    flow: FlowFact,
    workflow: str,
    key: str,
    *,
    assignee: str | None = None,
    subunits: Sequence[str] = (),
) -> StepInput:
    """The form of one step: the assignee (a specialist or tracker of the flow's unit) and the
    sub-units (of the flow's unit) when the step asks for them, a note always."""
    tr = WORKFLOWS[workflow]["transitions"][key]
    children = CHILDREN_OF[flow.unit]
    return StepInput(
        flow_id=flow.id,
        transition=key,
        workflow=workflow_choice(flow, workflow, key),
        note="Ý kiến xử lý của bước",
        assignee_id=c.user(assignee or c.pick("assignee", ["specialist", "tracker"]), flow.unit)
        if tr.get("choose_assignee")
        else None,
        subunit_ids=[c.unit_id(u) for u in (subunits or c.pick("sub-units", [children[:1], children]))]
        if tr.get("start_subflows") and children
        else [],
    )


def _step(c: InputContext) -> StepInput:
    """A step the YAML lets someone take now (the reply excepted); else the main flow's first."""
    open_moves = moves(c.facts, replies=False)
    if open_moves:
        flow, workflow, key, _ = c.pick("step", open_moves)
        return step_input(c, flow, workflow, key)
    flow = c.facts.main() or c.facts.flows[-1]
    key = next(iter(WORKFLOWS[flow.workflow]["transitions"]))
    return StepInput(flow_id=flow.id, transition=key, workflow=flow.workflow, note="Ý kiến xử lý của bước")


def _step_transition(facts: TaskFacts, data: BaseModel | None) -> tuple[FlowFact, dict[str, Any]] | None:
    if not isinstance(data, StepInput) or (flow := facts.flow(data.flow_id)) is None:
        return None
    transition = WORKFLOWS[data.workflow or flow.workflow]["transitions"].get(data.transition)
    return (flow, transition) if transition is not None else None


def _reply_transition(facts: TaskFacts, data: BaseModel | None) -> tuple[FlowFact, dict[str, Any]] | None:
    main = facts.main()
    if main is None:
        return None
    return next(((main, tr) for _, _, tr in step_choices(main) if tr.get("issue_reply")), None)


def _no_transition(facts: TaskFacts, data: BaseModel | None) -> tuple[FlowFact, dict[str, Any]] | None:
    return None


def _reply(c: InputContext) -> ReplyInput:
    return ReplyInput(
        code=f"{c.number}/BC-TL", issue_date=c.today, summary="Báo cáo kết quả thực hiện", result="Đã thực hiện xong"
    )


def _confirm(c: InputContext) -> ConfirmationCreate:
    if c.pick("outcome", [ConfirmOutcome.DONE, ConfirmOutcome.NOT_DONE]) is ConfirmOutcome.DONE:
        return ConfirmationCreate(outcome=ConfirmOutcome.DONE)
    extension = c.pick("extension", [None, c.today + timedelta(days=7), c.today])
    return ConfirmationCreate(outcome=ConfirmOutcome.NOT_DONE, reason="Báo cáo chưa đủ số liệu", new_deadline=extension)


def _update(c: InputContext) -> UpdateInput:
    what = c.pick("update", ["deadline", "content", "both"])
    return UpdateInput(
        reason="Điều chỉnh theo chỉ đạo",
        content=f"Nội dung điều chỉnh {c.number}" if what != "deadline" else None,
        deadline=c.today + timedelta(days=c.pick("days", [10, 0, 30])) if what != "content" else None,
    )


def _extension_request(c: InputContext) -> ExtensionRequestInput:
    """A later deadline within the shipped limit (30 days beyond the one in force)."""
    days = c.pick("days asked", [7, 30, 1])
    return ExtensionRequestInput(
        requested_deadline=c.facts.deadline + timedelta(days=days), reason="Cần thêm thời gian tổng hợp số liệu"
    )


@dataclass(frozen=True)
class Example:
    build: Callable[[InputContext], BaseModel]
    possible: frozenset[str]  # the situations where the action is meant to be possible
    transition: Callable[[TaskFacts, BaseModel | None], tuple[FlowFact, dict[str, Any]] | None] = field(
        default=_no_transition
    )


EXAMPLES: dict[ActionKey, Example] = {
    ActionKey.NOTE: Example(lambda c: NoteInput(note="Đang thực hiện, đã họp triển khai"), LIVE),
    ActionKey.CONTRIBUTE: Example(lambda c: ContributionInput(note="Đề nghị bổ sung số liệu quý I"), LIVE),
    ActionKey.STEP: Example(_step, frozenset({NEW, ROUTED, REQUESTED, EXTENDING}), _step_transition),
    ActionKey.REPLY: Example(_reply, frozenset({AT_REPLY}), _reply_transition),
    ActionKey.CONFIRM: Example(_confirm, frozenset({REPLIED})),
    ActionKey.WRONG_UNIT_REQUEST: Example(
        lambda c: WrongUnitRequestInput(reason="Không thuộc chức năng của đơn vị"),
        frozenset({NEW, ROUTED, AT_REPLY, EXTENDING}),
    ),
    ActionKey.WRONG_UNIT_ACCEPT: Example(
        lambda c: WrongUnitAcceptInput(
            new_lead_unit_code=c.other_unit(),
            new_deadline=c.pick("new deadline", [c.today + timedelta(days=10), None]),
            note="Chuyển đơn vị đúng chức năng",
        ),
        frozenset({REQUESTED}),
    ),
    ActionKey.WRONG_UNIT_REFUSE: Example(
        lambda c: WrongUnitRefuseInput(note="Đúng chức năng của đơn vị"), frozenset({REQUESTED})
    ),
    ActionKey.ARCHIVE: Example(lambda c: ArchiveInput(), frozenset({WRONG_UNIT})),
    ActionKey.REVOKE: Example(lambda c: RevokeInput(reason="Thu hồi để điều chỉnh"), LIVE),
    ActionKey.UPDATE: Example(_update, LIVE),
    ActionKey.REPLACE: Example(
        lambda c: ReplaceInput(
            reason="Thay thế theo văn bản mới",
            content=f"Nhiệm vụ thay thế {c.number}",
            lead_unit_code=c.other_unit(),
            deadline=c.today + timedelta(days=15),
        ),
        LIVE,
    ),
    ActionKey.REMIND: Example(
        lambda c: RemindInput(level=c.pick("level", list(ReminderLevel)), note="Đề nghị khẩn trương hoàn thành"),
        OPEN,
    ),
    ActionKey.EXTENSION_REQUEST: Example(_extension_request, frozenset({NEW, ROUTED, AT_REPLY, REQUESTED})),
    ActionKey.EXTENSION_GRANT: Example(lambda c: ExtensionGrantInput(note="Đồng ý gia hạn"), frozenset({EXTENDING})),
    ActionKey.EXTENSION_REFUSE: Example(
        lambda c: ExtensionRefuseInput(note="Đủ thời gian thực hiện"), frozenset({EXTENDING})
    ),
}

MISSING_EXAMPLE = (
    "REGISTRY has actions without an input example: {keys}. Add one line per action to EXAMPLES in "
    "tests/properties/examples.py — ActionKey.X: Example(lambda c: XInput(...), LIVE): a valid input "
    "and the situations where the action is meant to be possible; the permission matrix, the state "
    "machine and the API cells then cover it."
)


# --- variations of a valid input (the state machine): empty text, dates in the past ----------------


def vary(data: BaseModel, today: date, pick: Callable[[str, Sequence[Any]], Any]) -> tuple[str, BaseModel]:
    """The input as given, or with one text field emptied, or one date field moved into the past."""
    model = type(data)

    def typed(kind: type) -> list[str]:
        return [
            name for name, info in model.model_fields.items() if kind in (info.annotation, *get_args(info.annotation))
        ]

    texts, dates = typed(str), typed(date)
    kinds = ["as given"] + (["empty text"] if texts else []) + (["date in the past"] if dates else [])
    kind = pick("variation", kinds)
    if kind == "empty text":
        name = pick("emptied field", texts)
        return f"{name} empty", model.model_validate({**data.model_dump(), name: ""})
    if kind == "date in the past":
        name = pick("dated field", dates)
        days = pick("days back", [1, 30, 400])
        return f"{name} {days} days ago", model.model_validate(
            {**data.model_dump(), name: today - timedelta(days=days)}
        )
    return kind, data
