"""The data version: one number that moves with every write that can change a figure.

Writers bump it in their own transaction (``bump_data_version``), so it moves exactly when their
change commits and never for a change rolled back; readers key a cache of public aggregates by
``current_data_version`` (one primary-key read). On PostgreSQL the bump locks the one row until
commit: writers that change figures commit one after another (each holds it only for the rest
of its own short transaction).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import Session, col

from models import DataVersion


def bump_data_version(*, session: Session) -> None:
    """Add one to the version inside the caller's transaction (committed with the caller's write)."""
    session.execute(
        update(DataVersion)
        .where(col(DataVersion.id) == 1)
        .values(version=col(DataVersion.version) + 1)
        .execution_options(synchronize_session=False)
    )


_table = DataVersion.__table__  # type: ignore[attr-defined]
_CURRENT = select(_table.c.version).where(_table.c.id == 1)  # plain SQL, no ORM: read on every page run


def current_data_version(*, session: Session) -> int:
    """The version now: one indexed read of one row."""
    version = session.execute(_CURRENT).scalar()
    return int(version or 0)
