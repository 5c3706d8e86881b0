"""Who may do what: permissions come from ``config/roles.yaml``, scoped by the user's unit.

Every service call takes an ``Actor`` and checks it here, so a page that forgot a check still
cannot do harm.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Flow, OrgUnit, Permission, Role, Task, TaskCoordinator, UnitKind, User
from services.config.loader import AppConfig
from services.infra.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """The logged-in user as the services see them."""

    user_id: int
    username: str
    full_name: str
    role: Role
    unit_id: int
    unit_name: str
    at_office: bool
    permissions: frozenset[Permission]
    # a password the admin generated (new account, reset): the app offers only "Đổi mật khẩu"
    must_change_password: bool = False

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


_users = User.__table__  # type: ignore[attr-defined]
_units = OrgUnit.__table__  # type: ignore[attr-defined]
# one plain query (no ORM objects): every page run of every user starts with it
_ACTOR = (
    sa_select(
        _users.c.username,
        _users.c.full_name,
        _users.c.role,
        _units.c.id,
        _units.c.short_name,
        _units.c.kind,
        _users.c.must_change_password,
    )
    .join_from(_users, _units, _units.c.id == _users.c.unit_id)
    .where(_users.c.id == bindparam("user_id"), _users.c.active.is_(True), _units.c.active.is_(True))
)


def build_actor(*, session: Session, config: AppConfig, user_id: int) -> Actor | None:
    """The actor for an active user of an active unit, or None."""
    row = session.execute(_ACTOR, {"user_id": user_id}).first()
    if row is None:
        return None
    username, full_name, role, unit_id, unit_name, kind, must_change = row
    at_office = UnitKind(kind) is UnitKind.OFFICE
    role_cfg = config.roles.roles[Role(role)]
    return Actor(
        user_id=user_id,
        username=username,
        full_name=full_name,
        role=Role(role),
        unit_id=unit_id,
        unit_name=unit_name,
        at_office=at_office,
        permissions=frozenset(role_cfg.at_office if at_office else role_cfg.at_unit),
        must_change_password=bool(must_change),
    )


def require(actor: Actor, permission: Permission, message: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(message)


def can_view_task(*, session: Session, actor: Actor, task: Task) -> bool:
    """All tasks for VP UBND and admin; otherwise the lead unit's and coordinating units' own."""
    if actor.can(Permission.TASKS_VIEW_ALL):
        return True
    if not actor.can(Permission.UNIT_TASKS_VIEW):
        return False
    if task.lead_unit_id == actor.unit_id:
        return True
    if session.get(TaskCoordinator, (task.id, actor.unit_id)) is not None:
        return True
    # a sub-unit the task was routed to (or its parent, which routed it)
    holders = session.exec(select(Flow.unit_id).where(Flow.task_id == task.id)).all()
    if actor.unit_id in holders:
        return True
    return any(
        (unit := session.get(OrgUnit, holder)) is not None and unit.parent_id == actor.unit_id for holder in holders
    )


def visible_task_ids(*, session: Session, actor: Actor) -> set[int] | None:
    """The ids of every task ``can_view_task`` lets the actor see; None means all of them.

    The same rule as ``can_view_task``, as one set for lists: the lead unit's own tasks, those it
    coordinates, those routed to it, and those routed from it to its sub-units.
    """
    if actor.can(Permission.TASKS_VIEW_ALL):
        return None
    if not actor.can(Permission.UNIT_TASKS_VIEW):
        return set()
    unit = actor.unit_id
    children = select(OrgUnit.id).where(OrgUnit.parent_id == unit)
    ids: set[int] = set()
    ids.update(i for i in session.exec(select(Task.id).where(Task.lead_unit_id == unit)).all() if i is not None)
    ids.update(session.exec(select(TaskCoordinator.task_id).where(TaskCoordinator.unit_id == unit)).all())
    ids.update(session.exec(select(Flow.task_id).where(Flow.unit_id == unit)).all())
    ids.update(session.exec(select(Flow.task_id).where(col(Flow.unit_id).in_(children))).all())
    return ids
