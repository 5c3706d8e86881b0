"""task_span: per-task class spans, so the figures of a period are a range lookup and a GROUP BY

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 03:30:00

The spans are derived from the dated history (replies, confirmations, extensions, closures);
``data_version.spans_rule`` records which rule of ``services.stats.spans`` built them. It starts
at 0, so the first start after this migration (``services.runtime.start``) builds every task's
spans from its facts, in the code's own words rather than a copy of them frozen here.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_CLASSES = ('done_on_time', 'done_late', 'open_on_time', 'open_overdue')


def upgrade() -> None:
    op.create_table(
        'task_span',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Integer(), nullable=False),
        sa.Column('valid_to', sa.Integer(), nullable=False),
        sa.Column('scope_until', sa.Integer(), nullable=False),
        sa.Column('lead_unit_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('several_in_unit', sa.Boolean(), nullable=False),
        sa.Column('several_in_document', sa.Boolean(), nullable=False),
        sa.Column('task_class', sa.Enum(*_CLASSES, name='taskclass', native_enum=False, length=32), nullable=False),
        sa.Column('awaiting', sa.Boolean(), nullable=False),
        sa.Column('deadline', sa.Integer(), nullable=False),
        sa.Column('reply_date', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['lead_unit_id'], ['org_unit.id']),
        sa.ForeignKeyConstraint(['document_id'], ['document.id']),
        sa.PrimaryKeyConstraint('task_id', 'valid_from'),
    )
    op.create_index(
        'ix_task_span_unit_stab',
        'task_span',
        [
            'lead_unit_id', 'valid_to', 'valid_from', 'scope_until', 'task_class', 'awaiting',
            'several_in_unit', 'several_in_document',
        ],
    )
    op.create_index(
        'ix_task_span_several_in_unit',
        'task_span',
        ['lead_unit_id', 'valid_to', 'valid_from', 'scope_until', 'document_id', 'several_in_unit'],
        sqlite_where=sa.text('several_in_unit = 1'),
        postgresql_where=sa.text('several_in_unit'),
    )
    op.create_index(
        'ix_task_span_several_in_document',
        'task_span',
        ['valid_to', 'valid_from', 'scope_until', 'lead_unit_id', 'document_id', 'several_in_document'],
        sqlite_where=sa.text('several_in_document = 1'),
        postgresql_where=sa.text('several_in_document'),
    )
    listed = ['deadline', 'task_id', 'awaiting', 'document_id', 'reply_date']
    still_running = ['valid_to', 'valid_from', 'scope_until']
    done_since = ['scope_until', 'valid_from', 'valid_to']
    op.create_index('ix_task_span_open_list', 'task_span', ['task_class', *still_running, 'lead_unit_id', *listed])
    op.create_index('ix_task_span_unit_open_list', 'task_span', ['lead_unit_id', 'task_class', *still_running, *listed])
    op.create_index('ix_task_span_done_list', 'task_span', ['task_class', *done_since, 'lead_unit_id', *listed])
    op.create_index('ix_task_span_unit_done_list', 'task_span', ['lead_unit_id', 'task_class', *done_since, *listed])
    with op.batch_alter_table('data_version') as batch_op:
        batch_op.add_column(sa.Column('spans_rule', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('data_version') as batch_op:
        batch_op.drop_column('spans_rule')
    for name in ('open_list', 'unit_open_list', 'done_list', 'unit_done_list'):
        op.drop_index(f'ix_task_span_{name}', table_name='task_span')
    op.drop_index('ix_task_span_several_in_document', table_name='task_span')
    op.drop_index('ix_task_span_several_in_unit', table_name='task_span')
    op.drop_index('ix_task_span_unit_stab', table_name='task_span')
    op.drop_table('task_span')
