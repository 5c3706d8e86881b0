"""Wrong-unit requests as data: the pending one of a task, the Office's queue, dropping one.

The actions that create and decide them are in ``services.actions.wrong_unit``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models import Permission, RequestStatus, WrongUnitRequest
from services.access.permissions import Actor, require


def pending_request(*, session: Session, task_id: int) -> WrongUnitRequest | None:
    return session.exec(
        select(WrongUnitRequest).where(
            WrongUnitRequest.task_id == task_id, WrongUnitRequest.status == RequestStatus.PENDING
        )
    ).first()


def list_pending_requests(*, session: Session, actor: Actor) -> list[WrongUnitRequest]:
    require(actor, Permission.TASK_CONFIRM, "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh xem đề nghị điều chỉnh.")
    return list(
        session.exec(
            select(WrongUnitRequest)
            .where(WrongUnitRequest.status == RequestStatus.PENDING)
            .order_by(col(WrongUnitRequest.requested_at))
        ).all()
    )


def drop_pending_request(*, session: Session, actor: Actor, task_id: int, why: str, now: datetime) -> None:
    """A task answered, revoked or replaced takes its pending request with it (no commit)."""
    request = pending_request(session=session, task_id=task_id)
    if request is not None:
        request.status = RequestStatus.REFUSED
        request.decided_by, request.decided_at, request.decision_note = actor.user_id, now, why
        session.add(request)
