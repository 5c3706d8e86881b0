"""The administration journal: who changed what, when, and the values before and after.

Every admin service writes its row with ``record`` inside its own transaction, so the journal
holds exactly the changes that were committed. ``history`` reads it back for the "Quản trị" pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models import AdminChange, AdminEntity
from services.access.permissions import Actor
from services.infra.clock import now_utc

ENTITY_LABELS: dict[AdminEntity, str] = {
    AdminEntity.UNIT: "Đơn vị",
    AdminEntity.USER: "Người dùng",
    AdminEntity.CONFIG: "Cấu hình",
    AdminEntity.WORKFLOW: "Quy trình",
    AdminEntity.CUSTOM_FIELD: "Trường tùy chỉnh",
    AdminEntity.IMPORT: "Nhập dữ liệu",
    AdminEntity.ROLE: "Vai trò và quyền",
}


def _plain(value: Any) -> Any:
    """JSON-safe: dates as ISO text, enums by value, containers walked."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def record(
    *,
    session: Session,
    actor: Actor | None,
    entity: AdminEntity,
    key: str,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: str = "",
) -> AdminChange:
    """Add one journal row to the caller's transaction (``actor`` None: a manage.py command)."""
    row = AdminChange(
        at=now_utc(),
        actor_user_id=None if actor is None else actor.user_id,
        entity=entity,
        entity_key=key[:100],
        action=action[:40],
        before=None if before is None else _plain(before),
        after=None if after is None else _plain(after),
        detail=detail[:500],
    )
    session.add(row)
    return row


def history(
    *, session: Session, entity: AdminEntity | None = None, key: str | None = None, limit: int = 200
) -> list[AdminChange]:
    """The newest changes first, of one kind of thing or of one thing."""
    query = select(AdminChange).order_by(col(AdminChange.id).desc()).limit(limit)
    if entity is not None:
        query = query.where(col(AdminChange.entity) == entity)
    if key is not None:
        query = query.where(col(AdminChange.entity_key) == key)
    return list(session.execute(query).scalars())
