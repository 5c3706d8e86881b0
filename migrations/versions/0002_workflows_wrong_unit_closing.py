"""workflows, wrong unit, closing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:22:03.776624
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('parent_flow_id', sa.Integer(), nullable=True),
    sa.Column('workflow', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('committed', sa.Boolean(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['parent_flow_id'], ['flow.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('flow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_task_id'), ['task_id'], unique=False)
        batch_op.create_index('ix_flow_unit_state', ['unit_id', 'state'], unique=False)

    op.create_table('wrong_unit_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'refused', name='requeststatus', native_enum=False, length=32), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('new_task_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['new_task_id'], ['task.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('wrong_unit_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wrong_unit_request_task_id'), ['task_id'], unique=False)

    # Plain ADD COLUMN (no batch table rebuild on SQLite: that would drop the journal triggers).
    op.add_column('task', sa.Column('closed_reason', sa.Enum('wrong_unit', 'revoked', 'replaced', name='closereason', native_enum=False, length=32), nullable=True))
    op.add_column('task', sa.Column('closed_on', sa.Date(), nullable=True))
    op.add_column('task', sa.Column('replaces_task_id', sa.Integer(), nullable=True))
    op.add_column('task_event', sa.Column('flow_id', sa.Integer(), nullable=True))
    op.add_column('task_event', sa.Column('transition', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('task_event', sa.Column('step', sa.Integer(), nullable=True))
    if not _sqlite():
        op.create_foreign_key('fk_task_replaces_task_id', 'task', 'task', ['replaces_task_id'], ['id'])
        op.create_foreign_key('fk_task_event_flow_id', 'task_event', 'flow', ['flow_id'], ['id'])
    # Every existing task gets its lead unit's main flow (shipped workflow "ngan"): replied or
    # confirmed tasks have passed the last step, the others wait for the clerk to register them.
    op.execute(
        "INSERT INTO flow (task_id, unit_id, parent_flow_id, workflow, committed, state, assignee_id, active,"
        " created_at, updated_at)"
        " SELECT id, lead_unit_id, NULL, 'ngan',"
        " CASE WHEN status IN ('replied', 'done') THEN TRUE ELSE FALSE END,"
        " CASE WHEN status IN ('replied', 'done') THEN 'da_ban_hanh' ELSE 'cho_vao_so' END,"
        " NULL, TRUE, created_at, created_at FROM task"
    )


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def downgrade() -> None:
    if not _sqlite():
        op.drop_constraint('fk_task_event_flow_id', 'task_event', type_='foreignkey')
        op.drop_constraint('fk_task_replaces_task_id', 'task', type_='foreignkey')
    for table, column in (('task_event', 'step'), ('task_event', 'transition'), ('task_event', 'flow_id'),
                          ('task', 'replaces_task_id'), ('task', 'closed_on'), ('task', 'closed_reason')):
        op.drop_column(table, column)
    op.drop_index(op.f('ix_wrong_unit_request_task_id'), table_name='wrong_unit_request')
    op.drop_table('wrong_unit_request')
    op.drop_index('ix_flow_unit_state', table_name='flow')
    op.drop_index(op.f('ix_flow_task_id'), table_name='flow')
    op.drop_table('flow')
