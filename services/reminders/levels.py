"""Which reminder level a task has reached on a day.

A level is reached ``days`` days after the deadline in force (``config/app.yaml``
``reminders.levels``; negative: before it). The deadline in force is the statistics' own (the
span holding the day, ``services.reminders.job``; ``deadline_as_of`` in the action), so a reminder
and the figures never disagree about whether a task is late.
"""

from __future__ import annotations

from datetime import date

from models import ReminderLevel
from services.config.reminders import RemindersConfig


def level_reached(*, reminders: RemindersConfig, deadline: date, today: date) -> ReminderLevel | None:
    """The highest level reached on ``today`` for ``deadline``; None before the first one."""
    late_by = (today - deadline).days
    reached = [level for level in ReminderLevel if late_by >= reminders.levels[level].days]
    return reached[-1] if reached else None
