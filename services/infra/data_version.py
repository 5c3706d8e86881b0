"""The data version: one number that moves with every write that can change a figure.

Writers bump it in their own transaction (``bump_data_version``), so it moves exactly when their
change commits and never for a change rolled back; readers key a cache of public aggregates by
``current_data_version`` (one primary-key read). On PostgreSQL the bump locks the one row until
commit: writers that change figures commit one after another (each holds it only for the rest
of its own short transaction).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from models import DataVersion
from services.infra.bulk import bulk_of

_table = DataVersion.__table__  # type: ignore[attr-defined]
# Plain SQL built once, no ORM: run by every write and read on every page run (building the
# statement each time cost ten times what running it does).
_BUMP = _table.update().where(_table.c.id == 1).values(version=_table.c.version + 1)
_CURRENT = select(_table.c.version).where(_table.c.id == 1)


def bump_data_version(*, session: Session) -> None:
    """Add one to the version inside the caller's transaction (committed with the caller's write).

    In a bulk write (``services.infra.bulk``: the task import) only the first call bumps: the
    version moves once, when the whole import commits."""
    bulk = bulk_of(session)
    if bulk is not None:
        if bulk.version_bumped:
            return
        bulk.version_bumped = True
    session.execute(_BUMP)


def current_data_version(*, session: Session) -> int:
    """The version now: one indexed read of one row."""
    version = session.execute(_CURRENT).scalar()
    return int(version or 0)
