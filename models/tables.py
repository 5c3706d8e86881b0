"""Database tables (SQLModel).

Nothing here is ever deleted: units are deactivated, tasks change status, and the
journal (``TaskEvent``) only grows. Statistics are computed from the dated history
(replies, confirmations, extensions) so a past period always gives the same figures.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    event,
    text,
)
from sqlmodel import Field, SQLModel

from models.enums import (
    CloseReason,
    ConfirmOutcome,
    DocumentKind,
    EventAction,
    RequestStatus,
    Role,
    TaskClass,
    TaskStatus,
    UnitKind,
)
from models.text import fold
from models.types import DayNumber, enum_type


class OrgUnit(SQLModel, table=True):
    """A unit of the province; synchronised from ``config/org.yaml`` by its code."""

    __tablename__ = "org_unit"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=35)  # mã định danh (QĐ 20/2020: ≤ 35 of [0-9A-Z.]), 000.00.01.H21
    name: str = Field(max_length=255)
    short_name: str = Field(max_length=120)
    kind: UnitKind = Field(sa_type=enum_type(UnitKind))
    parent_id: int | None = Field(default=None, foreign_key="org_unit.id")
    active: bool = True
    sort_order: int = 0


class TaskLeadChange(SQLModel, table=True):
    """The day a task passed from one lead unit to another (a merge of units, issue 10).

    ``Task.lead_unit_id`` is the unit that leads the task now; before ``changed_on`` the task was
    ``from_unit_id``'s. The statistics attribute each day of a task to the unit that led it that
    day (``services.stats.classify.lead_unit_as_of``), so a report of a period before a merge
    shows the merged units and their figures as it always did. Never edited, never deleted."""

    __tablename__ = "task_lead_change"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    from_unit_id: int = Field(foreign_key="org_unit.id")
    to_unit_id: int = Field(foreign_key="org_unit.id")
    changed_on: date  # the first day ``to_unit_id`` answers for the task
    created_at: datetime


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    full_name: str = Field(max_length=255)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_type=enum_type(Role))
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    active: bool = True
    # Every login session begun before this moment is over: set when the password changes, the
    # account is locked, or the admin ends all its sessions (UTC; None: never).
    sessions_valid_after: datetime | None = None
    must_change_password: bool = False  # a password the admin generated: the user must replace it first
    email: str | None = Field(default=None, max_length=255)


class Document(SQLModel, table=True):
    """An assignment document, or a reply issued on the same flow.

    A reply always names the assignment it answers (``reply_to_id``) and the task
    (``task_id``); the check constraint makes an unlinked reply impossible.
    """

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("issuer", "issue_year", "code_key", name="uq_document_issuer_year_code"),
        CheckConstraint(
            "(kind = 'assignment' AND reply_to_id IS NULL AND task_id IS NULL)"
            " OR (kind = 'reply' AND reply_to_id IS NOT NULL AND task_id IS NOT NULL)",
            name="ck_document_reply_linked",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: DocumentKind = Field(sa_type=enum_type(DocumentKind))
    issuer: str = Field(max_length=64)  # issuer key (config) or the replying unit's code
    code: str = Field(max_length=100)  # số/ký hiệu as typed
    code_key: str = Field(max_length=100)  # normalised for uniqueness
    issue_date: date
    issue_year: int
    doc_type: str = Field(default="", max_length=64)
    summary: str = Field(max_length=2000)
    signer: str = Field(default="", max_length=255)
    result: str = Field(default="", max_length=4000)  # reply: the result reported
    unit_id: int | None = Field(default=None, foreign_key="org_unit.id")  # reply: issuing unit
    reply_to_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    # use_alter: document and task reference each other (a task's document, a reply's task)
    task_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("task.id", use_alter=True, name="fk_document_task_id"), index=True, nullable=True
        ),
    )
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime
    # A reply: the day it was entered (Vietnam), kept beside its own date because only the two
    # together show a backdated reply; and, when it is dated more than ``reply_backdate_limit_days``
    # (config/app.yaml) before that day, the clerk's reason: the flag VP UBND sees before judging.
    # None on assignments (and on replies written before migration 0009 filled it: see created_at).
    entered_on: date | None = None
    backdate_reason: str | None = Field(default=None, max_length=2000)
    # ``fold(code + " " + summary)``, kept by ``_fold_document`` on every write: a search of the
    # task lists compares it in SQL (LIKE), instead of folding every listed text in Python.
    search_folded: str = Field(default="", max_length=2200)


class Task(SQLModel, table=True):
    """One task of an assignment document, with exactly one lead unit."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_lead_unit_status", "lead_unit_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    seq: int = 1
    content: str = Field(max_length=4000)
    content_folded: str = Field(default="", max_length=4000)  # fold(content), kept by ``_fold_task``
    lead_unit_id: int = Field(foreign_key="org_unit.id")
    deadline: date  # the original deadline; extensions carry later ones
    status: TaskStatus = Field(default=TaskStatus.OPEN, sa_type=enum_type(TaskStatus))
    tracker_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime
    # closed administratively (wrong unit, revoked, replaced): excluded from statistics from closed_on
    closed_reason: CloseReason | None = Field(default=None, sa_type=enum_type(CloseReason), nullable=True)
    closed_on: date | None = None
    replaces_task_id: int | None = Field(default=None, foreign_key="task.id")
    # Bumped by every action on the task (services.actions.registry.perform): a write that finds
    # another number than it read was overtaken by someone else and is refused as a conflict.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Flow(SQLModel, table=True):
    """One unit's handling of a task, as an instance of a workflow of ``config/workflows.yaml``.

    The lead unit runs the main flow; internal routing adds sub flows (``parent_flow_id``),
    one per sub-unit. ``committed`` is false while the main flow is still in the steps its
    workflows share (before the leader's choice at bút phê).
    """

    __tablename__ = "flow"
    __table_args__ = (Index("ix_flow_unit_state", "unit_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int = Field(foreign_key="org_unit.id")
    parent_flow_id: int | None = Field(default=None, foreign_key="flow.id")
    workflow: str = Field(max_length=64)
    committed: bool = False
    state: str = Field(max_length=64)
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    active: bool = True  # false once the task is closed (revoked, wrong unit) or a new round starts
    # The configuration version the flow started on (``config_version.id``): it finishes on that
    # version's workflows. None: started while no version was stored (the seed ``config/*.yaml``).
    config_version_id: int | None = None
    created_at: datetime
    updated_at: datetime


class WrongUnitRequest(SQLModel, table=True):
    """A unit's statement that a task is not within its remit (Điều 4.2), and VP UBND's decision."""

    __tablename__ = "wrong_unit_request"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    reason: str = Field(max_length=2000)
    requested_by: int = Field(foreign_key="app_user.id")
    requested_at: datetime
    status: RequestStatus = Field(default=RequestStatus.PENDING, sa_type=enum_type(RequestStatus))
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = None
    decision_note: str = Field(default="", max_length=2000)
    new_task_id: int | None = Field(default=None, foreign_key="task.id")


class TaskCoordinator(SQLModel, table=True):
    """A coordinating unit (phối hợp): recorded, never counted."""

    __tablename__ = "task_coordinator"

    task_id: int = Field(foreign_key="task.id", primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id", primary_key=True)


class Confirmation(SQLModel, table=True):
    """VP UBND's verdict on one reply."""

    __tablename__ = "confirmation"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    reply_id: int = Field(foreign_key="document.id", unique=True)
    outcome: ConfirmOutcome = Field(sa_type=enum_type(ConfirmOutcome))
    confirmed_on: date
    reason: str = Field(default="", max_length=2000)
    actor_id: int = Field(foreign_key="app_user.id")
    created_at: datetime


class Extension(SQLModel, table=True):
    """A new deadline granted by VP UBND; the latest one granted on or before a date is in force."""

    __tablename__ = "extension"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    new_deadline: date
    granted_on: date
    reason: str = Field(max_length=2000)
    confirmation_id: int | None = Field(default=None, foreign_key="confirmation.id")
    actor_id: int = Field(foreign_key="app_user.id")
    created_at: datetime


class TaskEvent(SQLModel, table=True):
    """Append-only journal: who did what, when, from which unit to which."""

    __tablename__ = "task_event"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    at: datetime
    action: EventAction = Field(sa_type=enum_type(EventAction))
    actor_id: int = Field(foreign_key="app_user.id")
    actor_name: str = Field(max_length=255)
    actor_role: Role = Field(sa_type=enum_type(Role))
    actor_unit_id: int = Field(foreign_key="org_unit.id")
    from_unit_id: int | None = Field(default=None, foreign_key="org_unit.id")
    to_unit_id: int | None = Field(default=None, foreign_key="org_unit.id")
    note: str = Field(default="", max_length=4000)
    flow_id: int | None = Field(default=None, foreign_key="flow.id")
    transition: str | None = Field(default=None, max_length=64)  # workflow transition key
    step: int | None = None  # the regulation's step number
    from_state: str | None = Field(default=None, max_length=64)  # the flow's state before the step
    to_user_name: str | None = Field(default=None, max_length=255)  # the specialist the step handed to


class ApiToken(SQLModel, table=True):
    """A personal API token: acts exactly as its account would in the pages.

    Only a SHA-256 of the secret is stored; the secret is shown once when it is created.
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16)  # the first characters, to recognise a token in lists
    token_hash: str = Field(max_length=64, unique=True)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class DataVersion(SQLModel, table=True):
    """One row: a number bumped in the same transaction as every write that can change a figure
    (an action on a task, an assignment, the org sync), so a cache of the public statistics keyed
    by it is never stale, whichever server process made the change."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="ck_data_version_one_row"),)

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    # The rule of ``services.stats.spans`` that built ``task_span``; an older one is rebuilt at start.
    spans_rule: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


FOREVER = date(9999, 12, 31)  # a span that has no end yet; a task not (yet) confirmed done


_LISTED = ("deadline", "task_id", "awaiting", "document_id", "reply_date")
_STILL_RUNNING = ("valid_to", "valid_from", "scope_until")
_DONE_SINCE = ("scope_until", "valid_from", "valid_to")


class TaskSpan(SQLModel, table=True):
    """A stretch of days over which a task's class stays the same: ``classify`` sampled at the
    dates where it can change (docs/statistics.md, "How the figures are computed").

    Derived data, never edited by hand: ``services.stats.spans`` rebuilds a task's spans in the
    transaction that changes one of its facts, so the figures of any period are one range lookup
    and a ``GROUP BY`` instead of classifying every task ever entered. A task has no span on a day
    it is out of every report (before it was assigned, from the day it was closed). Dates are day
    numbers (``DayNumber``): the statistics compare them on every index entry they read.
    """

    __tablename__ = "task_span"
    __table_args__ = (
        # The statistics, unit by unit (SQLite skips from one unit to the next in the index, so the
        # rows come grouped, with no sort): the spans holding the as-of date, with what is counted.
        Index(
            "ix_task_span_unit_stab",
            "lead_unit_id",
            "valid_to",
            "valid_from",
            "scope_until",
            "task_class",
            "awaiting",
            "several_in_unit",
            "several_in_document",
        ),
        # The spans of documents with several tasks in one unit (resp. in several units): the
        # only ones whose documents need a COUNT(DISTINCT), read alone.
        Index(
            "ix_task_span_several_in_unit",
            "lead_unit_id",
            "valid_to",
            "valid_from",
            "scope_until",
            "document_id",
            "several_in_unit",  # read by the query's condition: the index covers it
            sqlite_where=text("several_in_unit = 1"),
            postgresql_where=text("several_in_unit"),
        ),
        Index(
            "ix_task_span_several_in_document",
            "valid_to",
            "valid_from",
            "scope_until",
            "lead_unit_id",
            "document_id",
            "several_in_document",
            sqlite_where=text("several_in_document = 1"),
            postgresql_where=text("several_in_document"),
        ),
        # The lists behind a figure, one class of one unit (or of all), with every column a list
        # reads (no table read for the spans passed over). Open classes: the spans still running
        # on the as-of date (``valid_to`` first), however long the history; done classes: the
        # tasks done since the period began (``scope_until`` first).
        Index("ix_task_span_open_list", "task_class", *_STILL_RUNNING, "lead_unit_id", *_LISTED),
        Index("ix_task_span_unit_open_list", "lead_unit_id", "task_class", *_STILL_RUNNING, *_LISTED),
        Index("ix_task_span_done_list", "task_class", *_DONE_SINCE, "lead_unit_id", *_LISTED),
        Index("ix_task_span_unit_done_list", "lead_unit_id", "task_class", *_DONE_SINCE, *_LISTED),
    )

    task_id: int = Field(foreign_key="task.id", primary_key=True)
    valid_from: date = Field(primary_key=True, sa_type=DayNumber)  # first day of the span
    valid_to: date = Field(sa_type=DayNumber)  # last day of the span; FOREVER while nothing ends it
    # A period that begins after this day leaves the task out (it was done before the period):
    # the later of the day it was assigned and the day it was first confirmed done (FOREVER if not).
    scope_until: date = Field(sa_type=DayNumber)
    lead_unit_id: int = Field(foreign_key="org_unit.id")
    document_id: int = Field(foreign_key="document.id")
    # Another task of the same document has the same lead unit (resp. any lead unit): a unit's
    # line (resp. the total row) counts the document once, so only these spans need a
    # COUNT(DISTINCT); every other span is a document of its own.
    several_in_unit: bool
    several_in_document: bool
    task_class: TaskClass = Field(sa_type=enum_type(TaskClass))
    awaiting: bool  # a reply waits for the Office's verdict
    deadline: date = Field(sa_type=DayNumber)  # the deadline in force (the one the class was judged against)
    reply_date: date | None = Field(default=None, sa_type=DayNumber)  # the reply that decides the class


# The folded search texts follow their texts on every ORM write (a bulk load fills them itself:
# demo/generate.py), so no service has to remember them.
@event.listens_for(Document, "before_insert")
@event.listens_for(Document, "before_update")
def _fold_document(mapper: Any, connection: Any, target: Document) -> None:
    target.search_folded = fold(f"{target.code} {target.summary}")


@event.listens_for(Task, "before_insert")
@event.listens_for(Task, "before_update")
def _fold_task(mapper: Any, connection: Any, target: Task) -> None:
    target.content_folded = fold(target.content)
