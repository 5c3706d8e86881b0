"""Who administers Giao việc: one definition behind every guard that keeps somebody able to.

An account administers when it is active, its unit is active, and its role grants
``Permission.ADMIN`` where it works (``at_office`` at VP UBND, ``at_unit`` elsewhere): the same
reading ``permissions.build_actor`` makes on every page run, so "the last administrator" means
the same on Người dùng, Vai trò và quyền, Đơn vị, a restored configuration and the command line.

Every change that could leave nobody so (an account locked, given another role or moved; a unit
deactivated; the roles' permissions changed, an older configuration restored or imported) first
takes the configuration writers' lock (``store.lock_for_write``, held to the end of the
transaction), then applies itself, then counts. Two admins making such changes at the same moment
are so taken one after the other, on SQLite and on PostgreSQL alike, and the second counts after
the first's change: an account change and a roles change cannot cross each other either.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import Session, col, select

from models import OrgUnit, Permission, Role, UnitKind, User
from services.config import store
from services.config.loader import RolesConfig
from services.infra.errors import Conflict


def lock_roles(*, session: Session, config_dir: Path) -> RolesConfig:
    """Take the writers' lock and return the roles in force, read under it."""
    store.lock_for_write(session)
    _, files = store.current_files(session=session, config_dir=config_dir)
    return RolesConfig.model_validate(yaml.safe_load(files["roles.yaml"]))


def administrators(*, session: Session, roles: RolesConfig) -> list[str]:
    """The usernames of the accounts that administer under ``roles``, as the session sees the data
    (its own changes not yet committed included: they are flushed before the query)."""
    query = (
        select(col(User.username), col(User.role), col(OrgUnit.kind))
        .join(OrgUnit, col(OrgUnit.id) == col(User.unit_id))
        .where(col(User.active).is_(True), col(OrgUnit.active).is_(True))
        .order_by(col(User.username))
    )
    found: list[str] = []
    for username, role, kind in session.execute(query):
        role_cfg = roles.roles[Role(role)]
        granted = role_cfg.at_office if UnitKind(kind) is UnitKind.OFFICE else role_cfg.at_unit
        if Permission.ADMIN in granted:
            found.append(str(username))
    return found


def keep_one(*, session: Session, roles: RolesConfig, before: list[str], refusal: str) -> None:
    """After the caller's change (applied, not committed, under ``lock_roles``): when there were
    administrators ``before`` and none is left, roll the change back and refuse with ``refusal``."""
    if before and not administrators(session=session, roles=roles):
        session.rollback()
        raise Conflict(refusal)
