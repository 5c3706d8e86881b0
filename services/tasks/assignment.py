"""Giao nhiệm vụ: VP UBND enters an assignment document and its tasks (Điều 4.1)."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import AttachmentOwner, Document, DocumentKind, EventAction, OrgUnit, Permission, Task, TaskCoordinator
from models.schemas import AssignmentCreate, TaskCreate
from services.access.permissions import Actor, require
from services.attachments import CheckedFile, attach, check_uploads, with_journal_line
from services.config.loader import AppConfig
from services.custom_fields import check_values, store_values
from services.infra.clock import fmt_date, local_date, now_utc
from services.infra.data_version import bump_data_version
from services.infra.errors import InvalidInput
from services.infra.text import clean_text, document_code_key
from services.infra.validation import FieldErrors, check_date
from services.journal.events import record_event
from services.org.units import resolve_coordinating_unit, resolve_lead_unit
from services.tasks.workdays import add_working_days
from services.workflow.engine import start_main_flow


def ensure_unique_code(*, session: Session, issuer: str, year: int, code: str, label: str) -> str:
    """Raise when số/ký hiệu already exists for this issuer and year; return its key."""
    key = document_code_key(code)
    if len(key) > 100:  # compatibility forms can spell out longer than typed ("㍿"): the column holds 100
        raise InvalidInput(f"{label} dài quá 100 ký tự.", field="code")
    clash = session.exec(
        select(Document.id).where(Document.issuer == issuer, Document.issue_year == year, Document.code_key == key)
    ).first()
    if clash is not None:
        raise InvalidInput(f"{label} '{code}' đã có trong năm {year} của cơ quan ban hành này.", field="code")
    return key


def _validate_task(
    session: Session, task: TaskCreate, number: int, errors: FieldErrors
) -> tuple[str, OrgUnit | None, list[OrgUnit]]:
    """The task's content, lead unit and coordinators; each refusal goes to ``errors``."""
    prefix = f"Nhiệm vụ {number}"
    content = errors.take(
        lambda: clean_text(task.content, label=f"{prefix} — nội dung", field=f"tasks.{number}.content", max_len=4000),
        "",
    )
    lead: OrgUnit | None = None
    if not task.lead_unit_code.strip():
        errors.add(f"{prefix}: phải chọn đơn vị chủ trì.", field=f"tasks.{number}.lead")
    else:
        lead = errors.take(
            lambda: resolve_lead_unit(
                session=session,
                code=task.lead_unit_code,
                label=f"{prefix} — đơn vị chủ trì",
                field=f"tasks.{number}.lead",
            ),
            None,
        )
    coordinators: list[OrgUnit] = []
    for code in dict.fromkeys(task.coordinating_unit_codes):
        unit = errors.take(
            partial(
                resolve_coordinating_unit,  # a phòng may coordinate; it may not lead
                session=session,
                code=code,
                label=f"{prefix} — đơn vị phối hợp",
                field=f"tasks.{number}.coordinators",
            ),
            None,
        )
        if unit is None:
            continue
        if lead is not None and unit.id == lead.id:
            errors.add(
                f"{prefix}: đơn vị chủ trì không đồng thời là đơn vị phối hợp.", field=f"tasks.{number}.coordinators"
            )
            continue
        coordinators.append(unit)
    if (task.deadline is None) == (task.working_days is None):
        errors.add(
            f"{prefix}: nhập hạn xử lý bằng một ngày cụ thể hoặc số ngày làm việc.", field=f"tasks.{number}.deadline"
        )
    return content, lead, coordinators


def working_day_deadline(*, issue_date: date, working_days: int, config: AppConfig) -> date:
    """N working days after the document date (weekends, public holidays and the configured days
    off skipped): the deadline a task given in working days gets, shown on the form before saving."""
    return add_working_days(
        issue_date,
        working_days,
        extra_days_off=config.app.extra_days_off,
        extra_working_days=config.app.extra_working_days,
    )


def _deadline(task: TaskCreate, number: int, *, issue_date: date | None, today: date, config: AppConfig) -> date | None:
    """The task's deadline (its date, or working days after the document date), else InvalidInput
    on ``tasks.N.deadline``. ``issue_date`` None: the document's date was refused (its own error
    says why), so working days cannot be counted and nothing is compared with it."""
    field = f"tasks.{number}.deadline"
    if task.working_days is not None:
        if task.working_days < 1 or task.working_days > 365:
            raise InvalidInput(f"Nhiệm vụ {number}: số ngày làm việc phải từ 1 đến 365.", field=field)
        if issue_date is None:
            return None
        deadline = working_day_deadline(issue_date=issue_date, working_days=task.working_days, config=config)
    else:
        assert task.deadline is not None
        deadline = check_date(
            task.deadline, label=f"Nhiệm vụ {number}: hạn xử lý", field=field, today=today, limits=config.app
        )
    if issue_date is not None and deadline < issue_date:
        raise InvalidInput(
            f"Nhiệm vụ {number}: hạn xử lý {fmt_date(deadline)} trước ngày ban hành {fmt_date(issue_date)}.",
            field=field,
        )
    return deadline


