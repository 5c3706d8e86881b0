"""Enumerations shared by models and services.

Code compares these values, never Vietnamese labels: the labels live in
``config/app.yaml`` and ``config/roles.yaml`` so a province can reword them.
"""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    """What an org unit is; the office (VP UBND) assigns and confirms."""

    OFFICE = "office"
    DEPARTMENT = "department"
    DISTRICT = "district"
    SUBUNIT = "subunit"


class Role(StrEnum):
    CLERK = "clerk"
    LEADER = "leader"
    SPECIALIST = "specialist"
    TRACKER = "tracker"
    ADMIN = "admin"


class Permission(StrEnum):
    """Capabilities granted to roles in ``config/roles.yaml``."""

    TASK_ASSIGN = "task.assign"
    TASK_CONFIRM = "task.confirm"
    TASKS_VIEW_ALL = "tasks.view_all"
    UNIT_TASKS_VIEW = "unit_tasks.view"
    TASK_NOTE = "task.note"
    TASK_REPLY = "task.reply"
    TASK_WRONG_UNIT = "task.wrong_unit"
    TASK_CONTRIBUTE = "task.contribute"
    TASK_ARCHIVE = "task.archive"  # lưu kết thúc a task VP UBND took back as wrong unit
    DASHBOARD_VIEW = "dashboard.view"
    ADMIN = "admin"


class DocumentKind(StrEnum):
    ASSIGNMENT = "assignment"
    REPLY = "reply"


class TaskStatus(StrEnum):
    """Where a task stands now (for inboxes); statistics use the history instead."""

    OPEN = "open"
    REPLIED = "replied"
    DONE = "done"
    CLOSED = "closed"  # closed administratively: wrong unit, revoked or replaced (counted for nobody)


class CloseReason(StrEnum):
    WRONG_UNIT = "wrong_unit"
    REVOKED = "revoked"
    REPLACED = "replaced"


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class ConfirmOutcome(StrEnum):
    DONE = "done"
    NOT_DONE = "not_done"


class TaskClass(StrEnum):
    """The four classes of the official statistics table (docs/statistics.md)."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OPEN_ON_TIME = "open_on_time"
    OPEN_OVERDUE = "open_overdue"


class PeriodPreset(StrEnum):
    """A report period by name (Giám sát's "Kỳ báo cáo", the public page; ``services.stats.presets``).
    The value is what the URL keeps (``?ky=quy-1``); labels live in ``config/app.yaml``
    (``period_presets``)."""

    THIS_MONTH = "thang-nay"
    LAST_MONTH = "thang-truoc"
    Q1 = "quy-1"
    Q2 = "quy-2"
    Q3 = "quy-3"
    Q4 = "quy-4"
    FIRST_HALF = "6-thang"
    NINE_MONTHS = "9-thang"
    THIS_YEAR = "ca-nam"
    LAST_YEAR = "nam-truoc"


class EventAction(StrEnum):
    """Journal actions (TaskEvent.action)."""

    ASSIGNED = "assigned"
    NOTE = "note"
    REPLIED = "replied"
    CONFIRMED_DONE = "confirmed_done"
    CONFIRMED_NOT_DONE = "confirmed_not_done"
    EXTENDED = "extended"
    STEP = "step"  # a workflow transition inside a unit
    CONTRIBUTION = "contribution"
    WRONG_UNIT_REQUESTED = "wrong_unit_requested"
    WRONG_UNIT_ACCEPTED = "wrong_unit_accepted"
    WRONG_UNIT_REFUSED = "wrong_unit_refused"
    ARCHIVED = "archived"
    REROUTED = "rerouted"
    REVOKED = "revoked"
    UPDATED = "updated"
    REPLACED = "replaced"
    REMINDED = "reminded"  # Đôn đốc: by the tracker, or by the daily job (the system account)
    EXTENSION_REQUESTED = "extension_requested"  # Xin gia hạn (the lead unit's leader)
    EXTENSION_GRANTED = "extension_granted"
    EXTENSION_REFUSED = "extension_refused"


class ActionKey(StrEnum):
    """Every action a person can take on a task (``services.actions.registry``).

    The API names them in its URL (``/api/v1/tasks/{id}/actions/{key}``); labels live in
    ``config/app.yaml`` (``task_actions``).
    """

    NOTE = "note"
    CONTRIBUTE = "contribute"
    STEP = "step"  # a workflow transition inside a unit (config/workflows.yaml)
    REPLY = "reply"  # the step that issues the reply to VP UBND (issue_reply: true)
    CONFIRM = "confirm"
    WRONG_UNIT_REQUEST = "wrong_unit_request"
    WRONG_UNIT_ACCEPT = "wrong_unit_accept"
    WRONG_UNIT_REFUSE = "wrong_unit_refuse"
    ARCHIVE = "archive"
    REVOKE = "revoke"
    UPDATE = "update"
    REPLACE = "replace"
    REMIND = "remind"  # Đôn đốc: VP UBND's tracker reminds the lead unit, at a level
    EXTENSION_REQUEST = "extension_request"  # Xin gia hạn: the lead unit's leader asks for a later deadline
    EXTENSION_GRANT = "extension_grant"  # VP UBND grants it (the date asked, or an earlier one)
    EXTENSION_REFUSE = "extension_refuse"  # VP UBND refuses it, with a reason
