"""Small helpers shared by the service tests (not a test module)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from models import (
    Confirmation,
    ConfirmOutcome,
    Document,
    Extension,
    OrgUnit,
    Task,
    TaskCoordinator,
    TaskEvent,
)
from models.schemas import AssignmentCreate, ConfirmationCreate, ReplyCreate, TaskCreate
from services.assignment import create_assignment
from services.bootstrap import Runtime
from services.confirmation import confirm_task
from services.permissions import Actor
from services.work import issue_reply
from tests.conftest import at

TRACKED: tuple[type[SQLModel], ...] = (Document, Task, TaskEvent, TaskCoordinator, Confirmation, Extension)


def row_counts(session: Session) -> dict[str, int]:
    """Rows per tracked table, as seen by ``session`` (flushed but uncommitted rows included)."""
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()  # type: ignore[call-overload]
        for model in TRACKED
    }


def unit_id(session: Session, code: str) -> int:
    unit = session.exec(select(OrgUnit).where(OrgUnit.code == code)).one()
    assert unit.id is not None
    return unit.id


def task_ids(session: Session, document: Document) -> list[int]:
    """Ids of a document's tasks, in their order in the document."""
    rows = session.exec(select(Task).where(Task.document_id == document.id).order_by(Task.seq)).all()  # type: ignore[arg-type]
    return [t.id for t in rows if t.id is not None]


def task(content: str, lead: str, deadline: date, coordinators: list[str] | None = None) -> TaskCreate:
    return TaskCreate(
        content=content, lead_unit_codes=[lead], coordinating_unit_codes=coordinators or [], deadline=deadline
    )


def assign(
    runtime: Runtime,
    session: Session,
    tracker: Actor,
    *,
    code: str,
    issued: date,
    tasks: list[TaskCreate],
    issuer: str = "ubnd_tinh",
) -> tuple[Document, list[int]]:
    """Create an assignment document dated and entered on ``issued``; return it and its task ids."""
    doc = create_assignment(
        session=session,
        actor=tracker,
        config=runtime.config,
        now=at(issued),
        data=AssignmentCreate(
            code=code,
            issue_date=issued,
            issuer=issuer,
            doc_type="cong_van",
            summary=f"V/v thực hiện văn bản {code}",
            signer="Nguyễn Văn A",
            tasks=tasks,
        ),
    )
    return doc, task_ids(session, doc)


def reply(
    session: Session, actor: Actor, task_id: int, *, code: str, on: date, entered: date | None = None
) -> Document:
    """Issue a reply dated ``on`` (entered into the system on ``entered``, default the same day)."""
    return issue_reply(
        session=session,
        actor=actor,
        task_id=task_id,
        now=at(entered or on),
        data=ReplyCreate(code=code, issue_date=on, summary="Báo cáo kết quả", result="Đã thực hiện"),
    )


def confirm(
    session: Session,
    tracker: Actor,
    task_id: int,
    *,
    on: date,
    done: bool = True,
    reason: str = "",
    new_deadline: date | None = None,
) -> Confirmation:
    return confirm_task(
        session=session,
        actor=tracker,
        task_id=task_id,
        now=at(on),
        data=ConfirmationCreate(
            outcome=ConfirmOutcome.DONE if done else ConfirmOutcome.NOT_DONE,
            reason=reason,
            new_deadline=new_deadline,
        ),
    )
