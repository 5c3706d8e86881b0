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
    with op.batch_alter_table('flow', schema=None) as batch_op:
        batch_op.add_column(sa.Column('config_version_id', sa.Integer(), nullable=True))
    op.execute("UPDATE flow SET config_version_id = (SELECT MAX(id) FROM config_version)")


def downgrade() -> None:
    with op.batch_alter_table('flow', schema=None) as batch_op:
        batch_op.drop_column('config_version_id')
