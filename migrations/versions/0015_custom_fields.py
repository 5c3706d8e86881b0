"""custom fields (issue 10): definitions and values

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 09:40:00

``custom_field``: the fields an admin adds to the assignment document or to each task (never
deleted: ``retired``). ``custom_value``: one value of one field on one document or one task, as
JSON.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'custom_field',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column(
            'target',
            sa.Enum('document', 'task', name='fieldtarget', native_enum=False, create_constraint=False, length=32),
            nullable=False,
        ),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('help', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('roles', sa.JSON(), nullable=False),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_table(
        'custom_value',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('field_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.CheckConstraint('(document_id IS NULL) <> (task_id IS NULL)', name='ck_custom_value_owner'),
        sa.ForeignKeyConstraint(['document_id'], ['document.id']),
        sa.ForeignKeyConstraint(['field_id'], ['custom_field.id']),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('field_id', 'document_id', name='uq_custom_value_document'),
        sa.UniqueConstraint('field_id', 'task_id', name='uq_custom_value_task'),
    )
    op.create_index('ix_custom_value_field_id', 'custom_value', ['field_id'])
    op.create_index('ix_custom_value_document_id', 'custom_value', ['document_id'])
    op.create_index('ix_custom_value_task_id', 'custom_value', ['task_id'])


def downgrade() -> None:
    op.drop_index('ix_custom_value_task_id', table_name='custom_value')
    op.drop_index('ix_custom_value_document_id', table_name='custom_value')
    op.drop_index('ix_custom_value_field_id', table_name='custom_value')
    op.drop_table('custom_value')
    op.drop_table('custom_field')
