"""The system account: who the daily job acts as, so its reminders are journaled "by the system".

The journal stores an actor like any other (``task_event.actor_id`` is a user, its name, role and
unit are copied), and the job goes through the same ``perform`` as a person; so the system is one
account of VP UBND with the tracker's role, created on first use, that can never log in: it is
inactive, its password hash matches no password, and its username (``~he-thong``) starts with a
character no account created by the admin may start with.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import OrgUnit, Role, UnitKind, User
from models.reminders import SYSTEM_NAME, SYSTEM_USERNAME
from services.access.permissions import Actor
from services.config.loader import AppConfig

_NO_PASSWORD = "!"  # not an argon2 hash: verify_password is always False


def system_user_id(*, session: Session, now: datetime) -> int:
    """The system account's id, created (and committed) the first time; two first runs at once
    both end up with the one account (the username is unique)."""
    found = session.exec(select(User.id).where(User.username == SYSTEM_USERNAME)).first()
    if found is not None:
        return found
    office = session.exec(select(OrgUnit.id).where(OrgUnit.kind == UnitKind.OFFICE)).first()
    if office is None:
        raise RuntimeError("no office unit: the org tree is not synchronised")
    session.add(
        User(
            username=SYSTEM_USERNAME,
            full_name=SYSTEM_NAME,
            password_hash=_NO_PASSWORD,
            role=Role.TRACKER,
            unit_id=office,
            active=False,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
    found = session.exec(select(User.id).where(User.username == SYSTEM_USERNAME)).first()
    assert found is not None
    return found


def system_actor(*, session: Session, config: AppConfig, now: datetime) -> Actor:
    """The system account as an actor with the tracker's permissions at VP UBND (it sees every
    task and may remind); built here because ``build_actor`` only knows active accounts."""
    user_id = system_user_id(session=session, now=now)
    office = session.exec(select(OrgUnit).where(OrgUnit.kind == UnitKind.OFFICE)).one()
    assert office.id is not None
    return Actor(
        user_id=user_id,
        username=SYSTEM_USERNAME,
        full_name=SYSTEM_NAME,
        role=Role.TRACKER,
        unit_id=office.id,
        unit_name=office.short_name,
        at_office=True,
        permissions=frozenset(config.roles.roles[Role.TRACKER].at_office),
    )
