"""The administration journal: rows hold who, what, before and after; the database keeps them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session

from models import AdminEntity
from services.access.permissions import Actor
from services.admin.journal import history, record


def test_a_change_is_recorded_with_before_and_after(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    record(
        session=session,
        actor=admin,
        entity=AdminEntity.UNIT,
        key="000.00.05.H21",
        action="rename",
        before={"name": "Sở Tài chính", "since": date(2025, 7, 1)},
        after={"name": "Sở Tài chính tỉnh", "kind": AdminEntity.UNIT},
    )
    session.commit()
    [row] = history(session=session, entity=AdminEntity.UNIT, key="000.00.05.H21")
    assert row.actor_user_id == admin.user_id
    assert row.action == "rename"
    assert row.before == {"name": "Sở Tài chính", "since": "2025-07-01"}
    assert row.after == {"name": "Sở Tài chính tỉnh", "kind": "unit"}
    assert history(session=session, entity=AdminEntity.USER) == []


def test_the_journal_cannot_be_rewritten(session: Session) -> None:
    record(session=session, actor=None, entity=AdminEntity.USER, key="cv.tc", action="lock")
    session.commit()
    for statement in ("UPDATE admin_change SET action = 'unlock'", "DELETE FROM admin_change"):
        with pytest.raises(DatabaseError):
            session.execute(text(statement))
        session.rollback()
    assert [row.action for row in history(session=session)] == ["lock"]
