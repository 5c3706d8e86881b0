"""Reading tasks: a unit's list, one task with its journal, and the overdue/due-soon flags.

Visibility is decided here: VP UBND and admin see every task, a unit sees its own (and, read
only, those it coordinates); anything else is "not found" to avoid leaking that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import (
    CloseReason,
    Confirmation,
    ConfirmOutcome,
    Document,
    Extension,
    Flow,
    OrgUnit,
    Permission,
    Task,
    TaskClass,
    TaskCoordinator,
    TaskStatus,
    UnitKind,
)
from models.schemas import TaskFilters
from services.access.permissions import Actor, can_view_task, visible_task_ids
from services.custom_fields import tasks_with_value
from services.infra.clock import local_date
from services.infra.errors import InvalidInput, NotFound, PermissionDenied
from services.infra.text import fold, matches
from services.journal.events import TimelineEntry, events_of
from services.org.units import require_unit, unit_names
from services.stats import span_figures
from services.stats.classify import load_facts
from services.stats.period import Period
from services.stats.rows import TaskRow, build_rows, sort_urgent_first
from services.stats.span_figures import ListCounts, SpanRow
from services.stats.statistics import MAX_PER_PAGE, Dashboard, RowPage, in_scope, period_or_default, span_rows


@dataclass(frozen=True)
class ReplyInfo:
    reply_id: int
    code: str
    issue_date: date
    summary: str
    result: str
    signer: str
    unit_name: str
    entered_on: date | None = None  # the day it was entered (its own date is typed)
    backdate_reason: str | None = None  # "Lý do ghi lùi ngày": the reply is flagged as backdated

    rejected_on: date | None = None  # VP UBND judged it "Chưa hoàn thành" that day: the list marks it

    @property
    def backdated(self) -> bool:
        return self.backdate_reason is not None


@dataclass(frozen=True)
class Verdict:
    """VP UBND's judgement of one reply (Xác nhận kết quả), with the deadline it granted, if any."""

    outcome: ConfirmOutcome
    confirmed_on: date
    reason: str
    reply_code: str
    new_deadline: date | None  # "Gia hạn đến": the extension granted with a "not done" verdict


@dataclass(frozen=True)
class TaskDetail:
    row: TaskRow
    lead_unit_code: str  # mã định danh: the change forms default to the current lead unit
    document: Document
    coordinating_units: list[str]
    replies: list[ReplyInfo]
    timeline: list[TimelineEntry]
    closed_reason: CloseReason | None
    replaces_task_id: int | None
    last_verdict: Verdict | None = None  # the latest confirmation of any of its replies

    @property
    def sent_back(self) -> bool:
        """VP UBND's last word was "Chưa hoàn thành" and the task is still live: the page says so
        at the top, with the reason, because the unit is working on it again."""
        return (
            self.last_verdict is not None
            and self.last_verdict.outcome is ConfirmOutcome.NOT_DONE
            and self.closed_reason is None
        )


# A unit's list holds every task it leads that counts today: open ones, and done ones of any year
# (a report period starting before any task: ``scope_until`` is never earlier).
_EVER = date(1, 1, 1)


def _listed_unit(actor: Actor, unit_id: int | None, all_units: bool) -> int | None:
    """The lead unit whose tasks the actor asks for (None: every unit), or PermissionDenied."""
    if all_units:
        if not actor.can(Permission.TASKS_VIEW_ALL):
            raise PermissionDenied("Bạn chỉ xem được nhiệm vụ của đơn vị mình.")
        return None
    target = unit_id if unit_id is not None else actor.unit_id
    if target != actor.unit_id and not actor.can(Permission.TASKS_VIEW_ALL):
        raise PermissionDenied("Bạn chỉ xem được nhiệm vụ của đơn vị mình.")
    if target == actor.unit_id and not (actor.can(Permission.UNIT_TASKS_VIEW) or actor.can(Permission.TASKS_VIEW_ALL)):
        raise PermissionDenied("Vai trò của bạn không xem danh sách nhiệm vụ của đơn vị.")
    return target


