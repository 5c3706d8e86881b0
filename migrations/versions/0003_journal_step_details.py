"""journal: the step's previous state and the person it was handed to, as columns

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:45:00

A step entry used to pack "Bước N: label — chuyển X. note (trước đó: state)" into ``note``. The
timeline now builds its own wording from the workflow config, so the journal keeps the parts
apart: ``note`` holds only what the person wrote.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('task_event', sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('task_event', sa.Column('to_user_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column('task_event', 'to_user_name')
    op.drop_column('task_event', 'from_state')
