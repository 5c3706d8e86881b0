"""the administration journal (issue 10)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 09:30:00

``admin_change``: one row per change made through the "Quản trị" forms or the admin commands
(who, when, what, before and after as JSON). Append-only like ``task_event`` and ``auth_event``:
the database refuses UPDATE and DELETE.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        'admin_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('actor_user_id', sa.Integer(), nullable=True),
        sa.Column('entity', sa.Enum(
            'unit', 'user', 'config', 'workflow', 'custom_field', 'import',
            name='adminentity', native_enum=False, create_constraint=False, length=32,
        ), nullable=False),
        sa.Column('entity_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_admin_change_at', 'admin_change', ['at'])
    op.create_index('ix_admin_change_entity_key', 'admin_change', ['entity', 'entity_key'])
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER admin_change_no_{verb.lower()} BEFORE {verb} ON admin_change "
                "BEGIN SELECT RAISE(ABORT, 'admin_change is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION admin_change_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'admin_change is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER admin_change_append_only BEFORE UPDATE OR DELETE ON admin_change "
        "FOR EACH ROW EXECUTE FUNCTION admin_change_append_only()"
    )


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS admin_change_no_update")
        op.execute("DROP TRIGGER IF EXISTS admin_change_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS admin_change_append_only ON admin_change")
        op.execute("DROP FUNCTION IF EXISTS admin_change_append_only()")
    op.drop_index('ix_admin_change_entity_key', table_name='admin_change')
    op.drop_index('ix_admin_change_at', table_name='admin_change')
    op.drop_table('admin_change')
