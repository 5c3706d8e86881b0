"""workflow versions (issue 10): a flow finishes on the configuration version it started on

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 10:05:00

``flow.config_version_id``: the ``config_version`` a flow started on; the engine reads the flow's
workflow from that version, so an admin's change of a workflow applies to flows started after
it. NULL: started while no version was stored (the seed ``config/*.yaml``). The flows that exist
when this runs get the version in force then (NULL when none is stored).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('flow', sa.Column('config_version_id', sa.Integer(), nullable=True))
    op.execute("UPDATE flow SET config_version_id = (SELECT MAX(id) FROM config_version)")


def downgrade() -> None:
    _drop_column('flow', 'config_version_id')


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): a batch copy of the table would drop the table it
    copies, which its references refuse once rows point at it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)
