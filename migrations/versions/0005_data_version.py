"""data_version: one row bumped with every write that can change a figure

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 02:00:00

Giám sát caches the public statistics per period and per data version; every action on a task,
every assignment and the org sync bump the number in their own transaction, so the next page
run of any server process sees the change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False, server_default='0'),
        sa.CheckConstraint('id = 1', name='ck_data_version_one_row'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{'id': 1, 'version': 0}])


def downgrade() -> None:
    op.drop_table('data_version')
