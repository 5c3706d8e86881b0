"""How many reminders each lead unit received in a period ("Số lần đôn đốc" of the reports).

A reminder counts for the unit that led the task when it was sent (``Reminder.unit_id``), on the
day it was sent in Vietnam (``sent_on``), so a past period always gives the same figure, whatever
happened to the task since. One ``GROUP BY`` over ``ix_reminder_sent_on_unit``.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Reminder, ReminderLevel
from services.stats.period import Period


def reminders_per_unit(*, session: Session, period: Period) -> dict[int, int]:
    """Lead unit id → reminders sent from ``period.date_from`` to ``period.date_to`` (both included).

    Units that received none are absent (their figure is 0)."""
    rows = session.exec(
        select(col(Reminder.unit_id), func.count())
        .where(col(Reminder.sent_on) >= period.date_from, col(Reminder.sent_on) <= period.date_to)
        .group_by(col(Reminder.unit_id))
    ).all()
    return {int(unit_id): int(count) for unit_id, count in rows}


def reminders_per_unit_and_level(*, session: Session, period: Period) -> dict[int, dict[ReminderLevel, int]]:
    """Lead unit id → level → reminders sent in the period; levels a unit did not receive are absent."""
    rows = session.exec(
        select(col(Reminder.unit_id), col(Reminder.level), func.count())
        .where(col(Reminder.sent_on) >= period.date_from, col(Reminder.sent_on) <= period.date_to)
        .group_by(col(Reminder.unit_id), col(Reminder.level))
    ).all()
    counts: dict[int, dict[ReminderLevel, int]] = {}
    for unit_id, level, count in rows:
        counts.setdefault(int(unit_id), {})[ReminderLevel(level)] = int(count)
    return counts