def create_assignment(
    *, session: Session, actor: Actor, config: AppConfig, data: AssignmentCreate, now: datetime | None = None
) -> Document:
    """Save the document and its tasks, journal each task, commit; or change nothing."""
    require(actor, Permission.TASK_ASSIGN, "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được giao nhiệm vụ.")
    now = now or now_utc()
    today = local_date(now)
    # Every field is checked and every refusal reported together (FieldErrors): the form shows
    # them all at once. A check that needs another field (the deadline against the document date,
    # the số/ký hiệu in the document's year) runs only when that field was accepted.
    errors = FieldErrors()
    code = errors.take(
        lambda: clean_text(data.code, label="Số/ký hiệu", field="code", max_len=100, multiline=False), ""
    )
    if data.issuer not in config.app.issuers:
        errors.add("Cơ quan ban hành không hợp lệ.", field="issuer")
    if data.doc_type not in config.app.document_types:
        errors.add("Loại văn bản không hợp lệ.", field="doc_type")
    errors.take(
        lambda: check_date(data.issue_date, label="Ngày ban hành", field="issue_date", today=today, limits=config.app),
        None,
    )
    if errors.ok("issue_date") and data.issue_date > today:
        errors.add(f"Ngày ban hành {fmt_date(data.issue_date)} sau ngày hôm nay.", field="issue_date")
    summary = errors.take(lambda: clean_text(data.summary, label="Trích yếu", field="summary"), "")
    signer = errors.take(
        lambda: clean_text(data.signer, label="Người ký", field="signer", max_len=255, multiline=False), ""
    )
    if not data.tasks:
        errors.add("Văn bản phải có ít nhất một nhiệm vụ.", field="tasks")
    code_key = ""
    if errors.ok("code", "issue_date", "issuer"):
        code_key = errors.take(
            lambda: ensure_unique_code(
                session=session, issuer=data.issuer, year=data.issue_date.year, code=code, label="Số/ký hiệu"
            ),
            "",
        )

    planned: list[tuple[str, OrgUnit | None, list[OrgUnit], TaskCreate]] = []
    for number, task in enumerate(data.tasks, start=1):
        content, lead, coordinators = _validate_task(session, task, number, errors)
        planned.append((content, lead, coordinators, task))

    deadlines: list[date | None] = []
    issued = data.issue_date if errors.ok("issue_date") else None
    for number, (_, _, _, task) in enumerate(planned, start=1):
        if not errors.ok(f"tasks.{number}.deadline"):  # neither a date nor working days, or both
            deadlines.append(None)
            continue
        judged = partial(_deadline, task, number, issue_date=issued, today=today, config=config)
        deadlines.append(errors.take(judged, None))
    # the document's files: every one checked before any is kept (services.attachments)
    no_files: list[CheckedFile] = []
    files = errors.take(lambda: check_uploads(data.attachments, limits=config.app.attachments), no_files)
    custom = check_values(  # trường tùy chỉnh, by type (issue 10)
        session=session, actor=actor, config=config, today=today, document=data.custom,
        tasks=[t.custom for t in data.tasks], errors=errors,
    )
    errors.raise_any()

    document = Document(
        kind=DocumentKind.ASSIGNMENT,
        issuer=data.issuer,
        code=code,
        code_key=code_key,
        issue_date=data.issue_date,
        issue_year=data.issue_date.year,
        doc_type=data.doc_type,
        summary=summary,
        signer=signer,
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(document)
    try:
        session.flush()  # the document's INSERT: the one unique rule a simultaneous entry can break
    except IntegrityError:
        # The same số/ký hiệu was saved at the same moment: both passed the check above and the unique
        # index refused the second. Answer as the check does, now that the first is committed.
        session.rollback()
        ensure_unique_code(
            session=session, issuer=data.issuer, year=data.issue_date.year, code=code, label="Số/ký hiệu"
        )
        raise
    assert document.id is not None
    attach(
        session=session, actor=actor, files=files, owner=AttachmentOwner.ASSIGNMENT, now=now, document_id=document.id
    )
    rows: list[Task] = []
    for seq, ((content, lead, _, _), deadline) in enumerate(zip(planned, deadlines, strict=True), start=1):
        assert lead is not None and lead.id is not None and deadline is not None  # else raise_any refused
        rows.append(
            Task(
                document_id=document.id,
                seq=seq,
                content=content,
                lead_unit_id=lead.id,
                deadline=deadline,
                tracker_id=actor.user_id,
                created_by=actor.user_id,
                created_at=now,
            )
        )
    session.add_all(rows)
    session.flush()  # the tasks' INSERTs together (one statement where the database returns ids)
    task_ids: list[int] = []
    # What follows reads only the units and the workflows' version, never the rows it adds: they
    # are written together at the commit (one INSERT per table, not a flush per task).
    with session.no_autoflush:
        for task_row, (_, lead, coordinators, _), deadline in zip(rows, planned, deadlines, strict=True):
            assert task_row.id is not None and lead is not None and deadline is not None
            task_ids.append(task_row.id)
            for unit in coordinators:
                assert unit.id is not None and task_row.id is not None
                session.add(TaskCoordinator(task_id=task_row.id, unit_id=unit.id))
            start_main_flow(session=session, config=config, task=task_row, now=now)
            note = f"Văn bản {code}; hạn xử lý {fmt_date(deadline)}"
            if coordinators:
                note += "; phối hợp: " + ", ".join(u.short_name for u in coordinators)
            record_event(
                session=session,
                actor=actor,
                task=task_row,
                action=EventAction.ASSIGNED,
                at=now,
                note=with_journal_line(note, files),  # each task's entry names the document's files
                from_unit_id=actor.unit_id,
                to_unit_id=lead.id,
            )
    store_values(session=session, checked=custom, document_id=document.id, task_ids=task_ids)
    bump_data_version(session=session)  # new tasks change the figures: with them or not at all
    session.commit()
    return document
