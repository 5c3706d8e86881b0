"""A reply is judged against the deadline in force on the reply's own date (docs/statistics.md).

An extension granted after a reply never turns that reply from late to on time, whether the
reply is waiting for VP UBND or already confirmed; an extension granted before the reply, or on
the reply's own day, does count.
"""

from __future__ import annotations

from datetime import date

import pytest

from models import ConfirmOutcome, TaskClass
from services.stats.classify import ConfirmationFact, ExtensionFact, ReplyFact, TaskFacts, classify

DEADLINE = date(2026, 3, 10)


def _facts(*, reply_on: date, extended_on: date, confirmed_on: date | None = None) -> TaskFacts:
    return TaskFacts(
        task_id=1,
        document_id=1,
        lead_unit_id=1,
        assigned_on=date(2026, 3, 1),
        deadline=DEADLINE,
        replies=(ReplyFact(reply_id=7, reply_date=reply_on),),
        confirmations=()
        if confirmed_on is None
        else (ConfirmationFact(reply_id=7, outcome=ConfirmOutcome.DONE, confirmed_on=confirmed_on),),
        extensions=(ExtensionFact(extension_id=1, new_deadline=date(2026, 3, 20), granted_on=extended_on),),
    )


@pytest.mark.parametrize("confirmed_on", [None, date(2026, 3, 16)], ids=["waiting", "confirmed"])
def test_extension_granted_after_a_late_reply_leaves_it_late(confirmed_on: date | None) -> None:
    facts = _facts(reply_on=date(2026, 3, 12), extended_on=date(2026, 3, 15), confirmed_on=confirmed_on)
    for as_of in (date(2026, 3, 16), date(2026, 3, 25), date(2027, 1, 1)):
        state = classify(facts, as_of)
        expected = TaskClass.OPEN_OVERDUE if confirmed_on is None else TaskClass.DONE_LATE
        assert (state.task_class, state.deadline, state.reply_date) == (expected, DEADLINE, date(2026, 3, 12))


@pytest.mark.parametrize("confirmed_on", [None, date(2026, 3, 16)], ids=["waiting", "confirmed"])
def test_extension_granted_before_the_reply_counts(confirmed_on: date | None) -> None:
    facts = _facts(reply_on=date(2026, 3, 12), extended_on=date(2026, 3, 11), confirmed_on=confirmed_on)
    state = classify(facts, date(2026, 3, 25))
    expected = TaskClass.OPEN_ON_TIME if confirmed_on is None else TaskClass.DONE_ON_TIME
    assert (state.task_class, state.deadline) == (expected, date(2026, 3, 20))


def test_a_reply_dated_the_day_of_the_grant_is_judged_with_it() -> None:
    facts = _facts(reply_on=date(2026, 3, 12), extended_on=date(2026, 3, 12), confirmed_on=date(2026, 3, 13))
    state = classify(facts, date(2026, 3, 13))
    assert (state.task_class, state.deadline) == (TaskClass.DONE_ON_TIME, date(2026, 3, 20))


def test_an_open_task_without_a_reply_uses_the_deadline_in_force_on_the_as_of_date() -> None:
    facts = TaskFacts(
        task_id=1,
        document_id=1,
        lead_unit_id=1,
        assigned_on=date(2026, 3, 1),
        deadline=DEADLINE,
        extensions=(ExtensionFact(extension_id=1, new_deadline=date(2026, 3, 20), granted_on=date(2026, 3, 15)),),
    )
    assert classify(facts, date(2026, 3, 14)).task_class is TaskClass.OPEN_OVERDUE  # before the grant
    assert classify(facts, date(2026, 3, 16)).task_class is TaskClass.OPEN_ON_TIME  # after it
