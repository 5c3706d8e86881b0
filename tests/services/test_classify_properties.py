"""Properties of the one classification function, on random task histories (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models import ConfirmOutcome, TaskClass
from services.stats.classify import ConfirmationFact, ExtensionFact, ReplyFact, TaskFacts, classify

START = date(2026, 1, 1)


@st.composite
def histories(draw: st.DrawFn) -> TaskFacts:
    """A task with replies, verdicts and extensions in a plausible order."""
    deadline = START + timedelta(days=draw(st.integers(0, 60)))
    replies: list[ReplyFact] = []
    confirmations: list[ConfirmationFact] = []
    extensions: list[ExtensionFact] = []
    day = START
    for number in range(draw(st.integers(0, 3))):
        day += timedelta(days=draw(st.integers(0, 30)))
        replies.append(ReplyFact(100 + number, day))
        if draw(st.booleans()):
            day += timedelta(days=draw(st.integers(0, 5)))
            done = number == 2 or draw(st.booleans())
            confirmations.append(
                ConfirmationFact(100 + number, ConfirmOutcome.DONE if done else ConfirmOutcome.NOT_DONE, day)
            )
            if done:
                break
            if draw(st.booleans()):
                extensions.append(
                    ExtensionFact(len(extensions) + 1, day + timedelta(days=draw(st.integers(1, 30))), day)
                )
        else:
            break
    return TaskFacts(1, 1, 1, START, deadline, tuple(replies), tuple(confirmations), tuple(extensions))


def _as_known_on(facts: TaskFacts, day: date) -> TaskFacts:
    return replace(
        facts,
        replies=tuple(r for r in facts.replies if r.reply_date <= day),
        confirmations=tuple(c for c in facts.confirmations if c.confirmed_on <= day),
        extensions=tuple(e for e in facts.extensions if e.granted_on <= day),
    )


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 200))
def test_events_after_the_as_of_date_do_not_exist(facts: TaskFacts, offset: int) -> None:
    """A report for a past date gives the same class whatever happened later."""
    day = START + timedelta(days=offset)
    assert classify(facts, day) == classify(_as_known_on(facts, day), day)


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 200))
def test_done_is_final_and_open_tasks_only_get_later(facts: TaskFacts, offset: int) -> None:
    """Once done, a task stays done with the same class; an open task never becomes 'on time' by waiting."""
    day = START + timedelta(days=offset)
    now = classify(facts, day)
    later = classify(facts, day + timedelta(days=1))
    if now.is_done:
        assert later == now
    if not now.is_done and not later.is_done and later.deadline == now.deadline and not later.awaiting_confirmation:
        assert not (now.task_class is TaskClass.OPEN_OVERDUE and later.task_class is TaskClass.OPEN_ON_TIME)


def test_deadline_day_is_on_time_and_next_day_overdue() -> None:
    facts = TaskFacts(1, 1, 1, START, date(2026, 3, 10))
    assert classify(facts, date(2026, 3, 10)).task_class is TaskClass.OPEN_ON_TIME
    assert classify(facts, date(2026, 3, 11)).task_class is TaskClass.OPEN_OVERDUE
