"""Giao nhiệm vụ: VP UBND enters an assignment document and its tasks (Điều 4.1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import AttachmentOwner, Document, DocumentKind, EventAction, OrgUnit, Permission, Task, TaskCoordinator
from models.schemas import AssignmentCreate, TaskCreate
from services.access.permissions import Actor, require
from services.attachments import attach, check_uploads, with_journal_line
from services.config.loader import AppConfig
from services.infra.clock import fmt_date, local_date, now_utc
from services.infra.data_version import bump_data_version
from services.infra.errors import InvalidInput
from services.infra.text import clean_text, document_code_key
from services.infra.validation import check_date
from services.journal.events import record_event
from services.org.units import resolve_lead_unit
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


def _validate_task(session: Session, task: TaskCreate, number: int) -> tuple[str, OrgUnit, list[OrgUnit]]:
    prefix = f"Nhiệm vụ {number}"
    content = clean_text(task.content, label=f"{prefix} — nội dung", field=f"tasks.{number}.content", max_len=4000)
    if not task.lead_unit_code.strip():
        raise InvalidInput(f"{prefix}: phải chọn đơn vị chủ trì.", field=f"tasks.{number}.lead")
    lead = resolve_lead_unit(
        session=session, code=task.lead_unit_code, label=f"{prefix} — đơn vị chủ trì", field=f"tasks.{number}.lead"
    )
    coordinators: list[OrgUnit] = []
    for code in dict.fromkeys(task.coordinating_unit_codes):
        unit = resolve_lead_unit(
            session=session, code=code, label=f"{prefix} — đơn vị phối hợp", field=f"tasks.{number}.coordinators"
        )
        if unit.id == lead.id:
            raise InvalidInput(
                f"{prefix}: đơn vị chủ trì không đồng thời là đơn vị phối hợp.", field=f"tasks.{number}.coordinators"
            )
        coordinators.append(unit)
    if (task.deadline is None) == (task.working_days is None):
        raise InvalidInput(
            f"{prefix}: nhập hạn xử lý bằng một ngày cụ thể hoặc số ngày làm việc.", field=f"tasks.{number}.deadline"
        )
    return content, lead, coordinators


def create_assignment(
    *, session: Session, actor: Actor, config: AppConfig, data: AssignmentCreate, now: datetime | None = None
) -> Document:
    """Save the document and its tasks, journal each task, commit; or change nothing."""
    require(actor, Permission.TASK_ASSIGN, "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh được giao nhiệm vụ.")
    now = now or now_utc()
    today = local_date(now)
    code = clean_text(data.code, label="Số/ký hiệu", field="code", max_len=100, multiline=False)
    if data.issuer not in config.app.issuers:
        raise InvalidInput("Cơ quan ban hành không hợp lệ.", field="issuer")
    if data.doc_type not in config.app.document_types:
        raise InvalidInput("Loại văn bản không hợp lệ.", field="doc_type")
    check_date(data.issue_date, label="Ngày ban hành", field="issue_date", today=today, limits=config.app)
    if data.issue_date > today:
        raise InvalidInput(f"Ngày ban hành {fmt_date(data.issue_date)} sau ngày hôm nay.", field="issue_date")
    summary = clean_text(data.summary, label="Trích yếu", field="summary")
    signer = clean_text(data.signer, label="Người ký", field="signer", max_len=255, multiline=False)
    if not data.tasks:
        raise InvalidInput("Văn bản phải có ít nhất một nhiệm vụ.", field="tasks")
    code_key = ensure_unique_code(
        session=session, issuer=data.issuer, year=data.issue_date.year, code=code, label="Số/ký hiệu"
    )

    planned: list[tuple[str, OrgUnit, list[OrgUnit], TaskCreate]] = []
    for number, task in enumerate(data.tasks, start=1):
        content, lead, coordinators = _validate_task(session, task, number)
        planned.append((content, lead, coordinators, task))

    deadlines = []
    for number, (_, _, _, task) in enumerate(planned, start=1):
        if task.working_days is not None:
            if task.working_days < 1 or task.working_days > 365:
                raise InvalidInput(
                    f"Nhiệm vụ {number}: số ngày làm việc phải từ 1 đến 365.", field=f"tasks.{number}.deadline"
                )
            deadline = add_working_days(
                data.issue_date,
                task.working_days,
                extra_days_off=config.app.extra_days_off,
                extra_working_days=config.app.extra_working_days,
            )
        else:
            assert task.deadline is not None
            deadline = check_date(
                task.deadline,
                label=f"Nhiệm vụ {number}: hạn xử lý",
                field=f"tasks.{number}.deadline",
                today=today,
                limits=config.app,
            )
        if deadline < data.issue_date:
            raise InvalidInput(
                f"Nhiệm vụ {number}: hạn xử lý {fmt_date(deadline)} trước ngày ban hành {fmt_date(data.issue_date)}.",
                field=f"tasks.{number}.deadline",
            )
        deadlines.append(deadline)
    # the document's files: every one checked before any is kept (services.attachments)
    files = check_uploads(data.attachments, limits=config.app.attachments)

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
    for seq, ((content, lead, coordinators, _), deadline) in enumerate(zip(planned, deadlines, strict=True), start=1):
        assert lead.id is not None
        task_row = Task(
            document_id=document.id,
            seq=seq,
            content=content,
            lead_unit_id=lead.id,
            deadline=deadline,
            tracker_id=actor.user_id,
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(task_row)
        session.flush()
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
    bump_data_version(session=session)  # new tasks change the figures: with them or not at all
    session.commit()
    return document