def _unit_period(today: date) -> Period:
    return Period(date_from=_EVER, date_to=today, as_of=today)


def _searched(
    session: Session, *, period: Period, due_soon_days: int, unit_id: int | None, query: str, include_done: bool
) -> list[SpanRow]:
    """Every line of the list (urgent first, by the database) whose số/ký hiệu, trích yếu or content
    holds every word of ``query``, accents ignored: ``matches``, the one rule of every search,
    compared by the database on the texts stored folded (``task.content_folded``,
    ``document.search_folded``)."""
    return span_figures.list_tasks(
        session=session,
        period=period,
        due_soon_days=due_soon_days,
        unit_id=unit_id,
        open_only=not include_done,
        words=fold(query).split(),
    )


@dataclass(frozen=True)
class UnitTaskPage:
    """One page of a unit's tasks (``rows.total``: every page together) and the list's figures."""

    rows: RowPage
    counts: ListCounts


def unit_task_page(
    *,
    session: Session,
    actor: Actor,
    today: date,
    due_soon_days: int,
    unit_id: int | None = None,
    all_units: bool = False,
    query: str = "",
    include_done: bool = True,
    page: int = 1,
    per_page: int = 50,
    only: set[int] | None = None,
) -> UnitTaskPage:
    """A page of the tasks led by a unit (default: the actor's; ``all_units``: every unit, for VP
    UBND and the admin), urgent first, as ``list_unit_tasks`` orders them.

    Read from the task spans that hold ``today`` (``services.stats.span_figures``): the database
    counts the classes and the flags and cuts the page, so a unit with thousands of tasks costs a
    page, not a classification of each. A task closed as wrong unit, revoked or replaced counts for
    nobody from the day it was closed, here as in Giám sát (``closed_unit_tasks`` lists those).
    With a search, every line of the list is read with its texts and matched here, accents ignored.
    ``only``: keep these task ids (a custom field's filter, ``services.custom_fields.tasks_with_value``).
    """
    target = _listed_unit(actor, unit_id, all_units)
    if page < 1:
        raise InvalidInput("Trang phải từ 1 trở lên.", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"Số nhiệm vụ mỗi trang phải từ 1 đến {MAX_PER_PAGE}.", field="per_page")
    period = _unit_period(today)
    if query.strip() or only is not None:
        found = _searched(
            session, period=period, due_soon_days=due_soon_days, unit_id=target, query=query, include_done=include_done
        )
        if only is not None:
            found = [r for r in found if r.task_id in only]
        counts = _counted(found, today=today, due_soon_days=due_soon_days)
        page = min(page, max(1, -(-len(found) // per_page)))
        spans = found[(page - 1) * per_page : page * per_page]
    else:
        counts = span_figures.list_counts(session=session, period=period, due_soon_days=due_soon_days, unit_id=target)
        if not include_done:
            counts = replace(counts, counts={c: 0 if c in _DONE else n for c, n in counts.counts.items()})
        page = min(page, max(1, -(-counts.total // per_page)))
        spans = span_figures.list_tasks(
            session=session,
            period=period,
            due_soon_days=due_soon_days,
            unit_id=target,
            offset=(page - 1) * per_page,
            limit=per_page,
            counts=counts.counts,
            open_only=not include_done,
        )
    rows = span_rows(
        session=session, spans=spans, as_of=today, due_soon_days=due_soon_days, names=unit_names(session=session)
    )
    return UnitTaskPage(rows=RowPage(items=rows, total=counts.total, page=page, per_page=per_page), counts=counts)


_DONE = (TaskClass.DONE_ON_TIME, TaskClass.DONE_LATE)


def _counted(spans: list[SpanRow], *, today: date, due_soon_days: int) -> ListCounts:
    """``span_figures.list_counts`` of lines already read (a search's)."""
    counts = {c: 0 for c in TaskClass}
    for r in spans:
        counts[r.task_class] += 1
    return ListCounts(
        counts=counts,
        awaiting=sum(1 for r in spans if r.awaiting),
        due_soon=sum(
            1
            for r in spans
            if r.task_class is TaskClass.OPEN_ON_TIME
            and not r.awaiting
            and (r.deadline - today).days <= due_soon_days
        ),
    )


def figure_page_holding(
    *,
    session: Session,
    board: Dashboard,
    due_soon_days: int,
    only: set[int],
    unit_id: int | None = None,
    task_class: TaskClass | None = None,
    page: int = 1,
    per_page: int = 50,
) -> RowPage:
    """One page of the tasks behind a figure of Giám sát (``board.figure_page``'s list, in its
    order) that are in ``only``: the tasks holding a custom field's value
    (``services.custom_fields.tasks_with_value``). ``total``: how many of the figure's tasks hold it.

    Same permission rule as the figure's list. The figure's lines are read from their spans (ids,
    dates and texts, as a search reads them), kept when in ``only`` and cut; only the page's lines
    are then made into rows (replies dated back looked up), so the page still costs a page."""
    board.figure(unit_id=unit_id, task_class=task_class)  # another unit's list: PermissionDenied
    if page < 1:
        raise InvalidInput("Trang phải từ 1 trở lên.", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"Số nhiệm vụ mỗi trang phải từ 1 đến {MAX_PER_PAGE}.", field="per_page")
    names = board.report.unit_names or unit_names(session=session)
    offices = board.report.offices or frozenset(
        i for i in session.exec(select(OrgUnit.id).where(OrgUnit.kind == UnitKind.OFFICE)).all() if i is not None
    )
    kept = [
        r
        for r in span_figures.list_tasks(
            session=session,
            period=board.period,
            due_soon_days=due_soon_days,
            skip_units=offices,
            unit_id=unit_id,
            task_class=task_class,
        )
        if r.task_id in only
    ]
    page = min(page, max(1, -(-len(kept) // per_page)))
    items = span_rows(
        session=session,
        spans=kept[(page - 1) * per_page : page * per_page],
        as_of=board.period.as_of,
        due_soon_days=due_soon_days,
        names=names,
    )
    return RowPage(items=items, total=len(kept), page=page, per_page=per_page)


def list_unit_tasks(
    *,
    session: Session,
    actor: Actor,
    today: date,
    due_soon_days: int,
    unit_id: int | None = None,
    query: str = "",
    include_done: bool = True,
) -> list[TaskRow]:
    """Every line of ``unit_task_page``'s list at once (tests, exports): the tasks led by a unit
    (default: the actor's) that count ``today``, urgent first; ``query`` ignores accents."""
    target = _listed_unit(actor, unit_id, False)
    spans = _searched(
        session,
        period=_unit_period(today),
        due_soon_days=due_soon_days,
        unit_id=target,
        query=query,
        include_done=include_done,
    )
    return span_rows(
        session=session, spans=spans, as_of=today, due_soon_days=due_soon_days, names=unit_names(session=session)
    )


@dataclass(frozen=True)
class ClosedTask:
    """A task its lead unit no longer answers for: closed as wrong unit, revoked or replaced."""

    task_id: int
    document_code: str
    content: str
    lead_unit_name: str
    closed_on: date
    closed_reason: CloseReason | None


@dataclass(frozen=True)
class ClosedTaskPage:
    items: list[ClosedTask]
    total: int
    page: int
    per_page: int


def closed_unit_tasks(
    *,
    session: Session,
    actor: Actor,
    today: date,
    unit_id: int | None = None,
    all_units: bool = False,
    page: int = 1,
    per_page: int = 20,
) -> ClosedTaskPage:
    """The tasks a unit led that were closed by ``today`` (latest first): they are in no list of
    ``unit_task_page`` nor any figure, but the unit's văn thư still files them away (lưu kết thúc)
    from the task page."""
    target = _listed_unit(actor, unit_id, all_units)
    closed = [col(Task.status) == TaskStatus.CLOSED, col(Task.closed_on) <= today]
    if target is not None:
        closed.append(col(Task.lead_unit_id) == target)
    total = session.exec(select(func.count()).select_from(Task).where(*closed)).one()
    page = min(max(1, page), max(1, -(-total // per_page)))
    found = session.execute(
        sa_select(
            col(Task.id),
            col(Document.code),
            col(Task.content),
            col(Task.lead_unit_id),
            col(Task.closed_on),
            col(Task.closed_reason),
        )
        .join(Document, col(Document.id) == col(Task.document_id))
        .where(*closed)
        .order_by(col(Task.closed_on).desc(), col(Task.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    names = unit_names(session=session)
    items = [
        ClosedTask(
            task_id=task_id,
            document_code=code,
            content=content,
            lead_unit_name=names.get(lead, "?"),
            closed_on=closed_on,
            closed_reason=None if reason is None else CloseReason(reason),
        )
        for task_id, code, content, lead, closed_on, reason in found
    ]
    return ClosedTaskPage(items=items, total=total, page=page, per_page=per_page)


def coordinated_tasks(*, session: Session, actor: Actor, today: date, due_soon_days: int) -> list[TaskRow]:
    """Tasks where the actor's unit coordinates (read-only, never counted)."""
    ids = session.exec(select(TaskCoordinator.task_id).where(TaskCoordinator.unit_id == actor.unit_id)).all()
    return sort_urgent_first(build_rows(session=session, task_ids=ids, today=today, due_soon_days=due_soon_days))


def get_visible_task(*, session: Session, actor: Actor, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or not can_view_task(session=session, actor=actor, task=task):
        raise NotFound(f"Không tìm thấy nhiệm vụ #{task_id} hoặc bạn không có quyền xem.")
    return task


def get_task_detail(*, session: Session, actor: Actor, task_id: int, today: date, due_soon_days: int) -> TaskDetail:
    task = get_visible_task(session=session, actor=actor, task_id=task_id)
    row = build_rows(session=session, task_ids=[task_id], today=today, due_soon_days=due_soon_days)[0]
    document = session.get(Document, task.document_id)
    assert document is not None
    units = unit_names(session=session)
    coordinators = [
        units[c.unit_id] for c in session.exec(select(TaskCoordinator).where(TaskCoordinator.task_id == task_id)).all()
    ]
    verdicts = list(
        session.exec(select(Confirmation).where(Confirmation.task_id == task_id).order_by(col(Confirmation.id))).all()
    )
    rejected = {v.reply_id: v.confirmed_on for v in verdicts if v.outcome is ConfirmOutcome.NOT_DONE}
    replies = [
        ReplyInfo(
            reply_id=d.id or 0,
            code=d.code,
            issue_date=d.issue_date,
            summary=d.summary,
            result=d.result,
            signer=d.signer,
            unit_name=units.get(d.unit_id or 0, "?"),
            entered_on=d.entered_on or local_date(d.created_at),
            backdate_reason=d.backdate_reason,
            rejected_on=rejected.get(d.id or 0),
        )
        for d in session.exec(
            select(Document).where(Document.task_id == task_id).order_by(Document.issue_date, Document.id)  # type: ignore[arg-type]
        ).all()
    ]
    lead_unit = session.get(OrgUnit, task.lead_unit_id)
    return TaskDetail(
        row=row,
        lead_unit_code=lead_unit.code if lead_unit else "",
        document=document,
        coordinating_units=coordinators,
        replies=replies,
        timeline=events_of(session=session, task_id=task_id),
        closed_reason=task.closed_reason,
        replaces_task_id=task.replaces_task_id,
        last_verdict=_verdict(session, verdicts[-1], replies) if verdicts else None,
    )


def _verdict(session: Session, confirmation: Confirmation, replies: list[ReplyInfo]) -> Verdict:
    """The confirmation in words, with the extension granted with it (``Extension.confirmation_id``)."""
    extension = session.exec(
        select(Extension).where(Extension.confirmation_id == confirmation.id).order_by(col(Extension.id).desc())
    ).first()
    codes = {r.reply_id: r.code for r in replies}
    return Verdict(
        outcome=confirmation.outcome,
        confirmed_on=confirmation.confirmed_on,
        reason=confirmation.reason,
        reply_code=codes.get(confirmation.reply_id, ""),
        new_deadline=extension.new_deadline if extension is not None else None,
    )


def routed_tasks(*, session: Session, actor: Actor, today: date, due_soon_days: int) -> list[TaskRow]:
    """Tasks routed to the actor's unit by its parent (chuyển liên thông nội bộ)."""
    ids = session.exec(
        select(Flow.task_id).where(Flow.unit_id == actor.unit_id, col(Flow.parent_flow_id).is_not(None)).distinct()
    ).all()
    return sort_urgent_first(build_rows(session=session, task_ids=ids, today=today, due_soon_days=due_soon_days))


@dataclass(frozen=True)
class TaskPage:
    """One page of a task search, with the number of tasks on every page together."""

    items: list[TaskRow]
    total: int
    page: int
    per_page: int
    as_of: date  # the date the tasks are classified as of


def search_tasks(*, session: Session, actor: Actor, filters: TaskFilters, today: date, due_soon_days: int) -> TaskPage:
    """The tasks the actor may see (``can_view_task``) that match ``filters``, urgent first, paged.

    A period (``filters.date_from``/``date_to``) gives the statistics' scope and classification
    (``services.stats.statistics``), so the tasks of a unit × class add up to its figure.
    """
    unit_id: int | None = None
    if filters.unit is not None and filters.unit.strip():
        unit = require_unit(session=session, code=filters.unit, field="unit")
        unit_id = unit.id
    if (
        filters.deadline_from is not None
        and filters.deadline_to is not None
        and filters.deadline_from > filters.deadline_to
    ):
        raise InvalidInput("Hạn xử lý từ ngày phải trước hoặc bằng đến ngày.", field="deadline_from")
    if (filters.custom_field is None) != (filters.custom_value is None):
        raise InvalidInput("Lọc theo trường tùy chỉnh cần cả custom_field và custom_value.", field="custom_field")
    only: set[int] | None = None
    if filters.custom_field is not None:
        only = tasks_with_value(session=session, actor=actor, key=filters.custom_field, value=filters.custom_value)
    visible = visible_task_ids(session=session, actor=actor)
    if visible is None and unit_id is None:
        facts = load_facts(session=session)  # every task: whole-table reads are the fast path
    else:
        query = select(col(Task.id))
        if unit_id is not None:
            query = query.where(Task.lead_unit_id == unit_id)
        ids = {i for i in session.exec(query).all() if i is not None}
        if visible is not None:
            ids &= visible
        facts = load_facts(session=session, task_ids=ids)
    as_of = today
    if filters.date_from is not None or filters.date_to is not None:
        period = period_or_default(date_from=filters.date_from, date_to=filters.date_to, today=today, field="from")
        facts = {task_id: f for task_id, f in facts.items() if in_scope(f, period)}
        as_of = period.as_of
    rows = build_rows(session=session, task_ids=facts, today=as_of, due_soon_days=due_soon_days, facts=facts)
    rows = [
        r
        for r in rows
        if (filters.task_class is None or r.state.task_class is filters.task_class)
        and (filters.status is None or r.status is filters.status)
        and (filters.deadline_from is None or r.state.deadline >= filters.deadline_from)
        and (filters.deadline_to is None or r.state.deadline <= filters.deadline_to)
        and (not filters.q.strip() or matches(filters.q, r.document_code, r.summary, r.content))
        and (only is None or r.task_id in only)
    ]
    rows = sort_urgent_first(rows)
    start = (filters.page - 1) * filters.per_page
    return TaskPage(
        items=rows[start : start + filters.per_page],
        total=len(rows),
        page=filters.page,
        per_page=filters.per_page,
        as_of=as_of,
    )


def document_task_ids(*, session: Session, document_id: int) -> list[int]:
    """The ids of an assignment document's tasks, in their order in the document."""
    rows = session.exec(select(Task.id).where(Task.document_id == document_id).order_by(col(Task.seq))).all()
    return [i for i in rows if i is not None]
